"""WhatsApp's template rules applied to a template definition: every problem, located.

``problems(spec)`` reads a template as "Create template" and "Update template" send it (the
JSON body, as a dict) and returns every rule it breaks, each a ``TemplateProblem`` naming the
component, the field and the rule. The limits and the rules are ``ivowaba._limits``'s, where
each says where it comes from.

The client runs it before ``templates.create`` / ``update`` send anything and
``templates.lint`` returns it; the emulator's review rejects a template for exactly these
problems. So a template the client lets through is one the emulator approves, and the other way
round.

Two rules need the gateway's lists (``categories`` and ``languages``): without them only the
form of ``category_id`` and ``language_id`` is checked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from ivowaba import _limits
from ivowaba.types.templates import TemplateProblem

AUTHENTICATION: Final = "AUTHENTICATION"
#: A refused choice is shown with the choices when there are this few.
_LISTED_AT_MOST: Final = 10


class _Found:
    """The problems found so far, in the order of the definition's fields."""

    def __init__(self) -> None:
        self.items: list[TemplateProblem] = []

    def add(self, component: str, field: str, rule: str) -> None:
        self.items.append(TemplateProblem(component=component, field=field, rule=rule))


class _Part:
    """One object of the definition (the template, its header, a button, ...) at ``prefix``:
    reads its fields the way the gateway (a Laravel app) validates them, recording each
    problem under ``component``. A reader returns the value when it is usable, else ``None``."""

    __slots__ = ("component", "data", "found", "prefix")

    def __init__(self, found: _Found, component: str, data: Mapping[str, Any], prefix: str) -> None:
        self.found = found
        self.component = component
        self.data = data
        self.prefix = prefix

    def field(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def add(self, key: str, rule: str) -> None:
        self.found.add(self.component, self.field(key), rule)

    def _value(self, key: str, required: bool) -> Any:
        """The value to check, or ``None`` when there is none. An empty string, list or
        ``null`` does not satisfy ``required``; an optional field set to ``null`` is kept,
        to be refused for its type."""
        if key not in self.data:
            if required:
                self.add(key, "is required")
            return None
        value = self.data[key]
        empty = value is None or value == [] or (isinstance(value, str) and _limits.is_blank(value))
        if required and empty:
            self.add(key, "is required")
            return None
        return _Present(value)

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        max: int | None = None,
        choices: Collection[str] | None = None,
        named: str = "",
    ) -> str | None:
        present = self._value(key, required)
        if present is None:
            return None
        value = present.value
        if not isinstance(value, str):
            self.add(key, "must be a string")
            return None
        if max is not None and len(value) > max:
            self.add(key, f"at most {max} characters (got {len(value)})")
        if choices is not None and value not in choices:
            self.add(key, f"{value!r} is not {named or 'one of'}{_listing(choices)}")
            return None
        return value

    def boolean(self, key: str, *, required: bool = False) -> None:
        present = self._value(key, required)
        # Laravel's boolean rule also takes 0 and 1.
        if present is None or isinstance(present.value, bool):
            return
        if present.value not in (0, 1):
            self.add(key, "must be true or false")

    def integer(self, key: str, between: tuple[int, int]) -> None:
        present = self._value(key, False)
        if present is None:
            return
        value = present.value
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(key, "must be an integer")
        elif not between[0] <= value <= between[1]:
            self.add(key, f"must be between {between[0]} and {between[1]} (got {value})")

    def part(self, key: str, component: str, *, required: bool = False) -> _Part | None:
        present = self._value(key, required)
        if present is None:
            return None
        if not isinstance(present.value, Mapping):
            self.add(key, "must be an object")
            return None
        return _Part(self.found, component, present.value, f"{self.field(key)}.")

    def parts(self, key: str, *, required: bool = False) -> list[_Part]:
        """The objects of a list (each recorded under the list's name as component)."""
        present = self._value(key, required)
        if present is None:
            return []
        if not isinstance(present.value, list):
            self.add(key, "must be a list")
            return []
        parts = []
        for index, item in enumerate(present.value):
            if isinstance(item, Mapping):
                parts.append(_Part(self.found, key, item, f"{self.field(key)}[{index}]."))
            else:
                self.found.add(key, f"{self.field(key)}[{index}]", "must be an object")
        return parts

    def examples(self) -> list[str] | None:
        """``examples``: a list of texts, none empty; ``None`` when absent or unusable."""
        present = self._value("examples", False)
        if present is None:
            return None
        if not isinstance(present.value, list):
            self.add("examples", "must be a list")
            return None
        usable = True
        for index, item in enumerate(present.value):
            if not isinstance(item, str):
                self.add(f"examples[{index}]", "must be a string")
                usable = False
            elif _limits.is_blank(item):
                self.add(f"examples[{index}]", "is required (an example must not be empty)")
                usable = False
        return list(present.value) if usable else None

    def one_example_per_parameter(self, examples: list[str] | None, parameters: int) -> None:
        """WhatsApp: every parameter needs an example (a sample value) for the review."""
        if parameters and examples is not None and len(examples) < parameters:
            self.add(
                "examples",
                f"one example per parameter: {_count(parameters, 'parameter')}, "
                f"{_count(len(examples), 'example')}",
            )
        elif parameters and "examples" not in self.data:
            self.add("examples", f"one example per parameter: {_count(parameters, 'parameter')}")

    def parameters(self, key: str, text: str) -> list[int]:
        """The parameters of ``text`` (at ``key``), after the rules every text's follow:
        written ``{{n}}``, numbered from 1 without gaps, in order."""
        if not _limits.is_written_exactly(text):
            self.add(key, "parameters are written {{1}}, {{2}}, ... (no spaces, names or braces)")
        numbers = _limits.template_parameters(text)
        if not _limits.numbered_without_gaps(numbers):
            self.add(
                key,
                f"parameters are numbered from {{{{1}}}} without gaps (found {_shown(numbers)})",
            )
        elif not _limits.in_order(numbers):
            self.add(key, f"parameters appear in order, {{{{1}}}} first (found {_shown(numbers)})")
        return numbers


class _Present:
    """A value that is there (possibly ``None``), so that ``None`` can mean "nothing"."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _listing(choices: Collection[str]) -> str:
    """``": A, B, C"`` for a short list; nothing for a long one (the languages)."""
    return f": {', '.join(sorted(choices))}" if len(choices) <= _LISTED_AT_MOST else ""


def _lacks_examples(part: _Part, examples: list[str] | None) -> bool:
    """No example at all: ``examples`` left out or empty (not: unusable, said already)."""
    return "examples" not in part.data or examples == []


def _own(template: _Part, component: str) -> _Part:
    """The template's top-level fields, with problems recorded under ``component``."""
    return _Part(template.found, component, template.data, "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _shown(numbers: Sequence[int]) -> str:
    return ", ".join(f"{{{{{n}}}}}" for n in dict.fromkeys(numbers))


def problems(
    spec: Any,
    *,
    categories: Collection[str] | None = None,
    languages: Collection[str] | None = None,
) -> list[TemplateProblem]:
    """Every rule the template definition ``spec`` breaks; empty when WhatsApp would take it.

    ``categories`` and ``languages``: the ids the gateway lists (``None``: not checked).
    """
    found = _Found()
    if not isinstance(spec, Mapping):
        found.add("template", "template", "must be an object")
        return found.items
    template = _Part(found, "template", spec, "")
    category = _template(template, categories, languages)
    header = _own(template, "header").part("header", "header")
    if header is not None:
        _header(header)
    body = _own(template, "body").part("body", "body", required=category != AUTHENTICATION)
    if body is not None:
        _body(body)
    _footer(_own(template, "footer"))
    _buttons(_own(template, "buttons"))
    for otp in _own(template, "otp").parts("otp", required=category == AUTHENTICATION):
        otp.string("otp_type", required=True, choices=_limits.TEMPLATE_OTP_TYPES)
        otp.string("text", max=_limits.TEMPLATE_BUTTON_TEXT_MAX)
    return found.items


def _template(
    template: _Part, categories: Collection[str] | None, languages: Collection[str] | None
) -> str | None:
    """The template's own fields; returns its category."""
    label = template.string("label", required=True, max=_limits.TEMPLATE_LABEL_MAX)
    if label is not None and not _limits.template_name(label):
        template.add("label", "must have a letter or a digit (a-z, 0-9): WhatsApp's name of it")
    category = template.string(
        "category_id", required=True, choices=categories, named="a category the gateway lists"
    )
    template.string(
        "language_id", required=True, choices=languages, named="a language the gateway lists"
    )
    template.boolean("is_propose", required=True)
    template.boolean("add_security_recommendation")
    template.integer("code_expiration_minutes", _limits.CODE_EXPIRATION_MINUTES)
    return category


def _header(header: _Part) -> None:
    kind = header.string("format", required=True, choices=_limits.TEMPLATE_HEADER_FORMATS)
    text = header.string("text", required=kind == "TEXT")
    examples = header.examples()
    if kind == "TEXT" and text is not None:
        if len(text) > _limits.TEMPLATE_HEADER_TEXT_MAX:
            header.add(
                "text", f"at most {_limits.TEMPLATE_HEADER_TEXT_MAX} characters (got {len(text)})"
            )
        if "\n" in text or "\r" in text:
            header.add("text", "must be one line (no line break in a text header)")
        numbers = header.parameters("text", text)
        most = _limits.TEMPLATE_HEADER_PARAMETERS_MAX
        if len(numbers) > most:
            header.add("text", f"at most {_count(most, 'parameter')} (got {len(numbers)})")
        header.one_example_per_parameter(examples, len(set(numbers)))
    elif kind in _limits.TEMPLATE_MEDIA_HEADER_FORMATS and _lacks_examples(header, examples):
        header.add("examples", f"a media header ({kind}) needs an example (a sample of the media)")


def _body(body: _Part) -> None:
    text = body.string("text", required=True, max=_limits.TEMPLATE_BODY_MAX)
    examples = body.examples()
    if text is None:
        return
    numbers = body.parameters("text", text)
    if _limits.has_adjacent_parameters(text):
        body.add("text", "two parameters side by side: put words between them")
    if _limits.starts_with_parameter(text):
        body.add("text", "must not start with a parameter")
    if _limits.ends_with_parameter(text):
        body.add("text", "must not end with a parameter")
    words, needed = _limits.template_words(text), _limits.words_needed(len(numbers))
    if words < needed:
        body.add(
            "text",
            f"too many parameters for its length: with {_count(len(numbers), 'parameter')} "
            f"it needs {needed} words besides them (got {words}), as words and parameters "
            f"together must be at least {_limits.TEMPLATE_WORDS_PER_PARAMETER} per parameter, "
            "plus 1",
        )
    body.one_example_per_parameter(examples, len(set(numbers)))


def _footer(footer: _Part) -> None:
    text = footer.string("footer", max=_limits.TEMPLATE_FOOTER_MAX)
    if text is not None and ("{{" in text or "}}" in text):
        footer.add("footer", "must not have a parameter")


def _buttons(template: _Part) -> None:
    buttons = template.parts("buttons")
    kinds = [button.data.get("type") for button in buttons]
    most = _limits.TEMPLATE_BUTTONS_MAX
    if len(buttons) > most:
        template.add("buttons", f"at most {most} buttons (got {len(buttons)})")
    for kind, most in (
        ("URL", _limits.TEMPLATE_URL_BUTTONS_MAX),
        ("PHONE_NUMBER", _limits.TEMPLATE_PHONE_BUTTONS_MAX),
    ):
        if kinds.count(kind) > most:
            template.add("buttons", f"at most {most} {kind} button{'' if most == 1 else 's'}")
    if not _limits.quick_replies_grouped([k if isinstance(k, str) else "" for k in kinds]):
        template.add("buttons", "QUICK_REPLY buttons must be side by side, not split by others")
    for button in buttons:
        _button(button)


def _button(button: _Part) -> None:
    kind = button.string("type", required=True, choices=_limits.TEMPLATE_BUTTON_TYPES)
    button.string("text", required=True, max=_limits.TEMPLATE_BUTTON_TEXT_MAX)
    examples = button.examples()
    if kind == "URL":
        url = button.string("url", required=True, max=_limits.TEMPLATE_URL_MAX)
        url_type = button.string("url_type", choices=_limits.TEMPLATE_URL_TYPES)
        if url is None:
            return
        if not _limits.is_http_url(url):
            button.add("url", "must be an http(s) URL with a host")
        elif url_type == "dynamic":
            if not _limits.is_dynamic_url(url):
                button.add("url", "a dynamic URL has one parameter, {{1}}, at its very end")
            if _lacks_examples(button, examples):
                button.add("examples", "a dynamic URL needs an example (the value of {{1}})")
        elif "{{" in url or "}}" in url:
            button.add("url_type", 'a URL with a parameter is url_type "dynamic"')
    elif kind == "PHONE_NUMBER":
        number = button.string("phone_number", required=True)
        country_code = button.string("country_code")
        if number is not None and not _limits.is_international_phone(country_code, number):
            button.add(
                "phone_number",
                "must be a number in international form, with its country code "
                '(country_code "+62", phone_number "85128567890")',
            )
