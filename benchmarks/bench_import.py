"""Start-up cost: ``import ivowaba`` (and reaching ``AsyncClient``) against ``import aiohttp``,
each in a fresh interpreter, side by side in the same run.

    python benchmarks/bench_import.py [--runs 15] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CASES = {
    "python (nothing)": "pass",
    "import aiohttp": "import aiohttp",
    "import ivowaba": "import ivowaba",
    "ivowaba.AsyncClient": "import ivowaba; ivowaba.AsyncClient",
    "ivowaba.Client": "import ivowaba; ivowaba.Client",
}


def wall_ms(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    medians: dict[str, float] = {}
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):  # interleaved, so that machine noise hits every case alike
        for name, code in CASES.items():
            samples[name].append(wall_ms(code))
    for name, values in samples.items():
        medians[name] = statistics.median(values)

    base = medians["python (nothing)"]
    aiohttp_cost = medians["import aiohttp"] - base
    print(f"{'case':<24}{'median ms':>12}{'minus python':>14}{'vs aiohttp':>12}")
    for name, value in medians.items():
        cost = value - base
        extra = f"{cost - aiohttp_cost:+.1f}" if name != "python (nothing)" else ""
        print(f"{name:<24}{value:>12.1f}{cost:>14.1f}{extra:>12}")
    if args.json_path:
        with open(args.json_path, "w") as out:
            json.dump({"runs": args.runs, "median_ms": medians}, out, indent=2)


if __name__ == "__main__":
    main()
