"""Notification payloads in the reference's shapes (WhatsApp On-Premises format).

Status notifications carry ``statuses``; inbound ones carry ``contacts`` (who wrote) and
``messages``. Every builder returns a fresh dict ready to be posted as JSON.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Final

#: Error titles of the failure codes the reference shows.
FAILURE_TITLES: Final = {
    470: (
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number"
    ),
    480: "Failed to send message since we detect an identity change of the contact",
}
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


def timestamp() -> str:
    return str(int(time.time()))


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
    conversation: dict[str, Any] | None = None,
    category: str = "service",
) -> dict[str, Any]:
    """``sent``/``delivered`` carry the conversation and pricing; ``read`` does not."""
    entry: dict[str, Any] = {
        "id": message_id,
        "recipient_id": recipient_id,
        "status": state,
        "type": "message",
        "timestamp": timestamp(),
    }
    if conversation is not None:
        entry["conversation"] = conversation
        entry["pricing"] = {"billable": True, "category": category, "pricing_model": "CBP"}
    return {"statuses": [entry]}


def failed(message_id: str, recipient_id: str, code: int) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "title": FAILURE_TITLES.get(code, "Message failed")}
    if code == 470:
        error["href"] = ERRORS_HREF
    return {
        "statuses": [
            {
                "errors": [error],
                "id": message_id,
                "recipient_id": recipient_id,
                "status": "failed",
                "timestamp": timestamp(),
            }
        ]
    }


# -- inbound messages ----------------------------------------------------------------------


def inbound(
    from_: str,
    kind: str,
    content: dict[str, Any],
    *,
    name: str | None = None,
    context: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A customer's message: ``content`` holds the type's own fields (``{"text": {...}}``)."""
    message: dict[str, Any] = {"context": context} if context is not None else {}
    message.update(
        {"from": from_, "id": inbound_message_id(), "timestamp": timestamp(), "type": kind}
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
