"""A recording HTTP server on 127.0.0.1 for unit tests: it keeps every request it receives
and answers each path with the reference's example response (or a scripted one)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ivowaba.testing import _seed

SENT = {"messages": [{"id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU"}]}
META = {"api_status": "stable", "version": "2.33.3"}
TEMPLATE = _seed.templates()[0]  # the reference's "Show template" example
PAGE = {
    "data": [TEMPLATE],
    "meta": {
        "pagination": {
            "total": 1,
            "count": 1,
            "per_page": 15,
            "current_page": 1,
            "total_pages": 1,
            "links": {},
        }
    },
}
STATUS_NOTIFICATION = {
    "statuses": [
        {
            "id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU",
            "recipient_id": "628123456789",
            "status": "delivered",
            "timestamp": "1518694708",
            "type": "message",
        }
    ]
}

#: (method, path regex) -> (status, JSON body, or bytes with a content type)
ROUTES: list[tuple[str, str, Any]] = [
    (
        "POST",
        r"/api/v1/contacts/check",
        {
            "contacts": [
                {"input": "+628954218621", "status": "valid", "wa_id": "628954218621"},
                {"input": "+628127631234", "status": "invalid"},
            ],
            "meta": META,
        },
    ),
    (
        "GET",
        r"/api/v1/countries",
        {
            "data": [
                {
                    "id": "6074716f6c09086f640ee9da",
                    "name": "Indonesia",
                    "dial_code": "+62",
                    "iso": "ID",
                    "iso3": "IDN",
                }
            ]
        },
    ),
    ("GET", r"/api/v1/media/[^/]+", (b"\x89PNG fake image", "image/png", "photo.png")),
    ("GET", r"/api/v1/message-templates(/all-templates)?", PAGE),
    ("GET", r"/api/v1/message-templates/[^/]+", TEMPLATE),
    ("POST", r"/api/v1/message-templates", TEMPLATE),
    ("PUT", r"/api/v1/message-templates/[^/]+", TEMPLATE),
    ("POST", r"/api/v1/message-templates/[^/]+/propose", {"meta": META}),
    ("GET", r"/api/v1/template-categories", {"data": [{"id": "UTILITY", "name": "Transactional"}]}),
    ("GET", r"/api/v1/template-languages", {"data": [{"id": "id", "name": "Indonesian"}]}),
    ("POST", r"/api/v1/messages/send-[a-z-]+", "unique-id"),
    ("PUT", r"/api/v1/messages/[^/]+/read", None),
    (
        "GET",
        r"/api/v1/settings/business-profile",
        {
            "settings": {
                "business": {
                    "profile": {
                        "address": "Jl. Tebet Barat",
                        "description": "A Series of Platforms",
                        "email": "hello@example.com",
                        "vertical": "Professional Services",
                        "websites": ["https://ivosigths.com"],
                    }
                }
            },
            "meta": META,
        },
    ),
    ("POST", r"/api/v1/settings/business-profile", {"meta": META}),
    (
        "GET",
        r"/api/v1/settings/profiles/about",
        {"settings": {"profile": {"about": {"text": "Halo Dunia.."}}}, "meta": META},
    ),
    ("PATCH", r"/api/v1/settings/profiles/about", {"meta": META}),
    (
        "GET",
        r"/api/v1/settings/profiles/photo",
        {
            "settings": {"profile": {"photo": {"link": "https://pps.whatsapp.net/v/photo.jpg"}}},
            "meta": META,
        },
    ),
    ("POST", r"/api/v1/settings/profiles/photo", {"meta": META}),
    (
        "GET",
        r"/api/v1/webhooks",
        {
            "data": [
                {
                    "id": "6098c0f34dae5677e2636a5c",
                    "name": "App Webhook",
                    "url": "http://webhook.me/x",
                    "events": [],
                    "headers": [],
                    "status": "off",
                    "http_auth": {"status": "on", "username": "user", "password": "password"},
                }
            ]
        },
    ),
    ("GET", r"/api/v1/webhooks/[^/]+/pull-pending-notifications", {"data": [STATUS_NOTIFICATION]}),
]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Scripted:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


class Recorder:
    """The server: ``start()``/``stop()`` from any thread; ``url`` once started."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._sent = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.url = ""

    # scripting -----------------------------------------------------------------------------
    def script(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests get this answer instead of the route's."""
        payload = raw if raw is not None else json.dumps(body).encode()
        with self._lock:
            for _ in range(times):
                self._script.append(Scripted(status, payload, dict(headers or {}), delay, drop))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self.max_in_flight = 0

    # serving -------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # let concurrent requests overlap, as on a real server
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        with self._lock:
            self.requests.append(
                Recorded(
                    request.method,
                    request.path,
                    dict(request.query),
                    dict(request.headers),
                    body,
                    request.content_type,
                )
            )
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            if scripted.delay:
                await asyncio.sleep(scripted.delay)
            if scripted.drop:
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            headers = {"Content-Type": "application/json", **scripted.headers}
            return web.Response(status=scripted.status, body=scripted.body, headers=headers)
        for method, pattern, answer in ROUTES:
            if method == request.method and re.fullmatch(
                pattern, request.path.removeprefix("/sandbox")
            ):
                if answer == "unique-id":
                    with self._lock:
                        self._sent += 1
                        answer = {"messages": [{"id": f"wamid.{self._sent:08d}"}]}
                if isinstance(answer, tuple):
                    content, content_type, filename = answer
                    return web.Response(
                        body=content,
                        headers={
                            "Content-Type": content_type,
                            "Content-Disposition": f'attachment; filename="{filename}"',
                        },
                    )
                return web.json_response(answer)
        return web.json_response({"message": "Not found"}, status=404)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="recorder", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._stop = asyncio.Event()
        self._ready.set()
        loop.run_until_complete(self._stop.wait())
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        assert self._thread is not None
        self._thread.join(10)
