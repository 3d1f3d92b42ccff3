"""Checks run on every argument before a request: the field at fault and the rule it breaks.

Limits come from ``ivowaba._limits``; nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sized
from typing import Any, TypeVar

import msgspec

from ivowaba import _limits
from ivowaba._errors import ValidationError

T = TypeVar("T")

_PHONE_PUNCTUATION = str.maketrans("", "", "+ -().\u00a0")


def wa_id(value: object, *, field: str = "to", default_country_code: str | None = None) -> str:
    """Normalise a WhatsApp id: ``"+62 812-3456-789"`` → ``"628123456789"``.

    ``+``, spaces, dashes, dots and parentheses are dropped; a leading ``0`` is replaced by
    ``default_country_code`` when one is configured. Anything else that is not 8 to 15 digits
    raises ``ValidationError``.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a phone number string, got {type(value).__name__}")
    if _limits.is_wa_id(value):  # the common case: nothing to strip or replace
        return value
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
        raise ValidationError(*_located(str(exc), field)) from None


def _located(message: str, field: str) -> tuple[str, str]:
    """Split msgspec's "rule - at `$.a[0].b`" into (``field.a[0].b``, rule)."""
    rule, sep, where = message.rpartition(" - at `$")
    if not sep:
        return field, message
    return field + where.rstrip("`"), rule
