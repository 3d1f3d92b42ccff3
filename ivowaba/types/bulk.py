"""What ``messages.send_many`` yields: one result per input message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ivowaba._errors import sent_state

#: ``BulkResult.skipped`` of a message to a number that opted out (it sent STOP).
OPTED_OUT: Final = "opted_out"
#: ``BulkResult.skipped`` of a free-form message to a number outside its 24-hour window.
WINDOW_CLOSED: Final = "window_closed"


@dataclass(frozen=True, slots=True)
class BulkResult:
    """The outcome of one message of a batch: exactly one of ``id``, ``error`` and
    ``skipped`` is set.

    - ``index``: the message's position in the input (0-based).
    - ``message``: the input item itself (a struct or a dict), for your bookkeeping.
    - ``id``: the WhatsApp message id, when it was accepted.
    - ``error``: why it was not: a ``ValidationError``, an ``APIStatusError``, an
      ``APIConnectionError``, ...
    - ``skipped``: why it was left out on purpose, before any request, by the outcome store:
      ``"opted_out"`` (the number opted out) or ``"window_closed"`` (a free-form message to a
      number that has not written in the last 24 hours). ``None`` otherwise.
    """

    index: int
    message: Any
    id: str | None = None
    error: Exception | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        """Whether it was accepted (``id`` is set): not for a failed or a skipped message."""
        return self.error is None and self.skipped is None

    @property
    def sent(self) -> bool | None:
        """``True``: accepted. ``False``: surely not sent (bad input, a 4xx answer, no
        connection made, or skipped), so sending it again cannot duplicate it. ``None``: it
        may have been (any 5xx, a timeout or a connection dropped after the request left):
        look before sending it again. The rule is :func:`ivowaba._errors.sent_state`."""
        if self.skipped is not None:
            return False
        return sent_state(self.error)
