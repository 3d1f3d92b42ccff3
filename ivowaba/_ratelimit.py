"""The client-side rate limit: at most N requests start in any one-second window."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Protocol, runtime_checkable

from ivowaba import _fork


@runtime_checkable
class RateLimiter(Protocol):
    """What a client needs from a rate limiter: wait until one more request may start.

    Pass your own as ``rate_limiter=`` to share one limit between processes.
    """

    async def acquire(self) -> None: ...


class SlidingWindowLimiter:
    """In-process limiter: no more than ``rate`` request starts within any ``period`` seconds.

    It remembers the start times of the last ``rate`` requests; a request that would be the
    ``rate + 1``-th inside the window waits until the oldest one leaves it. Waiters are served
    in arrival order, so no caller starves.
    """

    def __init__(self, rate: int, period: float = 1.0) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate = rate
        self.period = period
        self._starts: deque[float] = deque(maxlen=rate)
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._generation = _fork.generation

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            # An asyncio.Lock belongs to one loop: a new loop (a second asyncio.run(), a
            # forked child) gets its own. The starts remembered still count.
            if self._generation != _fork.generation:  # the parent's: never touched here
                _fork.abandon(self._lock, self._lock_loop)
                self._generation = _fork.generation
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            starts = self._starts
            if len(starts) == self.rate:
                wait = starts[0] + self.period - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            starts.append(time.monotonic())


RateLimiter.__module__ = "ivowaba"  # as users import it: ivowaba.RateLimiter
