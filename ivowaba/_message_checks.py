"""WhatsApp's rules for each outbound message kind, checked before it is sent.

``check(message)`` raises ``ValidationError`` naming the wire field at fault
(``action.sections[0].rows[2].title``) and the rule it breaks. The rules themselves (limits,
allowed types, which media take a caption or a file name) are ``ivowaba._limits``, which the
emulator's validation follows too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ivowaba import _limits
from ivowaba import _validation as v
from ivowaba._errors import ValidationError
from ivowaba.types.messages import (
    ContactsMessage,
    FlowMessage,
    InteractiveHeader,
    ListAction,
    ListMessage,
    ListSection,
    LocationMessage,
    MediaMessage,
    MediaObject,
    ProductListAction,
    ProductListMessage,
    ProductMessage,
    ProductSection,
    ReplyButtonsMessage,
    TemplateMessage,
    TemplateParameter,
    TextMessage,
)


def _text(m: TextMessage) -> None:
    v.text(m.text, "text", _limits.TEXT_MAX)
    if m.preview_url is not None:  # (absent on almost every send: no call for it)
        v.flag(m.preview_url, "preview_url")


def _media(m: MediaMessage) -> None:
    _choice(m.type, "type", _limits.MEDIA_TYPES)
    v.http_url(m.link, "link")
    v.text(m.caption, "caption", _limits.CAPTION_MAX, required=False)
    if not _limits.takes_caption(m.type):
        v.absent(m.caption, "caption", f"{v.with_article(m.type)} message has no caption")
    v.text(m.filename, "filename", required=False)
    if not _limits.takes_filename(m.type):
        v.absent(
            m.filename, "filename", f"only a document has a file name, not {v.with_article(m.type)}"
        )


def _location(m: LocationMessage) -> None:
    v.coordinate(m.latitude, "latitude", _limits.LATITUDE_RANGE)
    v.coordinate(m.longitude, "longitude", _limits.LONGITUDE_RANGE)


def _contacts(m: ContactsMessage) -> None:
    if len(m.contacts) < _limits.CONTACTS_MIN:
        raise ValidationError("contacts", f"at least {_limits.CONTACTS_MIN} contact card")
    for i, card in enumerate(m.contacts):
        if card.name is None:
            raise ValidationError(f"contacts[{i}].name", "a contact needs a formatted_name")
        v.text(card.name.formatted_name, f"contacts[{i}].name.formatted_name")


def _template(m: TemplateMessage) -> None:
    v.text(m.template_id, "template_id", _limits.ID_MAX)
    if len(m.components) < _limits.TEMPLATE_COMPONENTS_MIN:
        raise ValidationError("components", "at least one component (e.g. {'type': 'body'})")
    for i, component in enumerate(m.components):
        where = f"components[{i}]"
        _choice(component.type, f"{where}.type", _limits.TEMPLATE_COMPONENT_TYPES)
        if component.type == "button":
            if component.sub_type is None or component.index is None:
                raise ValidationError(where, "a button component needs sub_type and index")
            _choice(component.sub_type, f"{where}.sub_type", _limits.TEMPLATE_BUTTON_SUB_TYPES)
            if not _limits.is_button_index(component.index):
                low, high = _limits.TEMPLATE_BUTTON_INDEX_RANGE
                raise ValidationError(
                    f"{where}.index",
                    f"a button component needs an index from {low} to {high}, "
                    f"got {component.index!r}",
                )
        for j, parameter in enumerate(component.parameters or ()):
            _template_parameter(parameter, f"{where}.parameters[{j}]")


def _choice(value: str | None, field: str, choices: frozenset[str], where: str = "") -> None:
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        rule = f"must be one of {allowed}" if len(choices) > 1 else f"must be {allowed}"
        raise ValidationError(field, f"{rule}{where}, got {value!r}")


def _template_parameter(p: TemplateParameter, where: str) -> None:
    kind = p.type
    _choice(kind, f"{where}.type", _limits.TEMPLATE_PARAMETER_TYPES)
    value = getattr(p, kind, None)  # the value is under the key its type names
    field = f"{where}.{kind}"
    if value is None:
        raise ValidationError(field, f"a {kind} parameter carries its value in {kind!r}")
    if kind in _limits.TEMPLATE_TEXT_PARAMETER_TYPES:
        v.text(value, field)
    elif isinstance(value, MediaObject):
        v.http_url(value.link, f"{field}.link")
        v.text(value.caption, f"{field}.caption", required=False)
        v.text(value.filename, f"{field}.filename", required=False)
        if not _limits.takes_filename(kind):
            v.absent(value.filename, f"{field}.filename", "only a document has a file name")


def _header(header: InteractiveHeader | None, kind: str) -> None:
    if header is None:
        return
    in_kind = f" in a {kind.replace('_', ' ')} message"
    _choice(header.type, "header.type", _limits.header_types(kind), in_kind)
    if header.type == "text":
        v.text(header.text, "header.text", _limits.INTERACTIVE_HEADER_TEXT_MAX)
    else:
        v.http_url(header.link, "header.link")
    v.text(header.filename, "header.filename", required=False)
    if not _limits.takes_filename(header.type):
        v.absent(header.filename, "header.filename", "only a document header has a file name")


def _interactive(body: str | None, footer: str | None, *, body_required: bool = True) -> None:
    v.text(body, "body", _limits.INTERACTIVE_BODY_MAX, required=body_required)
    v.text(footer, "footer", _limits.INTERACTIVE_FOOTER_MAX, required=False)


def _section_title(title: str | None, where: str, sections: int) -> None:
    required = _limits.section_title_required(sections)
    if required and title is None:
        raise ValidationError(f"{where}.title", "required when there are several sections")
    v.text(title, f"{where}.title", _limits.SECTION_TITLE_MAX, required=required)


def _reply_buttons(m: ReplyButtonsMessage) -> None:
    _header(m.header, "reply_buttons")
    _interactive(m.body, m.footer)
    buttons = m.action.buttons
    v.count(buttons, "action.buttons", _limits.REPLY_BUTTONS_MIN, _limits.REPLY_BUTTONS_MAX)
    for i, button in enumerate(buttons):
        v.text(button.id, f"action.buttons[{i}].id", _limits.REPLY_BUTTON_ID_MAX)
        v.text(button.title, f"action.buttons[{i}].title", _limits.REPLY_BUTTON_TITLE_MAX)
    for key in _limits.REPLY_BUTTON_UNIQUE_FIELDS:
        v.unique((f"action.buttons[{i}].{key}", getattr(b, key)) for i, b in enumerate(buttons))


def _sections(
    action: ListAction | ProductListAction, key: str, noun: str, max_sections: int, max_items: int
) -> list[tuple[str, Any]]:
    """The items of every section of a list or multi-product message, each with its field.

    A section needs a title only when there are several; the item limit is across sections.
    """
    sections: Sequence[ListSection | ProductSection] = action.sections
    v.count(sections, "action.sections", _limits.SECTIONS_MIN, max_sections)
    items: list[tuple[str, Any]] = []
    for i, section in enumerate(sections):
        where = f"action.sections[{i}]"
        _section_title(section.title, where, len(sections))
        held = getattr(section, key)
        if not held:
            raise ValidationError(f"{where}.{key}", f"at least one {noun}")
        items.extend((f"{where}.{key}[{j}]", item) for j, item in enumerate(held))
    if len(items) > max_items:
        raise ValidationError(
            f"action.sections[].{key}", f"at most {max_items} {noun}s in all (got {len(items)})"
        )
    return items


def _list(m: ListMessage) -> None:
    _header(m.header, "list")
    _interactive(m.body, m.footer)
    v.text(m.action.button, "action.button", _limits.LIST_BUTTON_TEXT_MAX)
    rows = _sections(m.action, "rows", "row", _limits.LIST_SECTIONS_MAX, _limits.LIST_ROWS_MAX)
    for at, row in rows:
        v.text(row.id, f"{at}.id", _limits.LIST_ROW_ID_MAX)
        v.text(row.title, f"{at}.title", _limits.LIST_ROW_TITLE_MAX)
        v.text(
            row.description, f"{at}.description", _limits.LIST_ROW_DESCRIPTION_MAX, required=False
        )
    for key in _limits.LIST_ROW_UNIQUE_FIELDS:
        v.unique((f"{at}.{key}", getattr(row, key)) for at, row in rows)


def _product(m: ProductMessage) -> None:
    _interactive(m.body, m.footer, body_required=False)
    v.text(m.action.catalog_id, "action.catalog_id", _limits.ID_MAX)
    v.text(m.action.product_retailer_id, "action.product_retailer_id", _limits.ID_MAX)


def _product_list(m: ProductListMessage) -> None:
    v.text(m.header, "header", _limits.INTERACTIVE_HEADER_TEXT_MAX)
    _interactive(m.body, m.footer)
    v.text(m.action.catalog_id, "action.catalog_id", _limits.ID_MAX)
    items = _sections(
        m.action,
        "product_items",
        "product",
        _limits.PRODUCT_SECTIONS_MAX,
        _limits.PRODUCT_ITEMS_MAX,
    )
    for at, item in items:
        v.text(item.product_retailer_id, f"{at}.product_retailer_id", _limits.ID_MAX)


def _flow(m: FlowMessage) -> None:
    _header(m.header, "flow")
    _interactive(m.body, m.footer)
    params = m.action.parameters
    where = "action.parameters"
    v.text(params.flow_message_version, f"{where}.flow_message_version")
    v.text(params.flow_id, f"{where}.flow_id", _limits.ID_MAX)
    v.text(params.flow_cta, f"{where}.flow_cta", _limits.FLOW_CTA_MAX)
    _choice(params.flow_action, f"{where}.flow_action", _limits.FLOW_ACTIONS)
    payload = params.flow_action_payload or {}
    if not isinstance(payload.get("screen", ""), str):
        raise ValidationError(f"{where}.flow_action_payload.screen", "must be a string")
    if not isinstance(payload.get("data", {}), dict):
        raise ValidationError(f"{where}.flow_action_payload.data", "must be an object")


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
    """Raise ``ValidationError`` if ``message`` breaks one of WhatsApp's rules.

    A struct built with plain values where structs belong (``components=[{"type": "body",
    ...}]``) is checked as the struct those values describe; values that describe none are a
    ``ValidationError`` naming the field, like any other bad input."""
    rule = _CHECKS.get(type(message))
    if rule is None:
        raise ValidationError(
            "message", f"not an outbound message struct: {type(message).__name__}"
        )
    try:
        rule(message)
    except (AttributeError, TypeError):  # a value of the wrong type somewhere inside
        rule(_as_typed(message))


def _as_typed(message: Any) -> Any:
    """``message`` rebuilt from its values, every part the type its field declares."""
    try:
        return msgspec.convert(msgspec.to_builtins(message), type(message))
    except (msgspec.ValidationError, TypeError) as exc:
        # msgspec says "Expected `object`, got `int` - at `$.components[0]`"
        raise ValidationError(*v.located(str(exc), "")) from None
