"""The command line as a new user meets it: where files land, bad input named before any send,
a bulk run that stops when no row can succeed, options before the command's name, errors as
JSON, the wording of the usual mistakes, help for every argument, and the FastAPI example.

In-process (``run()``), against the emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from ivowaba import APIConnectionError, AuthenticationError, ServerError, ValidationError
from ivowaba.cli import run
from ivowaba.cli._app import build_parser
from ivowaba.cli._bulk import STOP_AFTER_HOPELESS, Skipped, Tally, _count_hopeless
from ivowaba.cli._output import render
from ivowaba.testing import Emulator, no_backoff

ROOT = Path(__file__).resolve().parent.parent
TEXT_NOTIFICATION = (ROOT / "tests" / "fixtures" / "notifications" / "ref_text.json").read_bytes()
DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


def _connection(emulator: Emulator, key: str | None = None) -> list[str]:
    return ["--base-url", emulator.base_url, "--api-key", key or emulator.api_key]


def _error_object(err: str) -> dict[str, object]:
    """The one JSON object ``--json`` writes on stderr for an error."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    report = json.loads(lines[0])
    assert isinstance(report, dict)
    return report


# -- 1. media download: a folder is a folder, a file is not overwritten ---------------------


def _download(emulator: Emulator, media_id: str, output: Path | str, *extra: str) -> int:
    return run(["media", "download", media_id, "-o", str(output), *extra, *_connection(emulator)])


def test_a_path_ending_in_a_slash_is_a_folder_made_if_missing(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media_id = ivowaba_emulator.add_media(b"%PDF-1.4 one", "application/pdf", "invoice.pdf")
    folder = tmp_path / "downloads" / "sub"
    assert _download(ivowaba_emulator, media_id, f"{folder}/") == 0
    assert capsys.readouterr().out.strip() == str(folder / "invoice.pdf")
    assert (folder / "invoice.pdf").read_bytes() == b"%PDF-1.4 one"
    assert [p.name for p in folder.iterdir()] == ["invoice.pdf"]  # nothing staged left behind

    again = ivowaba_emulator.add_media(b"%PDF-1.4 two", "application/pdf", "invoice.pdf")
    assert _download(ivowaba_emulator, again, folder) == 2  # an existing folder, no slash
    err = capsys.readouterr().err
    assert f"{folder / 'invoice.pdf'} exists: pass --force" in err
    assert (folder / "invoice.pdf").read_bytes() == b"%PDF-1.4 one"  # kept
    assert [p.name for p in folder.iterdir()] == ["invoice.pdf"]

    assert _download(ivowaba_emulator, again, folder, "--force") == 0
    assert (folder / "invoice.pdf").read_bytes() == b"%PDF-1.4 two"


def test_a_dash_writes_the_bytes_to_stdout_and_saves_nothing(
    ivowaba_emulator: Emulator,
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    content = bytes(range(256)) * 4  # not text: every byte as it came
    media_id = ivowaba_emulator.add_media(content, "application/octet-stream", "blob.bin")
    assert _download(ivowaba_emulator, media_id, "-") == 0
    assert capsysbinary.readouterr().out == content
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_a_file_name_is_written_in_a_new_folder_and_kept_without_force(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media_id = ivowaba_emulator.add_media(b"GIF89a", "image/gif", "photo.gif")
    target = tmp_path / "nodir" / "mine.gif"
    assert _download(ivowaba_emulator, media_id, target) == 0
    assert target.read_bytes() == b"GIF89a"
    assert list(target.parent.iterdir()) == [target]  # no .part

    target.write_bytes(b"mine")
    asked = len(ivowaba_emulator.requests)
    assert _download(ivowaba_emulator, media_id, target) == 2
    assert "exists: pass --force" in capsys.readouterr().err
    assert target.read_bytes() == b"mine"
    assert len(ivowaba_emulator.requests) == asked  # refused before any request

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert _download(ivowaba_emulator, media_id, f"{blocker}/") == 2
    assert "is a file, not a folder" in capsys.readouterr().err


# -- 2, 3. bad bulk input is named, before any send ------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "options", "said"),
    [
        (
            "rows.jsonl",
            '{"wa_id": "628120000001"}\n{not json\n',
            ["--text", "hi"],
            "rows.jsonl:2: not JSON",
        ),
        ("rows.csv", b"wa_id,name\n628120000001,\xff\xfe\n", ["--text", "hi"], "not UTF-8 text"),
        (
            "rows.csv",
            "wa_id,name\n628120000001,a\n628120000002," + "x" * 200_000 + "\n",
            ["--text", "hi"],
            "rows.csv:3: not CSV (field larger than field limit",
        ),
        (
            "rows.csv",
            "wa_id,name\n628120000001,Agus\n",
            ["--text", "Hi {nme}"],
            "invalid --text: no column 'nme' in rows.csv (its columns: wa_id, name)",
        ),
        (
            "rows.jsonl",
            '{"wa_id": "628120000001", "name": "a"}\n{"wa_id": "628120000002", "city": "b"}\n',
            ["--text", "Hi {nme}"],
            "its columns: wa_id, name, city",
        ),
        ("rows.csv", "wa_id,name\n628120000001,a\n", ["--text", "Hi {name"], "--text"),
        ("rows.csv", "wa_id,name\n628120000001,a\n", ["--text", "Hi {}"], "names no column"),
        (
            "rows.csv",
            "wa_id,name\n628120000001,a\n",
            ["--template", "60243665e4058d3b4a377bd2", "--header", "company", "--body", "name"],
            "invalid --header: no column 'company'",
        ),
    ],
    ids=[
        "jsonl line not json",
        "not utf-8",
        "csv field too large",
        "csv placeholder",
        "jsonl placeholder",
        "stray brace",
        "positional placeholder",
        "template column",
    ],
)
def test_bulk_names_bad_input_and_exits_2_before_any_send(
    ivowaba_emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes,
    options: list[str],
    said: str,
) -> None:
    rows = tmp_path / name
    if isinstance(content, bytes):
        rows.write_bytes(content)
    else:
        rows.write_text(content)
    code = run(["bulk", str(rows), *options, *_connection(ivowaba_emulator)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert said in err
    assert err.count("\n") == 1
    assert ivowaba_emulator.requests == []
    assert not (tmp_path / f"{name}.journal.jsonl").exists()


def test_bulk_of_a_folder_says_it_is_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["bulk", str(tmp_path), "--text", "hi", "--api-key", "k"]) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err


# -- 4. a bulk run stops when no row can succeed --------------------------------------------


def _people(path: Path, n: int) -> Path:
    path.write_text("wa_id,name\n" + "".join(f"62812{i:07d},row {i}\n" for i in range(1, n + 1)))
    return path


def _journal(path: Path) -> dict[int, dict[str, object]]:
    """Each row's last journal line."""
    last: dict[int, dict[str, object]] = {}
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if "row" in entry:
            last[entry["row"]] = entry
    return last


def test_a_refused_key_stops_the_run_and_journals_the_rest_as_not_sent(
    ivowaba_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    total, concurrency = 60, 4
    rows = _people(tmp_path / "people.csv", total)
    bulk = ["bulk", str(rows), "--text", "Hi {name}!", "--concurrency", str(concurrency)]
    code = run([*bulk, "--json", "--progress", "none", *_connection(ivowaba_emulator, "wrong")])
    out, err = capsys.readouterr()
    assert code == 1
    summary = json.loads(out)
    report = _error_object(err)
    assert report["type"] == "RunStopped"
    assert report["status"] == 401
    assert f"stopped after {STOP_AFTER_HOPELESS} sends in a row failed" in str(report["error"])
    assert "--api-key" in str(report["error"])
    assert "wrong" not in err
    tried = len(ivowaba_emulator.requests)
    assert STOP_AFTER_HOPELESS <= tried <= STOP_AFTER_HOPELESS + concurrency
    assert summary["failed"] == tried
    assert summary["not_tried"] == total - tried

    journal = _journal(tmp_path / "people.csv.journal.jsonl")
    assert sorted(journal) == list(range(1, total + 1))  # every row has its fate
    assert all(entry["sent"] is False for entry in journal.values())
    untried = [entry for entry in journal.values() if str(entry["error"]).startswith("not tried")]
    assert len(untried) == total - tried
    assert all(entry["wa_id"] for entry in untried)

    # Not sent, so sent by --resume, with the right key
    assert run([*bulk, "--resume", "--progress", "none", *_connection(ivowaba_emulator)]) == 0
    assert capsys.readouterr().out.startswith(f"{total} rows: {total} sent now")
    assert len(ivowaba_emulator.outbox) == total


def test_an_unreachable_gateway_stops_the_run_and_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _people(tmp_path / "people.csv", 60)
    with no_backoff():
        bulk = ["bulk", str(rows), "--text", "Hi {name}", "--concurrency", "2"]
        code = run([*bulk, "--progress", "none", "--base-url", DEAD, "--api-key", "k"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.count("\n") == 1
    assert "the gateway was not reached" in err
    assert "--base-url" in err
    assert "ssl:default" not in err
    assert re.search(r"\b\d+ not tried\b", out)
    journal = _journal(tmp_path / "people.csv.journal.jsonl")
    assert sorted(journal) == list(range(1, 61))
    assert all(entry["sent"] is False for entry in journal.values())


def _refused() -> AuthenticationError:
    return AuthenticationError("Unauthenticated.", status_code=401, body=None, headers={})


def test_only_failures_in_a_row_that_every_row_would_meet_stop_a_run() -> None:
    tally = Tally()
    for _ in range(STOP_AFTER_HOPELESS - 1):
        _count_hopeless(tally, _refused())
    _count_hopeless(tally, None)  # an accepted send: the key is fine after all
    for _ in range(STOP_AFTER_HOPELESS - 1):
        _count_hopeless(tally, APIConnectionError("refused", never_sent=True))
    # no request made (bad row, skipped), or one that may have reached the gateway
    _count_hopeless(tally, ValidationError("to", "digits only"))
    _count_hopeless(tally, Skipped("opted_out"))
    assert tally.stopped is None
    _count_hopeless(tally, APIConnectionError("dropped", never_sent=False))  # may have been sent
    for _ in range(STOP_AFTER_HOPELESS - 1):
        _count_hopeless(tally, _refused())
    _count_hopeless(tally, ServerError("down", status_code=503, body=None, headers={}))
    assert tally.stopped is None
    for _ in range(STOP_AFTER_HOPELESS):
        _count_hopeless(tally, _refused())
    assert isinstance(tally.stopped, AuthenticationError)


# -- 5. options before the command's name -----------------------------------------------------


def test_connection_options_may_come_before_the_command(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    before = ["--api-key", ivowaba_emulator.api_key, "--base-url", ivowaba_emulator.base_url]
    assert run([*before, "send", "text", "628123456789", "hi"]) == 0
    assert capsys.readouterr().out.strip() == ivowaba_emulator.outbox[0].id

    # given on both sides, the one after the command's name wins
    both = ["--api-key", "wrong", "--json", "send", "text", "628123456789", "again"]
    code = run([*both, *_connection(ivowaba_emulator)])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["id"] == ivowaba_emulator.outbox[1].id


@pytest.mark.parametrize("command", [["templates", "list"], ["contacts", "check", "628123456789"]])
def test_an_operation_the_sandbox_lacks_is_usage_exit_2_before_any_request(
    emu: Emulator, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    connection = ["--base-url", emu.base_url, "--api-key", emu.api_key]
    assert run(["--sandbox", *command, *connection]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not available in the sandbox" in err
    assert emu.requests == []


def test_a_leading_option_is_resolved_per_command() -> None:
    parse = build_parser().parse_args
    assert parse(["--debug", "demo"]).debug is True
    assert parse(["demo"]).debug is False
    assert parse(["emulator"]).api_key == "test-key"  # the emulator's own default stays
    assert parse(["--api-key", "k2", "emulator"]).api_key == "k2"
    sandbox = parse(["--sandbox", "templates", "list"])
    assert (sandbox.sandbox, sandbox.json, sandbox.api_key) == (True, False, None)
    assert not any(name.startswith(("leading_", "taken_")) for name in vars(sandbox))


def test_a_leading_option_the_command_does_not_take_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["--base-url", "http://127.0.0.1:9", "demo"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ivowaba ")
    assert err.endswith("ivowaba: error: --base-url is not an option of `ivowaba demo`\n")
    with pytest.raises(SystemExit) as exited:
        run(["send", "text", "628123456789", "hi", "extra"])
    assert exited.value.code == 2
    assert "ivowaba: error: unrecognized arguments: extra" in capsys.readouterr().err


# -- 6. --json makes errors JSON ----------------------------------------------------------------


def test_with_json_an_error_is_one_object_on_stderr(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = _connection(ivowaba_emulator, "nope")
    assert run(["send", "text", "628123456789", "hi", "--json", *wrong]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    report = _error_object(err)
    assert report["type"] == "AuthenticationError"
    assert report["status"] == 401
    assert "401" in str(report["error"])
    assert "nope" not in err

    bad = ["--json", "send", "text", "not-a-number", "hi", *_connection(ivowaba_emulator)]
    assert run(bad) == 2
    report = _error_object(capsys.readouterr().err)
    assert report["type"] == "ValidationError"
    assert report["field"] == "to"
    assert "status" not in report

    with no_backoff():
        assert run(["templates", "list", "--json", "--base-url", DEAD, "--api-key", "k"]) == 1
    report = _error_object(capsys.readouterr().err)
    assert report["type"] == "APIConnectionError"
    assert "status" not in report

    with pytest.raises(SystemExit) as exited:
        run(["--json", "send", "text"])
    assert exited.value.code == 2
    report = _error_object(capsys.readouterr().err)
    assert report["type"] == "UsageError"
    assert "required: to, text" in str(report["error"])


# -- 7. wording -------------------------------------------------------------------------------


def test_a_missing_key_is_named_as_the_command_line_takes_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("IVOWABA_API_KEY", raising=False)
    assert run(["send", "text", "628123456789", "hi", "--base-url", DEAD]) == 2
    err = capsys.readouterr().err
    assert "--api-key" in err
    assert "IVOWABA_API_KEY" in err
    assert "api_key=" not in err


def test_a_refused_http_connection_does_not_speak_of_ssl(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with no_backoff():
        assert run(["templates", "list", "--base-url", DEAD, "--api-key", "k"]) == 1
    err = capsys.readouterr().err
    assert "Cannot connect to host 127.0.0.1:9" in err
    assert "ssl" not in err


# -- 8. help for everything; multi-line text aligned ----------------------------------------


def _parsers(
    parser: argparse.ArgumentParser, path: str = "ivowaba"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                yield from _parsers(command, f"{path} {name}")


def test_every_command_argument_and_option_has_help() -> None:
    missing = []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {choice.dest for choice in action._choices_actions if choice.help}
                missing += [f"{path} {name}" for name in action.choices if name not in helped]
            elif not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_a_multi_line_text_is_aligned_under_its_first_line(
    ivowaba_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert render({"body": "Halo,\nterima kasih\n\nsalam", "n": 1}).splitlines() == [
        "body: Halo,",
        "      terima kasih",
        "",
        "      salam",
        "n: 1",
    ]
    template = "60243665e4058d3b4a377bd2"  # its body has three lines
    assert run(["templates", "get", template, *_connection(ivowaba_emulator)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (first,) = [i for i, line in enumerate(lines) if "text: Halo {{1}}, Terimakasih" in line]
    column = lines[first].index("Halo")
    second = "Akun WhatsApp Business Anda sudah siap untuk digunakan."
    assert lines[first + 1] == " " * column + second
    assert lines[first + 2].startswith(" " * column + "Silahkan login")


# -- 9. the FastAPI example ---------------------------------------------------------------------


@pytest.fixture
def fastapi_example(ivowaba_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("IVOWABA_API_KEY", ivowaba_emulator.api_key)
    monkeypatch.setenv("IVOWABA_BASE_URL", ivowaba_emulator.base_url)
    monkeypatch.setenv("WEBHOOK_USERNAME", "ivo")
    monkeypatch.setenv("WEBHOOK_PASSWORD", "s3cret")
    spec = importlib.util.spec_from_file_location(
        "webhook_fastapi", ROOT / "examples" / "webhook_fastapi.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_fastapi_example_answers_on_its_path_without_a_redirect(
    ivowaba_emulator: Emulator, fastapi_example: ModuleType
) -> None:
    """Served by uvicorn on 127.0.0.1, the gateway's POST to ``/webhook`` reaches the
    dispatcher (no 307 to ``/webhook/``), whose echo goes out through the emulator."""
    import aiohttp
    import uvicorn

    listening = socket.create_server(("127.0.0.1", 0))  # bound first: no wait for startup
    url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fastapi_example.app, log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        async with aiohttp.ClientSession() as http:
            signed = {"Authorization": "Basic " + base64.b64encode(b"ivo:s3cret").decode()}
            async with http.post(
                f"{url}/webhook",
                data=TEXT_NOTIFICATION,
                headers={**signed, "Content-Type": "application/json"},
                allow_redirects=False,
            ) as answer:
                assert answer.status == 200, await answer.text()
            async with http.post(f"{url}/webhook", data=TEXT_NOTIFICATION) as answer:
                assert answer.status == 401
            async with http.get(f"{url}/webhook", headers=signed, allow_redirects=False) as answer:
                assert answer.status == 405
            async with http.get(f"{url}/health") as answer:
                assert await answer.json() == {"status": "ok"}
    finally:
        server.should_exit = True
        await serving
        listening.close()
    (echo,) = ivowaba_emulator.outbox  # the echo bot answered through the emulator
    assert echo.endpoint == "send-text-message"
