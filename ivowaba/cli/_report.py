"""``ivowaba report JOURNAL --outcomes URL``: what became of a bulk campaign.

Joins an ``ivowaba bulk`` journal with the outcome store the campaign's statuses were
recorded in (:func:`ivowaba.outcomes.campaign_report`) and prints a table of the counts:
rows, accepted, delivered, read, failed by code (with the gateway's title), pending,
unknown, not sent, skipped as opted out or window closed. ``--json`` prints them as one
object instead; ``--csv FILE`` writes one line per row with its final state; ``--html FILE``
writes a one-file report (inline SVG, no script, nothing fetched).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from ivowaba._errors import ConfigError
from ivowaba.cli._output import STDOUT_NAME


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", type=Path, help="the journal of an ivowaba bulk run")
    parser.add_argument(
        "--outcomes",
        metavar="URL",
        required=True,
        help="the outcome store the statuses were recorded in (sqlite:///file.db, "
        "redis://host:port/db)",
    )
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument(
        "--csv", metavar="FILE", type=Path, help="write one line per row (- : to stdout)"
    )
    parser.add_argument(
        "--html", metavar="FILE", type=Path, help="write a one-file HTML report (- : to stdout)"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _write(what: str, path: Path, write: Callable[[Path], None]) -> None:
    try:
        write(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    print(f"wrote {path}", file=sys.stderr)


#: ``--csv -`` or ``--html -``: that output on stdout, instead of the summary.
STDOUT: Final = Path(STDOUT_NAME)


async def run_report(args: argparse.Namespace) -> int:
    from ivowaba.outcomes import campaign_report, open_store
    from ivowaba.outcomes._open import require_existing, require_reachable

    if args.csv == STDOUT and args.html == STDOUT:
        raise ConfigError("--csv - and --html -: only one of them can go to stdout")
    require_existing(args.outcomes)
    async with open_store(args.outcomes) as store:
        await require_reachable(store, args.outcomes)
        report = await campaign_report(args.journal, store)
    if args.csv == STDOUT:  # the CSV instead of the summary
        report.write_csv(sys.stdout)
    elif args.html == STDOUT:
        sys.stdout.write(report.to_html())
    if args.csv not in (None, STDOUT):
        _write("--csv", args.csv, report.write_csv)
    if args.html not in (None, STDOUT):
        _write("--html", args.html, report.write_html)
    if STDOUT in (args.csv, args.html):
        return 0
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(report.to_text())
    return 0
