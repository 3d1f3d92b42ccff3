"""What ``messages.send_many`` yields: one result per input message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivowaba._errors import sent_state


@dataclass(frozen=True, slots=True)
class BulkResult:
    """The outcome of one message of a batch: exactly one of ``id`` and ``error`` is set.

    - ``index``: the message's position in the input (0-based).
    - ``message``: the input item itself (a struct or a dict), for your bookkeeping.
    - ``id``: the WhatsApp message id, when it was accepted.
    - ``error``: why it was not: a ``ValidationError``, an ``APIStatusError``, an
      ``APIConnectionError``, ...
    """

    index: int
    message: Any
    id: str | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def sent(self) -> bool | None:
        """``True``: accepted. ``False``: surely not sent (bad input, a 4xx answer, no
        connection made), so sending it again is safe. ``None``: it may have been (any 5xx, a
        timeout or a connection dropped after the request left): look before sending it again.
        The rule is :func:`ivowaba._errors.sent_state`."""
        return sent_state(self.error)
