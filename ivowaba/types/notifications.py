"""Webhook notifications: what IVOWBA posts to your endpoint, typed.

A notification comes in either of two shapes, read alike with no configuration:

- the reference's (WhatsApp On-Premises): top-level ``contacts`` (who wrote), ``messages``
  (what customers sent) and ``statuses`` (what became of what you sent), plus ``errors`` when
  the gateway reports one;
- the WhatsApp Cloud API envelope, ``{"object": "whatsapp_business_account", "entry": [{"id":
  ..., "changes": [{"field": "messages", "value": {"metadata": {...}, "contacts": [...],
  "messages": [...], "statuses": [...]}}]}]}``: every contact, message and status of all its
  entries and changes, in order, each with the ``business_number`` it came for; a change
  whose ``field`` is not ``messages`` is kept in ``other_changes``.

Every struct keeps the wire's field names, with ``from_`` for ``from``::

    notification = ivowaba.webhooks.parse(body)
    for message in notification.messages:
        if isinstance(message, InboundText):
            print(message.from_, message.text.body)
    for status in notification.statuses:
        if status.is_retryable_failure:
            ...  # 480, 131000, 130429...: send again in a few minutes

Each message is one struct per ``type``. A type this SDK does not know yet, or a known type
whose content does not have the documented shape, becomes an :class:`UnknownMessage` keeping
the decoded object in ``.raw``: a new message type from WhatsApp never breaks a receiver.
Anything that is not a notification at all raises :class:`~ivowaba.WebhookParseError`.

What an error code means and what to do about it is in one table,
:mod:`ivowaba.types.error_codes` (``ErrorCode``); ``error.retryable`` and
``status.is_retryable_failure`` are read from it.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar, cast

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
from ivowaba.types.error_codes import (
    OPT_OUT_ERROR_CODES,
    RETRYABLE_ERROR_CODES,
    WINDOW_CLOSED_ERROR_CODES,
    ErrorCode,
    Remedy,
)

__all__ = [
    "OPT_OUT_ERROR_CODES",
    "RETRYABLE_ERROR_CODES",
    "WINDOW_CLOSED_ERROR_CODES",
    "BusinessNumber",
    "ButtonReply",
    "Change",
    "Contact",
    "Context",
    "Conversation",
    "ConversationOrigin",
    "ErrorCode",
    "ErrorData",
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
    "InboundRequestWelcome",
    "InboundSticker",
    "InboundSystem",
    "InboundText",
    "InboundUnsupported",
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
    "Remedy",
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
    "Unsupported",
    "WelcomeMessage",
]

_T = TypeVar("_T")


class _In(Inbound, omit_defaults=True, repr_omit_defaults=True):
    """An inbound struct whose repr and encoding leave out the fields the wire left out."""


# -- parts shared by messages and statuses ---------------------------------------------------


class ErrorData(_In):
    """A Cloud API error's ``error_data``: ``details`` says more than the title."""

    details: str | None = None


class ErrorDetail(_In):
    """One WhatsApp error: ``code`` (e.g. 470 or 131047, 480), ``title``; ``href`` and
    ``details`` (On-Premises) or ``message`` and ``error_data.details`` (Cloud API) when
    given.

    ``known`` is the code's entry in :class:`~ivowaba.types.error_codes.ErrorCode` (its
    meaning, what to do, its ``remedy``), ``None`` for a code not in the table; ``retryable``
    says whether sending the same message again later can help. The repr shows the meaning.
    """

    code: int
    title: str | None = None
    message: str | None = None
    href: str | None = None
    details: str | None = None
    error_data: ErrorData | None = None

    @property
    def known(self) -> ErrorCode | None:
        """The code's entry in the error-code table, or ``None`` when it is not there."""
        return ErrorCode.lookup(self.code)

    @property
    def retryable(self) -> bool:
        """True when sending the same message again later can help: a passing fault (480,
        131000, 131016...) or a rate limit (130429, 131056...)."""
        return self.code in RETRYABLE_ERROR_CODES

    @property
    def explanation(self) -> str | None:
        """The longest account WhatsApp gave: ``error_data.details``, ``details``,
        ``message`` or ``title``, the first that is there."""
        data = self.error_data.details if self.error_data is not None else None
        return data or self.details or self.message or self.title

    def __repr__(self) -> str:
        known = self.known
        text = super().__repr__()
        if known is None:
            return text
        return f"{text[:-1]}, meaning={known.describe()!r})"


class BusinessNumber(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, repr_omit_defaults=True
):
    """The business number a Cloud API notification came for (its ``metadata``), and the
    WhatsApp Business Account of its entry: ``phone_number_id``, ``display_phone_number``,
    ``account_id``; each ``None`` when the envelope left it out."""

    phone_number_id: str | None = None
    display_phone_number: str | None = None
    account_id: str | None = None


class Profile(_In):
    name: str | None = None


class Contact(_In):
    """The sender of inbound messages: ``wa_id`` and the WhatsApp profile ``name``
    (``business_number``: see :class:`Status`)."""

    wa_id: str
    profile: Profile | None = None
    business_number: BusinessNumber | None = None


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
    url: str | None = None
    voice: bool | None = None


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


class WelcomeMessage(_In):
    """The welcome text of a click-to-WhatsApp ad."""

    text: str | None = None


class Referral(_In):
    """The ad or post a customer clicked before writing (click-to-WhatsApp): its
    ``source_url``, ``source_type`` (``"ad"`` or ``"post"``), ``headline``, ``body``, media, and
    ``ctwa_clid``, the click's id."""

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
    welcome_message: WelcomeMessage | None = None


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
    """A completed WhatsApp Flow: ``response_json`` is the flow's answer as a JSON string,
    ``response`` the same decoded (``{"flow_token": ..., ...}``)."""

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
    """A system event: ``type`` is ``"user_changed_number"`` (On-Premises) or
    ``"customer_changed_number"`` (Cloud API), then ``new_wa_id`` (or ``wa_id``) is the
    customer's new number; or ``"customer_identity_changed"``."""

    body: str | None = None
    type: str | None = None
    new_wa_id: str | None = None
    wa_id: str | None = None
    identity: str | None = None
    customer: str | None = None


# -- messages --------------------------------------------------------------------------------


class Unsupported(_In):
    """What a Cloud API ``unsupported`` message was, when it says (``type``, e.g.
    ``"edit"``)."""

    type: str | None = None


class _Envelope(_In):
    """What every inbound message carries, whatever its type (``business_number``: see
    :class:`Status`)."""

    id: str
    from_: str = msgspec.field(name="from")
    timestamp: str
    context: Context | None = None
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)
    identity: Identity | None = None
    referral: Referral | None = None
    business_number: BusinessNumber | None = None


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
    """A system event, e.g. the customer changed number (``system.new_wa_id``)."""

    system: System


class InboundUnsupported(_Typed, tag="unsupported", kw_only=True):
    """A message WhatsApp cannot show (Cloud API): ``errors`` say why (131051), and
    ``unsupported.type`` what it was, when given. The On-Premises equivalent, type
    ``"unknown"``, is an :class:`UnknownMessage`."""

    unsupported: Unsupported | None = None


class InboundRequestWelcome(_Typed, tag="request_welcome", kw_only=True):
    """A customer opening a chat with the business for the first time (Cloud API): the
    moment for a welcome message. It carries nothing but the envelope."""


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
    InboundUnsupported,
    InboundRequestWelcome,
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
    | InboundUnsupported
    | InboundRequestWelcome
)

#: Any inbound message; ``message.type`` says which.
InboundMessage = _KnownMessage | UnknownMessage


# -- statuses --------------------------------------------------------------------------------


class ConversationOrigin(_In):
    type: str | None = None


class Conversation(_In):
    """The conversation a message was billed in: ``origin.type`` is its category."""

    id: str | None = None
    expiration_timestamp: int | None = None  # the Cloud API sends it as a string: read as int
    origin: ConversationOrigin | None = None


class Pricing(_In):
    """How a message is billed: ``pricing_model`` (``"CBP"`` per conversation, ``"PMP"`` per
    message), ``category`` (``"marketing"``, ``"utility"``, ``"authentication"``,
    ``"service"``...), ``billable``, and ``type`` (``"regular"``, ``"free_customer_service"``...)
    when given."""

    billable: bool | None = None
    category: str | None = None
    pricing_model: str | None = None
    type: str | None = None


class Status(_In):
    """What became of a message you sent.

    - ``id``: the message id that ``messages.send_*`` returned (``wamid.``... on the Cloud
      API).
    - ``status``: ``"sent"``, ``"delivered"``, ``"read"``, ``"deleted"`` or ``"failed"``.
    - ``errors``: why it failed (``errors[0].code``, ``.title``, ``.retryable``).
    - ``conversation``, ``pricing``: how it is billed, on ``sent`` and ``delivered``.
    - ``biz_opaque_callback_data``: what you attached to the message when sending it (Cloud
      API).
    - ``business_number``: which business number and account it came for, from a Cloud API
      envelope; ``None`` in the reference's format.
    """

    id: str
    status: str
    timestamp: str
    recipient_id: str | None = None
    type: str | None = None
    conversation: Conversation | None = None
    pricing: Pricing | None = None
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)
    biz_opaque_callback_data: str | None = None
    business_number: BusinessNumber | None = None

    @property
    def is_retryable_failure(self) -> bool:
        """True for a failure that sending the same message again later can cure: an error
        in :data:`~ivowaba.types.error_codes.RETRYABLE_ERROR_CODES` (480, 131000, 130429...)."""
        return self.status == "failed" and any(error.retryable for error in self.errors)


# -- the notification ------------------------------------------------------------------------


class Change(_In):
    """A change of a Cloud API envelope whose ``field`` is not ``messages`` (e.g.
    ``message_template_status_update``, ``account_update``): its ``value`` as decoded from
    JSON, and the ``account_id`` of its entry."""

    field: str
    value: Any = None
    account_id: str | None = None


class Notification(_In):
    """One webhook delivery, in either shape. Every list is empty when the wire left it out.

    - ``contacts``, ``messages``, ``statuses``, ``errors``: those of the reference's format, or
      of every ``messages`` change of a Cloud API envelope, in order.
    - ``other_changes``: the envelope's changes about anything else, kept as data.
    """

    contacts: list[Contact] = msgspec.field(default_factory=list)
    messages: list[InboundMessage] = msgspec.field(default_factory=list)
    statuses: list[Status] = msgspec.field(default_factory=list)
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)
    other_changes: list[Change] = msgspec.field(default_factory=list)


#: The ``object`` of a WhatsApp Cloud API envelope.
CLOUD_OBJECT: Final = "whatsapp_business_account"
#: The ``field`` of a Cloud API change carrying contacts, messages and statuses.
MESSAGES_FIELD: Final = "messages"
#: The keys of the reference's format, any of which makes a notification.
_KEYS = frozenset({"contacts", "messages", "statuses", "errors"})


class _Metadata(_In):
    display_phone_number: str | None = None
    phone_number_id: str | None = None


class _Items(_In):
    """What a notification of the reference's format, or a Cloud change's ``value``, holds
    when all its messages have a known type: decoded in one pass."""

    contacts: list[Contact] = msgspec.field(default_factory=list)
    messages: list[_KnownMessage] = msgspec.field(default_factory=list)
    statuses: list[Status] = msgspec.field(default_factory=list)
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)
    metadata: _Metadata | None = None


class _FastChange(_In):
    field: str
    value: _Items


class _FastEntry(_In):
    changes: list[_FastChange]
    id: str | None = None


class _Either(_Items):
    """A body of either shape whose messages all have a known type."""

    object: str | msgspec.UnsetType = msgspec.UNSET  # present but null: the slow path says no
    entry: list[_FastEntry] | None = None


class _Rest(_In):
    """Everything of a notification (or a Cloud change's value) but its messages."""

    contacts: list[Contact] = msgspec.field(default_factory=list)
    statuses: list[Status] = msgspec.field(default_factory=list)
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)
    metadata: Any = None  # read where it has the Cloud API's shape, else ignored


class _RawChange(_In):
    field: str
    value: Any = None


class _RawEntry(_In):
    changes: list[_RawChange]
    id: str | None = None


class _RawEnvelope(_In):
    object: str
    entry: list[_RawEntry]


# Numbers sent as strings are read as numbers (the Cloud API sends a conversation's
# ``expiration_timestamp`` as a string; the reference, as a number).
_decode_either = msgspec.json.Decoder(_Either, strict=False).decode


def _convert(obj: object, type_: type[_T]) -> _T:
    return msgspec.convert(obj, type_, strict=False)


def notification_from_json(data: bytes | bytearray | memoryview | str) -> Notification:
    """Decode one notification, of either shape, from its JSON text.

    Raises :class:`~ivowaba.WebhookParseError` when ``data`` is not JSON or not a notification.
    """
    try:
        if isinstance(data, str):
            data = data.encode("utf-8")
        fast = _decode_either(data)
    except msgspec.ValidationError:
        pass  # an unknown message type, or not a notification: decide on the decoded object
    except (msgspec.DecodeError, RecursionError, UnicodeError) as exc:
        raise WebhookParseError(f"the body is not JSON: {exc}") from None
    else:
        notification = _from_fast(fast)
        if notification is not None:
            return notification
    try:
        decoded = decode_any(data)
    except (msgspec.DecodeError, RecursionError, UnicodeError) as exc:
        raise WebhookParseError(f"the body is not JSON: {exc}") from None
    return notification_from_object(decoded)


def _from_fast(fast: _Either) -> Notification | None:
    """The notification decoded in one pass; ``None`` when the slow path must decide (nothing
    of either shape, a Cloud change about something else, an envelope that is not right)."""
    if fast.object is msgspec.UNSET:
        if fast.messages or fast.statuses or fast.contacts or fast.errors:
            return Notification(
                contacts=fast.contacts,
                messages=cast("list[InboundMessage]", fast.messages),
                statuses=fast.statuses,
                errors=fast.errors,
            )
        return None
    if (
        fast.object != CLOUD_OBJECT
        or not fast.entry
        or fast.messages
        or fast.statuses
        or fast.contacts
        or fast.errors
    ):
        return None
    for entry in fast.entry:
        for change in entry.changes:
            if change.field != MESSAGES_FIELD:
                return None  # kept as data: the slow path keeps the value as it came
            value = change.value
            _mark(value, value.messages, _business_number(value.metadata, entry.id))
    if len(fast.entry) == 1 and len(fast.entry[0].changes) == 1:  # the usual: no copying
        only = fast.entry[0].changes[0].value
        return Notification(
            contacts=only.contacts,
            messages=cast("list[InboundMessage]", only.messages),
            statuses=only.statuses,
            errors=only.errors,
        )
    notification = Notification()
    for entry in fast.entry:
        for change in entry.changes:
            _add(notification, change.value, change.value.messages)
    return notification


def notification_from_object(obj: object) -> Notification:
    """Build a notification from its decoded JSON object (a ``dict``), of either shape.

    Raises :class:`~ivowaba.WebhookParseError` for anything that is not a notification: not an
    object; in the reference's format none of ``contacts``/``messages``/``statuses``/
    ``errors``, a list that is not a list, a message without ``id``/``from``/``timestamp``/
    ``type``, a malformed status; a Cloud API envelope whose ``object`` is not
    ``whatsapp_business_account``, without entries, or whose ``messages`` change is
    malformed in the same ways; both shapes at once.
    """
    if isinstance(obj, Notification):
        return obj
    if not isinstance(obj, dict):
        raise WebhookParseError(f"a notification is a JSON object, not {type(obj).__name__}")
    if "object" in obj:
        return _from_cloud(obj)
    if not _KEYS.intersection(obj):
        raise WebhookParseError(
            "not a notification: none of contacts, messages, statuses, errors "
            "(nor a Cloud API envelope's object and entry)"
        )
    notification = Notification()
    _add_value(notification, obj, where="", cloud=False, account_id=None)
    return notification


def _from_cloud(obj: dict[str, Any]) -> Notification:
    """A Cloud API envelope: the items of every ``messages`` change, in order."""
    if any(obj.get(key) for key in _KEYS):
        raise WebhookParseError(
            "not a notification: a Cloud API envelope with items of the reference's format "
            "beside it"
        )
    try:
        envelope = _convert(obj, _RawEnvelope)
    except (msgspec.ValidationError, RecursionError) as exc:
        raise WebhookParseError(f"not a Cloud API envelope: {exc}") from None
    if envelope.object != CLOUD_OBJECT:
        raise WebhookParseError(
            f"not a WhatsApp notification: `object` is {envelope.object!r}, not {CLOUD_OBJECT!r}"
        )
    if not envelope.entry:
        raise WebhookParseError("not a notification: a Cloud API envelope without entries")
    notification = Notification()
    for e, entry in enumerate(envelope.entry):
        for c, change in enumerate(entry.changes):
            where = f"entry[{e}].changes[{c}].value"
            if change.field != MESSAGES_FIELD:
                notification.other_changes.append(
                    Change(field=change.field, value=change.value, account_id=entry.id)
                )
                continue
            if not isinstance(change.value, dict):
                raise WebhookParseError(f"not a notification: `{where}` is not an object")
            _add_value(
                notification, change.value, where=f"{where}.", cloud=True, account_id=entry.id
            )
    return notification


def _add_value(
    notification: Notification,
    value: dict[str, Any],
    *,
    where: str,
    cloud: bool,
    account_id: str | None,
) -> None:
    """Add the items of ``value`` (the reference's format, or a ``cloud`` change's value, of
    the entry ``account_id``) to ``notification``; ``where`` prefixes the path in an error."""
    try:
        rest = _convert(value, _Rest)
    except (msgspec.ValidationError, RecursionError) as exc:
        raise WebhookParseError(f"not a notification: {exc}{_at(where)}") from None
    raw_messages = value.get("messages", [])
    if not isinstance(raw_messages, list):
        raise WebhookParseError(f"not a notification: `{where}messages` is not a list")
    messages = [
        _message(raw, f"{where}messages[{index}]") for index, raw in enumerate(raw_messages)
    ]
    if cloud:
        _mark(rest, messages, _business_number(rest.metadata, account_id))
    _add(notification, rest, messages)


def _mark(
    items: _Items | _Rest,
    messages: list[_KnownMessage] | list[InboundMessage],
    business: BusinessNumber,
) -> None:
    """Note on each contact, message and status the business number it came for."""
    for contact in items.contacts:
        contact.business_number = business
    for message in messages:
        message.business_number = business
    for status in items.statuses:
        status.business_number = business


def _add(
    notification: Notification,
    items: _Items | _Rest,
    messages: list[_KnownMessage] | list[InboundMessage],
) -> None:
    """Append ``items`` and ``messages`` to ``notification``."""
    notification.contacts.extend(items.contacts)
    notification.messages.extend(messages)
    notification.statuses.extend(items.statuses)
    notification.errors.extend(items.errors)


def _business_number(metadata: object, account_id: str | None) -> BusinessNumber:
    """The business number of a Cloud change's ``metadata`` (decoded, or as it came: then
    each of its fields is taken only when it is a string) and of its entry."""
    if isinstance(metadata, _Metadata):
        return BusinessNumber(
            phone_number_id=metadata.phone_number_id,
            display_phone_number=metadata.display_phone_number,
            account_id=account_id,
        )
    if not isinstance(metadata, dict):
        return BusinessNumber(account_id=account_id)
    phone_number_id = metadata.get("phone_number_id")
    display_phone_number = metadata.get("display_phone_number")
    return BusinessNumber(
        phone_number_id=phone_number_id if isinstance(phone_number_id, str) else None,
        display_phone_number=(
            display_phone_number if isinstance(display_phone_number, str) else None
        ),
        account_id=account_id,
    )


def _at(where: str) -> str:
    return f" (in `{where.rstrip('.')}`)" if where else ""


class _UnknownEnvelope(_Envelope, kw_only=True):
    type: str


def _message(raw: object, where: str) -> InboundMessage:
    """One message: its own struct when its type is known and its shape right, else an
    ``UnknownMessage``; raises when it is not a message at all."""
    if not isinstance(raw, dict):
        raise WebhookParseError(f"`{where}` is not an object")
    try:
        envelope = _convert(raw, _UnknownEnvelope)
    except (msgspec.ValidationError, RecursionError) as exc:
        raise WebhookParseError(f"`{where}` is not a message: {exc}") from None
    cls = _BY_TYPE.get(envelope.type)
    reason = None
    if cls is not None:
        try:
            return _convert(raw, cls)  # type: ignore[return-value]
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
        business_number=envelope.business_number,
        raw=raw,
        reason=reason,
    )
