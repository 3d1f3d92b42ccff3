"""The ``ivowaba_emulator``, ``ivowaba_client`` and ``ivowaba_async_client`` pytest fixtures,
registered through the ``pytest11`` entry point.

```python
def test_sends_greeting(ivowaba_client, ivowaba_emulator):
    ivowaba_client.messages.send_text("628123456789", "hello")
    assert ivowaba_emulator.outbox[0].wa_id == "628123456789"

async def test_sends_greeting_async(ivowaba_async_client, ivowaba_emulator):
    await ivowaba_async_client.messages.send_text("628123456789", "hello")
```

The emulator runs in its own thread, so the fixtures serve blocking and async tests alike.
Constructor arguments go in a marker:
``@pytest.mark.ivowaba_emulator(webhook_url=..., per_page=2)``. The clients are pointed at
that emulator (its base URL and API key) and closed after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import ivowaba
    from ivowaba.testing import Emulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ivowaba_emulator(**kwargs): arguments of the Emulator the ivowaba_emulator fixture starts",
    )


@pytest.fixture
def ivowaba_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A started ``ivowaba.testing.Emulator``, stopped after the test."""
    from ivowaba.testing import Emulator

    marker = request.node.get_closest_marker("ivowaba_emulator")
    kwargs = marker.kwargs if marker is not None else {}
    with Emulator(**kwargs) as emulator:
        yield emulator


@pytest.fixture
def ivowaba_client(ivowaba_emulator: Emulator) -> Iterator[ivowaba.Client]:
    """An ``ivowaba.Client`` talking to ``ivowaba_emulator``, closed after the test."""
    import ivowaba

    with ivowaba.Client(
        api_key=ivowaba_emulator.api_key, base_url=ivowaba_emulator.base_url
    ) as client:
        yield client


@pytest.fixture
def ivowaba_async_client(ivowaba_emulator: Emulator) -> Iterator[ivowaba.AsyncClient]:
    """An ``ivowaba.AsyncClient`` talking to ``ivowaba_emulator``, closed after the test.

    A plain fixture, so that it serves with pytest-asyncio in either mode and with anyio's
    plugin alike: the client opens its pool on the test's event loop, on first use, and
    that pool is closed when the loop shuts down; after the test the client is closed
    (any later call raises ``ClientClosedError``).
    """
    import ivowaba

    client = ivowaba.AsyncClient(
        api_key=ivowaba_emulator.api_key, base_url=ivowaba_emulator.base_url
    )
    try:
        yield client
    finally:
        _close_outside_a_loop(client)


def _close_outside_a_loop(client: ivowaba.AsyncClient) -> None:
    """``await client.aclose()``, from a fixture's teardown, where no loop runs. Outside its
    pool's loop ``aclose`` only marks the client closed and leaves the pool to that loop's
    shutdown: it never suspends, so it is run to its end here without a loop."""
    closing = client.aclose()
    try:
        closing.send(None)
    except StopIteration:
        return
    else:  # pragma: no cover - it suspended: it cannot, outside a loop
        closing.close()
        raise RuntimeError("AsyncClient.aclose() waited outside an event loop")
