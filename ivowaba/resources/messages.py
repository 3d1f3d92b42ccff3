"""``client.messages``: send every kind of WhatsApp message, and mark received ones read."""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from ivowaba import _json, _limits
from ivowaba import _validation as v
from ivowaba._bulk import send_concurrently as _send_concurrently
from ivowaba._config import OUTCOMES_RULE, is_outcome_store
from ivowaba._errors import ValidationError
from ivowaba._message_checks import check as _check_message
from ivowaba._operations import OPERATIONS, SENDS
from ivowaba._operations import Operation as Endpoint
from ivowaba._outbound import message_from_dict, template_components, url_button
from ivowaba._resource import Mode, Resource, iterator, operation
from ivowaba._screening import require_open_window, screen
from ivowaba._template_check import check_parameters
from ivowaba.types.bulk import BulkResult
from ivowaba.types.contacts import ContactCard
from ivowaba.types.messages import (
    ContactsMessage,
    FlowAction,
    FlowMessage,
    FlowParameters,
    InteractiveHeader,
    ListAction,
    ListMessage,
    ListSection,
    LocationMessage,
    MediaMessage,
    OutboundMessage,
    ProductAction,
    ProductListAction,
    ProductListMessage,
    ProductMessage,
    ProductSection,
    ReplyButton,
    ReplyButtonsAction,
    ReplyButtonsMessage,
    TemplateComponent,
    TemplateMessage,
    TemplateParameter,
    TextMessage,
)
from ivowaba.types.resources import SentMessage

if TYPE_CHECKING:
    from ivowaba.outcomes import OutcomeStore

#: Where each kind of message is sent; ``sandbox`` marks those the sandbox accepts.
ENDPOINTS: Mapping[type[Any], Endpoint] = SENDS
MARK_READ = OPERATIONS["messages.mark_read"]


def _first_sent(endpoint: Endpoint) -> Callable[[bytes], SentMessage]:
    """The decoder of a send's answer: the accepted message, the first of the list (which
    the answer shape never lets be empty)."""
    decode_all: Callable[[bytes], list[SentMessage]] = endpoint.decoder

    def decode(body: bytes) -> SentMessage:
        return decode_all(body)[0]

    return decode


#: The decoder of each send's answer, by the message's struct.
_DECODE_SENT: Mapping[type[Any], Callable[[bytes], SentMessage]] = {
    struct: _first_sent(endpoint) for struct, endpoint in ENDPOINTS.items()
}


HeaderArg = str | InteractiveHeader | Mapping[str, Any] | None


async def _refused(error: Exception) -> AsyncIterator[BulkResult]:
    """An iterator that raises ``error`` when iteration starts, as ``send_many``'s checks do."""
    raise error
    yield  # pragma: no cover - makes this an async generator


def _interactive_header(header: HeaderArg) -> InteractiveHeader | None:
    if header is None:
        return None
    if isinstance(header, str):
        return InteractiveHeader(type="text", text=header)
    return v.convert(header, InteractiveHeader, "header")


class Messages(Resource[Mode]):
    """Send messages: ``await client.messages.send_text("628123456789", "hello")``.

    Every send returns a ``SentMessage`` whose ``id`` the status notifications refer to.
    The recipient ``to`` is a phone number with its country code (``"+62 812-3456-789"`` is
    sent as ``628123456789``). Every argument is checked against WhatsApp's rules before any
    request; a breach raises ``ValidationError`` naming the field and the rule. A send that may
    have reached the gateway (a 5xx, a timeout) is never retried: nobody gets a message twice.
    """

    # -- the one way out ---------------------------------------------------------------------

    def _deliver(
        self, message: OutboundMessage, *, checked: bool = False, screened: bool = False
    ) -> Awaitable[SentMessage]:
        """Check ``message`` (unless ``checked``) and return its send, to await: behind the
        window guard unless ``screened`` by ``send_many`` already.

        Not a coroutine itself: every coroutine between a send and aiohttp is paid again each
        time the task resumes."""
        if not checked:
            _check_message(message)
        body = _json.encode(message)
        store = self._client.outcomes
        if store is not None and type(message) is not TemplateMessage and not screened:
            return self._guarded(store, message.wa_id, type(message), body)
        return self._send_body(type(message), body)

    def _send_body(self, kind: type[OutboundMessage], body: bytes) -> Awaitable[SentMessage]:
        return self._client.call(ENDPOINTS[kind], _DECODE_SENT[kind], body=body)

    async def _guarded(
        self, store: OutcomeStore, wa_id: str, kind: type[OutboundMessage], body: bytes
    ) -> SentMessage:
        await require_open_window(store, wa_id)
        return await self._send_body(kind, body)

    def _to(self, to: object, field: str = "to") -> str:
        return v.wa_id(to, field=field, default_country_code=self._client.default_country_code)

    def _outbound(self, message: OutboundMessage | Mapping[str, Any]) -> OutboundMessage:
        """``message`` as the struct of its kind, its ``wa_id`` normalised."""
        if not isinstance(message, msgspec.Struct):
            message = message_from_dict(message)
        if type(message) not in ENDPOINTS:
            raise ValidationError("message", f"not an outbound message: {type(message).__name__}")
        normalized = self._to(message.wa_id, "wa_id")
        if normalized != message.wa_id:
            message = msgspec.structs.replace(message, wa_id=normalized)
        return message

    async def _send_any(self, message: OutboundMessage | Mapping[str, Any]) -> SentMessage:
        return await self._deliver(self._outbound(message))

    async def _send_screened(
        self, store: OutcomeStore, message: OutboundMessage | Mapping[str, Any]
    ) -> SentMessage | str:
        """``send_many``'s send with a store: bad input fails as usual; then a message to an
        opted-out number, or a free-form one outside the window, is skipped (the reason
        returned), never a request; a store that fails is ``OutcomeStoreError``, never a
        request either."""
        outbound = self._outbound(message)
        _check_message(outbound)
        free_form = type(outbound) is not TemplateMessage
        skipped = await screen(store, outbound.wa_id, free_form=free_form)
        if skipped is not None:
            return skipped
        return await self._deliver(outbound, checked=True, screened=True)

    @operation
    async def send(self, message: OutboundMessage | Mapping[str, Any]) -> SentMessage:
        """Send any outbound message (``POST /api/v1/messages/send-...-message`` of its kind).

        - ``message``: a ``TextMessage``, ``TemplateMessage``, ``MediaMessage``, ... struct, or
          a dict naming its kind in ``"type"`` (``"text"``, ``"image"``, ... see
          ``ivowaba.message_from_dict``) beside the wire fields. ``wa_id`` is normalised as
          ``to`` is; every field must keep the limits the ``send_*`` method of its kind
          states.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``message``, ``message.type``, ``wa_id`` or the wire field
        at fault) before any request; ``SandboxUnsupportedError`` in sandbox mode for a
        product, product-list or flow message; ``AuthenticationError``,
        ``UnprocessableEntityError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send({"type": "text", "wa_id": "628123456789", "text": "Hi"})
        print(sent.id)
        ```
        """
        return await self._send_any(message)

    @iterator
    def send_many(
        self,
        messages: Iterable[OutboundMessage | Mapping[str, Any]]
        | AsyncIterable[OutboundMessage | Mapping[str, Any]],
        *,
        concurrency: int = 32,
        outcomes: OutcomeStore | None = None,
    ) -> AsyncIterator[BulkResult]:
        """Send many messages, at most ``concurrency`` at a time; yield one ``BulkResult``
        per input, in the order they finish. Each goes as ``send`` sends it
        (``POST /api/v1/messages/send-...-message`` of its kind).

        - ``messages``: an iterable or async iterable of what ``send`` takes, read lazily (a
          generator of a million items keeps memory flat).
        - ``concurrency``: an integer >= 1 (default 32): sends in flight plus results not yet
          consumed never exceed it.
        - ``outcomes``: an outcome store (``ivowaba.outcomes.open_store(url)``); default: the
          client's ``outcomes``, if any. With a store, a campaign honours what customers said:
          a message to a number that opted out (it sent STOP) is skipped, and so is a
          free-form (non-template) message to a number that has not written in the last 24
          hours; a skipped message is never a request and its result says why
          (``skipped="opted_out"`` or ``"window_closed"``; never a ``WindowClosedError``).
          Bad input is still its result's ``error``, store or not. When the store itself
          fails (closed, unreachable), the message is not sent either: its result's
          ``error`` is an ``OutcomeStoreError`` and ``sent`` is ``False``.

        Yields ``BulkResult``: ``index`` (the position in the input), ``message``, and ``id``,
        ``error`` or ``skipped``. A failed message (bad input, an API error, a lost
        connection, a closed ``AsyncClient``) becomes its result's ``error``, with ``sent``
        telling whether it may have arrived (``False`` for a skipped one); nothing stops the
        batch but leaving the loop, which cancels the sends in flight. The client's rate
        limit and retry rules apply to every send.

        Raises ``ValidationError`` (``concurrency``, ``messages``, ``outcomes``) when
        iteration starts; whatever the input iterable itself raises; ``ClientClosedError`` on
        a closed ``Client``.

        ```python
        async for result in client.messages.send_many(messages, concurrency=64, outcomes=store):
            print(result.index, result.id or result.error or result.skipped)
        ```
        """
        store = outcomes if outcomes is not None else self._client.outcomes
        if store is None:
            return _send_concurrently(self._send_any, messages, concurrency)
        if not is_outcome_store(store):
            return _refused(ValidationError("outcomes", OUTCOMES_RULE))
        return _send_concurrently(partial(self._send_screened, store), messages, concurrency)

    # -- one method per kind -----------------------------------------------------------------

    @operation
    async def send_text(
        self, to: str, text: str, *, preview_url: bool | None = None
    ) -> SentMessage:
        """Send a text message (``POST /api/v1/messages/send-text-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits
          (``"+62 812-3456-789"`` is sent as ``628123456789``).
        - ``text``: not blank, at most 4096 characters.
        - ``preview_url``: ``True`` to show a preview of a link in ``text``, ``False`` not
          to; left out when ``None``.

        Returns the ``SentMessage``; its ``id`` is what status notifications refer to.

        Raises ``ValidationError`` (``to``, ``text``, ``preview_url``) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_text("628123456789", "Your order has shipped")
        print(sent.id)
        ```
        """
        return await self._deliver(
            TextMessage(wa_id=self._to(to), text=text, preview_url=preview_url)
        )

    @operation
    async def send_template(
        self,
        to: str,
        template_id: str,
        *,
        header: str | TemplateParameter | Mapping[str, Any] | None = None,
        body: Sequence[str | TemplateParameter | Mapping[str, Any]] = (),
        buttons: Sequence[TemplateComponent | Mapping[str, Any]] = (),
        components: Sequence[TemplateComponent | Mapping[str, Any]] | None = None,
        check: bool | None = None,
    ) -> SentMessage:
        """Send an approved template (``POST /api/v1/messages/send-template-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``template_id``: not blank, at most 200 characters.
        - ``header``: a string (one text parameter) or one parameter object
          (``{"type": "image", "image": {"link": ...}}``; only a document has a ``filename``).
        - ``body``: a list of the body parameters, strings or parameter objects, in ``{{n}}``
          order (a lone string is refused: it is no list of parameters).
        - ``buttons``: a list of button components (``{"type": "button", "sub_type": "url",
          "index": 0, "parameters": [...]}``), ``index`` 0 to 9.
        - ``components``: the raw component list, instead of the three above.
        - ``check``: ``True``, ``False`` or ``None``. ``True``: fetch the template once
          (cached) and raise ``ValidationError`` when a header, body or dynamic URL button
          gets a different number of parameters than it has placeholders. Default
          (``None``): the client's ``check_templates``.

        With no parameters at all it sends ``components: [{"type": "body"}]``. A parameter
        carries its value under the key its ``type`` names: text not blank, links http(s).

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``template_id``, ``check``, the part at fault:
        ``body[0]``, ``components[1].index``, ...) before any request; with ``check``,
        ``NotFoundError`` for an unknown template and ``SandboxUnsupportedError`` in sandbox
        mode (the sandbox cannot show a template); ``AuthenticationError``,
        ``UnprocessableEntityError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_template("628123456789", template_id, body=["Budi"])
        print(sent.id)
        ```
        """
        wa_id = self._to(to)
        v.flag(check, "check")
        if components is not None:
            if header is not None or body or buttons:
                raise ValidationError(
                    "components", "pass components or header/body/buttons, not both"
                )
            parts = [
                v.convert(c, TemplateComponent, f"components[{i}]")
                for i, c in enumerate(v.listed(components, "components", "template components"))
            ]
        else:
            parts = template_components(header, body, buttons)
        message = TemplateMessage(wa_id=wa_id, template_id=template_id, components=parts)
        _check_message(message)  # bad input fails before the template is fetched
        if check if check is not None else self._client.check_templates:
            template = await self._client.templates._cached(template_id)
            check_parameters(template, parts)
        return await self._deliver(message, checked=True)

    @operation
    async def send_otp(self, to: str, template_id: str, code: str) -> SentMessage:
        """Send a one-time password with an authentication template
        (``POST /api/v1/messages/send-template-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``template_id``: the authentication template, not blank, at most 200 characters.
        - ``code``: not blank, at most 15 characters. It goes in the body and in the
          copy-code (URL) button at index 0, as the reference's OTP example does.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``code``, ``to``, ``template_id``) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_otp("628123456789", otp_template_id, "765987")
        print(sent.id)
        ```
        """
        v.text(code, "code", _limits.OTP_CODE_MAX)
        parts = template_components(body=[code], buttons=[url_button(code)])
        return await self._deliver(
            TemplateMessage(wa_id=self._to(to), template_id=template_id, components=parts)
        )

    async def _media(
        self,
        to: str,
        type: str,
        link: str,
        caption: str | None = None,
        filename: str | None = None,
    ) -> SentMessage:
        message = MediaMessage(
            wa_id=self._to(to), type=type, link=link, caption=caption, filename=filename
        )
        return await self._deliver(message)

    @operation
    async def send_media(
        self,
        to: str,
        type: str,
        *,
        link: str,
        caption: str | None = None,
        filename: str | None = None,
    ) -> SentMessage:
        """Send media by link (``POST /api/v1/messages/send-media-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``type``: ``"audio"``, ``"document"``, ``"image"``, ``"sticker"`` or ``"video"``.
        - ``link``: an absolute http(s) URL with a host, where WhatsApp fetches the file.
        - ``caption``: at most 1024 characters; an image, a video or a document only.
        - ``filename``: the name the recipient sees; a document only.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``type``, ``link``, ``caption``, ``filename``)
        before any request; ``AuthenticationError``, ``UnprocessableEntityError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_media("628123456789", "video", link=video_url)
        print(sent.id)
        ```
        """
        return await self._media(to, type, link, caption, filename)

    @operation
    async def send_image(self, to: str, *, link: str, caption: str | None = None) -> SentMessage:
        """Send an image by link (``POST /api/v1/messages/send-media-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``link``: an absolute http(s) URL with a host, where WhatsApp fetches the image.
        - ``caption``: at most 1024 characters; left out when ``None``.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``link``, ``caption``) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        url = "https://example.com/receipt.jpg"
        sent = await client.messages.send_image("628123456789", link=url, caption="Receipt")
        ```
        """
        return await self._media(to, "image", link, caption)

    @operation
    async def send_document(
        self, to: str, *, link: str, caption: str | None = None, filename: str | None = None
    ) -> SentMessage:
        """Send a document by link (``POST /api/v1/messages/send-media-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``link``: an absolute http(s) URL with a host, where WhatsApp fetches the file.
        - ``caption``: at most 1024 characters; left out when ``None``.
        - ``filename``: the name the recipient sees (``"invoice.pdf"``); left out when ``None``.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``link``, ``caption``, ``filename``) before any
        request; ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError``
        (after retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        url = "https://example.com/invoices/001.pdf"
        await client.messages.send_document("628123456789", link=url, filename="invoice.pdf")
        ```
        """
        return await self._media(to, "document", link, caption, filename)

    @operation
    async def send_audio(self, to: str, *, link: str) -> SentMessage:
        """Send an audio file by link (``POST /api/v1/messages/send-media-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``link``: an absolute http(s) URL with a host, where WhatsApp fetches the file.
          Audio takes no caption.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``link``) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_audio("628123456789", link=audio_url)
        print(sent.id)
        ```
        """
        return await self._media(to, "audio", link)

    @operation
    async def send_video(self, to: str, *, link: str, caption: str | None = None) -> SentMessage:
        """Send a video by link (``POST /api/v1/messages/send-media-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``link``: an absolute http(s) URL with a host, where WhatsApp fetches the video.
        - ``caption``: at most 1024 characters; left out when ``None``.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``link``, ``caption``) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_video("628123456789", link=video_url, caption="Demo")
        print(sent.id)
        ```
        """
        return await self._media(to, "video", link, caption)

    @operation
    async def send_sticker(self, to: str, *, link: str) -> SentMessage:
        """Send a sticker (webp) by link (``POST /api/v1/messages/send-media-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``link``: an absolute http(s) URL with a host, where WhatsApp fetches the sticker.
          A sticker takes no caption.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``link``) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_sticker("628123456789", link=sticker_url)
        print(sent.id)
        ```
        """
        return await self._media(to, "sticker", link)

    @operation
    async def send_location(
        self,
        to: str,
        latitude: float,
        longitude: float,
        *,
        name: str | None = None,
        address: str | None = None,
    ) -> SentMessage:
        """Send a static location (``POST /api/v1/messages/send-location-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``latitude``: a number of decimal degrees, -90 to 90.
        - ``longitude``: a number of decimal degrees, -180 to 180.
        - ``name``, ``address``: shown with the pin; left out when ``None``.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``latitude``, ``longitude``) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_location("628123456789", -6.2297, 106.8295, name="HQ")
        print(sent.id)
        ```
        """
        return await self._deliver(
            LocationMessage(
                wa_id=self._to(to),
                latitude=latitude,
                longitude=longitude,
                name=name,
                address=address,
            )
        )

    @operation
    async def send_contacts(
        self, to: str, contacts: Sequence[ContactCard | Mapping[str, Any]]
    ) -> SentMessage:
        """Send contact cards (``POST /api/v1/messages/send-contact-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``contacts``: one card or a sequence of at least one (``ContactCard`` or dicts in
          the wire shape); each needs ``name.formatted_name``, not blank.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``contacts``, ``contacts[i]...``) before any
        request; ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError``
        (after retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        card = {"name": {"formatted_name": "Budi"}, "phones": [{"phone": "+628123456789"}]}
        sent = await client.messages.send_contacts("628123456789", [card])
        ```
        """
        if isinstance(contacts, (Mapping, ContactCard)):
            contacts = [contacts]  # one card, as documented
        listed = v.listed(contacts, "contacts", "contact cards")
        cards = [v.convert(c, ContactCard, f"contacts[{i}]") for i, c in enumerate(listed)]
        return await self._deliver(ContactsMessage(wa_id=self._to(to), contacts=cards))

    @operation
    async def send_reply_buttons(
        self,
        to: str,
        body: str,
        buttons: Sequence[ReplyButton | Mapping[str, Any]],
        *,
        header: HeaderArg = None,
        footer: str | None = None,
    ) -> SentMessage:
        """Send quick-reply buttons (``POST /api/v1/messages/send-reply-button-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``body``: not blank, at most 1024 characters.
        - ``buttons``: 1 to 3 (``ReplyButton`` or ``{"id": ..., "title": ...}``): ``id`` at
          most 256 characters, ``title`` at most 20, both not blank and unique.
        - ``header``: a string (a text header, at most 60 characters) or
          ``{"type": "image", "link": ...}`` (also ``video``, or ``document`` with a
          ``filename``), the link an http(s) URL.
        - ``footer``: at most 60 characters.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` naming the field at fault (``to``, ``body``,
        ``action.buttons[1].title``, ``header.type``, ...) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        buttons = [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}]
        sent = await client.messages.send_reply_buttons("628123456789", "Confirm?", buttons)
        ```
        """
        action = ReplyButtonsAction(
            buttons=[
                v.convert(b, ReplyButton, f"buttons[{i}]")
                for i, b in enumerate(v.listed(buttons, "buttons", "reply buttons"))
            ]
        )
        message = ReplyButtonsMessage(
            wa_id=self._to(to),
            header=_interactive_header(header),
            body=body,
            footer=footer,
            action=action,
        )
        return await self._deliver(message)

    @operation
    async def send_list(
        self,
        to: str,
        body: str,
        button: str,
        sections: Sequence[ListSection | Mapping[str, Any]],
        *,
        header: HeaderArg = None,
        footer: str | None = None,
    ) -> SentMessage:
        """Send a list message (``POST /api/v1/messages/send-list-message``): ``button`` opens
        a menu of ``sections`` of rows.

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``body``: not blank, at most 1024 characters.
        - ``button``: the menu button's text, not blank, at most 20 characters.
        - ``sections``: 1 to 10 (``ListSection`` or ``{"title": ..., "rows": [...]}``), each
          with at least one row, at most 10 rows in all; a ``title`` (at most 24 characters)
          is required when there are several. A row: ``id`` (at most 200 characters, unique),
          ``title`` (at most 24), ``description`` (optional, at most 72).
        - ``header``: a text header only, a string of at most 60 characters.
        - ``footer``: at most 60 characters.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` naming the field at fault (``to``, ``action.button``,
        ``action.sections[0].rows[2].title``, ...) before any request;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sections = [{"rows": [{"id": "a", "title": "Small"}, {"id": "b", "title": "Large"}]}]
        sent = await client.messages.send_list("628123456789", "Pick a size", "Sizes", sections)
        ```
        """
        action = ListAction(
            button=button,
            sections=[
                v.convert(s, ListSection, f"sections[{i}]")
                for i, s in enumerate(v.listed(sections, "sections", "list sections"))
            ],
        )
        message = ListMessage(
            wa_id=self._to(to),
            header=_interactive_header(header),
            body=body,
            footer=footer,
            action=action,
        )
        return await self._deliver(message)

    @operation
    async def send_product(
        self,
        to: str,
        catalog_id: str,
        product_retailer_id: str,
        *,
        body: str | None = None,
        footer: str | None = None,
    ) -> SentMessage:
        """Send one product of a catalog
        (``POST /api/v1/messages/send-single-product-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``catalog_id``, ``product_retailer_id``: not blank, at most 200 characters each.
        - ``body``: at most 1024 characters; left out when ``None``.
        - ``footer``: at most 60 characters; left out when ``None``.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` (``to``, ``action.catalog_id``,
        ``action.product_retailer_id``, ``body``, ``footer``) before any request;
        ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``UnprocessableEntityError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_product("628123456789", catalog_id, "abcd12345")
        print(sent.id)
        ```
        """
        action = ProductAction(catalog_id=catalog_id, product_retailer_id=product_retailer_id)
        return await self._deliver(
            ProductMessage(wa_id=self._to(to), body=body, footer=footer, action=action)
        )

    @operation
    async def send_product_list(
        self,
        to: str,
        catalog_id: str,
        sections: Sequence[ProductSection | Mapping[str, Any]],
        *,
        header: str,
        body: str,
        footer: str | None = None,
    ) -> SentMessage:
        """Send up to 30 products of a catalog, in up to 10 sections
        (``POST /api/v1/messages/send-multi-product-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``catalog_id``: not blank, at most 200 characters.
        - ``sections``: 1 to 10 (``ProductSection`` or ``{"title": ...,
          "product_items": [{"product_retailer_id": ...}]}``), each with at least one
          product, at most 30 in all; a ``title`` (at most 24 characters) is required when
          there are several; a ``product_retailer_id`` has at most 200 characters.
        - ``header``: a plain text, not blank, at most 60 characters.
        - ``body``: not blank, at most 1024 characters.
        - ``footer``: at most 60 characters.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` naming the field at fault (``to``, ``header``,
        ``action.sections[0].product_items[3].product_retailer_id``, ...) before any
        request; ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``UnprocessableEntityError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        sections = [{"product_items": [{"product_retailer_id": "abcd12345"}]}]
        await client.messages.send_product_list(to, catalog_id, sections, header="New", body="Hi")
        ```
        """
        action = ProductListAction(
            catalog_id=catalog_id,
            sections=[
                v.convert(s, ProductSection, f"sections[{i}]")
                for i, s in enumerate(v.listed(sections, "sections", "product sections"))
            ],
        )
        message = ProductListMessage(
            wa_id=self._to(to), header=header, body=body, footer=footer, action=action
        )
        return await self._deliver(message)

    @operation
    async def send_flow(
        self,
        to: str,
        *,
        flow_id: str,
        flow_cta: str,
        body: str,
        header: HeaderArg = None,
        footer: str | None = None,
        flow_action: str = "navigate",
        flow_action_payload: Mapping[str, Any] | None = None,
        flow_token: str | None = None,
        flow_message_version: str = "3",
    ) -> SentMessage:
        """Send a WhatsApp Flow (``POST /api/v1/messages/send-flow-message``).

        - ``to``: the recipient's number with country code, 8 to 15 digits.
        - ``flow_id``: not blank, at most 200 characters.
        - ``flow_cta``: the button text, not blank, at most 20 characters.
        - ``body``: not blank, at most 1024 characters.
        - ``header``: as for ``send_reply_buttons``: a string (at most 60 characters) or an
          image, video or document header with an http(s) ``link``.
        - ``footer``: at most 60 characters.
        - ``flow_action``: ``"navigate"`` (the default) or ``"data_exchange"``.
        - ``flow_action_payload``: e.g. ``{"screen": "WELCOME_SCREEN", "data": {...}}``;
          ``screen`` a string, ``data`` an object.
        - ``flow_token``: yours, sent back with the flow's answers; left out when ``None``.
        - ``flow_message_version``: not blank, ``"3"`` by default.

        Returns the ``SentMessage`` (``id``).

        Raises ``ValidationError`` naming the field at fault (``to``, ``body``,
        ``action.parameters.flow_cta``, ...) before any request; ``SandboxUnsupportedError``
        in sandbox mode; ``AuthenticationError``, ``UnprocessableEntityError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        sent = await client.messages.send_flow("628123456789", flow_id=flow_id, flow_cta="Book",
                                               body="Book a visit", flow_action_payload=payload)
        ```
        """
        parameters = FlowParameters(
            flow_message_version=flow_message_version,
            flow_id=flow_id,
            flow_cta=flow_cta,
            flow_action=flow_action,
            flow_action_payload=dict(flow_action_payload)
            if flow_action_payload is not None
            else None,
            flow_token=flow_token,
        )
        message = FlowMessage(
            wa_id=self._to(to),
            header=_interactive_header(header),
            body=body,
            footer=footer,
            action=FlowAction(parameters=parameters),
        )
        return await self._deliver(message)

    @operation
    async def mark_read(self, message_id: str) -> None:
        """Mark a received message as read (``PUT /api/v1/messages/{message_id}/read``, no
        body); the customer sees blue ticks.

        - ``message_id``: the ``id`` of an inbound message, not blank, at most 512
          characters.

        Returns ``None``.

        Raises ``ValidationError`` (``message_id``) before any request;
        ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``); ``ClientClosedError`` after close.

        ```python
        async def on_message(message):
            await client.messages.mark_read(message.id)
        ```
        """
        v.text(message_id, "message_id", _limits.MESSAGE_ID_MAX)
        await self._client.request(MARK_READ, path_args=(message_id,))
