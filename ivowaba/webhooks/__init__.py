"""Receive IVOWBA webhooks: typed notifications, routing, de-duplication, recovery.

```python
from ivowaba.webhooks import Dispatcher, InboundText, Status, asgi_app, create_app

dispatcher = Dispatcher()

@dispatcher.on_message("text")
async def on_text(message: InboundText) -> None:
    print(message.from_, message.text.body)

@dispatcher.on_status("failed")
def on_failure(status: Status) -> None:
    print(status.id, status.errors[0].code, status.is_retryable_failure)

app = create_app(dispatcher, username="ivo", password="secret")   # aiohttp
asgi = asgi_app(dispatcher, username="ivo", password="secret")     # FastAPI, Starlette, uvicorn
```

- :func:`parse` reads one body into a :class:`Notification`.
- :class:`Dispatcher` runs your handlers, once per message and per status;
  ``dispatcher.replay(await client.webhooks.pull_pending(webhook_id))`` recovers what the
  gateway could not deliver.
- :func:`create_app` (aiohttp) and :func:`asgi_app` (any ASGI server) answer the gateway.
- :func:`verify_basic_auth` checks the gateway's credentials, for a server of your own.

``aiohttp.web`` is imported only when :func:`create_app` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ivowaba._errors import WebhookAuthError, WebhookError, WebhookParseError
from ivowaba.types import notifications as _notifications
from ivowaba.types.notifications import *  # noqa: F403 - the typed notifications: their __all__
from ivowaba.webhooks._asgi import WebhookASGIApp, asgi_app
from ivowaba.webhooks._auth import require_basic_auth, verify_basic_auth
from ivowaba.webhooks._dedup import DedupStore, MemoryDedupStore
from ivowaba.webhooks._dispatcher import Dispatcher, ReplayResult
from ivowaba.webhooks._parse import parse
from ivowaba.webhooks._receiver import DEFAULT_MAX_BODY, DEFAULT_READ_TIMEOUT

if TYPE_CHECKING:
    from ivowaba.webhooks._aiohttp_app import create_app

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_READ_TIMEOUT",
    "DedupStore",
    "Dispatcher",
    "MemoryDedupStore",
    "ReplayResult",
    "WebhookASGIApp",
    "WebhookAuthError",
    "WebhookError",
    "WebhookParseError",
    "asgi_app",
    "create_app",
    "parse",
    "require_basic_auth",
    "verify_basic_auth",
]
__all__ += _notifications.__all__

for _obj in (Dispatcher, ReplayResult, MemoryDedupStore, WebhookASGIApp, parse, asgi_app):
    _obj.__module__ = __name__
verify_basic_auth.__module__ = __name__
require_basic_auth.__module__ = __name__
del _obj


def __getattr__(name: str) -> Any:
    if name == "create_app":  # imports aiohttp.web: only when asked for
        from ivowaba.webhooks._aiohttp_app import create_app

        create_app.__module__ = __name__
        globals()["create_app"] = create_app
        return create_app
    raise AttributeError(f"module 'ivowaba.webhooks' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
