"""Client construction and the transport: headers, sessions, timeouts, repr."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

import ivowaba
from ivowaba._ratelimit import SlidingWindowLimiter
from ivowaba.testing import Emulator
from tests.conftest import API_KEY


async def test_a_session_of_yours_is_used_and_left_open(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with ivowaba.AsyncClient(
            api_key=API_KEY, base_url=emu.base_url, session=session
        ) as client:
            await client.messages.send_text("628123456789", "hi")
        assert not session.closed
    sent = emu.requests[0]
    assert sent.headers["X-API-KEY"] == API_KEY
    assert sent.headers["Content-Type"] == "application/json"
    assert (
        sent.headers["User-Agent"]
        == f"ivowaba-python/{ivowaba.__version__} aiohttp/{aiohttp.__version__}"
    )


async def test_one_session_for_the_life_of_the_client(aclient: ivowaba.AsyncClient) -> None:
    await aclient.countries.list()
    first = aclient.session()
    await aclient.countries.list()
    assert aclient.session() is first
    await aclient.aclose()
    assert first.closed
    with pytest.raises(ivowaba.ClientClosedError, match="closed"):
        await aclient.countries.list()


def test_timeouts() -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY)
    assert client.timeout == ivowaba.Timeout(total=30.0, connect=10.0, read=None)
    client = ivowaba.AsyncClient(api_key=API_KEY, timeout=5)
    assert client.timeout.total == 5.0
    assert client.timeout.connect == 5.0
    custom = ivowaba.Timeout(total=None, connect=2.0, read=15.0)
    assert ivowaba.AsyncClient(api_key=API_KEY, timeout=custom).timeout is custom


def test_repr_names_the_client_not_its_key() -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:1", sandbox=True)
    assert repr(client) == "AsyncClient(base_url='http://127.0.0.1:1', sandbox=True)"


def test_a_password_in_the_base_url_is_masked_in_both_reprs() -> None:
    url = "http://user:s3cret@127.0.0.1:1"
    async_client = ivowaba.AsyncClient(api_key=API_KEY, base_url=url)
    assert (
        repr(async_client) == "AsyncClient(base_url='http://user:***@127.0.0.1:1', sandbox=False)"
    )
    with ivowaba.Client(api_key=API_KEY, base_url=url) as client:
        assert repr(client) == "Client(base_url='http://user:***@127.0.0.1:1', sandbox=False)"
    assert async_client.base_url == url  # what is used is left as given


@pytest.mark.parametrize("key", [API_KEY + "\n", " " + API_KEY, API_KEY[:3] + "\r" + API_KEY[3:]])
def test_a_key_with_white_space_at_an_end_or_a_control_character_is_refused_at_once(
    key: str,
) -> None:
    for make in (ivowaba.AsyncClient, ivowaba.Client):
        with pytest.raises(ivowaba.ConfigError, match="newline: strip it") as caught:
            make(api_key=key, base_url="http://127.0.0.1:1")
        assert API_KEY not in str(caught.value)


async def test_a_templates_check_in_the_sandbox_names_the_operation_called(
    emu: Emulator,
) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, sandbox=True) as client:
        spec = {"label": "a", "category_id": "UTILITY", "language_id": "id", "body": {"text": "Hi"}}
        with pytest.raises(ivowaba.SandboxUnsupportedError, match=r"templates\.create"):
            await client.templates.create(**spec)  # type: ignore[arg-type]
        with pytest.raises(ivowaba.SandboxUnsupportedError, match=r"templates\.update"):
            await client.templates.update("t1", **spec)  # type: ignore[arg-type]
    assert emu.requests == []


async def test_a_rate_limiter_of_yours(emu: Emulator) -> None:
    class Counting:
        calls = 0

        async def acquire(self) -> None:
            Counting.calls += 1

    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, rate_limiter=Counting()
    ) as client:
        await client.messages.send_text("628123456789", "a")
        await client.countries.list()
    assert Counting.calls == 2


def test_sliding_window_limiter_rejects_a_zero_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        SlidingWindowLimiter(0)


def test_public_names_load_lazily_and_say_ivowaba() -> None:
    assert "AsyncClient" in dir(ivowaba)
    assert ivowaba.AsyncClient.__module__ == "ivowaba"
    assert ivowaba.NotFoundError.__module__ == "ivowaba"
    # structs keep their module: msgspec resolves their annotations there
    assert ivowaba.TextMessage.__module__ == "ivowaba.types.messages"
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        ivowaba.Nope  # noqa: B018


def test_a_misspelt_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'base_ur'"):
        ivowaba.AsyncClient(api_key=API_KEY, base_ur="http://127.0.0.1:1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"Client\(\) got an unexpected keyword argument 'session'"):
        ivowaba.Client(api_key=API_KEY, session=None)  # type: ignore[call-arg]


async def test_a_download_may_outlast_the_total_timeout(tmp_path: Path) -> None:
    """A slow but steady download is not cut off by the request timeout; a stalled one is."""
    from aiohttp import web

    async def media(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        await response.prepare(request)
        pause = float(request.query.get("pause", "0.08"))
        for _ in range(5):  # 5 chunks, 0.4 s in all: longer than the 0.25 s total
            await response.write(b"x" * 1024)
            await asyncio.sleep(pause)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/api/v1/media/{media_id}", media)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        async with ivowaba.AsyncClient(
            api_key=API_KEY, base_url=url, timeout=0.25, max_retries=0
        ) as client:
            path = await client.media.download_to("clip", tmp_path / "clip.mp4")
            assert path.stat().st_size == 5 * 1024
            stalled = ivowaba.AsyncClient(
                api_key=API_KEY,
                base_url=url,
                timeout=ivowaba.Timeout(total=0.25, read=0.04),
                max_retries=0,
            )
            async with stalled:
                with pytest.raises(ivowaba.APITimeoutError):
                    await stalled.media.download_to("clip", tmp_path / "stalled.mp4")
            assert not (tmp_path / "stalled.mp4").exists()
            assert not (tmp_path / "stalled.mp4.part").exists()
    finally:
        await runner.cleanup()
