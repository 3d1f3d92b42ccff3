"""The library's guard over campaign outcomes, against the emulator: with an outcome store,
``AsyncClient(outcomes=)`` / ``Client(outcomes=)`` refuse a free-form send outside the 24-hour
window before any request (templates always go), and ``send_many`` skips opted-out numbers
and free-form messages outside the window as results, never requests. One-to-one sends are
never blocked by an opt-out. The store's clock is set by hand: nobody waits a day."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import ivowaba
from ivowaba import ConfigError, ValidationError, WindowClosedError
from ivowaba._errors import sent_state
from ivowaba.outcomes import CUSTOMER_SERVICE_WINDOW, OutcomeStore, SQLiteOutcomeStore
from ivowaba.testing import Emulator
from ivowaba.types.bulk import BulkResult
from ivowaba.webhooks import InboundMessage, parse
from tests import _redis_server
from tests.conftest import API_KEY, Both, client_of_kind

redis_server = _redis_server.redis_server  # the fixture: a private redis-server, if any

NOW = 1_700_000_000  # the store's clock, in seconds
HOUR = 3600
DAY = int(CUSTOMER_SERVICE_WINDOW.total_seconds())
CUSTOMER = "628123456789"
TEMPLATE = "60243665e4058d3b4a377bd2"


class Clock:
    """The store's clock, set by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def said(text: str, at: int, sender: str = CUSTOMER) -> InboundMessage:
    """A customer's text message, as the webhook delivers it."""
    wire = {
        "id": f"in-{uuid.uuid4().hex}",
        "from": sender,
        "timestamp": str(at),
        "type": "text",
        "text": {"body": text},
    }
    (message,) = parse({"messages": [wire]}).messages
    return message


def utc(at: int) -> datetime:
    return datetime.fromtimestamp(at, timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SQLiteOutcomeStore]:
    store = SQLiteOutcomeStore(tmp_path / "outcomes.db", clock=clock)
    yield store
    store.close()


@pytest.fixture(params=["async", "sync"])
async def guarded(
    request: pytest.FixtureRequest, emu: Emulator, store: OutcomeStore
) -> AsyncIterator[Both]:
    """An ``AsyncClient`` or a ``Client`` with the window guard on."""
    async with client_of_kind(
        request.param, api_key=API_KEY, base_url=emu.base_url, max_retries=0, outcomes=store
    ) as through:
        yield through


@pytest.fixture(params=["async", "sync"])
async def plain(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[Both]:
    """An ``AsyncClient`` or a ``Client`` without a store."""
    async with client_of_kind(
        request.param, api_key=API_KEY, base_url=emu.base_url, max_retries=0
    ) as through:
        yield through


Send = Callable[[Any, str], Any]

#: Every free-form kind of message, through its own method and through the generic ``send``.
FREE_FORM: dict[str, Send] = {
    "send_text": lambda c, to: c.messages.send_text(to, "Your parcel has shipped"),
    "send_media": lambda c, to: c.messages.send_media(to, "video", link="https://x.test/a.mp4"),
    "send_image": lambda c, to: c.messages.send_image(to, link="https://x.test/a.png"),
    "send_location": lambda c, to: c.messages.send_location(to, -6.2, 106.8, name="HQ"),
    "send_contacts": lambda c, to: c.messages.send_contacts(
        to, [{"name": {"formatted_name": "Budi"}}]
    ),
    "send_reply_buttons": lambda c, to: c.messages.send_reply_buttons(
        to, "Confirm?", [{"id": "yes", "title": "Yes"}]
    ),
    "send_list": lambda c, to: c.messages.send_list(
        to, "Pick a size", "Sizes", [{"rows": [{"id": "s", "title": "Small"}]}]
    ),
    "send_product": lambda c, to: c.messages.send_product(to, "catalog-1", "sku-1"),
    "send_product_list": lambda c, to: c.messages.send_product_list(
        to,
        "catalog-1",
        [{"product_items": [{"product_retailer_id": "sku-1"}]}],
        header="New",
        body="Hi",
    ),
    "send_flow": lambda c, to: c.messages.send_flow(
        to, flow_id="flow-1", flow_cta="Book", body="Book a visit"
    ),
    "send(dict)": lambda c, to: c.messages.send({"type": "text", "wa_id": to, "text": "Hi"}),
}

TEMPLATES: dict[str, Send] = {
    "send_template": lambda c, to: c.messages.send_template(to, TEMPLATE, body=["Budi"]),
    "send_otp": lambda c, to: c.messages.send_otp(to, TEMPLATE, "765987"),
    "send(TemplateMessage)": lambda c, to: c.messages.send(
        ivowaba.TemplateMessage(
            wa_id=to, template_id=TEMPLATE, components=[ivowaba.TemplateComponent(type="body")]
        )
    ),
}


# -- one-to-one sends: the window guard ------------------------------------------------------


@pytest.mark.parametrize("kind", list(FREE_FORM))
async def test_a_free_form_send_to_who_never_wrote_is_refused_before_any_request(
    guarded: Both, emu: Emulator, kind: str
) -> None:
    with pytest.raises(WindowClosedError) as caught:
        await guarded(lambda c: FREE_FORM[kind](c, "+62 812-3456-789"))

    error = caught.value
    assert (error.wa_id, error.last_inbound) == (CUSTOMER, None)  # the number, normalised
    assert CUSTOMER in str(error)
    assert "template" in str(error)
    assert sent_state(error) is False
    assert emu.requests == []


async def test_a_free_form_send_a_day_after_the_last_message_is_refused(
    guarded: Both, emu: Emulator, store: OutcomeStore
) -> None:
    await store.record_inbound(said("thanks", NOW - DAY))

    with pytest.raises(WindowClosedError) as caught:
        await guarded(lambda c: c.messages.send_text(CUSTOMER, "Hello again"))

    assert caught.value.last_inbound == utc(NOW - DAY)
    assert "last wrote at 2023-11-13T22:13:20+00:00" in str(caught.value)
    assert emu.requests == []


@pytest.mark.parametrize("kind", list(FREE_FORM))
async def test_a_customer_who_wrote_an_hour_ago_gets_any_free_form_message(
    guarded: Both, emu: Emulator, store: OutcomeStore, kind: str
) -> None:
    await store.record_inbound(said("where is my parcel?", NOW - HOUR))

    sent = await guarded(lambda c: FREE_FORM[kind](c, CUSTOMER))

    assert [entry.id for entry in emu.outbox] == [sent.id]
    assert emu.outbox[0].wa_id == CUSTOMER


async def test_the_guard_asks_the_store_at_each_send(
    guarded: Both, emu: Emulator, store: OutcomeStore, clock: Clock
) -> None:
    await store.record_inbound(said("hi", NOW - HOUR))
    await guarded(lambda c: c.messages.send_text(CUSTOMER, "within the window"))

    clock.now += DAY - HOUR  # exactly 24 hours after their message: closed
    with pytest.raises(WindowClosedError):
        await guarded(lambda c: c.messages.send_text(CUSTOMER, "too late"))
    await store.record_inbound(said("hello?", int(clock.now)))  # they write again: open
    await guarded(lambda c: c.messages.send_text(CUSTOMER, "welcome back"))

    assert [entry.body["text"] for entry in emu.outbox] == ["within the window", "welcome back"]


@pytest.mark.parametrize("kind", list(TEMPLATES))
async def test_template_sends_are_never_blocked(guarded: Both, emu: Emulator, kind: str) -> None:
    sent = await guarded(lambda c: TEMPLATES[kind](c, CUSTOMER))  # who never wrote

    assert [entry.id for entry in emu.outbox] == [sent.id]
    assert emu.outbox[0].operation == "messages.send_template"


async def test_an_opt_out_never_blocks_a_one_to_one_send(
    guarded: Both, emu: Emulator, store: OutcomeStore
) -> None:
    await store.record_inbound(said("STOP", NOW - HOUR))
    assert await store.opted_out(CUSTOMER)

    await guarded(lambda c: c.messages.send_text(CUSTOMER, "You are unsubscribed"))
    await guarded(lambda c: c.messages.send_otp(CUSTOMER, TEMPLATE, "765987"))

    assert [entry.operation for entry in emu.outbox] == [
        "messages.send_text",
        "messages.send_template",
    ]


async def test_without_a_store_a_free_form_send_goes_to_anyone(plain: Both, emu: Emulator) -> None:
    await plain(lambda c: c.messages.send_text(CUSTOMER, "nothing checks the window"))

    assert len(emu.outbox) == 1


@pytest.mark.parametrize("make", [ivowaba.AsyncClient, ivowaba.Client])
def test_outcomes_must_be_a_store_not_its_url(make: Callable[..., Any]) -> None:
    url = "redis://user:hunter2@127.0.0.1:6379/0"

    with pytest.raises(ConfigError, match="outcomes must be an outcome store") as caught:
        make(api_key=API_KEY, base_url="http://127.0.0.1:9", outcomes=url)

    assert "hunter2" not in str(caught.value)


# -- send_many: opt-outs and the window as results ------------------------------------------


def number(i: int) -> str:
    return f"6281200000{i:03d}"


def template_to(wa_id: str) -> dict[str, Any]:
    return {
        "type": "template",
        "wa_id": wa_id,
        "template_id": TEMPLATE,
        "components": [{"type": "body"}],
    }


def text_to(wa_id: str) -> dict[str, Any]:
    return {"type": "text", "wa_id": wa_id, "text": "Your parcel has shipped"}


async def collect(through: Both, messages: list[Any], **options: Any) -> list[BulkResult]:
    def run(c: Any) -> Any:
        results = c.messages.send_many(messages, concurrency=4, **options)
        if isinstance(c, ivowaba.Client):
            return list(results)

        async def gather() -> list[BulkResult]:
            return [r async for r in results]

        return gather()

    results: list[BulkResult] = await through(run)
    return sorted(results, key=lambda r: r.index)


async def test_send_many_skips_opted_out_numbers_without_a_request(
    plain: Both, emu: Emulator, store: OutcomeStore
) -> None:
    recipients = [number(i) for i in range(10)]
    await store.record_inbound(said("  stop ", NOW - HOUR, sender=recipients[2]))
    await store.record_inbound(said("BERHENTI", NOW - 2 * DAY, sender=recipients[5]))
    await store.set_opted_out(recipients[7])
    await store.record_inbound(said("STOP", NOW - 2 * HOUR, sender=recipients[8]))
    await store.record_inbound(said("START", NOW - HOUR, sender=recipients[8]))  # back in
    messages = [template_to(wa_id) for wa_id in recipients]

    results = await collect(plain, messages, outcomes=store)

    assert [r.index for r in results] == list(range(10))  # exactly one result per input
    skipped = [r.index for r in results if r.skipped == "opted_out"]
    assert skipped == [2, 5, 7]
    for r in results:
        if r.skipped:
            assert (r.id, r.error, r.sent, r.ok) == (None, None, False, False)
            assert r.message is messages[r.index]
        else:
            assert r.id
            assert r.ok
            assert r.sent is True
    sent_to = sorted(entry.wa_id for entry in emu.outbox)
    assert sent_to == [recipients[i] for i in range(10) if i not in (2, 5, 7)]
    assert len(emu.requests) == 7


async def test_send_many_with_the_clients_store_skips_by_opt_out_then_window(
    guarded: Both, emu: Emulator, store: OutcomeStore
) -> None:
    wrote, silent, stopped = number(1), number(2), number(3)
    await store.record_inbound(said("hi", NOW - HOUR, sender=wrote))
    await store.record_inbound(said("STOP", NOW - HOUR, sender=stopped))  # window open too
    messages = [
        text_to(wrote),  # 0: within the window: sent
        text_to(silent),  # 1: never wrote: window_closed, not an error
        template_to(silent),  # 2: a template: sent
        text_to(stopped),  # 3: opted out, whatever the window
        template_to(stopped),  # 4: opted out
        {"type": "text", "wa_id": silent, "text": ""},  # 5: bad input stays an error
    ]

    results = await collect(guarded, messages)

    assert [(r.index, r.skipped) for r in results] == [
        (0, None),
        (1, "window_closed"),
        (2, None),
        (3, "opted_out"),
        (4, "opted_out"),
        (5, None),
    ]
    assert [r.ok for r in results] == [True, False, True, False, False, False]
    assert isinstance(results[5].error, ValidationError)
    assert results[5].sent is False
    assert results[1].error is None
    assert results[1].sent is False
    assert sorted((e.operation, e.wa_id) for e in emu.outbox) == [
        ("messages.send_template", silent),
        ("messages.send_text", wrote),
    ]
    assert len(emu.requests) == 2


async def test_the_store_given_to_send_many_is_the_one_asked(
    guarded: Both, emu: Emulator, store: OutcomeStore, tmp_path: Path, clock: Clock
) -> None:
    other = SQLiteOutcomeStore(tmp_path / "other.db", clock=clock)
    try:
        await other.record_inbound(said("hi", NOW - HOUR))  # open there, closed in `store`

        results = await collect(guarded, [text_to(CUSTOMER)], outcomes=other)
    finally:
        other.close()

    assert results[0].ok
    assert results[0].skipped is None
    assert len(emu.outbox) == 1


async def test_send_many_refuses_what_is_not_a_store_when_iteration_starts(
    plain: Both, emu: Emulator
) -> None:
    with pytest.raises(ValidationError, match="outcomes") as caught:
        await collect(plain, [template_to(CUSTOMER)], outcomes="sqlite:///outcomes.db")

    assert caught.value.field == "outcomes"
    assert emu.requests == []


# -- the same guard on a shared Redis store --------------------------------------------------


async def test_a_redis_store_guards_the_same_way(
    redis_server: _redis_server.RedisServer, emu: Emulator
) -> None:
    pytest.importorskip("redis.asyncio")
    from ivowaba.outcomes import open_store

    store = open_store(redis_server.url(), prefix=f"test:{uuid.uuid4().hex}:", clock=Clock())
    try:
        wrote, stopped = number(1), number(2)
        await store.record_inbound(said("hi", NOW - HOUR, sender=wrote))
        await store.record_inbound(said("STOP", NOW - HOUR, sender=stopped))
        async with ivowaba.AsyncClient(
            api_key=API_KEY, base_url=emu.base_url, max_retries=0, outcomes=store
        ) as client:
            with pytest.raises(WindowClosedError):
                await client.messages.send_text(CUSTOMER, "never wrote")
            await client.messages.send_text(wrote, "within the window")
            results = [
                r async for r in client.messages.send_many([text_to(wrote), text_to(stopped)])
            ]
    finally:
        await store.aclose()

    assert sorted((r.index, r.skipped) for r in results) == [(0, None), (1, "opted_out")]
    assert [entry.wa_id for entry in emu.outbox] == [wrote, wrote]
