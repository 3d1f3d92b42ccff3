"""Notification payloads in the reference's shapes (WhatsApp On-Premises format).

Status notifications carry ``statuses``; inbound ones carry ``contacts`` (who wrote) and
``messages``. Every builder returns a fresh dict ready to be posted as JSON.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

from ivowaba.types.error_codes import ErrorCode

ERRORS_HREF: Final = "https://developers.facebook.com/docs/whatsapp/api/errors/"

#: What a media message defaults to when a test gives no content type.
DEFAULT_MIME_TYPES: Final = {
    "image": "image/jpeg",
    "document": "application/pdf",
    "audio": "audio/mpeg",
    "voice": "audio/ogg; codecs=opus",
    "video": "video/mp4",
    "sticker": "image/webp",
}


def outbound_message_id() -> str:
    """A new id of a message the business sent, shaped like ``gBEGkYiEB1VXAglK1ZEqA1YKPrU``."""
    return "gBEG" + secrets.token_urlsafe(17)


def inbound_message_id() -> str:
    """A new id of a message a customer sent, shaped like ``ABGGFlA5FpafAgo6tHcNmNjXmuSf``."""
    return "ABGG" + secrets.token_urlsafe(18)


class MessageIds(NamedTuple):
    """How an emulator names messages: each function takes the customer's number and returns
    a new id, of a message sent to them (``outbound``) or by them (``inbound``)."""

    outbound: Callable[[str], str]
    inbound: Callable[[str], str]


#: The ids of the reference's examples (``gBEG...`` sent, ``ABGG...`` received); the Cloud
#: API's ``wamid.`` ones are ``_cloud.CLOUD_IDS``.
REFERENCE_IDS: Final = MessageIds(
    lambda wa_id: outbound_message_id(), lambda wa_id: inbound_message_id()
)


def timestamp(at: float) -> str:
    """A notification's ``timestamp``: whole seconds since the epoch, as a string."""
    return str(int(at))


# -- statuses ------------------------------------------------------------------------------


def conversation(recipient_id: str, category: str, started: float) -> dict[str, Any]:
    return {
        "expiration_timestamp": int(started) + 24 * 3600,
        "id": secrets.token_hex(16),
        "origin": {"type": category},
    }


def status(
    message_id: str,
    recipient_id: str,
    state: str,
    *,
    at: float,
    conversation: dict[str, Any] | None = None,
    category: str = "service",
) -> dict[str, Any]:
    """A ``state`` status of the message, at ``at`` (seconds since the epoch).
    ``sent``/``delivered`` carry the conversation and pricing; ``read`` does not."""
    entry: dict[str, Any] = {
        "id": message_id,
        "recipient_id": recipient_id,
        "status": state,
        "type": "message",
        "timestamp": timestamp(at),
    }
    if conversation is not None:
        entry["conversation"] = conversation
        entry["pricing"] = {"billable": True, "category": category, "pricing_model": "CBP"}
    return {"statuses": [entry]}


def error(code: int, title: str | None = None) -> dict[str, Any]:
    """One entry of a failed status's ``errors``: ``code`` and ``title`` (by default the
    code's title in :class:`~ivowaba.types.error_codes.ErrorCode`, "Message failed" for a
    code it does not name), with its ``href`` for 470."""
    known = ErrorCode.lookup(code)
    entry: dict[str, Any] = {
        "code": code,
        "title": title or (known.title if known is not None else "Message failed"),
    }
    if code == 470:
        entry["href"] = ERRORS_HREF
    return entry


def failed(
    message_id: str, recipient_id: str, error: Mapping[str, Any], *, at: float
) -> dict[str, Any]:
    """The ``failed`` status of the message, with ``error`` (made by :func:`error`)."""
    return {
        "statuses": [
            {
                "errors": [dict(error)],
                "id": message_id,
                "recipient_id": recipient_id,
                "status": "failed",
                "timestamp": timestamp(at),
            }
        ]
    }


# -- inbound messages ----------------------------------------------------------------------


def inbound(
    from_: str,
    kind: str,
    content: dict[str, Any],
    *,
    at: float,
    name: str | None = None,
    context: dict[str, str] | None = None,
    ids: MessageIds = REFERENCE_IDS,
) -> dict[str, Any]:
    """A customer's message, sent at ``at``: ``content`` holds the type's own fields
    (``{"text": {...}}``); its id is made by ``ids``."""
    message: dict[str, Any] = {"context": context} if context is not None else {}
    message.update(
        {"from": from_, "id": ids.inbound(from_), "timestamp": timestamp(at), "type": kind}
    )
    message.update(content)
    return {
        "contacts": [{"profile": {"name": name or "Customer"}, "wa_id": from_}],
        "messages": [message],
    }


def media_object(
    media_id: str,
    mime_type: str,
    sha256: str,
    *,
    caption: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    media: dict[str, Any] = {
        "file": f"/usr/local/wamedia/shared/{media_id}",
        "id": media_id,
        "mime_type": mime_type,
        "sha256": sha256,
    }
    if caption is not None:
        media["caption"] = caption
    if filename is not None:
        media["filename"] = filename
    return media
