"""The outcome store (``ivowaba.outcomes``): the same suite on SQLite and on a real
``redis-server`` (skipped, as ``test_contrib_redis.py`` is, when either is missing). The rank
rule under any order of arrival and duplicates, opt-out words, the 24-hour window on an
injected clock, recording through a ``Dispatcher`` from real webhook POSTs, URLs; then what
only SQLite does: several stores and processes on one file, a clean close."""

from __future__ import annotations

import asyncio
import gc
import itertools
import math
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ivowaba
from ivowaba import ClientClosedError, ConfigError, WindowClosedError
from ivowaba._errors import sent_state
from ivowaba.outcomes import (
    CUSTOMER_SERVICE_WINDOW,
    MessageOutcome,
    OutcomeStore,
    RedisOutcomeStore,
    SQLiteOutcomeStore,
    open_store,
)
from ivowaba.testing import Emulator
from ivowaba.webhooks import Dispatcher, InboundMessage, Notification, Status, parse
from tests import _redis_server
from tests._redis_server import RedisServer, unavailable
from tests.test_chaos import fork, wait_for_child
from tests.test_webhooks_receiver import AUTH, PASSWORD, USER, serve_aiohttp, serve_asgi

redis_server = _redis_server.redis_server  # the fixture: a private redis-server

try:
    import redis.asyncio  # noqa: F401

    HAVE_REDIS = True
except ImportError:  # pragma: no cover - the test extra installs redis
    HAVE_REDIS = False

T0 = 1_700_000_000  # a notification's timestamp, in seconds
CUSTOMER = "628123456789"
DAY = int(CUSTOMER_SERVICE_WINDOW.total_seconds())


class Clock:
    """The stores' clock, set by hand: no test sleeps through a window."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


OpenStore = Callable[..., OutcomeStore]


@pytest.fixture(params=["sqlite", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/outcomes.db"
    if not HAVE_REDIS:  # pragma: no cover - the test extra installs redis
        unavailable("redis-py is not installed: pip install -e '.[test]'")
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_store(url: str, kind: str, clock: Clock) -> Iterator[OpenStore]:
    """Open stores on the test's URL (each Redis test under a prefix of its own); what is
    still open at the end is closed on a loop of its own."""
    prefix = f"test:{uuid.uuid4().hex}:"
    opened: list[OutcomeStore] = []

    def make(**options: Any) -> OutcomeStore:
        options.setdefault("clock", clock)
        if kind == "redis":
            options.setdefault("prefix", prefix)
        store = open_store(url, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        if isinstance(store, SQLiteOutcomeStore):
            store.close()
        else:
            asyncio.run(store.aclose())


@pytest.fixture
def store(make_store: OpenStore) -> OutcomeStore:
    return make_store()


def status(
    state: str,
    at: int | str = T0,
    *,
    message_id: str = "m",
    code: int | None = None,
    title: str | None = None,
    recipient: str | None = CUSTOMER,
) -> Status:
    errors = [] if code is None else [{"code": code, **({"title": title} if title else {})}]
    wire: dict[str, Any] = {"id": message_id, "status": state, "timestamp": str(at)}
    if recipient is not None:
        wire["recipient_id"] = recipient
    if errors:
        wire["errors"] = errors
    (parsed,) = parse({"statuses": [wire]}).statuses
    return parsed


def inbound(
    content: dict[str, Any], at: int = T0, *, sender: str = CUSTOMER, kind: str | None = None
) -> InboundMessage:
    """A customer's message: ``content`` is the type's own field (``{"text": {...}}``)."""
    wire = {
        "id": f"in-{uuid.uuid4().hex}",
        "from": sender,
        "timestamp": str(at),
        "type": kind or next(iter(content)),
        **content,
    }
    (message,) = parse({"messages": [wire]}).messages
    return message


def text(body: str, at: int = T0, *, sender: str = CUSTOMER) -> InboundMessage:
    return inbound({"text": {"body": body}}, at, sender=sender)


def utc(at: int) -> datetime:
    return datetime.fromtimestamp(at, timezone.utc)


# -- statuses: the rank rule -----------------------------------------------------------------


async def test_sent_delivered_read_each_with_its_time(store: OutcomeStore) -> None:
    assert await store.outcome("m") is None
    for at, state in enumerate(("sent", "delivered", "read")):
        await store.record_status(status(state, T0 + at))
    outcome = await store.outcome("m")
    assert outcome == MessageOutcome(
        message_id="m",
        status="read",
        recipient_id=CUSTOMER,
        sent_at=utc(T0),
        delivered_at=utc(T0 + 1),
        read_at=utc(T0 + 2),
    )
    assert outcome.status_at == utc(T0 + 2)
    assert outcome.read_at is not None
    assert outcome.read_at.tzinfo is timezone.utc
    assert not outcome.is_retryable_failure


async def test_a_late_delivered_never_overwrites_read(store: OutcomeStore) -> None:
    await store.record_statuses([status("read", T0 + 2), status("sent", T0)])
    await store.record_status(status("delivered", T0 + 1))
    outcome = await store.outcome("m")
    assert outcome is not None
    assert (outcome.status, outcome.delivered_at) == ("read", utc(T0 + 1))


async def test_a_duplicate_changes_nothing(store: OutcomeStore) -> None:
    await store.record_statuses([status("sent", T0), status("delivered", T0 + 5)])
    before = await store.outcome("m")
    await store.record_statuses([status("delivered", T0 + 5), status("delivered", T0 + 9)])
    await store.record_status(status("sent", T0 + 7))
    assert await store.outcome("m") == before  # each step keeps its earliest time


async def test_a_failure_keeps_its_code_and_title(store: OutcomeStore) -> None:
    title = "Failed to send message since we detect an identity change of the contact"
    await store.record_statuses(
        [status("sent", T0), status("failed", T0 + 3, code=480, title=title)]
    )
    outcome = await store.outcome("m")
    assert outcome is not None
    assert (outcome.status, outcome.error_code, outcome.error_title) == ("failed", 480, title)
    assert outcome.failed_at == outcome.status_at == utc(T0 + 3)
    assert outcome.is_retryable_failure
    await store.record_status(status("sent", T0 + 9))  # a late sent: still failed
    assert (await store.outcome("m")) == outcome


async def test_a_delivered_or_read_outranks_a_failure_which_stays_recorded(
    store: OutcomeStore,
) -> None:
    await store.record_status(status("failed", T0 + 1, code=470, title="outside the window"))
    await store.record_status(status("delivered", T0 + 2))
    outcome = await store.outcome("m")
    assert outcome is not None
    assert (outcome.status, outcome.error_code, outcome.failed_at) == (
        "delivered",
        470,
        utc(T0 + 1),
    )
    assert not outcome.is_retryable_failure


async def test_the_earliest_failure_is_kept(store: OutcomeStore) -> None:
    await store.record_status(status("failed", T0 + 5, code=480, title="later"))
    await store.record_status(status("failed", T0 + 1, code=470, title="first"))
    await store.record_status(status("failed", T0 + 9, code=131026, title="last"))
    outcome = await store.outcome("m")
    assert outcome is not None
    assert (outcome.error_code, outcome.error_title, outcome.failed_at) == (
        470,
        "first",
        utc(T0 + 1),
    )


@pytest.mark.parametrize(
    "failures",
    [
        [(480, "b"), (470, "b"), (None, None)],
        [(470, "b"), (480, "a"), (470, None)],
        [(470, "c"), (470, "b"), (480, None)],
    ],
)
async def test_failures_in_the_same_second_keep_the_lowest_code_then_title(
    store: OutcomeStore, failures: list[tuple[int | None, str | None]]
) -> None:
    for message_id, order in (("forward", failures), ("backward", failures[::-1])):
        for code, title in order:
            await store.record_status(
                status("failed", T0, message_id=message_id, code=code, title=title)
            )
    found = await store.outcomes(["forward", "backward"])
    first = min(failures, key=lambda f: (f[0] or -1, f[1] or ""))
    for outcome in found.values():
        assert (outcome.error_code, outcome.error_title) == first


async def test_deleted_is_final(store: OutcomeStore) -> None:
    await store.record_status(status("deleted", T0 + 1, recipient=None))
    await store.record_status(status("read", T0 + 2))
    outcome = await store.outcome("m")
    assert outcome is not None
    assert (outcome.status, outcome.deleted_at, outcome.read_at) == (
        "deleted",
        utc(T0 + 1),
        utc(T0 + 2),
    )
    assert outcome.recipient_id == CUSTOMER  # the first status that named one


async def test_a_status_of_another_name_is_not_recorded(store: OutcomeStore) -> None:
    await store.record_statuses([status("warning"), status("pending")])
    await store.record_statuses([])
    assert await store.outcome("m") is None


async def test_a_timestamp_that_is_no_number_takes_the_store_clock(
    store: OutcomeStore, clock: Clock
) -> None:
    clock.now = T0 + 42.7
    await store.record_status(status("sent", at="soon"))
    await store.record_status(status("delivered", at="1700000001.9"))
    outcome = await store.outcome("m")
    assert outcome is not None
    assert (outcome.sent_at, outcome.delivered_at) == (utc(T0 + 42), utc(T0 + 1))


async def test_outcomes_of_many_messages(store: OutcomeStore) -> None:
    ids = [f"m{i}" for i in range(1200)]  # more than one query's worth
    await store.record_statuses(status("sent", T0 + i, message_id=m) for i, m in enumerate(ids))
    found = await store.outcomes([*ids, "unknown", "m1", "m1"])
    assert list(found) == ids  # in the order asked, unknown ids left out
    assert found["m7"].sent_at == utc(T0 + 7)
    assert await store.outcomes([]) == {}


# -- any order, any duplicates: one final outcome ----------------------------------------------

STATES = ("sent", "delivered", "read", "failed", "deleted")
RANK = {"sent": 1, "failed": 2, "delivered": 3, "read": 4, "deleted": 5}
one_status = st.builds(
    lambda state, at, code, title: (
        status(state, at, code=code, title=title) if state == "failed" else status(state, at)
    ),
    st.sampled_from(STATES),
    st.integers(T0, T0 + 3),  # few distinct seconds: many ties
    st.sampled_from([470, 480, 131026, None]),
    st.sampled_from(["a", "b", None]),
)


def expected(statuses: list[Status]) -> MessageOutcome:
    """The rank rule, written plainly."""
    best = max(statuses, key=lambda s: RANK[s.status])
    steps: dict[str, datetime] = {}
    for s in statuses:
        at = utc(int(s.timestamp))
        steps[f"{s.status}_at"] = min(steps.get(f"{s.status}_at", at), at)
    failures = [
        (
            int(s.timestamp),
            s.errors[0].code if s.errors else -1,
            (s.errors[0].title or "") if s.errors else "",
        )
        for s in statuses
        if s.status == "failed"
    ]
    code = title = None
    if failures:
        _, first_code, first_title = min(failures)
        code = None if first_code == -1 else first_code
        title = first_title or None
    return MessageOutcome(
        message_id="m",
        status=best.status,
        recipient_id=CUSTOMER,
        error_code=code,
        error_title=title,
        **steps,
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(statuses=st.lists(one_status, min_size=1, max_size=6), data=st.data())
async def test_every_order_of_arrival_gives_the_same_outcome(
    store: OutcomeStore, statuses: list[Status], data: st.DataObject
) -> None:
    again = data.draw(st.lists(st.sampled_from(statuses), max_size=4), label="duplicates")
    shuffled = data.draw(st.permutations([*statuses, *again]), label="order")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=3), label="cuts"))
    one, other = uuid.uuid4().hex, uuid.uuid4().hex
    for s in statuses:  # as written, one at a time
        await store.record_status(msgspec.structs.replace(s, id=one))
    bounds = [0, *cuts, len(shuffled)]
    for start, end in itertools.pairwise(bounds):  # shuffled, in batches
        await store.record_statuses(
            msgspec.structs.replace(s, id=other) for s in shuffled[start:end]
        )
    found = await store.outcomes([one, other])
    want = expected(statuses)
    assert msgspec.structs.replace(found[one], message_id="m") == want
    assert msgspec.structs.replace(found[other], message_id="m") == want


# -- customers: the 24-hour window -------------------------------------------------------------


async def test_the_window_is_open_for_24_hours_after_the_last_message(
    store: OutcomeStore, clock: Clock
) -> None:
    assert await store.last_inbound(CUSTOMER) is None
    assert not await store.window_open(CUSTOMER)
    await store.record_inbound(text("hello", T0))
    assert await store.last_inbound(CUSTOMER) == utc(T0)
    clock.now = T0 + DAY - 1
    assert await store.window_open(CUSTOMER)
    clock.now = T0 + DAY
    assert not await store.window_open(CUSTOMER)
    assert await store.window_open(CUSTOMER, now=T0 + 60)
    assert await store.window_open(CUSTOMER, now=utc(T0) + timedelta(hours=23))
    assert not await store.window_open(CUSTOMER, now=datetime(2030, 1, 1))  # naive: UTC
    await store.record_inbound(text("still there?", T0 + DAY + 5))
    assert await store.window_open(CUSTOMER)
    await store.record_inbound(text("an old one, late", T0 + 10))  # the latest time stays
    assert await store.last_inbound(CUSTOMER) == utc(T0 + DAY + 5)


async def test_numbers_are_written_any_way(store: OutcomeStore) -> None:
    await store.record_inbound(text("hi", sender="+62 812-3456-789"))
    assert await store.last_inbound("628123456789") == utc(T0)
    assert await store.last_inbound("+62 (812) 3456.789") == utc(T0)


async def test_a_system_message_opens_no_window(store: OutcomeStore) -> None:
    await store.record_inbound(
        inbound({"system": {"body": "changed number", "type": "user_changed_number"}})
    )
    assert await store.last_inbound(CUSTOMER) is None
    await store.record_inbound(inbound({"image": {"id": "media-1"}}))
    assert await store.last_inbound(CUSTOMER) == utc(T0)


# -- customers: opting out ---------------------------------------------------------------------


def button(payload: str, label: str) -> dict[str, Any]:
    return {"button": {"payload": payload, "text": label}}


def reply_button(button_id: str, title: str) -> dict[str, Any]:
    reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
    return {"interactive": reply}


OPTING_OUT = [
    {"text": {"body": "STOP"}},
    {"text": {"body": "  stop \n"}},
    {"text": {"body": "Berhenti"}},
    {"text": {"body": "unsubscribe"}},
    button("promo-stop", "Stop"),
    button("STOP", "No more offers"),
    reply_button("opt-out", "BERHENTI"),
]
NOT_OPTING = [
    {"text": {"body": "stop please"}},
    {"text": {"body": "STOPP"}},
    {"text": {"body": "hello"}},
    button("yes", "Yes"),
    {"interactive": {"type": "list_reply", "list_reply": {"id": "STOP", "title": "STOP"}}},
    {"location": {"latitude": -6.2, "longitude": 106.8}},
]


@pytest.mark.parametrize("content", OPTING_OUT, ids=lambda c: str(c)[:40])
async def test_an_opt_out_word_opts_out(store: OutcomeStore, content: dict[str, Any]) -> None:
    assert not await store.opted_out(CUSTOMER)
    await store.record_inbound(inbound(content))
    assert await store.opted_out(CUSTOMER)
    assert await store.window_open(CUSTOMER)  # an opt-out is a message too


@pytest.mark.parametrize("content", NOT_OPTING, ids=lambda c: str(c)[:40])
async def test_other_messages_opt_nobody_out(store: OutcomeStore, content: dict[str, Any]) -> None:
    await store.record_inbound(inbound(content))
    assert not await store.opted_out(CUSTOMER)


@pytest.mark.parametrize("word", ["START", " mulai ", "Start"])
async def test_an_opt_in_word_opts_back_in(store: OutcomeStore, word: str) -> None:
    await store.record_inbound(text("STOP", T0))
    await store.record_inbound(text(word, T0 + 1))
    assert not await store.opted_out(CUSTOMER)
    await store.record_inbound(inbound(button("resubscribe", word), T0 + 2))
    assert not await store.opted_out(CUSTOMER)


async def test_the_latest_word_wins_whatever_order_they_arrive_in(store: OutcomeStore) -> None:
    await store.record_inbound(text("START", T0 + 20))
    await store.record_inbound(text("STOP", T0 + 10))  # written before, arrives after
    assert not await store.opted_out(CUSTOMER)
    other = "628111111111"
    await store.record_inbound(text("STOP", T0 + 20, sender=other))
    await store.record_inbound(text("MULAI", T0 + 10, sender=other))
    assert await store.opted_out(other)


async def test_at_the_same_second_opting_out_wins(store: OutcomeStore) -> None:
    for order in (("STOP", "START"), ("START", "STOP")):
        sender = f"62811000{len(order[0])}"
        for word in order:
            await store.record_inbound(text(word, T0, sender=sender))
        assert await store.opted_out(sender), order


async def test_set_opted_out_by_hand_as_of_now(store: OutcomeStore, clock: Clock) -> None:
    clock.now = T0 + 100
    await store.set_opted_out("+62 812-3456-789")
    assert await store.opted_out(CUSTOMER)
    await store.record_inbound(text("START", T0 + 50))  # written before: arrives late
    assert await store.opted_out(CUSTOMER)
    await store.record_inbound(text("START", T0 + 150))
    assert not await store.opted_out(CUSTOMER)
    clock.now = T0 + 200
    await store.set_opted_out(CUSTOMER, True)
    await store.set_opted_out(CUSTOMER, False)  # later within the same second: a tie
    assert await store.opted_out(CUSTOMER)
    clock.now = T0 + 201
    await store.set_opted_out(CUSTOMER, False)
    assert not await store.opted_out(CUSTOMER)
    assert await store.last_inbound("628000000000") is None  # set by hand: no message


async def test_a_marketing_opt_out_failure_opts_the_recipient_out(store: OutcomeStore) -> None:
    """131050 (the user stopped marketing messages): the recipient is opted out as of the
    failure's time; other failures, and a 131050 naming no recipient, opt nobody out."""
    others = {"628111111111": 131026, "628222222222": 131049, "628333333333": 470}
    await store.record_statuses(
        [
            status("sent", T0, message_id="m1", recipient="+62 812-3456-789"),
            status("failed", T0 + 5, message_id="m1", code=131050, recipient="+62 812-3456-789"),
            status("failed", T0, message_id="m2", code=131050, recipient=None),
            *(
                status("failed", T0, message_id=number, code=code, recipient=number)
                for number, code in others.items()
            ),
        ]
    )
    assert await store.opted_out(CUSTOMER)
    assert (await store.outcome("m1")) == MessageOutcome(
        message_id="m1",
        status="failed",
        recipient_id="+62 812-3456-789",
        error_code=131050,
        sent_at=utc(T0),
        failed_at=utc(T0 + 5),
    )
    assert await store.last_inbound(CUSTOMER) is None  # a failure opens no window
    for number in others:
        assert not await store.opted_out(number), number
    await store.record_inbound(text("START", T0 + 4))  # written before the failure
    assert await store.opted_out(CUSTOMER)


@pytest.mark.parametrize("failure_first", [True, False], ids=["failure first", "word first"])
async def test_a_marketing_opt_out_and_later_words_agree_in_any_order(
    store: OutcomeStore, failure_first: bool
) -> None:
    """The latest change by time wins, whichever arrives first: an opt-in word written after
    the 131050 failure opts back in, one written before it does not; at the same second
    opting out wins."""
    cases = {"628111111111": T0 + 20, "628222222222": T0 - 20, "628333333333": T0}
    for number, word_at in cases.items():
        failure = status("failed", T0, message_id=f"m-{number}", code=131050, recipient=number)
        word = text("MULAI", word_at, sender=number)
        if failure_first:
            await store.record_status(failure)
            await store.record_inbound(word)
        else:
            await store.record_inbound(word)
            await store.record_status(failure)
    assert [await store.opted_out(number) for number in cases] == [False, True, True]


async def test_the_words_are_configurable(make_store: OpenStore) -> None:
    store = make_store(opt_out_words=["Hentikan", "NO MORE"], opt_in_words={"lanjut"})
    await store.record_inbound(text("STOP", T0))
    assert not await store.opted_out(CUSTOMER)
    await store.record_inbound(text("no more", T0 + 1))
    assert await store.opted_out(CUSTOMER)
    await store.record_inbound(text("START", T0 + 2))
    assert await store.opted_out(CUSTOMER)
    await store.record_inbound(text("LANJUT", T0 + 3))
    assert not await store.opted_out(CUSTOMER)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"opt_out_words": "STOP"}, "not one string"),
        ({"opt_in_words": ["START", " "]}, "empty word"),
        ({"opt_out_words": ["STOP"], "opt_in_words": ["stop"]}, "both opt out and opt in: stop"),
    ],
)
def test_words_that_cannot_work_are_refused(
    url: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        open_store(url, **options)


# -- pruning ---------------------------------------------------------------------------------


async def test_prune_forgets_messages_whose_last_step_is_old(
    store: OutcomeStore, clock: Clock
) -> None:
    month, long_ago = 30 * DAY, T0 - 40 * DAY
    await store.record_statuses(
        [
            status("sent", long_ago, message_id="old"),
            status("delivered", long_ago + 5, message_id="old"),
            status("sent", long_ago, message_id="read-lately"),
            status("read", T0 - DAY, message_id="read-lately"),  # its last step is recent
            status("sent", T0, message_id="new"),
        ]
    )
    await store.record_inbound(text("STOP", long_ago))
    assert await store.prune(timedelta(days=30)) == 1
    found = await store.outcomes(["old", "read-lately", "new"])
    assert list(found) == ["read-lately", "new"]
    assert await store.opted_out(CUSTOMER)  # customers are kept: an opt-out is never forgotten
    assert await store.last_inbound(CUSTOMER) == utc(long_ago)
    assert await store.prune(month) == 0  # seconds work too; nothing older is left
    clock.now = T0 + 31 * DAY  # a month later, by the store's clock
    assert await store.prune(month) == 2
    assert await store.outcomes(["read-lately", "new"]) == {}
    await store.record_status(status("read", long_ago + 9, message_id="old"))
    outcome = await store.outcome("old")  # a late status of a forgotten message starts afresh
    assert outcome is not None
    assert (outcome.status, outcome.sent_at, outcome.read_at) == ("read", None, utc(long_ago + 9))


async def test_prune_keeps_a_step_exactly_at_the_cutoff(store: OutcomeStore) -> None:
    await store.record_status(status("failed", T0 - 100, message_id="f", code=470))
    assert await store.prune(100) == 0
    assert await store.outcome("f") is not None
    assert await store.prune(99.5) == 1
    assert await store.outcome("f") is None


async def test_prune_walks_a_store_larger_than_one_batch(
    store: OutcomeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivowaba.outcomes import _redis, _sqlite

    monkeypatch.setattr(_sqlite, "_PRUNE_CHUNK", 3)
    monkeypatch.setattr(_redis, "_PRUNE_BATCH", 3)
    ids = [f"m{i:02d}" for i in range(20)]
    await store.record_statuses(
        status("sent", T0 - 2 * DAY if i % 3 else T0, message_id=m) for i, m in enumerate(ids)
    )
    assert await store.prune(timedelta(days=1)) == 13
    assert list(await store.outcomes(ids)) == ids[::3]


@pytest.mark.parametrize("older_than", [0, -1, timedelta(0), math.nan, math.inf, True, "30"])
async def test_prune_refuses_an_age_that_is_not_positive(
    store: OutcomeStore, older_than: Any
) -> None:
    await store.record_status(status("sent", 0))
    with pytest.raises(ConfigError, match="older_than must be a positive"):
        await store.prune(older_than)
    assert await store.outcome("m") is not None


# -- the store's life --------------------------------------------------------------------------


async def test_a_closed_store_refuses_calls(make_store: OpenStore) -> None:
    store = make_store()
    async with store:
        await store.record_status(status("sent"))
    await store.aclose()  # again: nothing happens
    with pytest.raises(ClientClosedError, match="outcome store is closed"):
        await store.outcome("m")
    with pytest.raises(ClientClosedError):
        await store.record_status(status("read"))
    assert isinstance(store, OutcomeStore)


def test_one_store_serves_event_loops_one_after_another(make_store: OpenStore) -> None:
    """As the blocking client's loop thread and ``asyncio.run()`` calls would use it."""
    store = make_store()
    asyncio.run(store.record_status(status("sent")))
    asyncio.run(store.record_inbound(text("STOP")))
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(store.outcome("m"))))
    thread.start()
    thread.join()
    assert result[0].status == "sent"
    assert asyncio.run(store.opted_out(CUSTOMER))


def test_the_blocking_client_loop_thread_uses_it(make_store: OpenStore) -> None:
    from ivowaba._runner import LoopRunner

    store = make_store()
    runner = LoopRunner()
    try:
        runner.call(store.record_status, status("delivered"))
        outcome = runner.call(store.outcome, "m")
    finally:
        runner.close()
    assert outcome is not None
    assert outcome.status == "delivered"


# -- recording through the Dispatcher --------------------------------------------------------


async def test_a_send_and_a_reply_are_recorded_from_real_webhook_posts(
    make_store: OpenStore, clock: Clock
) -> None:
    store = make_store()
    dispatcher = Dispatcher(outcomes=store)
    handled: list[str] = []

    @dispatcher.on_status("read")
    def on_read(s: Status) -> None:
        handled.append(s.status)

    @dispatcher.on_message("text")
    def on_text(m: InboundMessage) -> None:
        raise RuntimeError("a broken handler")  # recorded all the same

    failing = "628999000111"
    async with serve_aiohttp(dispatcher, username=USER, password=PASSWORD) as hook:
        emulator = Emulator(
            webhook_url=hook,
            webhook_username=USER,
            webhook_password=PASSWORD,
            delivery_attempts=1,
        )
        async with emulator as emu:
            emu.mark_failing(failing, 470)
            async with ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
                sent = await client.messages.send_text(CUSTOMER, "hello")
                refused = await client.messages.send_text(failing, "hello?")
            await emu.wait_delivered()
            emu.inbound_text(CUSTOMER, " Stop ")
            await emu.wait_delivered()
    outcome = await store.outcome(sent.id)
    assert outcome is not None
    assert (outcome.status, outcome.recipient_id) == ("read", CUSTOMER)
    assert None not in (outcome.sent_at, outcome.delivered_at, outcome.read_at)
    failure = await store.outcome(refused.id)
    assert failure is not None
    assert (failure.status, failure.error_code) == ("failed", 470)
    assert failure.error_title is not None
    assert "24 hours" in failure.error_title
    assert handled == ["read"]
    assert await store.opted_out(CUSTOMER)
    last = await store.last_inbound(CUSTOMER)
    assert last is not None
    assert await store.window_open(CUSTOMER, now=last + timedelta(hours=1))


class Flaky:
    """A store whose first ``failures`` writes fail, as a full disk or Redis down would."""

    def __init__(self, store: OutcomeStore, failures: int) -> None:
        self.store = store
        self.failures = failures

    def _fail(self) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("disk full")

    async def record_statuses(self, statuses: Any) -> None:
        self._fail()
        await self.store.record_statuses(statuses)

    async def record_inbound(self, message: InboundMessage) -> None:
        self._fail()
        await self.store.record_inbound(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize("serve", [serve_aiohttp, serve_asgi], ids=["aiohttp", "asgi"])
async def test_a_recording_failure_fails_the_delivery_which_comes_again(
    make_store: OpenStore, serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store()
    dispatcher = Dispatcher(outcomes=Flaky(store, failures=1))
    seen: list[str] = []
    dispatcher.on_status()(lambda s: seen.append(s.status))
    body = msgspec.json.encode({"statuses": [{"id": "m", "status": "sent", "timestamp": str(T0)}]})
    async with (
        serve(dispatcher, username=USER, password=PASSWORD) as hook,
        aiohttp.ClientSession() as http,
    ):
        async with http.post(hook, data=body, headers=AUTH) as first:
            assert first.status == 500
        assert seen == []  # no handler ran
        assert await store.outcome("m") is None
        async with http.post(hook, data=body, headers=AUTH) as second:
            assert second.status == 200
        async with http.post(hook, data=body, headers=AUTH) as third:
            assert third.status == 200  # a duplicate: recorded again, handled once
    assert seen == ["sent"]
    outcome = await store.outcome("m")
    assert outcome is not None
    assert outcome.status == "sent"
    assert "recording a notification of 0 messages, 1 statuses" in caplog.text
    assert "disk full" in caplog.text


async def test_a_failing_inbound_record_runs_no_handler(make_store: OpenStore) -> None:
    store = make_store()
    dispatcher = Dispatcher(outcomes=Flaky(store, failures=1))
    seen: list[InboundMessage] = []
    dispatcher.on_message()(seen.append)
    notification = Notification(messages=[text("STOP")])
    with pytest.raises(OSError, match="disk full"):
        await dispatcher.dispatch(notification)
    assert seen == []
    assert await dispatcher.dispatch(notification)
    assert len(seen) == 1
    assert await store.opted_out(CUSTOMER)


async def test_replay_records_what_was_held(make_store: OpenStore) -> None:
    store = make_store()
    dispatcher = Dispatcher(outcomes=Flaky(store, failures=1))
    held = [
        Notification(statuses=[status("read", T0 + 2, message_id="a")]),
        Notification(statuses=[status("delivered", T0 + 1, message_id="a")]),
        Notification(statuses=[status("sent", T0, message_id="b")], messages=[text("hi")]),
    ]
    result = await dispatcher.replay(held)
    assert (result.handled, len(result.failed)) == (2, 1)  # the first one's recording failed
    assert isinstance(result.failed[0][1], OSError)
    again = await dispatcher.replay(held)
    assert (again.handled, again.duplicates, again.failed) == (1, 2, [])
    found = await store.outcomes(["a", "b"])
    assert (found["a"].status, found["b"].status) == ("read", "sent")
    assert await store.last_inbound(CUSTOMER) == utc(T0)


# -- URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://db/outcomes", "unknown outcome store URL 'postgres://db/outcomes'"),
        ("outcomes.db", "unknown outcome store URL 'outcomes.db'"),
        ("http://user:hunter2@host/x", "unknown outcome store URL 'http://user:\\*\\*\\*@host/x'"),
        ("sqlite://host/outcomes.db", "a SQLite URL has no host"),
        ("sqlite:outcomes.db", "a SQLite URL has no host"),
        ("sqlite:///", "no file named"),
        ("sqlite:///outcomes.db?timeout=5", "pass options as keywords"),
        pytest.param(
            "redis://:hunter2@localhost:notaport/0",
            "bad outcome store URL redis://:\\*\\*\\*@",
            marks=pytest.mark.skipif(not HAVE_REDIS, reason="needs redis-py"),
        ),
        pytest.param(
            "redis://:hunter2@[::1:6379/0",
            "bad outcome store URL <an unreadable URL>",
            marks=pytest.mark.skipif(not HAVE_REDIS, reason="needs redis-py"),
        ),
    ],
)
def test_a_url_that_names_no_store_says_the_rule(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        open_store(url)
    assert "use sqlite:///relative/path.db" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_the_url_is_a_string() -> None:
    with pytest.raises(ConfigError, match=r"a string, not (Posix|Windows)Path"):
        open_store(Path("outcomes.db"))  # type: ignore[arg-type]


def test_redis_without_its_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ConfigError, match=r"needs redis-py: pip install 'ivowaba\[redis\]'") as e:
        open_store("redis://:hunter2@localhost:6379/0")
    assert "redis://:***@localhost:6379/0" in str(e.value)
    assert "hunter2" not in str(e.value)


async def test_sqlite_urls_relative_absolute_and_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data dir").mkdir()
    stores = [
        open_store("sqlite:///data%20dir/relative.db"),
        open_store(f"SQLite:///{tmp_path}/absolute.db"),
        open_store("sqlite:///:memory:"),
    ]
    for store in stores:
        assert isinstance(store, SQLiteOutcomeStore)
        await store.record_status(status("sent"))
        assert await store.outcome("m") is not None
        await store.aclose()
    assert (tmp_path / "data dir" / "relative.db").is_file()
    assert (tmp_path / "absolute.db").is_file()
    assert repr(stores[0]) == "SQLiteOutcomeStore('data dir/relative.db')"


def test_a_file_that_cannot_be_a_store_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot open the outcome store .*nowhere"):
        open_store(f"sqlite:///{tmp_path}/nowhere/outcomes.db")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, not at all" * 100)
    with pytest.raises(ConfigError, match="not a database"):
        SQLiteOutcomeStore(garbage)
    with pytest.raises(ConfigError, match="busy_timeout"):
        SQLiteOutcomeStore(tmp_path / "x.db", busy_timeout=-1)


def test_window_closed_error_says_who_and_when() -> None:
    never = WindowClosedError(CUSTOMER, None)
    assert (never.wa_id, never.last_inbound) == (CUSTOMER, None)
    assert "has never written" in str(never)
    late = WindowClosedError(CUSTOMER, utc(T0))
    assert late.last_inbound == utc(T0)
    assert "last wrote at 2023-11-14T22:13:20+00:00" in str(late)
    assert isinstance(late, ivowaba.IvowabaError)
    assert type(late).__module__ == "ivowaba"
    assert ivowaba.WindowClosedError is WindowClosedError
    assert sent_state(late) is False  # raised before any request


# -- SQLite: several stores, several processes, one file -------------------------------------


async def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    async with open_store(url) as one, open_store(url) as other:
        await one.record_status(status("sent", T0))
        await other.record_status(status("read", T0 + 2))
        await one.record_status(status("delivered", T0 + 1))
        await other.record_inbound(text("STOP"))
        for store in (one, other):
            outcome = await store.outcome("m")
            assert outcome is not None
            assert (outcome.status, outcome.delivered_at) == ("read", utc(T0 + 1))
            assert await store.opted_out(CUSTOMER)


WRITER = """
import asyncio, sys
from ivowaba.outcomes import open_store
from ivowaba.webhooks import parse

async def main(url, name):
    store = open_store(url)
    for i in range(300):
        # every process records every message: sent, delivered and read, in its own order
        states = ["sent", "delivered", "read"]
        state = states[(i + len(name)) % 3]
        wire = {"id": f"m{i}", "status": state, "timestamp": str(1000 + states.index(state))}
        await store.record_statuses(parse({"statuses": [wire]}).statuses)
    await store.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_several_processes_write_to_one_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    writers = [
        subprocess.Popen(
            [sys.executable, "-W", "error", "-c", WRITER, url, name],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "bb", "ccc")
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors
        assert errors == ""
    store = open_store(url)
    try:
        found = asyncio.run(store.outcomes(f"m{i}" for i in range(300)))
    finally:
        store.close()  # type: ignore[attr-defined]
    assert len(found) == 300
    assert {o.status for o in found.values()} == {"read"}
    assert {o.delivered_at for o in found.values()} == {utc(1001)}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    store = SQLiteOutcomeStore(tmp_path / "forked.db")
    idle = SQLiteOutcomeStore(tmp_path / "forked.db")
    closed = SQLiteOutcomeStore(tmp_path / "forked.db")
    asyncio.run(store.record_status(status("sent", message_id="parent")))
    closed.close()

    def child() -> bool:
        asyncio.run(store.record_status(status("sent", message_id="child")))
        outcome = asyncio.run(store.outcome("parent"))
        store.close()
        asyncio.run(idle.aclose())  # never used here: the parent's writer is left alone
        try:
            asyncio.run(closed.outcome("parent"))
        except ClientClosedError:
            return outcome is not None
        return False

    assert wait_for_child(fork(child)) == 0
    found = asyncio.run(store.outcomes(["parent", "child"]))  # the parent's is untouched
    assert asyncio.run(idle.outcome("child")) is not None
    store.close()
    idle.close()
    assert set(found) == {"parent", "child"}


async def test_a_write_that_cannot_commit_fails_the_delivery(tmp_path: Path) -> None:
    """Another connection holds the file's write lock past the busy timeout: the POST is
    answered 500, nothing is handled; once the lock is gone, the gateway's retry records it."""
    path = tmp_path / "locked.db"
    store = SQLiteOutcomeStore(path, busy_timeout=0.05)
    dispatcher = Dispatcher(outcomes=store)
    seen: list[Status] = []
    dispatcher.on_status()(seen.append)
    body = msgspec.json.encode({"statuses": [{"id": "m", "status": "read", "timestamp": "1"}]})
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with serve_aiohttp(dispatcher) as hook, aiohttp.ClientSession() as http:
            holder.execute("BEGIN IMMEDIATE")
            async with http.post(hook, data=body) as answer:
                assert answer.status == 500
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await store.set_opted_out(CUSTOMER)
            assert await store.outcome("m") is None  # reads go on meanwhile
            holder.execute("ROLLBACK")
            async with http.post(hook, data=body) as answer:
                assert answer.status == 200
    finally:
        holder.close()
        await store.aclose()
    assert [s.status for s in seen] == ["read"]


async def test_a_read_that_fails_raises_and_the_store_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    async with SQLiteOutcomeStore(path) as store:
        await store.record_status(status("sent"))
        with sqlite3.connect(path) as other:
            other.execute("DROP TABLE customers")
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await store.opted_out(CUSTOMER)
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await store.record_inbound(text("STOP"))
        assert await store.outcome("m") is not None
        with sqlite3.connect(path) as other:
            other.execute("DROP TABLE message_outcomes")
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await store.record_statuses([status("read"), status("sent", message_id="n")])
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await store.outcome("m")


def test_a_file_locked_past_the_busy_timeout_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("CREATE TABLE other (x)")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(ConfigError, match=r"cannot open the outcome store .* locked"):
            SQLiteOutcomeStore(path, busy_timeout=0.05)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    SQLiteOutcomeStore(path, busy_timeout=0.05).close()


async def test_a_cancelled_call_leaves_the_store_working(store: OutcomeStore) -> None:
    calls: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(store.record_status(status("sent"))) for _ in range(20)
    ]
    calls += [asyncio.ensure_future(store.outcome("m")) for _ in range(20)]
    await asyncio.sleep(0)
    for call in calls[::2]:
        call.cancel()
    await asyncio.gather(*calls, return_exceptions=True)
    outcome = await store.outcome("m")
    assert outcome is not None
    assert outcome.status == "sent"


def our_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ivowaba-outcomes"]


async def test_closing_ends_the_writer_thread(tmp_path: Path) -> None:
    before = len(our_threads())
    store = SQLiteOutcomeStore(tmp_path / "x.db")
    await store.record_status(status("sent"))
    assert len(our_threads()) == before + 1
    await store.aclose()
    assert len(our_threads()) == before
    blocking = SQLiteOutcomeStore(tmp_path / "x.db")
    blocking.close()
    blocking.close()
    assert len(our_threads()) == before


async def test_a_store_dropped_unclosed_ends_its_thread(tmp_path: Path) -> None:
    before = set(our_threads())
    store = SQLiteOutcomeStore(tmp_path / "x.db")
    await store.record_status(status("sent"))
    (thread,) = set(our_threads()) - before
    del store
    gc.collect()
    thread.join(timeout=10)
    assert not thread.is_alive()


CLOSING = """
import asyncio, sys
from ivowaba.outcomes import open_store
from ivowaba.webhooks import parse

async def main(url, close):
    store = open_store(url)
    await store.record_statuses(parse({"statuses": [{"id": "m", "status": "read",
                                                     "timestamp": "1"}]}).statuses)
    if close == "close":
        await store.aclose()
    else:
        globals()["kept"] = store  # never closed: exit must not wait for it

asyncio.run(main(sys.argv[1], sys.argv[2]))
print("done")
"""


@pytest.mark.parametrize("close", ["close", "never"])
def test_no_warning_at_close_and_no_hang_at_exit(tmp_path: Path, close: str) -> None:
    url = f"sqlite:///{tmp_path}/exit.db"
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", CLOSING, url, close],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\n", "")


# -- ivowaba.outcomes, as users see it --------------------------------------------------------


def test_public_names() -> None:
    import ivowaba.outcomes

    for name in ivowaba.outcomes.__all__:
        assert getattr(ivowaba.outcomes, name) is not None
    for cls in (MessageOutcome, OutcomeStore, SQLiteOutcomeStore, RedisOutcomeStore):
        assert cls.__module__ == "ivowaba.outcomes"
    assert repr(MessageOutcome(message_id="m", status="sent")) == (
        "MessageOutcome(message_id='m', status='sent')"
    )
