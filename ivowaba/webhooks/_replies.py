"""Conversations: a customer's next message, for ``Dispatcher.wait_for_reply``.

Every inbound message a dispatcher handles for the first time is published on its reply
channel, before the handlers run; a wait listens on the channel of one customer.

- :class:`MemoryReplyChannel`, the default: in this process, from any thread and loop.
- ``RedisDedupStore(redis).replies`` (``ivowaba.contrib.redis``): Redis pub/sub, so that a
  reply that reached another receiver process behind the load balancer is seen too. A
  dispatcher given that store as ``store=`` uses it.
"""

from __future__ import annotations

import asyncio
import threading
import typing
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol, runtime_checkable

import anyio
import msgspec

from ivowaba import _validation
from ivowaba._errors import ReplyTimeoutError, ValidationError
from ivowaba.types.notifications import InboundMessage

#: What ``match`` may be: a message type (``"text"``, ``"interactive"``...), or a function
#: of the message saying whether it is the one waited for; ``None``: any message.
Match = str | Callable[[InboundMessage], bool] | None


class ReplyListener(Protocol):
    """The messages of one customer, as they come."""

    async def get(self) -> InboundMessage:
        """The next message; waits for it."""
        ...


@runtime_checkable
class ReplyChannel(Protocol):
    """How inbound messages reach the waits of ``wait_for_reply``."""

    async def publish(self, message: InboundMessage) -> None:
        """Hand ``message`` to every wait on its sender, wherever it runs."""
        ...

    def listen(self, wa_id: str) -> AbstractAsyncContextManager[ReplyListener]:
        """Listen to ``wa_id``'s messages: every one published once this is entered."""
        ...


class MemoryReplyChannel:
    """Waits in this process: a message reaches those of any thread and any event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[_MemoryListener]] = {}

    async def publish(self, message: InboundMessage) -> None:
        with self._lock:
            listeners = tuple(self._listeners.get(message.from_, ()))
        for listener in listeners:
            listener.put(message)

    @asynccontextmanager
    async def listen(self, wa_id: str) -> AsyncIterator[ReplyListener]:
        listener = _MemoryListener(asyncio.get_running_loop())
        with self._lock:
            self._listeners.setdefault(wa_id, []).append(listener)
        try:
            yield listener
        finally:
            with self._lock:
                listeners = self._listeners[wa_id]
                listeners.remove(listener)
                if not listeners:
                    del self._listeners[wa_id]


class _MemoryListener:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.messages: deque[InboundMessage] = deque()
        self.waiter: asyncio.Future[None] | None = None

    def put(self, message: InboundMessage) -> None:
        """From any thread: on the listener's own loop."""
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is self.loop:
            self._put(message)
            return
        with suppress(RuntimeError):  # its loop is closed: nobody listens any more
            self.loop.call_soon_threadsafe(self._put, message)

    def _put(self, message: InboundMessage) -> None:
        self.messages.append(message)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def get(self) -> InboundMessage:
        while not self.messages:
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.messages.popleft()


class ReplyWaiter:
    """The messages one customer sends while :meth:`Dispatcher.expect_reply` is open, those
    that ``match``, one per :meth:`wait`."""

    def __init__(self, wa_id: str, listener: ReplyListener, match: Match) -> None:
        self.wa_id = wa_id
        self._listener = listener
        self._match = match

    async def wait(self, *, timeout: float) -> InboundMessage:  # noqa: ASYNC109
        """The customer's next message (one that matches), once it came; at once when it
        came already. Raises ``ReplyTimeoutError`` (a ``TimeoutError``) when none came within
        ``timeout`` seconds."""
        _validation.seconds(timeout, "timeout")
        with anyio.move_on_after(timeout):
            while True:
                message = await self._listener.get()
                if self._matches(message):
                    return message
        raise ReplyTimeoutError(self.wa_id, timeout)

    def _matches(self, message: InboundMessage) -> bool:
        match = self._match
        if match is None:
            return True
        if isinstance(match, str):
            return message.type == match
        return bool(match(message))


@asynccontextmanager
async def expect_reply(
    channel: ReplyChannel, wa_id: str, match: Match
) -> AsyncIterator[ReplyWaiter]:
    """Listen to ``wa_id`` on ``channel`` for as long as the block runs."""
    customer = _validation.wa_id(wa_id, field="wa_id")
    if match is not None and not isinstance(match, str) and not callable(match):
        raise ValidationError(
            "match", f"must be a message type or a function of the message, got {match!r}"
        )
    async with channel.listen(customer) as listener:
        yield ReplyWaiter(customer, listener, match)


# -- messages on a wire (Redis) ----------------------------------------------------------------

_CLASSES: dict[str, type[InboundMessage]] = {
    cls.__name__: cls for cls in typing.get_args(InboundMessage)
}
_encode = msgspec.json.Encoder().encode


def encode_message(message: InboundMessage) -> bytes:
    """``message`` as bytes that :func:`decode_message` turns back into the same struct."""
    return type(message).__name__.encode() + b"\n" + _encode(message)


def decode_message(data: bytes) -> InboundMessage:
    kind, _, body = data.partition(b"\n")
    return msgspec.json.decode(body, type=_CLASSES[kind.decode()])
