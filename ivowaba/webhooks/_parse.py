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
    """Read one webhook notification.

    ``body`` is the request body as bytes or text, or the JSON object already decoded.
    Returns a :class:`Notification` whose ``messages`` and ``statuses`` are typed structs.
    Raises :class:`~ivowaba.WebhookParseError`, and nothing else, for anything that is not a
    notification::

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
