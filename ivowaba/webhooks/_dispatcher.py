"""``Dispatcher``: route notifications to your handlers, each message and each status once."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

from ivowaba import _validation
from ivowaba._errors import WebhookParseError
from ivowaba.types.notifications import InboundMessage, Notification, Status, UnknownMessage
from ivowaba.webhooks import _blocking
from ivowaba.webhooks._dedup import DedupStore, MemoryDedupStore
from ivowaba.webhooks._handler_thread import run_sync_handler
from ivowaba.webhooks._parse import parse
from ivowaba.webhooks._replies import (
    Match,
    MemoryReplyChannel,
    ReplyChannel,
    ReplyWaiter,
    expect_reply,
)

if TYPE_CHECKING:
    from ivowaba.outcomes import OutcomeStore

logger = logging.getLogger("ivowaba.webhooks")

_H = TypeVar("_H", bound=Callable[..., Any])

#: What :meth:`Dispatcher.dispatch` and :meth:`Dispatcher.replay` take: a parsed notification,
#: or a body of either shape (the reference's format or the Cloud API envelope) as bytes,
#: text or a decoded object.
NotificationInput = Notification | bytes | bytearray | memoryview | str | Mapping[str, Any]


@dataclass(frozen=True)
class _Route:
    match: str | None
    handler: Callable[[Any], Any]
    is_async: bool


@dataclass
class ReplayResult:
    """What :meth:`Dispatcher.replay` did.

    - ``handled``: notifications that had something new, all of whose handlers succeeded.
    - ``duplicates``: notifications whose every message and status was handled before.
    - ``failed``: ``(notification, exception)`` for each one where a handler raised; it is not
      marked handled, so replaying it again runs its handlers again.
    - ``unreadable``: ``(body, WebhookParseError)`` for each body given that is not a
      notification of either shape (nothing of it ran).
    """

    handled: int = 0
    duplicates: int = 0
    failed: list[tuple[Notification, Exception]] = field(default_factory=list)
    unreadable: list[tuple[NotificationInput, WebhookParseError]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no handler raised and every body was a notification."""
        return not self.failed and not self.unreadable


class Dispatcher:
    """Calls your handlers for each message and status of a notification, dropping those
    already handled.

    - ``store``: where handled keys are remembered (a message's id; a status's message id and
      status: the same whichever shape, the reference's or the Cloud API's, a notification
      came in, so one that comes in both is handled once). The default keeps the last
      100 000 for a day in memory; share a store between receivers behind a load balancer
      (see :class:`DedupStore`). A ``RedisDedupStore`` also carries :meth:`wait_for_reply`
      across them (its ``replies``).
    - ``sync_in_thread``: run plain (non-async) handlers in a worker thread, so that a blocking
      handler does not stall the server (default ``True``).
    - ``outcomes``: an outcome store (:func:`ivowaba.outcomes.open_store`) in which every
      status and inbound message of each delivery is recorded before the handlers run,
      whether or not a handler matches or succeeds, duplicates included (recording twice
      changes nothing).

    A handler is a plain or an async function taking the typed message, status or
    notification. Every handler whose filter matches runs, in the order registered::

        dispatcher = Dispatcher()

        @dispatcher.on_message("text")
        async def echo(message: InboundText) -> None:
            await client.messages.send_text(message.from_, message.text.body)

        @dispatcher.on_status("failed")
        def log_failure(status: Status) -> None:
            print(status.id, status.errors[0].code)

    When a handler raises, the message or status it was given is not marked handled (a
    failing ``on_notification`` handler leaves the whole notification unmarked), so the
    gateway's retry, or a replay, runs its handlers again: handlers should tolerate running
    twice for the same item. A delivery of an item still being handled waits for that
    handling to end, then is dropped if it succeeded.

    When recording in ``outcomes`` fails (the disk is full, Redis is down), nothing is marked
    handled and no handler runs: :meth:`dispatch` raises the store's error (logged on the
    ``ivowaba.webhooks`` logger), the receiver answers 500 and the gateway delivers the
    notification again, so that no status is lost::

        dispatcher = Dispatcher(outcomes=open_store("sqlite:///outcomes.db"))
    """

    def __init__(
        self,
        *,
        store: DedupStore | None = None,
        sync_in_thread: bool = True,
        outcomes: OutcomeStore | None = None,
    ) -> None:
        self.store: DedupStore = store if store is not None else MemoryDedupStore()
        self.sync_in_thread = sync_in_thread
        self.outcomes = outcomes
        self._message_routes: list[_Route] = []
        self._status_routes: list[_Route] = []
        self._notification_routes: list[_Route] = []
        self._in_flight: dict[str, anyio.Event] = {}
        shared = getattr(self.store, "replies", None)  # RedisDedupStore's pub/sub
        #: Where inbound messages reach ``wait_for_reply``: the store's when it has one.
        self.replies: ReplyChannel = (
            shared if isinstance(shared, ReplyChannel) else MemoryReplyChannel()
        )

    # -- registration ------------------------------------------------------------------------

    def on_message(self, type: str | None = None) -> Callable[[_H], _H]:
        """Register a handler for inbound messages of ``type`` (the wire's ``type``: ``"text"``,
        ``"image"``, ``"interactive"``, ...), or of every type when ``None``.

        A type this SDK does not know yet arrives as an ``UnknownMessage`` to the handlers of
        that type; a known type whose content could not be read only to ``on_message()``.
        """
        return self._register(self._message_routes, type, "on_message")

    def on_status(self, status: str | None = None) -> Callable[[_H], _H]:
        """Register a handler for statuses ``status`` (``"sent"``, ``"delivered"``, ``"read"``,
        ``"deleted"``, ``"failed"``), or for every status when ``None``."""
        return self._register(self._status_routes, status, "on_status")

    def on_notification(self) -> Callable[[_H], _H]:
        """Register a handler for whole notifications. It gets the notification holding only
        its messages and statuses not handled before, and is skipped when there are none
        (a notification with neither, such as a gateway error or a Cloud API change about
        something else, in ``other_changes``, always reaches it)."""
        return self._register(self._notification_routes, None, "on_notification")

    @staticmethod
    def _register(routes: list[_Route], match: str | None, name: str) -> Callable[[_H], _H]:
        if match is not None and not isinstance(match, str):
            raise TypeError(f"use @dispatcher.{name}() with parentheses, or pass a string")

        def decorator(handler: _H) -> _H:
            routes.append(_Route(match, handler, inspect.iscoroutinefunction(handler)))
            return handler

        return decorator

    # -- dispatching -------------------------------------------------------------------------

    async def dispatch(self, notification: NotificationInput) -> bool:
        """Run the matching handlers of every message and status not handled before.

        ``notification`` is a :class:`Notification`, or anything :func:`parse` takes (either
        shape: the reference's format or the Cloud API envelope).
        With an outcome store (``outcomes``), its statuses and messages are recorded first.
        Returns ``False`` when everything in it was handled before (nothing ran), else ``True``.
        Raises what the first failing handler raised, once every handler has run (each failure
        is logged on the ``ivowaba.webhooks`` logger); the store's error when recording failed
        (then no handler ran); :class:`~ivowaba.WebhookParseError` when ``notification`` does
        not parse.
        """
        if not isinstance(notification, Notification):
            notification = parse(notification)
        if self.outcomes is not None:
            await self._record(self.outcomes, notification)
        items: dict[str, InboundMessage | Status] = {}
        for message in notification.messages:
            items.setdefault(f"message:{message.id}", message)
        for status in notification.statuses:
            items.setdefault(f"status:{status.id}:{status.status}", status)

        claimed: list[str] = []
        failed: set[str] = set()
        errors: list[Exception] = []
        done = False
        try:
            for key in sorted(items):  # one order for every delivery: no two wait on each other
                if await self._claim(key):
                    claimed.append(key)
            if items and not claimed:
                done = True
                return False
            taken = set(claimed)
            fresh = [(key, item) for key, item in items.items() if key in taken]
            for _, item in fresh:  # to whoever waits for it, before (and whatever) the handlers
                if not isinstance(item, Status):
                    await self.replies.publish(item)
            for key, item in fresh:
                for route in self._routes_for(item):
                    if not await self._call(route, item, errors):
                        failed.add(key)
            if self._notification_routes:
                view = notification if len(fresh) == len(items) else _only(notification, fresh)
                for route in self._notification_routes:
                    if not await self._call(route, view, errors):
                        failed.update(claimed)
            done = True
        finally:
            if not done:
                failed.update(claimed)
            with anyio.CancelScope(shield=True):
                for key in claimed:
                    await self._finish(key, ok=key not in failed)
        if errors:
            raise errors[0]
        return True

    async def replay(self, notifications: Iterable[NotificationInput]) -> ReplayResult:
        """Dispatch notifications one after the other, e.g. what
        ``client.webhooks.pull_pending(webhook_id)`` returned, or bodies you kept (of either
        shape), with the same handlers and the same de-duplication as live deliveries,
        recorded in the outcome store as they are. A failing notification (a handler raised,
        recording failed, or it is not a notification) does not stop the others::

            result = await dispatcher.replay(await client.webhooks.pull_pending(hook.id))
            for notification, error in result.failed:
                ...
        """
        result = ReplayResult()
        for given in notifications:
            try:
                notification = given if isinstance(given, Notification) else parse(given)
            except WebhookParseError as exc:
                result.unreadable.append((given, exc))
                continue
            try:
                fresh = await self.dispatch(notification)
            except Exception as exc:
                result.failed.append((notification, exc))
                continue
            if fresh:
                result.handled += 1
            else:
                result.duplicates += 1
        return result

    # -- conversations -----------------------------------------------------------------------

    async def wait_for_reply(
        self,
        wa_id: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the wait's own bound, as templates.wait_for_review
        match: Match = None,
    ) -> InboundMessage:
        """The next message the customer ``wa_id`` sends, once it arrives: a bot asks and
        waits in one function.

        - ``timeout``: seconds to wait at most.
        - ``match``: a message type (``"text"``, ``"interactive"``...) or a function of the
          message, to wait for the next one that matches (others are passed over); ``None``
          (the default): any.

        The wait starts with the call: a message that arrived before is not returned (with
        :meth:`expect_reply`, it starts before you ask). Every message still reaches the
        handlers as usual. Within one process any receiver of this dispatcher answers it;
        across processes (several receivers behind a load balancer), give the dispatcher a
        ``RedisDedupStore``: the receiver that gets the reply publishes it on Redis.
        Raises ``ReplyTimeoutError`` (a ``TimeoutError``) when no message came in time;
        ``ValidationError`` for a ``wa_id``, ``timeout`` or ``match`` that cannot be::

            await client.messages.send_text(wa_id, "Which size, S, M or L?")
            answer = await dispatcher.wait_for_reply(wa_id, timeout=300, match="text")

        Do not wait inside a handler: the gateway's delivery would wait with it, and be
        delivered again. Start the conversation as a task (``asyncio.create_task``) there.
        """
        _validation.seconds(timeout, "timeout")
        async with self.expect_reply(wa_id, match=match) as replies:
            return await replies.wait(timeout=timeout)

    def wait_for_reply_sync(
        self, wa_id: str, *, timeout: float, match: Match = None
    ) -> InboundMessage:
        """:meth:`wait_for_reply` for blocking code (a Django or Flask app, a script, a
        Celery task): the same arguments, result and errors.

        It waits on the dispatcher's own loop thread (``ivowaba-webhooks``, the one that
        ``wsgi_app`` and ``django_view`` dispatch on), from any other thread. A
        ``RedisDedupStore``'s Redis client serves one running loop at a time: where an async
        server (``create_app``, ``asgi_app``) dispatches with this dispatcher, wait on that
        server's loop with ``await wait_for_reply`` instead.
        """
        return _blocking.call(self, self.wait_for_reply, wa_id, timeout=timeout, match=match)

    def expect_reply(
        self, wa_id: str, *, match: Match = None
    ) -> AbstractAsyncContextManager[ReplyWaiter]:
        """Listen to the customer ``wa_id`` from now on, for as long as the block runs: ask
        inside it, and no reply can come before the wait starts. ``await
        replies.wait(timeout=...)`` returns their next message that matches ``match`` (as for
        :meth:`wait_for_reply`), or raises ``ReplyTimeoutError``; each call the next one::

            async with dispatcher.expect_reply(wa_id, match="interactive") as replies:
                await client.messages.send_reply_buttons(wa_id, "Ship today?", buttons)
                answer = await replies.wait(timeout=300)
        """
        return expect_reply(self.replies, wa_id, match)

    # -- recording ---------------------------------------------------------------------------

    async def _record(self, outcomes: OutcomeStore, notification: Notification) -> None:
        """Record every status and message of ``notification``; a failure is logged and
        raised, so that the delivery fails and comes again."""
        try:
            if notification.statuses:
                await outcomes.record_statuses(notification.statuses)
            for message in notification.messages:
                await outcomes.record_inbound(message)
        except Exception:
            logger.exception(
                "recording %s in the outcome store failed; the delivery fails, to come again",
                _describe(notification),
            )
            raise

    def _routes_for(self, item: InboundMessage | Status) -> list[_Route]:
        if isinstance(item, Status):
            return [r for r in self._status_routes if r.match in (None, item.status)]
        kind: str | None = item.type
        if isinstance(item, UnknownMessage) and item.reason is not None:
            kind = None  # a known type whose content is unreadable: typed handlers would break
        return [r for r in self._message_routes if r.match is None or r.match == kind]

    async def _call(self, route: _Route, item: object, errors: list[Exception]) -> bool:
        try:
            if route.is_async:
                await route.handler(item)
            else:
                elsewhere = run_sync_handler.get()  # a blocking server's request thread
                if elsewhere is not None:
                    result = await elsewhere(route.handler, item)
                elif self.sync_in_thread:
                    result = await anyio.to_thread.run_sync(route.handler, item)
                else:
                    result = route.handler(item)
                if inspect.isawaitable(result):
                    await result
        except Exception as exc:
            logger.exception(
                "webhook handler %s failed on %s",
                getattr(route.handler, "__qualname__", repr(route.handler)),
                _describe(item),
            )
            errors.append(exc)
            return False
        return True

    async def _claim(self, key: str) -> bool:
        """Take ``key`` for this delivery: False when it was handled before."""
        while (busy := self._in_flight.get(key)) is not None:
            await busy.wait()
        event = self._in_flight[key] = anyio.Event()
        try:
            added = await self.store.add(key)
        except BaseException:
            self._release(key, event)
            raise
        if not added:
            self._release(key, event)
        return added

    async def _finish(self, key: str, *, ok: bool) -> None:
        event = self._in_flight.get(key)
        try:
            if not ok:
                await self.store.discard(key)
        finally:
            if event is not None:
                self._release(key, event)

    def _release(self, key: str, event: anyio.Event) -> None:
        if self._in_flight.get(key) is event:
            del self._in_flight[key]
        event.set()


def _only(
    notification: Notification, fresh: list[tuple[str, InboundMessage | Status]]
) -> Notification:
    """``notification`` holding only the ``fresh`` messages and statuses."""
    return Notification(
        contacts=notification.contacts,
        messages=[item for _, item in fresh if not isinstance(item, Status)],
        statuses=[item for _, item in fresh if isinstance(item, Status)],
        errors=notification.errors,
        other_changes=notification.other_changes,
    )


def _describe(item: object) -> str:
    """Which item a handler failed on, without its content."""
    if isinstance(item, Status):
        return f"status {item.status} of {item.id}"
    if isinstance(item, Notification):
        return f"a notification of {len(item.messages)} messages, {len(item.statuses)} statuses"
    return f"{getattr(item, 'type', '?')} message {getattr(item, 'id', '?')}"
