"""``messages.send_many``: one result per input, bounded concurrency, clean cancellation."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

import ivowaba
from ivowaba.testing import Emulator
from tests.conftest import API_KEY


def texts(n: int) -> Iterator[ivowaba.TextMessage]:
    for i in range(n):
        yield ivowaba.TextMessage(wa_id="628123456789", text=f"bulk {i}")


async def test_every_input_gets_one_result(aclient: ivowaba.AsyncClient, emu: Emulator) -> None:
    results = [r async for r in aclient.messages.send_many(texts(500), concurrency=8)]
    assert sorted(r.index for r in results) == list(range(500))
    assert all(r.ok and r.id for r in results)
    assert len({r.id for r in results}) == 500
    assert sorted(r.json()["text"] for r in emu.requests) == sorted(f"bulk {i}" for i in range(500))
    assert 1 < emu.max_in_flight <= 8


async def test_in_flight_never_exceeds_concurrency(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    pulled = 0

    def counting() -> Iterator[ivowaba.TextMessage]:
        nonlocal pulled
        for message in texts(200):
            pulled += 1
            yield message

    seen = 0
    async for _ in aclient.messages.send_many(counting(), concurrency=4):
        seen += 1
        # lazily read: never more than `concurrency` items ahead of what was consumed
        assert pulled - seen <= 4
        await asyncio.sleep(0.001)  # a slow consumer must not let results pile up
    assert seen == 200
    assert emu.max_in_flight <= 4


async def test_failures_become_results_and_the_rest_succeed(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    messages: list[object] = [
        ivowaba.TextMessage(wa_id="628123456789", text="good 0"),
        ivowaba.TextMessage(wa_id="not a number", text="bad wa_id"),
        {"type": "text", "wa_id": "628123456789", "text": "good 2 (a dict)"},
        {"type": "carrier-pigeon", "wa_id": "628123456789"},
        ivowaba.TextMessage(wa_id="628123456789", text="x" * 5000),
        ivowaba.TextMessage(wa_id="628123456789", text="server error"),
    ]
    script_500_for = "server error"

    async def source() -> AsyncIterator[object]:
        for message in messages:
            if isinstance(message, ivowaba.TextMessage) and message.text == script_500_for:
                await asyncio.sleep(0.05)  # after the good ones were answered
                emu.fail_next("*", status=500, body={"message": "Server Error"})
            yield message

    results = {r.index: r async for r in aclient.messages.send_many(source(), concurrency=1)}
    assert sorted(results) == list(range(6))
    assert results[0].ok
    assert results[2].ok
    assert isinstance(results[1].error, ivowaba.ValidationError)
    assert isinstance(results[3].error, ivowaba.ValidationError)
    assert isinstance(results[4].error, ivowaba.ValidationError)
    assert results[4].error.field == "text"
    assert isinstance(results[5].error, ivowaba.ServerError)
    assert results[5].id is None
    assert len(emu.requests) == 3


async def test_breaking_out_cancels_cleanly(emu: Emulator) -> None:
    emu.fail_next("*", status=200, body={"messages": [{"id": "slow"}]}, delay=0.2, times=8)
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url) as client:
        tasks_before = len(asyncio.all_tasks())
        stream = client.messages.send_many(texts(10_000), concurrency=8)
        async for _ in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        assert len(asyncio.all_tasks()) == tasks_before
        connector = client.session().connector
        assert connector is not None
        assert len(connector._acquired) == 0  # no connection is left checked out
    assert len(emu.requests) <= 16


def test_sync_client_send_many(emu: Emulator) -> None:
    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url) as client:
        results = list(client.messages.send_many(texts(300), concurrency=16))
        stream = client.messages.send_many(texts(10_000), concurrency=4)
        first = next(stream)
        stream.close()  # type: ignore[attr-defined]
    assert sorted(r.index for r in results) == list(range(300))
    assert first.ok
    gc.collect()
    assert not [t for t in threading.enumerate() if t.name == "ivowaba-loop"]
    assert len(emu.requests) < 300 + 50


async def test_a_failing_source_raises(aclient: ivowaba.AsyncClient) -> None:
    def broken() -> Iterator[ivowaba.TextMessage]:
        yield ivowaba.TextMessage(wa_id="628123456789", text="one")
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        async for _ in aclient.messages.send_many(broken(), concurrency=2):
            pass


@pytest.mark.parametrize("concurrency", [0, -1, True])
async def test_bad_concurrency(aclient: ivowaba.AsyncClient, concurrency: int) -> None:
    with pytest.raises(ivowaba.ValidationError, match="concurrency"):
        async for _ in aclient.messages.send_many(texts(1), concurrency=concurrency):
            pass


def test_a_result_says_whether_it_may_have_been_sent() -> None:
    from ivowaba.types.bulk import BulkResult

    def result(error: Exception | None) -> BulkResult:
        return BulkResult(index=0, message=None, id=None if error else "wamid.1", error=error)

    def status(code: int) -> ivowaba.APIStatusError:
        cls = ivowaba.ServerError if code >= 500 else ivowaba.APIStatusError
        return cls("x", status_code=code, body=None, headers={})

    assert result(None).sent is True
    assert result(ivowaba.ValidationError("to", "bad")).sent is False
    assert result(ivowaba.ClientClosedError()).sent is False
    assert result(status(422)).sent is False
    assert result(status(301)).sent is False  # a redirect is not followed: nothing was done
    for code in (500, 502, 503, 504):  # the gateway may fail after it accepted the send
        assert result(status(code)).sent is None
    too_large = ivowaba.ResponseTooLargeError("big", status_code=200, body=b"", limit=1)
    assert result(too_large).sent is None
    assert result(ivowaba.APIConnectionError("refused", never_sent=True)).sent is False
    assert result(ivowaba.APIConnectionError("reset after sending")).sent is None
    assert result(ivowaba.APITimeoutError("timed out")).sent is None


async def test_plain_values_inside_a_struct_are_checked_as_the_structs_they_describe(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    """``components=[{...}]`` (dicts where structs belong, as people write it) is sent as
    written; values that describe no component are a ValidationError naming the field, not
    an AttributeError from deep inside the checks, and never a request."""

    def template(components: list[object]) -> ivowaba.TemplateMessage:
        return ivowaba.TemplateMessage(
            wa_id="628123456789",
            template_id="60243665e4058d3b4a377bce",
            components=components,  # type: ignore[arg-type]
        )

    body = {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}
    messages = [
        template([body]),
        template([{"type": "body", "parameters": 5}]),
        template([3]),
        template([{"type": "body", "parameters": [{"type": "text", "text": ""}]}]),
    ]
    results = sorted([r async for r in aclient.messages.send_many(messages)], key=lambda r: r.index)
    assert results[0].ok
    assert emu.outbox[0].body["components"] == [body]
    errors = [r.error for r in results[1:]]
    assert all(isinstance(e, ivowaba.ValidationError) for e in errors), errors
    fields = [e.field for e in errors if isinstance(e, ivowaba.ValidationError)]
    assert fields == [
        "components[0].parameters",
        "components[0]",
        "components[0].parameters[0].text",
    ]
    assert len(emu.requests) == 1
