"""``ivowaba bulk``'s input rules: a row missing a value the message needs is refused (never a
send of "Hi None"), a quote never closed stops the run before any send, a byte-order mark is
no part of the first column, ``--text`` takes plain ``{column}`` placeholders only, and bad
options leave no journal behind.

In-process (``run()``), against the emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ivowaba.cli import run
from ivowaba.testing import Emulator

TEMPLATE = "60243665e4058d3b4a377bd2"  # the emulator's template with one header, one body


def _bulk(emu: Emulator, path: Path, *options: str) -> int:
    return run(["bulk", str(path), *options, "--base-url", emu.base_url, "--api-key", emu.api_key])


def _journal(path: Path) -> dict[int, dict[str, Any]]:
    """Each row's last journal line."""
    last: dict[int, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if "row" in entry:
            last[entry["row"]] = entry
    return last


def _texts(emu: Emulator) -> dict[str, str]:
    return {entry.body["wa_id"]: entry.body["text"] for entry in emu.outbox}


# -- 1. a value the message needs is there, and a text or a number, or the row is refused ----


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("short.csv", "phone,name\n628111111111\n628122222222,B\n", "column 'name' is missing"),
        (
            "null.jsonl",
            '{"phone": "628111111111", "name": null}\n{"phone": "628122222222", "name": "B"}\n',
            "column 'name' has no value",
        ),
        (
            "object.jsonl",
            '{"phone": "628111111111", "name": {"first": "A"}}\n'
            '{"phone": "628122222222", "name": "B"}\n',
            "column 'name' is an object, not a text or a number",
        ),
        (
            "list.jsonl",
            '{"phone": "628111111111", "name": ["A"]}\n{"phone": "628122222222", "name": "B"}\n',
            "column 'name' is a list",
        ),
        (
            "missing.jsonl",
            '{"phone": "628111111111"}\n{"phone": "628122222222", "name": "B"}\n',
            "column 'name' is missing",
        ),
    ],
    ids=["csv short row", "jsonl null", "jsonl object", "jsonl list", "jsonl missing key"],
)
def test_a_row_without_a_value_for_text_is_refused_never_sent(
    emu: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str,
    said: str,
) -> None:
    rows = tmp_path / name
    rows.write_text(content)
    assert _bulk(emu, rows, "--text", "Hi {name}") == 1  # as for any row that failed
    assert _texts(emu) == {"628122222222": "Hi B"}  # row 1 is no request at all
    bad = _journal(tmp_path / f"{name}.journal.jsonl")[1]
    assert bad["sent"] is False
    assert bad["wa_id"] == "628111111111"  # the journal keeps the row's number
    assert f"row 1: {said}" in bad["error"]
    assert "1 failed" in capsys.readouterr().out


def test_jsonl_scalars_are_written_as_json_writes_them_and_an_empty_cell_is_empty_text(
    emu: Emulator, tmp_path: Path
) -> None:
    rows = tmp_path / "scalars.jsonl"
    rows.write_text(
        '{"phone": 628111111111, "n": 3, "x": 1.5, "vip": true}\n'
        '{"phone": "628122222222", "n": "", "x": 0, "vip": false}\n'
    )
    assert _bulk(emu, rows, "--text", "{n}|{x}|{vip}") == 0
    assert _texts(emu) == {"628111111111": "3|1.5|true", "628122222222": "|0|false"}


def test_a_row_without_a_recipient_is_refused(emu: Emulator, tmp_path: Path) -> None:
    rows = tmp_path / "to.jsonl"
    rows.write_text('{"wa_id": null}\n{"wa_id": ""}\n{"wa_id": "628122222222"}\n')
    assert _bulk(emu, rows, "--text", "hi") == 1
    assert _texts(emu) == {"628122222222": "hi"}
    journal = _journal(tmp_path / "to.jsonl.journal.jsonl")
    assert "row 1: column 'wa_id' has no value" in journal[1]["error"]
    assert "row 2: column 'wa_id' is empty" in journal[2]["error"]
    assert (journal[1]["sent"], journal[2]["sent"], journal[1]["wa_id"]) == (False, False, None)


def test_a_template_row_without_a_parameter_is_refused_not_the_run(
    emu: Emulator, tmp_path: Path
) -> None:
    """Row 1 short: it is refused on its turn (naming the row, keeping its number); the
    parameter count is checked on the first row that makes a message."""
    rows = tmp_path / "short.csv"
    rows.write_text(
        "phone,company,name\n628111111111,PT A\n628122222222,PT B,\n628133333333,PT C,C\n"
    )
    options = ["--template", TEMPLATE, "--header", "company", "--body", "name"]
    assert _bulk(emu, rows, *options) == 1
    assert [entry.body["wa_id"] for entry in emu.outbox] == ["628133333333"]
    journal = _journal(tmp_path / "short.csv.journal.jsonl")
    assert journal[1]["wa_id"] == "628111111111"
    assert "row 1: column 'name' is missing" in journal[1]["error"]
    assert "row 2: column 'name' is empty" in journal[2]["error"]
    assert journal[2]["wa_id"] == "628122222222"
    assert "id" in journal[3]


# -- 2. a quote never closed -------------------------------------------------------------------


def test_an_unterminated_quote_stops_the_run_naming_the_line_before_any_send(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "quote.csv"
    rows.write_text('phone,name\n628123456789,A\n628123456780,"unterminated\n628127631234,B\n')
    assert _bulk(emu, rows, "--text", "Hi {name}") == 2
    err = capsys.readouterr().err
    assert "quote.csv:3: not CSV (a quote opened here never closes)" in err
    assert emu.requests == []
    assert not (tmp_path / "quote.csv.journal.jsonl").exists()


def test_a_row_longer_than_the_header_stops_the_run_before_any_send(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "names.csv"
    rows.write_text("phone,name\n628123456789,Ann\n628123456780,Smith, John\n")
    assert _bulk(emu, rows, "--text", "Hi {name}") == 2  # it would have sent "Hi Smith"
    err = capsys.readouterr().err
    assert "names.csv:3: 3 cells, the header has 2 (a comma in a value needs quotes)" in err
    assert emu.requests == []
    assert not (tmp_path / "names.csv.journal.jsonl").exists()


# -- 3. a byte-order mark --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bom.csv", "bom.jsonl"])
def test_a_byte_order_mark_is_no_part_of_the_first_column_and_resume_matches(
    emu: Emulator, tmp_path: Path, name: str
) -> None:
    rows = tmp_path / name
    if name.endswith(".csv"):
        text = "phone,name\n628111111111,A\n628122222222,B\n"
    else:
        text = '{"phone": "628111111111", "name": "A"}\n{"phone": "628122222222", "name": "B"}\n'
    rows.write_bytes(b"\xef\xbb\xbf" + text.encode())
    emu.fail_next("*", status=422)  # row 1 or 2: surely not sent, for --resume to send
    assert _bulk(emu, rows, "--text", "Hi {name}", "--concurrency", "1") == 1
    assert _bulk(emu, rows, "--text", "Hi {name}", "--resume") == 0
    assert _texts(emu) == {"628111111111": "Hi A", "628122222222": "Hi B"}


# -- 4. --text placeholders ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Hi {name.__class__}", "{name!r:>20}", "{name!r}", "{name:>10}", "{name[0]}"]
)
def test_text_takes_only_plain_column_placeholders(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("phone,name\n628111111111,A\n")
    assert _bulk(emu, rows, "--text", text) == 2
    err = capsys.readouterr().err
    assert "--text" in err
    assert "is not a plain {column} placeholder" in err
    assert err.count("\n") == 1
    assert emu.requests == []
    assert not (tmp_path / "rows.csv.journal.jsonl").exists()


def test_text_braces_are_written_doubled(emu: Emulator, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("phone,first name\n628111111111,{A}\n")
    assert _bulk(emu, rows, "--text", "{{code}} {first name}") == 0
    assert _texts(emu) == {"628111111111": "{code} {A}"}


# -- 5, 6. options checked before any file is made -------------------------------------------


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--concurrency", "0"], "--concurrency: must be 1 or more, got 0"),
        (["--rate-limit", "0"], "--rate-limit: must be 1 or more, got 0"),
        (["--resend-unknown"], "--resend-unknown: only with --resume"),
    ],
)
def test_a_bad_option_exits_2_and_leaves_no_journal(
    emu: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    said: str,
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("phone,name\n628111111111,A\n")
    assert _bulk(emu, rows, "--text", "Hi {name}", *options) == 2
    assert said in capsys.readouterr().err
    assert emu.requests == []
    assert not (tmp_path / "rows.csv.journal.jsonl").exists()
    assert _bulk(emu, rows, "--text", "Hi {name}") == 0  # the next correct run is not refused


def test_the_summary_of_one_row_says_row(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "one.csv"
    rows.write_text("phone,name\n628123456789,Ann\n")
    assert _bulk(emu, rows, "--text", "Hi {name}") == 0
    assert capsys.readouterr().out.startswith("1 row: 1 sent now, 0 already sent, 0 failed")


def test_a_number_on_two_rows_is_said_before_the_run_and_each_row_is_sent(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "twice.csv"
    rows.write_text("phone,name\n628123456789,Ann\n628111111111,Bob\n+62 812-3456-789,Ann again\n")
    assert _bulk(emu, rows, "--text", "Hi {name}") == 0
    err = capsys.readouterr().err
    assert (
        "ivowaba: warning: 1 number is on more than one row, and each row is sent: "
        "628123456789 on rows 1, 3"
    ) in err
    to_ann = [e.body["text"] for e in emu.outbox if e.body["wa_id"] == "628123456789"]
    assert sorted(to_ann) == ["Hi Ann", "Hi Ann again"]


def test_no_warning_when_every_number_is_on_one_row(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "once.csv"
    rows.write_text("phone,name\n628123456789,Ann\n628111111111,Bob\n")
    assert _bulk(emu, rows, "--text", "Hi {name}") == 0
    assert "warning" not in capsys.readouterr().err
