"""``ivowaba bulk``: one message per row of a CSV or JSONL file, crash-safe and resumable.

Every row's fate is appended to a journal (JSON lines, flushed as it happens):

- ``{"row": 7, "wa_id": "62...", "state": "sending"}`` once the rate limiter let the row's
  request go, right before it leaves (a row still waiting for the limiter has no entry);
- ``{"row": 7, "wa_id": "62...", "id": "wamid..."}`` once accepted;
- ``{"row": 7, "wa_id": "62...", "error": "...", "sent": false}`` when it surely was not
  sent (bad input, a 4xx answer, a connection that was never made), or ``"sent": null`` when
  it may have been (any 5xx answer, a timeout or a connection dropped after the request left,
  an accepted answer that could not be read). ``sent`` is ``BulkResult.sent``, that is
  :func:`ivowaba._errors.sent_state`.

``--resume`` skips every row that has an id, sends again the rows that surely were not sent,
and reports as *unknown* the rows that may have been sent: ``"sent": null``, or a
``"sending"`` entry with no outcome after it (in flight when the run was killed). They are
never sent again silently (``--resend-unknown`` does it, on purpose). A run ends with exit
code 1 when any row failed or is unknown, and its summary lists the unknown rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ivowaba._bulk import send_concurrently
from ivowaba._client import AsyncClient, request_leaving
from ivowaba._errors import ValidationError
from ivowaba._outbound import template_components, url_button
from ivowaba._template_check import check_parameters
from ivowaba.types.messages import (
    TemplateMessage,
    TextMessage,
)
from ivowaba.types.resources import SentMessage

TO_COLUMNS = ("wa_id", "to", "phone", "number", "msisdn")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a .csv (with a header row) or .jsonl file")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help='a text, with {column} placeholders: "Hi {name}"')
    what.add_argument("--template", metavar="TEMPLATE_ID", help="an approved template's id")
    parser.add_argument("--header", metavar="COLUMN", help="column for the header parameter")
    parser.add_argument(
        "--body",
        metavar="COLUMN",
        action="append",
        default=[],
        help="column for the next body parameter (repeat, in {{n}} order)",
    )
    parser.add_argument("--button-url", metavar="COLUMN", help="column for the URL button")
    parser.add_argument("--to-column", help=f"recipient column (default: {', '.join(TO_COLUMNS)})")
    parser.add_argument(
        "--journal", type=Path, help="results journal (default: FILE.journal.jsonl)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="skip rows the journal says were sent"
    )
    parser.add_argument(
        "--resend-unknown",
        action="store_true",
        help="with --resume: also send rows whose outcome is unknown",
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate-limit", type=int, help="at most this many sends per second")
    parser.add_argument("--progress", choices=["auto", "bar", "lines", "none"], default="auto")


# -- reading the rows ------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    """The file's rows as dicts, read lazily."""
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            for number, line in enumerate(handle, 1):
                if line.strip():
                    row = json.loads(line)
                    if not isinstance(row, dict):
                        raise ValidationError(
                            f"{path.name}:{number}", "each line must be an object"
                        )
                    yield {str(k): "" if v is None else str(v) for k, v in row.items()}
        else:
            yield from csv.DictReader(handle)


def count_rows(path: Path) -> int:
    return sum(1 for _ in read_rows(path))


# -- the journal -----------------------------------------------------------------------------


@dataclass
class Journal:
    """What earlier runs recorded, by row."""

    sent: dict[int, str] = field(default_factory=dict)
    failed: set[int] = field(default_factory=set)
    unknown: set[int] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path) -> Journal:
        journal = cls()
        if not path.exists():
            return journal
        in_flight: set[int] = set()
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:  # the last line of a killed run may be cut short
                    continue
                row = entry.get("row")
                if not isinstance(row, int):
                    continue
                if entry.get("state") == "sending":
                    if row in in_flight:  # an earlier run's send of it never got an outcome
                        journal.unknown.add(row)
                    in_flight.add(row)
                    continue
                in_flight.discard(row)
                if entry.get("id"):
                    journal.sent[row] = entry["id"]
                    journal.failed.discard(row)
                    journal.unknown.discard(row)
                elif entry.get("sent") is False:
                    journal.failed.add(row)
                else:
                    journal.unknown.add(row)
        journal.unknown |= in_flight - journal.sent.keys()
        return journal


class JournalWriter:
    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def write(self, entry: Mapping[str, Any]) -> None:
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()  # survives a SIGKILL: it is in the kernel's hands now

    def close(self) -> None:
        self._file.close()


# -- building messages -----------------------------------------------------------------------


@dataclass
class RowMessage:
    row: int
    wa_id: str
    message: TextMessage | TemplateMessage


def _column(row: Mapping[str, str], name: str, number: int) -> str:
    if name not in row:
        raise ValidationError(f"row {number}", f"no column {name!r}")
    return row[name]


def build_message(
    args: argparse.Namespace, row: Mapping[str, str], number: int, to: str
) -> RowMessage:
    wa_id = _column(row, to, number)
    if args.text is not None:
        try:
            text = args.text.format_map(row)
        except KeyError as missing:
            raise ValidationError(f"row {number}", f"no column {missing} for --text") from None
        return RowMessage(number, wa_id, TextMessage(wa_id=wa_id, text=text))
    parts = template_components(
        header=_column(row, args.header, number) if args.header else None,
        body=[_column(row, column, number) for column in args.body],
        buttons=[url_button(_column(row, args.button_url, number))] if args.button_url else [],
    )
    return RowMessage(
        number, wa_id, TemplateMessage(wa_id=wa_id, template_id=args.template, components=parts)
    )


def _to_column(args: argparse.Namespace, path: Path) -> str:
    first = next(read_rows(path), None)
    if first is None:
        raise ValidationError("file", f"{path} has no rows")
    if args.to_column:
        if args.to_column not in first:
            raise ValidationError("--to-column", f"{path} has no column {args.to_column!r}")
        return str(args.to_column)
    for name in TO_COLUMNS:
        if name in first:
            return name
    raise ValidationError("--to-column", f"none of {', '.join(TO_COLUMNS)} in {path}; name it")


# -- progress --------------------------------------------------------------------------------


class Progress:
    """A live line on a terminal, a plain line every few seconds elsewhere."""

    def __init__(self, total: int, mode: str, out: IO[str] | None = None) -> None:
        out = out if out is not None else sys.stderr  # the stream of now, not of import time
        if mode == "auto":
            mode = "bar" if out.isatty() else "lines"
        self.mode, self.total, self.out = mode, total, out
        self.sent = self.failed = 0
        self.started = self._last = time.monotonic()

    def update(self, ok: bool) -> None:
        if ok:
            self.sent += 1
        else:
            self.failed += 1
        now = time.monotonic()
        interval = 0.1 if self.mode == "bar" else 5.0
        if self.mode != "none" and now - self._last >= interval:
            self._last = now
            self._show(now)

    def _show(self, now: float, end: str = "") -> None:
        done = self.sent + self.failed
        rate = done / max(now - self.started, 1e-9)
        left = max(self.total - done, 0)
        eta = time.strftime("%H:%M:%S", time.gmtime(left / rate)) if rate > 0 else "--:--:--"
        line = (
            f"sent {self.sent}  failed {self.failed}  {done}/{self.total}  {rate:,.0f}/s  ETA {eta}"
        )
        if self.mode == "bar":
            width = 24
            filled = int(width * done / self.total) if self.total else width
            self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {line}{end}")
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def finish(self) -> None:
        if self.mode != "none":
            self._show(time.monotonic(), end="\n" if self.mode == "bar" else "")


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a run will do, worked out before any request."""

    path: Path
    journal_path: Path
    earlier: Journal
    skip: set[int]
    to: str
    total: int


def plan_run(args: argparse.Namespace) -> Plan:
    path: Path = args.file
    if not path.is_file():
        raise ValidationError("file", f"no such file: {path}")
    if args.template is None and (args.header or args.body or args.button_url):
        raise ValidationError("--header/--body/--button-url", "only with --template")
    journal_path: Path = args.journal or path.with_name(path.name + ".journal.jsonl")
    if journal_path.exists() and journal_path.stat().st_size and not args.resume:
        raise ValidationError(
            "--journal", f"{journal_path} exists: pass --resume to continue that run"
        )
    earlier = Journal.read(journal_path) if args.resume else Journal()
    skip = set(earlier.sent) | (set() if args.resend_unknown else earlier.unknown)
    return Plan(path, journal_path, earlier, skip, _to_column(args, path), count_rows(path))


async def run_bulk(args: argparse.Namespace) -> int:
    plan = plan_run(args)
    path, journal_path, earlier, skip, to, total = (
        plan.path,
        plan.journal_path,
        plan.earlier,
        plan.skip,
        plan.to,
        plan.total,
    )

    client = AsyncClient(
        api_key=args.api_key,
        base_url=args.base_url,
        sandbox=args.sandbox,
        rate_limit=args.rate_limit,
    )
    async with client:
        if args.template is not None:  # a wrong parameter count fails here, before any send
            template = await client.templates.get(args.template)
            sample = build_message(args, next(read_rows(path)), 1, to).message
            assert isinstance(sample, TemplateMessage)
            check_parameters(template, sample.components)

        writer = JournalWriter(journal_path)
        progress = Progress(total - len(skip), args.progress)
        failed = 0  # surely not sent
        unknown_now: set[int] = set()  # may have been sent

        def pending() -> Iterator[RowMessage | tuple[int, Exception]]:
            for number, row in enumerate(read_rows(path), 1):
                if number in skip:
                    continue
                try:
                    yield build_message(args, row, number, to)
                except ValidationError as error:
                    yield number, error

        async def send(item: RowMessage | tuple[int, Exception]) -> SentMessage:
            if isinstance(item, tuple):
                raise item[1]
            journaled = False

            def leaving() -> None:
                # Called by the client once the rate limiter let the request go: only now is
                # the row in flight. Once, though a request surely never sent may be retried.
                nonlocal journaled
                if not journaled:
                    journaled = True
                    writer.write({"row": item.row, "wa_id": item.wa_id, "state": "sending"})

            # This coroutine runs in its own worker task: the hook is this row's only.
            token = request_leaving.set(leaving)
            try:
                return await client.messages.send(item.message)
            finally:
                request_leaving.reset(token)

        try:
            async for result in send_concurrently(send, pending(), args.concurrency):
                item = result.message
                row, wa_id = (
                    (item.row, item.wa_id) if isinstance(item, RowMessage) else (item[0], None)
                )
                if result.error is None:
                    writer.write({"row": row, "wa_id": wa_id, "id": result.id})
                else:
                    if result.sent is None:
                        unknown_now.add(row)
                    else:
                        failed += 1
                    writer.write(
                        {
                            "row": row,
                            "wa_id": wa_id,
                            "error": str(result.error),
                            "sent": result.sent,
                        }
                    )
                progress.update(result.error is None)
        finally:
            progress.finish()
            writer.close()

    unknown = sorted(unknown_now | (set() if args.resend_unknown else earlier.unknown))
    summary = {
        "rows": total,
        "sent": progress.sent,
        "failed": failed,
        "skipped_already_sent": len(earlier.sent),
        "unknown": unknown,
        "journal": str(journal_path),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{total} rows: {progress.sent} sent now, {len(earlier.sent)} already sent, "
            f"{failed} failed, {len(unknown)} unknown. Journal: {journal_path}"
        )
        if unknown:
            shown = ", ".join(map(str, unknown[:20])) + (" ..." if len(unknown) > 20 else "")
            print(
                f"unknown rows (may have been sent; --resume sends them again only with "
                f"--resend-unknown): {shown}"
            )
    return EXIT_FAILED if failed or unknown else EXIT_OK
