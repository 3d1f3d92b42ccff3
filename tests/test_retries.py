"""The retry rules, proven by counting the requests that reach the server."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import tenacity
from aioresponses import aioresponses

import ivowaba
import ivowaba.testing
from ivowaba import _retry
from ivowaba.testing import Emulator
from tests.conftest import API_KEY

TEXT_URL = "/api/v1/messages/send-text-message"
SENT = {"messages": [{"id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU"}]}  # a send's answer


@pytest.fixture(autouse=True)
def waits() -> Iterator[list[float]]:
    """The waits before each retry, skipped: recorded instead of slept."""
    with ivowaba.testing.no_backoff() as skipped:
        yield skipped


@pytest.fixture
async def retrying(emu: Emulator) -> AsyncIterator[ivowaba.AsyncClient]:
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, max_retries=2, timeout=ivowaba.Timeout(total=0.2)
    ) as client:
        yield client


async def test_429_with_retry_after_then_200_sends_twice(
    retrying: ivowaba.AsyncClient, emu: Emulator
) -> None:
    emu.fail_next(
        "*", status=429, body={"message": "Too Many Attempts."}, headers={"Retry-After": "0"}
    )
    sent = await retrying.messages.send_text("628123456789", "hi")
    assert sent.id == emu.outbox[0].id
    assert [r.path for r in emu.requests] == [TEXT_URL, TEXT_URL]


async def test_retry_after_is_honoured(
    retrying: ivowaba.AsyncClient, emu: Emulator, waits: list[float]
) -> None:
    emu.fail_next("*", status=429, body={"message": "slow down"}, headers={"Retry-After": "7"})
    emu.fail_next("*", status=429, body={"message": "slow down"}, headers={"Retry-After": "3600"})
    await retrying.countries.list()
    assert waits == [7.0, _retry.MAX_RETRY_AFTER]  # what the server asked, within the cap
    assert len(emu.requests) == 3


async def test_retry_after_as_http_date(retrying: ivowaba.AsyncClient, emu: Emulator) -> None:
    past = email.utils.formatdate(time.time() - 5, usegmt=True)
    emu.fail_next("*", status=429, body={"message": "slow down"}, headers={"Retry-After": past})
    await retrying.messages.send_text("628123456789", "hi")
    assert len(emu.requests) == 2


def test_retry_after_parsing_and_cap() -> None:
    assert _retry.parse_retry_after({"Retry-After": "7"}) == 7.0
    assert _retry.parse_retry_after({"Retry-After": "soon"}) is None
    assert _retry.parse_retry_after({}) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = _retry.parse_retry_after({"Retry-After": future})
    assert seconds is not None
    assert 25 <= seconds <= 31
    error = ivowaba.RateLimitError("x", status_code=429, body=None, headers={"Retry-After": "3600"})
    assert error.retry_after == 3600.0


def _wait_after(error: BaseException, attempt: int) -> float:
    """What the client's retry controller waits after failed attempt ``attempt``."""
    controller = _retry.retrying("GET", 10)
    state = tenacity.RetryCallState(controller, None, (), {})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return controller.wait(state)


def test_backoff_is_exponential_with_full_jitter() -> None:
    error = ivowaba.ServerError("x", status_code=503, body=None, headers={})
    for attempt in (1, 2, 3, 6):
        ceiling = min(_retry.MAX_BACKOFF, _retry.INITIAL_BACKOFF * 2 ** (attempt - 1))
        delays = [_wait_after(error, attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spreads over the whole range
    limited = ivowaba.RateLimitError("x", status_code=429, body=None, headers={"Retry-After": "2"})
    assert _wait_after(limited, 5) == 2.0


@pytest.mark.parametrize(
    ("status", "error"), [(500, ivowaba.ServerError), (503, ivowaba.ServerError)]
)
async def test_a_send_answered_5xx_is_never_repeated(
    retrying: ivowaba.AsyncClient, emu: Emulator, status: int, error: type[Exception]
) -> None:
    emu.fail_next("*", status=status, body={"message": "Server Error"}, times=3)
    with pytest.raises(error) as caught:
        await retrying.messages.send_text("628123456789", "hi")
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert len(emu.requests) == 1


async def test_a_send_that_timed_out_is_never_repeated(
    retrying: ivowaba.AsyncClient, emu: Emulator
) -> None:
    emu.fail_next("*", status=200, body=SENT, delay=1.0, times=3)
    with pytest.raises(ivowaba.APITimeoutError):
        await retrying.messages.send_text("628123456789", "hi")
    assert len(emu.requests) == 1


async def test_a_send_whose_connection_dropped_is_never_repeated(
    retrying: ivowaba.AsyncClient, emu: Emulator
) -> None:
    emu.fail_next("*", status=200, body=SENT, drop=True, times=3)
    with pytest.raises(ivowaba.APIConnectionError) as caught:
        await retrying.messages.send_text("628123456789", "hi")
    assert not caught.value.never_sent
    assert len(emu.requests) == 1


async def test_get_503_503_200_succeeds_after_three(
    retrying: ivowaba.AsyncClient, emu: Emulator
) -> None:
    emu.fail_next("*", status=503, body={"message": "Service Unavailable"}, times=2)
    countries = await retrying.countries.list()
    assert "ID" in {country.iso for country in countries}
    assert len(emu.requests) == 3


async def test_get_gives_up_after_max_retries(retrying: ivowaba.AsyncClient, emu: Emulator) -> None:
    emu.fail_next("*", status=502, body=b"<html>Bad Gateway</html>", times=5)
    with pytest.raises(ivowaba.ServerError) as caught:
        await retrying.countries.list()
    assert caught.value.status_code == 502
    assert len(emu.requests) == 3


@pytest.mark.parametrize("method", ["put", "patch"])
async def test_put_and_patch_are_retried_on_timeouts(
    retrying: ivowaba.AsyncClient, emu: Emulator, method: str
) -> None:
    emu.fail_next("*", status=200, body=None, delay=1.0)
    if method == "put":
        await retrying.messages.mark_read("gBEGkYiEB1VXAglK1ZEqA1YKPrU")
    else:
        await retrying.settings.update_about("hello")
    assert len(emu.requests) == 2


async def test_max_retries_zero_turns_retrying_off(emu: Emulator) -> None:
    emu.fail_next(
        "*", status=429, body={"message": "Too Many Attempts."}, headers={"Retry-After": "0"}
    )
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, max_retries=0) as c:
        with pytest.raises(ivowaba.RateLimitError) as caught:
            await c.countries.list()
    assert caught.value.retry_after == 0.0
    assert len(emu.requests) == 1


async def test_a_send_that_never_connected_is_retried() -> None:
    url = "http://127.0.0.1:9/api/v1/messages/send-text-message"
    refused = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 9, False, True, None, None, None),
        OSError(111, "Connection refused"),
    )
    with aioresponses() as mocked:
        mocked.post(url, exception=refused)
        mocked.post(url, payload=SENT)
        async with ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9") as client:
            sent = await client.messages.send_text("628123456789", "hi")
        calls = sum(len(v) for v in mocked.requests.values())
    assert sent.id == "gBEGkYiEB1VXAglK1ZEqA1YKPrU"
    assert calls == 2


async def test_a_refused_connection_gives_up_after_max_retries() -> None:
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url="http://127.0.0.1:9", max_retries=1
    ) as c:
        with pytest.raises(ivowaba.APIConnectionError) as caught:
            await c.messages.send_text("628123456789", "hi")
    assert caught.value.never_sent


async def test_rate_limit_caps_starts_per_second(emu: Emulator) -> None:
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, rate_limit=3, max_retries=0
    ) as client:
        limiter = client.rate_limiter
        assert limiter is not None
        allowed = limiter.acquire
        starts: list[float] = []

        async def acquire() -> None:  # note when each request is let go
            await allowed()
            starts.append(time.monotonic())

        limiter.acquire = acquire  # type: ignore[method-assign]
        began = time.monotonic()
        await asyncio.gather(
            *(client.messages.send_text("628123456789", f"hi {i}") for i in range(4))
        )
    assert len(emu.requests) == 4
    # 4 requests at 3 per second: the 4th cannot start before a full window has passed.
    assert starts[-1] - began >= 1.0
    for i in range(len(starts) - 3):
        assert starts[i + 3] - starts[i] >= 0.99  # allowing for the scheduling of this probe
