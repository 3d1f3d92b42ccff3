"""Each kind of customer message the emulator can simulate, its fields, and how a JSON
request becomes the inbound notification: one table for the control API
(``POST /_emulator/inbound/{kind}``) and for ``ivowaba emulator inbound KIND``.

Every kind takes ``from`` (the customer's number, 8 to 15 digits) and ``name`` (their
profile name, optional). Checked before anything happens: a bad field raises
``ValidationError`` naming it and the rule.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ivowaba import _limits
from ivowaba._errors import ValidationError

if TYPE_CHECKING:  # the command line reads the table without loading the emulator
    from ivowaba.testing._state import State


@dataclass(frozen=True)
class Field:
    """One field of a simulated message. ``kind``: ``"text"``, ``"number"``, ``"json"``
    (contact cards) or ``"file"`` (``content_base64``, with ``content_type`` and
    ``filename``)."""

    name: str
    kind: str = "text"
    required: bool = False
    help: str = ""
    #: The range of a number.
    bounds: tuple[float, float] | None = None


#: What a customer may send as a file (``State.inbound_media``).
MEDIA_KINDS: Final = ("image", "document", "audio", "voice", "video", "sticker")
_CONTEXT: Final = Field("context", help="the id of the message this one replies to")
_MEDIA: Final = (
    Field("file", "file", help="the file the customer sends (a few placeholder bytes without)"),
    Field("caption", help="the text shown under it"),
    Field("filename", help="the file name shown (default: the file's own)"),
)

#: Kind → its fields beyond ``from`` and ``name``, in the order the command line takes them.
INBOUND_KINDS: Final[dict[str, tuple[Field, ...]]] = {
    "text": (Field("text", required=True, help="what the customer writes"), _CONTEXT),
    **dict.fromkeys(MEDIA_KINDS, _MEDIA),
    "location": (
        Field(
            "latitude",
            "number",
            required=True,
            bounds=_limits.LATITUDE_RANGE,
            help="degrees north, {:g} to {:g}".format(*_limits.LATITUDE_RANGE),
        ),
        Field(
            "longitude",
            "number",
            required=True,
            bounds=_limits.LONGITUDE_RANGE,
            help="degrees east, {:g} to {:g}".format(*_limits.LONGITUDE_RANGE),
        ),
        Field("place_name", help="the place's name"),
        Field("address", help="the place's address"),
        Field("url", help="the place's web page"),
    ),
    "contacts": (Field("contacts", "json", required=True, help="contact cards in the wire shape"),),
    "button-reply": (
        Field("id", required=True, help="the id of the reply button tapped"),
        Field("title", help="its title (default: the id)"),
        _CONTEXT,
    ),
    "list-reply": (
        Field("id", required=True, help="the id of the list row picked"),
        Field("title", help="its title (default: the id)"),
        Field("description", help="its description"),
        _CONTEXT,
    ),
    "quick-reply": (
        Field("payload", required=True, help="the template quick-reply button's payload"),
        Field("text", required=True, help="the button's text"),
        _CONTEXT,
    ),
}


def check(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a message of ``kind`` described by ``data`` (``from``, ``name`` and the
    kind's fields; a file as ``(content, content_type)``), or ``ValidationError``."""
    fields = INBOUND_KINDS.get(kind)
    if fields is None:
        raise ValidationError("kind", f"must be one of {', '.join(INBOUND_KINDS)}")
    if not _limits.is_wa_id(data.get("from")):
        raise ValidationError("from", "must be a number of 8 to 15 digits, country code first")
    values = {field.name: _value(field, data) for field in fields}
    values["from"] = data["from"]
    values["name"] = _value(Field("name"), data)
    return values


def simulate(state: State, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The customer's message of ``kind`` described by ``data``, delivered as the state
    delivers any; returns the notification."""
    values = check(kind, data)
    return _SIMULATE[kind](state, values["from"], kind, values)


def _value(field: Field, data: Mapping[str, Any]) -> Any:
    if field.kind == "file":
        return _file(data)
    value = data.get(field.name)
    if value is None:
        if field.required:
            raise ValidationError(field.name, "is required")
        return None
    if field.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(field.name, "must be a number")
        if field.bounds is not None and not field.bounds[0] <= value <= field.bounds[1]:
            low, high = field.bounds
            raise ValidationError(field.name, f"must be between {low:g} and {high:g}")
        return float(value)
    if field.kind == "json":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValidationError(field.name, "must be a list of objects")
        return value
    if not isinstance(value, str):
        raise ValidationError(field.name, "must be a string")
    if field.required and not value.strip():
        raise ValidationError(field.name, "must not be blank")
    return value


def _file(data: Mapping[str, Any]) -> tuple[bytes, str | None] | None:
    encoded = data.get("content_base64")
    if encoded is None:
        return None
    if not isinstance(encoded, str):
        raise ValidationError("content_base64", "must be a base64 string")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("content_base64", "must be valid base64") from None
    content_type = data.get("content_type")
    if content_type is not None and not isinstance(content_type, str):
        raise ValidationError("content_type", "must be a string")
    return content, content_type


def _text(state: State, sender: str, kind: str, v: dict[str, Any]) -> dict[str, Any]:
    return state.inbound_text(sender, v["text"], name=v["name"], context_id=v["context"])


def _media(state: State, sender: str, kind: str, v: dict[str, Any]) -> dict[str, Any]:
    content, content_type = v["file"] or (None, None)
    return state.inbound_media(
        sender,
        kind,
        content=content,
        content_type=content_type,
        caption=v["caption"],
        filename=v["filename"],
        name=v["name"],
    )


def _location(state: State, sender: str, kind: str, v: dict[str, Any]) -> dict[str, Any]:
    return state.inbound_location(
        sender,
        v["latitude"],
        v["longitude"],
        place_name=v["place_name"],
        address=v["address"],
        url=v["url"],
        name=v["name"],
    )


def _contacts(state: State, sender: str, kind: str, v: dict[str, Any]) -> dict[str, Any]:
    return state.inbound_contacts(sender, v["contacts"], name=v["name"])


def _button_reply(state: State, sender: str, kind: str, v: dict[str, Any]) -> dict[str, Any]:
    return state.inbound_interactive_reply(
        sender, v["id"], title=v["title"], context_id=v["context"], name=v["name"]
    )


def _list_reply(state: State, sender: str, kind: str, v: dict[str, Any]) -> dict[str, Any]:
    return state.inbound_interactive_reply(
        sender,
        row_id=v["id"],
        title=v["title"],
        description=v["description"],
        context_id=v["context"],
        name=v["name"],
    )


def _quick_reply(state: State, sender: str, kind: str, v: dict[str, Any]) -> dict[str, Any]:
    return state.inbound_button(
        sender, v["payload"], v["text"], context_id=v["context"], name=v["name"]
    )


_SIMULATE: Final = {
    "text": _text,
    **dict.fromkeys(MEDIA_KINDS, _media),
    "location": _location,
    "contacts": _contacts,
    "button-reply": _button_reply,
    "list-reply": _list_reply,
    "quick-reply": _quick_reply,
}
