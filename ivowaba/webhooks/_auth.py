"""Check a webhook request's HTTP basic credentials in constant time: ``verify_basic_auth``
answers yes or no, ``require_basic_auth`` raises ``WebhookAuthError``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from ivowaba._errors import WebhookAuthError


def verify_basic_auth(authorization_header: str | None, username: str, password: str) -> bool:
    """True when ``authorization_header`` is ``Basic <base64 of username:password>``.

    The comparison takes the same time whatever the header holds, so timing tells an attacker
    nothing about the credentials. A missing or malformed header is ``False``, never an error::

        if not verify_basic_auth(request.headers.get("Authorization"), "ivo", secret):
            return web.Response(status=401)
    """
    given = _credentials(authorization_header)
    expected = f"{username}:{password}".encode()
    # Hash both sides so that the comparison does not even depend on the lengths.
    same = hmac.compare_digest(
        hashlib.sha256(given if given is not None else b"").digest(),
        hashlib.sha256(expected).digest(),
    )
    return given is not None and same


def require_basic_auth(authorization_header: str | None, username: str, password: str) -> None:
    """Raise ``WebhookAuthError`` unless the header carries these credentials (constant time),
    for a receiver of your own (Django, Flask, ...)::

        try:
            require_basic_auth(request.headers.get("Authorization"), "ivo", secret)
        except WebhookAuthError:
            return HttpResponse(status=401, headers={"WWW-Authenticate": 'Basic realm="webhook"'})

    The error never repeats the credentials it was given or expected.
    """
    if not verify_basic_auth(authorization_header, username, password):
        reason = "no basic credentials" if authorization_header is None else "wrong credentials"
        raise WebhookAuthError(f"webhook request refused: {reason}")


def _credentials(header: str | None) -> bytes | None:
    """The decoded ``user:password`` bytes of a Basic authorization header, else ``None``."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return decoded if b":" in decoded else None
