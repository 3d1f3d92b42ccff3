"""Delivery of notifications to the webhook, following the reference's rule.

A notification is delivered when the webhook answers 200 or 201. Anything else (another
status, a refused connection, a timeout) is a failed attempt; after ``attempts`` of them,
with a short exponential backoff in between, the notification is held on its webhook until
"Pull pending notification" takes it.

Everything here runs on the emulator's event loop; ``Notifier.enqueue`` may be called from
any thread.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec

from ivowaba._retry import backoff_skipped

_encode = msgspec.json.Encoder().encode

#: Webhook POSTs in flight at once (the client's open connections). Deliveries beyond it wait
#: their turn before their POST starts: a POST's ``timeout`` is the webhook's time to answer,
#: never a wait for a connection while many notifications are going out.
CONNECTIONS = 100


@dataclass
class Webhook:
    """A webhook endpoint of the account, as "Fetch webhook endpoint" lists it."""

    id: str
    name: str
    url: str | None = None
    username: str | None = None
    password: str | None = None
    #: Notifications that could not be delivered, oldest first.
    held: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "events": [],
            "headers": [],
            "status": "on" if self.url else "off",
            "http_auth": {
                "status": "on" if self.username is not None else "off",
                "username": self.username,
                "password": self.password,
            },
        }


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of a notification: the webhook's status, or the connection error."""

    notification: dict[str, Any]
    url: str
    status: int | None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status in (200, 201)


class Notifier:
    """Posts notifications, each sequence in order, over one shared client session."""

    def __init__(
        self,
        *,
        attempts: int,
        backoff: float,
        timeout: float,
        delay: float,
        to_wire: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        #: What a notification is turned into before it is posted (the Cloud API envelope);
        #: ``None``: posted as it is. What is kept (``delivered``, ``log``, held) is unchanged.
        self.to_wire = to_wire
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.delay = delay
        self.delivered: list[dict[str, Any]] = []
        self.log: list[DeliveryAttempt] = []
        #: Told ``("attempt", DeliveryAttempt)`` and ``("held", notification)``.
        self.observers: list[Callable[[str, Any], None]] = []
        self._session: aiohttp.ClientSession | None = None
        self._posting: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._unfinished = 0

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._posting = asyncio.Semaphore(CONNECTIONS)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=CONNECTIONS),
        )

    async def close(self) -> None:
        """Stop every delivery still running (their notifications are lost) and the session."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._posting = None
        self._loop = None
        self._unfinished = 0

    def reset(self) -> None:
        self.delivered.clear()
        self.log.clear()

    @property
    def busy(self) -> bool:
        return self._unfinished > 0

    def enqueue(self, webhook: Webhook, notifications: Sequence[dict[str, Any]]) -> None:
        """Deliver ``notifications`` one after the other, ``delay`` apart. Thread-safe."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the emulator is not running")
        with self._lock:
            self._unfinished += 1
        try:
            in_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            in_loop = False
        if in_loop:
            self._spawn(webhook, notifications)
        else:
            loop.call_soon_threadsafe(self._spawn, webhook, notifications)

    def _spawn(self, webhook: Webhook, notifications: Sequence[dict[str, Any]]) -> None:
        if self._session is None:  # closed between enqueue and now
            with self._lock:
                self._unfinished -= 1
            return
        task = asyncio.ensure_future(self._run(webhook, notifications))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, webhook: Webhook, notifications: Sequence[dict[str, Any]]) -> None:
        try:
            for notification in notifications:
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self._deliver(webhook, notification)
        finally:
            with self._lock:
                self._unfinished -= 1

    async def _deliver(self, webhook: Webhook, notification: dict[str, Any]) -> None:
        url = webhook.url
        if url is None or self._session is None:
            self._hold(webhook, notification)
            return
        headers = {"Content-Type": "application/json"}
        if webhook.username is not None:
            credentials = f"{webhook.username}:{webhook.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        body = _encode(notification if self.to_wire is None else self.to_wire(notification))
        for attempt in range(self.attempts):
            if attempt and not backoff_skipped():
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            result = await self._post(url, headers, body, notification)
            self.log.append(result)
            self._publish("attempt", result)
            if result.accepted:
                self.delivered.append(notification)
                return
        self._hold(webhook, notification)

    def _hold(self, webhook: Webhook, notification: dict[str, Any]) -> None:
        webhook.held.append(notification)
        self._publish("held", notification)

    def _publish(self, event: str, item: Any) -> None:
        for observer in self.observers:
            observer(event, item)

    async def _post(
        self,
        url: str,
        headers: dict[str, str],
        body: bytes,
        notification: dict[str, Any],
    ) -> DeliveryAttempt:
        assert self._session is not None
        assert self._posting is not None
        # The session's timeout counts from the POST's start, a wait for a free connection
        # included: waiting here for one first keeps that wait out of it.
        async with self._posting:
            try:
                async with self._session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    return DeliveryAttempt(notification, url, response.status)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                return DeliveryAttempt(notification, url, None, f"{type(exc).__name__}: {exc}")

    async def settle(self, timeout: float) -> None:
        """Wait until every enqueued notification is delivered or held."""
        deadline = time.monotonic() + timeout
        while self._unfinished:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"notifications still being delivered after {timeout} s "
                    f"({self._unfinished} sequences left)"
                )
            await asyncio.sleep(0.005)
