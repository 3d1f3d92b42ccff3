"""The blocking client: threads, running loops, closing, forking, and interpreter exit."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

import ivowaba
from ivowaba.testing import Emulator
from tests.conftest import API_KEY


def _ivowaba_threads() -> list[threading.Thread]:
    """The client's threads (the emulator the tests talk to has one of its own)."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("ivowaba") and t.name != "ivowaba-emulator"
    ]


def test_sixteen_threads_share_one_client(emu: Emulator) -> None:
    threads_before = threading.active_count()
    client = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url)

    def send(i: int) -> str:
        return client.messages.send_text("628123456789", f"message {i}").id

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(send, range(800)))
    client.close()

    assert len(ids) == 800
    assert len(set(ids)) == 800
    assert len(emu.requests) == 800
    assert sorted(r.json()["text"] for r in emu.requests) == sorted(
        f"message {i}" for i in range(800)
    )
    assert threading.active_count() == threads_before
    assert _ivowaba_threads() == []


def test_close_joins_the_thread_and_is_idempotent(emu: Emulator) -> None:
    client = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url)
    assert len(_ivowaba_threads()) == 1
    client.countries.list()
    client.close()
    client.close()
    assert _ivowaba_threads() == []
    with pytest.raises(ivowaba.ClientClosedError, match="closed"):
        client.countries.list()


def test_with_block_closes(emu: Emulator) -> None:
    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url) as client:
        assert client.templates.get("60243665e4058d3b4a377bd2").template_name
    assert _ivowaba_threads() == []


def test_a_dropped_client_is_cleaned_up(emu: Emulator) -> None:
    client = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url)
    client.countries.list()
    del client
    gc.collect()
    for thread in _ivowaba_threads():
        thread.join(5)
    assert _ivowaba_threads() == []


async def test_works_where_an_event_loop_is_running(emu: Emulator) -> None:
    asyncio.get_running_loop()  # as in a notebook cell or an async framework's sync route
    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url) as client:
        sent = client.messages.send_text("628123456789", "from inside a running loop")
    assert sent.id.startswith("gBEG")


def test_iterators_are_plain_iterators(emu: Emulator) -> None:
    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url) as client:
        walk = client.templates.iter()
        assert iter(walk) is walk
        assert [t.id for t in walk] == ["60243665e4058d3b4a377bd2"]


def test_errors_cross_the_thread_unchanged(emu: Emulator) -> None:
    emu.fail_next("*", status=404, body={"message": "File not found"})
    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url) as client:
        with pytest.raises(ivowaba.NotFoundError, match="File not found"):
            client.media.download("missing")
        with pytest.raises(ivowaba.ValidationError):
            client.messages.send_text("not a number", "hi")


def test_bad_options_raise_in_the_caller_and_leave_no_thread() -> None:
    with pytest.raises(ivowaba.ConfigError):
        ivowaba.Client(api_key=API_KEY, base_url="nope")
    assert _ivowaba_threads() == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_the_child_of_a_fork_gets_a_fresh_loop(emu: Emulator) -> None:
    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url) as client:
        client.messages.send_text("628123456789", "parent before")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, on 3.12+
            pid = os.fork()
        if pid == 0:  # the child: exit without running the parent's cleanup
            try:
                ok = client.messages.send_text("628123456789", "child").id.startswith("gBEG")
                os._exit(0 if ok else 1)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        client.messages.send_text("628123456789", "parent after")
    assert os.waitstatus_to_exitcode(status) == 0
    assert sorted(r.json()["text"] for r in emu.requests) == [
        "child",
        "parent after",
        "parent before",
    ]


def test_an_unclosed_client_does_not_hang_interpreter_exit(emu: Emulator) -> None:
    code = (
        "import ivowaba\n"
        f"client = ivowaba.Client(api_key={emu.api_key!r}, base_url={emu.base_url!r})\n"
        "print(client.messages.send_text('628123456789', 'bye').id)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("gBEG")
    assert result.stderr == ""


def test_closing_while_threads_are_calling_leaves_no_one_waiting(emu: Emulator) -> None:
    client = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url)
    outcomes: list[str] = []

    def keep_sending() -> None:
        while True:
            try:
                client.messages.send_text("628123456789", "busy")
            except ivowaba.ClientClosedError as error:
                outcomes.append(str(error))
                return

    threads = [threading.Thread(target=keep_sending) for _ in range(8)]
    for thread in threads:
        thread.start()
    while len(emu.requests) < 50:
        threading.Event().wait(0.005)
    client.close()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert len(outcomes) == 8
    assert all("closed" in outcome for outcome in outcomes)
