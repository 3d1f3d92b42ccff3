"""Every benchmark, one after the other, each figure beside its baseline of the same run:

- ``bench_send.py``: send throughput against raw aiohttp + msgspec, httpx and requests, the
  blocking client from 16 threads, ``send_many`` over a million generated messages, and the
  request path's own cost: client CPU per request against raw aiohttp + msgspec, the median
  of 15 interleaved rounds (raw, SDK, raw, SDK, ...; a round moves by 10 to 20% on a shared
  machine, so 5 are too few to tell a few per cent);
- ``bench_instructions.py``: the same two clients' instructions per send (valgrind), 3
  interleaved pairs: the steadier meter of the request path's cost (left out, with the
  reason, when valgrind is missing);
- ``bench_outcomes.py``: statuses through the receiver into the SQLite outcome store, against
  a raw ``sqlite3`` ``executemany``;
- ``bench_report.py``: the campaign report of 100,000 rows (journal joined with the SQLite
  store), against a plain SQL ``GROUP BY``;
- ``bench_pacing.py``: 10,000 sends at ``rate_limit=200`` against the emulator with 50 ms of
  latency, against the ideal 50 s and the rate limiter alone (about 50 s of waiting;
  ``--skip-pacing`` leaves it out, ``--quick`` sends 1,000);
- ``bench_otel.py``: an ``AsyncClient`` instrumented with OpenTelemetry (the SDK, a no-op
  exporter) against a bare one at concurrency 64, and against the same telemetry made by hand
  with the SDK's fewest calls: client CPU per send, the medians of 5 interleaved rounds;
- ``bench_phone.py``: the emulator's web phone in headless Chromium, 10,000 messages in 500
  conversations against 20 in one (left out, with the reason, when Chromium or Playwright is
  missing);
- ``bench_parse.py``: webhook parsing against json.loads + dataclasses and pydantic v2;
- ``bench_import.py``: ``import ivowaba`` against ``import aiohttp``.

    pip install -e '.[bench]' && python benchmarks/run_all.py [--quick] [--skip-pacing]

Tables are printed; JSON lands in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument(
        "--skip-pacing", action="store_true", help="leave out bench_pacing.py (50 s of waiting)"
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    send = ["-n", "20000", "--repeat", "3", "--rounds", "15"]
    if args.quick:
        send = ["-n", "2000", "--repeat", "1", "--million", "20000", "--rounds", "1"]
    runs = [
        ("bench_send.py", [*send, "--json", str(RESULTS / "send.json")]),
        (
            "bench_otel.py",
            [
                *(["-n", "2000", "--rounds", "1"] if args.quick else []),
                "--json",
                str(RESULTS / "otel.json"),
            ],
        ),
        (
            "bench_instructions.py",
            [
                *(["--pairs", "1"] if args.quick else []),
                "--json",
                str(RESULTS / "instructions.json"),
            ],
        ),
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
            "bench_report.py",
            [
                *(["-n", "10000", "--rounds", "1"] if args.quick else []),
                "--json",
                str(RESULTS / "report.json"),
            ],
        ),
        (
            "bench_pacing.py",
            [
                *(["-n", "1000"] if args.quick else []),
                "--json",
                str(RESULTS / "pacing.json"),
            ],
        ),
        (
            "bench_phone.py",
            [*(["--rounds", "1"] if args.quick else []), "--json", str(RESULTS / "phone.json")],
        ),
        (
            "bench_import.py",
            ["--runs", "5" if args.quick else "15", "--json", str(RESULTS / "import.json")],
        ),
    ]
    if args.skip_pacing:
        runs = [(script, options) for script, options in runs if script != "bench_pacing.py"]
    if shutil.which("chromium") is None or importlib.util.find_spec("playwright") is None:
        print("bench_phone.py left out: it needs Chromium and Playwright for Python", flush=True)
        runs = [(script, options) for script, options in runs if script != "bench_phone.py"]
    if shutil.which("valgrind") is None:
        print("bench_instructions.py left out: it needs valgrind", flush=True)
        runs = [(script, options) for script, options in runs if script != "bench_instructions.py"]
    for script, options in runs:
        print(f"\n=== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *options], check=True)


if __name__ == "__main__":
    main()
