"""The ``ivowaba_emulator`` pytest fixture, registered through the ``pytest11`` entry point.

```python
def test_sends_greeting(ivowaba_emulator):
    client = ivowaba.Client(api_key=ivowaba_emulator.api_key, base_url=ivowaba_emulator.base_url)
    client.messages.send_text("628123456789", "hello")
    assert ivowaba_emulator.outbox[0].wa_id == "628123456789"
```

The emulator runs in its own thread, so the fixture serves blocking and async tests alike.
Constructor arguments go in a marker:
``@pytest.mark.ivowaba_emulator(webhook_url=..., per_page=2)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
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
