"""Both worlds: ``async with``, blocking ``start()``/``stop()`` in its own thread, the pytest
fixture; and nothing left behind (threads, sessions, tasks) once stopped."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import pytest

from ivowaba.testing import Emulator


def emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ivowaba-emulator"]


def blocking_send(emu: Emulator, text: str = "hello", key: str | None = None) -> Any:
    """A send from blocking code, with the standard library only."""
    body = json.dumps({"wa_id": "628123456789", "text": text}).encode()
    req = urllib.request.Request(
        emu.base_url + "/api/v1/messages/send-text-message",
        data=body,
        headers={"X-API-KEY": key or emu.api_key, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as response:
        return json.loads(response.read())


def test_start_and_stop_from_blocking_code() -> None:
    emu = Emulator()

    assert emu.start() is emu
    try:
        answer = blocking_send(emu)
        assert emu.running
        assert emu.base_url == f"http://127.0.0.1:{emu.port}"
        assert emu.port != 0
    finally:
        emu.stop()

    assert answer["messages"][0]["id"] == emu.outbox[0].id
    assert not emu.running
    assert emulator_threads() == []


def test_with_block_and_wrong_key() -> None:
    with Emulator(api_key="k") as emu:
        with pytest.raises(urllib.error.HTTPError) as caught:
            blocking_send(emu, key="other")
        assert caught.value.code == 401
        assert json.loads(caught.value.read()) == {"message": "Unauthenticated."}
        caught.value.close()

    assert emulator_threads() == []


def test_base_url_before_start_raises() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = Emulator().base_url


def test_start_twice_raises_and_stop_twice_is_harmless() -> None:
    emu = Emulator().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            emu.start()
    finally:
        emu.stop()
    emu.stop()

    assert emulator_threads() == []


def test_port_in_use_fails_start_and_leaves_no_thread() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(OSError, match="address already in use"):
            Emulator(port=port).start()

    assert emulator_threads() == []


def test_restart_after_stop() -> None:
    emu = Emulator()
    with emu:
        blocking_send(emu)
    with emu:
        blocking_send(emu)

    assert len(emu.outbox) == 2


async def test_async_with_runs_on_the_callers_loop() -> None:
    async with Emulator() as emu:
        assert emulator_threads() == []
        with pytest.raises(RuntimeError, match="async with"):
            emu.stop()
        with pytest.raises(RuntimeError, match="wait_delivered"):
            emu.drain()

    assert not emu.running


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def blocking_receiver() -> Iterator[str]:
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_drain_from_blocking_code(blocking_receiver: str) -> None:
    with Emulator(webhook_url=blocking_receiver) as emu:
        blocking_send(emu)
        emu.inbound_text("6281111111111", "hi")
        emu.drain()

        assert len(emu.delivered) == 4
        assert sorted(map(json.dumps, _Hook.received)) == sorted(map(json.dumps, emu.delivered))


def test_drain_when_not_running_raises() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        Emulator().drain()


# -- the pytest fixture (registered by the package's pytest11 entry point) -----------------


def test_fixture_in_a_blocking_test(ivowaba_emulator: Emulator) -> None:
    answer = blocking_send(ivowaba_emulator, "from a sync test")

    assert ivowaba_emulator.outbox[0].id == answer["messages"][0]["id"]
    assert len(emulator_threads()) == 1


async def test_fixture_in_an_async_test(ivowaba_emulator: Emulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            ivowaba_emulator.base_url + "/api/v1/countries",
            headers={"X-API-KEY": ivowaba_emulator.api_key},
        ) as response,
    ):
        assert response.status == 200

    notification = ivowaba_emulator.inbound_text("6281111111111", "hi")
    await ivowaba_emulator.wait_delivered()

    assert ivowaba_emulator.pending == [notification]


@pytest.mark.ivowaba_emulator(api_key="marker-key", per_page=1)
def test_fixture_takes_constructor_arguments_from_the_marker(
    ivowaba_emulator: Emulator,
) -> None:
    assert ivowaba_emulator.api_key == "marker-key"
    assert ivowaba_emulator.per_page == 1


def test_fixture_is_registered_through_the_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("ivowaba")

    assert plugin is not None
    assert plugin.__name__ == "ivowaba.testing.pytest_plugin"


def test_public_names_present_themselves_as_ivowaba_testing() -> None:
    import ivowaba.testing

    assert ivowaba.testing.Emulator.__module__ == "ivowaba.testing"
    assert set(dir(ivowaba.testing)) >= {"Emulator", "OutboxEntry", "RecordedRequest"}
    with pytest.raises(AttributeError):
        _ = ivowaba.testing.Nothing
