"""What the read operations return: countries, media, business profile, webhooks, pages."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from ivowaba.types._base import Inbound

__all__ = [
    "BusinessProfile",
    "Country",
    "Media",
    "Page",
    "Pagination",
    "SentMessage",
    "Webhook",
]

T = TypeVar("T")


class SentMessage(Inbound):
    """An accepted outbound message; ``id`` is what status notifications refer to."""

    id: str


class Country(Inbound):
    id: str
    name: str
    dial_code: str | None = None
    iso: str | None = None
    iso3: str | None = None


class Media(msgspec.Struct, kw_only=True):
    """A downloaded media file."""

    content: bytes
    content_type: str
    filename: str | None = None

    def __repr__(self) -> str:
        return (
            f"Media(content=<{len(self.content)} bytes>, content_type={self.content_type!r}, "
            f"filename={self.filename!r})"
        )


class BusinessProfile(Inbound):
    address: str | None = None
    description: str | None = None
    email: str | None = None
    vertical: str | None = None
    websites: list[str] = msgspec.field(default_factory=list)


class WebhookAuth(Inbound):
    """A webhook's basic-auth settings. The password is kept but never shown in a repr."""

    status: str | None = None
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        hidden = "'***'" if self.password else "None"
        return f"WebhookAuth(status={self.status!r}, username={self.username!r}, password={hidden})"


class Webhook(Inbound):
    id: str
    name: str | None = None
    url: str | None = None
    events: list[Any] = msgspec.field(default_factory=list)
    headers: Any = None
    status: str | None = None
    http_auth: WebhookAuth | None = None


class Pagination(Inbound):
    total: int | None = None
    count: int | None = None
    per_page: int | None = None
    current_page: int | None = None
    total_pages: int | None = None
    links: dict[str, Any] = msgspec.field(default_factory=dict)


class Page(Inbound, Generic[T]):
    """One page of a listing: ``data`` and the server's ``pagination``."""

    data: list[T]
    pagination: Pagination

    @property
    def has_next(self) -> bool:
        p = self.pagination
        if p.current_page is None or p.total_pages is None:
            return False
        return p.current_page < p.total_pages
