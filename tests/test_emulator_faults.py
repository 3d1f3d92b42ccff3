"""Scripted faults: statuses with headers, non-JSON bodies, delays, dropped connections."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ivowaba.testing import Emulator

TEXT = {"wa_id": "628123456789", "text": "hello"}
SEND_TEXT = "/api/v1/messages/send-text-message"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


async def request(
    emu: Emulator,
    method: str = "POST",
    path: str = SEND_TEXT,
    *,
    timeout: float = 5.0,
    key: str | None = None,
    **kwargs: Any,
) -> tuple[int, dict[str, str], bytes]:
    if method == "POST" and "json" not in kwargs:
        kwargs["json"] = TEXT
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    headers = {"X-API-KEY": key or emu.api_key}
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.request(method, emu.base_url + path, headers=headers, **kwargs) as response,
    ):
        return response.status, dict(response.headers), await response.read()


@pytest.mark.parametrize("target", ["send-text-message", "messages.send_text", SEND_TEXT])
async def test_429_with_retry_after_then_the_real_answer(emu: Emulator, target: str) -> None:
    emu.fail_next(target, status=429, headers={"Retry-After": "2"})

    first = await request(emu)
    second = await request(emu)

    assert first[0] == 429
    assert first[1]["Retry-After"] == "2"
    assert first[1]["Content-Type"] == "application/json"
    assert first[2] == b'{"message":"Too Many Attempts."}'
    assert second[0] == 200
    assert len(emu.outbox) == 1
    assert len(emu.requests) == 2


async def test_fault_for_one_operation_leaves_the_others_alone(emu: Emulator) -> None:
    emu.fail_next("send-media-message", status=500)

    status, _, _ = await request(emu)

    assert status == 200


async def test_html_body_with_a_gateway_error(emu: Emulator) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emu.fail_next("countries.list", status=502, body=page)

    status, headers, raw = await request(emu, "GET", "/api/v1/countries")

    assert status == 502
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert raw == page.encode()


async def test_json_and_raw_bodies(emu: Emulator) -> None:
    emu.fail_next("*", status=500, body={"error": "boom"})
    emu.fail_next("*", status=200, body=b"\x00\x01", content_type="application/octet-stream")

    first = await request(emu, "GET", "/api/v1/countries")
    second = await request(emu, "GET", "/api/v1/webhooks")

    assert (first[0], first[2]) == (500, b'{"error":"boom"}')
    assert (second[0], second[1]["Content-Type"], second[2]) == (
        200,
        "application/octet-stream",
        b"\x00\x01",
    )


async def test_default_body_names_the_status(emu: Emulator) -> None:
    emu.fail_next("*", status=503)

    _, _, raw = await request(emu, "GET", "/api/v1/countries")

    assert raw == b'{"message":"Service Unavailable"}'


async def test_times_scripts_several_answers(emu: Emulator) -> None:
    emu.fail_next("send-text-message", status=503, times=2)

    statuses = [(await request(emu))[0] for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert len(emu.outbox) == 1


async def test_faults_are_used_in_the_order_they_were_added(emu: Emulator) -> None:
    emu.fail_next("send-text-message", status=502)
    emu.fail_next("send-text-message", status=504)

    statuses = [(await request(emu))[0] for _ in range(3)]

    assert statuses == [502, 504, 200]


async def test_path_glob_and_method(emu: Emulator) -> None:
    emu.add_media(b"abc", "text/plain", media_id="m1")
    emu.fail_next("/api/v1/media/*", status=500, method="GET")

    sandbox = await request(emu, "GET", "/sandbox/api/v1/media/m1")
    live = await request(emu, "GET", "/api/v1/media/m1")
    again = await request(emu, "GET", "/api/v1/media/m1")

    assert sandbox[0] == 200
    assert live[0] == 500
    assert again[0] == 200


async def test_fault_comes_before_authentication(emu: Emulator) -> None:
    emu.fail_next("*", status=503)

    status, _, _ = await request(emu, key="wrong")

    assert status == 503


async def test_fault_applies_to_unknown_paths_too(emu: Emulator) -> None:
    emu.fail_next("*", status=418)

    status, _, _ = await request(emu, "GET", "/api/v1/nothing")

    assert status == 418


async def test_dropped_connection_gets_no_answer(emu: Emulator) -> None:
    emu.fail_next("send-text-message", drop=True)

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await request(emu)
    status, _, _ = await request(emu)

    assert status == 200
    assert len(emu.outbox) == 1
    assert len(emu.requests) == 2


async def test_processed_drop_keeps_the_message_the_client_never_heard_of(emu: Emulator) -> None:
    emu.fail_next("send-text-message", drop=True, processed=True)

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await request(emu)

    assert len(emu.outbox) == 1


async def test_processed_error_status(emu: Emulator) -> None:
    emu.fail_next("send-text-message", status=504, processed=True)

    status, _, _ = await request(emu)

    assert status == 504
    assert len(emu.outbox) == 1


async def test_delay_runs_a_client_into_its_timeout(emu: Emulator) -> None:
    emu.fail_next("send-text-message", delay=2.0, status=None)

    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await request(emu, timeout=0.2)

    assert time.monotonic() - started < 1.5
    assert emu.outbox == []


async def test_delay_then_the_real_answer(emu: Emulator) -> None:
    emu.fail_next("send-text-message", delay=0.2, status=None)

    started = time.monotonic()
    status, _, _ = await request(emu)

    assert status == 200
    assert time.monotonic() - started >= 0.2


async def test_global_latency(emu: Emulator) -> None:
    emu.latency = 0.15

    started = time.monotonic()
    status, _, _ = await request(emu, "GET", "/api/v1/countries")

    assert status == 200
    assert time.monotonic() - started >= 0.15


async def test_clear_faults(emu: Emulator) -> None:
    emu.fail_next("*", status=500, times=5)

    emu.clear_faults()

    assert (await request(emu))[0] == 200


def test_times_must_be_positive() -> None:
    with pytest.raises(ValueError, match="times"):
        Emulator().fail_next("*", times=0)
