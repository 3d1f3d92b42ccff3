"""A template campaign with ``send_many``: flat memory, a rate limit, one result per row.

python examples/bulk_campaign.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator

from _target import target

import ivowaba

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000


def campaign(n: int) -> Iterator[ivowaba.TemplateMessage]:
    """Built lazily, one row at a time: this could be a CSV of a million customers."""
    for i in range(n):
        yield ivowaba.TemplateMessage(
            wa_id=f"62812{i:07d}",
            template_id="60243665e4058d3b4a377bce",
            components=[
                ivowaba.TemplateComponent(
                    type="body", parameters=[ivowaba.TemplateParameter(type="text", text=f"#{i}")]
                )
            ],
        )


async def main(api_key: str | None, base_url: str | None) -> None:
    sent = failed = 0
    started = time.monotonic()
    async with ivowaba.AsyncClient(api_key, base_url=base_url, rate_limit=1_000) as client:
        async for result in client.messages.send_many(campaign(N), concurrency=64):
            if result.ok:
                sent += 1
            else:
                failed += 1
                print(f"row {result.index}: {result.error}")
    elapsed = time.monotonic() - started
    print(f"{sent} sent, {failed} failed in {elapsed:.1f} s ({sent / elapsed:,.0f}/s)")


if __name__ == "__main__":
    with target() as (api_key, base_url):
        asyncio.run(main(api_key, base_url))
