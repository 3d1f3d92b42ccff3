"""The ``ivowaba`` command, against the emulator over real HTTP on 127.0.0.1.

Commands run in-process (``run()``, as the console script's ``main()`` does), so that coverage
counts them; a subprocess (``python -m ivowaba``) only where a test kills or interrupts it."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import ivowaba
from ivowaba.cli import _bulk as bulk_module
from ivowaba.cli import main, run
from ivowaba.testing import Emulator

COMMAND = [sys.executable, "-m", "ivowaba"]


def test_bulk_progress_writes_to_the_stderr_of_the_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not to the stream that was ``sys.stderr`` when the module was imported."""
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    progress = bulk_module.Progress(1, "lines")
    progress.update(True)
    progress.finish()
    assert "sent 1" in now.getvalue()


def _connection(emulator: Emulator, key: str | None = None) -> list[str]:
    return ["--base-url", emulator.base_url, "--api-key", key or emulator.api_key]


@contextlib.contextmanager
def _debug() -> Iterator[None]:
    """For a command run with ``--debug``, which switches request logging on for the process."""
    logger = logging.getLogger("ivowaba")
    level = logger.level
    try:
        yield
    finally:
        logger.setLevel(level)


def test_send_text_prints_the_message_id(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["send", "text", "628123456789", "hi", *_connection(ivowaba_emulator)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == ivowaba_emulator.outbox[0].id
    assert ivowaba_emulator.outbox[0].body == {"wa_id": "628123456789", "text": "hi"}


def test_a_wrong_key_is_one_line_and_a_failure(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["send", "text", "628123456789", "hi", *_connection(ivowaba_emulator, "nope")])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "401" in lines[0]
    assert "api-key" in lines[0]
    assert "nope" not in err
    with _debug(), pytest.raises(ivowaba.AuthenticationError):  # --debug: the traceback
        run(["send", "text", "628123456789", "hi", "--debug", *_connection(ivowaba_emulator, "x")])


def test_bad_input_exits_2_before_any_request(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["send", "text", "not-a-number", "hi", *_connection(ivowaba_emulator)])
    assert code == 2
    assert "invalid to" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # the console script exits with that code
        main(["send", "text", "not-a-number", "hi", *_connection(ivowaba_emulator)])
    assert exited.value.code == 2
    assert "invalid to" in capsys.readouterr().err
    with _debug(), pytest.raises(ivowaba.ValidationError, match="digits"):
        run(["send", "text", "not-a-number", "hi", "--debug", *_connection(ivowaba_emulator)])
    assert ivowaba_emulator.requests == []


def test_unreachable_server_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["templates", "list", "--base-url", "http://127.0.0.1:9", "--api-key", "k"])
    assert code == 1
    assert "Cannot connect" in capsys.readouterr().err


def test_everyday_commands(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    connection = _connection(ivowaba_emulator)
    assert run(["contacts", "check", "+628123456789", "--json", *connection]) == 0
    assert json.loads(capsys.readouterr().out)[0]["wa_id"] == "628123456789"
    assert run(["templates", "list", *connection]) == 0
    assert "new_project_setup_notification" in capsys.readouterr().out
    assert run(["templates", "get", "60243665e4058d3b4a377bce", "--json", *connection]) == 0
    assert json.loads(capsys.readouterr().out)["template_name"] == "issue_resolve"
    assert (
        run(["send", "location", "628123456789", "-6.2", "106.8", "--name", "HQ", *connection]) == 0
    )
    assert (
        run(
            [
                "send",
                "media",
                "628123456789",
                "image",
                "https://example.com/a.jpg",
                "--caption",
                "look",
                *connection,
            ]
        )
        == 0
    )
    assert (
        run(
            [
                "send",
                "template",
                "628123456789",
                "60243665e4058d3b4a377bd2",
                "--header",
                "PT",
                "--body",
                "Agus",
                "--check",
                *connection,
            ]
        )
        == 0
    )
    assert [e.endpoint for e in ivowaba_emulator.outbox] == [
        "send-location-message",
        "send-media-message",
        "send-template-message",
    ]
    media_id = ivowaba_emulator.add_media(b"%PDF-1.4", "application/pdf", "invoice.pdf")
    capsys.readouterr()
    assert run(["media", "download", media_id, "-o", str(tmp_path), *connection]) == 0
    assert (tmp_path / "invoice.pdf").read_bytes() == b"%PDF-1.4"
    assert capsys.readouterr().out.strip() == str(tmp_path / "invoice.pdf")
    assert run(["webhooks", "list", "--json", *connection]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"]
    assert (
        run(
            ["send", "template", "628123456789", "60243665e4058d3b4a377bd2", "--check", *connection]
        )
        == 2
    )
    assert "parameters" in capsys.readouterr().err


def test_human_output_is_key_value_lines(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = _connection(ivowaba_emulator)
    assert run(["templates", "get", "60243665e4058d3b4a377bce", *connection]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "template_name: issue_resolve" in lines
    assert "components:" in lines  # a list of objects: indented items
    assert "  -" in lines
    assert "histories: -" in lines  # nothing there
    assert any(line.startswith("      - Permasalahan #21") for line in lines)  # a list of text

    webhook = ivowaba_emulator.webhook.id
    assert run(["webhooks", "pull", webhook, *connection]) == 0
    assert capsys.readouterr().out == "(nothing pending)\n"
    ivowaba_emulator.inbound_text("628123456789", "where is my parcel?", name="Agus")
    assert run(["webhooks", "pull", webhook, *connection]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == "-"
    assert "  messages:" in shown
    assert "        body: where is my parcel?" in shown
    ivowaba_emulator.inbound_text("628123456789", "hello again")
    assert run(["webhooks", "pull", webhook, "--json", *connection]) == 0
    (pulled,) = json.loads(capsys.readouterr().out)
    assert pulled["messages"][0]["text"]["body"] == "hello again"


def test_demo_runs_to_completion(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["demo"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "One message of every kind" in out
    assert "read       12" in out

    # It ends with a campaign of 20 rows and the table `ivowaba report` prints of it.
    campaign = out[out.index("6. A campaign of 20 messages, and its report") :]
    assert "-> 16 sent; skipped, never a request: 2 opted out, 2 outside the 24-hour window" in (
        campaign
    )
    table = campaign[campaign.index("Campaign report: customers.csv.journal.jsonl") :]
    lines = {" ".join(line.split()) for line in table.splitlines()}
    assert {
        "rows 20 100.0%",
        "accepted 16 80.0%",
        "delivered 15 75.0%",
        "read 15 75.0%",
        "failed 1 5.0%",
        "480 1 Failed to send message since we detect an identity change of the contact",
        "pending 0 0.0%",
        "unknown 0 0.0%",
        "not sent 0 0.0%",
        "skipped: opted out 2 10.0%",
        "skipped: window closed 2 10.0%",
    } <= lines


# -- bulk --------------------------------------------------------------------------------------


def _rows(path: Path, n: int) -> None:
    with path.open("w") as out:
        out.write("wa_id,name\n")
        for i in range(1, n + 1):
            out.write(f"62812{i:07d},row {i}\n")


def _bulk(emulator: Emulator, path: Path, *extra: str) -> list[str]:
    """The arguments of ``ivowaba bulk`` (for ``run()``; after ``COMMAND`` for a process)."""
    return [
        "bulk",
        str(path),
        "--text",
        "Hi {name}",
        "--progress",
        "lines",
        "--concurrency",
        "16",
        *_connection(emulator),
        *extra,
    ]


def test_bulk_sends_each_row_and_journals_it(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "people.csv"
    _rows(rows, 50)
    code = run(_bulk(ivowaba_emulator, rows, "--json"))
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    assert summary["sent"] == 50
    assert sorted(e.body["text"] for e in ivowaba_emulator.outbox) == sorted(
        f"Hi row {i}" for i in range(1, 51)
    )
    journal_text = (tmp_path / "people.csv.journal.jsonl").read_text()
    journal = [json.loads(line) for line in journal_text.splitlines()]
    assert sorted(e["row"] for e in journal if e.get("id")) == list(range(1, 51))


def test_bulk_failures_exit_non_zero(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text("wa_id,name\n628123456789,ok\nnot-a-number,bad\n")
    code = run(_bulk(ivowaba_emulator, rows))
    assert code == 1
    assert "1 failed" in capsys.readouterr().out
    assert len(ivowaba_emulator.outbox) == 1


def _jsonl(path: Path, *rows: Mapping[str, object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + "\n")  # a blank line too
    return path


def test_bulk_fills_a_template_from_jsonl_columns(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _jsonl(
        tmp_path / "people.jsonl",
        *({"phone": f"6281200000{i}", "company": f"PT {i}", "name": f"Agus {i}", "note": None}
          for i in range(3)),
    )  # fmt: skip
    template = "60243665e4058d3b4a377bd2"  # a header and one body parameter
    code = run(
        [
            "bulk", str(rows), "--template", template, "--header", "company", "--body", "name",
            "--progress", "bar", "--json", *_connection(ivowaba_emulator),
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["sent"] == 3
    assert err.startswith("\r[########################] sent 3  failed 0  3/3")  # the bar
    assert err.endswith("\n")
    sent = sorted(ivowaba_emulator.outbox, key=lambda entry: entry.wa_id)
    assert [entry.wa_id for entry in sent] == [f"6281200000{i}" for i in range(3)]
    assert {entry.endpoint for entry in sent} == {"send-template-message"}
    for i, entry in enumerate(sent):
        assert entry.body["template_id"] == template
        assert f"PT {i}" in json.dumps(entry.body)
        assert f"Agus {i}" in json.dumps(entry.body)


def test_bulk_rows_without_a_column_fail_and_the_others_are_sent(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _jsonl(
        tmp_path / "people.jsonl",
        {"mobile": "628120000001", "name": "ok"},
        {"mobile": "628120000002"},  # nothing for {name}
        {"name": "nobody to send to"},
    )
    code = run(
        [
            "bulk", str(rows), "--text", "Hi {name}", "--to-column", "mobile", "--json",
            *_connection(ivowaba_emulator),
        ]
    )  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (summary["sent"], summary["failed"], summary["unknown"]) == (1, 2, [])
    assert [entry.body for entry in ivowaba_emulator.outbox] == [
        {"wa_id": "628120000001", "text": "Hi ok"}
    ]
    journal = [json.loads(line) for line in Path(summary["journal"]).read_text().splitlines()]
    errors = {entry["row"]: entry["error"] for entry in journal if "error" in entry}
    assert "row 2: column 'name' is missing" in errors[2]
    assert "row 3: column 'mobile' is missing" in errors[3]
    assert all(entry["sent"] is False for entry in journal if "error" in entry)


@pytest.mark.parametrize(
    ("content", "options", "said"),
    [
        (None, ["--text", "hi"], "no such file"),
        ("wa_id,name\n628120000001,a\n", ["--text", "hi", "--header", "name"], "only with"),
        ("wa_id,name\n", ["--text", "hi"], "has no rows"),
        ("wa_id,name\n628120000001,a\n", ["--text", "hi", "--to-column", "mobile"], "mobile"),
        ("name,city\na,b\n", ["--text", "hi"], "none of wa_id, to, phone"),
        ('["628120000001"]\n', ["--text", "hi"], "each line must be an object"),
        (
            "wa_id,name,site\n628120000001,a,b\n",
            ["--template", "60243665e4058d3b4a377bd2", "--body", "name", "--button-url", "site"],
            "parameters",
        ),
    ],
    ids=[
        "no file", "header with text", "no rows", "no such to-column", "no recipient column",
        "jsonl not objects", "template parameters",
    ],
)  # fmt: skip
def test_bulk_refuses_bad_input_before_any_send(
    ivowaba_emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    options: list[str],
    said: str,
) -> None:
    rows = tmp_path / ("rows.jsonl" if content and content.startswith("[") else "rows.csv")
    if content is not None:
        rows.write_text(content)
    code = run(["bulk", str(rows), *options, *_connection(ivowaba_emulator)])
    assert code == 2
    assert said in capsys.readouterr().err
    assert ivowaba_emulator.outbox == []


def test_bulk_will_not_overwrite_a_journal_without_resume(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "people.csv"
    _rows(rows, 2)
    assert run(_bulk(ivowaba_emulator, rows)) == 0
    capsys.readouterr()
    assert run(_bulk(ivowaba_emulator, rows)) == 2
    assert "exists: pass --resume" in capsys.readouterr().err
    assert len(ivowaba_emulator.outbox) == 2


@pytest.mark.ivowaba_emulator(latency=0.002)
def test_bulk_killed_and_resumed_sends_every_row_once(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "campaign.csv"
    total = 1200
    _rows(rows, total)
    process = subprocess.Popen(
        [*COMMAND, *_bulk(ivowaba_emulator, rows)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(ivowaba_emulator.outbox) < 400 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    sent_before = len(ivowaba_emulator.outbox)
    assert 400 <= sent_before < total  # killed in the middle

    code = run(_bulk(ivowaba_emulator, rows, "--resume", "--json"))  # resumed in-process
    summary = json.loads(capsys.readouterr().out)
    unknown = set(summary["unknown"])
    assert len(unknown) <= 16  # at most the sends in flight at the kill

    counts = Counter(e.body["text"] for e in ivowaba_emulator.outbox)
    for i in range(1, total + 1):
        seen = counts.get(f"Hi row {i}", 0)
        if i in unknown:
            assert seen <= 1
        else:
            assert seen == 1, f"row {i} sent {seen} times"
    assert summary["failed"] == 0
    assert code == (1 if unknown else 0)


#: How long the emulator command may take to start, or to stop once told: a test that fails
#: says so after this, and never leaves the process running.
PROCESS_WAIT = 15.0


def test_the_emulator_command_serves_until_stopped() -> None:
    """Started as a shell starts ``ivowaba emulator &`` (with SIGINT ignored), it serves
    until SIGTERM, then stops cleanly: exit 0, its port closed, no traceback."""
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the child
    try:
        process = subprocess.Popen(
            [*COMMAND, "emulator", "--port", "0", "--api-key", "shell-key"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, ignored)
    lines: queue.Queue[str] = queue.Queue()
    out, errors = process.stdout, process.stderr
    assert out is not None
    assert errors is not None
    reader = threading.Thread(target=lambda: [*map(lines.put, out)], daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=PROCESS_WAIT)
        assert first.startswith("IVOWBA emulator on http://127.0.0.1:")
        base_url = first.split()[-1]
        assert lines.get(timeout=PROCESS_WAIT).strip() == f"export IVOWABA_BASE_URL={base_url}"
        assert lines.get(timeout=PROCESS_WAIT).strip() == "export IVOWABA_API_KEY=shell-key"
        code = run(
            ["send", "text", "628123456789", "hi", "--base-url", base_url, "--api-key", "shell-key"]
        )
        assert code == 0
        process.terminate()  # SIGTERM
        try:
            process.wait(timeout=PROCESS_WAIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still serving {PROCESS_WAIT:g} s after SIGTERM")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        err = errors.read()
        reader.join(PROCESS_WAIT)  # at the end of its output, the process gone
        out.close()
        errors.close()
    assert process.returncode == 0, err
    with pytest.raises(ConnectionRefusedError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", int(base_url.rsplit(":", 1)[1])), timeout=1).close()
    assert err.rstrip().endswith("emulator stopped"), err
    assert "Traceback" not in err


def test_an_unexpected_error_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ivowaba.cli import _commands

    async def broken(args: object) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr(_commands, "list_webhooks", broken)
    code = run(["webhooks", "list", "--base-url", "http://127.0.0.1:9", "--api-key", "k"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unexpected KeyError" in err
    logger = logging.getLogger("ivowaba")
    level = logger.level
    try:
        with pytest.raises(KeyError):
            run(
                [
                    "webhooks",
                    "list",
                    "--base-url",
                    "http://127.0.0.1:9",
                    "--api-key",
                    "k",
                    "--debug",
                ]
            )
    finally:
        logger.setLevel(level)  # --debug switched request logging on for the process
