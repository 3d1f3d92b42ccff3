"""Waiting for WhatsApp's review of a template, and the emulator's review.

``templates.wait_for_review`` asks for the template every ``interval`` until it leaves review:
approved (returned), rejected (``TemplateRejectedError`` with the reason) or still under review
after ``timeout`` (``TemplateReviewTimeoutError``), on both clients. Its waits are skipped in
tests by ``no_backoff()`` (the ``conftest`` fixture), which lists them: no test sleeps.

The emulator reviews a proposed template on its clock (``template_review_delay``): until then
``submitted``, then ``approved``, or ``rejected`` with a ``rejected_reason`` for the rules
``templates.lint`` checks. And ``ivowaba templates create spec.json [--wait]`` from a shell.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ivowaba
import ivowaba.testing
from ivowaba.cli import run
from ivowaba.testing import Emulator
from tests.conftest import Both

GOOD: dict[str, Any] = {
    "label": "Order shipped",
    "category_id": "UTILITY",
    "language_id": "en",
    "is_propose": True,
    "body": {"text": "Hi {{1}}, your order has shipped today.", "examples": ["Ann"]},
}
#: Ends with its parameter, and is too short for it: what the review rejects.
BAD = {**GOOD, "body": {"text": "Hi {{1}}", "examples": ["Ann"]}}
REASON = (
    "INVALID_FORMAT: body.text: must not end with a parameter; body.text: too many parameters "
    "for its length: with 1 parameter it needs 3 words besides them (got 1), as words and "
    "parameters together must be at least 3 per parameter, plus 1"
)


def _reviewing(emu: Emulator, delay: float) -> Iterator[Emulator]:
    before = emu.template_review_delay
    emu.template_review_delay = delay
    yield emu
    emu.template_review_delay = before


@pytest.fixture
def review(emu: Emulator) -> Iterator[Emulator]:
    """The emulator, reviewing at once."""
    yield from _reviewing(emu, 0)


@pytest.fixture
def slow_review(emu: Emulator) -> Iterator[Emulator]:
    """The emulator, reviewing in an hour of its clock (which only ``advance`` moves on)."""
    yield from _reviewing(emu, 3600)


def looks(emu: Emulator, template_id: str) -> int:
    """How many times the template was asked for."""
    path = f"/api/v1/message-templates/{template_id}"
    return sum(1 for r in emu.requests if r.method == "GET" and r.path == path)


async def test_an_approved_template_is_returned(both: Both, review: Emulator) -> None:
    created = await both(lambda c: c.templates.create(**GOOD))
    assert created.status == "submitted"
    with ivowaba.testing.no_backoff() as waits:
        approved = await both(lambda c: c.templates.wait_for_review(created.id))
    assert approved.status == "approved"
    assert approved.id == created.id
    assert approved.rejected_reason is None
    assert waits == []  # approved at the first look
    assert looks(review, created.id) == 1


async def test_it_waits_while_the_template_is_pending(both: Both, review: Emulator) -> None:
    created = await both(lambda c: c.templates.create(**GOOD))
    pending = {**review.templates[created.id], "status": "pending"}
    review.fail_next("templates.get", status=200, body=pending, times=2)
    with ivowaba.testing.no_backoff() as waits:
        approved = await both(
            lambda c: c.templates.wait_for_review(created.id, timeout=60, interval=5)
        )
    assert approved.status == "approved"
    assert waits == [5, 5]
    assert looks(review, created.id) == 3


async def test_a_rejected_template_raises_with_the_reason(both: Both, review: Emulator) -> None:
    created = await both(lambda c: c.templates.create(check=False, **BAD))
    with pytest.raises(ivowaba.TemplateRejectedError) as info:
        await both(lambda c: c.templates.wait_for_review(created.id))
    error = info.value
    assert error.reason == REASON
    assert (error.template_id, error.template.status) == (created.id, "rejected")
    assert str(error) == f"template {created.id} was rejected: {REASON}"
    assert isinstance(error, ivowaba.IvowabaError)


async def test_a_rejection_without_a_reason(both: Both, review: Emulator) -> None:
    created = await both(lambda c: c.templates.create(**GOOD))
    rejected = {**review.templates[created.id], "status": "REJECTED"}
    review.fail_next("templates.get", status=200, body=rejected)
    with pytest.raises(ivowaba.TemplateRejectedError) as info:
        await both(lambda c: c.templates.wait_for_review(created.id))
    assert info.value.reason is None
    assert str(info.value).endswith("was rejected: no reason given")


async def test_a_review_outlasting_the_timeout(both: Both, slow_review: Emulator) -> None:
    emu = slow_review
    created = await both(lambda c: c.templates.create(**GOOD))
    with ivowaba.testing.no_backoff() as waits, pytest.raises(TimeoutError) as info:
        await both(lambda c: c.templates.wait_for_review(created.id, timeout=25, interval=10))
    error = info.value
    assert isinstance(error, ivowaba.TemplateReviewTimeoutError)
    assert (error.template_id, error.status, error.timeout) == (created.id, "submitted", 25)
    assert str(error) == f"template {created.id} is still submitted after 25 s"
    assert waits == [10, 10, 5]  # the last wait only up to the timeout
    assert looks(emu, created.id) == 4


async def test_a_draft_is_returned_as_it_is(both: Both, review: Emulator) -> None:
    created = await both(lambda c: c.templates.create(**{**GOOD, "is_propose": False}))
    shown = await both(lambda c: c.templates.wait_for_review(created.id))
    assert shown.status == "draft"
    assert looks(review, created.id) == 1


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"interval": -1}, "interval"),
        ({"interval": True}, "interval"),
    ],
)
async def test_bad_waits_are_refused_before_any_request(
    both: Both, emu: Emulator, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.templates.wait_for_review("60243665e4058d3b4a377bd2", **options))
    assert info.value.field == field
    assert emu.requests == []


# -- the emulator's review --------------------------------------------------------------------


async def test_the_emulator_decides_on_its_own_clock(
    aclient: ivowaba.AsyncClient, slow_review: Emulator
) -> None:
    emu = slow_review
    draft = await aclient.templates.create(**{**GOOD, "is_propose": False})
    await aclient.templates.propose(draft.id)
    assert (await aclient.templates.get(draft.id)).status == "submitted"
    emu.advance(seconds=emu.template_review_delay)
    assert (await aclient.templates.get(draft.id)).status == "approved"
    bad = await aclient.templates.create(check=False, **BAD)
    emu.advance(seconds=emu.template_review_delay)
    listed = {t.id: t for t in (await aclient.templates.list()).data}
    assert (listed[bad.id].status, listed[bad.id].rejected_reason) == ("rejected", REASON)


async def test_a_rejected_template_fixed_and_proposed_again_is_approved(
    aclient: ivowaba.AsyncClient, review: Emulator
) -> None:
    bad = await aclient.templates.create(check=False, **BAD)
    await aclient.templates.propose(bad.id)  # proposed again as it is: rejected again
    assert (await aclient.templates.get(bad.id)).status == "rejected"
    updated = await aclient.templates.update(bad.id, **GOOD)
    assert updated.status == "submitted"
    assert updated.rejected_reason is None
    assert (await aclient.templates.wait_for_review(bad.id)).status == "approved"
    seeded = "60243665e4058d3b4a377bce"  # a template it did not create: nothing to break
    review.templates[seeded]["status"] = "draft"
    await aclient.templates.propose(seeded)
    assert (await aclient.templates.wait_for_review(seeded)).status == "approved"


# -- ivowaba templates create ---------------------------------------------------------------


def _spec_file(tmp_path: Path, spec: Any) -> str:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return str(path)


def _connection(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--api-key", emu.api_key]


def test_create_command_prints_the_new_template(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _spec_file(tmp_path, {**GOOD, "is_propose": False})
    assert run(["templates", "create", path, *_connection(emu)]) == 0
    out, err = capsys.readouterr()
    (template_id,) = [t for t in emu.templates if t in out]
    assert (out, err) == (f"{template_id}\tdraft\torder_shipped\n", "")


def test_create_command_waits_for_the_review(
    review: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _spec_file(tmp_path, {k: v for k, v in GOOD.items() if k != "is_propose"})
    assert run(["templates", "create", path, "--wait", "--json", *_connection(review)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "approved"
    created = [r.json() for r in review.requests if r.method == "POST"]
    assert [body["is_propose"] for body in created] == [True]  # --wait proposes it


@pytest.mark.parametrize(
    ("option", "value"), [("--interval", "0"), ("--timeout", "-5"), ("--interval", "-1")]
)
def test_create_command_refuses_a_bad_wait_before_making_the_template(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    path = _spec_file(tmp_path, GOOD)
    code = run(["templates", "create", path, "--wait", f"{option}={value}", *_connection(emu)])
    assert code == 2
    assert option.lstrip("-") in capsys.readouterr().err
    assert emu.requests == []  # no template made: running it again cannot make two


def test_create_command_exits_1_when_rejected(
    review: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _spec_file(tmp_path, GOOD)
    rejected = {"id": "6639e8bb1a7e0b7fb3365514", "status": "rejected", "rejected_reason": "TAG"}
    review.fail_next("templates.get", status=200, body=rejected)
    assert run(["templates", "create", path, "--wait", *_connection(review)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "ivowaba: template 6639e8bb1a7e0b7fb3365514 was rejected: TAG\n"


def test_create_command_exits_1_when_the_review_outlasts_the_wait(
    slow_review: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = slow_review
    path = _spec_file(tmp_path, GOOD)
    code = run(
        [
            "templates",
            "create",
            path,
            "--wait",
            "--timeout",
            "20",
            "--interval",
            "10",
            *_connection(emu),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err.endswith("is still submitted after 20 s\n")


def test_create_command_exits_2_with_every_problem_and_sends_nothing(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = copy.deepcopy(BAD)
    spec["footer"] = "x" * 61
    path = _spec_file(tmp_path, spec)
    assert run(["templates", "create", path, "--wait", *_connection(emu)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"ivowaba: {path}: {problem}"
        for problem in [
            "body.text: must not end with a parameter",
            REASON.split("; ")[1],
            "footer: at most 60 characters (got 61)",
        ]
    ]
    assert emu.requests == []
    path = _spec_file(tmp_path, {**GOOD, "is_propose": False})
    assert run(["templates", "create", path, "--wait", *_connection(emu)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ivowaba: invalid is_propose: --wait waits for WhatsApp's review")
    path = _spec_file(tmp_path, {**GOOD, "check": False, "labl": "x"})
    assert run(["templates", "create", path, *_connection(emu)]) == 2
    assert "labl" in capsys.readouterr().err
    assert emu.requests == []
