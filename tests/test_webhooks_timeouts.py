"""Slow and vanishing clients, over real sockets on 127.0.0.1: a client hanging up mid-body is
logged at DEBUG, never as an error; a stalled body is answered 408 and its connection closed
within ``read_timeout``; with ``create_app``, idle connections and unfinished headers are
closed too. ``asgi_app`` is served by a minimal HTTP host written here and, when installed,
by uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ivowaba import ConfigError
from ivowaba.webhooks import Dispatcher, asgi_app, create_app

TEXT = (
    Path(__file__).resolve().parent / "fixtures" / "notifications" / "ref_text.json"
).read_bytes()
READ_TIMEOUT = 0.3
SLACK = 5.0  # generous bound on a loaded machine; the old behaviour never closed at all
HOST = "127.0.0.1"
PARTIAL = (
    b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n" + b"x" * 10
)

Serve = Callable[..., Any]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


def request(body: bytes) -> bytes:
    return (
        b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


# -- servers ---------------------------------------------------------------------------------


@asynccontextmanager
async def serve_aiohttp(dispatcher: Dispatcher, **options: Any) -> AsyncIterator[int]:
    """``create_app`` on a TCP site, as ``web.run_app`` serves it; waits for every request
    on the way out (``cleanup``), so that whatever it logs is logged by then."""
    runner = web.AppRunner(create_app(dispatcher, **options), shutdown_timeout=SLACK)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


class MiniHost:
    """A minimal HTTP/1.1 server for an ASGI app, one request per connection, with the ASGI
    semantics uvicorn and hypercorn have: ``receive()`` gives the body as it arrives, then
    ``http.disconnect`` once the client is gone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tasks: set[asyncio.Task[Any]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self._exchange(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, _ = request_line.split(" ")
        headers = [
            (name.strip().lower().encode("latin-1"), value.strip().encode("latin-1"))
            for name, value in (line.split(":", 1) for line in lines)
        ]
        remaining = int(dict(headers).get(b"content-length", b"0"))
        gone = False

        async def receive() -> dict[str, Any]:
            nonlocal remaining, gone
            if gone:
                return {"type": "http.disconnect"}
            try:
                chunk = await reader.read(remaining or 1)  # past the body: wait for the end
            except ConnectionError:
                chunk = b""
            if not chunk or not remaining:
                gone = True
                return {"type": "http.disconnect"}
            remaining -= len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": remaining > 0}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status = f"HTTP/1.1 {message['status']} -\r\n".encode()
                fields = b"".join(
                    name + b": " + value + b"\r\n" for name, value in message["headers"]
                )
                writer.write(status + fields + b"\r\n")
            else:
                writer.write(message.get("body", b""))

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": target,
            "raw_path": target.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": writer.get_extra_info("peername"),
            "server": writer.get_extra_info("sockname"),
        }
        await self.app(scope, receive, send)
        with contextlib.suppress(ConnectionError):
            await writer.drain()


@asynccontextmanager
async def serve_minimal(app: ASGIApp) -> AsyncIterator[int]:
    host = MiniHost(app)
    server = await asyncio.start_server(host.serve, HOST, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        await asyncio.wait_for(asyncio.gather(*host.tasks), SLACK)


@asynccontextmanager
async def serve_uvicorn(app: ASGIApp) -> AsyncIterator[int]:
    uvicorn = pytest.importorskip("uvicorn")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen()  # connections wait in the backlog until uvicorn accepts them
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        ws="none",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(serving, SLACK)
        finally:
            sock.close()


@asynccontextmanager
async def serve_asgi_with(
    host: Callable[[ASGIApp], Any], dispatcher: Dispatcher, **options: Any
) -> AsyncIterator[int]:
    async with host(asgi_app(dispatcher, path="/webhook", **options)) as port:
        yield port


@pytest.fixture(params=["aiohttp", "asgi-minimal", "asgi-uvicorn"])
def serve(request: pytest.FixtureRequest) -> Serve:
    """``serve(dispatcher, **options)``: an async context manager giving the port."""
    if request.param == "aiohttp":
        return serve_aiohttp
    host = serve_minimal if request.param == "asgi-minimal" else serve_uvicorn

    def serve_asgi(dispatcher: Dispatcher, **options: Any) -> Any:
        return serve_asgi_with(host, dispatcher, **options)

    return serve_asgi


# -- helpers ---------------------------------------------------------------------------------


class Signal(logging.Handler):
    """Sets ``event`` on the first record it gets; the server logs on the test's loop."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.event.set()


@contextlib.contextmanager
def signal_on(logger_name: str) -> Iterator[asyncio.Event]:
    handler = Signal()
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield handler.event
    finally:
        logger.removeHandler(handler)


@asynccontextmanager
async def connect(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A raw connection to the server, closed on the way out whatever happened."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        yield reader, writer
    finally:
        writer.transport.abort()


def reset(writer: asyncio.StreamWriter) -> None:
    """Close at once with a TCP RST, as a client that crashed or lost its network."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), READ_TIMEOUT + SLACK)


def loud(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name} {r.levelname} {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]


# -- a client hanging up mid-body ------------------------------------------------------------


async def test_a_client_hanging_up_mid_body_is_logged_at_debug_not_as_an_error(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ivowaba.webhooks")
    seen: list[Any] = []
    dispatcher = Dispatcher()
    dispatcher.on_message("text")(seen.append)
    # a read_timeout far away: the hang-up itself must be noticed, not the timeout
    async with serve(dispatcher, read_timeout=60) as port:
        with signal_on("ivowaba.webhooks") as logged:
            async with connect(port) as (_, writer):
                writer.write(PARTIAL)
                await writer.drain()
                reset(writer)
            await asyncio.wait_for(logged.wait(), SLACK)
    # the server has finished with the request: anything it logs about it is in caplog
    assert loud(caplog) == []
    ours = [r for r in caplog.records if r.name == "ivowaba.webhooks"]
    assert [r.levelno for r in ours] == [logging.DEBUG]
    assert "disconnected before sending the whole body" in ours[0].getMessage()
    assert seen == []


# -- a stalled body --------------------------------------------------------------------------


async def test_a_stalled_body_is_answered_408_and_the_connection_closed(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        serve(Dispatcher(), read_timeout=READ_TIMEOUT) as port,
        connect(port) as (reader, writer),
    ):
        started = time.monotonic()
        writer.write(PARTIAL)
        await writer.drain()
        answer = await until_closed(reader)  # b"" if it just closed; here a 408 first
        elapsed = time.monotonic() - started
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 408 ")
    assert b"\r\nconnection: close" in head
    assert elapsed >= READ_TIMEOUT * 0.9  # the timeout, not some other refusal
    assert loud(caplog) == []


async def test_a_complete_request_is_still_answered_200(serve: Serve) -> None:
    seen: list[Any] = []
    dispatcher = Dispatcher()
    dispatcher.on_message("text")(seen.append)
    async with (
        serve(dispatcher, read_timeout=READ_TIMEOUT) as port,
        connect(port) as (reader, writer),
    ):
        writer.write(request(TEXT))
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), SLACK)
    assert status.startswith(b"HTTP/1.1 200 ")
    assert len(seen) == 1


# -- connections without a complete request (aiohttp's server, set by create_app) ------------


async def test_create_app_closes_a_connection_that_sends_nothing() -> None:
    async with (
        serve_aiohttp(Dispatcher(), read_timeout=READ_TIMEOUT) as port,
        connect(port) as (reader, _),
    ):
        assert await until_closed(reader) == b""


async def test_create_app_closes_a_connection_stuck_in_its_headers() -> None:
    async with (
        serve_aiohttp(Dispatcher(), read_timeout=READ_TIMEOUT) as port,
        connect(port) as (reader, writer),
    ):
        writer.write(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        await writer.drain()
        assert await until_closed(reader) == b""


async def test_create_app_closes_a_keep_alive_connection_left_idle() -> None:
    async with (
        serve_aiohttp(Dispatcher(), read_timeout=READ_TIMEOUT) as port,
        connect(port) as (reader, writer),
    ):
        writer.write(request(TEXT))
        await writer.drain()
        answer = await until_closed(reader)  # the 200, kept alive, then closed when idle
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nconnection: close" not in answer.lower()


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize("read_timeout", [0, -1, float("nan"), float("inf")])
@pytest.mark.parametrize("build", [create_app, asgi_app], ids=["create_app", "asgi_app"])
def test_read_timeout_must_be_a_positive_number_of_seconds(
    build: Callable[..., Any], read_timeout: float
) -> None:
    with pytest.raises(ConfigError, match="read_timeout"):
        build(Dispatcher(), read_timeout=read_timeout)
