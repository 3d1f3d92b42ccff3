"""Webhook notifications: what IVOWBA posts to your endpoint, typed.

A notification is the WhatsApp On-Premises payload: top-level ``contacts`` (who wrote),
``messages`` (what customers sent) and ``statuses`` (what became of what you sent), plus
``errors`` when the gateway reports one. Every struct keeps the wire's field names, with
``from_`` for ``from``::

    notification = ivowaba.webhooks.parse(body)
    for message in notification.messages:
        if isinstance(message, InboundText):
            print(message.from_, message.text.body)
    for status in notification.statuses:
        if status.is_retryable_failure:
            ...  # 480: send again in a few minutes

Each message is one struct per ``type``. A type this SDK does not know yet, or a known type
whose content does not have the documented shape, becomes an :class:`UnknownMessage` keeping
the decoded object in ``.raw``: a new message type from WhatsApp never breaks a receiver.
Anything that is not a notification at all raises :class:`~ivowaba.WebhookParseError`.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec

from ivowaba._errors import WebhookParseError
from ivowaba._json import decode_any
from ivowaba.types._base import Inbound
from ivowaba.types.contacts import (
    ContactAddress,
    ContactCard,
    ContactEmail,
    ContactIM,
    ContactName,
    ContactOrg,
    ContactPhone,
    ContactUrl,
)

__all__ = [
    "RETRYABLE_ERROR_CODES",
    "ButtonReply",
    "Contact",
    "Context",
    "Conversation",
    "ConversationOrigin",
    "ErrorDetail",
    "FlowReply",
    "Identity",
    "InboundAudio",
    "InboundButton",
    "InboundContacts",
    "InboundDocument",
    "InboundImage",
    "InboundInteractive",
    "InboundLocation",
    "InboundMedia",
    "InboundMessage",
    "InboundOrder",
    "InboundReaction",
    "InboundSticker",
    "InboundSystem",
    "InboundText",
    "InboundVideo",
    "InboundVoice",
    "Interactive",
    "ListReply",
    "Location",
    "Notification",
    "Order",
    "OrderProduct",
    "Pricing",
    "Profile",
    "QuickReply",
    "Reaction",
    "Referral",
    "ReferredProduct",
    "SharedContact",
    "SharedContactAddress",
    "SharedContactEmail",
    "SharedContactIM",
    "SharedContactName",
    "SharedContactOrg",
    "SharedContactPhone",
    "SharedContactUrl",
    "Status",
    "StickerMedia",
    "StickerMetadata",
    "System",
    "Text",
    "UnknownMessage",
]

#: Status error codes after which sending the same message again later may succeed.
#: 480 (identity change of the contact): the reference says "you may send the message a next
#: few minutes" (Message Status Notifications, "Message Failed").
RETRYABLE_ERROR_CODES = frozenset({480})


class _In(Inbound, omit_defaults=True, repr_omit_defaults=True):
    """An inbound struct whose repr and encoding leave out the fields the wire left out."""


# -- parts shared by messages and statuses ---------------------------------------------------


class ErrorDetail(_In):
    """One WhatsApp error: ``code`` (e.g. 470, 480), ``title``, and ``href``/``details``
    when given."""

    code: int
    title: str | None = None
    href: str | None = None
    details: str | None = None


class Profile(_In):
    name: str | None = None


class Contact(_In):
    """The sender of inbound messages: ``wa_id`` and the WhatsApp profile ``name``."""

    wa_id: str
    profile: Profile | None = None


class ReferredProduct(_In):
    catalog_id: str | None = None
    product_retailer_id: str | None = None


class Context(_In):
    """What an inbound message replies to: ``id`` of the earlier message and its sender
    ``from_``; ``forwarded`` flags and the product asked about, when given."""

    id: str | None = None
    from_: str | None = msgspec.field(default=None, name="from")
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None
    referred_product: ReferredProduct | None = None


class Identity(_In):
    """The sender's identity key, sent when identity change checks are on."""

    acknowledged: bool | None = None
    created_timestamp: int | None = None
    hash: str | None = None


class InboundMedia(_In):
    """A received file. Download it with ``client.media.download(media.id)``."""

    id: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    file: str | None = None
    link: str | None = None


class StickerMetadata(_In, rename="kebab"):
    """A sticker pack's metadata (wire keys are kebab-case: ``sticker-pack-id`` ...)."""

    sticker_pack_id: str | None = None
    sticker_pack_name: str | None = None
    sticker_pack_publisher: str | None = None
    emojis: list[str] = msgspec.field(default_factory=list)
    ios_app_store_link: str | None = None
    android_app_store_link: str | None = None
    is_first_party_sticker: int | None = None


class StickerMedia(InboundMedia):
    animated: bool | None = None
    metadata: StickerMetadata | None = None


class Referral(_In):
    """The ad or post a customer clicked before writing (click-to-WhatsApp)."""

    source_url: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image: InboundMedia | None = None
    video: InboundMedia | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None


# -- message contents ------------------------------------------------------------------------


class Text(_In):
    body: str


class Location(_In):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class SharedContactAddress(ContactAddress, forbid_unknown_fields=False, repr_omit_defaults=True):
    pass


class SharedContactEmail(ContactEmail, forbid_unknown_fields=False, repr_omit_defaults=True):
    pass


class SharedContactIM(ContactIM, forbid_unknown_fields=False, repr_omit_defaults=True):
    pass


class SharedContactName(ContactName, forbid_unknown_fields=False, repr_omit_defaults=True):
    pass


class SharedContactOrg(ContactOrg, forbid_unknown_fields=False, repr_omit_defaults=True):
    pass


class SharedContactPhone(ContactPhone, forbid_unknown_fields=False, repr_omit_defaults=True):
    pass


class SharedContactUrl(ContactUrl, forbid_unknown_fields=False, repr_omit_defaults=True):
    pass


class SharedContact(ContactCard, forbid_unknown_fields=False, repr_omit_defaults=True):
    """A contact card a customer shared. It is a :class:`~ivowaba.ContactCard`, so it can be
    sent on as it is with ``client.messages.send_contacts(to, message.contacts)``."""

    # The same fields, decoded into the twins that ignore unknown keys (lists are invariant
    # for mypy, hence the ignores; every element is still a ContactCard part).
    name: SharedContactName | None = None
    addresses: list[SharedContactAddress] | None = None  # type: ignore[assignment]
    emails: list[SharedContactEmail] | None = None  # type: ignore[assignment]
    ims: list[SharedContactIM] | None = None  # type: ignore[assignment]
    org: SharedContactOrg | None = None
    phones: list[SharedContactPhone] | None = None  # type: ignore[assignment]
    urls: list[SharedContactUrl] | None = None  # type: ignore[assignment]


class ButtonReply(_In):
    """The reply button the customer tapped: the ``id`` and ``title`` you sent."""

    id: str
    title: str | None = None


class ListReply(_In):
    """The list row the customer picked: the ``id``, ``title`` and ``description`` you sent."""

    id: str
    title: str | None = None
    description: str | None = None


class FlowReply(_In):
    """A completed WhatsApp Flow: ``response_json`` is the flow's answer as a JSON string."""

    response_json: str
    name: str | None = None
    body: str | None = None

    @property
    def response(self) -> Any:
        """``response_json`` decoded."""
        return msgspec.json.decode(self.response_json)


class Interactive(_In):
    """The answer to an interactive message: ``type`` is ``"button_reply"``, ``"list_reply"``
    or ``"nfm_reply"`` (a flow), and the matching field is set."""

    type: str
    button_reply: ButtonReply | None = None
    list_reply: ListReply | None = None
    nfm_reply: FlowReply | None = None


class QuickReply(_In):
    """A template's quick-reply button the customer tapped: its ``text`` and ``payload``."""

    text: str | None = None
    payload: str | None = None


class Reaction(_In):
    """An emoji reaction to ``message_id``; ``emoji`` is empty or absent when removed."""

    message_id: str
    emoji: str | None = None


class OrderProduct(_In):
    product_retailer_id: str
    quantity: int | None = None
    item_price: float | None = None
    currency: str | None = None


class Order(_In):
    """A cart sent from a catalog."""

    catalog_id: str | None = None
    text: str | None = None
    product_items: list[OrderProduct] = msgspec.field(default_factory=list)


class System(_In):
    """A system event: ``type`` is e.g. ``"user_changed_number"`` (then ``new_wa_id`` is the
    customer's new number) or ``"customer_identity_changed"``."""

    body: str | None = None
    type: str | None = None
    new_wa_id: str | None = None
    wa_id: str | None = None
    identity: str | None = None
    customer: str | None = None


# -- messages --------------------------------------------------------------------------------


class _Envelope(_In):
    """What every inbound message carries, whatever its type."""

    id: str
    from_: str = msgspec.field(name="from")
    timestamp: str
    context: Context | None = None
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)
    identity: Identity | None = None
    referral: Referral | None = None


class _Typed(_Envelope, tag_field="type"):
    """A message of a known type: the ``type`` of the wire is the struct's tag."""

    @property
    def type(self) -> str:
        """The wire's ``type``: ``"text"``, ``"image"``, ..."""
        return str(self.__struct_config__.tag)


class InboundText(_Typed, tag="text", kw_only=True):
    """A text message: ``message.text.body``."""

    text: Text


class InboundImage(_Typed, tag="image", kw_only=True):
    image: InboundMedia


class InboundDocument(_Typed, tag="document", kw_only=True):
    document: InboundMedia


class InboundAudio(_Typed, tag="audio", kw_only=True):
    audio: InboundMedia


class InboundVoice(_Typed, tag="voice", kw_only=True):
    voice: InboundMedia


class InboundVideo(_Typed, tag="video", kw_only=True):
    video: InboundMedia


class InboundSticker(_Typed, tag="sticker", kw_only=True):
    sticker: StickerMedia


class InboundLocation(_Typed, tag="location", kw_only=True):
    location: Location


class InboundContacts(_Typed, tag="contacts", kw_only=True):
    contacts: list[SharedContact]


class InboundInteractive(_Typed, tag="interactive", kw_only=True):
    """A tapped reply button (``interactive.button_reply.id``), a picked list row
    (``interactive.list_reply.id``) or a completed flow (``interactive.nfm_reply``)."""

    interactive: Interactive


class InboundButton(_Typed, tag="button", kw_only=True):
    """A tapped quick-reply button of a template: ``button.payload``, ``button.text``."""

    button: QuickReply


class InboundReaction(_Typed, tag="reaction", kw_only=True):
    reaction: Reaction


class InboundOrder(_Typed, tag="order", kw_only=True):
    order: Order


class InboundSystem(_Typed, tag="system", kw_only=True):
    system: System


class UnknownMessage(_Envelope, kw_only=True):
    """A message of a type this SDK does not know yet, or whose content does not have the
    documented shape.

    - ``type``: the wire's ``type`` (``"unknown"`` is what WhatsApp itself sends for a message
      it cannot show, with ``errors`` saying why).
    - ``raw``: the whole message object as decoded from JSON.
    - ``reason``: why a known type could not be read; ``None`` when the type is simply new.
    """

    type: str
    raw: dict[str, Any] = msgspec.field(default_factory=dict)
    reason: str | None = None


_TYPED = (
    InboundText,
    InboundImage,
    InboundDocument,
    InboundAudio,
    InboundVoice,
    InboundVideo,
    InboundSticker,
    InboundLocation,
    InboundContacts,
    InboundInteractive,
    InboundButton,
    InboundReaction,
    InboundOrder,
    InboundSystem,
)
_BY_TYPE: dict[str, type[_Typed]] = {str(cls.__struct_config__.tag): cls for cls in _TYPED}

_KnownMessage = (
    InboundText
    | InboundImage
    | InboundDocument
    | InboundAudio
    | InboundVoice
    | InboundVideo
    | InboundSticker
    | InboundLocation
    | InboundContacts
    | InboundInteractive
    | InboundButton
    | InboundReaction
    | InboundOrder
    | InboundSystem
)

#: Any inbound message; ``message.type`` says which.
InboundMessage = _KnownMessage | UnknownMessage


# -- statuses --------------------------------------------------------------------------------


class ConversationOrigin(_In):
    type: str | None = None


class Conversation(_In):
    """The conversation a message was billed in: ``origin.type`` is its category."""

    id: str | None = None
    expiration_timestamp: int | None = None
    origin: ConversationOrigin | None = None


class Pricing(_In):
    billable: bool | None = None
    category: str | None = None
    pricing_model: str | None = None


class Status(_In):
    """What became of a message you sent.

    - ``id``: the message id that ``messages.send_*`` returned.
    - ``status``: ``"sent"``, ``"delivered"``, ``"read"``, ``"deleted"`` or ``"failed"``.
    - ``errors``: why it failed (``errors[0].code``, ``.title``).
    """

    id: str
    status: str
    timestamp: str
    recipient_id: str | None = None
    type: str | None = None
    conversation: Conversation | None = None
    pricing: Pricing | None = None
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)

    @property
    def is_retryable_failure(self) -> bool:
        """True for a failure worth sending again in a few minutes (error 480)."""
        return self.status == "failed" and any(
            error.code in RETRYABLE_ERROR_CODES for error in self.errors
        )


# -- the notification ------------------------------------------------------------------------


class Notification(_In):
    """One webhook delivery. Every list is empty when the wire left it out."""

    contacts: list[Contact] = msgspec.field(default_factory=list)
    messages: list[InboundMessage] = msgspec.field(default_factory=list)
    statuses: list[Status] = msgspec.field(default_factory=list)
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)


class _AllKnown(_In):
    """A notification whose messages all have a known type: decoded in one pass."""

    contacts: list[Contact] = msgspec.field(default_factory=list)
    messages: list[_KnownMessage] = msgspec.field(default_factory=list)
    statuses: list[Status] = msgspec.field(default_factory=list)
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)


class _Rest(_In):
    """Everything of a notification but its messages."""

    contacts: list[Contact] = msgspec.field(default_factory=list)
    statuses: list[Status] = msgspec.field(default_factory=list)
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)


_KEYS = frozenset({"contacts", "messages", "statuses", "errors"})
_decode_all_known = msgspec.json.Decoder(_AllKnown).decode


def notification_from_json(data: bytes | bytearray | memoryview | str) -> Notification:
    """Decode one notification from its JSON text.

    Raises :class:`~ivowaba.WebhookParseError` when ``data`` is not JSON or not a notification.
    """
    try:
        if isinstance(data, str):
            data = data.encode("utf-8")
        fast = _decode_all_known(data)
    except msgspec.ValidationError:
        pass  # an unknown message type, or not a notification: decide on the decoded object
    except (msgspec.DecodeError, RecursionError, UnicodeError) as exc:
        raise WebhookParseError(f"the body is not JSON: {exc}") from None
    else:
        if fast.messages or fast.statuses or fast.contacts or fast.errors:
            return Notification(
                contacts=fast.contacts,
                messages=cast("list[InboundMessage]", fast.messages),
                statuses=fast.statuses,
                errors=fast.errors,
            )
    try:
        decoded = decode_any(data)
    except (msgspec.DecodeError, RecursionError, UnicodeError) as exc:
        raise WebhookParseError(f"the body is not JSON: {exc}") from None
    return notification_from_object(decoded)


def notification_from_object(obj: object) -> Notification:
    """Build a notification from its decoded JSON object (a ``dict``).

    Raises :class:`~ivowaba.WebhookParseError` for anything that is not a notification: not an
    object, none of ``contacts``/``messages``/``statuses``/``errors``, a list that is not a
    list, a message without ``id``/``from``/``timestamp``/``type``, a malformed status.
    """
    if isinstance(obj, Notification):
        return obj
    if not isinstance(obj, dict):
        raise WebhookParseError(f"a notification is a JSON object, not {type(obj).__name__}")
    if not _KEYS.intersection(obj):
        raise WebhookParseError("not a notification: none of contacts, messages, statuses, errors")
    try:
        rest = msgspec.convert(obj, _Rest)
    except (msgspec.ValidationError, RecursionError) as exc:
        raise WebhookParseError(f"not a notification: {exc}") from None
    raw_messages = obj.get("messages", [])
    if not isinstance(raw_messages, list):
        raise WebhookParseError("not a notification: `messages` is not a list")
    messages = [_message(raw, index) for index, raw in enumerate(raw_messages)]
    return Notification(
        contacts=rest.contacts, messages=messages, statuses=rest.statuses, errors=rest.errors
    )


class _UnknownEnvelope(_Envelope, kw_only=True):
    type: str


def _message(raw: object, index: int) -> InboundMessage:
    """One message: its own struct when its type is known and its shape right, else an
    ``UnknownMessage``; raises when it is not a message at all."""
    if not isinstance(raw, dict):
        raise WebhookParseError(f"messages[{index}] is not an object")
    try:
        envelope = msgspec.convert(raw, _UnknownEnvelope)
    except (msgspec.ValidationError, RecursionError) as exc:
        raise WebhookParseError(f"messages[{index}] is not a message: {exc}") from None
    cls = _BY_TYPE.get(envelope.type)
    reason = None
    if cls is not None:
        try:
            return msgspec.convert(raw, cls)  # type: ignore[return-value]
        except (msgspec.ValidationError, RecursionError) as exc:
            reason = str(exc)
    return UnknownMessage(
        id=envelope.id,
        from_=envelope.from_,
        timestamp=envelope.timestamp,
        type=envelope.type,
        context=envelope.context,
        errors=envelope.errors,
        identity=envelope.identity,
        referral=envelope.referral,
        raw=raw,
        reason=reason,
    )
