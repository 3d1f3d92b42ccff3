"""The request path's cost in instructions: a meter steadier than CPU time on a shared machine.

CPU time per request moves by 10 to 20% from one run to the next on a machine other work
shares (caches, frequency, the neighbour's load), so a few per cent between raw aiohttp +
msgspec and the SDK needs many rounds to show. The instructions a process executes barely
move: this counts them with valgrind's callgrind, for the same two clients as
``bench_send.py``'s interleaved rounds (``send_text`` at concurrency 64 against a local server
in its own process, pinned to its own CPU), in interleaved pairs. Each figure is the
difference between a run of ``--large`` sends and one of ``--small`` sends, divided by the
difference in sends: start-up, imports and warm-up cancel out.

    python benchmarks/bench_instructions.py                # 3 pairs
    python benchmarks/bench_instructions.py --pairs 5 --json benchmarks/results/instructions.json

Needs valgrind (``apt-get install valgrind``); each pair takes about two minutes. The figure
counts user-space instructions only: the kernel's work on sockets is the same for both
clients and is left out, so the ratio here is a little lower than the CPU-time ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_send import Server, run_case  # noqa: E402

CLIENTS = ("aiohttp_msgspec", "ivowaba_async")
CONCURRENCY = 64
_COLLECTED = re.compile(r"Collected : (\d+)")


def child(case: str, url: str, n: int) -> None:
    run_case(case, url, 200, CONCURRENCY)  # warm up: the same in every run, so it cancels out
    run_case(case, url, n, CONCURRENCY)


def _instructions(case: str, url: str, n: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        case,
        "--url",
        url,
        "-n",
        str(n),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stderr
    found = _COLLECTED.search(output)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{output[-2000:]}")
    return int(found.group(1))


def per_send(case: str, url: str, small: int, large: int) -> float:
    return (_instructions(case, url, large) - _instructions(case, url, small)) / (large - small)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=3, help="interleaved raw/SDK pairs")
    parser.add_argument("--small", type=int, default=300, help="sends in the short run")
    parser.add_argument("--large", type=int, default=1300, help="sends in the long run")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--child", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("-n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.n)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench_instructions.py needs valgrind: apt-get install valgrind")

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server = Server(cpus[-1] if len(cpus) >= 2 else None)
    pairs: list[dict[str, float]] = []
    try:
        for number in range(1, args.pairs + 1):
            raw, sdk = (per_send(case, server.url, args.small, args.large) for case in CLIENTS)
            pairs.append({"raw": raw, "sdk": sdk, "ratio": raw / sdk})
            print(
                f"  pair {number}: instructions per send raw {raw:,.0f}, SDK {sdk:,.0f}, "
                f"raw/SDK {raw / sdk:.3f}",
                file=sys.stderr,
            )
    finally:
        server.stop()

    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "concurrency": CONCURRENCY,
        "sends": [args.small, args.large],
        "pairs": pairs,
        "raw_median": statistics.median(p["raw"] for p in pairs),
        "sdk_median": statistics.median(p["sdk"] for p in pairs),
        "ratio_median": statistics.median(p["ratio"] for p in pairs),
    }
    print(
        f"\nsend_text at concurrency {CONCURRENCY}, {args.pairs} interleaved pairs: "
        f"instructions per send raw {result['raw_median']:,.0f}, SDK "
        f"{result['sdk_median']:,.0f} (medians); raw/SDK median {result['ratio_median']:.3f}x"
    )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
