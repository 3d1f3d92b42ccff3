"""What OpenTelemetry costs a send: an instrumented ``AsyncClient`` against a bare one, and
against the least the OpenTelemetry SDK itself can be asked for the same telemetry.

Three kinds of run send ``send_text`` at concurrency 64 to the same local server (a separate
process on 127.0.0.1, pinned to its own CPU when there are two or more), in interleaved
rounds (bare, instrumented, by hand, bare, ...), each in a fresh process pinned to the same
CPU:

- ``bare``: an ``AsyncClient``, nothing else;
- ``instrumented``: the same after ``ivowaba.contrib.otel.instrument()``;
- ``by_hand``: the bare client, with the same telemetry made around each send by hand with
  the SDK's fewest calls (one span made once the answer is in, with the attributes the
  instrumented span ends with, and one histogram point): what the SDK itself costs, with no
  ivowaba code in it.

Both telemetry runs use the OpenTelemetry SDK: a ``TracerProvider`` whose
``BatchSpanProcessor`` hands every span to an exporter that does nothing, and a
``MeterProvider`` aggregating every measurement (an in-memory reader). The figures are the
client's CPU time per send, over bare (the goal: instrumented under 1.10) and instrumented
over by hand, the medians of the rounds with every round shown; throughput likewise.

    python benchmarks/bench_otel.py                      # -n 20000, 5 rounds
    python benchmarks/bench_otel.py --json benchmarks/results/otel.json

Needs the OpenTelemetry SDK (the ``test`` extra has it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_send import KEY, PATH, TEXT, TO, Server, _pool  # noqa: E402

CONCURRENCY = 64
KINDS = ("bare", "instrumented", "by_hand")


def _providers() -> tuple[Any, Any]:
    """The SDK's providers: every span to a no-op exporter through a ``BatchSpanProcessor``,
    every measurement aggregated by an in-memory reader."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class NoOpExporter(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(NoOpExporter()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


def _instrument() -> None:
    from ivowaba.contrib.otel import instrument

    tracer_provider, meter_provider = _providers()
    instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def _by_hand() -> Callable[[Callable[[], Awaitable[Any]]], Awaitable[None]]:
    """Around one send, the SDK's fewest calls for the instrumented send's telemetry."""
    from opentelemetry.trace import SpanKind

    tracer_provider, meter_provider = _providers()
    tracer = tracer_provider.get_tracer("by_hand")
    duration = meter_provider.get_meter("by_hand").create_histogram("duration", unit="s")

    async def traced(send: Callable[[], Awaitable[Any]]) -> None:
        started_ns = time.time_ns()
        started = time.perf_counter()
        sent = await send()
        elapsed = time.perf_counter() - started
        span = tracer.start_span(
            "messages.send_text",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "POST",
                "url.template": PATH,
                "http.response.status_code": 200,
                "ivowaba.attempts": 1,
                "ivowaba.message.id": sent.id,
            },
            start_time=started_ns,
        )
        span.end()
        duration.record(
            elapsed, {"ivowaba.operation": "messages.send_text", "http.response.status_code": 200}
        )

    return traced


async def _sends(url: str, n: int, kind: str) -> float:
    import ivowaba

    async with ivowaba.AsyncClient(api_key=KEY, base_url=url) as client:
        send = client.messages.send_text
        if kind == "by_hand":
            traced = _by_hand()
            return await _pool(CONCURRENCY, n, lambda i: traced(lambda: send(TO, TEXT)))
        return await _pool(CONCURRENCY, n, lambda i: send(TO, TEXT))


def child(args: argparse.Namespace) -> None:
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    if args.child == "instrumented":
        _instrument()
    asyncio.run(_sends(args.url, min(args.n, 500), args.child))  # warm up
    cpu_started = time.process_time()
    seconds = asyncio.run(_sends(args.url, args.n, args.child))
    cpu = time.process_time() - cpu_started
    print(json.dumps({"per_second": args.n / seconds, "cpu_us": cpu / args.n * 1e6}))


def _measure(kind: str, url: str, n: int, cpu: int | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--url", url, "-n", str(n)]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _round(url: str, n: int, cpu: int | None) -> dict[str, float]:
    bare, traced, by_hand = (_measure(kind, url, n, cpu) for kind in KINDS)
    return {
        "bare_cpu_us": bare["cpu_us"],
        "instrumented_cpu_us": traced["cpu_us"],
        "by_hand_cpu_us": by_hand["cpu_us"],
        "cpu_ratio": traced["cpu_us"] / bare["cpu_us"],
        "by_hand_cpu_ratio": by_hand["cpu_us"] / bare["cpu_us"],
        "over_by_hand_cpu_ratio": traced["cpu_us"] / by_hand["cpu_us"],
        "throughput_ratio": traced["per_second"] / bare["per_second"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20_000, help="sends per run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the 3 kinds")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu, client_cpu = (cpus[-1], cpus[0]) if len(cpus) >= 2 else (None, None)
    server = Server(server_cpu)
    rounds: list[dict[str, float]] = []
    try:
        for number in range(1, args.rounds + 1):
            one = _round(server.url, args.n, client_cpu)
            rounds.append(one)
            print(
                f"  round {number}: CPU/send bare {one['bare_cpu_us']:.1f} us, instrumented "
                f"{one['instrumented_cpu_us']:.1f} us ({one['cpu_ratio']:.3f}x), by hand "
                f"{one['by_hand_cpu_us']:.1f} us ({one['by_hand_cpu_ratio']:.3f}x); "
                f"throughput instrumented/bare {one['throughput_ratio']:.3f}",
                file=sys.stderr,
            )
    finally:
        server.stop()

    def median(key: str) -> float:
        return statistics.median(one[key] for one in rounds)

    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "concurrency": CONCURRENCY,
        "n": args.n,
        "rounds": rounds,
        "cpu_ratio_median": median("cpu_ratio"),
        "by_hand_cpu_ratio_median": median("by_hand_cpu_ratio"),
        "over_by_hand_cpu_ratio_median": median("over_by_hand_cpu_ratio"),
        "throughput_ratio_median": median("throughput_ratio"),
    }
    print(
        f"\nOpenTelemetry (SDK, no-op exporter) at concurrency {CONCURRENCY}, {args.rounds} "
        f"interleaved rounds of {args.n} sends, client CPU per send (medians):\n"
        f"  instrumented / bare       {result['cpu_ratio_median']:.3f}x  (goal < 1.10)\n"
        f"  by hand / bare            {result['by_hand_cpu_ratio_median']:.3f}x  "
        f"(the SDK's own least cost for the same telemetry)\n"
        f"  instrumented / by hand    {result['over_by_hand_cpu_ratio_median']:.3f}x  "
        f"(what ivowaba adds to it)\n"
        f"  throughput instrumented / bare {result['throughput_ratio_median']:.3f}x"
    )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
