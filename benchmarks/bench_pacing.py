"""Pacing: 10,000 messages at ``rate_limit=200`` against the emulator answering each request
after 50 ms finish within 1.05 x the ideal 50 s (``n / rate``): the limiter, not the SDK, is
the bound.

    python benchmarks/bench_pacing.py [-n 10000] [--rate 200] [--latency 0.05] [--json out.json]

Two contenders run at the same time, in one process, each on an event loop of its own:

- ``limiter alone`` (the baseline): the client's rate limiter
  (``SlidingWindowLimiter(rate)``, what ``rate_limit=`` makes) acquiring ``n`` slots one
  after the other, with no request: the schedule the limit itself allows;
- ``send_many``: ``AsyncClient(rate_limit=rate).messages.send_many`` of ``n`` text messages
  (``--concurrency`` in flight at most, 64 by default) to the emulator (``Emulator(
  latency=...)``, served from a thread of its own, recording nothing), until the last answer.

Reported: each contender's seconds, and its ratio to the ideal ``n / rate`` and to the
baseline. The check: ``send_many`` within ``--bound`` (1.05) x the ideal. A sliding
one-second window lets the first ``rate`` requests go at once, so both contenders end near
``(n - rate) / rate`` seconds plus, for the sends, one answer's latency: a little under the
ideal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ivowaba  # noqa: E402
from ivowaba._ratelimit import SlidingWindowLimiter  # noqa: E402
from ivowaba.testing import Emulator  # noqa: E402

TEXT = "Your parcel has shipped"


async def limiter_alone(n: int, rate: int) -> float:
    """Seconds for the limiter to give ``n`` slots, one after the other."""
    limiter = SlidingWindowLimiter(rate)
    started = time.perf_counter()
    for _ in range(n):
        await limiter.acquire()
    return time.perf_counter() - started


async def send_many(emu: Emulator, n: int, rate: int, concurrency: int) -> tuple[float, int]:
    """Seconds for ``send_many`` to have all ``n`` answers; how many sends failed."""
    messages = (
        {"type": "text", "wa_id": f"62812{i:07d}", "text": TEXT} for i in range(n)
    )  # made as they are sent, not before
    failed = 0
    async with ivowaba.AsyncClient(
        api_key=emu.api_key, base_url=emu.base_url, rate_limit=rate, max_retries=0
    ) as client:
        started = time.perf_counter()
        async for result in client.messages.send_many(messages, concurrency=concurrency):
            failed += result.error is not None
        seconds = time.perf_counter() - started
    return seconds, failed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10_000, help="messages to send")
    parser.add_argument("--rate", type=int, default=200, help="rate_limit: sends a second")
    parser.add_argument("--latency", type=float, default=0.05, help="the emulator's, seconds")
    parser.add_argument("--concurrency", type=int, default=64, help="send_many's")
    parser.add_argument("--bound", type=float, default=1.05, help="x the ideal n / rate")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    ideal = args.n / args.rate

    print(
        f"{args.n:,} messages at rate_limit={args.rate}, emulator latency "
        f"{args.latency * 1000:.0f} ms: ideal {ideal:.1f} s; about that long...",
        file=sys.stderr,
        flush=True,
    )
    baseline: dict[str, float] = {}

    def run_baseline() -> None:
        baseline["seconds"] = asyncio.run(limiter_alone(args.n, args.rate))

    with Emulator(api_key="bench-key", latency=args.latency, record=False) as emu:
        beside = threading.Thread(target=run_baseline, name="limiter-alone")
        beside.start()
        seconds, failed = asyncio.run(send_many(emu, args.n, args.rate, args.concurrency))
        beside.join()
        requests = emu.request_count
    if failed or requests != args.n:
        raise SystemExit(f"{failed} sends failed; the emulator got {requests} requests")

    rows = [("limiter alone", baseline["seconds"]), ("send_many", seconds)]
    within = seconds <= args.bound * ideal
    print(
        f"\n{args.n:,} sends at rate_limit={args.rate}, latency {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}; Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    print(f"{'contender':<16}{'seconds':>10}{'x ideal':>10}{'x limiter':>11}")
    results = []
    for name, took in rows:
        ratio_ideal, ratio_base = took / ideal, took / baseline["seconds"]
        print(f"{name:<16}{took:>10.2f}{ratio_ideal:>10.3f}{ratio_base:>11.3f}")
        results.append(
            {
                "contender": name,
                "seconds": took,
                "ratio_to_ideal": ratio_ideal,
                "ratio_to_limiter": ratio_base,
            }
        )
    verdict = "within" if within else "NOT within"
    print(
        f"send_many: {seconds:.2f} s, {verdict} {args.bound} x the ideal {ideal:.0f} s "
        f"({args.bound * ideal:.1f} s)"
    )
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps(
                {
                    "n": args.n,
                    "rate": args.rate,
                    "latency": args.latency,
                    "concurrency": args.concurrency,
                    "ideal_seconds": ideal,
                    "bound": args.bound,
                    "within_bound": within,
                    "results": results,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
