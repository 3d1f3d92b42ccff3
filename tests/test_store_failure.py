"""An outcome store that fails while a send is screened (opt-out, the 24-hour window) fails
before any request: the send is surely not sent. ``send_many(..., outcomes=store)`` gives
each such row ``sent=False`` and an ``OutcomeStoreError`` naming the store, on both clients;
the window guard of a one-to-one send raises it; ``ivowaba bulk --outcomes`` journals the
row ``"sent": false``. The store's own error shows as a line, its URL password masked, never
chained (its traceback may hold the connection)."""

from __future__ import annotations

import json
import traceback
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import ivowaba
from ivowaba import OutcomeStoreError, ValidationError
from ivowaba._errors import sent_state
from ivowaba.cli import run
from ivowaba.outcomes import SQLiteOutcomeStore
from ivowaba.testing import Emulator
from ivowaba.types.bulk import BulkResult
from tests.conftest import API_KEY, Both, client_of_kind

PASSWORD = "hunter2-planted"
#: What a Redis gone away says, here with the URL it was opened with (password and all).
GONE = f"Error 111 connecting to redis://ivo:{PASSWORD}@127.0.0.1:6379/0. Connection refused."
CUSTOMER = "628123456789"
TEMPLATE = "60243665e4058d3b4a377bd2"


class RedisGone(ConnectionError):
    """Stands for ``redis.exceptions.ConnectionError``."""


class FailingStore:
    """A store whose lookups named in ``failing`` raise ``RedisGone``; the others answer:
    nobody opted out, and every window is open (or, with ``window_open=False``, closed)."""

    def __init__(self, *failing: str, window_open: bool = True) -> None:
        self.failing = set(failing)
        self.open = window_open
        self.asked: list[str] = []

    def _ask(self, lookup: str) -> None:
        self.asked.append(lookup)
        if lookup in self.failing:
            raise RedisGone(GONE)

    async def opted_out(self, wa_id: str) -> bool:
        self._ask("opted_out")
        return False

    async def window_open(self, wa_id: str, now: object = None) -> bool:
        self._ask("window_open")
        return self.open

    async def last_inbound(self, wa_id: str) -> datetime | None:
        self._ask("last_inbound")
        return None


def text_to(wa_id: str) -> dict[str, Any]:
    return {"type": "text", "wa_id": wa_id, "text": "Your parcel has shipped"}


def template_to(wa_id: str) -> dict[str, Any]:
    return {
        "type": "template",
        "wa_id": wa_id,
        "template_id": TEMPLATE,
        "components": [{"type": "body"}],
    }


def number(i: int) -> str:
    return f"6281300000{i:03d}"


@pytest.fixture(params=["async", "sync"])
async def through(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[Both]:
    """An ``AsyncClient`` or a ``Client``, without a store of its own."""
    async with client_of_kind(
        request.param, api_key=API_KEY, base_url=emu.base_url, max_retries=0
    ) as both:
        yield both


@pytest.fixture
def closed_store(tmp_path: Path) -> SQLiteOutcomeStore:
    store = SQLiteOutcomeStore(tmp_path / "outcomes.db")
    store.close()
    return store


async def collect(through: Both, messages: list[Any], store: object) -> list[BulkResult]:
    def send(c: Any) -> Any:
        results = c.messages.send_many(messages, concurrency=3, outcomes=store)
        if isinstance(c, ivowaba.Client):
            return list(results)

        async def gather() -> list[BulkResult]:
            return [r async for r in results]

        return gather()

    results: list[BulkResult] = await through(send)
    return sorted(results, key=lambda r: r.index)


def assert_store_failed(error: BaseException | None, wa_id: str) -> OutcomeStoreError:
    """``error`` says the store failed screening ``wa_id``, with nothing secret anywhere."""
    assert isinstance(error, OutcomeStoreError)
    assert sent_state(error) is False
    assert error.wa_id == wa_id
    assert str(error).startswith("the outcome store failed: ")
    assert f"nothing was sent to {wa_id}" in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None  # the store's error (and its traceback) is not kept
    shown = "".join(traceback.format_exception(error)) + repr(error)
    assert PASSWORD not in shown
    return error


@pytest.mark.parametrize("failing", ["opted_out", "window_open"])
async def test_send_many_sends_nothing_when_the_store_fails(
    through: Both, emu: Emulator, failing: str
) -> None:
    store = FailingStore(failing)
    messages = [text_to(number(i)) for i in range(5)]

    results = await collect(through, messages, store)

    assert [r.index for r in results] == list(range(5))
    for result in results:
        assert (result.id, result.skipped, result.ok, result.sent) == (None, None, False, False)
        error = assert_store_failed(result.error, number(result.index))
        assert error.cause == f"{GONE.replace(PASSWORD, '***')} (RedisGone)"
    assert emu.requests == []
    assert emu.outbox == []
    assert store.asked.count(failing) == 5


async def test_a_closed_store_sends_nothing_either(
    through: Both, emu: Emulator, closed_store: SQLiteOutcomeStore
) -> None:
    messages = [text_to(number(0)), template_to(number(1))]

    results = await collect(through, messages, closed_store)

    assert [r.sent for r in results] == [False, False]
    for result in results:
        error = assert_store_failed(result.error, number(result.index))
        assert error.cause == "the outcome store is closed (ClientClosedError)"
    assert emu.requests == []


async def test_only_the_rows_whose_lookup_failed_are_refused(through: Both, emu: Emulator) -> None:
    store = FailingStore("window_open")  # a template is never window-checked: it goes
    messages = [text_to(number(0)), template_to(number(1)), text_to("12")]

    results = await collect(through, messages, store)

    assert isinstance(results[0].error, OutcomeStoreError)
    assert results[0].sent is False
    assert (results[1].ok, results[1].sent, results[1].error) == (True, True, None)
    assert isinstance(results[2].error, ValidationError)  # bad input: before the store
    assert results[2].sent is False
    assert [(e.operation, e.wa_id) for e in emu.outbox] == [("messages.send_template", number(1))]
    assert len(emu.requests) == 1


async def test_a_store_that_answers_sends_as_before(through: Both, emu: Emulator) -> None:
    store = FailingStore()

    results = await collect(through, [text_to(number(1)), template_to(number(2))], store)

    assert [(r.ok, r.sent, r.error, r.skipped) for r in results] == [(True, True, None, None)] * 2
    assert sorted(store.asked) == ["opted_out", "opted_out", "window_open"]
    assert len(emu.requests) == 2


@pytest.mark.parametrize("failing", ["window_open", "last_inbound"])
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_the_window_guard_of_a_one_to_one_send_fails_before_any_request(
    emu: Emulator, kind: str, failing: str
) -> None:
    # last_inbound is asked only to say since when a closed window is closed
    store = FailingStore(failing, window_open=failing != "last_inbound")
    async with client_of_kind(
        kind, api_key=API_KEY, base_url=emu.base_url, max_retries=0, outcomes=store
    ) as guarded:
        with pytest.raises(OutcomeStoreError) as caught:
            await guarded(lambda c: c.messages.send_text(CUSTOMER, "Hi"))

    assert_store_failed(caught.value, CUSTOMER)
    assert emu.requests == []


def test_bulk_journals_a_row_whose_store_failed_as_not_sent(
    ivowaba_emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def gone(self: SQLiteOutcomeStore, wa_id: str, now: object = None) -> bool:
        raise RedisGone(GONE)

    monkeypatch.setattr(SQLiteOutcomeStore, "window_open", gone)  # after opted_out answered
    rows = tmp_path / "people.csv"
    rows.write_text("wa_id\n" + "".join(f"{number(i)}\n" for i in range(1, 4)))
    (tmp_path / "outcomes.db").touch()
    connection = ["--base-url", ivowaba_emulator.base_url, "--api-key", ivowaba_emulator.api_key]
    url = f"sqlite:///{tmp_path}/outcomes.db"

    code = run(["bulk", str(rows), "--text", "Hi", "--outcomes", url, "--json", *connection])

    assert code == 1
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert (summary["sent"], summary["failed"], summary["unknown"]) == (0, 3, [])
    journal = rows.with_name("people.csv.journal.jsonl").read_text()
    outcomes = [json.loads(line) for line in journal.splitlines()[1:]]
    assert [entry["sent"] for entry in outcomes] == [False, False, False]
    assert all("the outcome store failed: " in entry["error"] for entry in outcomes)
    assert PASSWORD not in out + err + journal
    assert ivowaba_emulator.requests == []


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        (
            "redis://ivo:p@ss:w0rd@10.0.0.5:6379/0 refused",
            "redis://ivo:***@10.0.0.5:6379/0 refused",
        ),
        ("rediss://:tok3n@cache.internal/2 gone", "rediss://:***@cache.internal/2 gone"),
        ("Error 111 connecting to 127.0.0.1:6379.", "Error 111 connecting to 127.0.0.1:6379."),
        ("database is locked", "database is locked"),
    ],
)
def test_the_store_error_is_a_line_with_no_password(said: str, shown: str) -> None:
    error = OutcomeStoreError.of(CUSTOMER, RedisGone(said))

    assert error.cause == f"{shown} (RedisGone)"
    assert (
        str(error)
        == f"the outcome store failed: {shown} (RedisGone); nothing was sent to {CUSTOMER}"
    )


def test_a_store_error_without_words_says_its_type() -> None:
    assert OutcomeStoreError.of(CUSTOMER, TimeoutError()).cause == "TimeoutError"
