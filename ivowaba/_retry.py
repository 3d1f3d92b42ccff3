"""Which failures are retried, and how long to wait before the next attempt.

The rules, in order:

1. ``429 Too Many Requests``: retried for every operation; the server did not act on it.
2. A connection that was never established (DNS failure, refused, connect timeout): retried
   for every operation; the request surely never reached the server.
3. Timeouts, dropped connections, ``502``, ``503`` and ``504``: retried only for ``GET``,
   ``PUT`` and ``PATCH``, which are safe to repeat. A ``POST`` (a send) that may have reached
   the server is never repeated: nobody gets a WhatsApp message twice because of a retry.
4. Anything else is raised at once (a redirect included: it is never followed).

Whether a failure may have reached the server is :func:`ivowaba._errors.sent_state`, the
rule ``BulkResult.sent`` and the bulk journal follow too.

The wait honours ``Retry-After`` (seconds or an HTTP date), capped at ``MAX_RETRY_AFTER``;
otherwise it is exponential backoff with full jitter (tenacity's ``wait_random_exponential``).
Tests skip the waits with ``ivowaba.testing.no_backoff()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import aiohttp
import tenacity

from ivowaba._errors import (
    APIConnectionError,
    APIStatusError,
    RateLimitError,
    parse_retry_after,
    sent_state,
)

#: Methods that may be repeated after a failure that may have reached the server.
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "PATCH"})
#: Statuses retried for idempotent methods: the gateway or its upstream is unavailable.
RETRYABLE_STATUSES = frozenset({502, 503, 504})

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
#: Longest ``Retry-After`` honoured, in seconds: a server asking for more is asked sooner.
MAX_RETRY_AFTER = 60.0

_backoff = tenacity.wait_random_exponential(multiplier=INITIAL_BACKOFF, max=MAX_BACKOFF)


def _transient(error: BaseException) -> bool:
    """A failure that may pass if the same request is made again."""
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, APIStatusError):
        return error.status_code in RETRYABLE_STATUSES
    return isinstance(error, APIConnectionError)


def is_retryable(method: str, error: BaseException) -> bool:
    """Whether ``error`` from a ``method`` request may be retried (rules 1 to 3 above): it is
    transient, and either the method is safe to repeat or the request surely never arrived."""
    if not _transient(error):
        return False
    return method in IDEMPOTENT_METHODS or sent_state(error) is False


class wait_retry_after(tenacity.wait.wait_base):
    """The server's ``Retry-After`` when it gave one (capped at ``MAX_RETRY_AFTER``), else
    exponential backoff with full jitter."""

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, APIStatusError):
            retry_after = parse_retry_after(error.headers)
            if retry_after is not None:
                return min(retry_after, MAX_RETRY_AFTER)
        return float(_backoff(retry_state))


#: The waits skipped under ``no_backoff()`` (``None``: waits are real).
_skipped: list[float] | None = None


async def _pause(seconds: float) -> None:
    if _skipped is not None:
        _skipped.append(seconds)
        seconds = 0.0
    await asyncio.sleep(seconds)


def backoff_skipped() -> bool:
    """Whether waits are skipped now (inside ``no_backoff()``): the emulator's webhook
    deliveries retry at once then too."""
    return _skipped is not None


@contextmanager
def no_backoff() -> Iterator[list[float]]:
    """Retry at once instead of waiting; yields the list of the waits skipped (seconds, in
    order), so that a test can check them. For every client of the process, while it lasts,
    and for the emulator's retried webhook deliveries (whose waits are not listed)."""
    global _skipped
    previous, _skipped = _skipped, []
    try:
        yield _skipped
    finally:
        _skipped = previous


def never_reached_server(error: BaseException) -> bool:
    """Whether an aiohttp error proves the request was never sent."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return True
    return isinstance(error, aiohttp.ClientConnectorError)


def _after(before_wait: Callable[[float], Awaitable[None]]) -> Callable[[float], Awaitable[None]]:
    """A wait that awaits ``before_wait(seconds)`` first."""

    async def sleep(seconds: float) -> None:
        await before_wait(seconds)
        await _pause(seconds)

    return sleep


def retrying(
    method: str,
    max_retries: int,
    before_wait: Callable[[float], Awaitable[None]] | None = None,
) -> tenacity.AsyncRetrying:
    """The tenacity controller of one request: at most ``max_retries`` retries after the
    first attempt, for the failures :func:`is_retryable` allows, each after
    :class:`wait_retry_after`; ``before_wait(seconds)``, when given, is awaited before each
    wait (a watched request tells of the retry there)."""
    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(max_retries + 1),
        retry=tenacity.retry_if_exception(lambda error: is_retryable(method, error)),
        wait=wait_retry_after(),
        sleep=_pause if before_wait is None else _after(before_wait),
        reraise=True,
    )
