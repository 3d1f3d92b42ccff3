"""Outbound messages given as plain dicts (a CSV row, a queue payload): which struct each is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivowaba import _limits
from ivowaba import _validation as v
from ivowaba._errors import ValidationError
from ivowaba.types.messages import (
    ContactsMessage,
    FlowMessage,
    ListMessage,
    LocationMessage,
    MediaMessage,
    OutboundMessage,
    ProductListMessage,
    ProductMessage,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
)

#: The ``"type"`` a dict gives for each message kind (media kinds use their media type).
KINDS: dict[str, type[Any]] = {
    "text": TextMessage,
    "template": TemplateMessage,
    "location": LocationMessage,
    "contacts": ContactsMessage,
    "reply_buttons": ReplyButtonsMessage,
    "list": ListMessage,
    "product": ProductMessage,
    "product_list": ProductListMessage,
    "flow": FlowMessage,
}


def message_from_dict(data: Mapping[str, Any]) -> OutboundMessage:
    """The outbound struct for ``data``, e.g. ``{"type": "text", "wa_id": ..., "text": ...}``.

    ``type`` names the kind (``text``, ``template``, ``location``, ``contacts``,
    ``reply_buttons``, ``list``, ``product``, ``product_list``, ``flow``) or, for a media
    message, the media type (``image``, ``document``, ...). The other keys are the wire fields.
    """
    if not isinstance(data, Mapping):
        raise ValidationError(
            "message", f"must be a message struct or a dict, got {type(data).__name__}"
        )
    kind = data.get("type")
    if kind in _limits.MEDIA_TYPES:
        message: OutboundMessage = v.convert(data, MediaMessage, "message")
        return message
    struct = KINDS.get(kind) if isinstance(kind, str) else None
    if struct is None:
        kinds = ", ".join([*KINDS, *sorted(_limits.MEDIA_TYPES)])
        raise ValidationError("message.type", f"must be one of {kinds}, got {kind!r}")
    fields = {k: value for k, value in data.items() if k != "type"}
    converted: OutboundMessage = v.convert(fields, struct, "message")
    return converted
