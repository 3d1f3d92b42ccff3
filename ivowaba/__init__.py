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
    from ivowaba import testing as testing
    from ivowaba import webhooks as webhooks
    from ivowaba._client import AsyncClient as AsyncClient
    from ivowaba._config import Timeout as Timeout
    from ivowaba._errors import (
        APIConnectionError as APIConnectionError,
    )
    from ivowaba._errors import (
        APIStatusError as APIStatusError,
    )
    from ivowaba._errors import (
        APITimeoutError as APITimeoutError,
    )
    from ivowaba._errors import (
        AuthenticationError as AuthenticationError,
    )
    from ivowaba._errors import (
        BadRequestError as BadRequestError,
    )
    from ivowaba._errors import (
        ClientClosedError as ClientClosedError,
    )
    from ivowaba._errors import (
        ConfigError as ConfigError,
    )
    from ivowaba._errors import (
        IvowabaError as IvowabaError,
    )
    from ivowaba._errors import (
        NotFoundError as NotFoundError,
    )
    from ivowaba._errors import (
        PermissionDeniedError as PermissionDeniedError,
    )
    from ivowaba._errors import (
        RateLimitError as RateLimitError,
    )
    from ivowaba._errors import (
        ResponseDecodeError as ResponseDecodeError,
    )
    from ivowaba._errors import (
        ResponseTooLargeError as ResponseTooLargeError,
    )
    from ivowaba._errors import (
        SandboxUnsupportedError as SandboxUnsupportedError,
    )
    from ivowaba._errors import (
        ServerError as ServerError,
    )
    from ivowaba._errors import (
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from ivowaba._errors import (
        ValidationError as ValidationError,
    )
    from ivowaba._errors import (
        WebhookAuthError as WebhookAuthError,
    )
    from ivowaba._errors import (
        WebhookError as WebhookError,
    )
    from ivowaba._errors import (
        WebhookParseError as WebhookParseError,
    )
    from ivowaba._outbound import message_from_dict as message_from_dict
    from ivowaba._ratelimit import RateLimiter as RateLimiter
    from ivowaba._sync import Client as Client
    from ivowaba.types.contacts import (
        ContactAddress as ContactAddress,
    )
    from ivowaba.types.contacts import (
        ContactCard as ContactCard,
    )
    from ivowaba.types.contacts import (
        ContactCheck as ContactCheck,
    )
    from ivowaba.types.contacts import (
        ContactEmail as ContactEmail,
    )
    from ivowaba.types.contacts import (
        ContactName as ContactName,
    )
    from ivowaba.types.contacts import (
        ContactOrg as ContactOrg,
    )
    from ivowaba.types.contacts import (
        ContactPhone as ContactPhone,
    )
    from ivowaba.types.contacts import (
        ContactUrl as ContactUrl,
    )
    from ivowaba.types.messages import (
        ContactsMessage as ContactsMessage,
    )
    from ivowaba.types.messages import (
        FlowMessage as FlowMessage,
    )
    from ivowaba.types.messages import (
        InteractiveHeader as InteractiveHeader,
    )
    from ivowaba.types.messages import (
        ListMessage as ListMessage,
    )
    from ivowaba.types.messages import (
        ListRow as ListRow,
    )
    from ivowaba.types.messages import (
        ListSection as ListSection,
    )
    from ivowaba.types.messages import (
        LocationMessage as LocationMessage,
    )
    from ivowaba.types.messages import (
        MediaMessage as MediaMessage,
    )
    from ivowaba.types.messages import (
        MediaObject as MediaObject,
    )
    from ivowaba.types.messages import (
        OutboundMessage as OutboundMessage,
    )
    from ivowaba.types.messages import (
        ProductItem as ProductItem,
    )
    from ivowaba.types.messages import (
        ProductListMessage as ProductListMessage,
    )
    from ivowaba.types.messages import (
        ProductMessage as ProductMessage,
    )
    from ivowaba.types.messages import (
        ProductSection as ProductSection,
    )
    from ivowaba.types.messages import (
        ReplyButton as ReplyButton,
    )
    from ivowaba.types.messages import (
        ReplyButtonsMessage as ReplyButtonsMessage,
    )
    from ivowaba.types.messages import (
        TemplateComponent as TemplateComponent,
    )
    from ivowaba.types.messages import (
        TemplateMessage as TemplateMessage,
    )
    from ivowaba.types.messages import (
        TemplateParameter as TemplateParameter,
    )
    from ivowaba.types.messages import (
        TextMessage as TextMessage,
    )
    from ivowaba.types.resources import (
        BusinessProfile as BusinessProfile,
    )
    from ivowaba.types.resources import (
        Country as Country,
    )
    from ivowaba.types.resources import (
        Media as Media,
    )
    from ivowaba.types.resources import (
        Page as Page,
    )
    from ivowaba.types.resources import (
        Pagination as Pagination,
    )
    from ivowaba.types.resources import (
        SentMessage as SentMessage,
    )
    from ivowaba.types.resources import (
        Webhook as Webhook,
    )
    from ivowaba.types.templates import (
        Template as Template,
    )
    from ivowaba.types.templates import (
        TemplateBodySpec as TemplateBodySpec,
    )
    from ivowaba.types.templates import (
        TemplateButtonSpec as TemplateButtonSpec,
    )
    from ivowaba.types.templates import (
        TemplateCategory as TemplateCategory,
    )
    from ivowaba.types.templates import (
        TemplateHeaderSpec as TemplateHeaderSpec,
    )
    from ivowaba.types.templates import (
        TemplateLanguage as TemplateLanguage,
    )
    from ivowaba.types.templates import (
        TemplateOtpSpec as TemplateOtpSpec,
    )

_ERRORS = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigError",
    "IvowabaError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
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
