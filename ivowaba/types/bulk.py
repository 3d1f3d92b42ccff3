"""What ``messages.send_many`` yields: one result per input message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivowaba._errors import APIConnectionError, APIStatusError, ValidationError


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
        """``True``: accepted. ``False``: surely not sent (bad input, an error answer, no
        connection), so sending it again is safe. ``None``: it may have been (the connection
        broke after the request left): look before sending it again."""
        error = self.error
        if error is None:
            return True
        if isinstance(error, (ValidationError, APIStatusError)):
            return False
        if isinstance(error, APIConnectionError) and error.never_sent:
            return False
        return None
