from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import ivowaba
import ivowaba.testing
from ivowaba.testing import Emulator
from tests import _aioresponses_compat

_aioresponses_compat.install()

API_KEY = "sk-test-planted-secret-4f2a9c"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _instant_retries() -> Iterator[None]:
    """No test sleeps through a retry's backoff: the waits are recorded, not slept (tests of
    the waits themselves read them from ``ivowaba.testing.no_backoff()``)."""
    with ivowaba.testing.no_backoff():
        yield


@pytest.fixture(scope="module")
def _module_emulator() -> Iterator[Emulator]:
    """One per test module: stopped when the module is done, so that the emulator's own
    lifecycle tests find no emulator thread running."""
    with Emulator(api_key=API_KEY) as emu:
        yield emu


@pytest.fixture
def emu(_module_emulator: Emulator) -> Iterator[Emulator]:
    """The emulator the ``aclient``, ``client`` and ``both`` fixtures talk to, reset before
    and after each test. Script answers with ``emu.fail_next("*", ...)``
    (the next request, whatever its route), read what arrived in ``emu.requests``."""
    _module_emulator.reset()
    yield _module_emulator
    _module_emulator.reset()


@pytest.fixture
async def aclient(emu: Emulator) -> AsyncIterator[ivowaba.AsyncClient]:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, max_retries=0) as c:
        yield c


@pytest.fixture
def client(emu: Emulator) -> Iterator[ivowaba.Client]:
    with ivowaba.Client(api_key=API_KEY, base_url=emu.base_url, max_retries=0) as c:
        yield c


class Both:
    """Calls an operation through either client, returning its result."""

    def __init__(self, target: ivowaba.AsyncClient | ivowaba.Client) -> None:
        self.target = target
        self.kind = "async" if isinstance(target, ivowaba.AsyncClient) else "sync"

    async def __call__(self, operation: Any) -> Any:
        result = operation(self.target)
        if inspect.isawaitable(result):
            return await result
        return result


@contextlib.asynccontextmanager
async def client_of_kind(kind: str, **options: Any) -> AsyncIterator[Both]:
    """An ``AsyncClient`` (``kind="async"``) or a ``Client`` (``"sync"``) with ``options``,
    closed afterwards."""
    if kind == "async":
        async with ivowaba.AsyncClient(**options) as client:
            yield Both(client)
    else:
        with ivowaba.Client(**options) as sync_client:
            yield Both(sync_client)


@pytest.fixture(params=["async", "sync"])
async def both(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[Both]:
    """The same test through ``AsyncClient`` and through ``Client``."""
    async with client_of_kind(
        request.param, api_key=API_KEY, base_url=emu.base_url, max_retries=0
    ) as through:
        yield through


def wire_examples() -> list[dict[str, Any]]:
    """The reference's 42 example requests (a copy of the vendor's wire-examples.json)."""
    return json.loads((FIXTURES / "wire-examples.json").read_text())  # type: ignore[no-any-return]
