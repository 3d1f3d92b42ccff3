"""``ivowaba bulk``'s journal: what may have reached the gateway is never sent twice by
``--resume``, and a row is journaled in flight only once the rate limiter let it go.

The command runs in-process against the emulator (served from its own thread)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ivowaba.cli import run
from ivowaba.cli._app import build_parser
from ivowaba.cli._bulk import run_bulk
from ivowaba.testing import Emulator


def _rows(path: Path, n: int) -> list[str]:
    numbers = [f"62813{i:07d}" for i in range(1, n + 1)]
    with path.open("w") as out:
        out.write("wa_id,name\n")
        for i, number in enumerate(numbers, 1):
            out.write(f"{number},row {i}\n")
    return numbers


def _bulk(emulator: Emulator, path: Path, *extra: str) -> list[str]:
    return [
        "bulk",
        str(path),
        "--text",
        "Hi {name}",
        "--progress",
        "none",
        "--base-url",
        emulator.base_url,
        "--api-key",
        emulator.api_key,
        *extra,
    ]


def _journal(path: Path) -> list[dict[str, Any]]:
    journal = path.with_name(path.name + ".journal.jsonl")
    if not journal.exists():
        return []
    entries = []
    for line in journal.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line being written right now
            entries.append(json.loads(line))
    return [entry for entry in entries if "row" in entry]  # not the header


def _summary(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(capsys.readouterr().out)
    return summary


def test_a_5xx_after_the_gateway_accepted_is_unknown_and_never_resent_silently(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "people.csv"
    numbers = _rows(rows, 50)
    every_row = list(range(1, 51))
    # The gateway takes each send, then its proxy answers 504: the customer got it.
    ivowaba_emulator.fail_next("messages.send_text", status=504, processed=True, times=50)

    code = run(_bulk(ivowaba_emulator, rows, "--concurrency", "16", "--json"))
    summary = _summary(capsys)
    assert Counter(e.wa_id for e in ivowaba_emulator.outbox) == Counter(numbers)  # once each
    outcomes = [e for e in _journal(rows) if "state" not in e]
    assert sorted(e["row"] for e in outcomes) == every_row
    assert all("504" in e["error"] for e in outcomes)
    assert [e["sent"] for e in outcomes] == [None] * 50  # "may have been sent"
    assert code == 1
    assert summary["sent"] == 0
    assert summary["failed"] == 0  # not "surely not sent"...
    assert summary["unknown"] == every_row  # ...but unknown, and listed

    # --resume sends none of them again, and says why it did not finish.
    code = run(_bulk(ivowaba_emulator, rows, "--resume", "--json"))
    summary = _summary(capsys)
    assert code == 1
    assert summary["sent"] == 0
    assert summary["unknown"] == every_row
    assert len(ivowaba_emulator.outbox) == 50

    code = run(_bulk(ivowaba_emulator, rows, "--resume"))
    text = capsys.readouterr().out
    assert code == 1
    assert "50 unknown" in text
    assert "unknown rows (may have been sent;" in text
    assert "--resend-unknown" in text
    assert len(ivowaba_emulator.outbox) == 50

    # Asked on purpose: each is sent exactly once more, and then the run is complete.
    code = run(_bulk(ivowaba_emulator, rows, "--resume", "--resend-unknown", "--json"))
    summary = _summary(capsys)
    assert code == 0
    assert summary["sent"] == 50
    assert summary["unknown"] == []
    assert len(ivowaba_emulator.outbox) == 100
    assert Counter(e.wa_id for e in ivowaba_emulator.outbox) == Counter(numbers * 2)

    code = run(_bulk(ivowaba_emulator, rows, "--resume", "--json"))
    summary = _summary(capsys)
    assert code == 0
    assert (summary["sent"], summary["skipped_already_sent"], summary["unknown"]) == (0, 50, [])
    assert len(ivowaba_emulator.outbox) == 100


def test_a_4xx_answer_is_surely_not_sent_and_resume_sends_it(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "people.csv"
    numbers = _rows(rows, 5)
    ivowaba_emulator.fail_next("messages.send_text", status=400, times=5)

    assert run(_bulk(ivowaba_emulator, rows, "--json")) == 1
    summary = _summary(capsys)
    assert (summary["failed"], summary["unknown"]) == (5, [])
    assert ivowaba_emulator.outbox == []
    assert all(e["sent"] is False for e in _journal(rows) if "state" not in e)

    assert run(_bulk(ivowaba_emulator, rows, "--resume", "--json")) == 0
    assert _summary(capsys)["sent"] == 5
    assert sorted(e.wa_id for e in ivowaba_emulator.outbox) == numbers


async def test_rows_waiting_for_the_rate_limiter_are_not_journaled_in_flight(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "people.csv"
    numbers = _rows(rows, 30)
    row_of = {number: i for i, number in enumerate(numbers, 1)}
    args = build_parser().parse_args(
        _bulk(ivowaba_emulator, rows, "--rate-limit", "1", "--concurrency", "16")
    )
    # 1 send a second: the first leaves at once, the second a second later, the others wait.
    running = asyncio.ensure_future(run_bulk(args))
    deadline = time.monotonic() + 10
    while sum(1 for e in _journal(rows) if e.get("id")) < 2:
        assert time.monotonic() < deadline, "two rows were not sent in time"
        assert not running.done()
        await asyncio.sleep(0.01)
    running.cancel()  # what Ctrl-C does to the run
    with pytest.raises(asyncio.CancelledError):
        await running

    received = {row_of[e.wa_id] for e in ivowaba_emulator.outbox}
    journal = _journal(rows)
    sending = {e["row"] for e in journal if e.get("state") == "sending"}
    accepted = {e["row"] for e in journal if e.get("id")}
    assert len(received) >= 2
    assert accepted <= received
    # Only rows the limiter let go are in flight: the 14+ rows held by it are not.
    never_received = sending - received
    assert len(never_received) <= 1, f"rows journaled as sending but never sent: {never_received}"
    assert len(sending) <= len(received) + 1

    capsys.readouterr()
    args = build_parser().parse_args(_bulk(ivowaba_emulator, rows, "--resume", "--json"))
    code = await run_bulk(args)
    summary = _summary(capsys)
    unknown = set(summary["unknown"])
    assert unknown == sending - accepted  # in flight at the interrupt: at most one
    assert len(unknown) <= 1
    counts = Counter(row_of[e.wa_id] for e in ivowaba_emulator.outbox)
    for row in range(1, 31):
        if row in unknown:
            assert counts[row] <= 1
        else:
            assert counts[row] == 1, f"row {row} sent {counts[row]} times"
    assert summary["sent"] == 30 - len(sending)
    assert code == (1 if unknown else 0)


def test_an_earlier_run_in_flight_stays_unknown_after_a_later_attempt(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "people.csv"
    numbers = _rows(rows, 2)
    journal = rows.with_name(rows.name + ".journal.jsonl")
    lines = [
        {"row": 1, "wa_id": numbers[0], "state": "sending"},  # a run killed right then
        {"row": 2, "wa_id": numbers[1], "state": "sending"},
        {"row": 2, "wa_id": numbers[1], "id": "wamid.2"},
        # then --resend-unknown: refused this time, which says nothing of the first attempt
        {"row": 1, "wa_id": numbers[0], "state": "sending"},
        {"row": 1, "wa_id": numbers[0], "error": "400: no", "sent": False},
    ]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))

    assert run(_bulk(ivowaba_emulator, rows, "--resume", "--json")) == 1
    summary = _summary(capsys)
    assert (summary["sent"], summary["skipped_already_sent"], summary["unknown"]) == (0, 1, [1])
    assert ivowaba_emulator.outbox == []
