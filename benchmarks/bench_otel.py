"""What OpenTelemetry costs a send: an instrumented ``AsyncClient`` against a bare one.

Both send ``send_text`` at concurrency 64 to the same local server (a separate process on
127.0.0.1, pinned to its own CPU when there are two or more), in interleaved rounds (bare,
instrumented, bare, instrumented, ...), each in a fresh process pinned to the same CPU. The
instrumented one runs ``ivowaba.contrib.otel.instrument()`` with the OpenTelemetry SDK: a
``TracerProvider`` whose ``BatchSpanProcessor`` hands every span to an exporter that does
nothing, and a ``MeterProvider`` aggregating every measurement (an in-memory reader). The
figure is the client's CPU time per send, instrumented over bare (the goal: under 1.10),
the median of the rounds, with every round shown; throughput likewise.

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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_send import KEY, TEXT, TO, Server, _pool  # noqa: E402

CONCURRENCY = 64


def _instrument() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    from ivowaba.contrib.otel import instrument

    class NoOpExporter(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(NoOpExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


async def _sends(url: str, n: int) -> float:
    import ivowaba

    async with ivowaba.AsyncClient(api_key=KEY, base_url=url) as client:
        send = client.messages.send_text
        return await _pool(CONCURRENCY, n, lambda i: send(TO, TEXT))


def child(args: argparse.Namespace) -> None:
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    if args.child == "instrumented":
        _instrument()
    asyncio.run(_sends(args.url, min(args.n, 500)))  # warm up
    cpu_started = time.process_time()
    seconds = asyncio.run(_sends(args.url, args.n))
    cpu = time.process_time() - cpu_started
    print(json.dumps({"per_second": args.n / seconds, "cpu_us": cpu / args.n * 1e6}))


def _measure(kind: str, url: str, n: int, cpu: int | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--url", url, "-n", str(n)]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20_000, help="sends per run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved bare/instrumented pairs")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--child", choices=("bare", "instrumented"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu, client_cpu = (cpus[-1], cpus[0]) if len(cpus) >= 2 else (None, None)
    server = Server(server_cpu)
    pairs: list[dict[str, float]] = []
    try:
        for number in range(1, args.rounds + 1):
            bare = _measure("bare", server.url, args.n, client_cpu)
            traced = _measure("instrumented", server.url, args.n, client_cpu)
            pair = {
                "bare_cpu_us": bare["cpu_us"],
                "instrumented_cpu_us": traced["cpu_us"],
                "cpu_ratio": traced["cpu_us"] / bare["cpu_us"],
                "throughput_ratio": traced["per_second"] / bare["per_second"],
            }
            pairs.append(pair)
            print(
                f"  round {number}: CPU/send bare {pair['bare_cpu_us']:.1f} us, instrumented "
                f"{pair['instrumented_cpu_us']:.1f} us, ratio {pair['cpu_ratio']:.3f}; "
                f"throughput ratio {pair['throughput_ratio']:.3f}",
                file=sys.stderr,
            )
    finally:
        server.stop()

    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "concurrency": CONCURRENCY,
        "n": args.n,
        "rounds": pairs,
        "cpu_ratio_median": statistics.median(p["cpu_ratio"] for p in pairs),
        "throughput_ratio_median": statistics.median(p["throughput_ratio"] for p in pairs),
    }
    print(
        f"\nOpenTelemetry (SDK, no-op exporter) at concurrency {CONCURRENCY}, {args.rounds} "
        f"interleaved rounds of {args.n} sends: client CPU per send instrumented/bare median "
        f"{result['cpu_ratio_median']:.3f}x (goal < 1.10), throughput instrumented/bare "
        f"median {result['throughput_ratio_median']:.3f}x"
    )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
