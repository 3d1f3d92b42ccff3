"""The promises that hold at the edges: a client that outlives its name, callers' contexts,
no redirect followed, bounded answers, no key in any exception chain or traceback, a clear
error after close, and one client across successive event loops."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import ivowaba
from ivowaba.testing import Emulator
from ivowaba.types.bulk import BulkResult
from tests._raw_server import RawServer, Request, answer, reset
from tests.conftest import API_KEY, client_of_kind


def _loop_threads() -> list[threading.Thread]:
    """The client's threads (the emulator the tests talk to has one of its own)."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("ivowaba") and t.name != "ivowaba-emulator"
    ]


# -- 1. a Client nobody keeps in a variable ---------------------------------------------------


def test_a_client_nobody_keeps_stays_open_for_its_calls(emu: Emulator) -> None:
    sent = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url).messages.send_text(
        "628123456789", "hi"
    )
    assert sent.id.startswith("gBEG")
    messages = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url).messages
    assert messages.send_text("628123456789", "again").id.startswith("gBEG")
    send = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url).messages.send_text
    assert send("628123456789", "third").id.startswith("gBEG")
    templates = list(ivowaba.Client(api_key=API_KEY, base_url=emu.base_url).templates.iter())
    assert templates
    assert len(_loop_threads()) == 2  # `messages` and `send` hold theirs open
    del messages, send  # the last references: each client closes, its thread ends
    assert _loop_threads() == []
    assert len([r for r in emu.requests if r.method == "POST"]) == 3


# -- 3. each call in its own caller's context --------------------------------------------------


def test_every_blocking_call_runs_in_its_callers_context(emu: Emulator) -> None:
    caller: contextvars.ContextVar[int] = contextvars.ContextVar("caller")
    seen: Counter[int] = Counter()

    class Spy:
        """A rate limiter: user code that runs inside every operation."""

        async def acquire(self) -> None:
            seen[caller.get()] += 1

    client = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url, rate_limiter=Spy())
    start = threading.Barrier(8)

    def work(number: int) -> None:
        caller.set(number)
        start.wait()
        for _ in range(25):
            client.countries.list()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    client.close()
    assert seen == dict.fromkeys(range(8), 25)


# -- 4. redirects are not followed -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary", "308 P"])
async def test_a_redirect_is_an_error_and_never_followed(kind: str, status: str) -> None:
    async def elsewhere(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer("200 OK", b'{"messages": [{"id": "wamid.stolen"}]}'))

    with RawServer(elsewhere) as other:

        async def redirect(request: Request, writer: asyncio.StreamWriter) -> None:
            writer.write(answer(status, b"", f"Location: {other.url}{request.path}"))

        with RawServer(redirect) as gateway:
            async with client_of_kind(kind, api_key=API_KEY, base_url=gateway.url) as call:
                for operation in (
                    lambda c: c.messages.send_text("628123456789", "hi"),
                    lambda c: c.countries.list(),
                    lambda c: c.media.download("media-1"),
                ):
                    with pytest.raises(ivowaba.APIStatusError) as caught:
                        await call(operation)
                    assert caught.value.status_code == int(status[:3])
                    assert caught.value.location == f"{other.url}{gateway.requests[-1].path}"
                    assert "not followed" in str(caught.value)
                    assert BulkResult(0, None, error=caught.value).sent is False
        assert len(gateway.requests) == 3  # one each: a redirect is not retried
    assert other.requests == []
    assert other.connections == 0


# -- 5. answers are bounded --------------------------------------------------------------------


async def _endless(request: Request, writer: asyncio.StreamWriter, status: str = "200 OK") -> None:
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
    for _ in range(16 * 1024):  # 1 GiB at most: the client stops long before
        if writer.transport.is_closing():
            return
        writer.write(chunk)
        try:
            await writer.drain()
        except ConnectionError:
            return


async def test_an_endless_answer_stops_at_the_cap_and_drops_the_connection() -> None:
    with RawServer(_endless) as server:
        async with ivowaba.AsyncClient(
            api_key=API_KEY, base_url=server.url, max_response_size=256 * 1024
        ) as client:
            with pytest.raises(ivowaba.ResponseTooLargeError) as caught:
                await client.countries.list()
            assert caught.value.limit == 256 * 1024
            assert len(caught.value.body) == 256 * 1024
            assert isinstance(caught.value, ivowaba.ResponseDecodeError)
            assert "max_response_size" in str(caught.value)
            with pytest.raises(ivowaba.ResponseTooLargeError) as default_cap:
                await _with_the_default_cap(server)
            assert default_cap.value.limit == 8 * 1024 * 1024
            assert client.session().connector is not None
            # the connection was discarded, not returned to the pool with a body half read
            assert len(client.session().connector._conns) == 0  # type: ignore[union-attr]


async def _with_the_default_cap(server: RawServer) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=server.url) as client:
        await client.countries.list()


async def test_a_declared_length_past_the_cap_is_refused_before_reading() -> None:
    async def huge(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n{")

    with RawServer(huge) as server:
        async with ivowaba.AsyncClient(api_key=API_KEY, base_url=server.url) as client:
            with pytest.raises(ivowaba.ResponseTooLargeError) as caught:
                await client.messages.send_text("628123456789", "hi")
    assert caught.value.body == b""
    assert BulkResult(0, None, error=caught.value).sent is None  # it may have gone
    assert len(server.requests) == 1


@pytest.mark.parametrize(("cap", "kept"), [(1024, 1024), (None, 64 * 1024)])
async def test_an_endless_error_answer_keeps_its_status(cap: int | None, kept: int) -> None:
    async def failing(request: Request, writer: asyncio.StreamWriter) -> None:
        await _endless(request, writer, "502 Bad Gateway")

    options: dict[str, Any] = {} if cap is None else {"max_response_size": cap}
    with RawServer(failing) as server:
        async with ivowaba.AsyncClient(
            api_key=API_KEY, base_url=server.url, max_retries=0, **options
        ) as client:
            with pytest.raises(ivowaba.ServerError) as caught:
                await client.countries.list()
    assert caught.value.status_code == 502
    assert len(caught.value.body) == kept  # what is kept of an error body is bounded too


async def test_an_answer_nested_past_any_sense_is_a_decode_error() -> None:
    async def nested(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer("200 OK", b"[" * 100_000))

    with RawServer(nested) as server:
        async with ivowaba.AsyncClient(api_key=API_KEY, base_url=server.url) as client:
            with pytest.raises(ivowaba.ResponseDecodeError):
                await client.countries.list()


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_a_download_past_max_bytes_is_refused_and_leaves_no_file(
    kind: str, tmp_path: Path
) -> None:
    content = bytes(range(256)) * 1200  # 300 kB

    async def media(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer("200 OK", content, "Content-Type: image/jpeg"))

    with RawServer(media) as server:
        async with client_of_kind(kind, api_key=API_KEY, base_url=server.url) as call:
            with pytest.raises(ivowaba.ResponseTooLargeError) as caught:
                await call(lambda c: c.media.download_to("m1", tmp_path / "a.jpg", max_bytes=1000))
            assert caught.value.limit == 1000
            with pytest.raises(ivowaba.ResponseTooLargeError):
                await call(lambda c: c.media.download("m1", max_bytes=len(content) - 1))
            whole = await call(lambda c: c.media.download("m1", max_bytes=len(content)))
            assert whole.content == content
            with pytest.raises(ivowaba.ValidationError, match="max_bytes"):
                await call(lambda c: c.media.download("m1", max_bytes=0))
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 - a look at a test's own directory
    assert len(server.requests) == 3


# -- 7. the key in no exception chain, no traceback's locals -----------------------------------


async def _stall(request: Request, writer: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()  # ended with the server


async def _big_header(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 20000 + b"\r\nContent-Length: 0\r\n\r\n")


async def _reset(request: Request, writer: asyncio.StreamWriter) -> None:
    reset(writer)


async def _html(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(answer("500 Internal Server Error", b"<html>oops</html>"))


async def _redirect(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(answer("302 Found", b"", "Location: http://127.0.0.1:9/"))


FAILURES: dict[str, Callable[[Request, asyncio.StreamWriter], Awaitable[None]] | None] = {
    "refused": None,
    "timeout": _stall,
    "oversized header": _big_header,
    "reset": _reset,
    "html 500": _html,
    "redirect": _redirect,
}
OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "GET": lambda c: c.countries.list(),
    "POST": lambda c: c.messages.send_text("628123456789", "hi"),
    "download": lambda c: c.media.download("m1"),
}


def _shown(error: BaseException) -> list[str]:
    """Everything a traceback, an error tracker or a log shows of ``error`` and its chain."""
    texts = []
    current: BaseException | None = error
    while current is not None:
        texts += [repr(current), str(current), repr(current.args), repr(vars(current))]
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    shown = traceback.TracebackException.from_exception(error, capture_locals=True)
    texts.append("".join(shown.format()))
    return texts


@pytest.fixture(params=sorted(FAILURES))
def failing_server(request: pytest.FixtureRequest) -> Any:
    behaviour = FAILURES[request.param]
    if behaviour is None:
        yield "http://127.0.0.1:9"
        return
    with RawServer(behaviour) as server:
        yield server.url


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("kind", ["async", "sync", "own session"])
async def test_the_key_is_in_no_exception_chain_and_no_traceback_locals(
    failing_server: str, operation: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVOWABA_API_KEY", API_KEY)  # no frame of this test holds it
    options: dict[str, Any] = {
        "base_url": failing_server,
        "timeout": ivowaba.Timeout(total=0.2, connect=0.2),
        "max_retries": 0,
    }
    if kind == "own session":
        async with aiohttp.ClientSession() as session:
            client = ivowaba.AsyncClient(session=session, **options)
            with pytest.raises(ivowaba.IvowabaError) as caught:
                await OPERATIONS[operation](client)
            await client.aclose()
    else:
        async with client_of_kind(kind, **options) as call:
            with pytest.raises(ivowaba.IvowabaError) as caught:
                await call(OPERATIONS[operation])
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    shown = _shown(error)
    assert not [text for text in shown if API_KEY in text]
    if isinstance(error, ivowaba.APIConnectionError) and not isinstance(
        error, ivowaba.APITimeoutError
    ):  # what is useful of the transport's error is kept: its type and message
        assert "Error" in str(error) or "error" in str(error)


@pytest.mark.parametrize("kind", [ivowaba.AsyncClient, ivowaba.Client])
@pytest.mark.parametrize(
    "options", [{"base_url": "ftp://nowhere"}, {"timeout": -1}, {"max_response_size": 0}]
)
def test_a_failed_constructor_shows_no_key_and_its_repr_does_not_raise(
    kind: type[Any], options: dict[str, Any]
) -> None:
    with pytest.raises(ivowaba.ConfigError) as caught:
        kind(api_key=API_KEY, **options)
    shown = _shown(caught.value)
    assert not [text for text in shown if API_KEY in text]
    assert f"{kind.__name__}(base_url=" in shown[-1]  # the half-built client's repr, shown


# -- 8. use after close ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_use_after_close_is_a_client_closed_error(emu: Emulator, kind: str) -> None:
    async with client_of_kind(kind, api_key=API_KEY, base_url=emu.base_url) as call:
        await call(lambda c: c.countries.list())
        client = call.target
    assert issubclass(ivowaba.ClientClosedError, ivowaba.IvowabaError)
    assert repr(client).endswith("closed=True)")
    assert client.closed
    with pytest.raises(ivowaba.ClientClosedError):
        await call(lambda c: c.countries.list())
    assert BulkResult(0, None, error=ivowaba.ClientClosedError()).sent is False


# -- 9. one AsyncClient, successive event loops ------------------------------------------------


def test_one_async_client_serves_successive_event_loops(emu: Emulator) -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, rate_limit=1000)

    async def use() -> int:
        results = await asyncio.gather(*(client.countries.list() for _ in range(4)))
        return len(results)

    for _ in range(3):  # as a module-level client under asyncio.run(), or tests' loops
        assert asyncio.run(use()) == 4
        gc.collect()  # a pool left unclosed by the ended loop would warn here
    asyncio.run(client.aclose())
    gc.collect()
    assert client.closed
    assert len(emu.requests) == 12


def test_one_async_client_on_two_running_loops_at_once_is_refused(emu: Emulator) -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url)
    holding, release = threading.Event(), threading.Event()

    async def hold() -> None:
        await client.countries.list()
        holding.set()
        await asyncio.to_thread(release.wait, 10)

    thread = threading.Thread(target=asyncio.run, args=(hold(),))
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(ivowaba.IvowabaError, match="another event loop"):
            asyncio.run(client.countries.list())
    finally:
        release.set()
        thread.join(10)
    assert asyncio.run(client.countries.list())  # that loop ended: this one may have it
    asyncio.run(client.aclose())
