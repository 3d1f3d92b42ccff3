"""The client-side rate limit: at most N requests start in any one-second window."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Protocol, runtime_checkable


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

    async def acquire(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            starts = self._starts
            if len(starts) == self.rate:
                wait = starts[0] + self.period - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            starts.append(time.monotonic())

    def _forget_loop(self) -> None:
        """After a fork: the lock belonged to the parent's loop."""
        self._lock = None
