"""The API key and webhook passwords never reach a repr, a str, an exception or a log record."""

from __future__ import annotations

import logging
import subprocess
import sys
import traceback

import pytest

import ivowaba
from ivowaba import _logging
from ivowaba.testing import Emulator
from tests.conftest import API_KEY


def _chain(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


async def test_the_api_key_never_appears(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ivowaba")
    seen: list[str] = []
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, max_retries=1, timeout=0.15
    ) as client:
        seen += [repr(client), str(client)]
        await client.messages.send_text("628123456789", "hi")
        emu.fail_next("*", status=401, body={"message": "Unauthenticated."})
        emu.fail_next("*", status=429, body={"message": "slow"}, headers={"Retry-After": "0"})
        emu.fail_next("*", status=500, body=b"<html>oops</html>")
        emu.fail_next("*", status=200, body={"data": []}, delay=1.0)
        for call in (
            lambda: client.countries.list(),
            lambda: client.messages.send_text("628123456789", "hi"),
            lambda: client.countries.list(),
        ):
            try:
                await call()
            except ivowaba.IvowabaError as error:
                seen += [repr(error), str(error), _chain(error), repr(vars(error))]
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9") as down:
        with pytest.raises(ivowaba.APIConnectionError) as caught:
            await down.countries.list()
        seen += [repr(caught.value), _chain(caught.value)]
    sync = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url)
    seen += [repr(sync), str(sync)]
    sync.close()

    records = caplog.records
    assert any("send-text-message -> 200" in r.getMessage() for r in records)
    assert any("-> 401" in r.getMessage() for r in records)
    for record in records:
        seen += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    assert len(seen) > 10
    assert not [text for text in seen if API_KEY in text]


async def test_webhook_password_is_hidden(aclient: ivowaba.AsyncClient, emu: Emulator) -> None:
    emu.set_webhook("http://webhook.me/x", "user", "password")
    [webhook] = await aclient.webhooks.list()
    assert webhook.http_auth is not None
    assert webhook.http_auth.password == "password"  # kept, for whoever needs it
    assert "password'" not in repr(webhook)
    assert "***" in repr(webhook)


def test_ivowaba_log_env_switches_debug_logging_on() -> None:
    code = (
        "import asyncio, ivowaba\n"
        "async def main():\n"
        "    async with ivowaba.AsyncClient(api_key='sk-hidden-1', base_url='http://127.0.0.1:9',"
        " max_retries=0) as c:\n"
        "        try:\n"
        "            await c.countries.list()\n"
        "        except ivowaba.APIConnectionError:\n"
        "            pass\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"IVOWABA_LOG": "debug", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "GET /api/v1/countries -> ClientConnectorError" in result.stderr
    assert "sk-hidden-1" not in result.stderr


def test_logging_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVOWABA_LOG", raising=False)
    before = list(_logging.logger.handlers)
    _logging.setup_from_env()
    assert _logging.logger.handlers == before
