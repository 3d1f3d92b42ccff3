"""``with_options``: a client of the same kind, on the same pool (the same aiohttp session
and connector), with its own timeout and retries and every other option carried over;
closing it leaves the pool and its parent open, closing the parent closes both."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

import ivowaba
from ivowaba import _config
from ivowaba.testing import Emulator
from tests.conftest import API_KEY


class Store:
    """Just enough of an outcome store to be taken for one."""

    async def window_open(self, wa_id: str) -> bool:
        return True

    async def last_inbound(self, wa_id: str) -> None:
        return None

    async def opted_out(self, wa_id: str) -> bool:
        return False


class Limiter:
    async def acquire(self) -> None:
        return None


def on_request(event: ivowaba.RequestEvent) -> None:
    """An event hook."""


# Each client option: a value other than its default, and how to read it back from a client.
OPTIONS: dict[str, tuple[Any, Callable[[ivowaba.AsyncClient], Any]]] = {
    "base_url": ("http://127.0.0.1:9/x", lambda c: c.base_url),
    "sandbox": (True, lambda c: c.sandbox),
    "timeout": (12.0, lambda c: c.timeout.total),
    "max_retries": (5, lambda c: c.max_retries),
    "rate_limiter": (Limiter(), lambda c: c.rate_limiter),
    "max_connections": (7, lambda c: c.max_connections),
    "default_country_code": ("62", lambda c: c.default_country_code),
    "check_templates": (True, lambda c: c.check_templates),
    "max_response_size": (1234, lambda c: c.max_response_size),
    "outcomes": (Store(), lambda c: c.outcomes),
    "event_hooks": ({"request": [on_request]}, lambda c: c._hooks.request),
}


def test_every_option_is_carried_over() -> None:
    # rate_limit makes a rate_limiter: the limiter itself is what must be shared
    assert set(OPTIONS) | {"rate_limit"} == set(_config.ClientOptions.__optional_keys__)
    given = {name: value for name, (value, _) in OPTIONS.items()}
    client = ivowaba.AsyncClient(api_key=API_KEY, **given)

    derived = client.with_options()

    for name, (_, read) in OPTIONS.items():
        assert read(derived) == read(client), name
    assert derived.rate_limiter is client.rate_limiter  # one limit for both
    assert derived.outcomes is client.outcomes


def test_a_rate_limit_is_shared_not_copied() -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9", rate_limit=10)
    assert client.with_options(timeout=3).rate_limiter is client.rate_limiter


async def test_same_pool_its_own_timeout_and_retries(emu: Emulator) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url) as client:
        quick = client.with_options(timeout=0.1, max_retries=0)
        await client.countries.list()
        await quick.countries.list()

        assert isinstance(quick, ivowaba.AsyncClient)
        assert quick.session() is client.session()
        assert quick.session().connector is client.session().connector
        assert (quick.timeout.total, quick.max_retries) == (0.1, 0)
        assert (client.timeout.total, client.max_retries) == (30.0, 2)

        emu.fail_next("countries.list", status=503)
        with pytest.raises(ivowaba.ServerError):
            await quick.countries.list()  # not retried
        emu.fail_next("countries.list", status=503)
        assert await client.countries.list()  # retried, as before

        emu.fail_next("countries.list", status=200, body={"data": []}, delay=2.0)
        with pytest.raises(ivowaba.APITimeoutError):
            await quick.countries.list()


async def test_one_made_from_another_uses_the_first_ones_pool(emu: Emulator) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url) as client:
        again = client.with_options(max_retries=1).with_options(timeout=5)
        await again.countries.list()

        assert again.session() is client.session()
        assert (again.max_retries, again.timeout.total) == (1, 5.0)


async def test_your_own_session_is_shared_too(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        client = ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, session=session)
        derived = client.with_options(max_retries=0)
        await derived.countries.list()

        assert derived.session() is session
        await derived.aclose()
        await client.aclose()
        assert not session.closed  # yours, always


async def test_closing_the_derived_client_closes_only_it(emu: Emulator) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url) as client:
        session = client.session()
        async with client.with_options(timeout=5) as derived:
            await derived.countries.list()

        assert derived.closed
        assert not client.closed
        with pytest.raises(ivowaba.ClientClosedError):
            await derived.countries.list()
        assert await client.countries.list()
        assert not session.closed
        assert client.session() is session


async def test_closing_the_parent_closes_the_pool_for_both(emu: Emulator) -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url)
    derived = client.with_options(max_retries=0)
    await derived.countries.list()
    session = client.session()

    await client.aclose()

    assert session.closed
    assert derived.closed
    with pytest.raises(ivowaba.ClientClosedError):
        await derived.countries.list()


def test_the_blocking_client_shares_its_pool_and_thread(emu: Emulator) -> None:
    async def session_of(client: ivowaba.AsyncClient) -> aiohttp.ClientSession:
        return client.session()

    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url) as client:
        derived = client.with_options(timeout=4, max_retries=0)
        assert isinstance(derived, ivowaba.Client)
        derived.countries.list()
        client.countries.list()

        assert derived._runner is client._runner  # one event-loop thread
        pool = client._runner.call(session_of, client._aclient)
        assert client._runner.call(session_of, derived._aclient) is pool
        assert derived._aclient.timeout.total == 4.0

        derived.close()
        assert derived.closed
        assert not client.closed
        with pytest.raises(ivowaba.ClientClosedError):
            derived.countries.list()
        assert client.countries.list()
        again = client.with_options(max_retries=1)
    assert again.closed  # its parent was closed
    with pytest.raises(ivowaba.ClientClosedError):
        again.countries.list()


def test_a_blocking_client_made_from_a_temporary_one_keeps_it_open(emu: Emulator) -> None:
    derived = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url).with_options(timeout=5)
    gc.collect()

    assert derived.countries.list()
    assert not derived.closed
    derived.close()


@pytest.mark.parametrize(
    "name", ["base_url", "sandbox", "max_connections", "rate_limit", "api_key"]
)
def test_what_belongs_to_the_pool_cannot_change(name: str) -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(ivowaba.ConfigError, match=f"cannot change {name}: .* shares"):
        client.with_options(**{name: None})


def test_a_misspelt_option_is_a_type_error() -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_retry'"):
        client.with_options(max_retry=1)  # type: ignore[call-arg]


def test_bad_values_are_refused_like_the_constructors() -> None:
    client = ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(ivowaba.ConfigError, match="max_retries must be an integer >= 0"):
        client.with_options(max_retries=-1)
    with pytest.raises(ivowaba.ConfigError, match="timeout must be a positive number"):
        client.with_options(timeout=0)


async def test_event_hooks_are_inherited_or_replaced(emu: Emulator) -> None:
    seen: list[str] = []
    async with ivowaba.AsyncClient(
        api_key=API_KEY,
        base_url=emu.base_url,
        event_hooks={"request": [lambda event: seen.append("parent")]},
    ) as client:
        await client.with_options(timeout=5).countries.list()
        await client.with_options(
            event_hooks={"request": [lambda event: seen.append("own")]}
        ).countries.list()
        await client.with_options(event_hooks=None).countries.list()

    assert seen == ["parent", "own"]
