"""Send throughput: ivowaba against the raw stacks it is built on and the ones peers use.

Every figure is measured in the same run, against the same local server (a separate process
on 127.0.0.1, pinned to its own CPU when there are two or more), and reported as a ratio to
raw aiohttp + msgspec at the same concurrency: the ceiling of our stack.

    python benchmarks/bench_send.py                 # N=20000, all cases
    python benchmarks/bench_send.py -n 5000 --cases ivowaba_async,aiohttp_msgspec
    python benchmarks/bench_send.py --json benchmarks/results/send.json
    python benchmarks/bench_send.py --cases none --rounds 7     # only the interleaved rounds

The interleaved rounds compare what the SDK's own request path costs: raw aiohttp + msgspec
and ivowaba's AsyncClient at concurrency 64, one after the other (raw, SDK, raw, SDK, ...),
each in a fresh process pinned to the same CPU. The client's CPU time per request (steadier
than wall time on a shared machine) and the throughput give one ratio per pair; the medians
are reported with every round.

Needs the ``bench`` extra (httpx, requests): ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

HERE = Path(__file__).resolve().parent
TO = "628123456789"
TEXT = "Your one-time password is 123456"
PATH = "/api/v1/messages/send-text-message"
KEY = "bench-key"


# -- the server ------------------------------------------------------------------------------


class Server:
    def __init__(self, cpu: int | None) -> None:
        command = [sys.executable, str(HERE / "_server.py")]
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# -- the cases: each returns the seconds taken for n sends ----------------------------------


async def _pool(concurrency: int, n: int, one: Callable[[int], Any]) -> float:
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def raw_socket(url: str, n: int, concurrency: int) -> float:
    """Pipelined keep-alive requests over raw sockets: what the server can take."""
    host, port = url.removeprefix("http://").split(":")
    body = msgspec.json.encode({"wa_id": TO, "text": TEXT})
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nX-API-KEY: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    connections = 4
    per_connection = n // connections
    depth = 64

    async def run() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        done = 0
        while done < per_connection:
            batch = min(depth, per_connection - done)
            writer.write(request * batch)
            for _ in range(batch):
                await reader.readuntil(b"\r\n\r\n")
                await reader.readuntil(b"}]}")
            done += batch
        writer.close()
        await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(run() for _ in range(connections)))
    return time.perf_counter() - started


class _Sent(msgspec.Struct):
    id: str


class _Answer(msgspec.Struct):
    messages: list[_Sent]


async def aiohttp_msgspec(url: str, n: int, concurrency: int) -> float:
    """The ceiling of our stack: aiohttp and msgspec used directly, no SDK."""
    import aiohttp

    encode = msgspec.json.Encoder().encode
    decode = msgspec.json.Decoder(_Answer).decode
    headers = {"X-API-KEY": KEY, "Content-Type": "application/json", "Accept": "application/json"}
    async with aiohttp.ClientSession(
        headers=headers, connector=aiohttp.TCPConnector(limit=100)
    ) as session:
        target = url + PATH

        async def one(i: int) -> None:
            async with session.post(target, data=encode({"wa_id": TO, "text": TEXT})) as r:
                assert decode(await r.read()).messages[0].id

        return await _pool(concurrency, n, one)


async def ivowaba_async(url: str, n: int, concurrency: int) -> float:
    import ivowaba

    async with ivowaba.AsyncClient(api_key=KEY, base_url=url) as client:
        send = client.messages.send_text
        return await _pool(concurrency, n, lambda i: send(TO, TEXT))


async def httpx_async(url: str, n: int, concurrency: int) -> float:
    import httpx

    headers = {"X-API-KEY": KEY, "Accept": "application/json"}
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def one(i: int) -> None:
            r = await client.post(PATH, json={"wa_id": TO, "text": TEXT})
            assert r.json()["messages"][0]["id"]

        return await _pool(concurrency, n, one)


def _threads(threads: int, n: int, one: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    if threads == 1:
        for i in range(n):
            one(i)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(n), chunksize=64))
    return time.perf_counter() - started


def requests_sync(url: str, n: int, threads: int) -> float:
    import requests

    local = threading.local()
    headers = {"X-API-KEY": KEY, "Accept": "application/json"}

    def one(i: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers.update(headers)
        r = session.post(url + PATH, json={"wa_id": TO, "text": TEXT})
        assert r.json()["messages"][0]["id"]

    return _threads(threads, n, one)


def ivowaba_sync(url: str, n: int, threads: int) -> float:
    import ivowaba

    with ivowaba.Client(api_key=KEY, base_url=url) as client:
        send = client.messages.send_text
        return _threads(threads, n, lambda i: send(TO, TEXT))


def ivowaba_send_many(url: str, n: int, concurrency: int) -> float:
    """``send_many`` over a generator of ``n`` messages; peak RSS is reported alongside."""
    import ivowaba

    def messages() -> Iterator[ivowaba.TextMessage]:
        for i in range(n):
            yield ivowaba.TextMessage(wa_id=TO, text=f"{TEXT} #{i}")

    async def run() -> float:
        async with ivowaba.AsyncClient(api_key=KEY, base_url=url) as client:
            started = time.perf_counter()
            failed = 0
            async for result in client.messages.send_many(messages(), concurrency=concurrency):
                failed += result.error is not None
            if failed:
                raise RuntimeError(f"{failed} sends failed")
            return time.perf_counter() - started

    return asyncio.run(run())


ASYNC_CASES = {
    "raw_socket": raw_socket,
    "aiohttp_msgspec": aiohttp_msgspec,
    "ivowaba_async": ivowaba_async,
    "httpx_async": httpx_async,
}
SYNC_CASES = {"requests": requests_sync, "ivowaba_sync": ivowaba_sync}


def run_case(name: str, url: str, n: int, concurrency: int) -> float:
    if name in ASYNC_CASES:
        return asyncio.run(ASYNC_CASES[name](url, n, concurrency))
    if name in SYNC_CASES:
        return SYNC_CASES[name](url, n, concurrency)
    if name == "ivowaba_send_many":
        return ivowaba_send_many(url, n, concurrency)
    raise SystemExit(f"unknown case {name}")


# -- driver ----------------------------------------------------------------------------------

PLAN = [  # (case, concurrency or threads, the baseline it is compared with)
    ("raw_socket", 64, "aiohttp_msgspec@64"),
    ("aiohttp_msgspec", 1, "aiohttp_msgspec@1"),
    ("ivowaba_async", 1, "aiohttp_msgspec@1"),
    ("httpx_async", 1, "aiohttp_msgspec@1"),
    ("requests", 1, "aiohttp_msgspec@1"),
    ("aiohttp_msgspec", 64, "aiohttp_msgspec@64"),
    ("ivowaba_async", 64, "aiohttp_msgspec@64"),
    ("httpx_async", 64, "aiohttp_msgspec@64"),
    ("ivowaba_sync", 1, "aiohttp_msgspec@1"),
    ("requests", 16, "aiohttp_msgspec@64"),
    ("ivowaba_sync", 16, "aiohttp_msgspec@64"),
    ("ivowaba_send_many", 64, "aiohttp_msgspec@64"),
]


def measure_in_child(
    name: str, url: str, n: int, concurrency: int, cpu: int | None
) -> dict[str, float]:
    """Run one case in a fresh interpreter (clean heap, its own peak RSS)."""
    command = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--url",
        url,
        "-n",
        str(n),
        "--concurrency",
        str(concurrency),
    ]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def child(args: argparse.Namespace) -> None:
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    run_case(args.child, args.url, min(args.n, 500), args.concurrency)  # warm up
    cpu_started = time.process_time()
    seconds = run_case(args.child, args.url, args.n, args.concurrency)
    cpu = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "per_second": args.n / seconds,
                "cpu_us_per_request": cpu / args.n * 1e6,
                "peak_rss_mb": peak_mb,
            }
        )
    )


def interleaved_rounds(url: str, n: int, rounds: int, cpu: int | None) -> dict[str, Any]:
    """Raw aiohttp + msgspec and the SDK at concurrency 64, alternating, ``rounds`` pairs."""
    pairs = []
    for number in range(1, rounds + 1):
        raw = measure_in_child("aiohttp_msgspec", url, n, 64, cpu)
        sdk = measure_in_child("ivowaba_async", url, n, 64, cpu)
        pair = {
            "raw_cpu_us": raw["cpu_us_per_request"],
            "sdk_cpu_us": sdk["cpu_us_per_request"],
            "cpu_ratio": raw["cpu_us_per_request"] / sdk["cpu_us_per_request"],
            "throughput_ratio": sdk["per_second"] / raw["per_second"],
        }
        pairs.append(pair)
        print(
            f"  round {number}: CPU/request raw {pair['raw_cpu_us']:.1f} us, "
            f"SDK {pair['sdk_cpu_us']:.1f} us, ratio {pair['cpu_ratio']:.3f}; "
            f"throughput ratio {pair['throughput_ratio']:.3f}",
            file=sys.stderr,
        )
    return {
        "rounds": pairs,
        "cpu_ratio_median": statistics.median(p["cpu_ratio"] for p in pairs),
        "throughput_ratio_median": statistics.median(p["throughput_ratio"] for p in pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20_000, help="sends per case")
    parser.add_argument("--million", type=int, default=1_000_000, help="messages for send_many")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is kept")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved raw/SDK pairs (0: none)")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu, client_cpu = (cpus[-1], cpus[0]) if len(cpus) >= 2 else (None, None)
    wanted = set(filter(None, args.cases.split(",")))
    server = Server(server_cpu)
    results: dict[str, dict[str, float]] = {}
    try:
        for name, concurrency, _ in PLAN:
            if wanted and name not in wanted:
                continue
            n = args.million if name == "ivowaba_send_many" else args.n
            repeat = 1 if name == "ivowaba_send_many" else args.repeat
            runs = [
                measure_in_child(name, server.url, n, concurrency, client_cpu)
                for _ in range(repeat)
            ]
            best = max(runs, key=lambda r: r["per_second"])
            best["n"] = n
            results[f"{name}@{concurrency}"] = best
            print(f"  {name}@{concurrency}: {best['per_second']:,.0f}/s", file=sys.stderr)
        rounds = (
            interleaved_rounds(server.url, args.n, args.rounds, client_cpu) if args.rounds else None
        )
    finally:
        server.stop()

    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"\nmachine: {machine}, server on CPU {server_cpu}, client on CPU {client_cpu}")
    print(f"{'case':<28}{'sends/s':>12}{'ratio':>10}{'  baseline':<24}{'peak RSS MB':>12}")
    for name, concurrency, baseline in PLAN:
        key = f"{name}@{concurrency}"
        if key not in results:
            continue
        figure = results[key]
        base = results.get(baseline)
        ratio = f"{figure['per_second'] / base['per_second']:.2f}x" if base else "-"
        figure["ratio"] = figure["per_second"] / base["per_second"] if base else float("nan")
        print(
            f"{key:<28}{figure['per_second']:>12,.0f}{ratio:>10}  {baseline:<22}"
            f"{figure['peak_rss_mb']:>12.1f}"
        )
    for numerator, denominator in (
        ("ivowaba_async@64", "httpx_async@64"),
        ("ivowaba_sync@16", "ivowaba_async@64"),
    ):
        if numerator in results and denominator in results:
            ratio = results[numerator]["per_second"] / results[denominator]["per_second"]
            print(f"{numerator} / {denominator} = {ratio:.2f}x")
    if rounds is not None:
        print(
            f"request path, {args.rounds} interleaved rounds at concurrency 64: client CPU per "
            f"request raw/SDK median {rounds['cpu_ratio_median']:.3f}x, throughput SDK/raw "
            f"median {rounds['throughput_ratio_median']:.3f}x"
        )
        for number, pair in enumerate(rounds["rounds"], 1):
            print(
                f"  round {number}: raw {pair['raw_cpu_us']:.1f} us, SDK {pair['sdk_cpu_us']:.1f}"
                f" us per request; CPU {pair['cpu_ratio']:.3f}x, throughput "
                f"{pair['throughput_ratio']:.3f}x"
            )
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(
            json.dumps(
                {
                    "machine": {
                        "arch": platform.machine(),
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                    },
                    "results": results,
                    "interleaved": rounds,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
