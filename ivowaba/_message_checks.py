"""WhatsApp's rules for each outbound message kind, checked before it is sent.

``check(message)`` raises ``ValidationError`` naming the wire field at fault
(``action.sections[0].rows[2].title``) and the rule it breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivowaba import _limits
from ivowaba import _validation as v
from ivowaba._errors import ValidationError
from ivowaba.types.messages import (
    ContactsMessage,
    FlowMessage,
    InteractiveHeader,
    ListMessage,
    LocationMessage,
    MediaMessage,
    ProductListMessage,
    ProductMessage,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
)

_INTERACTIVE_HEADER_TYPES = frozenset({"text", "image", "video", "document"})


def _text(m: TextMessage) -> None:
    v.text(m.text, "text", _limits.TEXT_MAX)


def _media(m: MediaMessage) -> None:
    if m.type not in _limits.MEDIA_TYPES:
        kinds = ", ".join(sorted(_limits.MEDIA_TYPES))
        raise ValidationError("type", f"must be one of {kinds}, got {m.type!r}")
    v.http_url(m.link, "link")
    v.text(m.caption, "caption", _limits.CAPTION_MAX, required=False)
    if m.caption is not None and m.type in ("audio", "sticker"):
        raise ValidationError("caption", f"a {m.type} message cannot have a caption")


def _location(m: LocationMessage) -> None:
    v.coordinate(m.latitude, "latitude", _limits.LATITUDE_RANGE)
    v.coordinate(m.longitude, "longitude", _limits.LONGITUDE_RANGE)


def _contacts(m: ContactsMessage) -> None:
    if not m.contacts:
        raise ValidationError("contacts", "at least one contact card")
    for i, card in enumerate(m.contacts):
        if card.name is None or not (card.name.formatted_name or card.name.first_name):
            raise ValidationError(f"contacts[{i}].name", "a contact needs a formatted_name")


def _template(m: TemplateMessage) -> None:
    v.text(m.template_id, "template_id", 200)
    for i, component in enumerate(m.components):
        if component.type not in ("header", "body", "button"):
            raise ValidationError(
                f"components[{i}].type", f"must be header, body or button, got {component.type!r}"
            )
        if component.type == "button" and (component.sub_type is None or component.index is None):
            raise ValidationError(f"components[{i}]", "a button component needs sub_type and index")


def _header(header: InteractiveHeader | None) -> None:
    if header is None:
        return
    if header.type not in _INTERACTIVE_HEADER_TYPES:
        kinds = ", ".join(sorted(_INTERACTIVE_HEADER_TYPES))
        raise ValidationError("header.type", f"must be one of {kinds}, got {header.type!r}")
    if header.type == "text":
        v.text(header.text, "header.text", _limits.INTERACTIVE_HEADER_TEXT_MAX)
    else:
        v.http_url(header.link, "header.link")


def _interactive(body: str | None, footer: str | None, *, body_required: bool = True) -> None:
    v.text(body, "body", _limits.INTERACTIVE_BODY_MAX, required=body_required)
    v.text(footer, "footer", _limits.INTERACTIVE_FOOTER_MAX, required=False)


def _section_title(title: str | None, where: str, several: bool) -> None:
    if several and title is None:
        raise ValidationError(f"{where}.title", "required when there are several sections")
    v.text(title, f"{where}.title", _limits.SECTION_TITLE_MAX, required=several)


def _reply_buttons(m: ReplyButtonsMessage) -> None:
    _header(m.header)
    _interactive(m.body, m.footer)
    buttons = m.action.buttons
    v.count(buttons, "action.buttons", _limits.REPLY_BUTTONS_MIN, _limits.REPLY_BUTTONS_MAX)
    for i, button in enumerate(buttons):
        v.text(button.id, f"action.buttons[{i}].id", _limits.REPLY_BUTTON_ID_MAX)
        v.text(button.title, f"action.buttons[{i}].title", _limits.REPLY_BUTTON_TITLE_MAX)
    v.unique([b.title for b in buttons], "action.buttons[].title")
    v.unique([b.id for b in buttons], "action.buttons[].id")


def _list(m: ListMessage) -> None:
    _header(m.header)
    _interactive(m.body, m.footer)
    action = m.action
    v.text(action.button, "action.button", _limits.LIST_BUTTON_TEXT_MAX)
    v.count(action.sections, "action.sections", 1, _limits.LIST_SECTIONS_MAX)
    several = len(action.sections) > 1
    rows = 0
    for i, section in enumerate(action.sections):
        where = f"action.sections[{i}]"
        _section_title(section.title, where, several)
        if not section.rows:
            raise ValidationError(f"{where}.rows", "at least one row")
        for j, row in enumerate(section.rows):
            v.text(row.id, f"{where}.rows[{j}].id", _limits.LIST_ROW_ID_MAX)
            v.text(row.title, f"{where}.rows[{j}].title", _limits.LIST_ROW_TITLE_MAX)
            v.text(
                row.description,
                f"{where}.rows[{j}].description",
                _limits.LIST_ROW_DESCRIPTION_MAX,
                required=False,
            )
        rows += len(section.rows)
    if rows > _limits.LIST_ROWS_MAX:
        raise ValidationError(
            "action.sections[].rows", f"at most {_limits.LIST_ROWS_MAX} rows in all (got {rows})"
        )
    seen: set[str] = set()
    for i, section in enumerate(action.sections):
        for j, row in enumerate(section.rows):
            if row.id in seen:
                raise ValidationError(
                    f"action.sections[{i}].rows[{j}].id",
                    f"must be unique ({row.id!r} appears twice)",
                )
            seen.add(row.id)


def _product(m: ProductMessage) -> None:
    _interactive(m.body, m.footer, body_required=False)
    v.text(m.action.catalog_id, "action.catalog_id", 200)
    v.text(m.action.product_retailer_id, "action.product_retailer_id", 200)


def _product_list(m: ProductListMessage) -> None:
    v.text(m.header, "header", _limits.INTERACTIVE_HEADER_TEXT_MAX)
    _interactive(m.body, m.footer)
    action = m.action
    v.text(action.catalog_id, "action.catalog_id", 200)
    v.count(action.sections, "action.sections", 1, _limits.PRODUCT_SECTIONS_MAX)
    several = len(action.sections) > 1
    items = 0
    for i, section in enumerate(action.sections):
        where = f"action.sections[{i}]"
        _section_title(section.title, where, several)
        if not section.product_items:
            raise ValidationError(f"{where}.product_items", "at least one product")
        items += len(section.product_items)
    if items > _limits.PRODUCT_ITEMS_MAX:
        raise ValidationError(
            "action.sections[].product_items",
            f"at most {_limits.PRODUCT_ITEMS_MAX} products in all (got {items})",
        )


def _flow(m: FlowMessage) -> None:
    _header(m.header)
    _interactive(m.body, m.footer)
    params = m.action.parameters
    v.text(params.flow_id, "action.parameters.flow_id", 200)
    v.text(params.flow_cta, "action.parameters.flow_cta", _limits.FLOW_CTA_MAX)
    if params.flow_action not in ("navigate", "data_exchange"):
        raise ValidationError(
            "action.parameters.flow_action",
            f"must be 'navigate' or 'data_exchange', got {params.flow_action!r}",
        )


_CHECKS: dict[type[Any], Callable[[Any], None]] = {
    TextMessage: _text,
    MediaMessage: _media,
    LocationMessage: _location,
    ContactsMessage: _contacts,
    TemplateMessage: _template,
    ReplyButtonsMessage: _reply_buttons,
    ListMessage: _list,
    ProductMessage: _product,
    ProductListMessage: _product_list,
    FlowMessage: _flow,
}


def check(message: Any) -> None:
    """Raise ``ValidationError`` if ``message`` breaks one of WhatsApp's rules."""
    rule = _CHECKS.get(type(message))
    if rule is None:
        raise ValidationError(
            "message", f"not an outbound message struct: {type(message).__name__}"
        )
    rule(message)
