"""The rank rule: which status of a message wins, in whatever order its statuses arrive.

The gateway may deliver a message's statuses late, twice, or out of order (a ``read`` before
its ``delivered``; the reference: "the order of these notifications in your app may not
reflect the actual timing"). Every store applies the same rule, which depends only on the
*set* of statuses received, never on their order, so every order of arrival ends in the same
outcome and a duplicate changes nothing:

- the status is the one of highest rank seen: ``sent`` (1) < ``failed`` (2) < ``delivered``
  (3) < ``read`` (4) < ``deleted`` (5). A ``failed`` replaces ``sent``; a ``delivered`` or
  ``read`` replaces ``failed``, since it proves the message reached the phone; ``deleted``
  (a customer deleted a message they sent you) is final. A status of another name is not
  recorded.
- each step's time (``sent_at``, ``delivered_at``, ...) is the earliest time given for that
  step: a redelivery, or a second status of one step, never moves it.
- the failure (``error_code``, ``error_title``) is the one of the earliest ``failed`` status
  (on a tie, the lower code, then the lower title). It is kept when a later ``delivered`` or
  ``read`` outranks the failure, as a record of what happened.
- the recipient is the first one given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final, NamedTuple

from ivowaba.types.notifications import Status

#: The rank of each status a store records; the highest seen is a message's status.
STATUS_RANK: Final[Mapping[str, int]] = MappingProxyType(
    {"sent": 1, "failed": 2, "delivered": 3, "read": 4, "deleted": 5}
)

#: The outcome field holding each step's time.
STEP_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {status: f"{status}_at" for status in STATUS_RANK}
)


class StatusFact(NamedTuple):
    """What one status notification says, ready for a store to merge."""

    message_id: str
    recipient_id: str | None
    rank: int
    status: str
    at: int
    error_code: int | None
    error_title: str | None


def seconds(timestamp: object, clock: Callable[[], float]) -> int:
    """A notification's ``timestamp`` (seconds since the epoch, as a string) as an integer;
    the store's ``clock`` when it is missing or not a number."""
    if isinstance(timestamp, (str, int, float)) and not isinstance(timestamp, bool):
        try:
            return int(timestamp)
        except (ValueError, OverflowError):
            pass
        try:
            return int(float(timestamp))
        except (ValueError, OverflowError):
            pass
    return int(clock())


def status_fact(status: Status, clock: Callable[[], float]) -> StatusFact | None:
    """The fact a store records for ``status``; ``None`` for a status it does not rank."""
    rank = STATUS_RANK.get(status.status)
    if rank is None:
        return None
    code = title = None
    if status.status == "failed" and status.errors:
        code, title = status.errors[0].code, status.errors[0].title or None
    return StatusFact(
        status.id,
        status.recipient_id or None,
        rank,
        status.status,
        seconds(status.timestamp, clock),
        code,
        title,
    )
