"""The web phone's live side: what it shows, kept up to date as the emulator changes, and
streamed to every open page as server-sent events (``GET /_emulator/events``).

``Live`` observes the state (``State.observe``): each accepted send, customer message and
status updates the conversations index (``Chats``) at once, from whatever thread made the
change, and goes out to the pages on the emulator's event loop. It also keeps the request
log the page shows: method, path, answer status, time taken and body of every API request
(the page's own requests are left out).

Events, one JSON object each: ``{"type": "message", "message": {...}, "chat": {...}}``,
``{"type": "status", "id", "wa_id", "status", "error"}``, ``{"type": "panel"}`` (the
emulator panel's data changed: fetch ``/_emulator/state`` again), ``{"type": "reset"}``
and ``{"type": "resync"}`` (too much to stream: fetch everything again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import msgspec
from aiohttp import web
from aiohttp.typedefs import Middleware

from ivowaba.testing._chats import Bubble, Chats
from ivowaba.testing._state import State
from ivowaba.testing._template_fill import template_view

#: How many API requests the log keeps (the newest).
REQUEST_LOG_SIZE: Final = 500
#: How much of a request body the log keeps, in characters.
BODY_PREVIEW: Final = 4000
#: Events waiting for a page that reads too slowly, before it is told to fetch everything.
BACKLOG: Final = 5000
#: Paths of the page and the control API (and the emulator's other own routes).
OWN_PREFIX: Final = "/_emulator/"

_encode = msgspec.json.Encoder().encode
_logger = logging.getLogger("ivowaba.testing")
_PANEL: Final = b'data: {"type":"panel"}\n\n'
_RESYNC: Final = b'data: {"type":"resync"}\n\n'


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + _encode(payload) + b"\n\n"


class _Stream:
    """One open page: the events not written to it yet."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ready = asyncio.Event()
        self.closed = False

    def push(self, chunk: bytes) -> None:
        if chunk is _PANEL and self.chunks and self.chunks[-1] is _PANEL:
            return  # one "panel" is as good as several
        if len(self.chunks) >= BACKLOG:
            self.chunks = [_RESYNC]
        else:
            self.chunks.append(chunk)
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()


class Live:
    """The conversations index, the request log and the open pages of one emulator app."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.chats = Chats()
        self._requests: deque[_Logged] = deque(maxlen=REQUEST_LOG_SIZE)
        self._requests_lock = threading.Lock()
        self._request_count = 0
        self._streams: set[_Stream] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._stop_observing: Callable[[], None] | None = None

    # -- lifecycle (the app's startup and shutdown) ----------------------------------------

    async def start(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stop_observing = self.state.observe(self._on_change)
        self._load()

    async def stop(self, app: web.Application) -> None:
        if self._stop_observing is not None:
            self._stop_observing()
            self._stop_observing = None
        for stream in list(self._streams):
            stream.close()

    def _load(self) -> None:
        """What the state held before the app started (an emulator started again)."""
        self.chats.load(list(self.state.outbox), [*self.state.delivered, *self.state.pending])

    # -- changes of the state, from any thread ---------------------------------------------

    def _on_change(self, event: str, item: Any) -> None:
        """Called by the state in the middle of its own work: never raises (a fault here
        must not fail a send or a delivery); the pages are told to fetch everything."""
        try:
            self._apply(event, item)
        except Exception:
            _logger.exception("the web phone could not follow a change (%s)", event)
            self._broadcast(_RESYNC)

    def _apply(self, event: str, item: Any) -> None:
        if event == "sent":
            bubble = self.chats.add_sent(item)
            if bubble is not None:
                self._broadcast_message(bubble)
        elif event == "notification":
            new, moved = self.chats.add_notification(item)
            for bubble in new:
                self._broadcast_message(bubble)
            for bubble in moved:
                self._broadcast(partial(_status_event, bubble))
            if new:
                self.panel_changed()
        elif event == "reset":
            self.chats.clear()
            with self._requests_lock:
                self._requests.clear()
            self._broadcast(_event({"type": "reset"}))
        else:  # "attempt", "held"
            self.panel_changed()

    def panel_changed(self) -> None:
        """Tell the pages the panel's data changed (requests, deliveries, faults...)."""
        self._broadcast(_PANEL)

    def _broadcast_message(self, bubble: Bubble) -> None:
        def event() -> bytes:
            chat = self.chats.summary(bubble.wa_id)
            return _event({"type": "message", "message": self.bubble_json(bubble), "chat": chat})

        self._broadcast(event)

    def bubble_json(self, bubble: Bubble) -> dict[str, Any]:
        """A bubble as the page gets it: a template send with its template filled in."""
        view = bubble.as_json()
        if bubble.kind == "template" and bubble.outbound:
            template_id = str(bubble.content.get("template_id", ""))
            components = bubble.content.get("components")
            view["template"] = template_view(
                self.state.templates.get(template_id),
                template_id,
                components if isinstance(components, list) else [],
            )
        return view

    def _broadcast(self, chunk: bytes | Callable[[], bytes]) -> None:
        """Send an event to every page listening; a function making it is called only when
        some page is."""
        if not self._streams or self._loop is None:
            return
        if callable(chunk):
            chunk = chunk()
        if threading.get_ident() == self._loop_thread:
            self._fan_out(chunk)
        else:
            # RuntimeError: the loop closed meanwhile, so nobody is listening.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._fan_out, chunk)

    def _fan_out(self, chunk: bytes) -> None:
        for stream in self._streams:
            stream.push(chunk)

    # -- the request log -------------------------------------------------------------------

    def log_request(
        self, request: web.Request, raw: bytes, status: int | None, seconds: float
    ) -> None:
        entry = _Logged(
            at=self.state.now,
            method=request.method,
            path=request.path,
            query=request.query_string,
            status=status,
            ms=round(seconds * 1000, 1),
            body=raw[: BODY_PREVIEW * 4],
            size=len(raw),
            content_type=request.content_type,
        )
        with self._requests_lock:
            self._request_count += 1
            entry.n = self._request_count
            self._requests.append(entry)
        self.panel_changed()

    def requests(self, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """How many requests the log holds, and the newest ``limit`` of them, newest first."""
        with self._requests_lock:
            newest = list(self._requests)[: -limit - 1 : -1]
            total = len(self._requests)
        return total, [entry.as_json() for entry in newest]

    # -- the event stream ------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/events``: server-sent events until the page or the app goes."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        stream = _Stream()
        self._streams.add(stream)
        try:
            await response.write(b"retry: 1000\n\n")
            while not stream.closed:
                await stream.ready.wait()
                stream.ready.clear()
                chunks, stream.chunks = stream.chunks, []
                if chunks:
                    await response.write(b"".join(chunks))
        except ConnectionError:  # the page went away
            pass
        finally:
            self._streams.discard(stream)
        return response


def _status_event(bubble: Bubble) -> bytes:
    status = {"id": bubble.id, "wa_id": bubble.wa_id, "status": bubble.status}
    return _event({"type": "status", **status, "error": bubble.error})


@dataclass(slots=True)
class _Logged:
    """One API request of the log: what the panel shows of it."""

    at: float
    method: str
    path: str
    query: str
    status: int | None
    ms: float
    body: bytes
    size: int
    content_type: str
    n: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "ms": self.ms,
            "body": self._preview(),
        }

    def _preview(self) -> str:
        if not self.size:
            return ""
        if self.content_type.startswith("text/") or self.content_type.endswith("json"):
            text = self.body.decode("utf-8", errors="replace")
            return text if len(text) <= BODY_PREVIEW else text[:BODY_PREVIEW] + "…"
        return f"[{self.content_type or 'body'}, {self.size} bytes]"


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_logger(live: Live) -> Middleware:
    """A middleware putting every API request in ``live``'s log, with its answer's status
    (``None``: no answer, the connection was dropped) and the time it took."""

    @web.middleware
    async def log(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/" or request.path.startswith(OWN_PREFIX):
            return await handler(request)
        raw = await request.read()
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await handler(request)
            dropped = request.transport is None or request.transport.is_closing()
            status = None if dropped else response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            live.log_request(request, raw, status, time.perf_counter() - started)

    return log
