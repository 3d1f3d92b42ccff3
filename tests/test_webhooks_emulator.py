"""End to end with the emulator: a send's statuses reach a ``Dispatcher`` through either
receiver, and what was held while the receiver was down is recovered with ``pull_pending`` +
``replay``, each notification handled once."""

from __future__ import annotations

import socket
from typing import Any

import msgspec
import pytest

import ivowaba
from ivowaba.testing import Emulator
from ivowaba.webhooks import Dispatcher, InboundText, Notification, Status
from tests.test_webhooks_receiver import PASSWORD, USER, Serve, serve_aiohttp, serve_asgi

TO = "628123456789"


@pytest.fixture(params=["aiohttp", "asgi"])
def serve(request: pytest.FixtureRequest) -> Serve:
    return serve_aiohttp if request.param == "aiohttp" else serve_asgi


def dead_url() -> str:
    """A URL where nothing listens: the receiver is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


async def test_a_send_produces_sent_delivered_read_that_reach_the_handlers(serve: Serve) -> None:
    dispatcher = Dispatcher()
    seen: list[Status] = []
    dispatcher.on_status()(seen.append)
    async with serve(dispatcher, username=USER, password=PASSWORD) as url:
        emulator = Emulator(webhook_url=url, webhook_username=USER, webhook_password=PASSWORD)
        async with emulator as emu:
            async with ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
                sent = await client.messages.send_text(TO, "hello")
            await emu.wait_delivered()
            assert emu.pending == []
            assert {attempt.status for attempt in emu.delivery_attempts} == {200}
    assert [(s.id, s.status) for s in seen] == [
        (sent.id, "sent"),
        (sent.id, "delivered"),
        (sent.id, "read"),
    ]
    assert all(s.recipient_id == TO for s in seen)
    assert seen[0].conversation is not None
    assert seen[0].pricing is not None


async def test_wrong_credentials_never_reach_the_handlers(serve: Serve) -> None:
    dispatcher = Dispatcher()
    seen: list[Any] = []
    dispatcher.on_status()(seen.append)
    async with serve(dispatcher, username=USER, password=PASSWORD) as url:
        emulator = Emulator(webhook_url=url, webhook_username=USER, webhook_password="stale")
        async with emulator as emu:
            async with ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
                await client.messages.send_text(TO, "hello")
            await emu.wait_delivered()
            assert {attempt.status for attempt in emu.delivery_attempts} == {401}
            assert len(emu.pending) == 3  # sent, delivered, read: held for pull_pending
    assert seen == []


async def test_what_was_held_while_the_receiver_was_down_is_recovered_once(serve: Serve) -> None:
    dispatcher = Dispatcher()
    handled: list[tuple[str, str]] = []
    broken = [True]

    @dispatcher.on_status()
    def on_status(status: Status) -> None:
        handled.append((status.id, status.status))

    @dispatcher.on_message("text")
    def on_text(message: InboundText) -> None:
        if broken[0] and message.text.body == "are you there?":
            raise RuntimeError("the database is down")
        handled.append((message.id, message.text.body))

    async with serve(dispatcher, username=USER, password=PASSWORD) as url:
        emulator = Emulator(
            webhook_url=url,
            webhook_username=USER,
            webhook_password=PASSWORD,
            delivery_backoff=0.01,
        )
        async with emulator as emu:
            client = ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url)
            async with client:
                # Up: delivered live.
                first = await client.messages.send_text(TO, "first")
                await emu.wait_delivered()
                # A handler fails on every attempt: answered 500, held, not marked handled.
                question = emu.inbound_text(TO, "are you there?")["messages"][0]["id"]
                await emu.wait_delivered()
                # Down: nothing listens.
                emu.set_webhook(dead_url(), USER, PASSWORD)
                second = await client.messages.send_text(TO, "second")
                hello = emu.inbound_text(TO, "hello?")["messages"][0]["id"]
                await emu.wait_delivered()
                assert len(emu.pending) == 5  # the question, second's 3 statuses, hello?
                # Back up, handlers fixed: recover.
                emu.set_webhook(url, USER, PASSWORD)
                broken[0] = False
                (webhook,) = await client.webhooks.list()
                pending = await client.webhooks.pull_pending(webhook.id)
                assert all(isinstance(n, Notification) for n in pending)
                assert len(pending) == 5
                assert emu.pending == []
                result = await dispatcher.replay(pending)
                assert (result.handled, result.duplicates, result.failed) == (5, 0, [])
                # The same batch again (a second recovery run): every one is a duplicate.
                again = await dispatcher.replay(pending)
                assert (again.handled, again.duplicates) == (0, 5)
                # A live redelivery of something recovered is dropped too.
                emu.notify(msgspec.to_builtins(pending[-1]))
                await emu.wait_delivered()

    statuses = ["sent", "delivered", "read"]
    assert handled[:3] == [(first.id, s) for s in statuses]  # live, in order
    # Recovered: each exactly once (the gateway holds them in the order their deliveries
    # gave up, which interleaves concurrent sequences).
    assert sorted(handled[3:]) == sorted(
        [(question, "are you there?"), *((second.id, s) for s in statuses), (hello, "hello?")]
    )
