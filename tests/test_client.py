"""Client construction and the transport: headers, sessions, timeouts, repr."""

from __future__ import annotations

import aiohttp
import pytest

import ivowaba
from ivowaba._ratelimit import SlidingWindowLimiter
from tests._recorder import Recorder
from tests.conftest import API_KEY


async def test_a_session_of_yours_is_used_and_left_open(recorder: Recorder) -> None:
    async with aiohttp.ClientSession() as session:
        async with ivowaba.AsyncClient(
            api_key=API_KEY, base_url=recorder.url, session=session
        ) as client:
            await client.messages.send_text("628123456789", "hi")
        assert not session.closed
    sent = recorder.requests[0]
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
    with pytest.raises(RuntimeError, match="closed"):
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


async def test_a_rate_limiter_of_yours(recorder: Recorder) -> None:
    class Counting:
        calls = 0

        async def acquire(self) -> None:
            Counting.calls += 1

    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=recorder.url, rate_limiter=Counting()
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
