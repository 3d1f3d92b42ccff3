"""``reset()`` makes the emulator behave as a fresh one: every setting a test may change
(``status_lifecycle``, ``enforce_window``, ``latency``, ``template_review_delay``,
``per_page``, ``record``, ``api_key``, ``message_ids``: ``_state.Settings``) goes back to the
constructor's, and so does everything scripted (faults, failing and invalid numbers, how
statuses arrive, the clock, the webhook). So a test that changes one leaks nothing into the
next test sharing the module's emulator (``conftest``'s ``emu`` resets it before each).

Each case changes one thing, resets, then looks at what a client sees. Status notifications
are looked at held (``hold_statuses()`` after the reset): nothing is posted anywhere."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import ivowaba
from ivowaba.testing import Emulator
from ivowaba.testing._cloud import CLOUD_IDS
from ivowaba.testing._payloads import REFERENCE_IDS
from ivowaba.testing._state import Settings
from tests.conftest import API_KEY

CUSTOMER = "628123456789"
#: Nothing listens there; statuses are held before any would be posted.
NOWHERE = "http://127.0.0.1:9/hook"
GOOD_TEMPLATE: dict[str, Any] = {
    "label": "Order shipped",
    "category_id": "UTILITY",
    "language_id": "en",
    "is_propose": True,
    "body": {"text": "Hi {{1}}, your order has shipped today.", "examples": ["Ann"]},
}

Probe = Callable[[Emulator, ivowaba.AsyncClient], Awaitable[None]]


async def statuses_of_a_send(emu: Emulator, client: ivowaba.AsyncClient) -> list[str]:
    """The statuses a free-form send to a customer who never wrote gets, held."""
    emu.set_webhook(NOWHERE)
    emu.hold_statuses()
    sent = await client.messages.send_text(CUSTOMER, "Hi")
    held = emu.statuses_on_hold
    assert all(n["statuses"][0]["id"] == sent.id for n in held)
    return [n["statuses"][0]["status"] for n in held]


async def sent_read_and_delivered(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    assert await statuses_of_a_send(emu, client) == ["sent", "delivered", "read"]


async def a_send_is_accepted_and_kept(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    sent = await client.messages.send_text(CUSTOMER, "Hi")
    assert sent.id.startswith("gBEG")  # the reference's ids, not the Cloud API's wamid.
    assert [entry.id for entry in emu.outbox] == [sent.id]
    assert len(emu.requests) == 1


async def a_request_is_answered_at_once(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    quick = client.with_options(timeout=5)  # a latency left at 60 s would time out
    assert [c.name for c in await quick.countries.list()]


async def the_review_takes_its_default_second(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    created = await client.templates.create(**GOOD_TEMPLATE)
    emu.advance(seconds=1.5)  # the default review delay is 1 s of the emulator's clock
    assert (await client.templates.get(created.id)).status == "approved"


async def one_page_lists_both_templates(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    await client.templates.create(**GOOD_TEMPLATE)  # beside the seeded one: two to list
    page = await client.templates.list()
    assert len(page.data) == len(emu.own_templates()) == 2


async def the_number_checks_valid(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    assert [c.status for c in await client.contacts.check([CUSTOMER])] == ["valid"]


async def the_webhook_is_the_constructors(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    assert [hook.url for hook in await client.webhooks.list()] == [None]


async def the_clock_is_real_time(emu: Emulator, client: ivowaba.AsyncClient) -> None:
    assert abs(emu.now - time.time()) < 60
    assert not emu.window_open(CUSTOMER)


def setting(name: str, value: Any) -> Callable[[Emulator], None]:
    return lambda emu: setattr(emu, name, value)


def customer_wrote_then_a_day_passed(emu: Emulator) -> None:
    emu.inbound_text(CUSTOMER, "hi")  # no webhook: held, never posted
    emu.advance(days=3)


#: What a test may change, how one does it, and what a fresh emulator shows instead.
CASES: dict[str, tuple[Callable[[Emulator], None], Probe]] = {
    # settings (``Settings``): reset() did not restore these before
    "status_lifecycle": (setting("status_lifecycle", ("sent",)), sent_read_and_delivered),
    "enforce_window": (setting("enforce_window", True), sent_read_and_delivered),
    "latency": (setting("latency", 60.0), a_request_is_answered_at_once),
    "template_review_delay": (
        setting("template_review_delay", 3600.0),
        the_review_takes_its_default_second,
    ),
    "per_page": (setting("per_page", 1), one_page_lists_both_templates),
    "record": (setting("record", False), a_send_is_accepted_and_kept),
    "api_key": (setting("api_key", "another-key"), a_send_is_accepted_and_kept),
    "message_ids": (setting("message_ids", CLOUD_IDS), a_send_is_accepted_and_kept),
    # scripted state, reset before too
    "faults": (lambda emu: emu.fail_next("*", status=500, times=5), a_send_is_accepted_and_kept),
    "failing_numbers": (lambda emu: emu.mark_failing(CUSTOMER, 480), sent_read_and_delivered),
    "invalid_numbers": (lambda emu: emu.mark_invalid(CUSTOMER), the_number_checks_valid),
    "statuses_arrive": (
        lambda emu: emu.statuses_arrive(duplicated=True, out_of_order=True),
        sent_read_and_delivered,
    ),
    "webhook": (
        lambda emu: emu.set_webhook(NOWHERE, "user", "pass"),
        the_webhook_is_the_constructors,
    ),
    "clock": (customer_wrote_then_a_day_passed, the_clock_is_real_time),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_reset_makes_a_changed_emulator_behave_as_a_fresh_one(
    emu: Emulator, aclient: ivowaba.AsyncClient, case: str
) -> None:
    change, probe = CASES[case]
    change(emu)

    emu.reset()

    await probe(emu, aclient)


def test_every_setting_has_a_case() -> None:
    assert {field.name for field in dataclasses.fields(Settings)} <= set(CASES)


def test_after_reset_every_setting_is_a_fresh_emulator_s() -> None:
    made = {"latency": 0.25, "per_page": 3, "enforce_window": True, "template_review_delay": 0}
    emu = Emulator(api_key=API_KEY, webhook_format="cloud", **made)
    fresh = Emulator(api_key=API_KEY, webhook_format="cloud", **made)
    emu.status_lifecycle = ("sent", "delivered")
    emu.latency, emu.per_page, emu.record, emu.api_key = 0.0, 15, False, "another-key"
    emu.enforce_window, emu.template_review_delay, emu.message_ids = False, 9.0, REFERENCE_IDS

    emu.reset()

    for field in dataclasses.fields(Settings):
        assert getattr(emu, field.name) == getattr(fresh, field.name), field.name
    assert (emu.latency, emu.per_page, emu.enforce_window) == (0.25, 3, True)  # not defaults
    assert emu.message_ids is CLOUD_IDS


def test_the_webhook_format_is_fixed_for_the_emulator_s_life() -> None:
    emu = Emulator(webhook_format="cloud")
    with pytest.raises(AttributeError):
        emu.webhook_format = "reference"  # type: ignore[misc]
    assert emu.webhook_format == "cloud"
