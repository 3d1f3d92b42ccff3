"""Checks run on every argument before a request: the field at fault and the rule it breaks.

Limits come from ``ivowaba._limits``; nothing here knows about HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sized
from typing import Any, TypeVar

import msgspec

from ivowaba import _limits
from ivowaba._errors import ValidationError

T = TypeVar("T")

_PHONE_PUNCTUATION = str.maketrans("", "", "+ -().\u00a0")
#: A number a spreadsheet exported as a decimal: ``628123456789.0``.
_SPREADSHEET_DECIMAL = re.compile(r"^\s*\+?\d+\.0+\s*$")


def wa_id(value: object, *, field: str = "to", default_country_code: str | None = None) -> str:
    """Normalise a WhatsApp id: ``"+62 812-3456-789"`` → ``"628123456789"``.

    ``+``, spaces, dashes, dots and parentheses are dropped; a leading ``0`` is replaced by
    ``default_country_code`` when one is configured. Anything else that is not 8 to 15 digits
    raises ``ValidationError``, and so does a number a spreadsheet wrote as a decimal
    (``628123456789.0``: its dot dropped, it would reach another number).
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a phone number string, got {type(value).__name__}")
    if _limits.is_wa_id(value):  # the common case: nothing to strip or replace
        return value
    if _SPREADSHEET_DECIMAL.match(value):  # 628123456789.0 would become 6281234567890
        raise ValidationError(
            field,
            f"{value!r} ends with a decimal point and zeros, as a spreadsheet writes a number: "
            "store the phone number as text",
        )
    digits = value.translate(_PHONE_PUNCTUATION)
    if digits.startswith("00"):  # the international call prefix: a country code follows
        digits = digits[2:]
        if digits.startswith("0"):
            raise ValidationError(field, f"{value!r}: no country code starts with 0")
    elif digits.startswith("0"):
        if default_country_code is None:
            raise ValidationError(
                field,
                f"{value!r} starts with 0: write it with its country code "
                "(or set default_country_code)",
            )
        digits = default_country_code + digits[1:]
    if not digits.isdigit() or not digits.isascii():
        raise ValidationError(field, f"{value!r} is not a phone number (digits with country code)")
    if not _limits.is_wa_id(digits):
        raise ValidationError(
            field,
            f"{value!r} must have {_limits.WA_ID_MIN_DIGITS} to {_limits.WA_ID_MAX_DIGITS} digits "
            "including the country code",
        )
    return digits


def text(
    value: object, field: str, max_length: int | None = None, *, required: bool = True
) -> None:
    """``value`` is a string of at most ``max_length`` characters, not blank when ``required``
    (and then not ``None`` either)."""
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if required and _limits.is_blank(value):
        raise ValidationError(field, "must not be empty")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(field, f"at most {max_length} characters (got {len(value)})")


#: What is never a list of items, though Python iterates it: ``body="Agus"`` is no four
#: parameters, ``buttons={"id": ...}`` no list of its keys.
_NOT_LISTS = (str, bytes, bytearray, memoryview, Mapping)


def listed(value: object, field: str, items: str) -> list[Any]:
    """``value``'s items, as a list: ``value`` is a list, tuple or other iterable of
    ``items`` (``"body parameters"``). A string, bytes or a mapping is refused, not taken
    apart, and so is anything that is not iterable."""
    if isinstance(value, _NOT_LISTS) or not isinstance(value, Iterable):
        raise ValidationError(field, list_rule(type(value).__name__, items))
    return list(value)


def list_rule(given: str, items: str = "items") -> str:
    """The rule a value of type ``given`` breaks where a list of ``items`` belongs."""
    return f"must be a list of {items}, not {with_article(given)}"


def with_article(noun: str) -> str:
    """``noun`` after its indefinite article, for messages: ``an image``, ``a str``."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def flag(value: object, field: str, *, optional: bool = True) -> None:
    """``value`` is ``True`` or ``False`` (or ``None``, when ``optional``): ``"yes"``, ``1``
    or ``"false"`` are refused rather than sent, or taken for true."""
    if isinstance(value, bool) or (optional and value is None):
        return
    raise ValidationError(field, _FLAG_RULES[optional])


#: The rule of a flag, by whether it may be ``None``.
_FLAG_RULES = {True: "must be True, False or None", False: "must be True or False"}


def count(value: Sized, field: str, low: int, high: int) -> None:
    n = len(value)
    if not low <= n <= high:
        rule = f"at most {high}" if low == 0 else f"between {low} and {high}"
        raise ValidationError(field, f"{rule} items (got {n})")


def unique(places: Iterable[tuple[str, Hashable]]) -> None:
    """No value twice: ``places`` pairs each value with the field it stands in, and the
    error names the field of the repeat."""
    seen: set[Hashable] = set()
    for field, value in places:
        if value in seen:
            raise ValidationError(field, f"must be unique ({value!r} appears twice)")
        seen.add(value)


def http_url(value: object, field: str) -> None:
    """``value`` is an absolute http(s) URL with a host."""
    if not _limits.is_http_url(value):
        raise ValidationError(field, f"must be an http(s) URL with a host, got {value!r}")


def absent(value: object, field: str, reason: str) -> None:
    """``value`` is ``None``: the field must be left out, for ``reason``."""
    if value is not None:
        raise ValidationError(field, f"must be left out: {reason}")


def coordinate(value: object, field: str, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, f"must be a number, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low:g} and {high:g} (got {value})")


def seconds(value: object, field: str) -> None:
    """``value`` is a positive number of seconds (``math.inf``: no limit)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError(field, f"must be a positive number of seconds, got {value!r}")


def convert(value: Any, type_: type[T], field: str) -> T:
    """``value`` as ``type_``: a struct passes through, a dict in wire shape is converted.

    A dict with an unknown key or a value of the wrong type raises ``ValidationError`` naming
    the exact place (``sections[0].rows[1].title``).
    """
    if isinstance(value, type_):
        return value
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        raise ValidationError(*located(str(exc), field)) from None


def located(message: str, field: str) -> tuple[str, str]:
    """Split msgspec's "rule - at `$.a[0].b`" into (``field.a[0].b``, rule); an empty
    ``field`` gives ``a[0].b``. msgspec's "Expected `array`, got `str`" becomes the rule
    ``listed`` states, its "Expected `bool`, ..." the rule ``flag`` states."""
    rule, sep, where = message.rpartition(" - at `$")
    if not sep:
        rule, where = message, ""
    not_a_list = _NOT_A_LIST.fullmatch(rule)
    if not_a_list is not None:
        given = not_a_list.group(1)
        rule = list_rule(_MSGSPEC_KINDS.get(given, given))
    elif _NOT_A_FLAG.fullmatch(rule):
        rule = _FLAG_RULES["null" in rule]
    where = where.rstrip("`")
    return (field + where if field else where.lstrip(".")) or "message", rule


_NOT_A_LIST = re.compile(r"Expected `array(?: \| null)?`, got `(\w+)`")
_NOT_A_FLAG = re.compile(r"Expected `bool( \| null)?`, got `\w+`")
#: msgspec's names of JSON kinds, as Python calls them.
_MSGSPEC_KINDS = {"object": "dict", "array": "list", "null": "None"}
