"""Every benchmark, one after the other, each figure beside its baseline of the same run:

- ``bench_send.py``: send throughput against raw aiohttp + msgspec, httpx and requests, the
  blocking client from 16 threads, ``send_many`` over a million generated messages, and the
  request path's own cost: client CPU per request against raw aiohttp + msgspec, the median
  of 5 interleaved rounds (raw, SDK, raw, SDK, ...);
- ``bench_outcomes.py``: statuses through the receiver into the SQLite outcome store, against
  a raw ``sqlite3`` ``executemany``;
- ``bench_parse.py``: webhook parsing against json.loads + dataclasses and pydantic v2;
- ``bench_import.py``: ``import ivowaba`` against ``import aiohttp``.

    pip install -e '.[bench]' && python benchmarks/run_all.py [--quick]

Tables are printed; JSON lands in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    send = ["-n", "20000", "--repeat", "3", "--rounds", "5"]
    if args.quick:
        send = ["-n", "2000", "--repeat", "1", "--million", "20000", "--rounds", "1"]
    runs = [
        ("bench_send.py", [*send, "--json", str(RESULTS / "send.json")]),
        ("bench_parse.py", ["--json", str(RESULTS / "parse.json")]),
        (
            "bench_outcomes.py",
            [
                *(["-n", "3000", "--rounds", "1"] if args.quick else []),
                "--json",
                str(RESULTS / "outcomes.json"),
            ],
        ),
        (
            "bench_import.py",
            ["--runs", "5" if args.quick else "15", "--json", str(RESULTS / "import.json")],
        ),
    ]
    for script, options in runs:
        print(f"\n=== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *options], check=True)


if __name__ == "__main__":
    main()
