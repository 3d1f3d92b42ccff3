"""``client.webhooks``: your webhook endpoints, and notifications they failed to receive."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ivowaba import _limits
from ivowaba._errors import WebhookParseError
from ivowaba._operations import OPERATIONS
from ivowaba._resource import Mode, Resource, operation
from ivowaba._validation import text
from ivowaba.types.resources import Webhook

if TYPE_CHECKING:
    from ivowaba.types.notifications import Notification

LIST = OPERATIONS["webhooks.list"]
PULL_PENDING = OPERATIONS["webhooks.pull_pending"]


_decode_list: Callable[[bytes], list[Webhook]] = LIST.decoder
_decode_pending_objects: Callable[[bytes], list[dict[str, Any]] | None] = PULL_PENDING.decoder


def _decode_pending(body: bytes) -> list[Notification]:
    from ivowaba.types.notifications import notification_from_object

    try:
        return [notification_from_object(item) for item in _decode_pending_objects(body) or ()]
    except WebhookParseError as exc:
        raise ValueError(str(exc)) from None


class Webhooks(Resource[Mode]):
    @operation
    async def list(self) -> list[Webhook]:
        """Your webhook endpoints (``GET /api/v1/webhooks``).

        Returns a list of ``Webhook``: ``id``, ``name``, ``url``, ``events``, ``headers``,
        ``status`` (``"on"`` or ``"off"``) and ``http_auth`` (its basic-auth password is never
        shown in a repr).

        Raises ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        for webhook in await client.webhooks.list():
            print(webhook.id, webhook.url, webhook.status)
        ```
        """
        return await self._client.call(LIST, _decode_list)

    @operation
    async def pull_pending(self, webhook_id: str) -> builtins.list[Notification]:
        """Pull the notifications IVOWBA failed to deliver to a webhook
        (``GET /api/v1/webhooks/{webhook_id}/pull-pending-notifications``).

        - ``webhook_id``: the webhook's ``id`` (see ``list``), not blank, at most 200
          characters.

        IVOWBA tries each notification 3 times; what still failed waits here. Feed the list
        to ``ivowaba.webhooks.Dispatcher.replay`` to handle it as if delivered.

        Returns a list of ``Notification`` (typed messages and statuses); empty when nothing
        is pending.

        Raises ``ValidationError`` (``webhook_id``) before any request;
        ``SandboxUnsupportedError`` in sandbox mode; ``NotFoundError`` for an unknown webhook;
        ``AuthenticationError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError`` (also for an
        item that is no notification); ``ClientClosedError`` after close.

        ```python
        pending = await client.webhooks.pull_pending(webhook.id)
        await dispatcher.replay(pending)
        ```
        """
        text(webhook_id, "webhook_id", _limits.WEBHOOK_ID_MAX)
        return await self._client.call(PULL_PENDING, _decode_pending, path_args=(webhook_id,))
