"""A local IVOWBA for tests, demos and benchmarks: ``Emulator``, and the ``ivowaba_emulator``,
``ivowaba_client`` and ``ivowaba_async_client`` pytest fixtures (registered when ivowaba is
installed; the clients talk to that emulator and are closed after the test).

```python
from ivowaba.testing import Emulator

async with Emulator() as emu:
    client = ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url)
    await client.messages.send_text("628123456789", "hello")
    assert emu.outbox[0].body == {"wa_id": "628123456789", "text": "hello"}
```

Retries in tests need not wait: ``with ivowaba.testing.no_backoff() as waits:`` retries at
once and records in ``waits`` the seconds each retry would have waited (``Retry-After``, or
the backoff).

The names load on first use, so importing this package (as pytest does for the fixture)
does not import aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivowaba._retry import no_backoff
    from ivowaba.testing._emulator import Emulator
    from ivowaba.testing._notifications import DeliveryAttempt, Webhook
    from ivowaba.testing._records import OutboxEntry, RecordedRequest, StoredMedia

__all__ = [
    "DeliveryAttempt",
    "Emulator",
    "OutboxEntry",
    "RecordedRequest",
    "StoredMedia",
    "Webhook",
    "no_backoff",
]

_WHERE = {
    "Emulator": "ivowaba.testing._emulator",
    "DeliveryAttempt": "ivowaba.testing._notifications",
    "Webhook": "ivowaba.testing._notifications",
    "OutboxEntry": "ivowaba.testing._records",
    "RecordedRequest": "ivowaba.testing._records",
    "StoredMedia": "ivowaba.testing._records",
    "no_backoff": "ivowaba._retry",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'ivowaba.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
