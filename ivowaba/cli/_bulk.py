"""``ivowaba bulk``: one message per row of a CSV or JSONL file, crash-safe and resumable.

Every row's fate is appended to a journal (JSON lines, flushed as it happens; the format is
:mod:`ivowaba.outcomes._journal`'s): a header naming the file and its SHA-256, then per row
a ``"sending"`` line once the rate limiter let its request go, then its outcome: a message id,
an error with ``"sent": false`` (surely not sent) or ``"sent": null`` (it may have been:
any 5xx, a timeout or a connection dropped after the request left; the rule is
:func:`ivowaba._errors.sent_state`), or ``"skipped"``.

``--resume`` skips every row that has an id, sends again the rows that surely were not sent,
and reports as *unknown* the rows that may have been sent: ``"sent": null``, or a
``"sending"`` entry with no outcome after it (in flight when the run was killed). They are
never sent again silently (``--resend-unknown`` does it, on purpose). A journal written for
another file is refused. A run ends with exit code 1 when any row failed or is unknown, and
its summary lists the unknown rows.

Before any send, the file is read through (a line that is not JSON or CSV is named,
``rows.jsonl:2``) and every column the options name (``--text`` placeholders, ``--header``,
``--body``, ``--button-url``) is looked for in its header (exit 2). A run stops after
:data:`STOP_AFTER_HOPELESS` sends in a row failed so that every other would (the key refused,
the gateway not reached): the rows not tried are journaled ``"sent": false``, so that
``--resume`` sends them, and the reason is one line on stderr (exit 1).

With ``--outcomes URL`` (an outcome store, :func:`ivowaba.outcomes.open_store`; a SQLite
file that does not exist is refused, exit 2, as by ``ivowaba report``: a typo would otherwise
be a new empty store, where nobody opted out):

- a row whose number opted out is skipped (journaled ``"skipped": "opted_out"``), never a
  request;
- with ``--text``, a row whose customer has not written in the last 24 hours is skipped as
  ``"window_closed"``, or, with ``--fallback-template ID``, sent as that template instead
  (filled from the ``--header``/``--body``/``--button-url`` columns; journaled with
  ``"fallback": ID``). A ``--template`` run is never window-checked;
- ``--resume`` checks the rows skipped before again (who opted back in, or wrote since, is
  sent now); without ``--outcomes`` they stay skipped;
- ``--retry-failed`` (with ``--resume``) also sends again accepted rows whose message failed
  with a code a resend can fix, by the table of :mod:`ivowaba.types.error_codes`: a passing
  fault or a rate limit (480, 131000, 130429, ...: ``RETRYABLE_ERROR_CODES``) once
  ``--retry-pause`` seconds passed since the failure, and outside the 24-hour window (470,
  131047) only as the ``--fallback-template``. No other code is retried. Rows pending,
  delivered, read or unknown are never sent again. See :mod:`ivowaba.cli._retry_failed`.
"""

from __future__ import annotations

import argparse
import csv
import json
import string
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ivowaba._bulk import send_concurrently
from ivowaba._client import AsyncClient, request_leaving
from ivowaba._errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    IvowabaError,
    OutcomeStoreError,
    PermissionDeniedError,
    ValidationError,
)
from ivowaba._outbound import template_components, url_button
from ivowaba._screening import screen
from ivowaba._template_check import check_parameters
from ivowaba.cli._progress import Progress
from ivowaba.cli._retry_failed import (
    DEFAULT_RETRY_PAUSE,
    RetryPlan,
    plan_retries,
    why_left,
)
from ivowaba.outcomes._journal import (
    ACCEPTED,
    SKIP_REASONS,
    UNKNOWN,
    Journal,
    JournalHeader,
    JournalWriter,
    file_sha256,
    read_journal,
)
from ivowaba.outcomes._store import OutcomeStore
from ivowaba.types.bulk import OPTED_OUT, WINDOW_CLOSED
from ivowaba.types.messages import TemplateMessage, TextMessage
from ivowaba.types.resources import SentMessage

__all__ = ["Progress", "add_arguments", "run_bulk"]

TO_COLUMNS = ("wa_id", "to", "phone", "number", "msisdn")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: A run stops after this many sends in a row failed so that every other row would fail
#: too: the key refused (401, 403), or the gateway not reached (no connection made). The rows
#: not tried are journaled as not sent (``--resume`` sends them).
STOP_AFTER_HOPELESS: Final = 5


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
    outcomes = parser.add_argument_group("outcomes")
    outcomes.add_argument(
        "--outcomes",
        metavar="URL",
        help="the outcome store ivowaba receive records into (sqlite:///file.db, which must "
        "exist; redis://host:port/db): skip numbers that opted out and, with --text, numbers "
        "whose 24-hour window is closed",
    )
    outcomes.add_argument(
        "--fallback-template",
        metavar="TEMPLATE_ID",
        help="with --text: send this template (its --header/--body/--button-url columns) to "
        "rows whose window is closed, and with --retry-failed to rows that failed with 470 "
        "or 131047",
    )
    outcomes.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --resume: also send again rows whose message failed with a code a resend "
        "can fix (480, 131000, 130429, ...; 470 and 131047 as --fallback-template)",
    )
    outcomes.add_argument(
        "--retry-pause",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_RETRY_PAUSE,
        help="with --retry-failed: leave rows that failed less than this long ago "
        f"(default {DEFAULT_RETRY_PAUSE:.0f})",
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="sends in flight at most (default 32)"
    )
    parser.add_argument("--rate-limit", type=int, help="at most this many sends per second")
    parser.add_argument(
        "--progress",
        choices=["auto", "bar", "lines", "none"],
        default="auto",
        help="on stderr: a live bar, a line every few seconds, or none (auto: a bar on a "
        "terminal, else lines)",
    )


# -- reading the rows ------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    """The file's rows as dicts, read lazily. A line that is not JSON (an object) or not CSV
    is ``ValidationError`` naming the file and its line (``rows.jsonl:2``); a file that is
    not UTF-8 text names the file."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        try:
                            row = json.loads(line)
                        except ValueError:
                            raise ValidationError(f"{path.name}:{number}", "not JSON") from None
                        if not isinstance(row, dict):
                            raise ValidationError(
                                f"{path.name}:{number}", "each line must be an object"
                            )
                        yield {str(k): "" if v is None else str(v) for k, v in row.items()}
            else:
                reader = csv.DictReader(handle)
                try:
                    yield from reader
                except csv.Error as error:
                    where = f"{path.name}:{reader.reader.line_num}"  # the line it failed on
                    raise ValidationError(where, f"not CSV ({error})") from None
    except UnicodeDecodeError:
        raise ValidationError(path.name, "not UTF-8 text") from None


def scan_rows(path: Path) -> tuple[int, list[str]]:
    """The number of rows, and the columns: a CSV file's header, or every key some line of a
    JSONL file has (in order of appearance). Reads every row: a bad one fails here."""
    total, columns = 0, {}
    for row in read_rows(path):
        total += 1
        columns.update(dict.fromkeys(row))
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        with path.open(newline="", encoding="utf-8") as handle:
            columns = dict.fromkeys(next(csv.reader(handle), []))
    return total, list(columns)


def text_placeholders(text: str) -> list[str]:
    """The columns ``--text`` names (``{name}``, ``{name!r}``, ``{name:>10}``), in order;
    ``ValidationError`` (``--text``) when it is not such a text (a stray brace, ``{}``)."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as error:
        raise ValidationError("--text", f"{error} (write {{{{ and }}}} for a brace)") from None
    names = []
    for _, name, _, _ in parts:
        if name is None:
            continue
        column = name.split(".", 1)[0].split("[", 1)[0]
        if not column or column.isdigit():
            raise ValidationError(
                "--text", f"{{{name}}} names no column: write {{column}} (and {{{{ for a brace)"
            )
        names.append(column)
    return names


def check_columns(args: argparse.Namespace, path: Path, columns: Sequence[str]) -> None:
    """Every column the options name is in the file: ``ValidationError`` naming the option,
    the column and the file's columns otherwise, before any send."""
    named = [("--text", column) for column in text_placeholders(args.text or "")]
    named += [("--header", args.header)] if args.header else []
    named += [("--body", column) for column in args.body]
    named += [("--button-url", args.button_url)] if args.button_url else []
    for option, column in named:
        if column not in columns:
            there = ", ".join(columns) or "none"
            raise ValidationError(
                option, f"no column {column!r} in {path.name} (its columns: {there})"
            )


# -- building messages -----------------------------------------------------------------------


@dataclass
class RowMessage:
    """One row to send: its message, its columns (for a fallback template), and what the
    journal said of it before (a skip reason, to journal a skip again only if it changed)."""

    row: int
    wa_id: str
    message: TextMessage | TemplateMessage
    columns: Mapping[str, str] = field(default_factory=dict)
    fallback: str | None = None
    before: str | None = None


class Skipped(Exception):
    """A row skipped by decision (opted out, window closed): never a request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _column(row: Mapping[str, str], name: str, number: int) -> str:
    if name not in row:
        raise ValidationError(f"row {number}", f"no column {name!r}")
    return row[name]


def template_message(
    args: argparse.Namespace, row: Mapping[str, str], number: int, wa_id: str, template_id: str
) -> TemplateMessage:
    """``template_id`` filled from the row's ``--header``/``--body``/``--button-url``."""
    parts = template_components(
        header=_column(row, args.header, number) if args.header else None,
        body=[_column(row, column, number) for column in args.body],
        buttons=[url_button(_column(row, args.button_url, number))] if args.button_url else [],
    )
    return TemplateMessage(wa_id=wa_id, template_id=template_id, components=parts)


def build_message(
    args: argparse.Namespace,
    row: Mapping[str, str],
    number: int,
    to: str,
    *,
    as_template: str | None = None,
) -> RowMessage:
    """Row ``number``'s message: the run's text or template, or the template ``as_template``
    (a fallback) instead."""
    wa_id = _column(row, to, number)
    if as_template is not None:
        message = template_message(args, row, number, wa_id, as_template)
        return RowMessage(number, wa_id, message, row, fallback=as_template)
    if args.text is not None:
        try:
            text = args.text.format_map(row)
        except KeyError as missing:
            raise ValidationError(f"row {number}", f"no column {missing} for --text") from None
        return RowMessage(number, wa_id, TextMessage(wa_id=wa_id, text=text), row)
    message = template_message(args, row, number, wa_id, args.template)
    return RowMessage(number, wa_id, message, row)


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


# -- the plan --------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a run will do, worked out before any request."""

    path: Path
    journal_path: Path
    header: JournalHeader
    earlier: Journal
    to: str
    total: int
    retry: RetryPlan | None = None

    def todo(self, number: int, args: argparse.Namespace, checked: bool) -> tuple[bool, str | None]:
        """Whether row ``number`` is sent in this run, and the template to send it as (a
        window-closed retry). ``checked``: the run has an outcome store to check skipped rows."""
        before = self.earlier.rows.get(number)
        if before is None:
            return True, None
        if before.state == ACCEPTED:
            if self.retry is not None and number in self.retry.resend:
                return True, self.retry.resend[number]
            return False, None
        if before.state == UNKNOWN:
            return bool(args.resend_unknown), None
        if before.state in SKIP_REASONS:
            return checked, None
        return True, None

    @property
    def already_sent(self) -> int:
        resent = len(self.retry.resend) if self.retry is not None else 0
        return len(self.earlier.in_state(ACCEPTED)) - resent


def _check_options(args: argparse.Namespace) -> None:
    columns = args.header or args.body or args.button_url
    if columns and args.template is None and args.fallback_template is None:
        raise ValidationError(
            "--header/--body/--button-url", "only with --template or --fallback-template"
        )
    if args.fallback_template is not None:
        if args.text is None:
            raise ValidationError("--fallback-template", "only with --text")
        if args.outcomes is None:
            raise ValidationError("--fallback-template", "needs --outcomes URL")
    if args.retry_failed and not (args.resume and args.outcomes):
        raise ValidationError("--retry-failed", "needs --resume and --outcomes URL")
    if not args.retry_pause >= 0:
        raise ValidationError("--retry-pause", f"must be 0 or more seconds, got {args.retry_pause}")


def plan_run(args: argparse.Namespace) -> Plan:
    """Check the options, the file and the journal; raise before any request."""
    path: Path = args.file
    if path.is_dir():
        raise ValidationError("file", f"{path} is a folder: name a .csv or .jsonl file in it")
    if not path.is_file():
        raise ValidationError("file", f"no such file: {path}")
    _check_options(args)
    journal_path: Path = args.journal or path.with_name(path.name + ".journal.jsonl")
    exists = journal_path.exists() and journal_path.stat().st_size > 0
    if exists and not args.resume:
        raise ValidationError(
            "--journal", f"{journal_path} exists: pass --resume to continue that run"
        )
    to = _to_column(args, path)
    total, columns = scan_rows(path)
    check_columns(args, path, columns)
    header = JournalHeader(path.name, file_sha256(path), total)
    earlier = Journal(journal_path)
    if exists:
        earlier = read_journal(journal_path)
        earlier.check_file(path, header.sha256)
    return Plan(path, journal_path, header, earlier, to, total)


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What this run did."""

    sent: int = 0
    failed: int = 0  # surely not sent
    unknown: set[int] = field(default_factory=set)  # may have been sent
    skipped: Counter[str] = field(default_factory=Counter)
    fallback: int = 0
    hopeless: int = 0  # sends in a row that failed as every other would
    stopped: BaseException | None = None  # the failure the run stopped on
    not_tried: int = 0  # rows left when it stopped (journaled as not sent)


class NotTried(Exception):
    """The run stopped before this row's turn: it was not sent."""


def is_hopeless(error: BaseException) -> bool:
    """A failure every other row would meet too: the key refused (401, 403), or the gateway
    not reached (no connection made)."""
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return True
    return isinstance(error, APIConnectionError) and error.never_sent


class RunStopped(IvowabaError):
    """A bulk run stopped after :data:`STOP_AFTER_HOPELESS` sends in a row failed as every
    other would; ``status_code``: the HTTP status of the last, if it had one."""

    def __init__(self, cause: BaseException, not_tried: int) -> None:
        self.status_code = cause.status_code if isinstance(cause, APIStatusError) else None
        if isinstance(cause, APIStatusError):
            why = f"the key was refused ({cause}): check --api-key or IVOWABA_API_KEY"
        else:
            why = f"the gateway was not reached ({cause}): check --base-url or IVOWABA_BASE_URL"
        super().__init__(
            f"stopped after {STOP_AFTER_HOPELESS} sends in a row failed: {why}; {not_tried} "
            "rows not tried, journaled as not sent (--resume sends them)"
        )


async def _check_templates(client: AsyncClient, args: argparse.Namespace, plan: Plan) -> None:
    """A template's wrong parameter count fails here, before any send."""
    first = next(read_rows(plan.path))
    for template_id in (args.template, args.fallback_template):
        if template_id is not None:
            template = await client.templates.get(template_id)
            sample = build_message(args, first, 1, plan.to, as_template=template_id).message
            assert isinstance(sample, TemplateMessage)
            check_parameters(template, sample.components)


async def run_bulk(args: argparse.Namespace) -> int:
    plan = plan_run(args)
    store: OutcomeStore | None = None
    if args.outcomes is not None:
        from ivowaba.outcomes import open_store
        from ivowaba.outcomes._open import require_existing

        require_existing(args.outcomes)  # a typo must not be an empty store: no opt-outs
        store = open_store(args.outcomes)
    try:
        return await _run(args, plan, store)
    finally:
        if store is not None:
            await store.aclose()


async def _run(args: argparse.Namespace, plan: Plan, store: OutcomeStore | None) -> int:
    client = AsyncClient(
        api_key=args.api_key,
        base_url=args.base_url,
        sandbox=args.sandbox,
        rate_limit=args.rate_limit,
    )
    async with client:
        await _check_templates(client, args, plan)
        if args.retry_failed:
            assert store is not None
            plan.retry = await plan_retries(
                plan.earlier,
                store,
                fallback=args.fallback_template,
                pause=args.retry_pause,
                now=time.time(),
            )
        todo = {}
        for number in range(1, plan.total + 1):
            send_it, as_template = plan.todo(number, args, store is not None)
            if send_it:
                todo[number] = as_template
        tally = await _send_rows(client, args, plan, store, todo)
    code = _summarize(args, plan, tally, store is not None)
    if tally.stopped is not None:
        raise RunStopped(tally.stopped, tally.not_tried)
    return code


async def _send_rows(
    client: AsyncClient,
    args: argparse.Namespace,
    plan: Plan,
    store: OutcomeStore | None,
    todo: dict[int, str | None],
) -> Tally:
    writer = JournalWriter(plan.journal_path, plan.header)
    progress = Progress(len(todo), args.progress)
    tally = Tally()

    def pending() -> Iterator[RowMessage | tuple[int, Exception]]:
        for number, row in enumerate(read_rows(plan.path), 1):
            if tally.stopped is not None:
                return
            if number not in todo:
                continue
            try:
                item = build_message(args, row, number, plan.to, as_template=todo[number])
            except ValidationError as error:
                yield number, error
                continue
            before = plan.earlier.rows.get(number)
            item.before = before.state if before is not None else None
            yield item

    async def check(item: RowMessage) -> None:
        """Skip the row, or turn it into its fallback template, as the store says."""
        assert store is not None
        free_form = isinstance(item.message, TextMessage)
        skipped = await screen(store, item.wa_id, free_form=free_form)  # or OutcomeStoreError
        if skipped == OPTED_OUT:
            raise Skipped(OPTED_OUT)
        if skipped == WINDOW_CLOSED:
            if args.fallback_template is None:
                raise Skipped(WINDOW_CLOSED)
            fallback = build_message(
                args, item.columns, item.row, plan.to, as_template=args.fallback_template
            )
            item.message, item.fallback = fallback.message, fallback.fallback

    async def send(item: RowMessage | tuple[int, Exception]) -> SentMessage:
        if isinstance(item, tuple):
            raise item[1]
        if tally.stopped is not None:
            raise NotTried
        if store is not None:
            await check(item)
        journaled = False

        def leaving() -> None:
            # Called by the client once the rate limiter let the request go: only now is
            # the row in flight. Once, though a request surely never sent may be retried.
            nonlocal journaled
            if not journaled:
                journaled = True
                writer.sending(item.row, item.wa_id)

        # This coroutine runs in its own worker task: the hook is this row's only.
        token = request_leaving.set(leaving)
        try:
            return await client.messages.send(item.message)
        finally:
            request_leaving.reset(token)

    not_tried = ""
    done: set[int] = set()
    try:
        async for result in send_concurrently(send, pending(), args.concurrency):
            item = result.message
            if isinstance(item, RowMessage):
                row, wa_id = item.row, item.wa_id
            else:
                row, wa_id = item[0], None
            done.add(row)
            if isinstance(result.error, NotTried):
                tally.not_tried += 1
                writer.refused(row, wa_id, not_tried, False)
                continue
            _count_hopeless(tally, result.error)
            if tally.stopped is not None and not not_tried:
                not_tried = (
                    f"not tried: the run stopped after {STOP_AFTER_HOPELESS} sends in a row "
                    f"failed ({tally.stopped})"
                )
            if isinstance(result.error, Skipped):
                assert isinstance(item, RowMessage)
                reason = result.error.reason
                tally.skipped[reason] += 1
                if item.before != reason:  # already journaled so: nothing new to say
                    writer.skipped(row, item.wa_id, reason)
                progress.update(False, skipped=True)
                continue
            if result.error is None:
                assert result.id is not None
                fallback = item.fallback if isinstance(item, RowMessage) else None
                tally.fallback += fallback is not None
                writer.accepted(row, wa_id, result.id, fallback)
            else:
                sent = result.sent
                if sent is None:
                    tally.unknown.add(row)
                else:
                    tally.failed += 1
                writer.refused(row, wa_id, str(result.error), sent)
            progress.update(result.error is None)
        if tally.stopped is not None:  # the rows never taken from the file
            for number, columns in enumerate(read_rows(plan.path), 1):
                if number in todo and number not in done:
                    tally.not_tried += 1
                    writer.refused(number, columns.get(plan.to), not_tried, False)
    finally:
        progress.finish()
        writer.close()
    tally.sent = progress.sent
    return tally


def _count_hopeless(tally: Tally, error: BaseException | None) -> None:
    """Count a send's outcome towards stopping the run: a failure every other row would meet
    too adds one, any other answer starts again from 0; a row that made no request (bad
    input, skipped, the store failed) changes nothing."""
    if isinstance(error, (ValidationError, Skipped, OutcomeStoreError)):
        return
    tally.hopeless = tally.hopeless + 1 if error is not None and is_hopeless(error) else 0
    if tally.hopeless >= STOP_AFTER_HOPELESS and tally.stopped is None:
        assert error is not None
        tally.stopped = error


def _rows_list(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")


def _summarize(args: argparse.Namespace, plan: Plan, tally: Tally, checked: bool) -> int:
    earlier_unknown = set() if args.resend_unknown else plan.earlier.unknown
    unknown = sorted(tally.unknown | earlier_unknown)
    sent = tally.sent
    retry = plan.retry
    summary: dict[str, object] = {
        "rows": plan.total,
        "sent": sent,
        "failed": tally.failed,
        "skipped_already_sent": plan.already_sent,
        "unknown": unknown,
        "opted_out": tally.skipped[OPTED_OUT],
        "window_closed": tally.skipped[WINDOW_CLOSED],
        "fallback": tally.fallback,
        "not_tried": tally.not_tried,
        "journal": str(plan.journal_path),
    }
    if retry is not None:
        summary["retried"] = len(retry.resend)
        summary["retry_later"] = retry.waiting
        summary["not_retried"] = retry.left
    if args.json:
        print(json.dumps(summary))
        return EXIT_FAILED if tally.failed or unknown else EXIT_OK
    skipped = ""
    if checked:
        skipped = (
            f", {tally.skipped[OPTED_OUT]} opted out, {tally.skipped[WINDOW_CLOSED]} "
            f"window closed, {tally.fallback} sent as the fallback template"
        )
    not_tried = f", {tally.not_tried} not tried" if tally.not_tried else ""
    print(
        f"{plan.total} rows: {sent} sent now, {plan.already_sent} already sent, "
        f"{tally.failed} failed{not_tried}, {len(unknown)} unknown{skipped}. "
        f"Journal: {plan.journal_path}"
    )
    if unknown:
        print(
            f"unknown rows (may have been sent; --resume sends them again only with "
            f"--resend-unknown): {_rows_list(unknown)}"
        )
    if retry is not None:
        print(f"sent again by --retry-failed: {len(retry.resend)} rows")
        if retry.rate_limited:
            print(
                "of which failed on a rate limit (lower --rate-limit if they fail again): "
                f"{_rows_list(retry.rate_limited)}"
            )
        if retry.waiting:
            print(
                f"failed less than {args.retry_pause:.0f} s ago, to retry in a later run: "
                f"{_rows_list(retry.waiting)}"
            )
        for code, rows in retry.left.items():
            print(f"failed with {code}, not sent again ({why_left(code)}): {_rows_list(rows)}")
    return EXIT_FAILED if tally.failed or unknown else EXIT_OK
