"""The interface every outcome store has, what it returns, and the rules they share."""

from __future__ import annotations

import abc
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, runtime_checkable

import msgspec

from ivowaba._errors import ConfigError
from ivowaba._limits import CUSTOMER_SERVICE_WINDOW
from ivowaba._validation import _PHONE_PUNCTUATION
from ivowaba.outcomes._rank import StatusFact, seconds, status_fact
from ivowaba.types.error_codes import OPT_OUT_ERROR_CODES, RETRYABLE_ERROR_CODES
from ivowaba.types.notifications import (
    InboundButton,
    InboundInteractive,
    InboundMessage,
    InboundSystem,
    InboundText,
    Status,
)

if TYPE_CHECKING:
    from typing_extensions import Self


#: An inbound text or button reply that is one of these (trimmed, any case) opts the customer
#: out.
DEFAULT_OPT_OUT_WORDS: Final = frozenset({"STOP", "BERHENTI", "UNSUBSCRIBE"})
#: ... and one of these opts them back in.
DEFAULT_OPT_IN_WORDS: Final = frozenset({"START", "MULAI"})


class MessageOutcome(msgspec.Struct, frozen=True, kw_only=True, repr_omit_defaults=True):
    """What became of one message, from its status notifications (see the rank rule in
    :mod:`ivowaba.outcomes`).

    - ``message_id``: the id ``messages.send_*`` returned.
    - ``status``: ``"sent"``, ``"delivered"``, ``"read"``, ``"failed"`` or ``"deleted"``.
    - ``recipient_id``: the customer's number, when a status gave it.
    - ``error_code``, ``error_title``: why it failed (e.g. 470 or 131047, outside the 24-hour
      window; 480, an identity change; :class:`~ivowaba.types.error_codes.ErrorCode` names
      each), when a ``failed`` status came; kept if a later ``delivered`` or ``read``
      outranked it.
    - ``sent_at``, ``delivered_at``, ``read_at``, ``failed_at``, ``deleted_at``: when each
      step happened (timezone-aware UTC, from the notifications' timestamps), or ``None``.
    """

    message_id: str
    status: str
    recipient_id: str | None = None
    error_code: int | None = None
    error_title: str | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def status_at(self) -> datetime | None:
        """When the message reached its current ``status``."""
        at: datetime | None = getattr(self, f"{self.status}_at", None)
        return at

    @property
    def is_retryable_failure(self) -> bool:
        """True when it failed with a code after which the same message, sent again later,
        may go through: a passing fault (480, 131000, ...) or a rate limit (130429, 131056,
        ...), :data:`~ivowaba.types.error_codes.RETRYABLE_ERROR_CODES`."""
        return self.status == "failed" and self.error_code in RETRYABLE_ERROR_CODES


@runtime_checkable
class OutcomeStore(Protocol):
    """Where statuses and inbound messages are recorded, and read back.

    Every method is a coroutine, usable on any event loop (also the blocking ``Client``'s
    loop thread). A write returns once it is stored: a read that follows sees it, from any
    process sharing the store. :func:`~ivowaba.outcomes.open_store` opens one by URL.
    """

    async def record_statuses(self, statuses: Iterable[Status]) -> None:
        """Merge ``statuses`` into their messages' outcomes, by the rank rule; a ``failed``
        one with code 131050 (``OPT_OUT_ERROR_CODES``) also opts its recipient out."""
        ...

    async def record_status(self, status: Status) -> None:
        """Merge one ``status`` into its message's outcome."""
        ...

    async def record_inbound(self, message: InboundMessage) -> None:
        """Note a customer's message: the time of their last message, and an opt-out or
        opt-in word."""
        ...

    async def outcome(self, message_id: str) -> MessageOutcome | None:
        """The outcome of ``message_id``; ``None`` when no status of it was recorded."""
        ...

    async def outcomes(self, message_ids: Iterable[str]) -> dict[str, MessageOutcome]:
        """The outcomes of ``message_ids`` that have one, by message id in the order asked."""
        ...

    async def last_inbound(self, wa_id: str) -> datetime | None:
        """When ``wa_id`` last wrote (UTC), or ``None`` if never, as far as the store knows."""
        ...

    async def window_open(self, wa_id: str, now: datetime | float | None = None) -> bool:
        """Whether ``wa_id`` wrote within :data:`CUSTOMER_SERVICE_WINDOW` before ``now``."""
        ...

    async def opted_out(self, wa_id: str) -> bool:
        """Whether ``wa_id`` opted out (and did not opt back in)."""
        ...

    async def set_opted_out(self, wa_id: str, opted_out: bool = True) -> None:
        """Opt ``wa_id`` out (or back in, with ``False``), as of now."""
        ...

    async def prune(self, older_than: timedelta | float) -> int:
        """Forget the outcomes of messages whose last step (the latest of ``sent_at``,
        ``delivered_at``, ...) is more than ``older_than`` (a ``timedelta`` or seconds) before
        the store's clock; returns how many were forgotten. Customers' records (last message,
        opt-out) are kept."""
        ...

    async def aclose(self) -> None:
        """Release the store's connections; calls made afterwards raise
        ``ClientClosedError``."""
        ...

    async def __aenter__(self) -> Self:
        """``async with open_store(url) as store:`` closes it at the end."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


# -- what the stores share -------------------------------------------------------------------


class InboundFact(NamedTuple):
    """What one inbound message says about its sender (or an opt-out failure about its
    recipient: :func:`failure_opt_outs`)."""

    wa_id: str
    #: Its time, when it opens the customer service window (every message but a system one).
    at: int | None
    #: True for an opt-out word, False for an opt-in word, None for neither.
    opt: bool | None
    opt_at: int


def failure_opt_outs(facts: Iterable[StatusFact]) -> list[InboundFact]:
    """The opt-out each ``failed`` status of :data:`OPT_OUT_ERROR_CODES` (131050: the customer
    stopped marketing messages from the business) says of its recipient, as of the failure's
    time; a status without a ``recipient_id`` says nothing. Every store records them as it
    records an opt-out word, so the latest change by time wins whatever the order of arrival."""
    return [
        InboundFact(normalize_wa_id(fact.recipient_id), None, True, fact.at)
        for fact in facts
        if fact.error_code in OPT_OUT_ERROR_CODES and fact.recipient_id
    ]


def normalize_wa_id(wa_id: str) -> str:
    """``"+62 812-3456-789"`` -> ``"628123456789"``: how every store keys a customer."""
    return wa_id.translate(_PHONE_PUNCTUATION)


def utc(at: int | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, timezone.utc)


def _words(words: Iterable[str], name: str) -> frozenset[str]:
    if isinstance(words, str):
        raise ConfigError(f"{name} is a collection of words, not one string: ({words!r},)")
    folded = frozenset(word.strip().casefold() for word in words)
    if "" in folded:
        raise ConfigError(f"{name} holds an empty word")
    return folded


def _positive_seconds(older_than: timedelta | float) -> float:
    if isinstance(older_than, timedelta):
        seconds = older_than.total_seconds()
    elif isinstance(older_than, (int, float)) and not isinstance(older_than, bool):
        seconds = float(older_than)
    else:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise ConfigError(
            f"older_than must be a positive timedelta or number of seconds, got {older_than!r}"
        )
    return seconds


class BaseStore(abc.ABC):
    """The rules both stores share: the opt-out words, the clock, the window."""

    def __init__(
        self,
        *,
        opt_out_words: Iterable[str] = DEFAULT_OPT_OUT_WORDS,
        opt_in_words: Iterable[str] = DEFAULT_OPT_IN_WORDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.opt_out_words = _words(opt_out_words, "opt_out_words")
        self.opt_in_words = _words(opt_in_words, "opt_in_words")
        both = self.opt_out_words & self.opt_in_words
        if both:
            raise ConfigError(f"words both opt out and opt in: {', '.join(sorted(both))}")
        self.clock = clock

    @abc.abstractmethod
    async def record_statuses(self, statuses: Iterable[Status]) -> None:
        """Merge ``statuses`` into their messages' outcomes, by the rank rule."""

    @abc.abstractmethod
    async def last_inbound(self, wa_id: str) -> datetime | None:
        """When ``wa_id`` last wrote (UTC), or ``None`` if never."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release the store's connections."""

    @abc.abstractmethod
    async def _prune_before(self, cutoff: float) -> int:
        """Forget the outcomes whose last step is before ``cutoff`` (seconds since the
        epoch); how many."""

    async def prune(self, older_than: timedelta | float) -> int:
        """Forget the outcomes of messages whose last step (the latest of ``sent_at``,
        ``delivered_at``, ``read_at``, ``failed_at``, ``deleted_at``, the notifications'
        own times) is more than ``older_than`` before the store's clock, to keep the store
        bounded; returns how many were forgotten. A status of a forgotten message that
        arrives later starts its outcome afresh.

        ``older_than`` is a ``timedelta`` or seconds; ``ConfigError`` unless it is positive.
        Customers' records (last message, opt-out) are kept: one small record per customer
        who ever wrote, and an opt-out must never be forgotten::

            removed = await store.prune(older_than=timedelta(days=30))

        Run it from time to time (``ivowaba receive --keep-days 30`` does, every hour). Other
        calls on the store go on meanwhile.
        """
        return await self._prune_before(self.clock() - _positive_seconds(older_than))

    async def record_status(self, status: Status) -> None:
        """Merge one ``status`` into its message's outcome (see :meth:`record_statuses`)."""
        await self.record_statuses((status,))

    async def window_open(self, wa_id: str, now: datetime | float | None = None) -> bool:
        """Whether ``wa_id`` wrote within the last 24 hours before ``now``
        (:data:`CUSTOMER_SERVICE_WINDOW`), so that a free-form message may be sent to them.

        ``now`` is a ``datetime`` (naive means UTC) or seconds since the epoch; the store's
        clock when ``None``. False for a customer who never wrote.
        """
        last = await self.last_inbound(wa_id)
        if last is None:
            return False
        if now is None:
            when = self.clock()
        elif isinstance(now, datetime):
            when = (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).timestamp()
        else:
            when = float(now)
        return when - last.timestamp() < CUSTOMER_SERVICE_WINDOW.total_seconds()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- facts -------------------------------------------------------------------------------

    def status_facts(self, statuses: Iterable[Status]) -> list[StatusFact]:
        facts = (status_fact(status, self.clock) for status in statuses)
        return [fact for fact in facts if fact is not None]

    def inbound_fact(self, message: InboundMessage) -> InboundFact:
        at = seconds(message.timestamp, self.clock)
        return InboundFact(
            normalize_wa_id(message.from_),
            None if isinstance(message, InboundSystem) else at,
            self.opt_word(message),
            at,
        )

    def opt_word(self, message: InboundMessage) -> bool | None:
        """True when ``message`` is an opt-out word, False an opt-in word, else None."""
        if isinstance(message, InboundText):
            said: tuple[str | None, ...] = (message.text.body,)
        elif isinstance(message, InboundButton):
            said = (message.button.text, message.button.payload)
        elif isinstance(message, InboundInteractive) and message.interactive.button_reply:
            said = (message.interactive.button_reply.title, message.interactive.button_reply.id)
        else:
            return None
        words = {text.strip().casefold() for text in said if text}
        if words & self.opt_out_words:
            return True
        if words & self.opt_in_words:
            return False
        return None
