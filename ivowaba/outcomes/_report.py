"""The campaign report: a bulk journal joined with the outcome store, row by row.

```python
from ivowaba.outcomes import campaign_report, open_store

async with open_store("sqlite:///outcomes.db") as store:
    report = await campaign_report("customers.csv.journal.jsonl", store)
print(report.to_text())
report.to_json()              # {"rows": 1000, "accepted": 930, "delivered": 880, ...}
report.write_csv("rows.csv")  # one line per row, with its final state
report.write_html("report.html")
```

Each row of the journal ends in one state:

- accepted (the gateway gave it a message id), and then, by what the store knows of that
  message: ``read`` (counted in ``delivered`` too), ``delivered``, ``failed`` (counted by
  error code), or ``pending`` (no final status yet: no status at all, or only ``sent``);
- ``unknown``: the send's outcome is unknown (a 5xx, a timeout, killed in flight): it may
  have been sent;
- ``not_sent``: refused, before any request (bad input) or by the gateway (a 4xx);
- ``opted_out``, ``window_closed``: skipped by ``ivowaba bulk --outcomes``.

A delivered or read message counts as such even when a failure was recorded for it too (the
rank rule of :mod:`ivowaba.outcomes`: reaching the phone outranks a failure).
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Final, TypeAlias

import msgspec

from ivowaba._errors import ValidationError
from ivowaba.outcomes._journal import (
    ACCEPTED,
    NOT_SENT,
    UNKNOWN,
    Journal,
    JournalRow,
    read_journal,
)
from ivowaba.outcomes._sqlite import SQLiteOutcomeStore
from ivowaba.outcomes._store import OutcomeStore
from ivowaba.types.bulk import OPTED_OUT, WINDOW_CLOSED
from ivowaba.types.error_codes import ErrorCode

# A row's final state in a report, besides the journal's own (unknown, not_sent, opted_out,
# window_closed).
READ: Final = "read"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
PENDING: Final = "pending"

#: The keys of :meth:`CampaignReport.to_json`, in order.
REPORT_KEYS: Final = (
    "rows",
    "accepted",
    "delivered",
    "read",
    "failed",
    "pending",
    "unknown",
    "not_sent",
    "opted_out",
    "window_closed",
)
#: The columns of :meth:`CampaignReport.write_csv`, in order.
CSV_COLUMNS: Final = (
    "row",
    "wa_id",
    "message_id",
    "state",
    "status",
    "error_code",
    "error_title",
    "fallback",
    "error",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
)
#: The columns of :meth:`CampaignReport.write_csv` whose text comes from outside (the input
#: file's ``wa_id``; the gateway's ids, statuses and errors; the template id given): each is
#: made safe to open in a spreadsheet (:data:`FORMULA_TRIGGERS`). The others are ours: the row
#: number, the state, the error code (a number) and the times.
CSV_TEXT_FROM_OUTSIDE: Final = ("wa_id", "message_id", "status", "error_title", "fallback", "error")
#: The first characters that make a spreadsheet (Excel, LibreOffice) run a cell as a formula
#: (OWASP, "CSV Injection"): such a text cell is written with a ``'`` before it.
FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r")
#: Message ids asked of the store at a time.
BATCH_SIZE: Final = 5_000
#: The failure "code" of a failed status that gave none.
NO_CODE: Final = "none"


def delivery_state(status: str | None, delivered: object, read: object) -> str:
    """What became of an accepted message, from its outcome's ``status`` (``None``: no
    outcome) and whether it has a ``delivered`` and a ``read`` time: ``"read"``,
    ``"delivered"``, ``"failed"`` or ``"pending"`` (no final status yet)."""
    if read is not None:
        return READ
    if delivered is not None:
        return DELIVERED
    if status == FAILED:
        return FAILED
    return PENDING


class RowReport(msgspec.Struct, frozen=True, gc=False):
    """One row of the campaign, in its final state (see :mod:`ivowaba.outcomes`' report).

    - ``row``: its number in the input file (1 is the first row after a CSV's header).
    - ``state``: ``read``, ``delivered``, ``failed``, ``pending``, ``unknown``, ``not_sent``,
      ``opted_out`` or ``window_closed``.
    - ``message_id``, ``fallback``: the accepted message's id, and the template it was sent
      as instead of its text, if so.
    - ``status``, ``error_code``, ``error_title``, ``sent_at``, ``delivered_at``, ``read_at``,
      ``failed_at``: the store's outcome of the message, when it has one.
    - ``error``: why the send was not accepted (``not_sent``, ``unknown``).
    """

    row: int
    wa_id: str | None
    state: str
    message_id: str | None = None
    fallback: str | None = None
    error: str | None = None
    status: str | None = None
    error_code: int | None = None
    error_title: str | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None

    def csv_fields(self) -> list[object]:
        """Its line of :meth:`CampaignReport.write_csv`, the text from outside
        (:data:`CSV_TEXT_FROM_OUTSIDE`) quoted so that no spreadsheet runs it."""
        return [
            self.row,
            _text_cell(self.wa_id),
            _text_cell(self.message_id),
            self.state,
            _text_cell(self.status),
            "" if self.error_code is None else self.error_code,
            _text_cell(self.error_title),
            _text_cell(self.fallback),
            _text_cell(self.error),
            *(at.isoformat() if at else "" for at in self._times()),
        ]

    def _times(self) -> tuple[datetime | None, ...]:
        return (self.sent_at, self.delivered_at, self.read_at, self.failed_at)


def _text_cell(text: str | None) -> str:
    """``text`` (``None``: empty) as a CSV cell that a spreadsheet shows and never runs: a
    ``'`` before a first character of :data:`FORMULA_TRIGGERS`."""
    if not text:
        return ""
    return "'" + text if text[0] in FORMULA_TRIGGERS else text


@dataclass(repr=False)
class CampaignReport:
    """A campaign's outcome, from :func:`campaign_report`.

    The counts: ``rows`` (the input file's, from the journal's header; else the highest row
    it mentions), ``accepted``, ``delivered`` (delivered or read), ``read``, ``failed`` (by
    error code, as a string: ``{"470": 12}``; ``"none"`` for a failure that gave no code),
    ``pending``, ``unknown``, ``not_sent``, ``opted_out``, ``window_closed``. ``accepted``
    is ``delivered + failed + pending``.

    Also: ``failure_titles`` (each code's title, as the gateway gave it; for a code whose
    statuses gave none, the title in :class:`~ivowaba.types.error_codes.ErrorCode`),
    ``by_row`` (every row of the journal, a :class:`RowReport` each, in row order),
    ``delivery_latencies`` and ``read_latencies`` (seconds from each message's ``sent``
    status to its ``delivered``, and to its ``read``), and ``journal`` (its path).
    """

    rows: int = 0
    accepted: int = 0
    delivered: int = 0
    read: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    unknown: int = 0
    not_sent: int = 0
    opted_out: int = 0
    window_closed: int = 0
    failure_titles: dict[str, str] = field(default_factory=dict)
    by_row: list[RowReport] = field(default_factory=list)
    delivery_latencies: list[float] = field(default_factory=list)
    read_latencies: list[float] = field(default_factory=list)
    journal: Path | None = None

    def __repr__(self) -> str:  # the counts: a report of 100,000 rows is no line to print
        counts = ", ".join(f"{key}={value!r}" for key, value in self.to_json().items())
        return f"CampaignReport({counts})"

    @property
    def not_attempted(self) -> int:
        """Rows the journal does not mention (a run that ended before them)."""
        return max(self.rows - len(self.by_row), 0)

    def to_json(self) -> dict[str, Any]:
        """The counts, as one JSON-ready object with exactly the keys of
        :data:`REPORT_KEYS`."""
        counts: dict[str, Any] = {key: getattr(self, key) for key in REPORT_KEYS}
        counts["failed"] = dict(self.failed)
        return counts

    def write_csv(self, file: str | os.PathLike[str] | IO[str]) -> None:
        """Write one line per row (after a header line of :data:`CSV_COLUMNS`) to ``file``,
        a path or an open text file; times in ISO 8601, UTC.

        The file is safe to open in a spreadsheet (OWASP's rule against CSV injection): a text
        cell that comes from outside, ``wa_id`` (as the input file had it), ``message_id``,
        ``status``, ``error_title``, ``error`` (the gateway's) and ``fallback`` (the template
        id given), that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
        written with a ``'`` before it, so that Excel or LibreOffice shows it as text instead
        of running it as a formula: ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``, and a
        number the input file gave as ``+62812...`` is written ``'+62812...`` (a spreadsheet
        shows ``+62812...``; a program reading the file back strips the ``'``). The columns
        made here are written as they are: ``row``, ``state``, ``error_code`` (a number) and
        the times."""
        if isinstance(file, (str, os.PathLike)):
            with Path(file).open("w", newline="", encoding="utf-8") as handle:
                self._write_csv(handle)
        else:
            self._write_csv(file)

    def _write_csv(self, handle: IO[str]) -> None:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(row.csv_fields() for row in self.by_row)

    def to_text(self) -> str:
        """A readable table of the counts."""
        from ivowaba.outcomes._report_render import text_table

        return text_table(self)

    def to_html(self, title: str | None = None) -> str:
        """The report as one self-contained HTML page (inline SVG charts, no script, nothing
        fetched): the funnel, histograms of the time to delivered and to read, failures by
        code with their titles."""
        from ivowaba.outcomes._report_render import html_page

        return html_page(self, title)

    def write_html(self, path: str | os.PathLike[str], title: str | None = None) -> None:
        """Write :meth:`to_html` to ``path``."""
        Path(path).write_text(self.to_html(title), encoding="utf-8")


async def campaign_report(
    journal: str | os.PathLike[str], store: OutcomeStore, *, batch_size: int = BATCH_SIZE
) -> CampaignReport:
    """Join the bulk journal at ``journal`` with ``store``: the final state of every row, and
    the counts of each state (see :class:`CampaignReport`).

    ``store`` is any outcome store (:func:`~ivowaba.outcomes.open_store`); the outcomes of
    the accepted messages are read ``batch_size`` ids at a time. Raises ``ConfigError``
    naming the journal when it cannot be read or is not one, ``ValidationError`` for a
    ``batch_size`` below 1::

        async with open_store("sqlite:///outcomes.db") as store:
            report = await campaign_report("customers.csv.journal.jsonl", store)
        print(report.to_json()["delivered"])
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError("batch_size", f"must be an integer >= 1, got {batch_size!r}")
    read = await asyncio.to_thread(read_journal, journal)
    lines = [read.rows[number] for number in sorted(read.rows)]
    batches = [lines[start : start + batch_size] for start in range(0, len(lines), batch_size)]
    counting = _Counting(read)
    # Each batch's outcomes are read while the batch before it is counted.
    ahead = _read_outcomes(store, batches[0]) if batches else None
    try:
        for i, batch in enumerate(batches):
            assert ahead is not None
            outcomes = await ahead
            ahead = _read_outcomes(store, batches[i + 1]) if i + 1 < len(batches) else None
            counting.add(batch, outcomes)
    finally:
        if ahead is not None and not ahead.done():
            ahead.cancel()
    return counting.report()


#: An outcome as the report reads it: ``(message_id, status, error_code, error_title, sent_at,
#: delivered_at, read_at, failed_at)``, times in seconds since the epoch (as SQLite stores
#: them).
_Steps: TypeAlias = tuple[Any, ...]
_STATUS, _CODE, _TITLE, _SENT, _DELIVERED, _READ, _FAILED = range(1, 8)


def _read_outcomes(
    store: OutcomeStore, batch: list[JournalRow]
) -> asyncio.Future[dict[str, _Steps]]:
    ids = [line.message_id for line in batch if line.message_id is not None]
    if isinstance(store, SQLiteOutcomeStore):  # as stored: no object made per message
        return asyncio.ensure_future(_sqlite_steps(store, ids))
    return asyncio.ensure_future(_steps_of(store, ids))


async def _sqlite_steps(store: SQLiteOutcomeStore, ids: list[str]) -> dict[str, _Steps]:
    return {row[0]: row for row in await store._outcome_steps(ids)}


def _seconds(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp())


async def _steps_of(store: OutcomeStore, ids: list[str]) -> dict[str, _Steps]:
    return {
        message_id: (
            message_id,
            o.status,
            o.error_code,
            o.error_title,
            _seconds(o.sent_at),
            _seconds(o.delivered_at),
            _seconds(o.read_at),
            _seconds(o.failed_at),
        )
        for message_id, o in (await store.outcomes(ids)).items()
    }


class _UtcCache(dict[Any, "datetime | None"]):
    """Seconds since the epoch (or ``None``) as UTC datetimes (or ``None``), each made once: a
    campaign's statuses share their seconds by the thousand."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, seconds: int) -> datetime:
        at = self[seconds] = datetime.fromtimestamp(seconds, timezone.utc)
        return at


class _Counting:
    """A report being counted, batch after batch of rows in row order."""

    def __init__(self, journal: Journal) -> None:
        self._report = CampaignReport(rows=journal.total, journal=journal.path)
        self._states: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()
        self._utc = _UtcCache()

    def add(self, lines: list[JournalRow], outcomes: Mapping[str, _Steps]) -> None:
        report, states, failed, utc = self._report, self._states, self._failed, self._utc
        by_row, titles = report.by_row, report.failure_titles
        delivery, reading = report.delivery_latencies, report.read_latencies
        for line in lines:
            if line.state != ACCEPTED:
                states[line.state] += 1
                by_row.append(RowReport(line.row, line.wa_id, line.state, error=line.error))
                continue
            steps = outcomes.get(line.message_id or "")
            if steps is None:
                states[PENDING] += 1
                by_row.append(
                    RowReport(line.row, line.wa_id, PENDING, line.message_id, line.fallback)
                )
                continue
            status, code, sent, delivered, read = (
                steps[_STATUS],
                steps[_CODE],
                steps[_SENT],
                steps[_DELIVERED],
                steps[_READ],
            )
            state = delivery_state(status, delivered, read)
            states[state] += 1
            if state == FAILED:
                key = NO_CODE if code is None else str(code)
                failed[key] += 1
                if steps[_TITLE] and key not in titles:
                    titles[key] = steps[_TITLE]
            if sent is not None:
                if delivered is not None:
                    delivery.append(float(delivered - sent))
                if read is not None:
                    reading.append(float(read - sent))
            by_row.append(
                RowReport(
                    line.row,
                    line.wa_id,
                    state,
                    line.message_id,
                    line.fallback,
                    None,
                    status,
                    code,
                    steps[_TITLE],
                    utc[sent],
                    utc[delivered],
                    utc[read],
                    utc[steps[_FAILED]],
                )
            )

    def report(self) -> CampaignReport:
        report, states, failed = self._report, self._states, self._failed
        report.read = states[READ]
        report.delivered = states[DELIVERED] + report.read
        report.pending = states[PENDING]
        report.failed = dict(sorted(failed.items(), key=_by_code))
        for code in report.failed:  # a title the statuses did not give: the table's
            if code.isdigit() and code not in report.failure_titles:
                known = ErrorCode.lookup(int(code))
                if known is not None:
                    report.failure_titles[code] = known.title
        report.accepted = report.delivered + report.pending + sum(failed.values())
        report.unknown = states[UNKNOWN]
        report.not_sent = states[NOT_SENT]
        report.opted_out = states[OPTED_OUT]
        report.window_closed = states[WINDOW_CLOSED]
        return report


def _by_code(item: tuple[str, int]) -> tuple[bool, int, str]:
    """Codes in numeric order, ``"none"`` last."""
    code = item[0]
    return (not code.isdigit(), int(code) if code.isdigit() else 0, code)
