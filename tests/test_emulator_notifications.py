"""Notifications: the status lifecycle of each send and a customer's messages, delivered to a
real webhook receiver with basic auth, retried, held and pulled as the reference describes."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from ivowaba.testing import Emulator, _notifications

USER, PASSWORD = "hook-user", "hook-pass"
EXPECTED_AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


class Receiver:
    """A webhook endpoint on 127.0.0.1 that fails the first ``failures`` attempts of each
    notification (answering ``failure_status``), then accepts it."""

    def __init__(self, failures: int = 0, failure_status: int = 500) -> None:
        self.failures = failures
        self.failure_status = failure_status
        self.attempts: Counter[str] = Counter()
        self.accepted: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.authorizations.append(request.headers.get("Authorization"))
        self.attempts[raw.decode()] += 1
        if self.attempts[raw.decode()] <= self.failures:
            return web.Response(status=self.failure_status, text="not now")
        self.accepted.append(json.loads(raw))
        return web.Response(status=200, text="ok")

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


async def send_text(emu: Emulator, wa_id: str = "628123456789", **body: Any) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            emu.base_url + "/api/v1/messages/send-text-message",
            headers={"X-API-KEY": emu.api_key},
            json={"wa_id": wa_id, "text": "hello", **body},
        ) as response,
    ):
        assert response.status == 200
        answer = await response.json()
        message_id: str = answer["messages"][0]["id"]
        return message_id


async def pull(emu: Emulator, webhook_id: str = "6098c0f34dae5677e2636a5c") -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{emu.base_url}/api/v1/webhooks/{webhook_id}/pull-pending-notifications",
            headers={"X-API-KEY": emu.api_key},
        ) as response,
    ):
        assert response.status == 200
        return await response.json()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as receiver:
        yield receiver


def fast_emulator(url: str | None) -> Emulator:
    return Emulator(
        webhook_url=url,
        webhook_username=USER,
        webhook_password=PASSWORD,
        delivery_delay=0,
        delivery_backoff=0.01,
    )


# -- the status lifecycle ------------------------------------------------------------------


async def test_send_is_followed_by_sent_delivered_read(receiver: Receiver) -> None:
    async with fast_emulator(receiver.url) as emu:
        message_id = await send_text(emu)
        await emu.wait_delivered()

    statuses = [n["statuses"][0] for n in receiver.accepted]
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert {s["id"] for s in statuses} == {message_id}
    assert {s["recipient_id"] for s in statuses} == {"628123456789"}
    sent, delivered, read = statuses
    assert set(sent) == {
        "id",
        "recipient_id",
        "status",
        "type",
        "timestamp",
        "conversation",
        "pricing",
    }
    assert sent["type"] == "message"
    assert sent["timestamp"].isdigit()
    assert sent["pricing"] == {"billable": True, "category": "service", "pricing_model": "CBP"}
    assert sent["conversation"]["origin"] == {"type": "service"}
    assert delivered["conversation"] == sent["conversation"]
    assert set(read) == {"id", "recipient_id", "status", "type", "timestamp"}
    assert receiver.authorizations == [EXPECTED_AUTH] * 3
    assert emu.delivered == receiver.accepted
    assert emu.pending == []


async def test_template_send_is_priced_in_the_templates_category(receiver: Receiver) -> None:
    async with fast_emulator(receiver.url) as emu:
        emu.add_template("promo", category_id="MARKETING")
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                emu.base_url + "/api/v1/messages/send-template-message",
                headers={"X-API-KEY": emu.api_key},
                json={
                    "wa_id": "628123456789",
                    "template_id": "promo",
                    "components": [{"type": "body"}],
                },
            ) as response,
        ):
            assert response.status == 200
        await emu.wait_delivered()

    sent = receiver.accepted[0]["statuses"][0]
    assert sent["pricing"]["category"] == "marketing"
    assert sent["conversation"]["origin"]["type"] == "marketing"


@pytest.mark.parametrize("code", [470, 480])
async def test_failing_number_gets_one_failed_status(receiver: Receiver, code: int) -> None:
    async with fast_emulator(receiver.url) as emu:
        emu.mark_failing("+62 812-0000-0000", code=code)
        message_id = await send_text(emu, wa_id="6281200000000")
        await emu.wait_delivered()

    (notification,) = receiver.accepted
    (status,) = notification["statuses"]
    assert status["status"] == "failed"
    assert status["id"] == message_id
    assert status["recipient_id"] == "6281200000000"
    assert status["errors"][0]["code"] == code
    assert status["errors"][0]["title"]


async def test_no_webhook_no_status_notifications() -> None:
    async with Emulator() as emu:
        await send_text(emu)
        await emu.wait_delivered()

        assert emu.delivered == []
        assert emu.pending == []
        assert await pull(emu) == {"data": []}


async def test_lifecycle_can_stop_at_delivered(receiver: Receiver) -> None:
    async with fast_emulator(receiver.url) as emu:
        emu.status_lifecycle = ("sent", "delivered")
        await send_text(emu)
        await emu.wait_delivered()

    assert [n["statuses"][0]["status"] for n in receiver.accepted] == ["sent", "delivered"]


# -- delivery rule: 200/201, three attempts, then held -------------------------------------


async def test_receiver_failing_twice_gets_each_notification_once() -> None:
    async with Receiver(failures=2) as flaky, fast_emulator(flaky.url) as emu:
        await send_text(emu)
        inbound = emu.inbound_text("6281111111111", "hi there")
        await emu.wait_delivered()

        assert len(flaky.accepted) == 4
        assert inbound in flaky.accepted
        assert all(count == 3 for count in flaky.attempts.values())
        assert len(flaky.attempts) == 4
        assert emu.delivered == flaky.accepted
        assert emu.pending == []
        assert len(emu.delivery_attempts) == 12
        assert [a.accepted for a in emu.delivery_attempts].count(True) == 4
        assert await pull(emu) == {"data": []}


async def test_201_counts_as_delivered() -> None:
    async def created(request: web.Request) -> web.Response:
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/hook", created)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        async with fast_emulator(url) as emu:
            emu.inbound_text("6281111111111", "hi")
            await emu.wait_delivered()
            assert len(emu.delivered) == 1
            assert len(emu.delivery_attempts) == 1
    finally:
        await runner.cleanup()


async def test_receiver_that_always_fails_gets_three_attempts_then_it_is_held() -> None:
    async with (
        Receiver(failures=99, failure_status=503) as broken,
        fast_emulator(broken.url) as emu,
    ):
        notification = emu.inbound_text("6281111111111", "anyone?")
        await emu.wait_delivered()

        assert broken.accepted == []
        assert list(broken.attempts.values()) == [3]
        assert emu.pending == [notification]
        assert [a.status for a in emu.delivery_attempts] == [503, 503, 503]


async def test_receiver_down_gets_nothing_and_pull_returns_everything_held() -> None:
    async with fast_emulator(closed_port_url()) as emu:
        first = await send_text(emu)
        second = await send_text(emu, wa_id="628999888777")
        inbound = emu.inbound_text("6281111111111", "hello?")
        await emu.wait_delivered()

        pulled = await pull(emu)
        pulled_again = await pull(emu)

    assert len(pulled["data"]) == 7
    assert inbound in pulled["data"]
    statuses = [n["statuses"][0] for n in pulled["data"] if "statuses" in n]
    assert Counter(s["id"] for s in statuses) == {first: 3, second: 3}
    assert {s["status"] for s in statuses} == {"sent", "delivered", "read"}
    assert pulled_again == {"data": []}
    assert emu.delivered == []
    assert all(a.status is None and a.error for a in emu.delivery_attempts)
    assert len(emu.delivery_attempts) == 21


async def test_set_webhook_later_and_turn_it_off(receiver: Receiver) -> None:
    async with Emulator(delivery_delay=0) as emu:
        emu.set_webhook(receiver.url, username=USER, password=PASSWORD)
        await send_text(emu)
        await emu.wait_delivered()
        emu.set_webhook(None)
        await send_text(emu)
        await emu.wait_delivered()

    assert len(receiver.accepted) == 3
    assert receiver.authorizations == [EXPECTED_AUTH] * 3


async def test_webhook_without_credentials_sends_no_authorization(receiver: Receiver) -> None:
    async with Emulator(webhook_url=receiver.url, delivery_delay=0) as emu:
        emu.inbound_text("6281111111111", "hi")
        await emu.wait_delivered()

    assert receiver.authorizations == [None]


# -- a customer writing --------------------------------------------------------------------


async def test_inbound_text_and_reply_shapes(receiver: Receiver) -> None:
    async with fast_emulator(receiver.url) as emu:
        message_id = await send_text(emu)
        text = emu.inbound_text("16315551234", "Hello this is an answer", name="Kerry Fisher")
        reply = emu.inbound_reply("16315551234", message_id, "Yes, count me in!")
        await emu.wait_delivered()

    assert text in receiver.accepted
    assert reply in receiver.accepted
    assert text["contacts"] == [{"profile": {"name": "Kerry Fisher"}, "wa_id": "16315551234"}]
    (message,) = text["messages"]
    assert set(message) == {"from", "id", "timestamp", "text", "type"}
    assert message["from"] == "16315551234"
    assert message["type"] == "text"
    assert message["text"] == {"body": "Hello this is an answer"}
    assert message["timestamp"].isdigit()
    assert reply["messages"][0]["context"] == {"from": emu.business_wa_id, "id": message_id}
    assert reply["messages"][0]["id"] != message["id"]


async def test_inbound_media_can_be_downloaded(receiver: Receiver) -> None:
    async with fast_emulator(receiver.url) as emu:
        notification = emu.inbound_media(
            "16315551234", "image", content=b"\xff\xd8\xffJPEG", caption="My new phone"
        )
        await emu.wait_delivered()
        image = notification["messages"][0]["image"]
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{emu.base_url}/api/v1/media/{image['id']}", headers={"X-API-KEY": emu.api_key}
            ) as response,
        ):
            downloaded = await response.read()
            content_type = response.headers["Content-Type"]

    assert notification["messages"][0]["type"] == "image"
    assert image["mime_type"] == "image/jpeg"
    assert image["caption"] == "My new phone"
    assert len(image["sha256"]) == 64
    assert image["file"].endswith(image["id"])
    assert (downloaded, content_type) == (b"\xff\xd8\xffJPEG", "image/jpeg")
    assert receiver.accepted == [notification]


@pytest.mark.parametrize("kind", ["document", "audio", "voice", "video", "sticker"])
async def test_inbound_media_of_every_kind(kind: str) -> None:
    async with Emulator() as emu:
        notification = emu.inbound_media("16315551234", kind, filename="f.bin")

    message = notification["messages"][0]
    assert message["type"] == kind
    assert message[kind]["id"] in emu.media
    assert message[kind]["filename"] == "f.bin"


async def test_inbound_location_contacts_and_button_shapes() -> None:
    card = {"name": {"formatted_name": "Kerry Fisher"}, "phones": [{"phone": "+1 650 555 1234"}]}
    async with Emulator() as emu:
        location = emu.inbound_location(
            "16315551234", 38.98, -131.94, place_name="Main Street Beach", address="Santa Cruz"
        )
        contacts = emu.inbound_contacts("16505551234", [card])
        button = emu.inbound_button("16315551234", "stop-promos", "Stop", context_id="gBEGx")

    assert location["messages"][0]["location"] == {
        "latitude": 38.98,
        "longitude": -131.94,
        "name": "Main Street Beach",
        "address": "Santa Cruz",
    }
    assert location["messages"][0]["type"] == "location"
    assert contacts["messages"][0]["contacts"] == [card]
    assert contacts["messages"][0]["type"] == "contacts"
    assert button["messages"][0]["button"] == {"payload": "stop-promos", "text": "Stop"}
    assert button["messages"][0]["context"]["id"] == "gBEGx"


async def test_inbound_interactive_replies() -> None:
    async with Emulator() as emu:
        pressed = emu.inbound_interactive_reply(
            "16315551234", button_id="yes", title="Yes", context_id="gBEGq"
        )
        picked = emu.inbound_interactive_reply(
            "16315551234", row_id="sociomile", title="Sociomile", description="Omni channel"
        )
        with pytest.raises(ValueError, match="exactly one"):
            emu.inbound_interactive_reply("16315551234", button_id="a", row_id="b")

    assert pressed["messages"][0]["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "yes", "title": "Yes"},
    }
    assert pressed["messages"][0]["type"] == "interactive"
    assert picked["messages"][0]["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "sociomile", "title": "Sociomile", "description": "Omni channel"},
    }
    assert "context" not in picked["messages"][0]


async def test_inbound_without_webhook_is_held_for_pulling() -> None:
    async with Emulator() as emu:
        notification = emu.inbound_text("6281111111111", "hi")
        pulled = await pull(emu)

    assert pulled == {"data": [notification]}


async def test_notify_delivers_any_payload(receiver: Receiver) -> None:
    deleted = {
        "statuses": [
            {
                "id": "ABGG",
                "recipient_id": "1",
                "status": "deleted",
                "type": "message",
                "timestamp": "1532413514",
            }
        ]
    }
    async with fast_emulator(receiver.url) as emu:
        emu.notify(deleted)
        await emu.wait_delivered()

    assert receiver.accepted == [deleted]


async def test_wait_delivered_times_out_while_deliveries_go_on() -> None:
    async with Emulator(webhook_url=closed_port_url(), delivery_delay=2) as emu:
        emu.inbound_text("6281111111111", "hi")
        with pytest.raises(TimeoutError):
            await emu.wait_delivered(timeout=0.05)


async def test_a_wait_for_a_connection_is_not_part_of_a_posts_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More notifications going out than the emulator has connections: each waits its turn,
    then gets the whole ``delivery_timeout`` for the webhook to answer; none is held."""
    monkeypatch.setattr(_notifications, "CONNECTIONS", 1)
    answered: list[float] = []

    async def slow(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(0.1)  # the webhook's time to answer, well within the timeout
        answered.append(time.monotonic())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        async with Emulator(
            webhook_url=url, delivery_attempts=1, delivery_delay=0, delivery_timeout=0.18
        ) as emu:
            for customer in ("6281111111111", "6281111111112", "6281111111113"):
                emu.inbound_text(customer, "hi")
            await emu.wait_delivered()
    finally:
        await runner.cleanup()
    assert [attempt.status for attempt in emu.delivery_attempts] == [200] * 3
    assert emu.pending == []
    assert answered[-1] - answered[0] >= 0.15  # one after the other: the last waited 0.2 s
