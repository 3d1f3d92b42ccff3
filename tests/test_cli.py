"""The ``ivowaba`` command, against the emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ivowaba.cli import run
from ivowaba.testing import Emulator

COMMAND = [sys.executable, "-m", "ivowaba"]


def _connection(emulator: Emulator, key: str | None = None) -> list[str]:
    return ["--base-url", emulator.base_url, "--api-key", key or emulator.api_key]


def test_send_text_prints_the_message_id(ivowaba_emulator: Emulator) -> None:
    result = subprocess.run(
        [*COMMAND, "send", "text", "628123456789", "hi", *_connection(ivowaba_emulator)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ivowaba_emulator.outbox[0].id
    assert ivowaba_emulator.outbox[0].body == {"wa_id": "628123456789", "text": "hi"}


def test_a_wrong_key_is_one_line_and_a_failure(ivowaba_emulator: Emulator) -> None:
    result = subprocess.run(
        [*COMMAND, "send", "text", "628123456789", "hi", *_connection(ivowaba_emulator, "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "401" in lines[0]
    assert "api-key" in lines[0]
    assert "nope" not in result.stderr


def test_bad_input_exits_2_before_any_request(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["send", "text", "not-a-number", "hi", *_connection(ivowaba_emulator)])
    assert code == 2
    assert "invalid to" in capsys.readouterr().err
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


def test_demo_runs_to_completion() -> None:
    result = subprocess.run([*COMMAND, "demo"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "One message of every kind" in result.stdout
    assert "read       12" in result.stdout


# -- bulk --------------------------------------------------------------------------------------


def _rows(path: Path, n: int) -> None:
    with path.open("w") as out:
        out.write("wa_id,name\n")
        for i in range(1, n + 1):
            out.write(f"62812{i:07d},row {i}\n")


def _bulk(emulator: Emulator, path: Path, *extra: str) -> list[str]:
    return [
        *COMMAND,
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


def test_bulk_sends_each_row_and_journals_it(ivowaba_emulator: Emulator, tmp_path: Path) -> None:
    rows = tmp_path / "people.csv"
    _rows(rows, 50)
    result = subprocess.run(
        _bulk(ivowaba_emulator, rows, "--json"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == 50
    assert sorted(e.body["text"] for e in ivowaba_emulator.outbox) == sorted(
        f"Hi row {i}" for i in range(1, 51)
    )
    journal_text = (tmp_path / "people.csv.journal.jsonl").read_text()
    journal = [json.loads(line) for line in journal_text.splitlines()]
    assert sorted(e["row"] for e in journal if e.get("id")) == list(range(1, 51))


def test_bulk_failures_exit_non_zero(ivowaba_emulator: Emulator, tmp_path: Path) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text("wa_id,name\n628123456789,ok\nnot-a-number,bad\n")
    result = subprocess.run(
        _bulk(ivowaba_emulator, rows), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "1 failed" in result.stdout
    assert len(ivowaba_emulator.outbox) == 1


@pytest.mark.ivowaba_emulator(latency=0.002)
def test_bulk_killed_and_resumed_sends_every_row_once(
    ivowaba_emulator: Emulator, tmp_path: Path
) -> None:
    rows = tmp_path / "campaign.csv"
    total = 5000
    _rows(rows, total)
    process = subprocess.Popen(
        _bulk(ivowaba_emulator, rows), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while len(ivowaba_emulator.outbox) < 1500 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    sent_before = len(ivowaba_emulator.outbox)
    assert 1500 <= sent_before < total  # killed in the middle

    resumed = subprocess.run(
        _bulk(ivowaba_emulator, rows, "--resume", "--json"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = json.loads(resumed.stdout)
    unknown = set(summary["unknown"])
    assert len(unknown) <= 16  # at most the sends in flight at the kill

    texts = [e.body["text"] for e in ivowaba_emulator.outbox]
    counts = {text: texts.count(text) for text in set(texts)}
    for i in range(1, total + 1):
        seen = counts.get(f"Hi row {i}", 0)
        if i in unknown:
            assert seen <= 1
        else:
            assert seen == 1, f"row {i} sent {seen} times"
    assert summary["failed"] == 0
    assert resumed.returncode == (1 if unknown else 0)


def test_the_emulator_command_serves_until_stopped() -> None:
    process = subprocess.Popen(
        [*COMMAND, "emulator", "--port", "0", "--api-key", "shell-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("IVOWBA emulator on http://127.0.0.1:")
        base_url = first.split()[-1]
        assert process.stdout.readline().strip() == f"export IVOWABA_BASE_URL={base_url}"
        assert process.stdout.readline().strip() == "export IVOWABA_API_KEY=shell-key"
        code = run(
            ["send", "text", "628123456789", "hi", "--base-url", base_url, "--api-key", "shell-key"]
        )
        assert code == 0
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode in (0, 130)


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
