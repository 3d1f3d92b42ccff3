"""A CSV campaign fanned out over Celery workers, with Redis as broker and result store.

    # on every worker machine, in this directory:
    export IVOWABA_API_KEY=... CAMPAIGN_REDIS_URL=redis://redis-host:6379/0
    celery -A campaign worker --concurrency 4 --loglevel INFO

    # anywhere (the same CAMPAIGN_REDIS_URL):
    python campaign.py contacts.csv --text "Halo {name}, your parcel is on its way"

The producer splits the CSV into chunks, one Celery task each; every worker process sends its
chunks with ``send_many`` through its own ``ivowaba.Client``. Progress is read from the
results as chunks finish, and every row's fate lands in ``contacts.results.jsonl``.

- ``CAMPAIGN_REDIS_URL``: the broker and result store (default ``redis://127.0.0.1:6379/0``).
- ``CAMPAIGN_RATE``: messages per second for all workers together, kept on Redis
  (``RedisRateLimiter``); ``0`` (the default) for no limit.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from celery import Celery, group  # type: ignore[import-untyped, unused-ignore]
from celery.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    TimeoutError as CeleryTimeoutError,
)

import ivowaba
from ivowaba.contrib.celery import RowResult, chunked, send_chunk_task

REDIS_URL = os.environ.get("CAMPAIGN_REDIS_URL", "redis://127.0.0.1:6379/0")
RATE = int(os.environ.get("CAMPAIGN_RATE", "0"))

app = Celery("campaign", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    worker_prefetch_multiplier=1,  # a chunk waiting in a worker is not at risk of redelivery
    broker_connection_retry_on_startup=True,
    result_expires=7 * 24 * 3600,
)


def make_client() -> ivowaba.Client:
    """Each worker process's client (built in that process, after the fork)."""
    if not RATE:
        return ivowaba.Client()
    from redis.asyncio import Redis

    from ivowaba.contrib.redis import RedisRateLimiter

    limiter = RedisRateLimiter(Redis.from_url(REDIS_URL), "campaign:rate", RATE)
    return ivowaba.Client(rate_limiter=limiter)


send_chunk = send_chunk_task(app, client=make_client, name="campaign.send_chunk")


# -- the producer ------------------------------------------------------------------------------


def read_messages(path: Path, text: str, to_column: str) -> Iterator[dict[str, Any]]:
    """One text message per CSV row; ``text`` may name columns: ``"Hi {name}"``."""
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            yield {"type": "text", "wa_id": row[to_column], "text": text.format(**row)}


class Progress:
    """Counts rows as their chunks' results come in, and prints a line now and then."""

    def __init__(self, total: int, out: Any) -> None:
        self.total, self.out = total, out
        self.sent = self.failed = 0
        self.started = self.shown = time.monotonic()

    def add(self, rows: list[RowResult], recipients: list[str]) -> None:
        for row in rows:
            self.out.write(json.dumps({**row, "wa_id": recipients[row["index"]]}) + "\n")
            if row["id"] is not None:
                self.sent += 1
            else:
                self.failed += 1
        if time.monotonic() - self.shown >= 1.0:
            self.show()

    def show(self) -> None:
        self.shown = time.monotonic()
        done = self.sent + self.failed
        rate = done / max(self.shown - self.started, 1e-9)
        print(f"sent {self.sent}  failed {self.failed}  {done}/{self.total}  {rate:,.0f}/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="a CSV file with a header row")
    parser.add_argument("--text", required=True, help="the text, with {column} placeholders")
    parser.add_argument("--to-column", default="phone", help="recipient column (phone)")
    parser.add_argument("--chunk-size", type=int, default=100, help="rows per task (100)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait at most")
    args = parser.parse_args(argv)

    messages = read_messages(args.csv, args.text, args.to_column)
    recipients: list[str] = []
    signatures, ranges = [], []
    for start, rows in chunked(messages, args.chunk_size):
        recipients.extend(row["wa_id"] for row in rows)
        signatures.append(send_chunk.s(rows, start))
        ranges.append((start, len(rows)))
    job = group(signatures).apply_async()
    # task id -> the rows of its chunk: (first, count)
    chunks = {result.id: span for result, span in zip(job.results, ranges, strict=True)}
    print(f"{len(recipients)} rows in {len(chunks)} chunks, queued")

    results_path = args.csv.with_suffix(".results.jsonl")
    with results_path.open("w", encoding="utf-8") as out:
        progress = Progress(len(recipients), out)

        def on_chunk(task_id: str, value: Any) -> None:
            first, count = chunks.pop(task_id)
            if isinstance(value, BaseException):  # the task itself failed: no row results
                print(f"rows {first}-{first + count - 1}: the task failed: {value!r}")
                progress.failed += count
                return
            progress.add(value, recipients)

        try:
            job.join_native(timeout=args.timeout, interval=0.2, propagate=False, callback=on_chunk)
        except CeleryTimeoutError:
            for first, count in sorted(chunks.values()):
                print(f"rows {first}-{first + count - 1}: no result yet (worker down?)")
        progress.show()
    job.forget()
    app.close()
    print(f"results: {results_path}")
    return 0 if progress.sent == len(recipients) else 1


if __name__ == "__main__":
    sys.exit(main())
