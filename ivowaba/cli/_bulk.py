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
``--body``, ``--button-url``) is looked for in its header (exit 2); ``--text`` takes plain
``{column}`` placeholders only. A row whose cell a message needs is missing (a CSV row
shorter than the header, a JSONL line without the key), null, not a text or a number (a JSON
object or list) or, for the recipient and template parameters, empty is refused as bad input
(journaled ``"sent": false`` naming the row and the column), never sent. A run stops after
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
import contextlib
import csv
import json
import string
import sys
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
from ivowaba._validation import wa_id
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
    what.add_argument(
        "--text",
        help='a text with {column} placeholders ({{ and }} for a brace): "Hi {name}"',
    )
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


#: One row as read: a CSV row's cells (none for those a short row lacks), or a JSONL
#: line's values as JSON gave them. Which values a message may use: :func:`cell`.
Row = Mapping[str, object]
#: What a cell may hold to be put into a message: JSON's scalars (``true``/``false`` written
#: as JSON spells them).
SCALARS = (str, int, float)
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
#: Input files are read as UTF-8, a leading byte-order mark (a file saved by Excel) skipped.
ENCODING: Final = "utf-8-sig"


def read_rows(path: Path) -> Iterator[dict[str, object]]:
    """The file's rows as dicts, read lazily. A line that is not JSON (an object) or not CSV
    (a quote never closed, a field too large) is ``ValidationError`` naming the file and the
    line (``rows.jsonl:2``; for CSV the line the record starts on); a file that is not UTF-8
    text names the file. A byte-order mark at the start is skipped."""
    try:
        with path.open(newline="", encoding=ENCODING) as handle:
            if path.suffix.lower() in _JSONL_SUFFIXES:
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
                        yield row
            else:
                # strict: a quote never closed is an error at the end, not a field
                # that swallowed the rows after it
                reader = csv.DictReader(handle, strict=True)
                start = 1  # the line the record being read starts on
                try:
                    if reader.fieldnames is None:  # reads the header: none, no rows
                        return
                    start = reader.line_num + 1
                    for row in reader:  # a short row's missing cells are absent
                        extra = row.get(None)
                        if extra:  # `Smith, John` unquoted: which cell is which is a guess
                            header = len(reader.fieldnames)
                            raise ValidationError(
                                f"{path.name}:{start}",
                                f"{header + len(extra)} cells, the header has {header} "
                                "(a comma in a value needs quotes)",
                            )
                        yield {k: v for k, v in row.items() if v is not None and k is not None}
                        start = reader.line_num + 1
                except csv.Error as error:
                    why = str(error)
                    if why == "unexpected end of data":
                        why = "a quote opened here never closes"
                    raise ValidationError(f"{path.name}:{start}", f"not CSV ({why})") from None
    except UnicodeDecodeError:
        raise ValidationError(path.name, "not UTF-8 text") from None


@dataclass
class Scan:
    """What a first read of every row found."""

    total: int
    columns: list[str]
    #: Each number found on more than one row (as sent: normalised), with those rows.
    repeated: dict[str, list[int]]


def scan_rows(path: Path, to: str) -> Scan:
    """Read every row (a bad one fails here): the number of rows; the columns, a CSV file's
    header, or every key some line of a JSONL file has (in order of appearance); and the
    numbers of column ``to`` found on more than one row."""
    total, columns = 0, {}
    rows_of: dict[str, list[int]] = {}
    for number, row in enumerate(read_rows(path), 1):
        total += 1
        columns.update(dict.fromkeys(row))
        value = row.get(to)
        if isinstance(value, str):
            with contextlib.suppress(ValidationError):  # refused on its turn, naming the row
                rows_of.setdefault(wa_id(value), []).append(number)
    if path.suffix.lower() not in _JSONL_SUFFIXES:
        with path.open(newline="", encoding=ENCODING) as handle:
            columns = dict.fromkeys(next(csv.reader(handle, strict=True), []))
    repeated = {to_number: rows for to_number, rows in rows_of.items() if len(rows) > 1}
    return Scan(total, list(columns), repeated)


def warn_of_repeats(repeated: dict[str, list[int]]) -> None:
    """One line on stderr when some number is on several rows: each row is sent (a number
    twice may be meant, two messages), but the customer gets them all."""
    if not repeated:
        return
    shown = "; ".join(
        f"{to_number} on rows {_rows_list(rows)}" for to_number, rows in list(repeated.items())[:3]
    )
    more = f"; and {len(repeated) - 3} more" if len(repeated) > 3 else ""
    print(
        f"ivowaba: warning: {len(repeated)} number{'s are' if len(repeated) > 1 else ' is'} on "
        f"more than one row, and each row is sent: {shown}{more}",
        file=sys.stderr,
    )


def cell(row: Row, column: str, number: int, *, empty: bool = False) -> str:
    """Row ``number``'s ``column`` as text for a message. ``ValidationError`` naming the row
    and the column (that row is refused, never sent) when the row has no such cell (a CSV
    row shorter than the header, a JSONL line without the key), it is null, it is not a
    scalar (a JSON object or list), or, unless ``empty``, it is empty."""
    where = f"row {number}"
    value = row.get(column)
    if value is None:
        lacks = "has no value" if column in row else "is missing"
        raise ValidationError(where, f"column {column!r} {lacks}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, SCALARS):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise ValidationError(where, f"column {column!r} is {kind}, not a text or a number")
    text = str(value)
    if not text and not empty:
        raise ValidationError(where, f"column {column!r} is empty")
    return text


def text_fields(text: str) -> list[tuple[str, str | None]]:
    """``--text`` as ``(literal, column)`` parts (``column`` ``None`` after the last
    placeholder). Only plain ``{column}`` placeholders are allowed, and ``{{``/``}}`` for a
    brace: anything else (a stray brace, ``{}``, ``{0}``, ``{name.attr}``, ``{name[0]}``,
    ``{name!r}``, ``{name:>10}``) is ``ValidationError`` (``--text``)."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as error:
        raise ValidationError("--text", f"{error} (write {{{{ and }}}} for a brace)") from None
    fields: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parts:
        if name is None:
            fields.append((literal, None))
            continue
        if not name or name.isdigit():
            raise ValidationError(
                "--text", f"{{{name}}} names no column: write {{column}} (and {{{{ for a brace)"
            )
        if spec or conversion or any(mark in name for mark in ".[]"):
            written = "{" + name + (f"!{conversion}" if conversion else "")
            written += (f":{spec}" if spec else "") + "}"
            raise ValidationError(
                "--text",
                f"{written} is not a plain {{column}} placeholder: a column's name in braces "
                "only, no attribute, index, !conversion or :format ({{ and }} for a brace)",
            )
        fields.append((literal, name))
    return fields


def text_placeholders(text: str) -> list[str]:
    """The columns ``--text`` names, in order (see :func:`text_fields` for the rule)."""
    return [name for _, name in text_fields(text) if name is not None]


def render_text(fields: Sequence[tuple[str, str | None]], row: Row, number: int) -> str:
    """The text of ``fields`` (:func:`text_fields`) for row ``number``: each placeholder its
    cell (an empty cell is empty text; see :func:`cell` for what refuses the row)."""
    return "".join(
        literal + ("" if name is None else cell(row, name, number, empty=True))
        for literal, name in fields
    )


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
    columns: Row = field(default_factory=dict)
    fallback: str | None = None
    before: str | None = None


@dataclass
class BadRow:
    """A row refused as bad input (:func:`build_message` failed): journaled as not sent, with
    the row's number when it has one."""

    row: int
    wa_id: str | None
    error: ValidationError


class Skipped(Exception):
    """A row skipped by decision (opted out, window closed): never a request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def template_message(
    args: argparse.Namespace, row: Row, number: int, wa_id: str, template_id: str
) -> TemplateMessage:
    """``template_id`` filled from the row's ``--header``/``--body``/``--button-url``
    (each a :func:`cell`, not empty)."""
    parts = template_components(
        header=cell(row, args.header, number) if args.header else None,
        body=[cell(row, column, number) for column in args.body],
        buttons=[url_button(cell(row, args.button_url, number))] if args.button_url else [],
    )
    return TemplateMessage(wa_id=wa_id, template_id=template_id, components=parts)


def recipient(row: Row, to: str) -> str | None:
    """The row's number as the journal keeps it, even for a row refused: ``None`` when it has
    none."""
    value = row.get(to)
    if isinstance(value, SCALARS) and not isinstance(value, bool):
        return str(value) or None
    return None


def build_message(
    args: argparse.Namespace,
    row: Row,
    number: int,
    to: str,
    *,
    as_template: str | None = None,
) -> RowMessage:
    """Row ``number``'s message: the run's text or template, or the template ``as_template``
    (a fallback) instead. ``ValidationError`` naming the row when it cannot be built."""
    wa_id = cell(row, to, number)
    if as_template is not None:
        message = template_message(args, row, number, wa_id, as_template)
        return RowMessage(number, wa_id, message, row, fallback=as_template)
    if args.text is not None:
        text = render_text(text_fields(args.text), row, number)
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
    if args.resend_unknown and not args.resume:
        raise ValidationError("--resend-unknown", "only with --resume")
    if args.concurrency < 1:
        raise ValidationError("--concurrency", f"must be 1 or more, got {args.concurrency}")
    if args.rate_limit is not None and args.rate_limit < 1:
        raise ValidationError("--rate-limit", f"must be 1 or more, got {args.rate_limit}")
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
    scan = scan_rows(path, to)
    total = scan.total
    check_columns(args, path, scan.columns)
    if not args.json:
        warn_of_repeats(scan.repeated)
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
    """A template's wrong parameter count fails here, before any send. The count is the
    options', the same for every row: the sample is the first row that makes a message (a
    bad row is refused on its turn, not the run)."""
    for template_id in (args.template, args.fallback_template):
        if template_id is None:
            continue
        template = await client.templates.get(template_id)
        for number, row in enumerate(read_rows(plan.path), 1):
            try:
                sample = build_message(args, row, number, plan.to, as_template=template_id)
            except ValidationError:
                continue
            assert isinstance(sample.message, TemplateMessage)
            check_parameters(template, sample.message.components)
            break


async def run_bulk(args: argparse.Namespace) -> int:
    plan = plan_run(args)
    store: OutcomeStore | None = None
    if args.outcomes is not None:
        from ivowaba.outcomes import open_store
        from ivowaba.outcomes._open import require_existing

        require_existing(args.outcomes)  # a typo must not be an empty store: no opt-outs
        store = open_store(args.outcomes)
    try:
        if store is not None:
            from ivowaba.outcomes._open import require_reachable

            await require_reachable(store, args.outcomes)  # before the journal, any request
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

    def pending() -> Iterator[RowMessage | BadRow]:
        for number, row in enumerate(read_rows(plan.path), 1):
            if tally.stopped is not None:
                return
            if number not in todo:
                continue
            try:
                item = build_message(args, row, number, plan.to, as_template=todo[number])
            except ValidationError as error:
                yield BadRow(number, recipient(row, plan.to), error)
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

    async def send(item: RowMessage | BadRow) -> SentMessage:
        if isinstance(item, BadRow):
            raise item.error
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
            row, wa_id = item.row, item.wa_id
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
                    writer.refused(number, recipient(columns, plan.to), not_tried, False)
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
        f"{plan.total} row{'' if plan.total == 1 else 's'}: {sent} sent now, "
        f"{plan.already_sent} already sent, "
        f"{tally.failed} failed{not_tried}, {len(unknown)} unknown{skipped}. "
        f"Journal: {plan.journal_path}"
    )
    if unknown:
        print(
            f"unknown rows (may have been sent; --resume sends them again only with "
            f"--resend-unknown): {_rows_list(unknown)}"
        )
    if retry is not None:
        resent = len(retry.resend)
        print(f"sent again by --retry-failed: {resent} row{'' if resent == 1 else 's'}")
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
