"""The campaign report of a 100,000-row campaign, against a plain SQL ``GROUP BY``, in
interleaved rounds.

    python benchmarks/bench_report.py [-n 100000] [--rounds 5] [--json out.json]

The campaign, built once before the clock starts: a bulk journal of ``n`` rows (a header, a
``"sending"`` and an id line per accepted row, skipped and refused rows among them) and a
SQLite outcome store filled directly with the outcomes of its messages (read, delivered,
failed with 470 or 480, only sent), sent at 100 a second, delivered seconds and read minutes
later. Each round runs, one after the other:

- ``SQL GROUP BY``: one ``SELECT status, error_code, count(*) ... GROUP BY`` over the store's
  table on a connection of its own: what SQLite itself costs to count the outcomes, with no
  journal read and no row joined;
- ``campaign_report``: ``ivowaba.outcomes.campaign_report(journal, store)`` on a store opened
  for the round: the journal read and each of its rows joined with its message's outcome
  (read in batches), every state counted, latencies collected; what ``ivowaba report`` does
  before printing.

Reported: the median over the rounds of each contender's seconds (and CPU seconds of the
process, all threads: the figure a busy machine disturbs least), and of each round's ratio to
the ``GROUP BY`` of the same round.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivowaba.outcomes import CampaignReport, SQLiteOutcomeStore, campaign_report  # noqa: E402
from ivowaba.outcomes._sqlite import _SCHEMA  # noqa: E402

T0 = 1_700_000_000
TITLES = {470: "Message failed to send because more than 24 hours have passed", 480: "identity"}


def build(directory: Path, n: int) -> tuple[Path, Path, dict[str, Any]]:
    """The journal and the store of an ``n``-row campaign, and its expected counts."""
    journal = directory / "campaign.csv.journal.jsonl"
    database = directory / "outcomes.db"
    lines = [json.dumps({"journal": 1, "file": "campaign.csv", "sha256": "0" * 64, "rows": n})]
    outcomes: list[tuple[Any, ...]] = []
    expected = {"read": 0, "delivered": 0, "failed": 0, "pending": 0, "skipped": 0, "refused": 0}
    for row in range(1, n + 1):
        wa_id = f"62812{row:07d}"
        kind = row % 100
        if kind < 2:
            reason = "opted_out" if kind == 0 else "window_closed"
            lines.append(json.dumps({"row": row, "wa_id": wa_id, "skipped": reason}))
            expected["skipped"] += 1
            continue
        lines.append(json.dumps({"row": row, "wa_id": wa_id, "state": "sending"}))
        if kind == 2:
            lines.append(
                json.dumps({"row": row, "wa_id": wa_id, "error": "400: bad", "sent": False})
            )
            expected["refused"] += 1
            continue
        message_id = f"wamid.HBgNNjI4MTIzNDU2Nzg5FQIAERgS{row:012d}"
        lines.append(json.dumps({"row": row, "wa_id": wa_id, "id": message_id}))
        sent = T0 + row // 100  # 100 sends a second; statuses come seconds to minutes later
        outcome: tuple[Any, ...]
        if kind < 8:  # failed, 470 or 480
            code = 470 if kind % 2 else 480
            outcome = (message_id, wa_id, 2, "failed", code, TITLES[code], sent, None, None)
            outcomes.append((*outcome, sent + 3, None))
            expected["failed"] += 1
        elif kind < 13:  # only sent
            outcomes.append(
                (message_id, wa_id, 1, "sent", None, None, sent, None, None, None, None)
            )
            expected["pending"] += 1
        elif kind < 30:  # delivered
            delivered = sent + 2 + row % 5
            outcome = (message_id, wa_id, 3, "delivered", None, None, sent, delivered, None)
            outcomes.append((*outcome, None, None))
            expected["delivered"] += 1
        else:
            delivered, read = sent + 2 + row % 5, sent + 30 + row % 600
            outcome = (message_id, wa_id, 4, "read", None, None, sent, delivered, read)
            outcomes.append((*outcome, None, None))
            expected["read"] += 1
    journal.write_text("\n".join(lines) + "\n")
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(_SCHEMA)
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO message_outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", outcomes
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return journal, database, expected


def run_group_by(database: Path) -> tuple[float, float, dict[str, int]]:
    connection = sqlite3.connect(database)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        counts = connection.execute(
            "SELECT status, error_code, count(*) FROM message_outcomes GROUP BY status, error_code"
        ).fetchall()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        connection.close()
    by_status: dict[str, int] = {}
    for status, _, count in counts:
        by_status[status] = by_status.get(status, 0) + count
    return elapsed, cpu, by_status


async def run_report(journal: Path, database: Path) -> tuple[float, float, CampaignReport]:
    started, cpu = time.perf_counter(), time.process_time()
    async with SQLiteOutcomeStore(database) as store:
        report = await campaign_report(journal, store)
    return time.perf_counter() - started, time.process_time() - cpu, report


def check(report: CampaignReport, expected: dict[str, Any], by_status: dict[str, int]) -> None:
    """The report counts what the campaign holds, and what the GROUP BY counts."""
    assert report.read == expected["read"] == by_status["read"], report.to_json()
    assert report.delivered == expected["read"] + expected["delivered"]
    assert sum(report.failed.values()) == expected["failed"] == by_status["failed"]
    assert report.pending == expected["pending"] == by_status["sent"]
    assert report.opted_out + report.window_closed == expected["skipped"]
    assert report.not_sent == expected["refused"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=100_000, help="rows of the campaign")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    contenders = ["SQL GROUP BY", "campaign_report"]
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory(prefix="ivowaba-bench-report-") as tmp:
        journal, database, expected = build(Path(tmp), args.n)
        asyncio.run(run_report(journal, database))  # warm up: imports, the file in the cache
        for round_ in range(args.rounds):
            baseline, baseline_cpu, by_status = run_group_by(database)
            elapsed, elapsed_cpu, report = asyncio.run(run_report(journal, database))
            check(report, expected, by_status)
            times["SQL GROUP BY"].append(baseline)
            cpu["SQL GROUP BY"].append(baseline_cpu)
            times["campaign_report"].append(elapsed)
            cpu["campaign_report"].append(elapsed_cpu)
            print(
                f"  round {round_ + 1}: "
                + ", ".join(f"{name} {times[name][-1]:.3f} s" for name in contenders),
                file=sys.stderr,
            )

    base = times["SQL GROUP BY"]
    results = []
    print(
        f"\n{args.n:,}-row campaign, {args.rounds} interleaved rounds, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    print(f"{'contender':<20}{'seconds':>10}{'CPU s':>10}{'rows/s':>12}{'x GROUP BY (median)':>22}")
    for name in contenders:
        seconds = statistics.median(times[name])
        ratio = statistics.median(t / b for t, b in zip(times[name], base, strict=True))
        cpu_seconds = statistics.median(cpu[name])
        results.append(
            {
                "contender": name,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "ratio_to_group_by": ratio,
                "runs": times[name],
            }
        )
        print(
            f"{name:<20}{seconds:>10.3f}{cpu_seconds:>10.3f}{args.n / seconds:>12,.0f}"
            f"{ratio:>22.1f}"
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"n": args.n, "results": results}, indent=2))


if __name__ == "__main__":
    main()
