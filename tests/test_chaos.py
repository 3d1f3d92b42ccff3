"""The chaos suite: the client between a network that fails in every way and a server that
answers wrongly in every way.

- Through a fault-injecting proxy (``tests._chaos_proxy``) to the emulator: resets before and
  after the request was forwarded, truncated answers, stalls, connections never answered;
  one fault of each kind alone, then 3,000 sends through ``send_many`` with all of them mixed.
- The answer side, against raw servers of the tests' own: HTML or broken JSON with a 200,
  bodies without an end, redirects to another host, oversized headers; each a typed error,
  with bounded memory, and nothing sent to the other host.
- ``os.fork()``: the parent's client, the child's, the parent's again.
- 5xx (or a dropped connection) after the gateway processed the send: nobody gets it twice.

Set ``IVOWABA_CHAOS_SEED`` to replay the 3,000-send run with another fault sequence.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest

import ivowaba
from ivowaba._errors import sent_state
from ivowaba.testing import Emulator
from ivowaba.types.bulk import BulkResult
from tests._chaos_proxy import (
    IO_TIMEOUT,
    REQUEST_FAULTS,
    ChaosProxy,
    Exchange,
    Fault,
    Request,
    ScriptedPlan,
    ScriptedServer,
    SeededPlan,
)

API_KEY = "sk-chaos-planted-secret-7d1e0b"
JSON_SENT = b'{"messages":[{"id":"wamid.chaos"}]}'
SEND_TEXT = "/api/v1/messages/send-text-message"


def recipient(i: int) -> str:
    return f"62812{i:07d}"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=API_KEY) as emulator:
        yield emulator


def outbox_texts(emu: Emulator) -> Counter[str]:
    return Counter(entry.body["text"] for entry in emu.outbox)


# -- the proxy, one fault at a time ----------------------------------------------------------

#: What the client may say for a request that met each fault, and whether the emulator got it.
EXPECTED: dict[Fault, tuple[set[bool | None], bool]] = {
    Fault.NONE: ({True}, True),
    # The client cannot tell a reset before forwarding from one after: None is right, and
    # False would be too, as the emulator never saw it.
    Fault.RESET_BEFORE_FORWARD: ({None, False}, False),
    Fault.RESET_AFTER_FORWARD: ({None}, True),
    Fault.TRUNCATE_ANSWER: ({None}, True),
    Fault.STALL: ({None}, True),
    Fault.BLACKHOLE: ({None}, False),
}


async def failure_of(send: Awaitable[object]) -> Exception | None:
    try:
        await send
    except Exception as error:
        return error
    return None


@pytest.mark.parametrize("fault", [*REQUEST_FAULTS, Fault.BLACKHOLE], ids=lambda f: f.value)
async def test_one_fault_on_a_kept_alive_connection(emu: Emulator, fault: Fault) -> None:
    """A clean send, the faulted one, a clean one again: only the faulted one fails, typed,
    with the right ``sent``. A request fault hits the second request of a kept-alive
    connection; a blackhole, the second connection (opened for a second send at once)."""
    if fault is Fault.BLACKHOLE:
        plan = ScriptedPlan(connections=[Fault.NONE, Fault.BLACKHOLE])
    else:
        plan = ScriptedPlan(requests=[Fault.NONE, fault])
    timeout = ivowaba.Timeout(total=0.2, connect=0.2)
    async with (
        ChaosProxy(emu.host, emu.port, plan) as proxy,
        ivowaba.AsyncClient(api_key=API_KEY, base_url=proxy.url, timeout=timeout) as client,
    ):
        await client.messages.send_text(recipient(0), "before")
        if fault is Fault.BLACKHOLE:  # the one that meets the new connection is a race
            outcomes = await asyncio.gather(
                failure_of(client.messages.send_text(recipient(1), "alongside")),
                failure_of(client.messages.send_text(recipient(2), "faulted")),
            )
            assert outcomes.count(None) == 1, outcomes
            faulted_text = "faulted" if outcomes[0] is None else "alongside"
            error = outcomes[1] or outcomes[0]
            assert proxy.connections == 2
        else:
            faulted_text = "faulted"
            error = await failure_of(client.messages.send_text(recipient(2), faulted_text))
            assert proxy.connections == 1  # the faulted request rode the kept-alive one
        await client.messages.send_text(recipient(3), "after")

    assert isinstance(error, ivowaba.APIConnectionError), repr(error)
    if fault in (Fault.STALL, Fault.BLACKHOLE):
        assert isinstance(error, ivowaba.APITimeoutError), repr(error)
    states, accepted = EXPECTED[fault]
    assert sent_state(error) in states
    texts = outbox_texts(emu)
    assert texts[faulted_text] == int(accepted)
    assert texts["before"] == texts["after"] == 1
    assert sum(texts.values()) == 2 + int(accepted) + int(fault is Fault.BLACKHOLE)
    assert [e.fault for e in proxy.log].count(fault) == 1
    assert API_KEY not in str(error)


# -- the proxy, 3,000 sends ------------------------------------------------------------------

CHAOS_SENDS = 3000
CHAOS_CONCURRENCY = 32
CHAOS_TIMEOUT = ivowaba.Timeout(total=1.0, connect=1.0)
CHAOS_FAULTS = {
    Fault.RESET_BEFORE_FORWARD: 0.02,
    Fault.RESET_AFTER_FORWARD: 0.02,
    Fault.TRUNCATE_ANSWER: 0.02,
    Fault.STALL: 0.01,
}
#: Per new connection (about one in ten requests opens one, as every fault ends its own).
CHAOS_BLACKHOLE = 0.05
#: Bound on the whole run: a hang fails, it does not block CI.
CHAOS_RUN_LIMIT = 60.0


async def test_three_thousand_sends_through_a_faulty_network(emu: Emulator) -> None:
    """Every input gets exactly one result; nothing escapes ``send_many``; the emulator accepts
    no message twice; no result says ``sent=False`` for a message the emulator accepted; no
    call outlives its timeout by more than a second.

    A call's time is measured from the moment ``send_many`` pulls its message from the input
    (its worker sends it right away) to the moment its result reaches the caller: an upper
    bound of the call's own time, as the caller consumes results at once.
    """
    seed = int(os.environ.get("IVOWABA_CHAOS_SEED", "20240611"))
    plan = SeededPlan(seed, per_request=CHAOS_FAULTS, blackhole=CHAOS_BLACKHOLE)
    texts = [f"chaos {i:04d}" for i in range(CHAOS_SENDS)]
    messages = [ivowaba.TextMessage(wa_id=recipient(i), text=t) for i, t in enumerate(texts)]
    pulled: dict[int, float] = {}
    finished: dict[int, float] = {}
    results: list[BulkResult] = []

    def timed_messages() -> Iterator[ivowaba.TextMessage]:
        for i, message in enumerate(messages):
            pulled[i] = time.monotonic()
            yield message

    async def run(client: ivowaba.AsyncClient) -> None:
        stream = client.messages.send_many(timed_messages(), concurrency=CHAOS_CONCURRENCY)
        async for result in stream:
            finished[result.index] = time.monotonic()
            results.append(result)

    began = time.monotonic()
    async with (
        ChaosProxy(emu.host, emu.port, plan) as proxy,
        ivowaba.AsyncClient(
            api_key=API_KEY, base_url=proxy.url, timeout=CHAOS_TIMEOUT, max_retries=2
        ) as client,
    ):
        await asyncio.wait_for(run(client), CHAOS_RUN_LIMIT)  # nothing escapes: no raise
    took = time.monotonic() - began
    where = f"(seed {seed}, {took:.1f} s)"

    # Every input exactly one result, and the right one.
    assert sorted(r.index for r in results) == list(range(CHAOS_SENDS)), where
    assert all(r.message is messages[r.index] for r in results), where
    # Every failure is the SDK's, nothing raw from the transport.
    errors = Counter(type(r.error).__name__ for r in results if r.error is not None)
    assert all(isinstance(r.error, ivowaba.IvowabaError) for r in results if r.error), errors
    # No message accepted twice, none the client did not send.
    accepted = outbox_texts(emu)
    twice = [text for text, times in accepted.items() if times > 1]
    assert twice[:5] == [], f"{len(twice)} accepted more than once {where}"
    assert set(accepted) <= set(texts), where
    ids = {entry.body["text"]: entry.id for entry in emu.outbox}
    wrong = []
    for r in results:
        text = texts[r.index]
        if r.sent is False and text in accepted:  # the one thing "sent=False" must not be
            wrong.append(f"{text}: sent=False but accepted: {r.error!r}")
        if r.sent is True and ids.get(text) != r.id:
            wrong.append(f"{text}: id {r.id} but the emulator said {ids.get(text)}")
    assert wrong[:5] == [], f"{len(wrong)} wrong {where}"
    # No call outlived its timeout by more than a second.
    assert CHAOS_TIMEOUT.total is not None
    durations = {i: finished[i] - pulled[i] for i in finished}
    slow = {i: round(d, 2) for i, d in durations.items() if d > CHAOS_TIMEOUT.total + 1.0}
    assert slow == {}, where

    # The faults did happen, each as the proxy says, and each outcome is the one expected.
    by_text: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in proxy.log:
        if exchange.body is not None:
            by_text[json.loads(exchange.body)["text"]].append(exchange)
    faults = Counter(exchange.fault for exchange in proxy.log)
    assert set(faults) == {Fault.NONE, Fault.BLACKHOLE, *REQUEST_FAULTS}, faults
    assert proxy.truncations >= 2  # cut inside the head, and inside the body
    unseen = [r for r in results if texts[r.index] not in by_text]
    assert len(unseen) == faults[Fault.BLACKHOLE], where  # a blackhole swallows one request
    wrong = []
    for r in results:
        text = texts[r.index]
        seen = by_text.get(text, [Exchange(0, Fault.BLACKHOLE, None)])
        if len(seen) != 1:
            wrong.append(f"{text} reached the proxy {len(seen)} times: {seen}")
            continue
        states, forwarded = EXPECTED[seen[0].fault]
        if r.sent not in states:
            wrong.append(f"{text}: {seen[0].fault} gave {r.error!r}")
        if (text in accepted) != forwarded:
            wrong.append(f"{text}: {seen[0].fault}, yet accepted: {text in accepted}")
    assert wrong[:5] == [], f"{len(wrong)} wrong {where}"
    # Keep-alive carried the clean path: far fewer connections than requests.
    assert proxy.connections * 5 < faults[Fault.NONE], (proxy.connections, faults)
    assert took < CHAOS_RUN_LIMIT


# -- the answer side -------------------------------------------------------------------------


JSON_HEAD = ("Content-Type", "application/json")
CLOSE = ("Connection", "close")
CHUNKED = ("Transfer-Encoding", "chunked")


def http_head(status: int, *headers: tuple[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def write(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await asyncio.wait_for(writer.drain(), IO_TIMEOUT)


def whole(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    """A complete answer, after which the server closes the connection (and says so)."""
    length = ("Content-Length", str(len(body)))
    return http_head(status, ("Content-Type", content_type), length, CLOSE) + body


#: How much an endless answer sends at most before giving up on the client: far past any
#: limit, so that a client without one would show it in its memory.
ENDLESS_CAP = 256 * 1024 * 1024
FILLER = b" " * 65536


async def endless(writer: asyncio.StreamWriter, head: bytes, *, chunked: bool) -> bool:
    await write(writer, head)
    piece = b"%x\r\n%s\r\n" % (len(FILLER), FILLER) if chunked else FILLER
    for _ in range(ENDLESS_CAP // len(FILLER)):
        await write(writer, piece)  # until the client drops the connection
    return False


async def endless_headers(writer: asyncio.StreamWriter) -> bool:
    await write(writer, b"HTTP/1.1 200 OK\r\n")
    for n in range(ENDLESS_CAP // 64):
        await write(writer, b"X-Pad-%08d: %s\r\n" % (n, b"x" * 48))
    return False


#: Answers the client must turn into a typed error: name -> (writer, expected error).
BAD_ANSWERS: dict[str, tuple[Callable[[asyncio.StreamWriter], Any], type[Exception]]] = {
    "html-200": (
        lambda w: write(w, whole(200, b"<html><body>Welcome!</body></html>", "text/html")),
        ivowaba.ResponseDecodeError,
    ),
    "empty-200": (lambda w: write(w, whole(200, b"")), ivowaba.ResponseDecodeError),
    "wrong-json-200": (
        lambda w: write(w, whole(200, b'{"data": []}')),
        ivowaba.ResponseDecodeError,
    ),
    "json-cut-short-of-its-length": (
        lambda w: write(
            w,
            http_head(200, JSON_HEAD, ("Content-Length", str(len(JSON_SENT))))
            + JSON_SENT[: len(JSON_SENT) // 2],
        ),
        ivowaba.APIConnectionError,
    ),
    "json-cut-with-its-length": (
        lambda w: write(w, whole(200, JSON_SENT[: len(JSON_SENT) // 2])),
        ivowaba.ResponseDecodeError,
    ),
    "json-cut-chunked": (
        lambda w: write(w, http_head(200, JSON_HEAD, CHUNKED) + b"40\r\n" + JSON_SENT[:20]),
        ivowaba.APIConnectionError,
    ),
    "html-502": (
        lambda w: write(w, whole(502, b"<html>Bad Gateway</html>", "text/html")),
        ivowaba.ServerError,
    ),
    "endless-chunked-200": (
        lambda w: endless(w, http_head(200, JSON_HEAD, CHUNKED), chunked=True),
        ivowaba.ResponseTooLargeError,
    ),
    "endless-until-close-200": (
        lambda w: endless(w, http_head(200, JSON_HEAD, ("Connection", "close")), chunked=False),
        ivowaba.ResponseTooLargeError,
    ),
    "endless-declared-huge-200": (
        lambda w: endless(
            w, http_head(200, JSON_HEAD, ("Content-Length", "1" + "0" * 12)), chunked=False
        ),
        ivowaba.ResponseTooLargeError,
    ),
    "endless-chunked-502": (
        lambda w: endless(w, http_head(502, JSON_HEAD, CHUNKED), chunked=True),
        ivowaba.ServerError,
    ),
    "header-line-20kb": (
        lambda w: write(
            w,
            http_head(
                200, JSON_HEAD, ("X-Big", "x" * 20_000), ("Content-Length", str(len(JSON_SENT)))
            )
            + JSON_SENT,
        ),
        ivowaba.APIConnectionError,
    ),
    "headers-500-of-them": (
        lambda w: write(
            w,
            http_head(
                200,
                JSON_HEAD,
                *((f"X-Pad-{n}", "x" * 32) for n in range(500)),
                ("Content-Length", str(len(JSON_SENT))),
            )
            + JSON_SENT,
        ),
        ivowaba.APIConnectionError,
    ),
    "headers-endless": (endless_headers, ivowaba.APIConnectionError),
}


async def answer_by_text(request: Request, writer: asyncio.StreamWriter) -> bool:
    """The scripted answer named by the message's text ("warm-up": a good one)."""
    name = json.loads(request.body)["text"]
    if name == "warm-up":
        await write(writer, whole(200, JSON_SENT))
        return True
    await BAD_ANSWERS[name][0](writer)
    return False


@pytest.mark.parametrize("name", list(BAD_ANSWERS))
async def test_a_bad_answer_is_a_typed_error(name: str) -> None:
    expected = BAD_ANSWERS[name][1]
    async with ScriptedServer(answer_by_text) as server:
        timeout = ivowaba.Timeout(total=10, connect=2)
        async with ivowaba.AsyncClient(
            api_key=API_KEY, base_url=server.url, timeout=timeout
        ) as client:
            started = time.monotonic()
            with pytest.raises(ivowaba.IvowabaError) as caught:
                await client.messages.send_text(recipient(0), name)
            took = time.monotonic() - started
            # The client is still good for the next call.
            assert (await client.messages.send_text(recipient(0), "warm-up")).id == "wamid.chaos"
    error = caught.value
    assert type(error) is expected or (
        expected is ivowaba.APIConnectionError and isinstance(error, expected)
    ), repr(error)
    assert took < 5.0, f"{name}: {took:.1f} s"
    assert len(server.requests) == 2  # never retried: the send may have arrived
    # Each of these left the client: the gateway may have acted on it.
    assert sent_state(error) is None
    assert API_KEY not in str(error)
    assert API_KEY not in repr(error.args)
    if isinstance(error, ivowaba.ResponseTooLargeError):
        assert error.limit == 8 * 1024 * 1024
        assert len(error.body) <= error.limit
    if isinstance(error, ivowaba.APIStatusError):
        assert error.status_code == 502
        assert len(str(error.body)) <= 8 * 1024 * 1024


MEMORY_PROBE = r"""
import asyncio, json, resource, sys, time, tracemalloc
import ivowaba

SCALE = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes there, KiB on Linux

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * SCALE

def reset_peak():
    try:  # Linux: the peak becomes the current RSS; elsewhere it stays the peak so far
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass

async def growth(url, names, outcome, **options):
    timeout = ivowaba.Timeout(total=20, connect=5)
    async with ivowaba.AsyncClient(api_key="k", base_url=url, timeout=timeout, **options) as c:
        await c.messages.send_text("628123456789", "warm-up")
        tracemalloc.start()
        reset_peak()
        before = peak()
        for name in names:
            started = time.monotonic()
            try:
                await c.messages.send_text("628123456789", name)
                error = None
            except ivowaba.IvowabaError as exc:
                error = type(exc).__name__
            outcome[name] = [error, time.monotonic() - started]
        traced = tracemalloc.get_traced_memory()[1]  # the peak since start()
        tracemalloc.stop()
        return {"rss": peak() - before, "traced": traced}

async def main(url, names):
    outcome = {}
    measured = await growth(url, names, outcome)
    # The control: the same meters see a client allowed 160 MiB read one of them (well over the
    # 64 MB bound even when the allocator reuses what the first part freed).
    control = await growth(url, names[:1], {}, max_response_size=160 * 1024 * 1024)
    print(json.dumps({"outcome": outcome, "growth": measured, "control": control}))

asyncio.run(main(sys.argv[1], sys.argv[2:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
async def test_endless_answers_keep_memory_bounded() -> None:
    """In a process of its own (so that its peak RSS is the client's alone), the client meets
    every endless answer: its peak RSS, and the peak of what Python allocated (tracemalloc),
    grow by less than 64 MB, where reading what these servers send would take 256 MB each.
    The control: a client allowed 160 MiB, reading the first of them, does grow by more than
    64 MB on the same meters."""
    names = [name for name in BAD_ANSWERS if "endless" in name]
    assert names[0] == "endless-chunked-200"
    async with ScriptedServer(answer_by_text) as server:
        probe = await asyncio.create_subprocess_exec(
            *(sys.executable, "-W", "error", "-c", MEMORY_PROBE, server.url, *names),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(probe.communicate(), 60)
        finally:
            if probe.returncode is None:
                probe.kill()
                await probe.wait()
    assert probe.returncode == 0, err.decode()
    report = json.loads(out)
    for name in names:
        error, seconds = report["outcome"][name]
        assert error == BAD_ANSWERS[name][1].__name__, (name, error)
        assert seconds < 5.0, (name, seconds)
    for meter in ("rss", "traced"):  # what the OS saw, what Python allocated
        assert report["growth"][meter] < 64 * 1024 * 1024, report
        assert report["control"][meter] > 64 * 1024 * 1024, report


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_host_is_not_followed(status: int) -> None:
    async def elsewhere_answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        await write(writer, whole(200, JSON_SENT))
        return True

    async with ScriptedServer(elsewhere_answer) as elsewhere:
        target = elsewhere.url + SEND_TEXT

        async def redirect(request: Request, writer: asyncio.StreamWriter) -> bool:
            await write(writer, http_head(status, ("Location", target), ("Content-Length", "0")))
            return True

        async with (
            ScriptedServer(redirect) as server,
            ivowaba.AsyncClient(
                api_key=API_KEY, base_url=server.url, timeout=ivowaba.Timeout(total=5)
            ) as client,
        ):
            with pytest.raises(ivowaba.APIStatusError) as caught:
                await client.messages.send_text(recipient(0), "hello")
            await asyncio.sleep(0.05)  # a follow-up, if there were one, would be under way
    error = caught.value
    assert type(error) is ivowaba.APIStatusError
    assert error.status_code == status
    assert error.location == target
    assert sent_state(error) is False
    assert len(server.requests) == 1
    assert server.requests[0].headers["x-api-key"] == API_KEY
    assert elsewhere.connections == 0
    assert elsewhere.requests == []
    assert API_KEY not in str(error)


# -- fork ------------------------------------------------------------------------------------

CHILD_DEADLINE = 20.0


def fork(child: Callable[[], bool]) -> int:
    """Run ``child`` in a forked child, which exits 0 when it returns true (1 when false,
    2 when it raised, its traceback on stderr); returns the child's pid."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, on 3.12+
        pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        code = 3
        try:
            code = 0 if child() else 1
        except BaseException:
            traceback.print_exc()
            code = 2
        finally:
            os._exit(code)
    return pid


def child_exit_code(pid: int) -> int | None:
    """The child's exit code once it ended, else ``None``."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        return os.waitstatus_to_exitcode(status)
    return None


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def wait_for_child(pid: int) -> int:
    deadline = time.monotonic() + CHILD_DEADLINE
    while (code := child_exit_code(pid)) is None:
        if time.monotonic() > deadline:
            kill(pid)
            pytest.fail("the forked child hung")
        time.sleep(0.01)
    return code


async def await_child(pid: int) -> int:
    deadline = time.monotonic() + CHILD_DEADLINE
    while (code := child_exit_code(pid)) is None:
        if time.monotonic() > deadline:
            kill(pid)
            pytest.fail("the forked child hung")
        await asyncio.sleep(0.01)
    return code


FORK_TIMEOUT = ivowaba.Timeout(total=5, connect=2)
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def assert_three_messages(emulator: Emulator) -> None:
    assert sorted(e.body["text"] for e in emulator.outbox) == [
        "child",
        "parent after",
        "parent before",
    ]


@needs_fork
@pytest.mark.ivowaba_emulator(api_key=API_KEY)
def test_fork_with_the_blocking_client(ivowaba_emulator: Emulator) -> None:
    with ivowaba.Client(  # the in-process rate limiter crosses the fork too
        api_key=API_KEY, base_url=ivowaba_emulator.base_url, timeout=FORK_TIMEOUT, rate_limit=50
    ) as client:
        client.messages.send_text(recipient(0), "parent before")
        pid = fork(lambda: client.messages.send_text(recipient(1), "child").id.startswith("gBEG"))
        code = wait_for_child(pid)
        client.messages.send_text(recipient(2), "parent after")
    assert code == 0
    assert_three_messages(ivowaba_emulator)


@needs_fork
@pytest.mark.ivowaba_emulator(api_key=API_KEY)
def test_fork_with_the_async_client_between_event_loops(ivowaba_emulator: Emulator) -> None:
    client = ivowaba.AsyncClient(
        api_key=API_KEY, base_url=ivowaba_emulator.base_url, timeout=FORK_TIMEOUT, rate_limit=50
    )

    def send(text: str) -> bool:
        async def go() -> bool:
            return (await client.messages.send_text(recipient(0), text)).id.startswith("gBEG")

        return asyncio.run(go())

    assert send("parent before")
    code = wait_for_child(fork(lambda: send("child")))
    assert send("parent after")
    asyncio.run(client.aclose())
    assert code == 0
    assert_three_messages(ivowaba_emulator)


@needs_fork
@pytest.mark.ivowaba_emulator(api_key=API_KEY)
async def test_fork_with_the_async_client_in_a_running_loop(ivowaba_emulator: Emulator) -> None:
    """Forked while the parent's loop runs with an open pool: the child (in a thread and loop
    of its own) opens a connection of its own and leaves the parent's kept-alive one alone,
    which the parent goes on using. A fault-free proxy tells the connections apart."""
    emulator = ivowaba_emulator
    async with (
        ChaosProxy(emulator.host, emulator.port, ScriptedPlan()) as proxy,
        ivowaba.AsyncClient(api_key=API_KEY, base_url=proxy.url, timeout=FORK_TIMEOUT) as client,
    ):
        await client.messages.send_text(recipient(0), "parent before")

        def child() -> bool:
            outcome: list[bool] = []

            def in_thread() -> None:
                sent = asyncio.run(client.messages.send_text(recipient(1), "child"))
                outcome.append(sent.id.startswith("gBEG"))

            thread = threading.Thread(target=in_thread)
            thread.start()
            thread.join(CHILD_DEADLINE / 2)
            return outcome == [True]

        code = await await_child(fork(child))  # the proxy serves the child meanwhile
        await client.messages.send_text(recipient(2), "parent after")
    assert code == 0
    assert_three_messages(emulator)
    connection_of = {json.loads(e.body or b"")["text"]: e.connection for e in proxy.log}
    assert connection_of == {"parent before": 1, "child": 2, "parent after": 1}


# -- 5xx after processing --------------------------------------------------------------------

PROCESSED_SENDS = 200


@pytest.mark.parametrize("answer", [500, 502, 503, 504, "drop"])
async def test_a_failure_after_processing_sends_nobody_anything_twice(
    emu: Emulator, answer: int | str
) -> None:
    """Every 4th of the first 100 sends is processed (accepted, kept) and then answered with a
    5xx, or its connection dropped: those 25 are ``sent=None``, none is retried (even with
    retries on), and every recipient got exactly one message."""
    fault: Mapping[str, Any] = {"drop": True} if answer == "drop" else {"status": answer}
    emu.fail_next("messages.send_text", processed=True, every=4, times=25, **fault)
    messages = [
        ivowaba.TextMessage(wa_id=recipient(i), text=f"processed {i}")
        for i in range(PROCESSED_SENDS)
    ]
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, timeout=ivowaba.Timeout(total=5), max_retries=3
    ) as client:
        results = [r async for r in client.messages.send_many(messages, concurrency=16)]

    assert sorted(r.index for r in results) == list(range(PROCESSED_SENDS))
    failed = [r for r in results if r.error is not None]
    assert len(failed) == 25
    for r in failed:
        if answer == "drop":
            assert isinstance(r.error, ivowaba.APIConnectionError), repr(r.error)
        else:
            assert isinstance(r.error, ivowaba.ServerError), repr(r.error)
            assert r.error.status_code == answer
        assert r.sent is None
    assert emu.request_count == PROCESSED_SENDS  # no retry
    recipients = Counter(entry.wa_id for entry in emu.outbox)
    assert recipients == Counter(recipient(i) for i in range(PROCESSED_SENDS))
    ids = {entry.wa_id: entry.id for entry in emu.outbox}
    assert all(ids[r.message.wa_id] == r.id for r in results if r.ok)
