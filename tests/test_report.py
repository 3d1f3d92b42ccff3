"""The campaign report (``ivowaba.outcomes.campaign_report``, ``ivowaba report``): a journal
and a SQLite store built by hand with a row in every state; exact counts, the JSON keys, the
CSV lines (text from outside never a spreadsheet formula), a well-formed and escaped HTML
page; the journal rules it reads by (the last entry of a row wins, a send in flight stays
unknown); bad inputs as one line and exit 2."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ivowaba import ConfigError, ValidationError
from ivowaba.cli import run
from ivowaba.outcomes import (
    CampaignReport,
    MessageOutcome,
    RowReport,
    SQLiteOutcomeStore,
    campaign_report,
)
from ivowaba.outcomes._journal import read_journal
from ivowaba.outcomes._report import CSV_COLUMNS, CSV_TEXT_FROM_OUTSIDE, REPORT_KEYS
from ivowaba.types.error_codes import ErrorCode
from ivowaba.webhooks import Status, parse

T0 = 1_700_000_000
TITLE_470 = "Message failed to send because more than 24 hours have passed"
TITLE_480 = "Failed to send message since we detect an identity change of the contact"
HOSTILE = '<script>alert("x")</script> & more'  # a title from outside, escaped in HTML


def status(
    message_id: str, state: str, at: int, code: int | None = None, title: str = ""
) -> Status:
    wire: dict[str, Any] = {"id": message_id, "status": state, "timestamp": str(T0 + at)}
    if code is not None:
        wire["errors"] = [{"code": code, "title": title}]
    (parsed,) = parse({"statuses": [wire]}).statuses
    return parsed


def number(row: int) -> str:
    return f"62812{row:07d}"


def accepted(row: int, message_id: str, **extra: str) -> dict[str, Any]:
    return {"row": row, "wa_id": number(row), "id": message_id, **extra}


def sending(row: int) -> dict[str, Any]:
    return {"row": row, "wa_id": number(row), "state": "sending"}


#: Each row's journal lines (rows 1 to 15 of a file of 16; row 16 never attempted).
JOURNAL: list[dict[str, Any]] = [
    {"journal": 1, "file": "people.csv", "sha256": "ab" * 32, "rows": 16},
    sending(1), accepted(1, "m1"),  # sent, delivered, read
    sending(2), accepted(2, "m2"),  # sent, delivered (twice)
    sending(3), accepted(3, "m3"),  # failed 470
    sending(4), accepted(4, "m4"),  # failed 480
    sending(5), accepted(5, "m5"),  # only sent: pending
    sending(6), accepted(6, "m6"),  # no status at all: pending
    sending(7), {"row": 7, "wa_id": number(7), "error": "504: Gateway Timeout", "sent": None},
    sending(8),  # in flight when the run was killed
    {"row": 9, "wa_id": number(9), "error": "400: bad number", "sent": False},
    {"row": 10, "wa_id": number(10), "skipped": "opted_out"},
    {"row": 11, "wa_id": number(11), "skipped": "window_closed"},
    sending(12), accepted(12, "m12"),  # read before delivered, and a late failure: read
    sending(13), accepted(13, "m13a"),  # failed 480, then re-sent: delivered
    sending(13), accepted(13, "m13b"),
    sending(14), accepted(14, "m14", fallback="T1"),  # sent as the fallback template, read, deleted
    sending(15), accepted(15, "m15"),  # failed with a hostile title
]  # fmt: skip

STATUSES = [
    status("m1", "sent", 0), status("m1", "delivered", 5), status("m1", "read", 65),
    status("m2", "sent", 0), status("m2", "delivered", 2), status("m2", "delivered", 9),
    status("m3", "failed", 1, 470, TITLE_470),
    status("m4", "sent", 0), status("m4", "failed", 3, 480, TITLE_480),
    status("m5", "sent", 0),
    status("m12", "read", 40), status("m12", "sent", 0), status("m12", "failed", 50, 480),
    status("m12", "delivered", 20),
    status("m13a", "failed", 1, 480, TITLE_480),
    status("m13b", "sent", 100), status("m13b", "delivered", 7300),
    status("m14", "sent", 0), status("m14", "read", 30), status("m14", "deleted", 90),
    status("m15", "failed", 2, 131, HOSTILE),
]  # fmt: skip

EXPECTED = {
    "rows": 16,
    "accepted": 10,  # 1, 2, 3, 4, 5, 6, 12, 13, 14, 15
    "delivered": 5,  # 1, 2, 12, 13, 14
    "read": 3,  # 1, 12, 14
    "failed": {"131": 1, "470": 1, "480": 1},
    "pending": 2,  # 5, 6
    "unknown": 2,  # 7, 8
    "not_sent": 1,
    "opted_out": 1,
    "window_closed": 1,
}
STATES = {
    1: "read", 2: "delivered", 3: "failed", 4: "failed", 5: "pending", 6: "pending",
    7: "unknown", 8: "unknown", 9: "not_sent", 10: "opted_out", 11: "window_closed",
    12: "read", 13: "delivered", 14: "read", 15: "failed",
}  # fmt: skip


def write_journal(path: Path, lines: list[dict[str, Any]], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + tail)
    return path


async def fill_store(path: Path) -> None:
    async with SQLiteOutcomeStore(path) as store:
        await store.record_statuses(STATUSES)


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[Path, str]:
    """A journal (its name needs escaping in HTML; its last line cut short by a kill) and
    the URL of its store."""
    journal = write_journal(tmp_path / "spring & <sale>.jsonl", JOURNAL, tail='{"row": 16, "wa')
    asyncio.run(fill_store(tmp_path / "outcomes.db"))
    return journal, f"sqlite:///{tmp_path}/outcomes.db"


async def report_of(journal: Path, url: str, **options: Any) -> CampaignReport:
    async with SQLiteOutcomeStore(url.removeprefix("sqlite:///")) as store:
        return await campaign_report(journal, store, **options)


# -- the counts --------------------------------------------------------------------------------


async def test_every_state_is_counted_exactly(campaign: tuple[Path, str]) -> None:
    report = await report_of(*campaign)
    assert report.to_json() == EXPECTED
    assert list(report.to_json()) == list(REPORT_KEYS)
    assert {row.row: row.state for row in report.by_row} == STATES
    assert report.not_attempted == 1
    assert report.accepted == report.delivered + report.pending + sum(report.failed.values())
    assert report.failure_titles == {"131": HOSTILE, "470": TITLE_470, "480": TITLE_480}


async def test_the_last_entry_of_a_row_wins_and_a_fallback_is_kept(
    campaign: tuple[Path, str],
) -> None:
    by_row = {row.row: row for row in (await report_of(*campaign)).by_row}
    assert (by_row[13].message_id, by_row[13].status) == ("m13b", "delivered")
    assert by_row[14].fallback == "T1"
    assert by_row[12].error_code == 480  # recorded, outranked by delivered and read
    assert by_row[7].error == "504: Gateway Timeout"
    assert by_row[6] == RowReport(6, number(6), "pending", "m6")


async def test_a_code_whose_statuses_gave_no_title_takes_the_error_table_s(
    tmp_path: Path,
) -> None:
    journal = write_journal(
        tmp_path / "j.jsonl",
        [{**JOURNAL[0], "rows": 4}, *(accepted(row, f"m{row}") for row in range(1, 5))],
    )
    async with SQLiteOutcomeStore(tmp_path / "outcomes.db") as store:
        await store.record_statuses(
            [
                status("m1", "failed", 1, 131047),  # no title: the table's
                status("m2", "failed", 1, 131050, "Unable to deliver"),  # the gateway's stays
                status("m3", "failed", 1, 131),  # a code the table does not name: none
                status("m4", "failed", 1),  # no code
            ]
        )
        report = await campaign_report(journal, store)
    assert report.failed == {"131": 1, "131047": 1, "131050": 1, "none": 1}
    assert report.failure_titles == {
        "131047": ErrorCode.WINDOW_CLOSED.title,
        "131050": "Unable to deliver",
    }
    assert report.by_row[0].error_title is None  # each row says what its status said


async def test_latencies_are_from_sent_to_delivered_and_to_read(
    campaign: tuple[Path, str],
) -> None:
    report = await report_of(*campaign)
    # m1: 5 and 65 s; m2: 2 s; m12: 20 and 40 s; m13b: 7200 s; m14: read after 30 s.
    assert sorted(report.delivery_latencies) == [2.0, 5.0, 20.0, 7200.0]
    assert sorted(report.read_latencies) == [30.0, 40.0, 65.0]


async def test_outcomes_are_read_in_batches_with_the_same_result(
    campaign: tuple[Path, str],
) -> None:
    assert (await report_of(*campaign, batch_size=3)).to_json() == EXPECTED


class OnlyTheInterface:
    """A store seen only through ``OutcomeStore.outcomes`` (as a Redis store is read)."""

    def __init__(self, store: SQLiteOutcomeStore) -> None:
        self.asked: list[int] = []
        self.store = store

    async def outcomes(self, message_ids: Iterable[str]) -> dict[str, MessageOutcome]:
        ids = list(message_ids)
        self.asked.append(len(ids))
        return await self.store.outcomes(ids)


async def test_any_store_gives_the_same_report(campaign: tuple[Path, str]) -> None:
    journal, url = campaign
    fast = await report_of(journal, url)
    async with SQLiteOutcomeStore(url.removeprefix("sqlite:///")) as store:
        generic = OnlyTheInterface(store)
        report = await campaign_report(journal, generic, batch_size=4)  # type: ignore[arg-type]
    assert generic.asked == [4, 2, 1, 3]  # the accepted ones of rows 1-4, 5-8, 9-12, 13-15
    assert report.to_json() == EXPECTED
    assert report.by_row == fast.by_row
    assert report.delivery_latencies == fast.delivery_latencies


def test_a_journal_without_header_counts_up_to_its_highest_row(tmp_path: Path) -> None:
    journal = read_journal(write_journal(tmp_path / "old.jsonl", JOURNAL[1:]))
    assert journal.header is None
    assert journal.total == 15


def test_a_send_in_flight_twice_stays_unknown_until_accepted(tmp_path: Path) -> None:
    lines = [
        sending(1), sending(1),  # killed in flight, then killed again
        {"row": 1, "wa_id": number(1), "error": "400", "sent": False},
        sending(2), sending(2), accepted(2, "m2"),  # the second attempt was accepted
        accepted(3, "m3"), sending(3),  # accepted, then re-sent and killed in flight
    ]  # fmt: skip
    rows = read_journal(write_journal(tmp_path / "j.jsonl", lines)).rows
    assert {n: row.state for n, row in rows.items()} == {
        1: "unknown",
        2: "accepted",
        3: "unknown",
    }


# -- the command -------------------------------------------------------------------------------


def test_json_prints_one_object_with_exactly_the_keys(
    campaign: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    journal, url = campaign
    assert run(["report", str(journal), "--outcomes", url, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == EXPECTED


def test_the_table_is_readable(
    campaign: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    journal, url = campaign
    assert run(["report", str(journal), "--outcomes", url]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["accepted", "10", "62.5%"] in lines
    assert ["delivered", "5", "31.2%"] in lines
    assert ["470", "1", *TITLE_470.split()] in lines
    assert ["not", "attempted", "yet", "1", "6.2%"] in lines


def test_csv_has_one_line_per_row_with_its_final_state(
    campaign: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, url = campaign
    out = tmp_path / "rows.csv"
    assert run(["report", str(journal), "--outcomes", url, "--csv", str(out)]) == 0
    header, *lines = list(csv.reader(io.StringIO(out.read_text())))
    assert tuple(header) == CSV_COLUMNS
    rows = {int(line[0]): dict(zip(header, line, strict=True)) for line in lines}
    assert len(lines) == 15
    assert {n: row["state"] for n, row in rows.items()} == STATES
    assert rows[3]["error_code"] == "470"
    assert rows[3]["error_title"] == TITLE_470
    assert rows[1]["sent_at"] == "2023-11-14T22:13:20+00:00"
    assert rows[1]["read_at"] == "2023-11-14T22:14:25+00:00"
    assert (rows[13]["message_id"], rows[14]["fallback"]) == ("m13b", "T1")
    assert rows[9]["error"] == "400: bad number"
    assert rows[10]["message_id"] == rows[10]["status"] == ""


def test_a_dash_writes_the_csv_or_the_html_to_stdout_instead_of_the_summary(
    campaign: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, url = campaign
    file = tmp_path / "rows.csv"
    assert run(["report", str(journal), "--outcomes", url, "--csv", str(file)]) == 0
    capsys.readouterr()
    assert run(["report", str(journal), "--outcomes", url, "--csv", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.replace("\r\n", "\n") == file.read_text().replace("\r\n", "\n")
    assert err == ""
    assert not Path("-").exists()
    assert run(["report", str(journal), "--outcomes", url, "--html", "-"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("<!DOCTYPE html>")
    assert out.rstrip().endswith("</html>")
    both = ["report", str(journal), "--outcomes", url, "--csv", "-", "--html", "-"]
    assert run(both) == 2
    assert "only one of them can go to stdout" in capsys.readouterr().err


#: Cells a spreadsheet would run as formulas (OWASP, "CSV Injection"), from the input file and
#: from the gateway.
FORMULA = '=HYPERLINK("http://x","y")'


def test_csv_text_from_outside_is_never_a_formula_and_the_rest_is_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = write_journal(
        tmp_path / "rows.jsonl",
        [
            {**JOURNAL[0], "rows": 5},
            {"row": 1, "wa_id": "+6281200000001", "id": "m1", "fallback": "-T1"},
            {"row": 2, "wa_id": "@SUM(A1:A9)", "error": "\t=1+1", "sent": False},
            {"row": 3, "wa_id": "-2+3", "skipped": "opted_out"},
            {"row": 4, "wa_id": number(4), "id": "m4"},
            {"row": 5, "wa_id": "\r=1+1", "error": "400: bad number, a-b=c", "sent": False},
        ],
    )
    statuses = [
        status("m1", "sent", 0),
        status("m4", "sent", 0),
        status("m4", "failed", 3, 131, FORMULA),
    ]

    async def fill(path: Path) -> None:
        async with SQLiteOutcomeStore(path) as store:
            await store.record_statuses(statuses)

    asyncio.run(fill(tmp_path / "o.db"))
    out = tmp_path / "rows.csv"
    url = f"sqlite:///{tmp_path}/o.db"
    assert run(["report", str(journal), "--outcomes", url, "--csv", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        header, *lines = list(csv.reader(handle))
    rows = {int(line[0]): dict(zip(header, line, strict=True)) for line in lines}
    assert (rows[1]["wa_id"], rows[1]["fallback"]) == ("'+6281200000001", "'-T1")
    assert (rows[2]["wa_id"], rows[2]["error"]) == ("'@SUM(A1:A9)", "'\t=1+1")
    assert rows[3]["wa_id"] == "'-2+3"
    assert rows[4]["error_title"] == f"'{FORMULA}"
    assert rows[5]["wa_id"] == "'\r=1+1"
    # Plain text, and what is ours (row numbers, states, codes, times), is as it was.
    assert [rows[4][column] for column in ("wa_id", "message_id", "state")] == [
        number(4), "m4", "failed"
    ]  # fmt: skip
    assert (rows[4]["error_code"], rows[4]["failed_at"]) == ("131", "2023-11-14T22:13:23+00:00")
    assert (rows[5]["error"], rows[1]["status"], rows[1]["sent_at"]) == (
        "400: bad number, a-b=c",
        "sent",
        "2023-11-14T22:13:20+00:00",
    )


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_trigger_is_quoted_in_exactly_the_columns_from_outside(first: str) -> None:
    hostile = first + FORMULA[1:]
    at = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    row = RowReport(
        7, hostile, "failed", hostile, hostile, hostile, hostile, -1, hostile, at, at, at, at
    )
    cells = dict(zip(CSV_COLUMNS, row.csv_fields(), strict=True))
    assert {column for column, cell in cells.items() if cell == f"'{hostile}"} == set(
        CSV_TEXT_FROM_OUTSIDE
    )
    ours = {column: cells[column] for column in CSV_COLUMNS if column not in CSV_TEXT_FROM_OUTSIDE}
    assert ours == {
        "row": 7,
        "state": "failed",
        "error_code": -1,  # a number, never quoted
        **dict.fromkeys(("sent_at", "delivered_at", "read_at", "failed_at"), at.isoformat()),
    }
    plain = RowReport(7, "62812", "failed", "m7", "T1", "a=b", "failed", 470, "x-y")
    assert plain.csv_fields()[:9] == [7, "62812", "m7", "failed", "failed", 470, "x-y", "T1", "a=b"]


def test_html_is_one_well_formed_escaped_page_with_charts(
    campaign: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, url = campaign
    out = tmp_path / "report.html"
    assert run(["report", str(journal), "--outcomes", url, "--html", str(out)]) == 0
    page = out.read_text()
    root = ET.fromstring(page)  # well-formed: it parses as XML
    svg = "{http://www.w3.org/2000/svg}"
    charts = root.findall(f".//{svg}svg")
    assert len(charts) == 3  # the funnel, the two histograms
    titles = {title.text for title in root.iter(f"{svg}title")}
    assert {"read: 3", "failed: 3", "skipped: opted out: 1", "1-6 h: 1"} <= titles
    cells = [[td.text for td in tr.findall("td")] for tr in root.iter("tr")]
    assert ["131", "1", HOSTILE] in cells  # failures by code, with the title as it came
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "spring &amp; &lt;sale&gt;.jsonl" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


async def test_a_campaign_with_nothing_accepted_still_renders(tmp_path: Path) -> None:
    lines = [line for line in JOURNAL if "row" not in line or line["row"] in (9, 10)]
    journal = write_journal(tmp_path / "j.jsonl", lines)
    async with SQLiteOutcomeStore(":memory:") as store:
        report = await campaign_report(journal, store)
    assert repr(report) == (
        "CampaignReport(rows=16, accepted=0, delivered=0, read=0, failed={}, pending=0, "
        "unknown=0, not_sent=1, opted_out=1, window_closed=0)"
    )
    page = report.to_html(title="Nothing <yet>")
    ET.fromstring(page)
    assert "<h1>Nothing &lt;yet&gt;</h1>" in page
    assert "No message failed." in page
    assert "No message was delivered" in page
    assert "No message was read" in page
    out = io.StringIO()
    report.write_csv(out)  # an open file, too
    assert out.getvalue().splitlines()[1:] == [
        f"9,{number(9)},,not_sent,,,,,400: bad number,,,,",
        f"10,{number(10)},,opted_out,,,,,,,,,",
    ]


# -- bad inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("journal", "url", "said"),
    [
        ("good", "postgres://db/outcomes", "unknown outcome store URL 'postgres://db/outcomes'"),
        ("missing", "good", "cannot read the journal"),
        ("directory", "good", "cannot read the journal"),
        ("garbage", "good", "is not a bulk journal"),
        ("good", "missing", "no outcome store at"),
        ("good", "redis://127.0.0.1:1/0", "cannot reach the outcome store redis://127.0.0.1:1/0"),
        (
            "good",
            "redis://ivo:s3cret@127.0.0.1:1/0",
            "the outcome store redis://ivo:***@127.0.0.1:1",
        ),
        ("newer", "good", "is of format 2; this version of ivowaba reads format 1"),
        ("no header fields", "good", "has a header without file, sha256 and rows"),
    ],
)
def test_bad_inputs_are_one_line_and_exit_2(
    campaign: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    journal: str,
    url: str,
    said: str,
) -> None:
    good_journal, good_url = campaign
    journals = {
        "good": good_journal,
        "missing": tmp_path / "nope.jsonl",
        "directory": tmp_path,
        "garbage": tmp_path / "garbage.jsonl",
    }
    journals["garbage"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary\n")
    journals["newer"] = write_journal(tmp_path / "newer.jsonl", [{**JOURNAL[0], "journal": 2}])
    journals["no header fields"] = write_journal(tmp_path / "bad.jsonl", [{"journal": 1}])
    urls = {"good": good_url, "missing": f"sqlite:///{tmp_path}/typo.db"}
    code = run(["report", str(journals[journal]), "--outcomes", urls.get(url, url)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("ivowaba: ")
    assert said in err
    assert "s3cret" not in err
    assert not (tmp_path / "typo.db").exists()


def test_an_unwritable_output_file_is_one_line_and_exit_2(
    campaign: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, url = campaign
    target = tmp_path / "no" / "such" / "dir" / "report.html"
    assert run(["report", str(journal), "--outcomes", url, "--html", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"cannot write --html {target}" in err


async def test_bad_arguments_in_python_are_clear_errors(
    campaign: tuple[Path, str], tmp_path: Path
) -> None:
    async with SQLiteOutcomeStore(":memory:") as store:
        with pytest.raises(ConfigError, match=r"cannot read the journal .*nope\.jsonl"):
            await campaign_report(tmp_path / "nope.jsonl", store)
        with pytest.raises(ValidationError, match="batch_size: must be an integer >= 1, got 0"):
            await campaign_report(campaign[0], store, batch_size=0)
