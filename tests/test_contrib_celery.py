"""``ivowaba.contrib.celery``: the chunk task in-process, then the example campaign for real:
a prefork worker with two processes, a Redis broker and result store, the emulator."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ivowaba
from ivowaba._errors import status_error
from ivowaba.testing import Emulator
from ivowaba.types.bulk import BulkResult
from tests import _redis_server
from tests._redis_server import RedisServer, unavailable

redis_server = _redis_server.redis_server  # the fixture: a private redis-server

try:
    from celery import Celery  # type: ignore[import-untyped, unused-ignore]
    from celery.signals import (  # type: ignore[import-untyped, unused-ignore]
        worker_process_shutdown,
    )

    from ivowaba.contrib import celery as contrib
except ImportError as missing:  # pragma: no cover - the test extra installs celery
    unavailable(f"celery is not installed ({missing}): pip install -e '.[test]'")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "celery_campaign"


# -- the pieces, in this process ---------------------------------------------------------------


def test_chunked_numbers_each_chunk_by_its_first_row() -> None:
    rows = [{"n": i} for i in range(7)]
    assert [(start, [r["n"] for r in chunk]) for start, chunk in contrib.chunked(rows, 3)] == [
        (0, [0, 1, 2]),
        (3, [3, 4, 5]),
        (6, [6]),
    ]
    assert list(contrib.chunked([], 3)) == []
    with pytest.raises(ValueError, match="size"):
        list(contrib.chunked(rows, 0))


@pytest.mark.parametrize(
    ("error", "sent"),
    [
        (ivowaba.ValidationError("wa_id", "must be digits"), False),
        (ivowaba.APIConnectionError("refused", never_sent=True), False),
        (ivowaba.APIConnectionError("reset after sending", never_sent=False), None),
        (ivowaba.APITimeoutError("no answer", never_sent=False), None),
        (status_error(422, b'{"message": "invalid"}', {}), False),
        (status_error(503, b"", {}), None),
        (status_error(504, b"", {}), None),
        (RuntimeError("something else"), None),
    ],
)
def test_a_failed_row_says_whether_it_may_have_been_sent(error: Exception, sent: Any) -> None:
    row = contrib.row_result(BulkResult(index=2, message={}, error=error), start=100)
    assert row == {
        "index": 102,
        "id": None,
        "error": f"{type(error).__name__}: {error}",
        "sent": sent,
        "skipped": None,
    }


def test_an_accepted_row_has_its_id() -> None:
    row = contrib.row_result(BulkResult(index=0, message={}, id="wamid.1"), start=5)
    assert row == {"index": 5, "id": "wamid.1", "error": None, "sent": True, "skipped": None}


@pytest.mark.parametrize("reason", ["opted_out", "window_closed"])
def test_a_skipped_row_says_it_was_not_sent_and_why(reason: str) -> None:
    row = contrib.row_result(BulkResult(index=1, message={}, skipped=reason), start=10)
    assert row == {"index": 11, "id": None, "error": None, "sent": False, "skipped": reason}


def test_each_process_builds_its_own_client(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []

    def factory() -> Any:
        built.append(object())
        return built[-1]

    per_process = contrib._PerProcess(factory)
    first = per_process.get()
    assert per_process.get() is first
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked worker process
    assert per_process.get() is not first
    assert len(built) == 2


@pytest.fixture
def celery_app() -> Iterator[Any]:
    app = Celery("test", broker="memory://", backend="cache+memory://", set_as_current=False)
    yield app
    app.close()


def test_the_task_sends_a_chunk_and_returns_each_row_in_order(
    celery_app: Any, ivowaba_emulator: Emulator
) -> None:
    clients: list[ivowaba.Client] = []

    def make_client() -> ivowaba.Client:
        clients.append(
            ivowaba.Client(api_key=ivowaba_emulator.api_key, base_url=ivowaba_emulator.base_url)
        )
        return clients[-1]

    recorded: list[contrib.RowResult] = []
    name = f"test.send_chunk.{uuid.uuid4().hex}"
    task = contrib.send_chunk_task(
        celery_app, client=make_client, name=name, concurrency=4, record=recorded.append
    )
    rows = [{"type": "text", "wa_id": f"62812000{i:04d}", "text": f"hi {i}"} for i in range(20)]
    rows[7] = {"type": "text", "wa_id": "not a number", "text": "hi"}
    try:
        first = task.apply(args=(rows, 40)).get()
        second = task.apply(args=(rows[:2], 0)).get()
    finally:
        worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    assert [row["index"] for row in first] == list(range(40, 60))
    assert [row["sent"] for row in first] == [True] * 7 + [False] + [True] * 12
    assert str(first[7]["error"]).startswith("ValidationError")
    assert sorted(r["index"] for r in recorded) == sorted([*range(40, 60), 0, 1])
    assert [row["sent"] for row in second] == [True, True]
    assert len(clients) == 1  # one client for the process, built on the first task
    outbox = ivowaba_emulator.outbox
    assert len(outbox) == 19 + 2  # the second chunk sent its two rows again, as asked
    assert {row["id"] for row in first + second if row["id"]} == {entry.id for entry in outbox}
    assert {(entry.wa_id, entry.body["text"]) for entry in outbox} == {
        (row["wa_id"], row["text"]) for i, row in enumerate(rows) if i != 7
    }
    # closed when the worker process ends
    with pytest.raises(ivowaba.ClientClosedError, match="closed"):
        clients[0].messages.send_text("628120000000", "after shutdown")


def test_the_concurrency_must_be_positive(celery_app: Any) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        contrib.send_chunk_task(celery_app, concurrency=0)


# -- the example campaign: two worker processes, Redis, the emulator -----------------------------

ROWS = 600
WORKER = [
    sys.executable, "-m", "celery", "-A", "campaign", "worker",
    "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO",
    "--without-mingle", "--without-gossip", "--without-heartbeat",
]  # fmt: skip
PRODUCER = [
    sys.executable, "campaign.py",
    "--text", "Halo {name}", "--chunk-size", "50", "--timeout", "120",
]  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown (the worker waits for its tasks); the whole process group if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_campaign_over_two_worker_processes_sends_every_row_once(
    redis_server: RedisServer, ivowaba_emulator: Emulator, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    with contacts.open("w") as file:
        file.write("phone,name\n")
        for i in range(ROWS):
            file.write(f"6281{i:08d},customer {i}\n")
    env = {
        **os.environ,
        "CAMPAIGN_REDIS_URL": redis_server.url(1),
        "CAMPAIGN_RATE": "0",
        "IVOWABA_API_KEY": ivowaba_emulator.api_key,
        "IVOWABA_BASE_URL": ivowaba_emulator.base_url,
    }
    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as log:
        worker = subprocess.Popen(
            [*WORKER, "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=EXAMPLE,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its pool processes in one group, to stop them all
        )
    try:
        started = time.monotonic()
        producer = subprocess.run(
            [*PRODUCER, str(contacts)],
            cwd=EXAMPLE,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        elapsed = time.monotonic() - started
    finally:
        _stop(worker)
    log_text = worker_log.read_text(errors="replace")
    assert producer.returncode == 0, producer.stdout + producer.stderr + log_text[-3000:]
    assert worker.returncode == 0, log_text[-3000:]

    results = [
        json.loads(line) for line in contacts.with_suffix(".results.jsonl").read_text().splitlines()
    ]
    assert sorted(row["index"] for row in results) == list(range(ROWS))  # every row, once
    assert all(row["sent"] is True and row["id"] for row in results)
    assert f"sent {ROWS}  failed 0  {ROWS}/{ROWS}" in producer.stdout  # the progress report

    outbox = ivowaba_emulator.outbox
    sent = Counter((entry.wa_id, entry.body["text"]) for entry in outbox)
    expected = {(f"6281{i:08d}", f"Halo customer {i}") for i in range(ROWS)}
    assert set(sent) == expected
    assert set(sent.values()) == {1}  # nobody got a message twice
    assert {row["id"] for row in results} == {entry.id for entry in outbox}

    processes = set(re.findall(r"/(ForkPoolWorker-\d+)\] Task campaign\.send_chunk", log_text))
    print(f"\n{ROWS} rows by {sorted(processes)} in {elapsed:.1f} s: {len(outbox)} sent")
    assert len(processes) == 2  # both worker processes sent, each with its own client
