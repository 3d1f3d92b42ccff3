"""The emulator playing along with campaign outcomes: the 24-hour window (``enforce_window``),
a clock tests move, failures with any code, statuses duplicated, out of order or held back.

End to end: a client sends to the emulator, whose notifications are real webhook POSTs to a
``Dispatcher(outcomes=store)`` recording into a SQLite outcome store; the tests read the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import ivowaba
import ivowaba.testing
from ivowaba.cli import run
from ivowaba.outcomes import CUSTOMER_SERVICE_WINDOW, MessageOutcome, OutcomeStore, open_store
from ivowaba.testing import Emulator
from ivowaba.webhooks import Dispatcher
from tests.test_webhooks_receiver import PASSWORD, USER, serve_aiohttp

#: The reference's titles ("Message Failed"), as the notifications must carry them.
TITLE_470 = (
    "Message failed to send because more than 24 hours have passed since the customer last "
    "replied to this number"
)
TITLE_480 = "Failed to send message since we detect an identity change of the contact"

WROTE = "628111000001"  # writes to the business in the tests that need an open window
SILENT = "628111000002"  # never writes
HOUR = 3600


@dataclass
class Line:
    """A client, the emulator it sends to, and the store its notifications end in."""

    emu: Emulator
    client: ivowaba.AsyncClient
    store: OutcomeStore

    async def outcome(self, message_id: str) -> MessageOutcome:
        """The message's outcome once every notification so far has been delivered."""
        await self.emu.wait_delivered()
        outcome = await self.store.outcome(message_id)
        assert outcome is not None, f"no status of {message_id} recorded"
        return outcome

    def wire_statuses(self, message_id: str) -> list[str]:
        """The statuses of ``message_id`` the webhook accepted, in the order they came."""
        return [
            status["status"]
            for notification in self.emu.delivered
            for status in notification.get("statuses", ())
            if status["id"] == message_id
        ]


@asynccontextmanager
async def line_in(directory: Path, **options: Any) -> AsyncIterator[Line]:
    store = open_store(f"sqlite:///{directory}/outcomes.db")
    try:
        async with serve_aiohttp(
            Dispatcher(outcomes=store), username=USER, password=PASSWORD
        ) as hook:
            emulator = Emulator(
                webhook_url=hook,
                webhook_username=USER,
                webhook_password=PASSWORD,
                delivery_delay=0,
                delivery_attempts=1,
                **options,
            )
            async with (
                emulator as emu,
                ivowaba.AsyncClient(
                    api_key=emu.api_key, base_url=emu.base_url, max_retries=0
                ) as client,
            ):
                yield Line(emu, client, store)
    finally:
        await store.aclose()


@pytest.fixture
async def line(tmp_path: Path) -> AsyncIterator[Line]:
    async with line_in(tmp_path, enforce_window=True) as opened:
        opened.emu.add_template("welcome")
        yield opened


# -- the 24-hour window ------------------------------------------------------------------------


async def test_a_free_form_send_outside_the_window_is_accepted_then_fails_470(
    line: Line,
) -> None:
    text = await line.client.messages.send_text(SILENT, "hello")
    location = await line.client.messages.send_location(SILENT, -6.2, 106.8)

    assert [entry.id for entry in line.emu.outbox] == [text.id, location.id]
    for sent in (text, location):
        outcome = await line.outcome(sent.id)
        assert (outcome.status, outcome.error_code, outcome.error_title) == (
            "failed",
            470,
            TITLE_470,
        )
        assert line.wire_statuses(sent.id) == ["failed"]
    (failed,) = line.emu.delivered[0]["statuses"]
    assert failed["errors"] == [
        {
            "code": 470,
            "href": "https://developers.facebook.com/docs/whatsapp/api/errors/",
            "title": TITLE_470,
        }
    ]


async def test_a_free_form_send_inside_the_window_is_delivered(line: Line) -> None:
    line.emu.inbound_text(WROTE, "is my order ready?")
    await line.emu.wait_delivered()

    sent = await line.client.messages.send_text(WROTE, "yes, it is")

    outcome = await line.outcome(sent.id)
    assert outcome.status == "read"
    assert outcome.delivered_at is not None
    assert outcome.error_code is None
    assert line.emu.window_open(WROTE)
    assert await line.store.window_open(WROTE, now=line.emu.now)


async def test_a_template_always_goes(line: Line) -> None:
    line.emu.advance(days=3)

    sent = await line.client.messages.send_template(SILENT, "welcome", body=["Ana"])

    outcome = await line.outcome(sent.id)
    assert (outcome.status, outcome.error_code) == ("read", None)
    assert not line.emu.window_open(SILENT)


async def test_advancing_the_clock_closes_a_window_opened_before(line: Line) -> None:
    line.emu.inbound_text(WROTE, "hi")
    line.emu.advance(hours=23)
    inside = await line.client.messages.send_text(WROTE, "still open")
    line.emu.advance(hours=2)
    outside = await line.client.messages.send_text(WROTE, "too late")
    line.emu.inbound_text(WROTE, "hello again")
    reopened = await line.client.messages.send_text(WROTE, "open again")

    early = await line.outcome(inside.id)
    assert early.status == "read"
    late = await line.outcome(outside.id)
    assert (late.status, late.error_code) == ("failed", 470)
    assert (await line.outcome(reopened.id)).status == "read"
    # the notifications carry the emulator's time, 23 and 25 hours ahead of the real one
    assert early.read_at is not None
    assert late.failed_at is not None
    assert early.read_at.timestamp() >= time.time() + 23 * HOUR - 60
    assert late.failed_at.timestamp() >= time.time() + 25 * HOUR - 60


async def test_the_store_and_the_emulator_agree_on_the_window(line: Line) -> None:
    line.emu.inbound_text(WROTE, "hi")
    await line.emu.wait_delivered()
    seen = []
    for hours in (0, 23, 1):  # the window is closed exactly 24 hours after the message
        line.emu.advance(hours=hours)
        seen.append(
            (line.emu.window_open(WROTE), await line.store.window_open(WROTE, now=line.emu.now))
        )

    assert seen == [(True, True), (True, True), (False, False)]


async def test_the_window_is_not_enforced_unless_asked(line: Line) -> None:
    line.emu.enforce_window = False

    sent = await line.client.messages.send_text(SILENT, "hello")

    assert (await line.outcome(sent.id)).status == "read"


async def test_the_sandbox_takes_a_free_form_message_outside_the_window(line: Line) -> None:
    async with ivowaba.AsyncClient(
        api_key=line.emu.api_key, base_url=line.emu.base_url, sandbox=True, max_retries=0
    ) as sandbox:
        sent = await sandbox.messages.send_text(SILENT, "hello")

    assert line.emu.outbox[0].sandbox
    assert (await line.outcome(sent.id)).status == "read"


Inbound = Callable[[Emulator, str], object]
INBOUND: dict[str, Inbound] = {
    "text": lambda emu, wa: emu.inbound_text(wa, "hi"),
    "reply": lambda emu, wa: emu.inbound_reply(wa, "gBEGkYiEB1VXAglK1ZEqA1YKPrU", "yes"),
    "media": lambda emu, wa: emu.inbound_media(wa, "image"),
    "location": lambda emu, wa: emu.inbound_location(wa, -6.2, 106.8),
    "contacts": lambda emu, wa: emu.inbound_contacts(
        wa, [{"name": {"formatted_name": "Ana"}, "phones": [{"phone": "+62 811"}]}]
    ),
    "interactive": lambda emu, wa: emu.inbound_interactive_reply(wa, "yes"),
    "button": lambda emu, wa: emu.inbound_button(wa, "PAYLOAD", "Yes"),
}


@pytest.mark.parametrize("kind", sorted(INBOUND))
def test_every_message_a_customer_sends_opens_their_window(kind: str) -> None:
    emu = Emulator(enforce_window=True)  # not serving: notifications are held for pulling

    assert not emu.window_open(WROTE)
    INBOUND[kind](emu, "+62 811-1000-001")

    assert emu.window_open(WROTE)
    assert not emu.window_open(SILENT)
    emu.advance(hours=24)
    assert not emu.window_open(WROTE)


def test_a_raw_notification_opens_the_window_at_its_own_time_a_system_message_never() -> None:
    emu = Emulator(enforce_window=True)
    stamp = int(emu.now)

    def message(wa_id: str, kind: str, at: int) -> dict[str, Any]:
        return {"messages": [{"from": wa_id, "id": "ABGG1", "timestamp": str(at), "type": kind}]}

    emu.notify(message(WROTE, "text", stamp - 23 * HOUR))
    emu.notify(message(SILENT, "text", stamp - 25 * HOUR))
    emu.notify(message("628111000003", "system", stamp))

    assert [emu.window_open(n) for n in (WROTE, SILENT, "628111000003")] == [True, False, False]


# -- the clock -----------------------------------------------------------------------------------


def test_advance_moves_the_clock_forward_only_and_reset_brings_it_back() -> None:
    emu = Emulator()
    before = emu.now

    moved = emu.advance(days=1, hours=1, minutes=30, seconds=5)
    assert moved >= before + 25 * HOUR + 30 * 60 + 5
    assert moved - time.time() < 25 * HOUR + 30 * 60 + 5 + 60
    with pytest.raises(ValueError, match="only moves forward"):
        emu.advance(minutes=-1)

    emu.inbound_text(WROTE, "hi")
    emu.reset()
    assert abs(emu.now - time.time()) < 60
    assert not emu.window_open(WROTE)


# -- failures with any code ---------------------------------------------------------------------


async def test_mark_failing_fails_with_any_code_and_its_title(line: Line) -> None:
    identity, other = "628111000004", "628111000005"
    line.emu.inbound_text(identity, "hi")  # an open window does not save it
    line.emu.mark_failing(identity, code=480)
    line.emu.mark_failing(other, code=131026, title="Message undeliverable")

    text = await line.client.messages.send_text(identity, "hello")
    template = await line.client.messages.send_template(identity, "welcome", body=["Ana"])
    custom = await line.client.messages.send_text(other, "hello")

    for sent in (text, template):
        outcome = await line.outcome(sent.id)
        assert (outcome.status, outcome.error_code, outcome.error_title) == (
            "failed",
            480,
            TITLE_480,
        )
    outcome = await line.outcome(custom.id)
    assert (outcome.error_code, outcome.error_title) == (131026, "Message undeliverable")
    wire = [s for n in line.emu.delivered for s in n.get("statuses", ()) if s["id"] == text.id]
    assert wire[0]["errors"] == [{"code": 480, "title": TITLE_480}]

    line.emu.failing_numbers.pop(identity)
    again = await line.client.messages.send_text(identity, "hello again")
    assert (await line.outcome(again.id)).status == "read"


def test_mark_failing_wants_an_int_code() -> None:
    with pytest.raises(TypeError, match="code must be an int"):
        Emulator().mark_failing(WROTE, code="480")  # type: ignore[arg-type]


# -- statuses duplicated, out of order, held -----------------------------------------------------


async def campaign(line: Line) -> list[tuple[Any, ...]]:
    """Four sends whose outcomes differ; what the store made of each."""
    line.emu.inbound_text(WROTE, "hi")
    line.emu.mark_failing("628111000004", code=480)
    sends = [
        await line.client.messages.send_text(WROTE, "in the window"),
        await line.client.messages.send_text(SILENT, "outside it"),
        await line.client.messages.send_template(SILENT, "welcome", body=["Ana"]),
        await line.client.messages.send_text("628111000004", "identity changed"),
    ]
    summary = []
    for sent in sends:
        o = await line.outcome(sent.id)
        steps = (o.sent_at, o.delivered_at, o.read_at, o.failed_at)
        summary.append((o.status, o.error_code, o.error_title, [at is not None for at in steps]))
    return summary


async def test_duplicated_and_out_of_order_statuses_give_the_same_outcomes(
    tmp_path: Path,
) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "scrambled").mkdir()
    async with line_in(tmp_path / "plain", enforce_window=True) as plain:
        plain.emu.add_template("welcome")
        expected = await campaign(plain)
    async with line_in(tmp_path / "scrambled", enforce_window=True) as scrambled:
        scrambled.emu.add_template("welcome")
        scrambled.emu.statuses_arrive(duplicated=True, out_of_order=True)
        got = await campaign(scrambled)

    assert got == expected
    assert [row[0] for row in got] == ["read", "failed", "read", "failed"]
    first, second = scrambled.emu.outbox[0].id, scrambled.emu.outbox[1].id
    assert scrambled.wire_statuses(first) == ["read", "delivered", "sent"] * 2
    assert scrambled.wire_statuses(second) == ["failed", "failed"]
    assert plain.wire_statuses(plain.emu.outbox[0].id) == ["sent", "delivered", "read"]


@pytest.mark.parametrize(
    ("duplicated", "out_of_order", "order"),
    [
        (True, False, ["sent", "delivered", "read"] * 2),
        (False, True, ["read", "delivered", "sent"]),
        (False, False, ["sent", "delivered", "read"]),
    ],
)
async def test_each_way_statuses_can_arrive(
    line: Line, duplicated: bool, out_of_order: bool, order: list[str]
) -> None:
    line.emu.statuses_arrive(duplicated=True, out_of_order=True)
    line.emu.statuses_arrive(duplicated=duplicated, out_of_order=out_of_order)

    sent = await line.client.messages.send_template(SILENT, "welcome", body=["Ana"])

    assert (await line.outcome(sent.id)).status == "read"
    assert line.wire_statuses(sent.id) == order


async def test_held_statuses_arrive_only_when_released(line: Line) -> None:
    line.emu.hold_statuses()
    line.emu.inbound_text(WROTE, "hi")  # a customer's message is not held
    delivered = await line.client.messages.send_text(WROTE, "hello")
    failed = await line.client.messages.send_text(SILENT, "hello")
    await line.emu.wait_delivered()

    assert await line.store.outcome(delivered.id) is None
    assert await line.store.outcome(failed.id) is None
    assert await line.store.last_inbound(WROTE) is not None
    held = [n["statuses"][0]["status"] for n in line.emu.statuses_on_hold]
    assert held == ["sent", "delivered", "read", "failed"]

    assert line.emu.release_statuses() == 4
    assert line.emu.statuses_on_hold == []
    assert (await line.outcome(delivered.id)).status == "read"
    assert (await line.outcome(failed.id)).error_code == 470
    after = await line.client.messages.send_text(WROTE, "not held any more")
    assert (await line.outcome(after.id)).status == "read"


async def test_reset_forgets_the_clock_windows_and_how_statuses_arrive(line: Line) -> None:
    line.emu.inbound_text(WROTE, "hi")
    line.emu.advance(hours=5)
    line.emu.hold_statuses()
    line.emu.statuses_arrive(duplicated=True, out_of_order=True)
    await line.client.messages.send_template(SILENT, "welcome", body=["Ana"])
    await line.emu.wait_delivered()

    line.emu.reset()
    line.emu.add_template("welcome")
    sent = await line.client.messages.send_template(SILENT, "welcome", body=["Ana"])

    assert line.emu.statuses_on_hold == []
    assert not line.emu.window_open(WROTE)
    assert (await line.outcome(sent.id)).status == "read"
    assert line.wire_statuses(sent.id) == ["sent", "delivered", "read"]
    assert abs(int(line.emu.delivered[0]["statuses"][0]["timestamp"]) - time.time()) < 60


# -- the command ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [True, False])
def test_the_emulator_command_passes_enforce_window_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flag: bool
) -> None:
    made: list[Emulator] = []

    def interrupt() -> None:
        raise KeyboardInterrupt  # as Ctrl-C does, once it serves

    class Interrupted(Emulator):
        async def __aenter__(self) -> Emulator:
            made.append(self)
            serving = await super().__aenter__()
            asyncio.get_running_loop().call_soon(interrupt)
            return serving

    monkeypatch.setattr(ivowaba.testing, "Emulator", Interrupted)
    argv = ["emulator", "--port", "0", *(["--enforce-window"] if flag else [])]

    assert run(argv) == 130
    (emulator,) = made
    assert emulator.enforce_window is flag
    assert not emulator.running
    out = capsys.readouterr().out
    assert out.startswith("IVOWBA emulator on http://127.0.0.1:")
    assert ("24-hour window" in out) is flag


def test_the_window_is_the_outcome_stores_window() -> None:
    emu = Emulator()
    emu.inbound_text(WROTE, "hi")
    emu.advance(seconds=CUSTOMER_SERVICE_WINDOW.total_seconds() - 5)
    assert emu.window_open(WROTE)
    emu.advance(seconds=5)
    assert not emu.window_open(WROTE)
