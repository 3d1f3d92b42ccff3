"""The chaos suite's own network: a fault-injecting TCP proxy, and a raw scripted HTTP server.

``ChaosProxy`` listens on 127.0.0.1 and forwards HTTP/1.1 to an upstream (the emulator),
request by request, so that keep-alive connections carry many requests and a fault hits one
request of a connection, not the connection as a whole. What each request (or each accepted
connection) gets is asked of a *plan*:

- ``RESET_BEFORE_FORWARD``: the request is read, nothing is sent upstream, the client is
  reset (RST, ``SO_LINGER`` 0). The client cannot tell this from the next one.
- ``RESET_AFTER_FORWARD``: the request is forwarded and answered upstream (the emulator
  accepted it), then the client is reset instead of getting the answer.
- ``TRUNCATE_ANSWER``: half of the upstream answer reaches the client, then the connection
  is closed (FIN). The cut alternates: inside the head (odd truncations: 1st, 3rd, ...),
  then inside the body (even ones), so that both a broken head and a short body are met.
- ``STALL``: the request is forwarded and answered upstream; the client gets nothing and the
  socket stays open (past any client timeout) until the client leaves or the proxy closes.
- ``BLACKHOLE`` (per accepted connection): the connection is accepted and never read from
  nor answered.

``ScriptedServer`` is a raw HTTP/1.1 server whose answers a test writes byte by byte: bodies
that lie about their length, bodies without an end, redirects, oversized headers.

Both listen on 127.0.0.1 only, bound every wait, and leave nothing open once closed: a
connection still held (a stall, a blackhole) is aborted at ``aclose()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
import socket
import struct
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

HOST = "127.0.0.1"
#: The largest request or answer head read (the StreamReader's limit).
MAX_HEAD = 64 * 1024
#: Bound on every single read or write of the proxy's own.
IO_TIMEOUT = 10.0
#: How long a kept-alive connection may wait for its next request.
IDLE_TIMEOUT = 30.0
#: How long a stalled or blackholed connection is held at most (``aclose()`` ends it sooner).
HOLD_TIMEOUT = 60.0


class Fault(enum.Enum):
    NONE = "none"
    RESET_BEFORE_FORWARD = "reset_before_forward"
    RESET_AFTER_FORWARD = "reset_after_forward"
    TRUNCATE_ANSWER = "truncate_answer"
    STALL = "stall"
    BLACKHOLE = "blackhole"


#: The faults a plan may give a request (``BLACKHOLE`` is given to a whole connection).
REQUEST_FAULTS = (
    Fault.RESET_BEFORE_FORWARD,
    Fault.RESET_AFTER_FORWARD,
    Fault.TRUNCATE_ANSWER,
    Fault.STALL,
)


class FaultPlan(Protocol):
    def connection_fault(self) -> Fault:
        """``BLACKHOLE`` or ``NONE``, for a connection just accepted."""

    def request_fault(self) -> Fault:
        """One of ``REQUEST_FAULTS`` or ``NONE``, for a request just read."""


class SeededPlan:
    """Faults drawn from ``random.Random(seed)``: the sequence of decisions is reproducible
    (which message meets which fault depends on the scheduling, the mix does not)."""

    def __init__(
        self, seed: int, *, per_request: Mapping[Fault, float], blackhole: float = 0.0
    ) -> None:
        unknown = set(per_request) - set(REQUEST_FAULTS)
        if unknown or sum(per_request.values()) >= 1 or not 0 <= blackhole < 1:
            raise ValueError("per-request faults must be REQUEST_FAULTS with a total below 1")
        self.seed = seed
        self._random = random.Random(seed)
        self._per_request = list(per_request.items())
        self._blackhole = blackhole

    def connection_fault(self) -> Fault:
        return Fault.BLACKHOLE if self._random.random() < self._blackhole else Fault.NONE

    def request_fault(self) -> Fault:
        draw = self._random.random()
        for fault, weight in self._per_request:
            if draw < weight:
                return fault
            draw -= weight
        return Fault.NONE


class ScriptedPlan:
    """The given faults in order (``NONE`` once a script runs out)."""

    def __init__(self, *, connections: Iterable[Fault] = (), requests: Iterable[Fault] = ()):
        self._connections = iter(connections)
        self._requests = iter(requests)

    def connection_fault(self) -> Fault:
        return next(self._connections, Fault.NONE)

    def request_fault(self) -> Fault:
        return next(self._requests, Fault.NONE)


@dataclass(frozen=True)
class Exchange:
    """One request the proxy read (``body`` ``None`` for a blackholed connection's)."""

    connection: int
    fault: Fault
    body: bytes | None


class ProtocolError(Exception):
    """Something that is no HTTP/1.1 the proxy understands: the connection is closed."""


@dataclass
class Head:
    start_line: str
    headers: dict[str, str]  # lower-cased names
    raw: bytes

    @property
    def status(self) -> int:
        """The status of an answer's head."""
        try:
            return int(self.start_line.split(" ", 2)[1])
        except (IndexError, ValueError):
            raise ProtocolError(f"not a status line: {self.start_line!r}") from None

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


async def read_head(reader: asyncio.StreamReader, timeout: float) -> Head | None:
    """The next message head; ``None`` when the peer closed cleanly between messages."""
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError("connection closed inside a head") from None
    except asyncio.LimitOverrunError:
        raise ProtocolError("head too large") from None
    lines = raw.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return Head(lines[0], headers, raw)


async def read_body(
    reader: asyncio.StreamReader, head: Head, *, answer: bool
) -> tuple[bytes, bool]:
    """The body after ``head``, and whether the connection can carry another message."""
    if "transfer-encoding" in head.headers:
        if not answer:
            raise ProtocolError("chunked requests are not forwarded")
        return await asyncio.wait_for(reader.read(), IO_TIMEOUT), False  # until the close
    length = head.headers.get("content-length")
    if length is not None:
        body = await asyncio.wait_for(reader.readexactly(int(length)), IO_TIMEOUT)
        return body, head.keep_alive
    if not answer or head.status in (204, 304) or head.status < 200:
        return b"", head.keep_alive
    return await asyncio.wait_for(reader.read(), IO_TIMEOUT), False


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def close(writer: asyncio.StreamWriter | None, *, abort: bool = False) -> None:
    """Close ``writer`` and wait (a bounded while) until its socket is closed."""
    if writer is None:
        return
    if abort:
        writer.transport.abort()
    else:
        writer.close()
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 2.0)


class _Listener:
    """What the proxy and the scripted server share: a server on 127.0.0.1:0 whose every
    connection is a tracked task, all cancelled (and their sockets closed) at ``aclose()``."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.port = 0
        #: Connections accepted so far.
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if self._closing:
                return
            self.connections += 1
            await self._handle(reader, writer)
        except (OSError, EOFError, ProtocolError, asyncio.TimeoutError, ValueError):
            pass  # the peer went away, or spoke something else: the connection ends
        except asyncio.CancelledError:
            pass  # aclose(): asyncio's callback for this task must not see a cancellation
        finally:
            await close(writer, abort=True)
            self._tasks.discard(task)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, 0, limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._closing = True
        server.close()
        for _ in range(3):  # connections accepted just now start their task a tick later
            await asyncio.sleep(0)
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=5.0)
        await asyncio.wait_for(server.wait_closed(), 5.0)

    async def __aenter__(self) -> _Listener:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class ChaosProxy(_Listener):
    """Forwards HTTP/1.1 from 127.0.0.1:``port`` to ``upstream``, faults as ``plan`` says.

    ``log`` holds every request read, with its fault; ``connections`` counts the connections
    accepted, ``upstream_connections`` those opened to the upstream.
    """

    def __init__(self, upstream_host: str, upstream_port: int, plan: FaultPlan) -> None:
        super().__init__()
        self.upstream = (upstream_host, upstream_port)
        self.plan = plan
        self.log: list[Exchange] = []
        self.upstream_connections = 0
        self.truncations = 0

    async def __aenter__(self) -> ChaosProxy:
        await self.start()
        return self

    async def _hold(self) -> None:
        """Keep the connection open, reading nothing: past any client timeout."""
        await asyncio.sleep(HOLD_TIMEOUT)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        if self.plan.connection_fault() is Fault.BLACKHOLE:
            self.log.append(Exchange(number, Fault.BLACKHOLE, None))
            await self._hold()
            return
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                request = await read_head(reader, IDLE_TIMEOUT)
                if request is None:
                    return
                body, client_keeps = await read_body(reader, request, answer=False)
                fault = self.plan.request_fault()
                self.log.append(Exchange(number, fault, body))
                if fault is Fault.RESET_BEFORE_FORWARD:
                    reset(writer)
                    return
                if upstream is None:
                    upstream = await asyncio.wait_for(
                        asyncio.open_connection(*self.upstream, limit=MAX_HEAD), IO_TIMEOUT
                    )
                    self.upstream_connections += 1
                up_reader, up_writer = upstream
                up_writer.write(request.raw + body)
                await asyncio.wait_for(up_writer.drain(), IO_TIMEOUT)
                answer = await read_head(up_reader, IO_TIMEOUT)
                if answer is None:
                    raise ProtocolError("the upstream closed without answering")
                answer_body, upstream_keeps = await read_body(up_reader, answer, answer=True)
                whole = answer.raw + answer_body
                if fault is Fault.RESET_AFTER_FORWARD:
                    reset(writer)
                    return
                if fault is Fault.STALL:
                    await self._hold()
                    return
                if fault is Fault.TRUNCATE_ANSWER:
                    self.truncations += 1
                    head_length = len(answer.raw)
                    if self.truncations % 2:
                        cut = head_length // 2
                    else:
                        cut = head_length + len(answer_body) // 2
                    writer.write(whole[:cut])
                    await asyncio.wait_for(writer.drain(), IO_TIMEOUT)
                    await close(writer)
                    return
                writer.write(whole)
                await asyncio.wait_for(writer.drain(), IO_TIMEOUT)
                if not upstream_keeps:
                    await close(upstream[1])
                    upstream = None
                if not (client_keeps and answer.keep_alive):
                    await close(writer)
                    return
        finally:
            await close(upstream[1] if upstream else None, abort=True)


@dataclass
class Request:
    """A request as the scripted server read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    connection: int = 0
    extra: dict[str, object] = field(default_factory=dict)


#: Writes the answer to one request; returns whether the connection may carry another.
Answerer = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]


class ScriptedServer(_Listener):
    """A raw HTTP/1.1 server on 127.0.0.1 whose ``answer`` coroutine writes every byte of
    every answer. ``requests`` holds what it read, ``connections`` counts connections."""

    def __init__(self, answer: Answerer) -> None:
        super().__init__()
        self._answer = answer
        self.requests: list[Request] = []

    async def __aenter__(self) -> ScriptedServer:
        await self.start()
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        while True:
            head = await read_head(reader, IDLE_TIMEOUT)
            if head is None:
                return
            body, keeps = await read_body(reader, head, answer=False)
            method, _, rest = head.start_line.partition(" ")
            request = Request(method, rest.rpartition(" ")[0], head.headers, body, number)
            self.requests.append(request)
            if not await self._answer(request, writer) or not keeps:
                await close(writer)
                return
