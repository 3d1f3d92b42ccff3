"""``client.messages``: send every kind of WhatsApp message, and mark received ones read."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

import msgspec

from ivowaba import _json, _limits
from ivowaba import _validation as v
from ivowaba._bulk import send_concurrently as _send_concurrently
from ivowaba._client import Endpoint
from ivowaba._errors import ValidationError
from ivowaba._message_checks import check as _check_message
from ivowaba._outbound import message_from_dict, template_components, url_button
from ivowaba._resource import Mode, Resource, iterator, operation
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

_API = "/api/v1/messages"


def _send(name: str, path: str, *, sandbox: bool) -> Endpoint:
    return Endpoint(f"messages.{name}", "POST", f"{_API}/{path}", sandbox=sandbox)


#: Where each kind of message is sent; ``sandbox`` marks those the sandbox accepts.
ENDPOINTS: dict[type[Any], Endpoint] = {
    TextMessage: _send("send_text", "send-text-message", sandbox=True),
    TemplateMessage: _send("send_template", "send-template-message", sandbox=True),
    MediaMessage: _send("send_media", "send-media-message", sandbox=True),
    LocationMessage: _send("send_location", "send-location-message", sandbox=True),
    ContactsMessage: _send("send_contacts", "send-contact-message", sandbox=True),
    ListMessage: _send("send_list", "send-list-message", sandbox=True),
    ReplyButtonsMessage: _send("send_reply_buttons", "send-reply-button-message", sandbox=True),
    ProductMessage: _send("send_product", "send-single-product-message", sandbox=False),
    ProductListMessage: _send("send_product_list", "send-multi-product-message", sandbox=False),
    FlowMessage: _send("send_flow", "send-flow-message", sandbox=False),
}
MARK_READ = Endpoint("messages.mark_read", "PUT", f"{_API}/{{}}/read")


class _SendAnswer(msgspec.Struct):
    messages: list[SentMessage]


_decode_send_answer = _json.decode_as(_SendAnswer)


def _decode_sent(body: bytes) -> SentMessage:
    messages = _decode_send_answer(body).messages
    if not messages:
        raise ValueError("no message id in the answer")
    return messages[0]


HeaderArg = str | InteractiveHeader | Mapping[str, Any] | None


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
    request; a breach raises ``ValidationError`` naming the field and the rule.
    """

    # -- the one way out ---------------------------------------------------------------------

    async def _deliver(self, message: OutboundMessage, *, checked: bool = False) -> SentMessage:
        if not checked:
            _check_message(message)
        return await self._client.call(
            ENDPOINTS[type(message)], _decode_sent, body=_json.encode(message)
        )

    def _to(self, to: object, field: str = "to") -> str:
        return v.wa_id(to, field=field, default_country_code=self._client.default_country_code)

    async def _send_any(self, message: OutboundMessage | Mapping[str, Any]) -> SentMessage:
        if not isinstance(message, msgspec.Struct):
            message = message_from_dict(message)
        if type(message) not in ENDPOINTS:
            raise ValidationError("message", f"not an outbound message: {type(message).__name__}")
        normalized = self._to(message.wa_id, "wa_id")
        if normalized != message.wa_id:
            message = msgspec.structs.replace(message, wa_id=normalized)
        return await self._deliver(message)

    @operation
    async def send(self, message: OutboundMessage | Mapping[str, Any]) -> SentMessage:
        """Send any outbound message struct (``TextMessage``, ``TemplateMessage``, ...).

        A dict is accepted too when it names its kind in ``"type"`` (see
        ``ivowaba.message_from_dict``).
        """
        return await self._send_any(message)

    @iterator
    def send_many(
        self,
        messages: Iterable[OutboundMessage | Mapping[str, Any]]
        | AsyncIterable[OutboundMessage | Mapping[str, Any]],
        *,
        concurrency: int = 32,
    ) -> AsyncIterator[BulkResult]:
        """Send many messages, at most ``concurrency`` at a time; yield one ``BulkResult``
        per input, in the order they finish.

        ``messages`` is read lazily (a generator of a million items keeps memory flat) and
        may be async. A failed message (bad input, an API error, a lost connection) becomes
        its result's ``error``; nothing stops the batch but leaving the loop, which cancels
        the sends in flight. The client's rate limit and retry rules apply to every send.

        ```python
        async for result in client.messages.send_many(messages, concurrency=64):
            print(result.index, result.id or result.error)
        ```
        """
        return _send_concurrently(self._send_any, messages, concurrency)

    # -- one method per kind -----------------------------------------------------------------

    @operation
    async def send_text(
        self, to: str, text: str, *, preview_url: bool | None = None
    ) -> SentMessage:
        """Send a text message (at most 4096 characters)."""
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
        """Send an approved template.

        - ``header``: a string (one text parameter) or one parameter object
          (``{"type": "image", "image": {"link": ...}}``).
        - ``body``: the body parameters, strings or parameter objects, in ``{{n}}`` order.
        - ``buttons``: button components (``{"type": "button", "sub_type": "url",
          "index": 0, "parameters": [...]}``).
        - ``components``: the raw component list, instead of the three above.
        - ``check``: fetch the template once (cached) and raise ``ValidationError`` when a
          header, body or dynamic URL button gets a different number of parameters than it
          has placeholders. Default: the client's ``check_templates``.

        With no parameters at all it sends ``components: [{"type": "body"}]``.
        """
        wa_id = self._to(to)
        if components is not None:
            if header is not None or body or buttons:
                raise ValidationError(
                    "components", "pass components or header/body/buttons, not both"
                )
            parts = [
                v.convert(c, TemplateComponent, f"components[{i}]")
                for i, c in enumerate(components)
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
        """Send a one-time password with an authentication template: the code goes in the
        body and in the copy-code (URL) button, as the reference's OTP example does."""
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
        """Send media by link: ``type`` is audio, document, image, sticker or video."""
        return await self._media(to, type, link, caption, filename)

    @operation
    async def send_image(self, to: str, *, link: str, caption: str | None = None) -> SentMessage:
        """Send an image by link, with an optional caption (at most 1024 characters)."""
        return await self._media(to, "image", link, caption)

    @operation
    async def send_document(
        self, to: str, *, link: str, caption: str | None = None, filename: str | None = None
    ) -> SentMessage:
        """Send a document by link; ``filename`` is what the recipient sees."""
        return await self._media(to, "document", link, caption, filename)

    @operation
    async def send_audio(self, to: str, *, link: str) -> SentMessage:
        """Send an audio file by link."""
        return await self._media(to, "audio", link)

    @operation
    async def send_video(self, to: str, *, link: str, caption: str | None = None) -> SentMessage:
        """Send a video by link, with an optional caption."""
        return await self._media(to, "video", link, caption)

    @operation
    async def send_sticker(self, to: str, *, link: str) -> SentMessage:
        """Send a sticker (webp) by link."""
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
        """Send a static location."""
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
        """Send one or more contact cards (``ContactCard`` or dicts in the wire shape)."""
        if isinstance(contacts, (Mapping, ContactCard)):
            contacts = [contacts]
        cards = [v.convert(c, ContactCard, f"contacts[{i}]") for i, c in enumerate(contacts)]
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
        """Send up to 3 quick-reply buttons (``{"id": ..., "title": ...}``).

        ``header`` is a string (a text header) or ``{"type": "image", "link": ...}``.
        """
        action = ReplyButtonsAction(
            buttons=[v.convert(b, ReplyButton, f"buttons[{i}]") for i, b in enumerate(buttons)]
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
        """Send a list message: ``button`` opens a menu of ``sections`` of rows (at most 10
        rows in all)."""
        action = ListAction(
            button=button,
            sections=[v.convert(s, ListSection, f"sections[{i}]") for i, s in enumerate(sections)],
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
        """Send one product of a catalog."""
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
        """Send up to 30 products of a catalog, in up to 10 sections."""
        action = ProductListAction(
            catalog_id=catalog_id,
            sections=[
                v.convert(s, ProductSection, f"sections[{i}]") for i, s in enumerate(sections)
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
        """Send a WhatsApp Flow: ``flow_cta`` is the button text (at most 20 characters);
        ``flow_action_payload`` e.g. ``{"screen": "WELCOME_SCREEN"}``."""
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
        """Mark a received message as read (the customer sees blue ticks)."""
        v.text(message_id, "message_id", _limits.MESSAGE_ID_MAX)
        await self._client.request(MARK_READ, path_args=(message_id,))
