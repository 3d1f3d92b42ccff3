"""Checks run on every argument before a request: the field at fault and the rule it breaks.

Limits come from ``ivowaba._limits``; nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Collection, Sized
from typing import Any, TypeVar
from urllib.parse import urlsplit

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
    if (  # the common case, already a WhatsApp id: nothing to strip or replace
        value.isascii()
        and value.isdigit()
        and value[0] != "0"
        and _limits.WA_ID_MIN_DIGITS <= len(value) <= _limits.WA_ID_MAX_DIGITS
    ):
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
    if not _limits.WA_ID_MIN_DIGITS <= len(digits) <= _limits.WA_ID_MAX_DIGITS:
        raise ValidationError(
            field,
            f"{value!r} must have {_limits.WA_ID_MIN_DIGITS} to {_limits.WA_ID_MAX_DIGITS} digits "
            "including the country code",
        )
    return digits


def text(value: object, field: str, max_length: int, *, required: bool = True) -> None:
    """``value`` is a non-empty string of at most ``max_length`` characters."""
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise ValidationError(field, "must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"at most {max_length} characters (got {len(value)})")


def count(value: Sized, field: str, low: int, high: int) -> None:
    n = len(value)
    if not low <= n <= high:
        rule = f"at most {high}" if low == 0 else f"between {low} and {high}"
        raise ValidationError(field, f"{rule} items (got {n})")


def unique(values: Collection[str], field: str) -> None:
    """No value twice; ``field`` holds ``[]`` where the index of the repeat goes."""
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            where = field.replace("[]", f"[{index}]", 1)
            raise ValidationError(where, f"must be unique ({value!r} appears twice)")
        seen.add(value)


def http_url(value: object, field: str) -> None:
    """``value`` is an absolute http(s) URL with a host."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(field, f"must be an http(s) URL with a host, got {value!r}")


def coordinate(value: object, field: str, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, f"must be a number, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low:g} and {high:g} (got {value})")


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
