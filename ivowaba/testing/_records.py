"""What the emulator keeps for a test to read: sent messages, received requests, media."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import msgspec


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message the emulator accepted.

    - ``id``: the message id it answered (status notifications refer to it).
    - ``endpoint``: ``"send-text-message"``, ``"send-template-message"``, ...
    - ``operation``: the SDK's name for it: ``"messages.send_text"``, ...
    - ``wa_id``: the recipient; ``body``: the decoded request body.
    - ``sandbox``: whether it came in under ``/sandbox``.
    """

    id: str
    endpoint: str
    operation: str
    wa_id: str
    body: dict[str, Any]
    sandbox: bool
    timestamp: float


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as it reached the emulator, before any check (faulted ones included).

    ``operation`` is ``None`` for a path that is no operation (answered 404 or 405).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    operation: str | None
    sandbox: bool

    def json(self) -> Any:
        """The body decoded as JSON (raises ``msgspec.DecodeError`` when it is not)."""
        return msgspec.json.decode(self.body)

    @property
    def content_type(self) -> str:
        """The body's media type: ``Content-Type`` without its parameters, lower case
        (``application/octet-stream`` when the request gave none)."""
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value.partition(";")[0].strip().lower()
        return "application/octet-stream"


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """A media file the emulator serves: ``GET /api/v1/media/{id}``."""

    content: bytes
    content_type: str
    filename: str | None = None
    sha256: str = field(default="")

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())
