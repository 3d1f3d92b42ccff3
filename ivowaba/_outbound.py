"""Outbound messages given as plain dicts (a CSV row, a queue payload): which struct each is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    TemplateComponent,
    TemplateMessage,
    TemplateParameter,
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


ParameterArg = str | TemplateParameter | Mapping[str, Any]


def template_parameter(value: ParameterArg, field: str) -> TemplateParameter:
    """A template parameter: a string is a text parameter; a dict is checked and converted."""
    if isinstance(value, str):
        return TemplateParameter(type="text", text=value)
    return v.convert(value, TemplateParameter, field)


def url_button(text: str, index: int = 0) -> TemplateComponent:
    """The parameter of a dynamic URL (or copy-code) button: ``{"type": "button",
    "sub_type": "url", "index": 0, "parameters": [{"type": "text", "text": ...}]}``."""
    return TemplateComponent(
        type="button",
        sub_type="url",
        index=index,
        parameters=[TemplateParameter(type="text", text=text)],
    )


def template_components(
    header: ParameterArg | None = None,
    body: Sequence[ParameterArg] = (),
    buttons: Sequence[TemplateComponent | Mapping[str, Any]] = (),
) -> list[TemplateComponent]:
    """The components of a template send, in the reference's order: body, header, buttons.

    Only the parts given are sent; with none at all, ``[{"type": "body"}]``, as the
    reference's "only body component" example does.
    """
    body = v.listed(body, "body", "body parameters")
    buttons = v.listed(buttons, "buttons", "button components")
    parts = []
    if body:
        params = [template_parameter(p, f"body[{i}]") for i, p in enumerate(body)]
        parts.append(TemplateComponent(type="body", parameters=params))
    if header is not None:
        parts.append(
            TemplateComponent(type="header", parameters=[template_parameter(header, "header")])
        )
    parts.extend(v.convert(b, TemplateComponent, f"buttons[{i}]") for i, b in enumerate(buttons))
    return parts or [TemplateComponent(type="body")]


message_from_dict.__module__ = "ivowaba"  # as users import it: ivowaba.message_from_dict
