"""ivowaba: the Python SDK for IVOWBA, Ivosights' WhatsApp Business API gateway.

```python
import ivowaba

async with ivowaba.AsyncClient() as client:          # api_key from IVOWABA_API_KEY
    sent = await client.messages.send_text("628123456789", "hello")

with ivowaba.Client() as client:                     # the same surface, blocking
    client.messages.send_text("628123456789", "hello")
```

Public names are loaded on first use, so ``import ivowaba`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ivowaba._version import __version__ as __version__

if TYPE_CHECKING:
    from ivowaba import testing as testing
    from ivowaba import webhooks as webhooks
    from ivowaba._client import AsyncClient as AsyncClient
    from ivowaba._config import Timeout as Timeout
    from ivowaba._errors import *  # noqa: F403
    from ivowaba._hooks import RequestEvent as RequestEvent
    from ivowaba._hooks import ResponseEvent as ResponseEvent
    from ivowaba._hooks import RetryEvent as RetryEvent
    from ivowaba._outbound import message_from_dict as message_from_dict
    from ivowaba._ratelimit import RateLimiter as RateLimiter
    from ivowaba._resource import RawResponse as RawResponse
    from ivowaba._sync import Client as Client
    from ivowaba.types.contacts import *  # noqa: F403
    from ivowaba.types.messages import *  # noqa: F403
    from ivowaba.types.resources import *  # noqa: F403
    from ivowaba.types.templates import *  # noqa: F403

#: Where each public name outside the lists below lives.
_SINGLE: dict[str, str] = {
    "AsyncClient": "ivowaba._client",
    "Client": "ivowaba._sync",
    "Timeout": "ivowaba._config",
    "RateLimiter": "ivowaba._ratelimit",
    "message_from_dict": "ivowaba._outbound",
    "RequestEvent": "ivowaba._hooks",
    "ResponseEvent": "ivowaba._hooks",
    "RetryEvent": "ivowaba._hooks",
    "RawResponse": "ivowaba._resource",
}
#: The modules whose ``__all__`` are public here too: each list is written there, once.
_LISTED = (
    "ivowaba._errors",
    "ivowaba.types.contacts",
    "ivowaba.types.messages",
    "ivowaba.types.resources",
    "ivowaba.types.templates",
)
_SUBMODULES = frozenset({"webhooks", "testing", "types", "resources", "outcomes"})


def _public_names() -> list[str]:
    names = ["__version__", *_SINGLE, "testing", "webhooks"]
    for module in _LISTED:
        names += importlib.import_module(module).__all__
    return names


def __getattr__(name: str) -> Any:
    if name == "__all__":  # for `from ivowaba import *` and dir(): every list, loaded
        value: Any = _public_names()
    elif name in _SINGLE:
        value = getattr(importlib.import_module(_SINGLE[name]), name)
    elif name in _SUBMODULES:
        return importlib.import_module(f"ivowaba.{name}")
    else:
        for module_name in _LISTED:
            module = importlib.import_module(module_name)
            if name in module.__all__:
                value = getattr(module, name)
                break
        else:
            raise AttributeError(f"module 'ivowaba' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(_public_names())
