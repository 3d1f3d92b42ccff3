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
wsgi = wsgi_app(dispatcher, username="ivo", password="secret")     # Flask, gunicorn, waitress
```

- :func:`parse` reads one body into a :class:`Notification`, in either shape: the
  reference's format or the WhatsApp Cloud API envelope (``{"object":
  "whatsapp_business_account", "entry": [...]}``), with no configuration; so do the receivers
  and :meth:`Dispatcher.replay`.
- :class:`ErrorCode` is the table of WhatsApp's error codes (both families: 470 and 131047,
  480, 131026, 131050, 130429...), each with its meaning and :class:`Remedy`;
  ``error.retryable`` and ``status.is_retryable_failure`` come from it.
- :class:`Dispatcher` runs your handlers, once per message and per status;
  ``dispatcher.replay(await client.webhooks.pull_pending(webhook_id))`` recovers what the
  gateway could not deliver.
- :func:`create_app` (aiohttp), :func:`asgi_app` (any ASGI server), :func:`wsgi_app` (any
  WSGI server, Flask) and :func:`django_view` (a Django view) answer the gateway.
- ``await dispatcher.wait_for_reply(wa_id, timeout=...)`` returns a customer's next message
  (``wait_for_reply_sync`` in blocking code); across processes with a ``RedisDedupStore``.
- :func:`verify_basic_auth` checks the gateway's credentials, for a server of your own.

``aiohttp.web`` is imported only when :func:`create_app` is first used, Django only when
:func:`django_view` is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ivowaba._errors import ReplyTimeoutError, WebhookAuthError, WebhookError, WebhookParseError
from ivowaba.types import notifications as _notifications
from ivowaba.types.notifications import *  # noqa: F403 - the typed notifications: their __all__
from ivowaba.webhooks._asgi import WebhookASGIApp, asgi_app
from ivowaba.webhooks._auth import require_basic_auth, verify_basic_auth
from ivowaba.webhooks._dedup import DedupStore, MemoryDedupStore
from ivowaba.webhooks._dispatcher import Dispatcher, ReplayResult
from ivowaba.webhooks._parse import parse
from ivowaba.webhooks._receiver import DEFAULT_MAX_BODY, DEFAULT_READ_TIMEOUT
from ivowaba.webhooks._replies import MemoryReplyChannel, ReplyChannel, ReplyWaiter
from ivowaba.webhooks._wsgi import WebhookWSGIApp, wsgi_app

if TYPE_CHECKING:
    from ivowaba.webhooks._aiohttp_app import create_app
    from ivowaba.webhooks._django import django_view

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_READ_TIMEOUT",
    "DedupStore",
    "Dispatcher",
    "MemoryDedupStore",
    "MemoryReplyChannel",
    "ReplayResult",
    "ReplyChannel",
    "ReplyTimeoutError",
    "ReplyWaiter",
    "WebhookASGIApp",
    "WebhookAuthError",
    "WebhookError",
    "WebhookParseError",
    "WebhookWSGIApp",
    "asgi_app",
    "create_app",
    "django_view",
    "parse",
    "require_basic_auth",
    "verify_basic_auth",
    "wsgi_app",
]
__all__ += _notifications.__all__

for _obj in (
    Dispatcher,
    ReplayResult,
    MemoryDedupStore,
    MemoryReplyChannel,
    ReplyChannel,
    ReplyWaiter,
    WebhookASGIApp,
    WebhookWSGIApp,
    parse,
    asgi_app,
    wsgi_app,
):
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
    if name == "django_view":  # imports django: only when asked for
        from ivowaba.webhooks._django import django_view

        django_view.__module__ = __name__
        globals()["django_view"] = django_view
        return django_view
    raise AttributeError(f"module 'ivowaba.webhooks' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
