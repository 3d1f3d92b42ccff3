"""``ivowaba receive`` (the ready-made webhook endpoint recording into an outcome store),
``ivowaba webhooks pull ID --outcomes URL``, and ``--keep-days`` pruning.

The receiver runs in-process, as a task on the test's event loop (in the main thread, so
that it catches signals as from a terminal), on a free port of 127.0.0.1; the emulator
delivers to it over real HTTP, and a real SIGINT or SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import ivowaba
from ivowaba.cli import run
from ivowaba.cli._app import build_parser
from ivowaba.outcomes import OutcomeStore, SQLiteOutcomeStore, open_store
from ivowaba.testing import Emulator
from ivowaba.webhooks import parse
from tests import _redis_server
from tests._redis_server import RedisServer

redis_server = _redis_server.redis_server  # the fixture: a private redis-server

PASSWORD = "hook-secret-7c1e"
CUSTOMER = "628123456789"
FAILING = "628120000470"
DAY = 86_400


class Lines(io.StringIO):
    """The command's stdout: what it printed, and an event once a whole line is in."""

    def __init__(self) -> None:
        super().__init__()
        self.line = asyncio.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if "\n" in self.getvalue():
            self.line.set()
        return written


@dataclass
class Receiving:
    url: str
    task: asyncio.Task[int]
    out: Lines

    async def stop(self, signum: signal.Signals = signal.SIGTERM) -> int:
        """Signal the process, as a terminal or a service manager would; the exit code."""
        # A handler of asyncio's, not the default one that would end the test run.
        assert signal.getsignal(signum) not in (signal.SIG_DFL, signal.default_int_handler)
        signal.raise_signal(signum)
        return await asyncio.wait_for(self.task, 10)


@contextlib.asynccontextmanager
async def receiving(
    monkeypatch: pytest.MonkeyPatch, outcomes: str, *options: str
) -> AsyncIterator[Receiving]:
    """``ivowaba receive --port 0 --outcomes URL ...options`` until the block ends (SIGTERM
    then, unless the block stopped it)."""
    out = Lines()
    monkeypatch.setattr(sys, "stdout", out)
    args = build_parser().parse_args(["receive", "--port", "0", "--outcomes", outcomes, *options])
    task = asyncio.create_task(args.handler(args))
    listening = asyncio.create_task(out.line.wait())
    await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        listening.cancel()
        task.result()  # raises what stopped it
        pytest.fail(f"ivowaba receive ended before listening: {out.getvalue()!r}")
    first = out.getvalue().splitlines()[0]
    assert first.startswith("Receiving webhooks on http://127.0.0.1:")
    running = Receiving(first.split()[-1], task, out)
    try:
        yield running
    finally:
        if not task.done():
            assert await running.stop() == 0


def writer_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "ivowaba-outcomes")


async def send_and_reply(emu: Emulator, aclient: ivowaba.AsyncClient) -> tuple[str, str]:
    """A message delivered and read, one failing with 470, and the customer saying STOP."""
    emu.mark_failing(FAILING, 470)
    read = await aclient.messages.send_text(CUSTOMER, "Your parcel has shipped")
    failed = await aclient.messages.send_text(FAILING, "Your parcel has shipped")
    emu.inbound_text(CUSTOMER, "  stop ")
    await emu.wait_delivered()
    return read.id, failed.id


async def check_recorded(store: OutcomeStore, read_id: str, failed_id: str) -> None:
    outcomes = await store.outcomes([read_id, failed_id])
    assert outcomes[read_id].status == "read"
    assert outcomes[read_id].recipient_id == CUSTOMER
    assert outcomes[read_id].sent_at is not None
    assert outcomes[read_id].delivered_at is not None
    assert (outcomes[failed_id].status, outcomes[failed_id].error_code) == ("failed", 470)
    assert await store.opted_out(CUSTOMER)
    assert await store.last_inbound(CUSTOMER) is not None


# -- receiving ---------------------------------------------------------------------------------


async def test_it_records_every_status_and_inbound_message(
    emu: Emulator,
    aclient: ivowaba.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the password from the environment: it is never on the command line, nor printed."""
    monkeypatch.setenv("IVOWABA_WEBHOOK_PASSWORD", PASSWORD)
    url = f"sqlite:///{tmp_path}/campaign.db"
    async with receiving(monkeypatch, url, "--username", "ivo") as receiver:
        emu.set_webhook(receiver.url, "ivo", PASSWORD)
        read_id, failed_id = await send_and_reply(emu, aclient)
        assert [a.status for a in emu.delivery_attempts] == [200] * 5
        assert emu.pending == []
    assert receiver.out.getvalue() == f"Receiving webhooks on {receiver.url}\n"
    assert receiver.url.endswith("/webhook")
    err = capsys.readouterr().err
    assert f"recording into {url}" in err
    assert PASSWORD not in err + receiver.out.getvalue()
    async with SQLiteOutcomeStore(tmp_path / "campaign.db") as store:
        await check_recorded(store, read_id, failed_id)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_stops_it_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: signal.Signals
) -> None:
    """Exit 0, the store closed (its writer thread gone), the signal handlers as they were."""
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    threads = writer_threads()
    async with receiving(monkeypatch, f"sqlite:///{tmp_path}/o.db", "--path", "/hooks/ivo") as r:
        assert r.url.endswith("/hooks/ivo")
        assert writer_threads() == threads + 1
        assert await r.stop(signum) == 0
    assert writer_threads() == threads
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


async def test_wrong_credentials_get_401_and_nothing_is_recorded(
    emu: Emulator, aclient: ivowaba.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/o.db"
    async with receiving(monkeypatch, url, "--username", "ivo", "--password", PASSWORD) as r:
        emu.set_webhook(r.url, "ivo", "not-the-password")
        sent = await aclient.messages.send_text(CUSTOMER, "hi")
        await emu.wait_delivered()
    assert {attempt.status for attempt in emu.delivery_attempts} == {401}
    assert len(emu.pending) == 3  # sent, delivered, read: held for pull_pending
    async with SQLiteOutcomeStore(tmp_path / "o.db") as store:
        assert await store.outcome(sent.id) is None


async def test_it_records_into_redis(
    emu: Emulator,
    aclient: ivowaba.AsyncClient,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = redis_server.url(db=5)
    async with receiving(monkeypatch, url) as receiver:
        emu.set_webhook(receiver.url)
        read_id, failed_id = await send_and_reply(emu, aclient)
    async with open_store(url) as store:
        await check_recorded(store, read_id, failed_id)


async def test_keep_days_prunes_old_outcomes_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    now = int(time.time())
    wire = [
        {"id": "old", "status": "read", "timestamp": str(now - 40 * DAY)},
        {"id": "recent", "status": "read", "timestamp": str(now - 2 * DAY)},
    ]
    async with SQLiteOutcomeStore(tmp_path / "o.db") as store:
        await store.record_statuses(parse({"statuses": wire}).statuses)
    async with receiving(monkeypatch, f"sqlite:///{tmp_path}/o.db", "--keep-days", "30"):
        pass
    assert "pruned 1 outcomes whose last step is older than 30 days" in capsys.readouterr().err
    async with SQLiteOutcomeStore(tmp_path / "o.db") as store:
        assert list(await store.outcomes(["old", "recent"])) == ["recent"]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        (["--outcomes", "mongo://db/x"], {}, "unknown outcome store URL 'mongo://db/x'"),
        (["--outcomes", "sqlite:///{tmp}/no/such/dir.db"], {}, "cannot open the outcome store"),
        (["--outcomes", "redis://127.0.0.1:1/0"], {}, "cannot reach the outcome store"),
        (["--username", "ivo"], {}, "--username needs a password"),
        ([], {"IVOWABA_WEBHOOK_PASSWORD": PASSWORD}, "needs --username"),
        (["--password", PASSWORD], {}, "needs --username"),
        (["--port", "70000"], {}, "--port must be 0 to 65535"),
        (["--path", "webhook"], {}, "--path must start with '/'"),
        (["--keep-days", "0"], {}, "--keep-days must be a positive number"),
        (["--port", "{busy}"], {}, "cannot listen on 127.0.0.1:"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    options: list[str],
    env: dict[str, str],
    message: str,
    tmp_path: Path,
    busy_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    threads = writer_threads()
    filled = [o.format(tmp=tmp_path, busy=busy_port) for o in options]
    if "--outcomes" not in filled:
        filled += ["--outcomes", f"sqlite:///{tmp_path}/o.db"]
    assert run(["receive", *filled]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("ivowaba: ")
    assert message in err
    assert PASSWORD not in err
    assert writer_threads() == threads  # a store it opened is closed again
    assert not (tmp_path / "o.db").exists()  # nor is a new, empty store left behind


# -- webhooks pull --outcomes ------------------------------------------------------------------


def _pull(emu: Emulator, *options: str) -> list[str]:
    return [
        "webhooks", "pull", emu.webhook.id, *options,
        "--base-url", emu.base_url, "--api-key", emu.api_key,
    ]  # fmt: skip


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A webhook URL on 127.0.0.1 that refuses every connection (a port bound, not listening):
    the emulator, as the gateway, holds what it could not deliver there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"


def test_pull_records_the_held_notifications(
    emu: Emulator,
    client: ivowaba.Client,
    refusing_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu.set_webhook(refusing_url)
    emu.mark_failing(FAILING, 470)
    read_id = client.messages.send_text(CUSTOMER, "Your parcel has shipped").id
    failed_id = client.messages.send_text(FAILING, "Your parcel has shipped").id
    emu.inbound_text(CUSTOMER, "STOP")
    emu.drain()
    assert len(emu.pending) == 5
    url = f"sqlite:///{tmp_path}/o.db"

    assert run(_pull(emu, "--outcomes", url)) == 0
    out = capsys.readouterr().out
    assert out.endswith(f"recorded 4 statuses and 1 inbound messages into {url}\n")
    assert read_id in out  # what was pulled is shown too: the gateway hands it out once
    assert emu.pending == []

    async def recorded() -> None:
        async with open_store(url) as store:
            await check_recorded(store, read_id, failed_id)

    asyncio.run(recorded())

    assert run(_pull(emu, "--outcomes", url, "--json")) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []  # stdout stays one JSON document
    assert err == f"recorded 0 statuses and 0 inbound messages into {url}\n"


def test_pull_refuses_a_bad_store_before_any_request(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(_pull(emu, "--outcomes", "mongo://db/x")) == 2
    out, err = capsys.readouterr()
    assert (out, err.count("\n")) == ("", 1)
    assert "unknown outcome store URL" in err
    assert emu.requests == []


def test_pull_says_when_the_store_failed(
    emu: Emulator,
    client: ivowaba.Client,
    refusing_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What was pulled is still printed, for nothing to be lost; then one line, exit 1."""

    async def full_disk(self: Any, statuses: Any) -> None:
        raise OSError("database or disk is full")

    monkeypatch.setattr(SQLiteOutcomeStore, "record_statuses", full_disk)
    monkeypatch.setattr("logging.lastResort", None)  # the dispatcher's log: not the point here
    emu.set_webhook(refusing_url)
    sent = client.messages.send_text(CUSTOMER, "hi")
    emu.drain()
    assert run(_pull(emu, "--outcomes", f"sqlite:///{tmp_path}/o.db", "--json")) == 1
    out, err = capsys.readouterr()
    assert [n["statuses"][0]["id"] for n in json.loads(out)] == [sent.id] * 3
    last = err.splitlines()[-1]
    assert last == (
        "ivowaba: 3 of the pulled notifications could not be recorded (they are printed "
        "above): database or disk is full"
    )


# -- the emulator command's options: the same rules as receive's -------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--port", "70000"], "--port must be 0 to 65535"),
        (["--port", "{busy}"], "cannot listen on 127.0.0.1:"),
        (["--host", "256.1.1.1"], "cannot listen on 256.1.1.1:"),
        (["--webhook-url", "notaurl"], "--webhook-url must be an http(s) URL"),
    ],
)
def test_the_emulator_command_refuses_what_it_cannot_serve_with_exit_2(
    options: list[str], message: str, busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [o.format(busy=busy_port) for o in options]
    assert run(["emulator", *filled]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("ivowaba: ")
    assert message in err
