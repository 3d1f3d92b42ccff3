"""``SQLiteOutcomeStore``: the embedded outcome store, one file, no server.

One writer thread per store owns its connection: every call is queued to it, and it runs
what has queued up meanwhile in one transaction (a group commit), so that thousands of
statuses a second cost a few commits. The file is in WAL mode with a busy timeout, so that
several stores, in one process or in several, may share it.

Size: about 85 bytes per message whose statuses came (its id, number, status and step times;
a failure adds its title), about 30 bytes per customer who wrote: a million messages take
about 85 MB. ``prune`` keeps it bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any, Final

from ivowaba import _fork
from ivowaba._errors import ClientClosedError, ConfigError
from ivowaba.outcomes._rank import StatusFact
from ivowaba.outcomes._store import (
    DEFAULT_OPT_IN_WORDS,
    DEFAULT_OPT_OUT_WORDS,
    BaseStore,
    InboundFact,
    MessageOutcome,
    failure_opt_outs,
    normalize_wa_id,
    utc,
)
from ivowaba.types.notifications import InboundMessage, Status

#: How long a write waits for another connection's transaction on the same file, in seconds.
DEFAULT_BUSY_TIMEOUT: Final = 10.0
#: The most queued calls the writer runs in one transaction.
MAX_BATCH: Final = 2048
#: Message ids per ``SELECT ... IN (...)`` of :meth:`SQLiteOutcomeStore.outcomes`.
_IDS_PER_QUERY = 500
#: Rows :meth:`SQLiteOutcomeStore.prune` looks at per transaction: other calls, and other
#: connections on the file, go on between two.
_PRUNE_CHUNK = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message_outcomes (
    message_id   TEXT PRIMARY KEY,
    recipient_id TEXT,
    rank         INTEGER NOT NULL,
    status       TEXT NOT NULL,
    error_code   INTEGER,
    error_title  TEXT,
    sent_at      INTEGER,
    delivered_at INTEGER,
    read_at      INTEGER,
    failed_at    INTEGER,
    deleted_at   INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers (
    wa_id          TEXT PRIMARY KEY,
    last_inbound   INTEGER,
    opted_out      INTEGER NOT NULL DEFAULT 0,
    opt_changed_at INTEGER
) WITHOUT ROWID;
"""

# The rank rule of ``_rank.py``. SET expressions read the row as it was before the update.
_FAILURE_WINS = """excluded.failed_at IS NOT NULL AND (
        failed_at IS NULL
        OR excluded.failed_at < failed_at
        OR (excluded.failed_at = failed_at
            AND (coalesce(excluded.error_code, -1), coalesce(excluded.error_title, ''))
                < (coalesce(error_code, -1), coalesce(error_title, ''))))"""
_EARLIEST = "{0} = coalesce(min({0}, excluded.{0}), {0}, excluded.{0})"
_RECORD_STATUS = f"""
INSERT INTO message_outcomes (message_id, recipient_id, rank, status, error_code, error_title,
                              sent_at, delivered_at, read_at, failed_at, deleted_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (message_id) DO UPDATE SET
    recipient_id = coalesce(recipient_id, excluded.recipient_id),
    status = CASE WHEN excluded.rank > rank THEN excluded.status ELSE status END,
    rank = max(rank, excluded.rank),
    error_code = CASE WHEN {_FAILURE_WINS} THEN excluded.error_code ELSE error_code END,
    error_title = CASE WHEN {_FAILURE_WINS} THEN excluded.error_title ELSE error_title END,
    failed_at = CASE WHEN {_FAILURE_WINS} THEN excluded.failed_at ELSE failed_at END,
    {_EARLIEST.format("sent_at")},
    {_EARLIEST.format("delivered_at")},
    {_EARLIEST.format("read_at")},
    {_EARLIEST.format("deleted_at")}
"""
# The latest opt-out or opt-in wins; at the same second, opting out does.
_OPT_WINS = """excluded.opt_changed_at IS NOT NULL AND (
        opt_changed_at IS NULL
        OR excluded.opt_changed_at > opt_changed_at
        OR (excluded.opt_changed_at = opt_changed_at AND excluded.opted_out > opted_out))"""
_RECORD_CUSTOMER = f"""
INSERT INTO customers (wa_id, last_inbound, opted_out, opt_changed_at) VALUES (?, ?, ?, ?)
ON CONFLICT (wa_id) DO UPDATE SET
    last_inbound = coalesce(max(last_inbound, excluded.last_inbound), last_inbound,
                            excluded.last_inbound),
    opted_out = CASE WHEN {_OPT_WINS} THEN excluded.opted_out ELSE opted_out END,
    opt_changed_at = CASE WHEN {_OPT_WINS} THEN excluded.opt_changed_at ELSE opt_changed_at END
"""
_COLUMNS = (
    "message_id, status, recipient_id, error_code, error_title, "
    "sent_at, delivered_at, read_at, failed_at, deleted_at"
)
_STEP_INDEX = {"sent": 6, "delivered": 7, "read": 8, "failed": 9, "deleted": 10}

_Row = tuple[Any, ...]
#: One statement of a write and its rows.
_Statement = tuple[str, list[_Row]]


def _status_row(fact: StatusFact) -> _Row:
    row: list[Any] = [
        fact.message_id,
        fact.recipient_id,
        fact.rank,
        fact.status,
        fact.error_code,
        fact.error_title,
        None,
        None,
        None,
        None,
        None,
    ]
    row[_STEP_INDEX[fact.status]] = fact.at
    return tuple(row)


def _customer_row(fact: InboundFact) -> _Row:
    if fact.opt is None:
        return (fact.wa_id, fact.at, 0, None)
    return (fact.wa_id, fact.at, int(fact.opt), fact.opt_at)


def _outcome(row: Sequence[Any]) -> MessageOutcome:
    return MessageOutcome(
        message_id=row[0],
        status=row[1],
        recipient_id=row[2],
        error_code=row[3],
        error_title=row[4],
        sent_at=utc(row[5]),
        delivered_at=utc(row[6]),
        read_at=utc(row[7]),
        failed_at=utc(row[8]),
        deleted_at=utc(row[9]),
    )


# -- what the writer thread runs -------------------------------------------------------------
#
# A write is one or more ``(sql, rows)``: every write of a batch runs in one transaction, rows
# of one statement in one executemany (the rank rule does not depend on order). A read is a function
# of the connection, run after that transaction committed: it sees every write queued before it.
# A chunk of a prune runs as a read does: a function of the connection (its DELETE commits alone).


def _read_outcome(connection: sqlite3.Connection, message_id: str) -> MessageOutcome | None:
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM message_outcomes WHERE message_id = ?", (message_id,)
    ).fetchone()
    return None if row is None else _outcome(row)


def _read_outcomes(
    connection: sqlite3.Connection, message_ids: list[str]
) -> dict[str, MessageOutcome]:
    found: dict[str, MessageOutcome] = {}
    for start in range(0, len(message_ids), _IDS_PER_QUERY):
        chunk = message_ids[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT {_COLUMNS} FROM message_outcomes WHERE message_id IN ({marks})"
        for row in connection.execute(query, chunk):
            found[row[0]] = _outcome(row)
    return {message_id: found[message_id] for message_id in message_ids if message_id in found}


_LAST_STEP = (
    "max(coalesce(sent_at, 0), coalesce(delivered_at, 0), coalesce(read_at, 0), "
    "coalesce(failed_at, 0), coalesce(deleted_at, 0))"
)
# The id ending the next chunk of messages, in id order (none when fewer are left).
_PRUNE_CHUNK_END = (
    "SELECT message_id FROM message_outcomes WHERE message_id > ? "
    "ORDER BY message_id LIMIT 1 OFFSET ?"
)
_PRUNE_UP_TO = (
    f"DELETE FROM message_outcomes WHERE message_id > ? AND message_id <= ? AND {_LAST_STEP} < ?"
)
_PRUNE_REST = f"DELETE FROM message_outcomes WHERE message_id > ? AND {_LAST_STEP} < ?"


def _prune_chunk(
    connection: sqlite3.Connection, arg: tuple[float, str, int]
) -> tuple[str | None, int]:
    """Among the next ``chunk`` messages by id after ``after``, forget those whose last step
    is before ``cutoff``, in one transaction. Returns the last id looked at (``None`` once at
    the end) and how many were forgotten."""
    cutoff, after, chunk = arg
    end = connection.execute(_PRUNE_CHUNK_END, (after, chunk - 1)).fetchone()
    if end is None:
        return None, connection.execute(_PRUNE_REST, (after, cutoff)).rowcount
    last: str = end[0]
    return last, connection.execute(_PRUNE_UP_TO, (after, last, cutoff)).rowcount


#: What the campaign report reads of each message: its columns, as stored.
_STEP_COLUMNS = (
    "message_id, status, error_code, error_title, sent_at, delivered_at, read_at, failed_at"
)


def _read_outcome_steps(connection: sqlite3.Connection, message_ids: list[str]) -> list[_Row]:
    """The rows of :data:`_STEP_COLUMNS` of ``message_ids`` that have one, as stored (times in
    seconds since the epoch): many outcomes read at once with no object made per message."""
    found: list[_Row] = []
    for start in range(0, len(message_ids), _IDS_PER_QUERY):
        chunk = message_ids[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT {_STEP_COLUMNS} FROM message_outcomes WHERE message_id IN ({marks})"
        found += connection.execute(query, chunk).fetchall()
    return found


def _read_customer(connection: sqlite3.Connection, wa_id: str) -> tuple[int | None, bool]:
    row = connection.execute(
        "SELECT last_inbound, opted_out FROM customers WHERE wa_id = ?", (wa_id,)
    ).fetchone()
    return (None, False) if row is None else (row[0], bool(row[1]))


class _Job:
    __slots__ = ("arg", "future", "loop", "read", "stop", "write")

    def __init__(
        self,
        *,
        write: tuple[_Statement, ...] | None = None,
        read: Callable[[sqlite3.Connection, Any], Any] | None = None,
        arg: Any = None,
        stop: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[Any] | None = None,
    ) -> None:
        self.write = write
        self.read = read
        self.arg = arg
        self.stop = stop
        self.loop = loop
        self.future = future


_Done = tuple[_Job, Any, "BaseException | None"]
_Settled = tuple["asyncio.Future[Any]", Any, "BaseException | None"]


def _settle(settled: list[_Settled]) -> None:
    """On the caller's loop: hand each call its result."""
    for future, result, error in settled:
        if future.done():  # the caller was cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def _hand_back(done: list[_Done]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[_Settled]] = {}
    for job, result, error in done:
        if job.loop is not None and job.future is not None:
            by_loop.setdefault(job.loop, []).append((job.future, result, error))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits there any more
            loop.call_soon_threadsafe(_settle, settled)


def _run_batch(connection: sqlite3.Connection, batch: list[_Job]) -> list[_Done]:
    done: list[_Done] = []
    writes = [job for job in batch if job.write is not None]
    if writes:
        by_statement: dict[str, list[_Row]] = {}
        for job in writes:
            assert job.write is not None
            for sql, rows in job.write:
                by_statement.setdefault(sql, []).extend(rows)
        error: BaseException | None = None
        try:
            if len(by_statement) == 1 and len(rows := next(iter(by_statement.values()))) == 1:
                connection.execute(next(iter(by_statement)), rows[0])  # a transaction alone
            else:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    for sql, many in by_statement.items():
                        connection.executemany(sql, many)
                    connection.execute("COMMIT")
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
        except Exception as exc:
            error = exc
        done += [(job, None, error) for job in writes]
    for job in batch:
        if job.read is not None:
            try:
                done.append((job, job.read(connection, job.arg), None))
            except Exception as exc:
                done.append((job, None, exc))
    return done


class _Writer:
    """One connection and the thread that owns it, in one process.

    Every call is a job on one queue; the thread takes what has queued up, runs its writes in
    one transaction, then its reads, and hands each result back to the caller's loop. A stop
    job is always the last one queued: after it, ``submit`` refuses.
    """

    def __init__(self, path: str, busy_timeout: float) -> None:
        self.connection = _connect(path, busy_timeout)
        self.jobs: SimpleQueue[_Job] = SimpleQueue()
        self.lock = threading.Lock()
        self.closed = False
        self.finished = False
        self.waiters: list[_Job] = []
        self.generation = _fork.generation
        self.thread = threading.Thread(target=self._work, name="ivowaba-outcomes", daemon=True)
        self.thread.start()

    def submit(self, job: _Job) -> None:
        with self.lock:
            if self.closed:
                raise ClientClosedError("the outcome store is closed")
            self.jobs.put(job)

    def stop(self, waiter: _Job | None = None) -> bool:
        """Let the thread finish what is queued, close the connection and end; ``waiter``'s
        future is resolved then. False when that has happened already."""
        with self.lock:
            if self.finished:
                return False
            if waiter is not None:
                self.waiters.append(waiter)
            if not self.closed:
                self.closed = True
                self.jobs.put(_Job(stop=True))
            return True

    def _work(self) -> None:
        connection, jobs = self.connection, self.jobs
        try:
            stopping = False
            while not stopping:
                batch = [jobs.get()]
                while len(batch) < MAX_BATCH:
                    try:
                        batch.append(jobs.get_nowait())
                    except Empty:
                        break
                stopping = batch[-1].stop
                try:
                    done = _run_batch(connection, batch)
                except Exception as exc:  # pragma: no cover - no caller is left waiting
                    done = [(job, None, exc) for job in batch]
                _hand_back(done)
        finally:
            connection.close()
            with self.lock:
                self.finished = True
                waiters, self.waiters = self.waiters, []
            _hand_back([(waiter, None, None) for waiter in waiters])


def _stop_writer(writer: _Writer) -> None:
    if writer.generation == _fork.generation:
        writer.stop()


def _connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open the outcome store {path}: {exc}") from None
    try:
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.executescript(_SCHEMA)
                break
            except sqlite3.OperationalError as exc:  # another opener holds the file a moment
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
    except sqlite3.Error as exc:
        connection.close()
        raise ConfigError(f"cannot open the outcome store {path}: {exc}") from None
    return connection


class SQLiteOutcomeStore(BaseStore):
    """Outcomes in one SQLite file: the embedded default, no server to run.

    - ``path``: the database file, created if missing (its directory must exist);
      ``":memory:"`` for a store that lives as long as the object.
    - ``opt_out_words``, ``opt_in_words``: an inbound text or button reply that is one of these
      (trimmed, any case) opts its sender out, or back in (default STOP, BERHENTI, UNSUBSCRIBE;
      START, MULAI).
    - ``clock``: seconds since the epoch, for :meth:`window_open` and :meth:`set_opted_out`
      (default ``time.time``).
    - ``busy_timeout``: seconds a write waits while another connection writes to the file.

    Raises ``ConfigError`` when the file cannot be opened or is not a database::

        store = SQLiteOutcomeStore("outcomes.db")       # or open_store("sqlite:///outcomes.db")
        dispatcher = Dispatcher(outcomes=store)
        ...
        outcome = await store.outcome(sent.id)

    Writes are write-through: a call returns once its transaction is committed, so a read that
    follows, from this store or another one on the file, sees it (no ``flush`` needed). Calls
    made while a transaction runs are committed together in the next one. A write that fails
    raises ``sqlite3.Error`` (a full disk, a file locked past ``busy_timeout``).
    Commits are durable across a crash of the process (WAL, ``synchronous=NORMAL``), not
    across a power loss.

    The store may be used from any event loop, one or several at once, and from several
    processes on one file (each opens its own store; after ``os.fork()`` the child opens a
    connection of its own on first use). Close it with ``await store.aclose()``, ``async with``,
    or ``store.close()`` from blocking code; a store never closed does not hang the
    interpreter's exit.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        opt_out_words: Iterable[str] = DEFAULT_OPT_OUT_WORDS,
        opt_in_words: Iterable[str] = DEFAULT_OPT_IN_WORDS,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        super().__init__(opt_out_words=opt_out_words, opt_in_words=opt_in_words, clock=clock)
        if not busy_timeout >= 0:
            raise ConfigError(f"busy_timeout must be 0 or more seconds, got {busy_timeout!r}")
        path = os.fspath(path)
        self.path = path if path == ":memory:" else str(Path(path).expanduser())
        self.busy_timeout = float(busy_timeout)
        self._closed = False
        self._writer = self._new_writer()

    def __repr__(self) -> str:
        return f"SQLiteOutcomeStore({self.path!r})"

    def _new_writer(self) -> _Writer:
        writer = _Writer(self.path, self.busy_timeout)
        # A store dropped without being closed: its thread closes the connection and ends.
        finalizer = weakref.finalize(self, _stop_writer, writer)
        finalizer.atexit = False  # at exit the daemon thread simply stops with the process
        return writer

    def _here(self) -> _Writer:
        """This process's writer (a forked child opens its own and never touches the
        parent's connection)."""
        writer = self._writer
        if writer.generation != _fork.generation:
            if self._closed:
                raise ClientClosedError("the outcome store is closed")
            _fork.abandon(writer, writer.connection)
            writer = self._writer = self._new_writer()
        return writer

    async def _write(self, *statements: _Statement) -> None:
        """Run ``statements`` in one transaction (with whatever else is queued meanwhile)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._here().submit(_Job(write=statements, loop=loop, future=future))
        await future

    async def _read(self, read: Callable[[sqlite3.Connection, Any], Any], arg: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._here().submit(_Job(read=read, arg=arg, loop=loop, future=future))
        return await future

    # -- writes ------------------------------------------------------------------------------

    async def record_statuses(self, statuses: Iterable[Status]) -> None:
        """Merge ``statuses`` into their messages' outcomes by the rank rule (a duplicate, or a
        status outranked by one already recorded, changes nothing). Statuses other than sent,
        delivered, read, failed and deleted are left out. A ``failed`` one with code 131050
        (the customer stopped marketing messages) opts its recipient out as of its time, in
        the same transaction. Returns once they are committed; raises ``sqlite3.Error`` when
        they could not be, ``ClientClosedError`` after close."""
        facts = self.status_facts(statuses)
        if not facts:
            return
        opt_outs = failure_opt_outs(facts)
        statements: list[_Statement] = [(_RECORD_STATUS, [_status_row(fact) for fact in facts])]
        if opt_outs:
            statements.append((_RECORD_CUSTOMER, [_customer_row(fact) for fact in opt_outs]))
        await self._write(*statements)

    async def record_inbound(self, message: InboundMessage) -> None:
        """Note that the sender of ``message`` wrote at its timestamp (every message but a
        ``system`` one opens the 24-hour window), and apply an opt-out or opt-in word: the
        latest one by timestamp wins, whatever the order of arrival."""
        await self._write((_RECORD_CUSTOMER, [_customer_row(self.inbound_fact(message))]))

    async def set_opted_out(self, wa_id: str, opted_out: bool = True) -> None:
        """Opt ``wa_id`` out (or back in, with ``False``) as of the store's clock: a message
        written earlier that arrives later does not undo it."""
        row = (normalize_wa_id(wa_id), None, int(opted_out), int(self.clock()))
        await self._write((_RECORD_CUSTOMER, [row]))

    # -- reads -------------------------------------------------------------------------------

    async def outcome(self, message_id: str) -> MessageOutcome | None:
        """The outcome of ``message_id``, or ``None`` when none of its statuses came."""
        found: MessageOutcome | None = await self._read(_read_outcome, message_id)
        return found

    async def outcomes(self, message_ids: Iterable[str]) -> dict[str, MessageOutcome]:
        """The outcomes of ``message_ids``, by id in the order asked; ids without one are left
        out."""
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            return {}
        found: dict[str, MessageOutcome] = await self._read(_read_outcomes, ids)
        return found

    async def _outcome_steps(self, message_ids: list[str]) -> list[_Row]:
        """For the campaign report: ``(message_id, status, error_code, error_title, sent_at,
        delivered_at, read_at, failed_at)`` of each of ``message_ids`` that has an outcome,
        times in seconds since the epoch, in no particular order."""
        if not message_ids:
            return []
        found: list[_Row] = await self._read(_read_outcome_steps, message_ids)
        return found

    async def last_inbound(self, wa_id: str) -> datetime | None:
        """When ``wa_id`` last wrote (UTC), or ``None`` if they never did."""
        at, _ = await self._read(_read_customer, normalize_wa_id(wa_id))
        return utc(at)

    async def opted_out(self, wa_id: str) -> bool:
        """Whether ``wa_id`` opted out and did not opt back in."""
        _, opted_out = await self._read(_read_customer, normalize_wa_id(wa_id))
        return bool(opted_out)

    # -- pruning -----------------------------------------------------------------------------

    async def _prune_before(self, cutoff: float) -> int:
        """Walk the messages in id order, a chunk per transaction, so that other calls (and
        other connections on the file) are served between two chunks."""
        removed, after = 0, ""
        while True:
            last: str | None
            deleted: int
            last, deleted = await self._read(_prune_chunk, (cutoff, after, _PRUNE_CHUNK))
            removed += deleted
            if last is None:
                return removed
            after = last

    # -- closing -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Finish the calls already made, close the connection and end the writer thread."""
        writer = self._writer
        self._closed = True
        if writer.generation != _fork.generation:
            return  # the parent's: not ours to close
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if writer.stop(_Job(loop=loop, future=future)):
            await future
        writer.thread.join()

    def close(self) -> None:
        """:meth:`aclose` for blocking code."""
        writer = self._writer
        self._closed = True
        if writer.generation == _fork.generation:
            writer.stop()
            writer.thread.join()
