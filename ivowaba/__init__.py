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

from ivowaba._version import __version__

if TYPE_CHECKING:
    from ivowaba import testing, webhooks
    from ivowaba._client import AsyncClient
    from ivowaba._config import Timeout
    from ivowaba._errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigError,
        IvowabaError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseDecodeError,
        SandboxUnsupportedError,
        ServerError,
        UnprocessableEntityError,
        ValidationError,
        WebhookAuthError,
        WebhookError,
        WebhookParseError,
    )
    from ivowaba._outbound import message_from_dict
    from ivowaba._ratelimit import RateLimiter
    from ivowaba._sync import Client
    from ivowaba.types.contacts import (
        ContactAddress,
        ContactCard,
        ContactCheck,
        ContactEmail,
        ContactName,
        ContactOrg,
        ContactPhone,
        ContactUrl,
    )
    from ivowaba.types.messages import (
        ContactsMessage,
        FlowMessage,
        InteractiveHeader,
        ListMessage,
        ListRow,
        ListSection,
        LocationMessage,
        MediaMessage,
        MediaObject,
        OutboundMessage,
        ProductItem,
        ProductListMessage,
        ProductMessage,
        ProductSection,
        ReplyButton,
        ReplyButtonsMessage,
        TemplateComponent,
        TemplateMessage,
        TemplateParameter,
        TextMessage,
    )
    from ivowaba.types.resources import (
        BusinessProfile,
        Country,
        Media,
        Page,
        Pagination,
        SentMessage,
        Webhook,
    )
    from ivowaba.types.templates import (
        Template,
        TemplateBodySpec,
        TemplateButtonSpec,
        TemplateCategory,
        TemplateHeaderSpec,
        TemplateLanguage,
        TemplateOtpSpec,
    )

_ERRORS = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "IvowabaError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "SandboxUnsupportedError",
    "ServerError",
    "UnprocessableEntityError",
    "ValidationError",
    "WebhookAuthError",
    "WebhookError",
    "WebhookParseError",
]
_CONTACTS = [
    "ContactAddress",
    "ContactCard",
    "ContactCheck",
    "ContactEmail",
    "ContactName",
    "ContactOrg",
    "ContactPhone",
    "ContactUrl",
]
_MESSAGES = [
    "ContactsMessage",
    "FlowMessage",
    "InteractiveHeader",
    "ListMessage",
    "ListRow",
    "ListSection",
    "LocationMessage",
    "MediaMessage",
    "MediaObject",
    "OutboundMessage",
    "ProductItem",
    "ProductListMessage",
    "ProductMessage",
    "ProductSection",
    "ReplyButton",
    "ReplyButtonsMessage",
    "TemplateComponent",
    "TemplateMessage",
    "TemplateParameter",
    "TextMessage",
]
_RESOURCES = ["BusinessProfile", "Country", "Media", "Page", "Pagination", "SentMessage", "Webhook"]
_TEMPLATES = [
    "Template",
    "TemplateBodySpec",
    "TemplateButtonSpec",
    "TemplateCategory",
    "TemplateHeaderSpec",
    "TemplateLanguage",
    "TemplateOtpSpec",
]

#: Where each public name lives.
_LAZY: dict[str, str] = {
    "AsyncClient": "ivowaba._client",
    "Client": "ivowaba._sync",
    "Timeout": "ivowaba._config",
    "RateLimiter": "ivowaba._ratelimit",
    "message_from_dict": "ivowaba._outbound",
    **dict.fromkeys(_ERRORS, "ivowaba._errors"),
    **dict.fromkeys(_CONTACTS, "ivowaba.types.contacts"),
    **dict.fromkeys(_MESSAGES, "ivowaba.types.messages"),
    **dict.fromkeys(_RESOURCES, "ivowaba.types.resources"),
    **dict.fromkeys(_TEMPLATES, "ivowaba.types.templates"),
}
_SUBMODULES = frozenset({"webhooks", "testing", "types", "resources"})

__all__ = ["__version__", *_LAZY, "testing", "webhooks"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        import msgspec

        value = getattr(importlib.import_module(module), name)
        if (
            isinstance(value, type)
            and value.__module__.startswith("ivowaba.")
            and not issubclass(value, msgspec.Struct)  # msgspec resolves annotations by module
        ):
            value.__module__ = "ivowaba"  # tracebacks and reprs say ivowaba.X, never a private path
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"ivowaba.{name}")
    raise AttributeError(f"module 'ivowaba' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
