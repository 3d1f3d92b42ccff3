"""Event hooks: called for every attempt, in order, retries included, on both clients; sync
and async hooks alike; they never see the API key; a client without them keeps the bare
request path (no ``Watch`` is ever made)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

import ivowaba
import ivowaba.testing
from ivowaba import _hooks
from ivowaba.testing import Emulator
from tests.conftest import API_KEY, client_of_kind

Recorded = list[tuple[str, Any]]


def recorder(seen: Recorded) -> dict[str, list[Callable[[Any], Any]]]:
    """Hooks for every event, each recording (event name, event): a sync one for requests,
    async ones for answers and retries."""

    def on_request(event: ivowaba.RequestEvent) -> None:
        seen.append(("request", event))

    async def on_response(event: ivowaba.ResponseEvent) -> None:
        seen.append(("response", event))

    async def on_retry(event: ivowaba.RetryEvent) -> None:
        seen.append(("retry", event))

    return {"request": [on_request], "response": [on_response], "retry": [on_retry]}


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_hooks_follow_each_attempt_in_order_through_a_retry(kind: str, emu: Emulator) -> None:
    seen: Recorded = []
    emu.fail_next("messages.send_text", status=429, headers={"Retry-After": "3"})
    async with client_of_kind(
        kind, api_key=API_KEY, base_url=emu.base_url, max_retries=2, event_hooks=recorder(seen)
    ) as through:
        with ivowaba.testing.no_backoff() as waits:
            sent = await through(lambda c: c.messages.send_text("628123456789", "hi"))

    assert sent.id
    assert [(name, event.attempt) for name, event in seen] == [
        ("request", 1),
        ("response", 1),
        ("retry", 1),
        ("request", 2),
        ("response", 2),
    ]
    route = "/api/v1/messages/send-text-message"
    for _, event in seen:
        assert (event.operation, event.method, event.route) == ("messages.send_text", "POST", route)
    first, second = seen[1][1], seen[4][1]
    assert (first.status, type(first.error)) == (429, ivowaba.RateLimitError)
    assert (second.status, second.error) == (200, None)
    assert first.elapsed >= 0
    assert second.elapsed >= 0
    retry = seen[2][1]
    assert retry.wait == 3.0 == waits[0]  # the server's Retry-After, told before the wait
    assert retry.error is first.error


async def test_a_connection_that_fails_has_no_status(emu: Emulator) -> None:
    seen: Recorded = []
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url="http://127.0.0.1:9", max_retries=1, event_hooks=recorder(seen)
    ) as client:
        with pytest.raises(ivowaba.APIConnectionError) as caught:
            await client.countries.list()

    assert [(name, event.attempt) for name, event in seen] == [
        ("request", 1),
        ("response", 1),
        ("retry", 1),
        ("request", 2),
        ("response", 2),
    ]
    last = seen[-1][1]
    assert (last.status, last.error) == (None, caught.value)


async def test_hooks_of_one_event_run_in_the_order_given(emu: Emulator) -> None:
    order: list[str] = []

    async def second(event: ivowaba.ResponseEvent) -> None:
        order.append(f"async {event.status}")

    hooks = {"response": [lambda event: order.append("sync"), second, lambda e: order.append("3")]}
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, event_hooks=hooks, rate_limit=100
    ) as client:
        await client.countries.list()

    assert order == ["sync", "async 200", "3"]


async def test_hooks_never_see_the_api_key(emu: Emulator) -> None:
    seen: Recorded = []
    emu.fail_next("*", status=401, body={"message": "Unauthenticated."})
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, event_hooks=recorder(seen)
    ) as client:
        with pytest.raises(ivowaba.AuthenticationError):
            await client.countries.list()
        await client.messages.send_text("628123456789", "hi")

    assert len(seen) == 4
    for _, event in seen:
        error = getattr(event, "error", None)
        shown = repr(event) + (repr(vars(error)) if error is not None else "")
        assert API_KEY not in shown
        assert {field.name for field in dataclasses.fields(event)} <= {
            "operation",
            "method",
            "route",
            "attempt",
            "status",
            "elapsed",
            "wait",
            "error",
        }


async def test_an_exception_in_a_hook_ends_the_call_with_it(emu: Emulator) -> None:
    def refuse(event: ivowaba.RequestEvent) -> None:
        raise PermissionError(f"no {event.operation} today")

    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, max_retries=2, event_hooks={"request": [refuse]}
    ) as client:
        with pytest.raises(PermissionError, match=r"no messages\.send_text today"):
            await client.messages.send_text("628123456789", "hi")

    assert emu.requests == []  # the request hook runs before anything leaves


def test_blocking_hooks_run_on_the_clients_thread_and_async_ones_are_awaited(
    emu: Emulator,
) -> None:
    seen: Recorded = []
    with ivowaba.Client(
        api_key=API_KEY, base_url=emu.base_url, event_hooks=recorder(seen)
    ) as client:
        client.messages.mark_read("wamid.1")

    assert [(name, event.route) for name, event in seen] == [
        ("request", "/api/v1/messages/{message_id}/read"),
        ("response", "/api/v1/messages/{message_id}/read"),
    ]


@pytest.mark.parametrize(
    ("event_hooks", "rule"),
    [
        ({"requests": [print]}, r"event_hooks\['requests'\]: unknown event"),
        ({"request": print}, r"event_hooks\['request'\] must be a list of callables"),
        ({"response": ["print"]}, r"event_hooks\['response'\]\[0\] must be callable"),
        ([print], "event_hooks must be a dict"),
    ],
)
def test_bad_event_hooks_are_refused_naming_the_rule(event_hooks: Any, rule: str) -> None:
    with pytest.raises(ivowaba.ConfigError, match=rule):
        ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9", event_hooks=event_hooks)


async def test_without_hooks_the_request_path_makes_no_watch(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_watch(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the bare request path made a Watch")

    monkeypatch.setattr(_hooks.Watch, "__init__", no_watch)
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, event_hooks={"request": []}
    ) as client:
        await client.messages.send_text("628123456789", "hi")
        await client.messages.mark_read("wamid.1")
        emu.add_media(b"x", "image/jpeg", media_id="m1")
        assert (await client.media.download("m1")).content == b"x"


def test_the_bare_request_path_stays_cheap_by_construction() -> None:
    # A closure in these would allocate its cells on every call, watched or not; a __dict__
    # on the client would slow every attribute read once it holds about 30 of them.
    from ivowaba._client import AsyncClient

    for name in ("call", "request", "_exchange", "_retried"):
        assert getattr(AsyncClient, name).__code__.co_cellvars == (), name
    client = AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9")
    assert not hasattr(client, "__dict__")
