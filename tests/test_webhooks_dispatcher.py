"""``Dispatcher``: routing, de-duplication, failures, replay; ``MemoryDedupStore``."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from ivowaba import WebhookParseError
from ivowaba.webhooks import (
    Dispatcher,
    InboundImage,
    InboundText,
    MemoryDedupStore,
    Notification,
    Status,
    UnknownMessage,
    parse,
)

NOTIFICATIONS = Path(__file__).resolve().parent / "fixtures" / "notifications"


def load(name: str) -> Notification:
    return parse((NOTIFICATIONS / f"{name}.json").read_bytes())


def text(message_id: str, body: str = "hi") -> Notification:
    return parse(
        {
            "messages": [
                {
                    "from": "628123456789",
                    "id": message_id,
                    "timestamp": "1700000000",
                    "type": "text",
                    "text": {"body": body},
                }
            ]
        }
    )


def status(message_id: str, value: str) -> Notification:
    return parse(
        {
            "statuses": [
                {"id": message_id, "status": value, "timestamp": "1700000000", "recipient_id": "62"}
            ]
        }
    )


# -- routing ---------------------------------------------------------------------------------


async def test_message_handlers_get_typed_messages_of_their_type() -> None:
    dispatcher = Dispatcher()
    texts: list[InboundText] = []
    images: list[InboundImage] = []
    everything: list[Any] = []

    @dispatcher.on_message("text")
    async def on_text(message: InboundText) -> None:
        texts.append(message)

    @dispatcher.on_message("image")
    async def on_image(message: InboundImage) -> None:
        images.append(message)

    @dispatcher.on_message()
    async def on_any(message: Any) -> None:
        everything.append(message)

    assert await dispatcher.dispatch(load("wa_batch")) is True
    assert [m.text.body for m in texts] == ["first"]
    assert [m.image.id for m in images] == ["b1c68f38-8734-4ad3-b4a1-ef0c10d683"]
    assert [m.id for m in everything] == ["wamid.batch-1", "wamid.batch-2"]


async def test_status_handlers_filter_on_status() -> None:
    dispatcher = Dispatcher()
    failed: list[Status] = []
    every: list[str] = []

    @dispatcher.on_status("failed")
    async def on_failed(s: Status) -> None:
        failed.append(s)

    @dispatcher.on_status()
    async def on_any(s: Status) -> None:
        every.append(s.status)

    await dispatcher.dispatch(load("ref_status_sent"))
    await dispatcher.dispatch(load("ref_status_failed_480"))
    assert [s.errors[0].code for s in failed] == [480]
    assert failed[0].is_retryable_failure
    assert every == ["sent", "failed"]


async def test_handlers_run_in_the_order_registered() -> None:
    dispatcher = Dispatcher()
    order: list[str] = []
    dispatcher.on_message()(lambda m: order.append("any-1"))
    dispatcher.on_message("text")(lambda m: order.append("text"))
    dispatcher.on_message()(lambda m: order.append("any-2"))
    await dispatcher.dispatch(text("a"))
    assert order == ["any-1", "text", "any-2"]


async def test_notification_handlers_get_the_whole_notification() -> None:
    dispatcher = Dispatcher()
    seen: list[Notification] = []
    dispatcher.on_notification()(seen.append)
    notification = load("ref_text")
    await dispatcher.dispatch(notification)
    assert seen == [notification]
    assert seen[0].contacts[0].profile is not None


async def test_gateway_errors_reach_notification_handlers() -> None:
    dispatcher = Dispatcher()
    seen: list[int] = []
    dispatcher.on_notification()(lambda n: seen.append(n.errors[0].code))
    assert await dispatcher.dispatch(load("wa_gateway_error")) is True
    assert seen == [1014]


async def test_a_new_type_reaches_the_handlers_of_that_type_as_unknown_message() -> None:
    dispatcher = Dispatcher()
    polls: list[UnknownMessage] = []
    dispatcher.on_message("poll")(polls.append)
    await dispatcher.dispatch(load("wa_future_type"))
    assert polls[0].raw["poll"]["question"] == "Lunch?"


async def test_an_unreadable_known_type_reaches_only_catch_all_handlers() -> None:
    dispatcher = Dispatcher()
    typed: list[Any] = []
    caught: list[Any] = []
    dispatcher.on_message("text")(typed.append)
    dispatcher.on_message()(caught.append)
    body = json.loads((NOTIFICATIONS / "ref_text.json").read_bytes())
    body["messages"][0]["text"] = "not an object"
    await dispatcher.dispatch(body)
    assert typed == []
    assert isinstance(caught[0], UnknownMessage)
    assert caught[0].reason is not None


async def test_sync_handlers_run_in_a_worker_thread_unless_told_not_to() -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []
    threaded = Dispatcher()
    threaded.on_message()(lambda m: threads.append(threading.get_ident()))
    await threaded.dispatch(text("a"))
    inline = Dispatcher(sync_in_thread=False)
    inline.on_message()(lambda m: threads.append(threading.get_ident()))
    await inline.dispatch(text("a"))
    assert threads[0] != loop_thread
    assert threads[1] == loop_thread


async def test_a_sync_handler_returning_an_awaitable_is_awaited() -> None:
    dispatcher = Dispatcher()
    done: list[str] = []

    async def later(message: InboundText) -> None:
        done.append(message.id)

    dispatcher.on_message("text")(lambda m: later(m))
    await dispatcher.dispatch(text("a"))
    assert done == ["a"]


async def test_dispatch_parses_bodies_and_raises_parse_errors() -> None:
    dispatcher = Dispatcher()
    got: list[str] = []
    dispatcher.on_message("text")(lambda m: got.append(m.text.body))
    await dispatcher.dispatch((NOTIFICATIONS / "ref_text.json").read_bytes())
    assert got == ["Hello this is an answer"]
    with pytest.raises(WebhookParseError):
        await dispatcher.dispatch(b"<html>")


def test_decorators_need_parentheses() -> None:
    dispatcher = Dispatcher()
    with pytest.raises(TypeError, match="parentheses"):

        @dispatcher.on_message  # type: ignore[arg-type]
        def handler(message: Any) -> None: ...


# -- de-duplication --------------------------------------------------------------------------


async def test_the_same_notification_twice_runs_handlers_once() -> None:
    dispatcher = Dispatcher()
    calls: list[str] = []
    dispatcher.on_message("text")(lambda m: calls.append(m.id))
    dispatcher.on_status()(lambda s: calls.append(s.status))
    notifications: list[Any] = [load("wa_batch"), load("wa_batch"), load("wa_batch")]
    assert [await dispatcher.dispatch(n) for n in notifications] == [True, False, False]
    assert calls == ["wamid.batch-1", "delivered"]


async def test_each_status_of_a_message_is_handled_once() -> None:
    dispatcher = Dispatcher()
    calls: list[str] = []
    dispatcher.on_status()(lambda s: calls.append(s.status))
    for value in ["sent", "delivered", "sent", "read", "delivered", "read"]:
        await dispatcher.dispatch(status("wamid.1", value))
    assert calls == ["sent", "delivered", "read"]


async def test_the_same_message_twice_in_one_notification_is_handled_once() -> None:
    dispatcher = Dispatcher()
    calls: list[str] = []
    dispatcher.on_message()(lambda m: calls.append(m.id))
    once = text("a")
    await dispatcher.dispatch(Notification(messages=once.messages * 2))
    assert calls == ["a"]


async def test_notification_handlers_see_only_what_is_new_and_nothing_for_duplicates() -> None:
    dispatcher = Dispatcher()
    seen: list[list[str]] = []
    dispatcher.on_notification()(lambda n: seen.append([m.id for m in n.messages]))
    await dispatcher.dispatch(text("a"))
    both = Notification(messages=[*text("a").messages, *text("b").messages])
    await dispatcher.dispatch(both)
    await dispatcher.dispatch(both)
    assert seen == [["a"], ["b"]]


async def test_a_shared_store_deduplicates_across_receivers() -> None:
    store = MemoryDedupStore()
    first, second = Dispatcher(store=store), Dispatcher(store=store)
    calls: list[str] = []
    first.on_message()(lambda m: calls.append("first"))
    second.on_message()(lambda m: calls.append("second"))
    await first.dispatch(text("a"))
    await second.dispatch(text("a"))
    await second.dispatch(text("b"))
    assert calls == ["first", "second"]


async def test_a_custom_store_is_used() -> None:
    class Recording:
        def __init__(self) -> None:
            self.keys: set[str] = set()
            self.log: list[tuple[str, str]] = []

        async def add(self, key: str) -> bool:
            self.log.append(("add", key))
            if key in self.keys:
                return False
            self.keys.add(key)
            return True

        async def discard(self, key: str) -> None:
            self.log.append(("discard", key))
            self.keys.discard(key)

    store = Recording()
    dispatcher = Dispatcher(store=store)
    dispatcher.on_message()(lambda m: None)
    await dispatcher.dispatch(text("a"))
    await dispatcher.dispatch(status("a", "read"))
    await dispatcher.dispatch(text("a"))
    assert store.log == [
        ("add", "message:a"),
        ("add", "status:a:read"),
        ("add", "message:a"),
    ]


# -- failures --------------------------------------------------------------------------------


async def test_a_failing_handler_raises_and_the_next_delivery_runs_it_again() -> None:
    dispatcher = Dispatcher()
    attempts: list[str] = []

    @dispatcher.on_message("text")
    async def flaky(message: InboundText) -> None:
        attempts.append(message.id)
        if len(attempts) == 1:
            raise RuntimeError("database down")

    with pytest.raises(RuntimeError, match="database down"):
        await dispatcher.dispatch(text("a"))
    assert await dispatcher.dispatch(text("a")) is True
    assert await dispatcher.dispatch(text("a")) is False
    assert attempts == ["a", "a"]


async def test_every_handler_runs_even_when_one_fails_and_only_the_failed_item_is_retried() -> None:
    dispatcher = Dispatcher()
    calls: list[str] = []

    @dispatcher.on_message()
    def handler(message: Any) -> None:
        calls.append(message.id)
        if message.id == "wamid.batch-1" and calls.count(message.id) == 1:
            raise ValueError("first fails once")

    @dispatcher.on_status()
    def on_status(s: Status) -> None:
        calls.append(s.status)

    with pytest.raises(ValueError, match="first fails once"):
        await dispatcher.dispatch(load("wa_batch"))
    assert calls == ["wamid.batch-1", "wamid.batch-2", "delivered"]
    await dispatcher.dispatch(load("wa_batch"))
    assert calls[3:] == ["wamid.batch-1"]


async def test_a_failing_notification_handler_leaves_the_whole_notification_unhandled() -> None:
    dispatcher = Dispatcher()
    messages: list[str] = []
    failures = [RuntimeError("once")]
    dispatcher.on_message()(lambda m: messages.append(m.id))

    @dispatcher.on_notification()
    def whole(n: Notification) -> None:
        if failures:
            raise failures.pop()

    with pytest.raises(RuntimeError):
        await dispatcher.dispatch(load("wa_batch"))
    await dispatcher.dispatch(load("wa_batch"))
    assert messages == ["wamid.batch-1", "wamid.batch-2"] * 2


async def test_a_failure_is_logged_without_the_message_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.on_message("text")
    def explode(message: InboundText) -> None:
        raise KeyError("boom")

    with caplog.at_level(logging.ERROR, logger="ivowaba.webhooks"), pytest.raises(KeyError):
        await dispatcher.dispatch(text("wamid.secret", body="my card number is 4111"))
    (record,) = caplog.records
    assert "explode" in record.getMessage()
    assert "wamid.secret" in record.getMessage()
    assert "4111" not in record.getMessage()
    assert record.exc_info is not None


async def test_a_cancelled_delivery_is_not_marked_handled() -> None:
    dispatcher = Dispatcher()
    started = asyncio.Event()
    calls: list[str] = []

    @dispatcher.on_message()
    async def slow(message: Any) -> None:
        calls.append(message.id)
        started.set()
        await asyncio.sleep(3600)

    for _ in range(2):
        started.clear()
        task = asyncio.create_task(dispatcher.dispatch(text("a")))
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert calls == ["a", "a"]
    assert dispatcher._in_flight == {}


# -- concurrent deliveries of the same item --------------------------------------------------


async def test_a_concurrent_duplicate_waits_and_is_dropped_when_the_first_succeeds() -> None:
    dispatcher = Dispatcher()
    release = asyncio.Event()
    calls: list[str] = []

    @dispatcher.on_message()
    async def handler(message: Any) -> None:
        calls.append(message.id)
        await release.wait()

    first = asyncio.create_task(dispatcher.dispatch(text("a")))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(dispatcher.dispatch(text("a")))
    await asyncio.sleep(0.01)
    assert not second.done()  # waits for the first
    release.set()
    assert await first is True
    assert await second is False
    assert calls == ["a"]


async def test_a_concurrent_duplicate_runs_the_handler_when_the_first_fails() -> None:
    dispatcher = Dispatcher()
    release = asyncio.Event()
    calls: list[str] = []

    @dispatcher.on_message()
    async def handler(message: Any) -> None:
        calls.append(message.id)
        if len(calls) == 1:
            await release.wait()
            raise RuntimeError("first attempt fails")

    first = asyncio.create_task(dispatcher.dispatch(text("a")))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(dispatcher.dispatch(text("a")))
    await asyncio.sleep(0.01)
    release.set()
    with pytest.raises(RuntimeError):
        await first
    assert await second is True
    assert calls == ["a", "a"]


class NetworkStore(MemoryDedupStore):
    """A store that takes a moment to answer, as a shared one over the network does."""

    async def add(self, key: str) -> bool:
        await asyncio.sleep(0.01)
        return await super().add(key)


async def test_overlapping_notifications_in_opposite_orders_do_not_deadlock() -> None:
    dispatcher = Dispatcher(store=NetworkStore())
    calls: list[str] = []

    @dispatcher.on_message()
    async def handler(message: Any) -> None:
        calls.append(message.id)
        await asyncio.sleep(0.01)

    ab = Notification(messages=[*text("a").messages, *text("b").messages])
    ba = Notification(messages=[*text("b").messages, *text("a").messages])
    results = await asyncio.wait_for(
        asyncio.gather(dispatcher.dispatch(ab), dispatcher.dispatch(ba)), timeout=5
    )
    assert sorted(results) == [False, True]
    assert sorted(calls) == ["a", "b"]


# -- replay ----------------------------------------------------------------------------------


async def test_replay_handles_each_once_and_reports() -> None:
    dispatcher = Dispatcher()
    calls: list[str] = []

    @dispatcher.on_message()
    def handler(message: Any) -> None:
        if message.id == "bad":
            raise RuntimeError("cannot")
        calls.append(message.id)

    await dispatcher.dispatch(text("live"))  # delivered live before the outage
    pending = [text("live"), text("a"), text("bad"), text("b"), text("a")]
    result = await dispatcher.replay(pending)
    assert calls == ["live", "a", "b"]
    assert (result.handled, result.duplicates) == (2, 2)
    assert not result.ok
    ((notification, error),) = result.failed
    assert notification is pending[2]
    assert isinstance(error, RuntimeError)
    again = await dispatcher.replay([text("bad")])
    assert len(again.failed) == 1  # still not marked handled


async def test_replay_of_nothing() -> None:
    result = await Dispatcher().replay([])
    assert (result.handled, result.duplicates, result.failed, result.ok) == (0, 0, [], True)


# -- the in-memory store ---------------------------------------------------------------------


async def test_memory_store_is_bounded_in_size() -> None:
    store = MemoryDedupStore(max_keys=3)
    assert [await store.add(k) for k in "abcd"] == [True] * 4
    assert len(store) == 3
    assert "a" not in store
    assert await store.add("d") is False
    assert await store.add("a") is True  # forgotten: the oldest went first


async def test_memory_store_forgets_after_ttl() -> None:
    now = [1000.0]
    store = MemoryDedupStore(ttl=60, clock=lambda: now[0])
    assert await store.add("a") is True
    now[0] += 30
    assert await store.add("b") is True
    assert await store.add("a") is False
    now[0] += 31
    assert "a" not in store
    assert "b" in store
    assert await store.add("a") is True
    assert len(store) == 2


async def test_memory_store_discard() -> None:
    store = MemoryDedupStore()
    await store.add("a")
    await store.discard("a")
    await store.discard("never added")
    assert await store.add("a") is True


@pytest.mark.parametrize("kwargs", [{"max_keys": 0}, {"ttl": 0}])
def test_memory_store_rejects_nonsense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        MemoryDedupStore(**kwargs)


async def test_memory_stays_bounded_however_long_it_runs() -> None:
    store = MemoryDedupStore(max_keys=500)
    dispatcher = Dispatcher(store=store, sync_in_thread=False)
    handled = []
    dispatcher.on_message()(lambda m: handled.append(1))
    dispatcher.on_status()(lambda s: handled.append(1))
    for i in range(5_000):
        await dispatcher.dispatch(text(f"m{i}"))
        await dispatcher.dispatch(status(f"m{i}", "read"))
    assert len(handled) == 10_000
    assert len(store) == 500
    assert dispatcher._in_flight == {}
