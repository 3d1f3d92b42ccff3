"""A campaign end to end, at the scale of the issue: 1,000 rows through ``ivowaba bulk`` and
``ivowaba report`` (the real command, run in-process) against the emulator in its
24-hour-window mode, whose statuses reach a real webhook receiver recording into a SQLite
outcome store. 2% of the customers said STOP before it, 1% never wrote, 5% of the numbers
fail with 470 or 480, and every status arrives twice and last first.

It proves: opted-out rows (and free-form rows outside the window) never reach the emulator;
the report's counts are exact, late statuses included; ``--html`` renders; ``--retry-failed``
sends again exactly the 480 rows, and the 470 rows only as the ``--fallback-template``;
``WindowClosedError`` comes before any request; bad inputs are one line and exit 2. And two
receivers sharing one Redis store give the same report as one receiver with SQLite.

The smaller cases of each rule are in ``test_bulk_outcomes.py`` and ``test_report.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import itertools
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import ivowaba
from ivowaba import WindowClosedError
from ivowaba.cli import run
from ivowaba.outcomes import OutcomeStore, SQLiteOutcomeStore, campaign_report, open_store
from ivowaba.testing import Emulator
from ivowaba.webhooks import Dispatcher, Status, create_app
from tests import _redis_server
from tests._redis_server import RedisServer
from tests.test_webhooks_receiver import PASSWORD, USER, serve_aiohttp, serve_app

redis_server = _redis_server.redis_server  # the fixture: a private redis-server

ROWS = 1000
#: The most seconds the statuses of a run may take to reach the receiver (a slow machine's).
SETTLE = 60.0
TITLE_470 = (
    "Message failed to send because more than 24 hours have passed since the customer last "
    "replied to this number"
)
TITLE_480 = "Failed to send message since we detect an identity change of the contact"
STOP_WORDS = ("STOP", " stop ", "Berhenti", "UNSUBSCRIBE")


def number(row: int) -> str:
    return f"62815{row:07d}"


# Who is who, by row: disjoint sets (no row is in two of them).
def said_stop(row: int) -> bool:  # 2%
    return row % 50 == 7


def never_wrote(row: int) -> bool:  # 1%
    return row % 100 == 50


def failing_code(row: int) -> int | None:  # 5%: 480 and 470 alike
    return {3: 480, 23: 470}.get(row % 40)


def rows_where(n: int, test: Callable[[int], object]) -> list[int]:
    return [row for row in range(1, n + 1) if test(row)]


def first_state(row: int) -> str:
    """Each row's final state after the first run, once its statuses came."""
    if said_stop(row):
        return "opted_out"
    if never_wrote(row):
        return "window_closed"
    return "failed" if failing_code(row) else "read"


def expected_counts(n: int) -> dict[str, Any]:
    states = [first_state(row) for row in range(1, n + 1)]
    failed = [str(failing_code(row)) for row in range(1, n + 1) if first_state(row) == "failed"]
    accepted = states.count("read") + len(failed)
    return {
        "rows": n,
        "accepted": accepted,
        "delivered": states.count("read"),
        "read": states.count("read"),
        "failed": {code: failed.count(code) for code in sorted(set(failed))},
        "pending": 0,
        "unknown": 0,
        "not_sent": 0,
        "opted_out": states.count("opted_out"),
        "window_closed": states.count("window_closed"),
    }


def customers_write(emu: Emulator, said: Mapping[str, str], per_notification: int = 100) -> None:
    """Each customer sends the text ``said[wa_id]`` now (their window opens; STOP opts them
    out), ``per_notification`` messages to a notification, as the reference's format allows."""
    at = str(int(emu.now))
    items = list(said.items())
    for start in range(0, len(items), per_notification):
        chunk = items[start : start + per_notification]
        emu.notify(
            {
                "contacts": [{"profile": {"name": "Customer"}, "wa_id": w} for w, _ in chunk],
                "messages": [
                    {
                        "from": wa_id,
                        "id": f"ABGG{uuid.uuid4().hex}",
                        "timestamp": at,
                        "type": "text",
                        "text": {"body": text},
                    }
                    for wa_id, text in chunk
                ],
            }
        )


@dataclass
class Campaign:
    emu: Emulator
    outcomes: str  # the store's URL, as the commands get it
    rows: Path
    size: int

    @property
    def journal(self) -> Path:
        return self.rows.with_name(self.rows.name + ".journal.jsonl")

    async def prepare(self) -> None:
        """Before it: the customers write (STOP for 2%; 1% never), 5% of the numbers fail,
        and every status will come twice, last first."""
        said = {
            number(row): STOP_WORDS[row % len(STOP_WORDS)] if said_stop(row) else "hi"
            for row in range(1, self.size + 1)
            if not never_wrote(row)
        }
        customers_write(self.emu, said)
        for row in rows_where(self.size, failing_code):
            code = failing_code(row)
            assert code is not None
            self.emu.mark_failing(number(row), code)
        self.emu.statuses_arrive(duplicated=True, out_of_order=True)
        await self.emu.wait_delivered(SETTLE)

    async def command(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        """``ivowaba ARGV`` as from a shell (its own event loop, in a thread of its own); the
        exit code, stdout and stderr, once the statuses it caused were delivered."""
        code = await asyncio.to_thread(run, list(argv))
        await self.emu.wait_delivered(SETTLE)
        out, err = capsys.readouterr()
        return code, out, err

    async def bulk(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, Any]:
        code, out, err = await self.command(
            capsys,
            "bulk", str(self.rows), "--text", "Hi {name}", "--outcomes", self.outcomes,
            "--concurrency", "64", "--progress", "none", "--json",
            "--base-url", self.emu.base_url, "--api-key", self.emu.api_key, *extra,
        )  # fmt: skip
        assert err == ""
        return code, json.loads(out)

    async def report(self, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
        code, out, err = await self.command(
            capsys, "report", str(self.journal), "--outcomes", self.outcomes, "--json", *extra
        )
        assert code == 0, err
        counts: dict[str, Any] = json.loads(out)
        return counts

    def sent_since(self, start: int) -> list[str]:
        return sorted(entry.wa_id for entry in self.emu.outbox[start:])


def write_rows(path: Path, n: int) -> Path:
    path.write_text("wa_id,name\n" + "".join(f"{number(i)},name {i}\n" for i in range(1, n + 1)))
    return path


@contextlib.asynccontextmanager
async def emulating(
    tmp_path: Path, webhook: str, outcomes: str, size: int
) -> AsyncIterator[Campaign]:
    """The emulator in its 24-hour-window mode, posting to ``webhook``; the campaign's file."""
    emulator = Emulator(
        webhook_url=webhook,
        webhook_username=USER,
        webhook_password=PASSWORD,
        enforce_window=True,
        delivery_attempts=1,  # a notification the receiver refused would be held: seen
        delivery_delay=0,
        delivery_timeout=SETTLE,  # a loaded machine's receiver may be slow: not a refusal
    )
    async with emulator as emu:
        yield Campaign(emu, outcomes, write_rows(tmp_path / "people.csv", size), size)


# -- the campaign ------------------------------------------------------------------------------


async def test_a_thousand_row_campaign_from_send_to_report_to_retry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "outcomes.db"
    url = f"sqlite:///{database}"
    stopped = {number(row) for row in rows_where(ROWS, said_stop)}
    closed = {number(row) for row in rows_where(ROWS, never_wrote)}
    failing_480 = rows_where(ROWS, lambda row: failing_code(row) == 480)
    failing_470 = rows_where(ROWS, lambda row: failing_code(row) == 470)
    assert (len(stopped), len(closed), len(failing_480), len(failing_470)) == (20, 10, 25, 25)

    async with (
        SQLiteOutcomeStore(database) as store,
        serve_aiohttp(Dispatcher(outcomes=store), username=USER, password=PASSWORD) as hook,
        emulating(tmp_path, hook, url, ROWS) as c,
    ):
        await c.prepare()
        template = c.emu.add_template(body={"text": "Hello {{1}}"})["id"]

        # The campaign, its statuses late: the report says pending until they come.
        c.emu.hold_statuses()
        code, summary = await c.bulk(capsys)
        assert code == 0
        assert (summary["rows"], summary["sent"], summary["failed"], summary["unknown"]) == (
            1000, 970, 0, []
        )  # fmt: skip
        assert (summary["opted_out"], summary["window_closed"]) == (20, 10)
        assert c.sent_since(0) == sorted(
            number(row) for row in range(1, ROWS + 1) if first_state(row) in ("read", "failed")
        )
        late = await c.report(capsys)
        assert (late["accepted"], late["pending"], late["delivered"], late["failed"]) == (
            970, 970, 0, {}
        )  # fmt: skip

        assert c.emu.release_statuses() == 920 * 6 + 50 * 2  # twice each, last first
        await c.emu.wait_delivered(SETTLE)
        assert c.emu.pending == []  # the receiver took every one

        # The report: exact counts, one CSV line per row in its final state, one HTML page.
        page, lines = tmp_path / "report.html", tmp_path / "rows.csv"
        counts = await c.report(capsys, "--csv", str(lines), "--html", str(page))
        assert counts == expected_counts(ROWS)
        assert counts == {
            "rows": 1000, "accepted": 970, "delivered": 920, "read": 920,
            "failed": {"470": 25, "480": 25}, "pending": 0, "unknown": 0, "not_sent": 0,
            "opted_out": 20, "window_closed": 10,
        }  # fmt: skip
        with lines.open(newline="") as handle:
            by_row = {int(line["row"]): line for line in csv.DictReader(handle)}
        assert {row: line["state"] for row, line in by_row.items()} == {
            row: first_state(row) for row in range(1, ROWS + 1)
        }
        assert {by_row[row]["error_code"] for row in failing_480} == {"480"}
        assert {by_row[row]["error_title"] for row in failing_470} == {TITLE_470}
        check_html(page.read_text())

        # The library: a free-form send outside the window is refused before any request.
        requests = c.emu.request_count
        async with ivowaba.AsyncClient(
            api_key=c.emu.api_key, base_url=c.emu.base_url, outcomes=store
        ) as client:
            with pytest.raises(WindowClosedError, match="has never written"):
                await client.messages.send_text(number(50), "Hi name 50")
        assert c.emu.request_count == requests

        # Retry by cause: the 480 rows (their numbers take messages again), as they were...
        for row in failing_480:
            c.emu.failing_numbers.pop(number(row))
        before = len(c.emu.outbox)
        code, summary = await c.bulk(capsys, "--resume", "--retry-failed", "--retry-pause", "0")
        assert code == 0
        assert c.sent_since(before) == [number(row) for row in failing_480]
        assert {entry.endpoint for entry in c.emu.outbox[before:]} == {"send-text-message"}
        assert (summary["retried"], summary["not_retried"]) == (25, {"470": failing_470})
        assert (summary["opted_out"], summary["window_closed"]) == (20, 10)  # checked again

        # ... then the 470 rows only as the fallback template, which the gateway takes outside
        # the window (mark_failing failed templates too: no more), and with them the rows
        # skipped as window closed.
        for row in failing_470:
            c.emu.failing_numbers.pop(number(row))
        before = len(c.emu.outbox)
        code, summary = await c.bulk(
            capsys, "--resume", "--retry-failed", "--retry-pause", "0",
            "--fallback-template", template, "--body", "name",
        )  # fmt: skip
        assert code == 0
        assert c.sent_since(before) == sorted([number(row) for row in failing_470] + [*closed])
        assert {entry.body.get("template_id") for entry in c.emu.outbox[before:]} == {template}
        assert (summary["retried"], summary["fallback"], summary["sent"]) == (25, 35, 35)

        assert await c.report(capsys) == {
            "rows": 1000, "accepted": 980, "delivered": 980, "read": 980, "failed": {},
            "pending": 0, "unknown": 0, "not_sent": 0, "opted_out": 20, "window_closed": 0,
        }  # fmt: skip
        # Not one request, in three runs, to a customer who said STOP; nothing but a template
        # to one whose window is closed.
        assert not stopped & {entry.wa_id for entry in c.emu.outbox}
        assert {e.operation for e in c.emu.outbox if e.wa_id in closed} == {
            "messages.send_template"
        }
        bodies = b"".join(request.body for request in c.emu.requests)
        assert not any(wa_id.encode() in bodies for wa_id in stopped)

        # Bad inputs: one line, exit 2, no request.
        requests = c.emu.request_count
        other = write_rows(tmp_path / "others.csv", 3)
        connection = ("--base-url", c.emu.base_url, "--api-key", c.emu.api_key)
        for argv, said in [
            (
                ["report", str(c.journal), "--outcomes", "postgres://db/outcomes"],
                "unknown outcome store URL 'postgres://db/outcomes'",
            ),
            (
                ["bulk", str(other), "--text", "Hi", "--outcomes", "mongodb://db", *connection],
                "unknown outcome store URL 'mongodb://db'",
            ),
            (["report", str(tmp_path), "--outcomes", url], f"cannot read the journal {tmp_path}"),
            (["report", str(c.rows), "--outcomes", url], "is not a bulk journal"),
            (
                ["bulk", str(other), "--text", "Hi", "--journal", str(c.journal), "--resume",
                 "--outcomes", url, *connection],
                f"journal {c.journal} was written for another file (people.csv)",
            ),
        ]:  # fmt: skip
            code, out, err = await c.command(capsys, *argv)
            assert (code, out) == (2, ""), err
            assert err.count("\n") == 1
            assert err.startswith("ivowaba: ")
            assert said in err
        assert c.emu.request_count == requests


def check_html(page: str) -> None:
    """The one-file page: well-formed, the funnel and both histograms as inline SVG, the
    failures by code with their titles, nothing fetched, no script."""
    root = ET.fromstring(page)
    svg = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{svg}svg")) == 3
    titles = {title.text for title in root.iter(f"{svg}title")}
    assert {"rows: 1,000", "accepted: 970", "read: 920", "failed: 50"} <= titles
    assert {"skipped: opted out: 20", "skipped: window closed: 10"} <= titles
    assert "< 1 s: 920" in titles  # the emulator's statuses come within the second
    cells = [[td.text for td in tr.findall("td")] for tr in root.iter("tr")]
    assert ["470", "25", TITLE_470] in cells
    assert ["480", "25", TITLE_480] in cells
    assert "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


# -- two receivers, one Redis store -------------------------------------------------------------


@contextlib.asynccontextmanager
async def balancing(ports: list[int]) -> AsyncIterator[int]:
    """A TCP load balancer on 127.0.0.1 (its port): each connection made to it goes on to the
    next of ``ports`` in turn, its bytes piped both ways."""
    turn = itertools.count()
    piping: set[asyncio.Task[None]] = set()

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(1 << 16):
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()
            with contextlib.suppress(ConnectionError):
                await sink.wait_closed()

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = ports[next(turn) % len(ports)]
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        for task in (pipe(reader, upstream_writer), pipe(upstream_reader, writer)):
            piping.add(asyncio.create_task(task))

    server = await asyncio.start_server(connect, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        await asyncio.gather(*piping)  # each ends once the emulator closed its connections


@dataclass
class Recorder:
    """A receiver (the webhook endpoint of ``create_app``) recording into ``store``, and the
    message ids whose statuses reached it."""

    store: OutcomeStore
    port: int = 0

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(outcomes=self.store)
        self.messages: set[str] = set()

        @self.dispatcher.on_status()
        def seen(status: Status) -> None:
            self.messages.add(status.id)


@contextlib.asynccontextmanager
async def serving(recorder: Recorder) -> AsyncIterator[Recorder]:
    app = create_app(recorder.dispatcher, username=USER, password=PASSWORD)
    async with serve_app(app) as port:
        recorder.port = port
        yield recorder


async def test_two_receivers_sharing_a_redis_store_report_as_one_receiver_does(
    redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The notifications of a 100-row campaign reach two receivers behind a load balancer,
    each recording with its own Redis client into one Redis store, which the sender shares
    too. One receiver's dispatcher recording the same notifications into SQLite, in the order
    the emulator delivered them, gives the same report, row by row."""
    pytest.importorskip("redis.asyncio")
    from redis.asyncio import Redis

    redis_url = redis_server.url(db=11)
    async with Redis.from_url(redis_url) as redis:
        await redis.flushdb()  # the store's default prefix: this database is the test's alone
    size = 100
    async with (
        open_store(redis_url) as store_a,
        open_store(redis_url) as store_b,
        serving(Recorder(store_a)) as a,
        serving(Recorder(store_b)) as b,
        balancing([a.port, b.port]) as port,
        emulating(tmp_path, f"http://127.0.0.1:{port}/webhook", redis_url, size) as c,
    ):
        await c.prepare()
        code, summary = await c.bulk(capsys)
        assert (code, summary["sent"], summary["opted_out"]) == (0, 97, 2)
        assert c.emu.pending == []
        delivered = list(c.emu.delivered)
        async with open_store(redis_url) as shared:
            two_receivers = await campaign_report(c.journal, shared)

    # Both had their share, and the statuses of a message often went to both.
    assert len(a.messages) > 25
    assert len(b.messages) > 25
    assert len(a.messages & b.messages) > 10
    async with SQLiteOutcomeStore(tmp_path / "outcomes.db") as alone:
        result = await Dispatcher(outcomes=alone).replay(delivered)
        assert (result.failed, result.unreadable) == ([], [])
        one_receiver = await campaign_report(c.journal, alone)
    assert two_receivers.to_json() == one_receiver.to_json() == expected_counts(size)
    assert [(r.row, r.state, r.error_code, r.sent_at, r.read_at) for r in two_receivers.by_row] == [
        (r.row, r.state, r.error_code, r.sent_at, r.read_at) for r in one_receiver.by_row
    ]
