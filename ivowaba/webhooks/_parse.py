"""``parse``: a webhook body to a typed :class:`~ivowaba.types.notifications.Notification`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivowaba.types.notifications import (
    Notification,
    notification_from_json,
    notification_from_object,
)


def parse(body: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> Notification:
    """Read one webhook notification, in either shape, with no configuration.

    ``body`` is the request body as bytes or text, or the JSON object already decoded: the
    reference's format (``{"contacts": [...], "messages": [...]}``, ``{"statuses": [...]}``)
    or the WhatsApp Cloud API envelope (``{"object": "whatsapp_business_account", "entry":
    [...]}``). Returns a :class:`Notification` whose ``messages`` and ``statuses`` are typed
    structs, the same for both shapes: from an envelope, every item of all its entries and
    ``messages`` changes, in order, each with the ``business_number`` it came for, and its
    other changes in ``other_changes``. Raises :class:`~ivowaba.WebhookParseError`, and
    nothing else, for anything that is neither::

        notification = parse(await request.read())
        for message in notification.messages:
            if isinstance(message, InboundText):
                print(message.from_, message.text.body)
        for status in notification.statuses:
            print(status.id, status.status)
    """
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        return notification_from_json(body)
    if isinstance(body, Mapping) and not isinstance(body, dict):
        body = dict(body)
    return notification_from_object(body)
