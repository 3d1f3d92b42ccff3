"""Outcome store ingest: statuses through the webhook receiver path into the SQLite store,
against a raw ``sqlite3`` ``executemany`` of the same rows, in interleaved rounds.

    python benchmarks/bench_outcomes.py [-n 30000] [--rounds 5] [--concurrency 64] [--json out.json]

Each round runs, each on a fresh database file in WAL mode (``synchronous=NORMAL``):

- ``raw executemany``: the rows, built before the clock starts, written by one
  ``executemany`` of the store's own upsert (the rank rule) in one transaction: what SQLite
  itself costs for this work, with nothing around it;
- ``receiver, N in flight``: every status as the gateway posts it, one notification body
  each, handed to the receiver (``Receiver.handle``: parse, ``Dispatcher.dispatch`` with its
  de-duplication, recording in ``SQLiteOutcomeStore``), with N deliveries in flight as a
  server with N open connections has; each returns once its status is committed;
- ``receiver, 1 in flight``: the same, one delivery after the other.

Reported: the median over the rounds of each contender's statuses per second, and of each
round's ratio to the raw baseline of the same round (``x 4.0``: four times the raw time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402

from ivowaba.outcomes import SQLiteOutcomeStore  # noqa: E402
from ivowaba.outcomes._rank import status_fact  # noqa: E402
from ivowaba.outcomes._sqlite import _RECORD_STATUS, _SCHEMA, _status_row  # noqa: E402
from ivowaba.webhooks import Dispatcher, parse  # noqa: E402
from ivowaba.webhooks._receiver import DEFAULT_MAX_BODY, OK, Receiver  # noqa: E402

STATES = ("sent", "delivered", "read")


def bodies(n: int) -> list[bytes]:
    """``n`` status notifications as the gateway posts them: each message's sent, delivered
    and read, one notification each, in the reference's shape."""
    out = []
    for i in range(n):
        message, step = divmod(i, len(STATES))
        state = STATES[step]
        status: dict[str, Any] = {
            "id": f"gBEGkYiEB1VXAglK1ZEqA{message:08d}",
            "recipient_id": f"62812{message % 1_000_000:07d}",
            "status": state,
            "timestamp": str(1_700_000_000 + i),
            "type": "message",
        }
        if state != "read":
            status["conversation"] = {
                "id": f"conv-{message}",
                "expiration_timestamp": 1_700_086_400,
                "origin": {"type": "service"},
            }
            status["pricing"] = {"billable": True, "category": "service", "pricing_model": "CBP"}
        out.append(msgspec.json.encode({"statuses": [status]}))
    return out


def raw_rows(payloads: list[bytes]) -> list[tuple[Any, ...]]:
    rows = []
    for body in payloads:
        for status in parse(body).statuses:
            fact = status_fact(status, time.time)
            assert fact is not None
            rows.append(_status_row(fact))
    return rows


def fresh_file(directory: Path, name: str) -> Path:
    path = directory / f"{name}-{time.monotonic_ns()}.db"
    return path


def run_raw(directory: Path, rows: list[tuple[Any, ...]]) -> float:
    connection = sqlite3.connect(fresh_file(directory, "raw"), isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.executescript(_SCHEMA)
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(_RECORD_STATUS, rows)
        connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


async def run_sdk(directory: Path, payloads: list[bytes], concurrency: int) -> float:
    store = SQLiteOutcomeStore(fresh_file(directory, "sdk"))
    receiver = Receiver(
        Dispatcher(outcomes=store), username=None, password=None, max_body=DEFAULT_MAX_BODY
    )
    items: Iterator[bytes] = iter(payloads)

    async def worker() -> None:
        for body in items:
            reply = await receiver.handle(body)
            if reply is not OK:
                raise RuntimeError(f"the receiver answered {reply.status}")

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        last = parse(payloads[-1]).statuses[0]
        outcome = await store.outcome(last.id)
        assert outcome is not None, last.id
        assert outcome.status == last.status, outcome
    finally:
        await store.aclose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=30_000, help="statuses per run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--concurrency", type=int, default=64, help="deliveries in flight")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    payloads = bodies(args.n)
    rows = raw_rows(payloads)
    contenders = ["raw executemany", f"receiver, {args.concurrency} in flight"]
    if args.concurrency != 1:
        contenders.append("receiver, 1 in flight")
    times: dict[str, list[float]] = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory(prefix="ivowaba-bench-outcomes-") as tmp:
        directory = Path(tmp)
        asyncio.run(run_sdk(directory, payloads[:3000], args.concurrency))  # warm up
        for round_ in range(args.rounds):
            times["raw executemany"].append(run_raw(directory, rows))
            times[contenders[1]].append(asyncio.run(run_sdk(directory, payloads, args.concurrency)))
            if len(contenders) > 2:
                times[contenders[2]].append(asyncio.run(run_sdk(directory, payloads, 1)))
            print(
                f"  round {round_ + 1}: "
                + ", ".join(f"{name} {times[name][-1]:.3f} s" for name in contenders),
                file=sys.stderr,
            )

    raw = times["raw executemany"]
    results = []
    print(
        f"\n{args.n:,} statuses, {args.rounds} interleaved rounds, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    print(f"{'contender':<28}{'statuses/s':>14}{'x raw (median of rounds)':>28}")
    for name in contenders:
        per_second = statistics.median(args.n / t for t in times[name])
        ratio = statistics.median(t / r for t, r in zip(times[name], raw, strict=True))
        results.append(
            {
                "contender": name,
                "per_second": per_second,
                "ratio_to_raw": ratio,
                "seconds": times[name],
            }
        )
        print(f"{name:<28}{per_second:>14,.0f}{ratio:>28.2f}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"n": args.n, "results": results}, indent=2))


if __name__ == "__main__":
    main()
