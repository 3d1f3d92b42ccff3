"""``ivowaba bulk --outcomes URL``, end to end: the emulator posts every status and customer
message to a real webhook receiver recording into a SQLite store, and the command, run
in-process, reads that store. Opted-out numbers never reach the emulator; free-form rows
outside the 24-hour window are skipped or sent as the fallback template; ``--retry-failed``
re-sends exactly the 480 rows (after the pause) and the 470 rows only as the fallback, and
treats every code as the table of error codes says (131047 as 470; 131000 and 130429 after the
pause; 131050 never, and an opt-out); the guide's retry table agrees with that table; a
journal from another file, options that cannot work, and a SQLite store that does not exist
(never made empty) are one line and exit 2."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ivowaba._errors import ConfigError
from ivowaba.cli import run
from ivowaba.cli._app import build_parser
from ivowaba.cli._bulk import run_bulk
from ivowaba.cli._retry_failed import DEFAULT_RETRY_PAUSE, decide
from ivowaba.outcomes import MessageOutcome, SQLiteOutcomeStore, campaign_report
from ivowaba.outcomes._journal import file_sha256
from ivowaba.outcomes._open import require_existing
from ivowaba.testing import Emulator
from ivowaba.types.error_codes import (
    OPT_OUT_ERROR_CODES,
    RETRYABLE_ERROR_CODES,
    WINDOW_CLOSED_ERROR_CODES,
    ErrorCode,
    Remedy,
)
from ivowaba.webhooks import Dispatcher
from tests.test_webhooks_receiver import PASSWORD, USER, serve_aiohttp


def number(row: int) -> str:
    return f"62813{row:07d}"


def write_rows(path: Path, n: int) -> Path:
    path.write_text("wa_id,name\n" + "".join(f"{number(i)},name {i}\n" for i in range(1, n + 1)))
    return path


@dataclass
class Campaign:
    emu: Emulator
    store: SQLiteOutcomeStore
    url: str
    rows: Path

    @property
    def journal(self) -> Path:
        return self.rows.with_name(self.rows.name + ".journal.jsonl")

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.journal.read_text().splitlines()]

    async def write(self, rows: Iterable[int], text: str = "hi") -> None:
        """Customers of ``rows`` write ``text``: their window opens (or they opt out)."""
        for row in rows:
            self.emu.inbound_text(number(row), text)
        await self.emu.wait_delivered()

    async def bulk(
        self, capsys: pytest.CaptureFixture[str], *extra: str, as_json: bool = True
    ) -> tuple[int, Any]:
        """Run ``ivowaba bulk ...`` in-process; wait for the statuses it caused. Returns the
        exit code and the summary (``--json``) or the printed lines."""
        args = build_parser().parse_args(
            [
                "bulk", str(self.rows), "--text", "Hi {name}", "--outcomes", self.url,
                "--progress", "none", "--base-url", self.emu.base_url,
                "--api-key", self.emu.api_key, *extra, *(["--json"] if as_json else []),
            ]
        )  # fmt: skip
        code = await run_bulk(args)
        await self.emu.wait_delivered()
        out = capsys.readouterr().out
        return code, json.loads(out) if as_json else out.splitlines()

    def sent_to(self, since: int = 0) -> list[str]:
        return sorted(entry.wa_id for entry in self.emu.outbox[since:])


@contextlib.asynccontextmanager
async def campaign(tmp_path: Path, n: int) -> AsyncIterator[Campaign]:
    database = tmp_path / "outcomes.db"
    store = SQLiteOutcomeStore(database)
    try:
        dispatcher = Dispatcher(outcomes=store)
        async with serve_aiohttp(dispatcher, username=USER, password=PASSWORD) as hook:
            emulator = Emulator(
                webhook_url=hook,
                webhook_username=USER,
                webhook_password=PASSWORD,
                delivery_attempts=1,
                delivery_delay=0,
            )
            async with emulator as emu:
                rows = write_rows(tmp_path / "people.csv", n)
                yield Campaign(emu, store, f"sqlite:///{database}", rows)
    finally:
        await store.aclose()


# -- opt-outs and the window ---------------------------------------------------------------------


async def test_opted_out_and_window_closed_rows_are_never_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with campaign(tmp_path, 12) as c:
        await c.write(range(1, 10))  # 10, 11 and 12 never wrote: their window is closed
        await c.write([3, 7], " Stop ")

        code, summary = await c.bulk(capsys)
        assert code == 0
        assert (summary["sent"], summary["opted_out"], summary["window_closed"]) == (7, 2, 3)
        closed_or_out = {number(i) for i in (3, 7, 10, 11, 12)}
        assert c.sent_to() == sorted({number(i) for i in range(1, 13)} - closed_or_out)
        bodies = b"".join(request.body for request in c.emu.requests)
        assert not any(wa_id.encode() in bodies for wa_id in closed_or_out)  # not one request
        skipped = {e["row"]: e["skipped"] for e in c.entries() if "skipped" in e}
        assert skipped == {
            3: "opted_out",
            7: "opted_out",
            10: "window_closed",
            11: "window_closed",
            12: "window_closed",
        }
        assert not any(e.get("state") == "sending" for e in c.entries() if e.get("row") in skipped)

        report = await campaign_report(c.journal, c.store)
        assert report.to_json() == {
            "rows": 12, "accepted": 7, "delivered": 7, "read": 7, "failed": {}, "pending": 0,
            "unknown": 0, "not_sent": 0, "opted_out": 2, "window_closed": 3,
        }  # fmt: skip


async def test_closed_windows_get_the_fallback_template_and_opt_outs_still_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with campaign(tmp_path, 6) as c:
        template = c.emu.add_template(body={"text": "Hello {{1}}"})["id"]
        await c.write(range(1, 4))
        await c.write([2], "BERHENTI")
        assert (await c.bulk(capsys))[1]["window_closed"] == 3  # 4, 5, 6
        before = len(c.emu.outbox)

        # Resumed with a fallback: the skipped rows are checked again.
        code, summary = await c.bulk(
            capsys, "--resume", "--fallback-template", template, "--body", "name"
        )
        assert code == 0
        assert (summary["sent"], summary["fallback"], summary["opted_out"]) == (3, 3, 1)
        sent = c.emu.outbox[before:]
        assert sorted(e.wa_id for e in sent) == [number(4), number(5), number(6)]
        assert {e.endpoint for e in sent} == {"send-template-message"}
        assert {e.body["template_id"] for e in sent} == {template}
        assert "name 5" in json.dumps([e.body for e in sent])
        assert number(2) not in {e.wa_id for e in c.emu.outbox}
        fallbacks = {e["row"]: e["fallback"] for e in c.entries() if "fallback" in e}
        assert fallbacks == {4: template, 5: template, 6: template}
        assert sum(e.get("skipped") == "opted_out" for e in c.entries()) == 1  # said once


async def test_a_template_run_is_never_window_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with campaign(tmp_path, 3) as c:
        template = c.emu.add_template(body={"text": "Hello {{1}}"})["id"]
        await c.write([2], "stop")
        args = build_parser().parse_args(
            [
                "bulk", str(c.rows), "--template", template, "--body", "name", "--outcomes",
                c.url, "--progress", "none", "--json", "--base-url", c.emu.base_url,
                "--api-key", c.emu.api_key,
            ]
        )  # fmt: skip
        assert await run_bulk(args) == 0
        summary = json.loads(capsys.readouterr().out)
        assert (summary["sent"], summary["window_closed"], summary["opted_out"]) == (2, 0, 1)
        assert c.sent_to() == [number(1), number(3)]


# -- retry by cause ------------------------------------------------------------------------------


async def test_retry_failed_resends_the_480_rows_and_470_only_as_the_fallback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with campaign(tmp_path, 12) as c:
        template = c.emu.add_template(body={"text": "Hello {{1}}"})["id"]
        await c.write(range(1, 13))
        for row in (2, 5):
            c.emu.mark_failing(number(row), 480)
        for row in (8, 11):
            c.emu.mark_failing(number(row), 470)
        c.emu.fail_next("messages.send_text", status=504, processed=True)  # one unknown row
        code, summary = await c.bulk(capsys, "--concurrency", "1")
        assert code == 1
        assert summary["unknown"] == [1]
        report = await campaign_report(c.journal, c.store)
        assert (report.failed, report.read, report.unknown) == ({"470": 2, "480": 2}, 7, 1)

        # Failed a moment ago: the 480 rows wait for the pause; 470 needs a template.
        sent = len(c.emu.outbox)
        code, summary = await c.bulk(capsys, "--resume", "--retry-failed")
        assert len(c.emu.outbox) == sent
        assert (summary["retried"], summary["retry_later"]) == (0, [2, 5])
        assert summary["not_retried"] == {"470": [8, 11]}
        code, lines = await c.bulk(capsys, "--resume", "--retry-failed", as_json=False)
        assert lines[1:] == [
            "unknown rows (may have been sent; --resume sends them again only with "
            "--resend-unknown): 1",
            "sent again by --retry-failed: 0 rows",
            "failed less than 300 s ago, to retry in a later run: 2, 5",
            "failed with 470, not sent again (outside the 24-hour window: pass "
            "--fallback-template ID to send them a template): 8, 11",
        ]
        assert lines[0].startswith("12 rows: 0 sent now, 11 already sent, 0 failed, 1 unknown")

        # After the pause: exactly the 480 rows, as they were.
        for row in (2, 5):
            c.emu.failing_numbers.pop(number(row))
        code, summary = await c.bulk(capsys, "--resume", "--retry-failed", "--retry-pause", "0")
        assert c.sent_to(sent) == [number(2), number(5)]
        assert {e.endpoint for e in c.emu.outbox[sent:]} == {"send-text-message"}
        assert (summary["retried"], summary["not_retried"]) == (2, {"470": [8, 11]})
        report = await campaign_report(c.journal, c.store)
        assert (report.failed, report.read) == ({"470": 2}, 9)

        # With a fallback template: exactly the 470 rows, as the template.
        sent = len(c.emu.outbox)
        code, summary = await c.bulk(
            capsys, "--resume", "--retry-failed", "--retry-pause", "0",
            "--fallback-template", template, "--body", "name",
        )  # fmt: skip
        assert c.sent_to(sent) == [number(8), number(11)]
        assert {e.body.get("template_id") for e in c.emu.outbox[sent:]} == {template}
        assert (summary["retried"], summary["fallback"], summary["unknown"]) == (2, 2, [1])
        assert code == 1  # row 1 is still unknown, and never sent again
        assert sum(e.wa_id == number(1) for e in c.emu.outbox) == 1


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (None, ("keep", None)),  # nothing recorded yet
        (MessageOutcome(message_id="m", status="sent"), ("keep", None)),  # pending
        (MessageOutcome(message_id="m", status="delivered"), ("keep", None)),
        (MessageOutcome(message_id="m", status="read"), ("keep", None)),
        (MessageOutcome(message_id="m", status="failed", error_code=131), ("left", "131")),
        (MessageOutcome(message_id="m", status="failed"), ("left", "none")),
        (MessageOutcome(message_id="m", status="failed", error_code=470), ("left", "470")),
    ],
    ids=["no outcome", "pending", "delivered", "read", "other code", "no code", "470 alone"],
)
def test_only_a_failure_a_resend_can_fix_is_retried(
    outcome: MessageOutcome | None, expected: tuple[str, str | None]
) -> None:
    assert decide(outcome, fallback=None, pause=0, now=0) == expected


async def test_retry_failed_treats_each_code_as_the_error_table_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """131047 is a closed window like 470 (only the fallback template); 131000 (a passing
    fault) and 130429 (a rate limit) are sent again as they were after the pause; 131050 is
    never sent again, and its customer is opted out (campaigns skip them)."""
    codes = {1: 131047, 2: 131000, 3: 130429, 4: 131050}
    async with campaign(tmp_path, 5) as c:
        template = c.emu.add_template(body={"text": "Hello {{1}}"})["id"]
        await c.write(range(1, 6))
        for row, code in codes.items():
            c.emu.mark_failing(number(row), code)
        code, summary = await c.bulk(capsys)
        report = await campaign_report(c.journal, c.store)
        assert report.failed == {str(code): 1 for code in sorted(codes.values())}
        assert report.failure_titles["131050"] == ErrorCode.MARKETING_OPT_OUT.title
        assert await c.store.opted_out(number(4))

        # Failed a moment ago: 131000 and 130429 wait for the pause.
        sent = len(c.emu.outbox)
        code, lines = await c.bulk(capsys, "--resume", "--retry-failed", as_json=False)
        assert len(c.emu.outbox) == sent
        assert lines[1:] == [
            "sent again by --retry-failed: 0 rows",
            "failed less than 300 s ago, to retry in a later run: 2, 3",
            "failed with 131047, not sent again (outside the 24-hour window: pass "
            "--fallback-template ID to send them a template): 1",
            "failed with 131050, not sent again (the customer chose to stop receiving marketing "
            "messages from the business; treat it as an opt-out: send them no more marketing "
            "messages): 4",
        ]

        # After the pause: exactly those two, as they were; the rate-limited one is named.
        for row in (2, 3):
            c.emu.failing_numbers.pop(number(row))
        code, lines = await c.bulk(
            capsys, "--resume", "--retry-failed", "--retry-pause", "0", as_json=False
        )
        assert c.sent_to(sent) == [number(2), number(3)]
        assert {e.endpoint for e in c.emu.outbox[sent:]} == {"send-text-message"}
        assert lines[1:3] == [
            "sent again by --retry-failed: 2 rows",
            "of which failed on a rate limit (lower --rate-limit if they fail again): 3",
        ]

        # With a fallback template: the 131047 row only, as the template; 131050 never.
        sent = len(c.emu.outbox)
        c.emu.failing_numbers.pop(number(1))
        code, summary = await c.bulk(
            capsys, "--resume", "--retry-failed", "--retry-pause", "0",
            "--fallback-template", template, "--body", "name",
        )  # fmt: skip
        assert c.sent_to(sent) == [number(1)]
        assert c.emu.outbox[-1].body["template_id"] == template
        assert (summary["retried"], summary["fallback"]) == (1, 1)
        assert summary["not_retried"] == {"131050": [4]}
        assert sum(e.wa_id == number(4) for e in c.emu.outbox) == 1


AN_HOUR_AGO = datetime.fromtimestamp(1_700_000_000 - 3600, timezone.utc)


@pytest.mark.parametrize(
    ("code", "fallback", "expected"),
    [
        (131047, None, ("left", "131047")),
        (131047, "T", ("resend", "T")),
        (470, "T", ("resend", "T")),
        (131000, None, ("resend", None)),
        (130429, None, ("resend", None)),
        (131056, "T", ("resend", None)),  # a rate limit: resent as it was, not as the template
        (131050, "T", ("left", "131050")),
        (131026, "T", ("left", "131026")),
        (131049, None, ("left", "131049")),
    ],
)
def test_the_table_s_remedy_decides_what_is_sent_again(
    code: int, fallback: str | None, expected: tuple[str, str | None]
) -> None:
    outcome = MessageOutcome(
        message_id="m", status="failed", error_code=code, failed_at=AN_HOUR_AGO
    )
    assert decide(outcome, fallback=fallback, pause=60, now=1_700_000_000) == expected
    if code in RETRYABLE_ERROR_CODES:  # an hour is not long enough a pause: it waits
        assert decide(outcome, fallback=fallback, pause=7200, now=1_700_000_000) == ("wait", None)


#: What ``--retry-failed`` does with a row that failed with a code of each remedy, as the
#: retry table of docs/guides/outcomes.md words it (every other remedy: not sent again).
RETRY_BY_REMEDY = {
    Remedy.RESEND_LATER: "sent again as it was, after the pause",
    Remedy.SLOW_DOWN: "sent again as it was, after the pause; lower `--rate-limit` too",
    Remedy.SEND_TEMPLATE: "sent again only as `--fallback-template ID`",
    Remedy.OPT_OUT: "never; the customer is recorded as opted out",
}


def expected_retry_table() -> list[str]:
    """The guide's retry table, made from the table of error codes."""
    lines = ["| code | name | what happened | `--retry-failed` |", "|---|---|---|---|"]
    for remedy, treatment in RETRY_BY_REMEDY.items():
        lines += [
            f"| {int(code)} | `{code.name}` | {code.meaning} | {treatment} |"
            for code in ErrorCode
            if code.remedy is remedy
        ]
    return lines


def test_the_guide_s_retry_table_is_the_error_table() -> None:
    guide = Path(__file__).resolve().parents[1] / "docs" / "guides" / "outcomes.md"
    lines = guide.read_text(encoding="utf-8").splitlines()
    start = lines.index("| code | name | what happened | `--retry-failed` |")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    table, last = lines[start : end - 1], lines[end - 1]
    expected = expected_retry_table()
    assert table == expected, "the guide's retry table should read:\n" + "\n".join(expected)
    assert last.startswith("| any other |")
    listed = {int(row.split("|")[1]) for row in table[2:]}
    assert listed == RETRYABLE_ERROR_CODES | WINDOW_CLOSED_ERROR_CODES | OPT_OUT_ERROR_CODES
    assert f"`--retry-pause` seconds (default {DEFAULT_RETRY_PAUSE:.0f})" in " ".join(lines)


# -- bad input -----------------------------------------------------------------------------------


def test_a_journal_from_another_file_is_refused(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write_rows(tmp_path / "people.csv", 2)
    connection = ["--base-url", ivowaba_emulator.base_url, "--api-key", ivowaba_emulator.api_key]
    command = ["bulk", str(rows), "--text", "Hi", "--progress", "none", *connection]
    assert run(command) == 0
    header = json.loads(rows.with_name("people.csv.journal.jsonl").read_text().splitlines()[0])
    assert header == {"journal": 1, "file": "people.csv", "sha256": file_sha256(rows), "rows": 2}
    capsys.readouterr()

    write_rows(rows, 3)  # the file changed under the journal
    assert run([*command, "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "was written for another file (people.csv, with other content)" in err

    other = tmp_path / "others.csv"
    other.write_text("wa_id,name\n628990000001,someone else\n")
    journal = ["--journal", str(rows.with_name("people.csv.journal.jsonl"))]
    assert run(["bulk", str(other), "--text", "Hi", *journal, "--resume", *connection]) == 2
    assert "was written for another file (people.csv)" in capsys.readouterr().err
    assert len(ivowaba_emulator.outbox) == 2


def test_a_store_that_fails_from_the_start_is_refused_before_anything_is_sent(
    ivowaba_emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A store failing in the middle of a run: tests/test_store_failure.py (rows not sent).
    async def broken(self: SQLiteOutcomeStore, wa_id: str) -> bool:
        raise OSError("disk I/O error")

    monkeypatch.setattr(SQLiteOutcomeStore, "opted_out", broken)
    rows = write_rows(tmp_path / "people.csv", 3)
    connection = ["--base-url", ivowaba_emulator.base_url, "--api-key", ivowaba_emulator.api_key]
    (tmp_path / "outcomes.db").touch()  # an empty file: an empty SQLite database
    url = f"sqlite:///{tmp_path}/outcomes.db"
    command = ["bulk", str(rows), "--text", "Hi", "--outcomes", url, *connection]
    assert run(command) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"cannot reach the outcome store {url}: disk I/O error" in err
    assert ivowaba_emulator.requests == []
    assert not rows.with_name("people.csv.journal.jsonl").exists()


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--text", "hi", "--retry-failed", "--resume"], "--retry-failed: needs --resume and"),
        (["--text", "hi", "--retry-failed", "--outcomes", "URL"], "needs --resume and --outcomes"),
        (["--text", "hi", "--fallback-template", "T"], "--fallback-template: needs --outcomes"),
        (["--template", "T", "--fallback-template", "T", "--outcomes", "URL"], "only with --text"),
        (["--text", "hi", "--outcomes", "postgres://x/y"], "unknown outcome store URL"),
        (["--text", "hi", "--retry-pause", "-1"], "--retry-pause: must be 0 or more"),
    ],
)
def test_options_that_cannot_work_exit_2_before_any_request(
    ivowaba_emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    said: str,
) -> None:
    rows = write_rows(tmp_path / "people.csv", 1)
    url = f"sqlite:///{tmp_path}/outcomes.db"
    options = [url if option == "URL" else option for option in options]
    connection = ["--base-url", ivowaba_emulator.base_url, "--api-key", ivowaba_emulator.api_key]
    assert run(["bulk", str(rows), *options, *connection]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert said in err
    assert ivowaba_emulator.requests == []


@pytest.mark.parametrize("retry", [[], ["--resume", "--retry-failed"]], ids=["send", "retry"])
def test_a_sqlite_store_that_does_not_exist_is_refused_not_made_empty(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], retry: list[str]
) -> None:
    """A typo in the path would open a new, empty store: no opt-outs, so everyone who said
    STOP would be messaged. It is refused before any request; the existing store works."""
    rows = write_rows(tmp_path / "people.csv", 2)
    connection = ["--base-url", ivowaba_emulator.base_url, "--api-key", ivowaba_emulator.api_key]
    typo = tmp_path / "outcome.db"
    template = ivowaba_emulator.add_template()["id"]  # "Hello {{1}}": never window-checked
    command = ["bulk", str(rows), "--template", template, "--body", "name", *retry, *connection]
    assert run([*command, "--outcomes", f"sqlite:///{typo}"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert f"no outcome store at {typo} (from --outcomes sqlite:///{typo}): --outcomes must" in err
    assert ivowaba_emulator.requests == []
    assert not typo.exists()
    assert not rows.with_name("people.csv.journal.jsonl").exists()

    database = tmp_path / "outcomes.db"
    asyncio.run(_opt_out(database, number(2)))
    assert run([*command, "--outcomes", f"sqlite:///{database}"]) == 0
    assert [entry.wa_id for entry in ivowaba_emulator.outbox] == [number(1)]  # 2 opted out


def test_a_store_that_cannot_be_reached_is_refused_before_the_journal_or_any_request(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write_rows(tmp_path / "people.csv", 2)
    connection = ["--base-url", ivowaba_emulator.base_url, "--api-key", ivowaba_emulator.api_key]
    url = "redis://ivo:s3cret@127.0.0.1:1/0"  # nothing listens on port 1
    assert run(["bulk", str(rows), "--text", "Hi", "--outcomes", url, *connection]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "cannot reach the outcome store redis://ivo:***@127.0.0.1:1/0" in err
    assert "s3cret" not in err
    assert ivowaba_emulator.requests == []
    assert not rows.with_name("people.csv.journal.jsonl").exists()


async def _opt_out(database: Path, wa_id: str) -> None:
    async with SQLiteOutcomeStore(database) as store:
        await store.set_opted_out(wa_id, True)


@pytest.mark.parametrize(
    "url", ["sqlite:///:memory:", "redis://127.0.0.1:1/0", "rediss://user:pw@127.0.0.1:1/0"]
)
def test_stores_without_a_file_to_miss_pass_the_existence_rule(url: str) -> None:
    require_existing(url)  # no ConfigError; nothing opened or reached


def test_the_existence_rule_names_the_option_it_came_from(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\(from --store sqlite:///.*/x\.db\): --store must"):
        require_existing(f"sqlite:///{tmp_path}/x.db", "--store")
    with pytest.raises(ConfigError, match=r"no outcome store at .*: --outcomes must"):
        require_existing(f"sqlite:///{tmp_path}")  # a folder is no store either
