"""Scripted failures: what the next requests to an operation get instead of the real answer."""

from __future__ import annotations

import asyncio
import fnmatch
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

import msgspec
from aiohttp import web

_encode = msgspec.json.Encoder().encode

# Laravel's own wording for the statuses it answers itself.
_MESSAGES = {401: "Unauthenticated.", 429: "Too Many Attempts.", 500: "Server Error"}


@dataclass
class Fault:
    """One scripted answer, used ``times`` times.

    - ``target``: an operation name (``"messages.send_text"``), its endpoint name
      (``"send-text-message"``), a path or a glob of paths (``"/api/v1/media/*"``), or
      ``"*"`` for every request.
    - ``status``: the status to answer; ``None`` answers normally (after ``delay``).
    - ``body``: a dict or list (sent as JSON), ``str`` or ``bytes`` (sent as they are, as
      ``content_type``, HTML by default); ``None`` sends ``{"message": <reason>}``.
    - ``drop``: close the connection without any answer.
    - ``processed``: handle the request first (a send is accepted and recorded), then answer
      as scripted: the request arrived, but the client cannot know it.
    - ``every``: apply to every n-th matching request only (``every=20``: 1 in 20).
    """

    target: str
    method: str | None = None
    status: int | None = 503
    headers: Mapping[str, str] | None = None
    body: Any = None
    content_type: str | None = None
    delay: float = 0.0
    drop: bool = False
    processed: bool = False
    times: int = 1
    every: int = 1
    seen: int = 0

    def matches(self, method: str, path: str, names: tuple[str, ...]) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if self.target.startswith("/") or self.target == "*":
            return fnmatch.fnmatchcase(path, self.target)
        return self.target in names

    def response(self) -> web.Response:
        assert self.status is not None
        headers = dict(self.headers or {})
        body = self.body
        if body is None:
            message = _MESSAGES.get(self.status) or _phrase(self.status)
            headers.setdefault("Content-Type", "application/json")
            return web.Response(
                status=self.status, body=_encode({"message": message}), headers=headers
            )
        if isinstance(body, (str, bytes)):
            raw = body.encode() if isinstance(body, str) else body
            content_type = self.content_type or "text/html; charset=utf-8"
        else:
            raw = _encode(body)
            content_type = self.content_type or "application/json"
        headers.setdefault("Content-Type", content_type)
        return web.Response(status=self.status, body=raw, headers=headers)

    async def apply(self, request: web.Request) -> web.StreamResponse | None:
        """Wait, then drop or answer; ``None`` when the real answer should go out."""
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.drop:
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # never reaches the client: the connection is gone
        if self.status is None:
            return None
        return self.response()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Faults:
    """The scripted faults, consumed in the order they were added. Thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        if fault.times < 1 or fault.every < 1:
            raise ValueError("times and every must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str, names: tuple[str, ...]) -> Fault | None:
        """The first fault matching this request, with one use consumed."""
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, names):
                    fault.seen += 1
                    if fault.seen % fault.every:
                        continue
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[Fault]:
        """Copies of the faults not used up yet, in the order they are tried."""
        with self._lock:
            return [replace(fault) for fault in self._faults]

    def __len__(self) -> int:
        return len(self._faults)
