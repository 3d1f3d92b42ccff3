"""``client.webhooks``: your webhook endpoints, and notifications they failed to receive."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import msgspec

from ivowaba import _json
from ivowaba._client import Endpoint
from ivowaba._errors import WebhookParseError
from ivowaba._resource import Mode, Resource, operation
from ivowaba._validation import text
from ivowaba.types.resources import Webhook

if TYPE_CHECKING:
    from ivowaba.types.notifications import Notification

LIST = Endpoint("webhooks.list", "GET", "/api/v1/webhooks")
PULL_PENDING = Endpoint(
    "webhooks.pull_pending", "GET", "/api/v1/webhooks/{}/pull-pending-notifications"
)


class _Webhooks(msgspec.Struct):
    data: list[Webhook]


_decode_list = _json.decode_as(_Webhooks)


def _decode_pending(body: bytes) -> list[Notification]:
    from ivowaba.types.notifications import notification_from_object

    decoded: Any = _json.decode_any(body) if body.strip() else []
    if isinstance(decoded, dict) and "data" in decoded:
        decoded = decoded["data"]
    if decoded is None:
        return []
    if not isinstance(decoded, list):
        raise ValueError("expected a list of notifications")
    try:
        return [notification_from_object(item) for item in decoded]
    except WebhookParseError as exc:
        raise ValueError(str(exc)) from None


class Webhooks(Resource[Mode]):
    @operation
    async def list(self) -> list[Webhook]:
        """Your webhook endpoints (the basic-auth password is never shown in a repr)."""
        return (await self._client.call(LIST, _decode_list)).data

    @operation
    async def pull_pending(self, webhook_id: str) -> builtins.list[Notification]:
        """Notifications IVOWBA failed to deliver (3 attempts) to ``webhook_id``.

        Feed them to ``ivowaba.webhooks.Dispatcher.replay`` to handle them as if delivered.
        """
        text(webhook_id, "webhook_id", 200)
        return await self._client.call(PULL_PENDING, _decode_pending, path_args=(webhook_id,))
