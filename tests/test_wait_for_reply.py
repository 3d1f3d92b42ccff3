"""``Dispatcher.wait_for_reply`` and ``expect_reply``: a customer's next message, in this
process (any thread, any loop), from blocking code (``wait_for_reply_sync``), and from another
receiver process sharing a real ``redis-server`` (``RedisDedupStore``'s pub/sub)."""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import ivowaba
from ivowaba.webhooks import (
    Dispatcher,
    InboundImage,
    InboundMessage,
    InboundText,
    ReplyChannel,
    ReplyTimeoutError,
    _blocking,
    parse,
)
from ivowaba.webhooks._replies import ReplyListener, decode_message, encode_message
from tests import _redis_server
from tests._redis_server import RedisServer, unavailable

redis_server = _redis_server.redis_server  # the fixture: a private redis-server

NOTIFICATIONS = Path(__file__).resolve().parent / "fixtures" / "notifications"
CUSTOMER = "628123456789"
BOUND = 10.0  # the most any wait below may take: a hang fails the test instead of stalling it


def text(wa_id: str = CUSTOMER, body: str = "M, please") -> bytes:
    """A notification of one text message, with an id of its own."""
    message = {
        "from": wa_id,
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": "1718000000",
        "type": "text",
        "text": {"body": body},
    }
    return json.dumps({"contacts": [{"wa_id": wa_id}], "messages": [message]}).encode()


def image(wa_id: str = CUSTOMER) -> bytes:
    message = {
        "from": wa_id,
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": "1718000000",
        "type": "image",
        "image": {"id": "media-1", "mime_type": "image/jpeg"},
    }
    return json.dumps({"messages": [message]}).encode()


class Signalling:
    """The dispatcher's reply channel, saying when a wait has started listening."""

    def __init__(self, inner: ReplyChannel) -> None:
        self.inner = inner
        self.listening = threading.Event()

    async def publish(self, message: InboundMessage) -> None:
        await self.inner.publish(message)

    @asynccontextmanager
    async def listen(self, wa_id: str) -> AsyncIterator[ReplyListener]:
        async with self.inner.listen(wa_id) as listener:
            self.listening.set()
            yield listener


def signalling(dispatcher: Dispatcher) -> Signalling:
    channel = dispatcher.replies = Signalling(dispatcher.replies)
    return channel


# -- in one process --------------------------------------------------------------------------


async def test_the_next_message_of_the_customer_ends_the_wait() -> None:
    dispatcher = Dispatcher()
    waiting = asyncio.create_task(dispatcher.wait_for_reply(f"+{CUSTOMER}", timeout=BOUND))
    await asyncio.sleep(0)  # it listens from its first step
    assert await dispatcher.dispatch(text(body="L"))
    reply = await waiting
    assert isinstance(reply, InboundText)
    assert (reply.from_, reply.text.body) == (CUSTOMER, "L")


async def test_expect_reply_listens_before_the_question_is_asked() -> None:
    dispatcher = Dispatcher()
    async with dispatcher.expect_reply(CUSTOMER) as replies:
        await dispatcher.dispatch(text(body="first"))  # before anyone waits
        await dispatcher.dispatch(text(body="second"))
        first = await replies.wait(timeout=BOUND)
        second = await replies.wait(timeout=BOUND)
    assert [first.text.body, second.text.body] == ["first", "second"]  # type: ignore[union-attr]


async def test_no_reply_in_time_is_a_reply_timeout_error() -> None:
    dispatcher = Dispatcher()
    await dispatcher.dispatch(text())  # before the wait: not its reply
    with pytest.raises(ReplyTimeoutError) as caught:
        await dispatcher.wait_for_reply(CUSTOMER, timeout=0.01)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert isinstance(error, ivowaba.WebhookError)
    assert (error.wa_id, error.timeout) == (CUSTOMER, 0.01)
    assert str(error) == f"no reply from {CUSTOMER} within 0.01 s"


async def test_only_the_customer_and_what_matches_end_the_wait() -> None:
    dispatcher = Dispatcher()
    async with (
        dispatcher.expect_reply(CUSTOMER, match="text") as texts,
        dispatcher.expect_reply(CUSTOMER, match=lambda m: m.type == "image") as images,
    ):
        await dispatcher.dispatch(text(wa_id="628999999999", body="someone else"))
        await dispatcher.dispatch(image())
        await dispatcher.dispatch(text(body="mine"))
        got_text = await texts.wait(timeout=BOUND)
        got_image = await images.wait(timeout=BOUND)
        with pytest.raises(ReplyTimeoutError):
            await images.wait(timeout=0.01)  # the texts were passed over
    assert isinstance(got_text, InboundText)
    assert got_text.text.body == "mine"
    assert isinstance(got_image, InboundImage)


async def test_a_duplicate_delivery_is_not_a_second_reply() -> None:
    dispatcher = Dispatcher()
    body = text()
    async with dispatcher.expect_reply(CUSTOMER) as replies:
        assert await dispatcher.dispatch(body)
        assert not await dispatcher.dispatch(body)
        await replies.wait(timeout=BOUND)
        with pytest.raises(ReplyTimeoutError):
            await replies.wait(timeout=0.01)


async def test_every_message_still_reaches_the_handlers() -> None:
    dispatcher = Dispatcher()
    handled: list[str] = []
    dispatcher.on_message("text")(lambda m: handled.append(m.id))
    async with dispatcher.expect_reply(CUSTOMER) as replies:
        await dispatcher.dispatch(text())
        reply = await replies.wait(timeout=BOUND)
    assert handled == [reply.id]


async def test_a_handler_starts_a_conversation_that_the_next_delivery_answers() -> None:
    dispatcher = Dispatcher()
    conversations: list[asyncio.Task[InboundMessage]] = []

    @dispatcher.on_message("text")
    async def on_text(message: InboundText) -> None:
        if message.text.body == "order":  # ask (a send would go here), answer the delivery
            ask = dispatcher.wait_for_reply(message.from_, timeout=BOUND, match="text")
            conversations.append(asyncio.create_task(ask))
            await asyncio.sleep(0)  # the task listens from its first step

    assert await dispatcher.dispatch(text(body="order"))
    assert await dispatcher.dispatch(text(body="size M"))
    (conversation,) = conversations
    answer = await conversation
    assert answer.text.body == "size M"  # type: ignore[union-attr]


async def test_a_failed_publish_fails_the_delivery_and_leaves_it_unhandled() -> None:
    dispatcher = Dispatcher()
    handled: list[str] = []
    dispatcher.on_message()(lambda m: handled.append(m.id))
    working = dispatcher.replies

    class Down:
        async def publish(self, message: InboundMessage) -> None:
            raise ConnectionError("redis is down")

    dispatcher.replies = Down()  # type: ignore[assignment]
    body = text()
    with pytest.raises(ConnectionError):
        await dispatcher.dispatch(body)
    assert handled == []
    dispatcher.replies = working
    assert await dispatcher.dispatch(body)  # the gateway's retry: handled now
    assert len(handled) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"wa_id": "not a number", "timeout": 1}, "wa_id"),
        ({"wa_id": CUSTOMER, "timeout": 0}, "timeout"),
        ({"wa_id": CUSTOMER, "timeout": -1}, "timeout"),
        ({"wa_id": CUSTOMER, "timeout": "5"}, "timeout"),
        ({"wa_id": CUSTOMER, "timeout": 1, "match": 5}, "match"),
    ],
)
async def test_arguments_that_cannot_be_are_validation_errors(
    kwargs: dict[str, Any], field: str
) -> None:
    dispatcher = Dispatcher()
    with pytest.raises(ivowaba.ValidationError) as caught:
        await dispatcher.wait_for_reply(**kwargs)
    assert caught.value.field == field


def test_every_kind_of_message_crosses_the_wire_unchanged() -> None:
    messages = [
        message
        for path in sorted(NOTIFICATIONS.glob("*.json"))
        for message in parse(path.read_bytes()).messages
    ]
    kinds = {type(message).__name__ for message in messages}
    assert {"InboundText", "InboundImage", "InboundInteractive", "UnknownMessage"} <= kinds
    for message in messages:
        assert decode_message(encode_message(message)) == message


# -- from blocking code ------------------------------------------------------------------------


def test_the_blocking_face_is_answered_by_a_delivery_on_another_loop() -> None:
    dispatcher = Dispatcher()
    channel = signalling(dispatcher)
    got: list[InboundMessage] = []
    waiter = threading.Thread(
        target=lambda: got.append(dispatcher.wait_for_reply_sync(CUSTOMER, timeout=BOUND))
    )
    waiter.start()
    try:
        assert channel.listening.wait(BOUND)
        assert asyncio.run(dispatcher.dispatch(text(body="from another loop")))
    finally:
        waiter.join(BOUND)
        _blocking.close(dispatcher)
    assert [m.text.body for m in got] == ["from another loop"]  # type: ignore[union-attr]


def test_the_blocking_face_raises_the_same_timeout() -> None:
    dispatcher = Dispatcher()
    try:
        with pytest.raises(ReplyTimeoutError):
            dispatcher.wait_for_reply_sync(CUSTOMER, timeout=0.01)
        with pytest.raises(ivowaba.ValidationError):
            dispatcher.wait_for_reply_sync(CUSTOMER, timeout=0)
    finally:
        _blocking.close(dispatcher)


# -- across processes, through redis-server ----------------------------------------------------

try:
    from redis.asyncio import Redis

    from ivowaba.contrib.redis import RedisDedupStore
except ImportError as missing:  # pragma: no cover - the test extra installs redis
    Redis = None  # type: ignore[assignment, misc]
    MISSING = str(missing)

SECOND_RECEIVER = """
import asyncio, sys
from aiohttp import web
from redis.asyncio import Redis
from ivowaba.contrib.redis import RedisDedupStore
from ivowaba.webhooks import Dispatcher, create_app

async def main(url, prefix):
    dispatcher = Dispatcher(store=RedisDedupStore(Redis.from_url(url), prefix=prefix))
    runner = web.AppRunner(create_app(dispatcher))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    await runner.cleanup()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


class SecondReceiver:
    def __init__(self, port: int, prefix: str) -> None:
        self.port, self.prefix = port, prefix

    def deliver(self, body: bytes) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=BOUND)
        try:
            connection.request("POST", "/webhook", body=body)
            return connection.getresponse().status
        finally:
            connection.close()


def needs_redis_py() -> None:
    if Redis is None:
        unavailable(f"redis-py is not installed ({MISSING}): pip install -e '.[test]'")


@pytest.fixture(scope="module")
def second_receiver(redis_server: RedisServer) -> Iterator[SecondReceiver]:
    """Another process receiving webhooks, its dispatcher on the same Redis store."""
    needs_redis_py()
    prefix = f"test:replies:{uuid.uuid4().hex}:"
    process = subprocess.Popen(
        [sys.executable, "-c", SECOND_RECEIVER, redis_server.url(), prefix],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        line = process.stdout.readline()  # its port, once it listens
        if not line:
            pytest.fail(f"the second receiver did not start: {process.communicate()[1]!r}")
        yield SecondReceiver(int(line), prefix)
    finally:
        process.terminate()  # (were this test process to die, its stdin closing ends it)
        try:
            process.wait(BOUND)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            for stream in (process.stdin, process.stdout, process.stderr):
                stream.close()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Any]:
    needs_redis_py()
    client = Redis.from_url(redis_server.url())
    yield client
    await client.aclose()


async def test_a_reply_received_by_another_process_ends_the_wait(
    second_receiver: SecondReceiver, redis: Any
) -> None:
    dispatcher = Dispatcher(store=RedisDedupStore(redis, prefix=second_receiver.prefix))
    body = text(body="L, thanks")
    async with dispatcher.expect_reply(CUSTOMER, match="text") as replies:
        assert await asyncio.to_thread(second_receiver.deliver, image()) == 200
        assert await asyncio.to_thread(second_receiver.deliver, body) == 200
        reply = await replies.wait(timeout=BOUND)
        assert isinstance(reply, InboundText)
        assert (reply.from_, reply.text.body) == (CUSTOMER, "L, thanks")
        # the same delivery reaching this process too: a duplicate, not a second reply
        assert not await dispatcher.dispatch(body)
        with pytest.raises(ReplyTimeoutError):
            await replies.wait(timeout=0.05)


async def test_wait_for_reply_is_answered_by_another_process(
    second_receiver: SecondReceiver, redis: Any
) -> None:
    dispatcher = Dispatcher(store=RedisDedupStore(redis, prefix=second_receiver.prefix))
    channel = signalling(dispatcher)
    waiting = asyncio.create_task(dispatcher.wait_for_reply(CUSTOMER, timeout=BOUND))
    assert await asyncio.to_thread(channel.listening.wait, BOUND)
    assert await asyncio.to_thread(second_receiver.deliver, text(body="S")) == 200
    reply = await waiting
    assert reply.text.body == "S"  # type: ignore[union-attr]


def test_the_blocking_face_is_answered_by_another_process(
    second_receiver: SecondReceiver, redis_server: RedisServer
) -> None:
    redis = Redis.from_url(redis_server.url())  # used on the dispatcher's own loop only
    dispatcher = Dispatcher(store=RedisDedupStore(redis, prefix=second_receiver.prefix))
    channel = signalling(dispatcher)
    got: list[InboundMessage] = []
    waiter = threading.Thread(
        target=lambda: got.append(dispatcher.wait_for_reply_sync(CUSTOMER, timeout=BOUND))
    )
    waiter.start()
    try:
        assert channel.listening.wait(BOUND)
        assert second_receiver.deliver(text(body="XL")) == 200
    finally:
        waiter.join(BOUND)
        _blocking.close(dispatcher)  # its loop ends: the connections it opened are closed
    assert [m.text.body for m in got] == ["XL"]  # type: ignore[union-attr]


async def test_what_is_not_an_inbound_message_on_the_channel_is_passed_over(
    redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisDedupStore(redis, prefix=f"test:replies:{uuid.uuid4().hex}:")
    dispatcher = Dispatcher(store=store)
    async with dispatcher.expect_reply(CUSTOMER) as replies:
        await redis.publish(store.replies.prefix + CUSTOMER, b"not a message")
        await redis.publish(store.replies.prefix + CUSTOMER, b"InboundText\n{}")
        assert await dispatcher.dispatch(text(body="the real one"))
        reply = await replies.wait(timeout=BOUND)
    assert reply.text.body == "the real one"  # type: ignore[union-attr]
    assert caplog.text.count("is not an inbound message: ignored") == 2
