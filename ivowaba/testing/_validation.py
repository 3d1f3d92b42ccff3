"""Request-body rules of every operation, answered the way IVOWBA (a Laravel app) answers.

``validate(RULES[operation], body)`` returns the broken rules as Laravel's ``errors`` object:
dotted field paths (``action.buttons.0.title``) mapped to messages (``The
action.buttons.0.title field must not be greater than 20 characters.``).
``unprocessable(errors)`` builds the 422 body.

Types are checked strictly, as JSON types: a number sent as a string, or ``null`` sent for a
field that should have been left out, is an error. That is what makes the emulator catch a
client that encodes a body wrongly. WhatsApp's limits and rules come from ``ivowaba._limits``,
the ones the client checks before sending: the emulator refuses exactly what the client does.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any, Final

from ivowaba import _limits

Errors = dict[str, list[str]]

_ABSENT: Final = object()


class Body:
    """One JSON object of a request, at a dotted path; records every rule it breaks.

    Each check returns the value when it is usable, else ``None`` after recording the error,
    so a rule can go on checking what depends on a valid value.
    """

    __slots__ = ("data", "errors", "known_templates", "prefix")

    def __init__(
        self,
        data: Mapping[Any, Any],
        errors: Errors,
        prefix: str = "",
        known_templates: Container[str] = (),
    ) -> None:
        self.data = data
        self.errors = errors
        self.prefix = prefix
        self.known_templates = known_templates

    def path(self, key: str | int) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str | int, message: str) -> None:
        """Record ``message``, whose ``{a}`` is replaced by the field's path."""
        path = self.path(key)
        self.errors.setdefault(path, []).append(message.format(a=path))

    def nested(self, key: str | int, data: Mapping[Any, Any]) -> Body:
        return Body(data, self.errors, f"{self.path(key)}.", self.known_templates)

    def has(self, key: str) -> bool:
        return key in self.data

    # -- presence --------------------------------------------------------------------------

    def _value(self, key: str | int, required: bool) -> Any:
        """The value to check, or ``_ABSENT`` when there is nothing (more) to check.

        Like Laravel, an empty string, an empty list and ``null`` do not satisfy
        ``required``; an optional field that is absent is not checked at all.
        """
        value = self.data.get(key, _ABSENT)
        if value is _ABSENT:
            if required:
                self.fail(key, "The {a} field is required.")
            return _ABSENT
        empty = value is None or value == [] or (isinstance(value, str) and _limits.is_blank(value))
        if required and empty:
            self.fail(key, "The {a} field is required.")
            return _ABSENT
        return value

    # -- scalars ---------------------------------------------------------------------------

    def string(
        self,
        key: str | int,
        *,
        required: bool = False,
        max: int | None = None,
        choices: Container[str] | None = None,
    ) -> str | None:
        value = self._value(key, required)
        if value is _ABSENT:
            return None
        if not isinstance(value, str):
            self.fail(key, "The {a} field must be a string.")
            return None
        if max is not None and len(value) > max:
            self.fail(key, f"The {{a}} field must not be greater than {max} characters.")
            return None
        if choices is not None and value not in choices:
            self.fail(key, "The selected {a} is invalid.")
            return None
        return value

    def url(self, key: str | int, *, required: bool = False) -> str | None:
        value = self.string(key, required=required)
        if value is None:
            return None
        if not _limits.is_http_url(value):
            self.fail(key, "The {a} field must be a valid URL.")
            return None
        return value

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        value = self._value(key, required)
        if value is _ABSENT:
            return None
        # Laravel's boolean rule also takes 0 and 1.
        if not isinstance(value, bool) and value not in (0, 1):
            self.fail(key, "The {a} field must be true or false.")
            return None
        return bool(value)

    def number(
        self, key: str, *, required: bool = False, between: tuple[float, float] | None = None
    ) -> float | None:
        value = self._value(key, required)
        if value is _ABSENT:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, "The {a} field must be a number.")
            return None
        if between is not None and not between[0] <= value <= between[1]:
            low, high = between
            self.fail(key, f"The {{a}} field must be between {low:g} and {high:g}.")
            return None
        return float(value)

    def integer(
        self, key: str, *, required: bool = False, between: tuple[int, int] | None = None
    ) -> int | None:
        value = self._value(key, required)
        if value is _ABSENT:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "The {a} field must be an integer.")
            return None
        if between is not None and not between[0] <= value <= between[1]:
            self.fail(key, f"The {{a}} field must be between {between[0]} and {between[1]}.")
            return None
        return value

    def wa_id(self, key: str = "wa_id") -> str | None:
        """A WhatsApp id: only digits, country code first, 8 to 15 of them."""
        value = self.string(key, required=True)
        if value is None:
            return None
        if not _limits.is_wa_id(value):
            low, high = _limits.WA_ID_MIN_DIGITS, _limits.WA_ID_MAX_DIGITS
            rule = f"must be between {low} and {high} digits"
            if value.startswith("0"):
                rule = "must start with a country code, not 0"
            self.fail(key, f"The {{a}} field {rule}.")
            return None
        return value

    def prohibited(self, key: str, reason: str) -> None:
        if key in self.data:
            self.fail(key, f"The {{a}} field is prohibited when {reason}.")

    def filename(self, kind: str | None) -> None:
        """``filename``, which only a document may have."""
        self.string("filename")
        if kind is not None and not _limits.takes_filename(kind):
            self.prohibited("filename", f"type is {kind}")

    # -- containers ------------------------------------------------------------------------

    def object(self, key: str, *, required: bool = False) -> Body | None:
        value = self._value(key, required)
        if value is _ABSENT:
            return None
        if not isinstance(value, dict):
            self.fail(key, "The {a} field must be an object.")
            return None
        return self.nested(key, value)

    def array(
        self, key: str, *, required: bool = False, min: int | None = None, max: int | None = None
    ) -> list[Any] | None:
        value = self._value(key, required)
        if value is _ABSENT:
            return None
        if not isinstance(value, list):
            self.fail(key, "The {a} field must be an array.")
            return None
        if min is not None and len(value) < min:
            self.fail(key, f"The {{a}} field must have at least {min} items.")
            return None
        if max is not None and len(value) > max:
            self.fail(key, f"The {{a}} field must not have more than {max} items.")
            return None
        return value

    def objects(
        self, key: str, *, required: bool = False, min: int | None = None, max: int | None = None
    ) -> list[Body]:
        """The items of an array of objects; an item that is not an object is an error."""
        items = self.array(key, required=required, min=min, max=max)
        if items is None:
            return []
        inner = self.nested(key, {})
        bodies = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                bodies.append(inner.nested(index, item))
            else:
                inner.fail(index, "The {a} field must be an object.")
        return bodies

    def strings(
        self, key: str, *, required: bool = False, max_items: int | None = None
    ) -> list[str]:
        items = self.array(key, required=required, max=max_items)
        if items is None:
            return []
        inner = self.nested(key, dict(enumerate(items)))
        values = (inner.string(index, required=True) for index in range(len(items)))
        return [value for value in values if value is not None]

    def distinct(self, items: Iterable[Body], keys: Iterable[str]) -> None:
        """Laravel's ``distinct``: each of ``keys`` must differ across ``items``."""
        items = list(items)
        for key in keys:
            seen: set[Any] = set()
            for item in items:
                value = item.data.get(key)
                if not isinstance(value, str):
                    continue
                if value in seen:
                    item.fail(key, "The {a} field has a duplicate value.")
                seen.add(value)


# -- messages ------------------------------------------------------------------------------


def _interactive_text(b: Body) -> None:
    """``body`` and ``footer`` of every interactive message."""
    b.string("body", required=True, max=_limits.INTERACTIVE_BODY_MAX)
    b.string("footer", max=_limits.INTERACTIVE_FOOTER_MAX)


def _interactive_header(b: Body, message_kind: str) -> None:
    header = b.object("header")
    if header is None:
        return
    kind = header.string("type", required=True, choices=_limits.header_types(message_kind))
    if kind == "text":
        header.string("text", required=True, max=_limits.INTERACTIVE_HEADER_TEXT_MAX)
    elif kind is not None:
        header.url("link", required=True)
    header.filename(kind)


def send_text(b: Body) -> None:
    b.wa_id()
    b.string("text", required=True, max=_limits.TEXT_MAX)
    b.boolean("preview_url")


def send_media(b: Body) -> None:
    b.wa_id()
    kind = b.string("type", required=True, choices=_limits.MEDIA_TYPES)
    b.url("link", required=True)
    b.string("caption", max=_limits.CAPTION_MAX)
    if kind is not None and not _limits.takes_caption(kind):
        b.prohibited("caption", f"type is {kind}")
    b.filename(kind)


def send_location(b: Body) -> None:
    b.wa_id()
    b.number("latitude", required=True, between=_limits.LATITUDE_RANGE)
    b.number("longitude", required=True, between=_limits.LONGITUDE_RANGE)
    b.string("name")
    b.string("address")


def _string_fields(b: Body | None, *keys: str) -> None:
    if b is not None:
        for key in keys:
            b.string(key)


def send_contacts(b: Body) -> None:
    b.wa_id()
    for card in b.objects("contacts", required=True, min=_limits.CONTACTS_MIN):
        name = card.object("name", required=True)
        if name is not None:
            name.string("formatted_name", required=True)
            _string_fields(name, "first_name", "last_name", "middle_name", "prefix", "suffix")
        card.string("birthday")
        _string_fields(card.object("org"), "company", "department", "title")
        for address in card.objects("addresses"):
            _string_fields(
                address, "street", "city", "state", "zip", "country", "country_code", "type"
            )
        for email in card.objects("emails"):
            _string_fields(email, "email", "type")
        for phone in card.objects("phones"):
            _string_fields(phone, "phone", "type", "wa_id")
        for url in card.objects("urls"):
            _string_fields(url, "url", "type")
        for im in card.objects("ims"):
            _string_fields(im, "service", "user_id")


def _template_parameter(p: Body) -> None:
    kind = p.string("type", required=True, choices=_limits.TEMPLATE_PARAMETER_TYPES)
    if kind in _limits.TEMPLATE_TEXT_PARAMETER_TYPES:
        p.string(kind, required=True)
    elif kind in _limits.TEMPLATE_MEDIA_PARAMETER_TYPES:
        media = p.object(kind, required=True)
        if media is not None:
            if media.has("id"):
                media.string("id", required=True)
            else:
                media.url("link", required=True)
            media.string("caption")
            media.filename(kind)
    elif kind in _limits.TEMPLATE_OBJECT_PARAMETER_TYPES:
        p.object(kind, required=True)


def send_template(b: Body) -> None:
    b.wa_id()
    template_id = b.string("template_id", required=True, max=_limits.ID_MAX)
    if template_id is not None and template_id not in b.known_templates:
        b.fail("template_id", "The selected {a} is invalid.")
    components = b.objects("components", required=True, min=_limits.TEMPLATE_COMPONENTS_MIN)
    for component in components:
        kind = component.string("type", required=True, choices=_limits.TEMPLATE_COMPONENT_TYPES)
        if kind == "button":
            component.string("sub_type", required=True, choices=_limits.TEMPLATE_BUTTON_SUB_TYPES)
            _button_index(component)
        for parameter in component.objects("parameters"):
            _template_parameter(parameter)


def _button_index(component: Body) -> None:
    """``index`` of a button component: 0 to 9, as a number or a string of digits (the
    reference's examples use both)."""
    index = component.data.get("index")
    if index is None or index == "":
        component.fail("index", "The {a} field is required.")
    elif not _limits.is_button_index(index):
        low, high = _limits.TEMPLATE_BUTTON_INDEX_RANGE
        component.fail("index", f"The {{a}} field must be between {low} and {high}.")


def send_reply_buttons(b: Body) -> None:
    b.wa_id()
    _interactive_header(b, "reply_buttons")
    _interactive_text(b)
    action = b.object("action", required=True)
    if action is None:
        return
    buttons = action.objects(
        "buttons", required=True, min=_limits.REPLY_BUTTONS_MIN, max=_limits.REPLY_BUTTONS_MAX
    )
    for button in buttons:
        button.string("id", required=True, max=_limits.REPLY_BUTTON_ID_MAX)
        button.string("title", required=True, max=_limits.REPLY_BUTTON_TITLE_MAX)
    action.distinct(buttons, _limits.REPLY_BUTTON_UNIQUE_FIELDS)


def _sections(action: Body, items_key: str, *, max_sections: int, max_items: int) -> list[Body]:
    """The sections of a list or multi-product message, and every item in them.

    A section needs a title only when there are several; the item limit is across sections.
    """
    sections = action.objects("sections", required=True, min=_limits.SECTIONS_MIN, max=max_sections)
    items: list[Body] = []
    titled = _limits.section_title_required(len(sections))
    for section in sections:
        section.string("title", required=titled, max=_limits.SECTION_TITLE_MAX)
        items.extend(section.objects(items_key, required=True))
    if len(items) > max_items:
        action.fail(
            "sections", f"The {{a}} field must not have more than {max_items} {items_key} in all."
        )
    return items


def send_list(b: Body) -> None:
    b.wa_id()
    _interactive_header(b, "list")
    _interactive_text(b)
    action = b.object("action", required=True)
    if action is None:
        return
    action.string("button", required=True, max=_limits.LIST_BUTTON_TEXT_MAX)
    rows = _sections(
        action, "rows", max_sections=_limits.LIST_SECTIONS_MAX, max_items=_limits.LIST_ROWS_MAX
    )
    for row in rows:
        row.string("id", required=True, max=_limits.LIST_ROW_ID_MAX)
        row.string("title", required=True, max=_limits.LIST_ROW_TITLE_MAX)
        row.string("description", max=_limits.LIST_ROW_DESCRIPTION_MAX)
    action.distinct(rows, _limits.LIST_ROW_UNIQUE_FIELDS)


def send_product(b: Body) -> None:
    b.wa_id()
    b.string("body", max=_limits.INTERACTIVE_BODY_MAX)
    b.string("footer", max=_limits.INTERACTIVE_FOOTER_MAX)
    action = b.object("action", required=True)
    if action is not None:
        action.string("catalog_id", required=True, max=_limits.ID_MAX)
        action.string("product_retailer_id", required=True, max=_limits.ID_MAX)


def send_product_list(b: Body) -> None:
    b.wa_id()
    b.string("header", required=True, max=_limits.INTERACTIVE_HEADER_TEXT_MAX)
    _interactive_text(b)
    action = b.object("action", required=True)
    if action is None:
        return
    action.string("catalog_id", required=True, max=_limits.ID_MAX)
    items = _sections(
        action,
        "product_items",
        max_sections=_limits.PRODUCT_SECTIONS_MAX,
        max_items=_limits.PRODUCT_ITEMS_MAX,
    )
    for item in items:
        item.string("product_retailer_id", required=True, max=_limits.ID_MAX)


def send_flow(b: Body) -> None:
    b.wa_id()
    _interactive_header(b, "flow")
    _interactive_text(b)
    action = b.object("action", required=True)
    parameters = action.object("parameters", required=True) if action else None
    if parameters is None:
        return
    parameters.string("flow_message_version", required=True)
    parameters.string("flow_id", required=True, max=_limits.ID_MAX)
    parameters.string("flow_cta", required=True, max=_limits.FLOW_CTA_MAX)
    parameters.string("flow_action", required=True, choices=_limits.FLOW_ACTIONS)
    payload = parameters.object("flow_action_payload")
    if payload is not None:
        payload.string("screen")
        payload.object("data")
    parameters.string("flow_token")


# -- everything else -----------------------------------------------------------------------


def check_contacts(b: Body) -> None:
    b.strings("contacts", required=True)


def template_spec(b: Body, languages: Container[str]) -> None:
    """The body of "Create template" and "Update template"."""
    b.string("label", required=True)
    category = b.string("category_id", required=True, choices=_limits.TEMPLATE_CATEGORIES)
    b.string("language_id", required=True, choices=languages)
    b.boolean("is_propose", required=True)
    header = b.object("header")
    if header is not None:
        kind = header.string("format", required=True, choices=_limits.TEMPLATE_HEADER_FORMATS)
        header.string("text", required=kind == "TEXT")
        header.strings("examples")
    body = b.object("body", required=category != "AUTHENTICATION")
    if body is not None:
        body.string("text", required=True)
        body.strings("examples")
    b.string("footer")
    for button in b.objects("buttons"):
        kind = button.string("type", required=True, choices=_limits.TEMPLATE_BUTTON_TYPES)
        button.string("text", required=True)
        if kind == "URL":
            button.url("url", required=True)
            button.string("url_type", choices=_limits.TEMPLATE_URL_TYPES)
        elif kind == "PHONE_NUMBER":
            button.string("phone_number", required=True)
            button.string("country_code")
        button.strings("examples")
    for otp in b.objects("otp", required=category == "AUTHENTICATION"):
        otp.string("otp_type", required=True, choices=_limits.TEMPLATE_OTP_TYPES)
        otp.string("text")
    b.boolean("add_security_recommendation")
    b.integer("code_expiration_minutes", between=_limits.CODE_EXPIRATION_MINUTES)


def update_business_profile(b: Body) -> None:
    for key in ("address", "description", "email", "vertical"):
        b.string(key)
    websites = b.array("websites", max=_limits.BUSINESS_WEBSITES_MAX)
    if websites is not None:
        inner = b.nested("websites", dict(enumerate(websites)))
        for index in range(len(websites)):
            inner.url(index, required=True)


def update_about(b: Body) -> None:
    b.string("text", required=True, max=_limits.ABOUT_MAX)


#: Operation name → the rule its JSON body follows. Creating and updating a template follow
#: ``template_spec``, which also needs the languages the emulator knows.
RULES: Final[dict[str, Callable[[Body], None]]] = {
    "contacts.check": check_contacts,
    "messages.send_text": send_text,
    "messages.send_media": send_media,
    "messages.send_location": send_location,
    "messages.send_contacts": send_contacts,
    "messages.send_template": send_template,
    "messages.send_reply_buttons": send_reply_buttons,
    "messages.send_list": send_list,
    "messages.send_product": send_product,
    "messages.send_product_list": send_product_list,
    "messages.send_flow": send_flow,
    "settings.update_business_profile": update_business_profile,
    "settings.update_about": update_about,
}


def validate(
    rule: Callable[[Body], None], data: Mapping[str, Any], known_templates: Container[str] = ()
) -> Errors:
    """The rules of ``rule`` that ``data`` breaks; empty when it is valid."""
    errors: Errors = {}
    rule(Body(data, errors, known_templates=known_templates))
    return errors


def unprocessable(errors: Errors) -> dict[str, Any]:
    """Laravel's 422 body: the first message, a count of the others, and every error."""
    first = next(iter(errors.values()))[0]
    others = sum(len(messages) for messages in errors.values()) - 1
    if others:
        first += f" (and {others} more error{'s' if others > 1 else ''})"
    return {"message": first, "errors": errors}
