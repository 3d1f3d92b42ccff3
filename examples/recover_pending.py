"""Recover what the gateway could not deliver while your receiver was down.

IVOWBA tries each notification 3 times, then holds it. This pulls what every webhook (or the
one named) holds and feeds it through the echo bot's handlers of ``webhook_aiohttp.py``, with
the same de-duplication: a notification already handled is skipped.

    export IVOWABA_API_KEY=...
    python examples/recover_pending.py [webhook_id]
"""

from __future__ import annotations

import asyncio
import sys

from webhook_aiohttp import build_dispatcher

import ivowaba


async def recover(webhook_ids: list[str]) -> int:
    async with ivowaba.AsyncClient() as client:
        dispatcher = build_dispatcher(client)
        if not webhook_ids:
            webhook_ids = [webhook.id for webhook in await client.webhooks.list()]
        failures = 0
        for webhook_id in webhook_ids:
            pending = await client.webhooks.pull_pending(webhook_id)
            result = await dispatcher.replay(pending)
            print(
                f"{webhook_id}: {len(pending)} pending, {result.handled} handled, "
                f"{result.duplicates} already handled, {len(result.failed)} failed"
            )
            for notification, error in result.failed:
                ids = [m.id for m in notification.messages] + [s.id for s in notification.statuses]
                print(f"  failed on {ids}: {error!r}", file=sys.stderr)
            failures += len(result.failed)
        return failures


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(recover(sys.argv[1:])) else 0)
