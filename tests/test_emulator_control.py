"""The emulator's control API (``/_emulator/...``), its live events, who may use it, the
conversations index behind the web phone, and ``ivowaba emulator inbound``: over real HTTP on
127.0.0.1, without a browser (the page itself: ``test_phone_browser.py``)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import ivowaba
from ivowaba._runner import LoopRunner
from ivowaba.cli import run
from ivowaba.testing import Emulator
from ivowaba.testing._access import host_of, is_loopback, page_token
from ivowaba.testing._chats import SEND_KINDS, Chats, send_kind
from ivowaba.testing._control import page_url
from ivowaba.testing._inbound import INBOUND_KINDS
from ivowaba.testing._live import _PANEL, _RESYNC, BACKLOG, _Stream
from ivowaba.testing._records import OutboxEntry
from ivowaba.testing._server import build_app
from ivowaba.testing._template_fill import template_view
from tests.conftest import API_KEY

TO = "628123456789"
OTHER = "628777000111"
TEMPLATE = "60243665e4058d3b4a377bd2"  # the reference's: header {{1}}, body {{1}}, 2 buttons


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    emu: Emulator,
    method: str,
    path: str,
    body: Any = None,
    status: int = 200,
) -> Any:
    """One control API call, checked for ``status``; the decoded answer."""
    if method != "GET" and body is None:
        body = {}
    async with http.request(method, f"{emu.base_url}/_emulator/{path}", json=body) as response:
        answer = await response.json(content_type=None)
        assert response.status == status, answer
        return answer


def dead_url() -> str:
    """A webhook URL where nothing listens: statuses are made, their deliveries fail."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


# -- the page and its files ----------------------------------------------------------------


async def test_the_page_is_served_at_the_root_and_may_load_nothing_from_elsewhere(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(emu.page_url) as response:
        page = await response.text()
        assert response.status == 200
        assert response.content_type == "text/html"
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert 'aria-label="Message"' in page
    assert ">Send</button>" in page
    assert "http://" not in page.replace("http://127.0.0.1:8000/webhook", "")  # no CDN


@pytest.mark.parametrize(
    ("name", "status", "content_type"),
    [
        ("main.js", 200, "text/javascript"),
        ("phone.css", 200, "text/css"),
        ("index.html", 404, None),
        ("..%2F_state.py", 404, None),
        ("nothing.js", 404, None),
    ],
)
async def test_the_pages_files_come_from_the_package_and_nothing_else(
    emu: Emulator,
    http: aiohttp.ClientSession,
    name: str,
    status: int,
    content_type: str | None,
) -> None:
    async with http.get(f"{emu.base_url}/_emulator/phone/{name}") as response:
        assert response.status == status
        if content_type is not None:
            assert response.content_type == content_type


# -- a customer writes ---------------------------------------------------------------------

INBOUND_EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "text": (
        {"text": "Where is my parcel?"},
        {"type": "text", "text": {"body": "Where is my parcel?"}},
    ),
    "image": ({"caption": "receipt"}, {"type": "image"}),
    "document": ({"filename": "a.pdf"}, {"type": "document"}),
    "audio": ({}, {"type": "audio"}),
    "voice": ({}, {"type": "voice"}),
    "video": ({}, {"type": "video"}),
    "sticker": ({}, {"type": "sticker"}),
    "location": (
        {"latitude": -6.2, "longitude": 106.8, "place_name": "Home"},
        {"type": "location", "location": {"latitude": -6.2, "longitude": 106.8, "name": "Home"}},
    ),
    "contacts": (
        {"contacts": [{"name": {"formatted_name": "Ani"}}]},
        {"type": "contacts", "contacts": [{"name": {"formatted_name": "Ani"}}]},
    ),
    "button-reply": (
        {"id": "yes", "title": "Yes", "context": "gBEGmsg"},
        {
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}},
            "context": {"from": Emulator.business_wa_id, "id": "gBEGmsg"},
        },
    ),
    "list-reply": (
        {"id": "large", "title": "Large", "description": "L"},
        {
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "large", "title": "Large", "description": "L"},
            },
        },
    ),
    "quick-reply": (
        {"payload": "stop", "text": "Stop promotions"},
        {"type": "button", "button": {"payload": "stop", "text": "Stop promotions"}},
    ),
}


def test_every_inbound_kind_has_an_example() -> None:
    assert INBOUND_EXAMPLES.keys() == INBOUND_KINDS.keys()


@pytest.mark.parametrize("kind", list(INBOUND_EXAMPLES))
async def test_each_inbound_kind_becomes_the_notification_the_emulator_delivers(
    emu: Emulator, http: aiohttp.ClientSession, kind: str
) -> None:
    fields, expected = INBOUND_EXAMPLES[kind]
    answer = await call(
        http, emu, "POST", f"inbound/{kind}", {"from": TO, "name": "Budi", **fields}
    )

    assert emu.pending == [answer["notification"]]  # no webhook URL: held for pulling
    message = answer["notification"]["messages"][0]
    assert message["id"] == answer["id"]
    assert message["from"] == TO
    assert {key: message[key] for key in expected} == expected
    assert answer["notification"]["contacts"][0]["profile"]["name"] == "Budi"


async def test_an_uploaded_file_is_stored_as_media_the_bot_can_download(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    content = b"%PDF-1.4 the invoice"
    upload = {
        "from": TO,
        "content_base64": base64.b64encode(content).decode(),
        "content_type": "application/pdf",
        "filename": "invoice.pdf",
    }
    answer = await call(http, emu, "POST", "inbound/document", upload)

    document = answer["notification"]["messages"][0]["document"]
    assert document["filename"] == "invoice.pdf"
    assert document["mime_type"] == "application/pdf"
    assert (await aclient.media.download(document["id"])).content == content
    async with http.get(f"{emu.base_url}/_emulator/media/{document['id']}") as response:
        assert await response.read() == content  # for the page: a download, never a page
        assert response.headers["Content-Disposition"] == "attachment"
        assert "sandbox" in response.headers["Content-Security-Policy"]
    async with http.get(f"{emu.base_url}/_emulator/media/nothing") as response:
        assert response.status == 404


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("text", {"from": "0812345678", "text": "hi"}, "from"),
        ("text", {"from": TO}, "text"),
        ("text", {"from": TO, "text": "  "}, "text"),
        ("text", {"from": TO, "text": 5}, "text"),
        ("location", {"from": TO, "latitude": "1", "longitude": 2}, "latitude"),
        ("location", {"from": TO, "latitude": 91, "longitude": 2}, "latitude"),
        ("contacts", {"from": TO, "contacts": {"name": "x"}}, "contacts"),
        ("image", {"from": TO, "content_base64": "%%%"}, "content_base64"),
        ("telegram", {"from": TO}, "kind"),
    ],
)
async def test_bad_input_is_400_naming_the_field_and_changes_nothing(
    emu: Emulator, http: aiohttp.ClientSession, kind: str, body: dict[str, Any], field: str
) -> None:
    answer = await call(http, emu, "POST", f"inbound/{kind}", body, status=400)
    assert answer["field"] == field
    assert answer["message"].startswith(f"invalid {field}: ")
    assert emu.pending == []
    assert emu.media == {}


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]"])
async def test_a_body_that_is_no_json_object_is_400(
    emu: Emulator, http: aiohttp.ClientSession, raw: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{emu.base_url}/_emulator/faults", data=raw, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["field"] == "body"


# -- conversations -------------------------------------------------------------------------


async def test_conversations_come_newest_first_with_unread_counts_until_seen(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    await aclient.messages.send_text(TO, "one")
    await aclient.messages.send_text(TO, "two")
    await aclient.messages.send_text(OTHER, "three")
    emu.inbound_text(TO, "hi", name="Budi")

    listing = await call(http, emu, "GET", "chats")
    assert listing["total"] == 2
    first, second = listing["chats"]
    assert (first["wa_id"], first["name"], first["unread"], first["count"]) == (TO, "Budi", 2, 3)
    assert first["last"]["content"]["text"] == {"body": "hi"}
    assert (second["wa_id"], second["unread"]) == (OTHER, 1)

    seen = await call(http, emu, "POST", f"chats/{TO}/seen")
    assert seen["chat"]["unread"] == 0
    assert [c["unread"] for c in (await call(http, emu, "GET", "chats"))["chats"]] == [0, 1]
    paged = await call(http, emu, "GET", "chats?offset=1&limit=1")
    assert [c["wa_id"] for c in paged["chats"]] == [OTHER]


async def test_a_conversation_is_read_a_page_at_a_time_backwards(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    for n in range(7):
        await aclient.messages.send_text(TO, f"m{n}")

    def texts(page: dict[str, Any]) -> list[str]:
        return [m["content"]["text"] for m in page["messages"]]

    newest = await call(http, emu, "GET", f"chats/{TO}?limit=3")
    assert (texts(newest), newest["earlier"]) == (["m4", "m5", "m6"], 4)
    middle = await call(http, emu, "GET", f"chats/{TO}?limit=3&before=4")
    assert (texts(middle), middle["earlier"]) == (["m1", "m2", "m3"], 1)
    first = await call(http, emu, "GET", f"chats/{TO}?limit=3&before=1")
    assert (texts(first), first["earlier"]) == (["m0"], None)
    nobody = await call(http, emu, "GET", "chats/628000000000")
    assert nobody == {"chat": None, "messages": [], "earlier": None}
    bad = await call(http, emu, "GET", f"chats/{TO}?limit=0", status=400)
    assert bad["field"] == "limit"


async def test_a_template_send_comes_with_its_template_filled_in(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    await aclient.messages.send_template(TO, TEMPLATE, header="PT. IVOSIGHTS", body=["Budi"])

    (message,) = (await call(http, emu, "GET", f"chats/{TO}"))["messages"]
    view = message["template"]
    assert message["kind"] == "template"
    assert view["header"] == {"format": "text", "text": "Notifikasi Akun PT. IVOSIGHTS"}
    assert view["body"].startswith("Halo Budi, Terimakasih")
    assert view["footer"] == "Ivosights"
    assert [b["type"] for b in view["buttons"]] == ["url", "phone_number"]


def test_every_send_operation_has_its_bubble_kind() -> None:
    sends = {name for name in ivowaba._operations.OPERATIONS if name.startswith("messages.send_")}
    assert sends == {*SEND_KINDS, "messages.send_media"}


def _entry(message_id: str, operation: str = "messages.send_text", **body: Any) -> OutboxEntry:
    return OutboxEntry(message_id, "e", operation, TO, {"wa_id": TO, **body}, False, 1.0)


def _status(message_id: str, state: str, **extra: Any) -> dict[str, Any]:
    return {"statuses": [{"id": message_id, "status": state, **extra}]}


def test_ticks_only_move_forward_and_failed_is_final() -> None:
    chats = Chats()
    chats.add_sent(_entry("a"))
    chats.add_sent(_entry("b"))
    assert chats.add_sent(_entry("a")) is None  # once per id

    def status_of(message_id: str) -> str | None:
        bubble = chats.bubble(message_id)
        return None if bubble is None else bubble.status

    for state in ("read", "delivered", "sent", "read"):  # out of order, repeated
        chats.add_notification(_status("a", state))
    assert status_of("a") == "read"
    error = {"code": 480, "title": "User's identity changed"}
    _, moved = chats.add_notification(_status("b", "failed", errors=[error]))
    assert [(m.id, m.status, m.error) for m in moved] == [("b", "failed", error)]
    _, moved = chats.add_notification(_status("b", "read"))
    assert (moved, status_of("b")) == ([], "failed")
    _, moved = chats.add_notification(_status("unknown", "read"))
    assert moved == []


def test_send_kinds_name_the_media_type() -> None:
    assert send_kind(_entry("a", "messages.send_media", type="sticker")) == "sticker"
    assert send_kind(_entry("a", "messages.send_reply_buttons")) == "buttons"


def test_a_template_view_fills_every_part_it_can() -> None:
    template = {
        "template_name": "order_update",
        "language_id": "en",
        "components": [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hi {{1}}, order {{2}} costs {{3}}; {{4}} stays"},
            {"type": "FOOTER", "text": "Shop"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "URL", "text": "Track", "url": "https://x.test/t/{{1}}"},
                    {"type": "QUICK_REPLY", "text": "Stop"},
                    {"type": "QUICK_REPLY", "text": "More"},
                    {"type": "OTP", "text": "Copy code"},
                ],
            },
        ],
    }
    components = [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x/i.png"}}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Budi"},
                {"type": "text", "text": "#7"},
                {"type": "currency", "currency": {"fallback_value": "Rp 10.000"}},
            ],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": 0,
            "parameters": [{"type": "text", "text": "7"}],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "1",
            "parameters": [{"type": "payload", "payload": "STOP"}],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": 3,
            "parameters": [{"type": "text", "text": "123456"}],
        },
    ]
    view = template_view(template, "t1", components)

    assert view["header"] == {"format": "image", "link": "https://x/i.png"}
    assert view["body"] == "Hi Budi, order #7 costs Rp 10.000; {{4}} stays"
    assert view["footer"] == "Shop"
    assert view["buttons"] == [
        {"type": "url", "text": "Track", "url": "https://x.test/t/7"},
        {"type": "quick_reply", "text": "Stop", "payload": "STOP"},
        {"type": "quick_reply", "text": "More", "payload": "More"},
        {"type": "otp", "text": "Copy code", "code": "123456"},
    ]
    missing = template_view(None, "gone", components)
    assert missing == {
        "missing": True,
        "template_id": "gone",
        "parameters": ["https://x/i.png", "Budi", "#7", "Rp 10.000"],
    }


async def test_what_the_emulator_held_before_it_started_is_shown_in_order() -> None:
    emulator = Emulator()
    emulator.inbound_text(TO, "first", name="Budi")  # no webhook: held, for pulling
    body = {"wa_id": TO, "text": "second"}
    entry = emulator.accept_send("messages.send_text", "send-text-message", body, sandbox=False)
    async with emulator as emu, aiohttp.ClientSession() as http:
        page = await call(http, emu, "GET", f"chats/{TO}")
    assert [m["kind"] for m in page["messages"]] == ["text", "text"]
    assert [m["outbound"] for m in page["messages"]] == [False, True]
    assert page["messages"][1]["id"] == entry.id
    assert page["chat"]["name"] == "Budi"


def test_a_page_too_slow_to_read_is_told_to_fetch_everything_again() -> None:
    stream = _Stream()
    stream.push(b"data: 1")
    stream.push(_PANEL)
    stream.push(_PANEL)  # several "panel" events in a row are one
    assert stream.chunks == [b"data: 1", _PANEL]
    for n in range(BACKLOG):
        stream.push(b"data: %d" % n)
    assert stream.chunks[0] == _RESYNC
    assert len(stream.chunks) < BACKLOG


async def test_a_fault_of_the_phone_never_fails_a_send(
    emu: Emulator,
    http: aiohttp.ClientSession,
    aclient: ivowaba.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(self: Chats, entry: OutboxEntry) -> None:
        raise RuntimeError("a bug of the phone")

    monkeypatch.setattr(Chats, "add_sent", broken)
    async with events(http, emu) as stream:
        sent = await aclient.messages.send_text(TO, "hi")
        await stream.next("resync")  # the pages fetch everything again
    assert emu.outbox[0].id == sent.id
    assert "the web phone could not follow a change (sent)" in caplog.text


# -- what the emulator received ------------------------------------------------------------


async def test_the_outbox_and_the_request_log_as_json(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    sent = await aclient.messages.send_text(TO, "hello")
    async with http.get(f"{emu.base_url}/api/v1/countries", headers={"X-API-KEY": "wrong"}):
        pass
    await call(http, emu, "GET", "state")  # the control API's own requests are not logged

    outbox = await call(http, emu, "GET", "outbox")
    assert outbox["total"] == 1
    assert outbox["entries"][0]["id"] == sent.id
    assert outbox["entries"][0]["body"] == {"wa_id": TO, "text": "hello"}
    log = await call(http, emu, "GET", "requests")
    assert [(r["method"], r["path"], r["status"]) for r in log["requests"]] == [
        ("GET", "/api/v1/countries", 401),
        ("POST", "/api/v1/messages/send-text-message", 200),
    ]
    assert json.loads(log["requests"][1]["body"]) == {"wa_id": TO, "text": "hello"}
    assert all(r["ms"] >= 0 and r["at"] > 0 for r in log["requests"])
    assert API_KEY not in json.dumps(log)


# -- faults, settings, numbers, webhook, clock, statuses, reset ----------------------------


async def test_faults_set_through_the_api_answer_the_next_sends(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    answer = await call(http, emu, "POST", "faults", {"status": 429, "times": 2, "retry_after": 1})
    assert answer["faults"] == [
        {
            "target": "/*/messages/send-*",
            "status": 429,
            "delay": 0.0,
            "drop": False,
            "times": 2,
            "every": 1,
        }
    ]
    for _ in range(2):
        with pytest.raises(ivowaba.RateLimitError) as caught:
            await aclient.messages.send_text(TO, "hi")
        assert caught.value.retry_after == 1
    await aclient.messages.send_text(TO, "hi")

    await call(http, emu, "POST", "faults", {"status": 503, "target": "messages.send_text"})
    assert (await call(http, emu, "DELETE", "faults")) == {"faults": []}
    await aclient.messages.send_text(TO, "hi")
    assert len(emu.outbox) == 2


async def test_time_out_and_drop_faults_leave_the_client_without_an_answer(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    await call(http, emu, "POST", "faults", {"timeout": 5})
    await call(http, emu, "POST", "faults", {"drop": True})
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, max_retries=0, timeout=0.05
    ) as client:
        with pytest.raises(ivowaba.APITimeoutError):
            await client.messages.send_text(TO, "hi")
        with pytest.raises(ivowaba.APIConnectionError):
            await client.messages.send_text(TO, "hi")
    assert emu.outbox == []
    log = await call(http, emu, "GET", "requests")
    assert log["requests"][0]["status"] is None  # dropped: no answer


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "status"),
        ({"status": 500, "drop": True}, "status"),
        ({"status": 700}, "status"),
        ({"status": "500"}, "status"),
        ({"timeout": -1}, "timeout"),
        ({"drop": "yes"}, "drop"),
        ({"status": 500, "times": 0}, "times"),
        ({"status": 500, "target": 5}, "target"),
    ],
)
async def test_a_fault_must_say_one_thing_to_answer(
    emu: Emulator, http: aiohttp.ClientSession, body: dict[str, Any], field: str
) -> None:
    answer = await call(http, emu, "POST", "faults", body, status=400)
    assert answer["field"] == field
    assert emu.scripted_faults == []


async def test_latency_and_the_window_mode_are_settings(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    try:
        answer = await call(
            http, emu, "POST", "settings", {"latency": 0.01, "enforce_window": True}
        )
        assert answer == {"latency": 0.01, "enforce_window": True}
        assert (emu.latency, emu.enforce_window) == (0.01, True)
        bad = await call(http, emu, "POST", "settings", {"latency": -1}, status=400)
        assert bad["field"] == "latency"
    finally:
        emu.latency, emu.enforce_window = 0.0, False


async def test_numbers_are_marked_invalid_or_failing_and_back(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    await call(http, emu, "POST", f"numbers/{TO}/invalid")
    assert [c.status for c in await aclient.contacts.check([TO])] == ["invalid"]
    await call(http, emu, "DELETE", f"numbers/{TO}/invalid")
    assert [c.status for c in await aclient.contacts.check([TO])] == ["valid"]

    answer = await call(
        http, emu, "POST", f"numbers/{TO}/failing", {"code": 480, "title": "Changed"}
    )
    assert answer["failing_numbers"] == {TO: {"code": 480, "title": "Changed"}}
    await call(http, emu, "DELETE", f"numbers/{TO}/failing")
    assert emu.failing_numbers == {}
    bad = await call(http, emu, "POST", f"numbers/{TO}/failing", {"code": "480"}, status=400)
    assert bad["field"] == "code"
    assert (await call(http, emu, "POST", "numbers/12/invalid", status=400))["field"] == "wa_id"


async def test_webhook_clock_and_statuses_are_driven_through_the_api(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    url = dead_url()
    answer = await call(
        http, emu, "POST", "webhook", {"url": url, "username": "u", "password": "p"}
    )
    assert answer == {"url": url, "username": "u"}  # never the password
    assert (emu.webhook.url, emu.webhook.password) == (url, "p")
    assert (await call(http, emu, "POST", "webhook", {"url": "ftp://x"}, status=400))[
        "field"
    ] == "url"
    assert (await call(http, emu, "POST", "webhook", {"url": url, "username": "u"}, status=400))[
        "field"
    ] == "password"

    before = emu.now
    now = (await call(http, emu, "POST", "clock", {"hours": 25}))["now"]
    assert now - before >= 25 * 3600

    await call(http, emu, "POST", "statuses", {"hold": True})
    await aclient.messages.send_text(TO, "hi")
    state = await call(http, emu, "GET", "state")
    assert state["statuses_on_hold"] == 3
    assert state["webhook"] == {"url": url, "username": "u"}
    assert (await call(http, emu, "POST", "statuses", {"hold": False}))["released"] == 3
    await call(http, emu, "POST", "statuses", {"duplicated": True})
    await emu.wait_delivered()
    state = await call(http, emu, "GET", "state")
    assert state["delivery_count"] == 9  # 3 statuses, 3 attempts each, all refused
    assert state["pending_count"] == 3
    assert {d["accepted"] for d in state["deliveries"]} == {False}
    assert state["deliveries"][0]["what"] == "status read"


async def test_reset_through_the_api(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    await aclient.messages.send_text(TO, "hi")
    emu.fail_next("*", status=500, times=3)
    assert await call(http, emu, "POST", "reset") == {"reset": True}
    assert (emu.outbox, emu.scripted_faults) == ([], [])
    assert (await call(http, emu, "GET", "chats"))["total"] == 0


# -- live events ---------------------------------------------------------------------------


class Events:
    """The emulator's event stream, read one event at a time."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, kind: str) -> dict[str, Any]:
        """The next event of ``kind`` (others are skipped)."""

        async def read() -> dict[str, Any]:
            while True:
                line = (await self.response.content.readline()).decode()
                if line.startswith("data: "):
                    event: dict[str, Any] = json.loads(line[6:])
                    if event["type"] == kind:
                        return event

        return await asyncio.wait_for(read(), 5)


@contextlib.asynccontextmanager
async def events(http: aiohttp.ClientSession, emu: Emulator) -> AsyncIterator[Events]:
    async with http.get(f"{emu.base_url}/_emulator/events") as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        assert await response.content.readline() == b"retry: 1000\n"
        yield Events(response)


async def test_live_events_carry_each_message_each_status_and_a_reset(
    emu: Emulator, http: aiohttp.ClientSession, aclient: ivowaba.AsyncClient
) -> None:
    emu.set_webhook(dead_url())  # statuses are made for a webhook, delivered or not
    async with events(http, emu) as stream:
        sent = await aclient.messages.send_text(TO, "<script>alert(1)</script>")
        event = await stream.next("message")
        assert event["message"]["id"] == sent.id
        assert event["message"]["content"] == {"text": "<script>alert(1)</script>"}
        assert event["chat"]["wa_id"] == TO
        statuses = [(await stream.next("status"))["status"] for _ in range(3)]
        assert statuses == ["sent", "delivered", "read"]

        emu.inbound_text(TO, "thanks")  # from this thread, not the emulator's
        event = await stream.next("message")
        assert (event["message"]["outbound"], event["message"]["kind"]) == (False, "text")
        assert event["chat"]["count"] == 2
        await stream.next("panel")

        emu.reset()
        await stream.next("reset")


# -- who may use it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("app.localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("example.com", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_which_hosts_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("127.0.0.1:8080", "127.0.0.1"),
        ("localhost", "localhost"),
        ("[::1]:80", "::1"),
        ("::1", "::1"),
    ],
)
def test_the_host_of_a_host_header(header: str, host: str) -> None:
    assert host_of(header) == host


def test_the_page_token_is_derived_from_the_key_and_does_not_reveal_it() -> None:
    token = page_token(API_KEY)
    assert token == page_token(API_KEY)
    assert token != page_token(API_KEY + "x")
    assert API_KEY not in token
    assert len(token) == 32
    assert page_url("http://127.0.0.1:8080", host="127.0.0.1", api_key=API_KEY) == (
        "http://127.0.0.1:8080/"
    )
    assert page_url("http://0.0.0.0:8080", host="0.0.0.0", api_key=API_KEY) == (
        f"http://0.0.0.0:8080/?token={token}"
    )


async def test_a_loopback_emulator_refuses_a_request_naming_another_host(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """A web site whose name was rebound to 127.0.0.1 (DNS rebinding) reads nothing."""
    headers = {"Host": "attacker.example"}
    async with http.get(f"{emu.base_url}/_emulator/outbox", headers=headers) as response:
        assert response.status == 403
    async with http.get(emu.page_url, headers=headers) as response:
        assert response.status == 403
    for host in (f"localhost:{emu.port}", f"127.0.0.1:{emu.port}"):
        async with http.get(f"{emu.base_url}/_emulator/outbox", headers={"Host": host}) as response:
            assert response.status == 200


@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}],
)
async def test_a_change_sent_as_a_cross_site_form_could_is_refused(
    emu: Emulator, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    """What a page of another site can send without asking (no CORS preflight) is refused."""
    body = json.dumps({"from": TO, "text": "forged"})
    async with http.post(
        f"{emu.base_url}/_emulator/inbound/text", data=body, headers=headers
    ) as response:
        assert response.status == 415
    assert emu.pending == []


@contextlib.contextmanager
def served(app: web.Application) -> Iterator[str]:
    """``app`` served on 127.0.0.1 from a thread of its own; yields its base URL."""
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    port: list[int] = []

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port.append(runner.addresses[0][1])

    loop = LoopRunner(on_start=start, on_stop=runner.cleanup, name="test-server")
    try:
        yield f"http://127.0.0.1:{port[0]}"
    finally:
        loop.close()


@contextlib.contextmanager
def exposed_emulator(api_key: str = API_KEY) -> Iterator[tuple[Emulator, str]]:
    """An emulator set up to listen beyond this machine (``host="0.0.0.0"``), served for
    the test on 127.0.0.1 only: the access rule follows the configured host, so this is the
    rule a network would meet, without opening a port to it. Yields it and its URL."""
    emulator = Emulator(api_key=api_key, host="0.0.0.0")
    with served(build_app(emulator, host=emulator.host)) as base_url:
        yield emulator, base_url


async def test_an_emulator_listening_beyond_this_machine_asks_for_the_key_or_token(
    http: aiohttp.ClientSession,
) -> None:
    with exposed_emulator() as (emulator, base_url):
        emulator.inbound_text(TO, "hello")
        for path in ("/", "/_emulator/chats", "/_emulator/events", "/?token=wrong"):
            async with http.get(base_url + path) as response:
                assert response.status == 401, path
                assert "API key" in await response.text()
        async with http.post(f"{base_url}/_emulator/reset", json={}) as response:
            assert response.status == 401
        assert emulator.pending != []

        key = {"X-API-KEY": API_KEY}
        async with http.get(f"{base_url}/_emulator/chats", headers=key) as response:
            assert (await response.json())["total"] == 1
        async with http.get(f"{base_url}/api/v1/countries", headers=key) as response:
            assert response.status == 200  # the IVOWBA API keeps its own rule

        jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address, as a browser keeps
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:  # the page sets one
            async with browser.get(f"{base_url}/?token={page_token(API_KEY)}") as response:
                assert response.status == 200
                cookie = response.cookies["ivowaba_emulator_token"]
                assert cookie["httponly"]
                assert cookie["samesite"] == "Strict"
            async with browser.get(f"{base_url}/_emulator/chats") as response:
                assert response.status == 200


# -- the command line ----------------------------------------------------------------------


def test_the_inbound_command_sends_a_text_as_the_customer(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        [
            "emulator",
            "inbound",
            "text",
            TO,
            "Where is my parcel?",
            "--emulator",
            ivowaba_emulator.base_url,
        ]
    )
    assert code == 0
    (notification,) = ivowaba_emulator.pending
    message = notification["messages"][0]
    assert capsys.readouterr().out.strip() == message["id"]
    assert (message["from"], message["text"]) == (TO, {"body": "Where is my parcel?"})


def test_the_inbound_command_has_every_kind(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    photo = tmp_path / "parcel.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n...")
    url = ["--emulator", ivowaba_emulator.base_url]
    commands = [
        ["location", TO, "-6.2", "106.8", "--place-name", "Home"],
        ["button-reply", TO, "yes", "--title", "Yes", "--context", "gBEGmsg"],
        ["quick-reply", TO, "stop", "Stop promotions", "--name", "Budi"],
        ["contacts", TO, '[{"name": {"formatted_name": "Ani"}}]'],
        ["image", TO, "--file", str(photo), "--caption", "my parcel"],
    ]
    for command in commands:
        assert run(["emulator", "inbound", *command, *url]) == 0, command
    messages = [n["messages"][0] for n in ivowaba_emulator.pending]
    assert [m["type"] for m in messages] == [
        "location",
        "interactive",
        "button",
        "contacts",
        "image",
    ]
    assert messages[0]["location"] == {"latitude": -6.2, "longitude": 106.8, "name": "Home"}
    assert messages[1]["context"]["id"] == "gBEGmsg"
    assert ivowaba_emulator.pending[2]["contacts"][0]["profile"]["name"] == "Budi"
    assert messages[3]["contacts"] == [{"name": {"formatted_name": "Ani"}}]
    image = messages[4]["image"]
    assert (image["mime_type"], image["caption"]) == ("image/png", "my parcel")
    assert ivowaba_emulator.media[image["id"]].content == photo.read_bytes()
    assert run(["emulator", "inbound", "text", TO, "x", "--json", *url]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == ivowaba_emulator.pending[-1]


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (["text", "0812", "hi"], "wa_id"),
        (["text", TO, " "], "text"),
        (["location", TO, "91", "0"], "latitude"),
        (["image", TO, "--file", "/nonexistent/file.png"], "--file"),
    ],
)
def test_bad_inbound_input_exits_2_before_any_request(
    capsys: pytest.CaptureFixture[str], command: list[str], field: str
) -> None:
    code = run(["emulator", "inbound", *command, "--emulator", "http://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ivowaba: invalid {field}: ")
    assert err.count("\n") == 1


def test_inbound_goes_to_the_emulator_the_exported_base_url_names(
    ivowaba_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `ivowaba emulator` tells you to export is where `inbound` goes, without --emulator.
    monkeypatch.setenv("IVOWABA_BASE_URL", ivowaba_emulator.base_url)
    monkeypatch.setenv("IVOWABA_API_KEY", ivowaba_emulator.api_key)
    assert run(["emulator", "inbound", "text", TO, "from the env"]) == 0
    (notification,) = ivowaba_emulator.pending
    assert notification["messages"][0]["text"] == {"body": "from the env"}


def test_an_unreachable_or_refusing_emulator_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["emulator", "inbound", "text", TO, "hi", "--emulator", "http://127.0.0.1:9"]) == 1
    assert "no answer from the emulator at http://127.0.0.1:9" in capsys.readouterr().err
    with exposed_emulator() as (_, base_url):
        command = ["emulator", "inbound", "text", TO, "hi", "--emulator", base_url]
        assert run([*command, "--api-key", "wrong"]) == 1
        assert "the emulator answered 401" in capsys.readouterr().err
        assert run([*command, "--api-key", API_KEY]) == 0


class _Lines(io.StringIO):
    """Standard output that says when a line starting with ``prefix`` was printed."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.seen = asyncio.Event()

    def write(self, text: str) -> int:
        if text.lstrip().startswith(self.prefix):
            self.seen.set()
        return super().write(text)


async def test_the_emulator_command_prints_the_pages_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from ivowaba.cli._app import build_parser

    out = _Lines("the web phone: ")
    monkeypatch.setattr(sys, "stdout", out)
    args = build_parser().parse_args(["emulator", "--port", "0"])
    serving = asyncio.create_task(args.handler(args))
    try:
        await asyncio.wait_for(out.seen.wait(), 5)
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
    lines = out.getvalue().splitlines()
    base_url = lines[0].split()[-1]
    assert f"  the web phone: {base_url}/" in lines
