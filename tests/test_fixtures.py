"""The pytest fixtures the ``pytest11`` entry point gives every project: ``ivowaba_client`` and
``ivowaba_async_client`` talk to ``ivowaba_emulator`` and are closed after the test, under
pytest-asyncio (strict mode, the default) and under anyio's plugin alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ivowaba
from ivowaba.testing import Emulator

pytest_plugins = ["pytester"]


def test_the_blocking_client_talks_to_the_emulator(
    ivowaba_client: ivowaba.Client, ivowaba_emulator: Emulator
) -> None:
    sent = ivowaba_client.messages.send_text("628123456789", "hello")
    assert ivowaba_client.base_url == ivowaba_emulator.base_url
    assert [(m.id, m.wa_id) for m in ivowaba_emulator.outbox] == [(sent.id, "628123456789")]


async def test_the_async_client_talks_to_the_emulator(
    ivowaba_async_client: ivowaba.AsyncClient, ivowaba_emulator: Emulator
) -> None:
    sent = await ivowaba_async_client.messages.send_text("628123456789", "hello")
    assert ivowaba_async_client.base_url == ivowaba_emulator.base_url
    assert [m.id for m in ivowaba_emulator.outbox] == [sent.id]


@pytest.mark.ivowaba_emulator(api_key="sk-marker-key")
def test_the_clients_follow_the_emulator_the_marker_made(
    ivowaba_client: ivowaba.Client, ivowaba_emulator: Emulator
) -> None:
    assert ivowaba_emulator.api_key == "sk-marker-key"
    ivowaba_client.messages.send_text("628123456789", "hello")  # accepted: the same key
    assert [r.headers.get("X-API-KEY") for r in ivowaba_emulator.requests] == ["sk-marker-key"]


INNER = """
import re
from pathlib import Path

import pytest

import ivowaba

used = {}


def test_blocking(ivowaba_client, ivowaba_emulator):
    ivowaba_client.messages.send_text("628123456789", "hi")
    used["blocking"] = ivowaba_client


@pytest.mark.asyncio
async def test_under_pytest_asyncio(ivowaba_async_client, ivowaba_emulator):
    await ivowaba_async_client.messages.send_text("628123456789", "hi")
    assert len(ivowaba_emulator.outbox) == 1
    used["pytest-asyncio"] = ivowaba_async_client


@pytest.mark.anyio
async def test_under_anyio(ivowaba_async_client):
    await ivowaba_async_client.messages.send_text("628123456789", "hi")
    used["anyio"] = ivowaba_async_client


def test_each_was_closed_after_its_test():
    assert sorted(used) == ["anyio", "blocking", "pytest-asyncio"]
    assert [name for name, client in used.items() if not client.closed] == []
    with pytest.raises(ivowaba.ClientClosedError):
        used["blocking"].messages.send_text("628123456789", "too late")
"""


def test_the_clients_are_closed_after_each_test_and_leak_nothing(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_inner=INNER)
    # -W error: an unclosed session or connector (a ResourceWarning) would fail the run
    quick = ("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:hypothesispytest")
    result = pytester.runpytest_inprocess("-W", "error", *quick, "-p", "no:pytest_cov")
    result.assert_outcomes(passed=4)


def _testing_guide_plugin_example() -> str:
    """The pytest module docs/guides/testing.md shows for the plugin's fixtures."""
    guide = Path(__file__).resolve().parent.parent / "docs" / "guides" / "testing.md"
    blocks = re.findall(r"^```python\n(.*?)^```$", guide.read_text("utf-8"), re.M | re.S)
    [example] = [block for block in blocks if "ivowaba_async_client" in block]
    return str(example)


def test_the_testing_guides_plugin_example_passes_in_strict_mode(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_guide=_testing_guide_plugin_example())
    quick = ("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:hypothesispytest")
    result = pytester.runpytest_inprocess("-W", "error", *quick, "-p", "no:pytest_cov")
    result.assert_outcomes(passed=2)
