"""The bulk journal: what ``ivowaba bulk`` did with each row of its file, as JSON lines.

A journal is appended to and flushed line by line, so that it survives the run being killed
at any moment. Its lines:

- ``{"journal": 1, "file": "people.csv", "sha256": "<hex>", "rows": N}``: the first line,
  written when the journal is created: the input file's name, the SHA-256 of its bytes and
  its number of rows. ``--resume`` refuses a journal written for another file. (Journals of
  earlier versions have no such line and still resume.)
- ``{"row": 7, "wa_id": "62...", "state": "sending"}``: row 7's request is leaving, right
  now (a row still waiting for the rate limiter has no such line);
- ``{"row": 7, "wa_id": "62...", "id": "wamid..."}``: the gateway accepted it, with
  ``"fallback": "TEMPLATE_ID"`` when it was sent as that template instead of its text;
- ``{"row": 7, "wa_id": "62...", "error": "...", "sent": false}``: surely not sent (bad input,
  a 4xx answer, a connection never made); ``"sent": null``: it may have been (a 5xx, a
  timeout, a connection dropped after the request left);
- ``{"row": 7, "wa_id": "62...", "skipped": "opted_out"}`` (or ``"window_closed"``): skipped
  by decision, never a request.

Reading it, the *last* outcome line of a row wins (a row re-sent by ``--retry-failed`` has
new lines), with one exception that keeps a customer from being messaged twice unawares: a
``"sending"`` line with no outcome after it (in flight when the run was killed) makes the row
*unknown*, and stays so until a later line says it was accepted.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

import msgspec

from ivowaba._errors import ConfigError
from ivowaba.types.bulk import OPTED_OUT, WINDOW_CLOSED

#: The format of the journals written now (the header's ``"journal"``).
JOURNAL_FORMAT: Final = 1

# A row's final state in a journal.
ACCEPTED: Final = "accepted"
NOT_SENT: Final = "not_sent"
UNKNOWN: Final = "unknown"
#: Why a row may be skipped (never a request): the reasons of ``BulkResult.skipped``.
SKIP_REASONS: Final = (OPTED_OUT, WINDOW_CLOSED)

_encode = msgspec.json.Encoder().encode


class _Line(msgspec.Struct, omit_defaults=True):
    """Any journal line: the fields a reader looks at."""

    row: int | None = None
    wa_id: str | None = None
    state: str | None = None
    id: str | None = None
    fallback: str | None = None
    error: str | None = None
    sent: bool | None = None
    skipped: str | None = None
    journal: int | None = None
    file: str | None = None
    sha256: str | None = None
    rows: int | None = None


_decode_line = msgspec.json.Decoder(_Line).decode


@dataclass(frozen=True)
class JournalHeader:
    """The journal's first line: which file it was written for."""

    file: str
    sha256: str
    rows: int


class JournalRow(msgspec.Struct, frozen=True, gc=False):
    """What the journal says of one row, in the end.

    - ``state``: ``"accepted"`` (``message_id`` set), ``"not_sent"`` (surely not sent),
      ``"unknown"`` (may have been sent), ``"opted_out"`` or ``"window_closed"`` (skipped).
    - ``fallback``: the template it was sent as instead of its text, if so.
    - ``error``: why it was not accepted, for ``not_sent`` and ``unknown``.
    """

    row: int
    wa_id: str | None
    state: str
    message_id: str | None = None
    fallback: str | None = None
    error: str | None = None


@dataclass
class Journal:
    """A journal as read: its header (``None`` for a journal of an earlier version) and the
    final state of every row it mentions, by row number (1 is the file's first row)."""

    path: Path
    header: JournalHeader | None = None
    rows: dict[int, JournalRow] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """The input file's number of rows: the header's, else the highest row seen."""
        if self.header is not None:
            return self.header.rows
        return max(self.rows, default=0)

    def in_state(self, state: str) -> list[int]:
        """The rows in ``state``, in order."""
        return sorted(number for number, row in self.rows.items() if row.state == state)

    @property
    def unknown(self) -> set[int]:
        """Rows that may have been sent."""
        return set(self.in_state(UNKNOWN))

    def check_file(self, path: Path, sha256: str) -> None:
        """Raise ``ConfigError`` when the journal was written for another file than ``path``
        (whose bytes hash to ``sha256``)."""
        if self.header is not None and self.header.sha256 != sha256:
            other = self.header.file + (
                ", with other content" if self.header.file == path.name else ""
            )
            raise ConfigError(f"journal {self.path} was written for another file ({other})")


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_journal(path: str | os.PathLike[str]) -> Journal:
    """Read the journal at ``path``. A line that is not JSON (the last line of a killed run
    may be cut short) is passed over.

    Raises ``ConfigError`` naming the file when it cannot be read, or when none of its lines
    is a journal line (not a journal at all).
    """
    journal = Journal(Path(path))
    try:
        with journal.path.open("rb") as handle:
            found = _read_lines(journal, handle)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the journal {journal.path}: {exc.strerror or exc}"
        ) from None
    if not found:
        raise ConfigError(f"{journal.path} is not a bulk journal: no line of it is one")
    return journal


def _read_lines(journal: Journal, handle: IO[bytes]) -> bool:
    """Fill ``journal`` from ``handle``; False when the file has lines but no journal line."""
    rows = journal.rows
    in_flight: dict[int, str | None] = {}  # row -> its number, while a send has no outcome
    lost: set[int] = set()  # a send of it was in flight and never got an outcome
    anything = found = False
    for raw in handle:
        if not raw.strip():
            continue
        anything = True
        try:
            line = _decode_line(raw)
        except msgspec.DecodeError:
            continue
        number = line.row
        if number is None:
            if line.journal is not None and journal.header is None and not rows:
                journal.header = _header(journal.path, line)
                found = True
            continue
        found = True
        if line.state == "sending":
            if number in in_flight:
                lost.add(number)
            in_flight[number] = line.wa_id
            continue
        in_flight.pop(number, None)
        if line.id:
            rows[number] = JournalRow(number, line.wa_id, ACCEPTED, line.id, line.fallback)
            lost.discard(number)
        elif line.skipped is not None:
            reason = line.skipped if line.skipped in SKIP_REASONS else NOT_SENT
            rows[number] = JournalRow(number, line.wa_id, reason)
        else:
            state = NOT_SENT if line.sent is False else UNKNOWN
            rows[number] = JournalRow(number, line.wa_id, state, error=line.error)
    for number, wa_id in in_flight.items():
        before = rows.get(number)
        error = before.error if before is not None else None
        rows[number] = JournalRow(number, wa_id, UNKNOWN, error=error)
    for number in lost - in_flight.keys():
        before = rows[number]
        if before.state != ACCEPTED:
            rows[number] = JournalRow(number, before.wa_id, UNKNOWN, error=before.error)
    return found or not anything


def _header(path: Path, line: _Line) -> JournalHeader:
    if line.journal != JOURNAL_FORMAT:
        raise ConfigError(
            f"the journal {path} is of format {line.journal}; this version of ivowaba reads "
            f"format {JOURNAL_FORMAT}"
        )
    if line.file is None or line.sha256 is None or line.rows is None:
        raise ConfigError(f"the journal {path} has a header without file, sha256 and rows")
    return JournalHeader(line.file, line.sha256, line.rows)


class JournalWriter:
    """Appends lines to a journal, each flushed at once (it survives a SIGKILL: the kernel
    has it). A new or empty journal gets ``header`` as its first line."""

    def __init__(self, path: Path, header: JournalHeader | None = None) -> None:
        self.path = path
        self._file: IO[bytes] = path.open("ab")
        if header is not None and self._file.tell() == 0:
            self._write(
                {
                    "journal": JOURNAL_FORMAT,
                    "file": header.file,
                    "sha256": header.sha256,
                    "rows": header.rows,
                }
            )

    def _write(self, entry: dict[str, object]) -> None:
        self._file.write(_encode(entry) + b"\n")
        self._file.flush()

    def sending(self, row: int, wa_id: str) -> None:
        """Row ``row``'s request is leaving now."""
        self._write({"row": row, "wa_id": wa_id, "state": "sending"})

    def accepted(self, row: int, wa_id: str | None, message_id: str, fallback: str | None) -> None:
        """The gateway accepted it (as the template ``fallback``, if given)."""
        entry: dict[str, object] = {"row": row, "wa_id": wa_id, "id": message_id}
        if fallback is not None:
            entry["fallback"] = fallback
        self._write(entry)

    def refused(self, row: int, wa_id: str | None, error: str, sent: bool | None) -> None:
        """It was not accepted: surely not sent (``sent=False``), or maybe (``None``)."""
        self._write({"row": row, "wa_id": wa_id, "error": error, "sent": sent})

    def skipped(self, row: int, wa_id: str, reason: str) -> None:
        """Skipped by decision (one of :data:`SKIP_REASONS`), never a request."""
        self._write({"row": row, "wa_id": wa_id, "skipped": reason})

    def close(self) -> None:
        self._file.close()
