"""Where a :class:`Dispatcher` remembers what it already handled.

The default, :class:`MemoryDedupStore`, lives in the process. Receivers running side by side
behind a load balancer share one store instead: anything with the two methods of
:class:`DedupStore` will do, e.g. on Redis::

    class RedisDedupStore:
        def __init__(self, redis, ttl=86_400):
            self.redis, self.ttl = redis, ttl

        async def add(self, key: str) -> bool:
            return bool(await self.redis.set(f"ivowaba:{key}", 1, nx=True, ex=self.ttl))

        async def discard(self, key: str) -> None:
            await self.redis.delete(f"ivowaba:{key}")

    dispatcher = Dispatcher(store=RedisDedupStore(redis))
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

#: How many keys the in-memory store keeps at most (about 20 MB when full).
DEFAULT_MAX_KEYS = 100_000
#: How long the in-memory store remembers a key, in seconds: a day, far longer than the
#: gateway keeps retrying a delivery (3 attempts, then it holds it for ``pull_pending``).
DEFAULT_TTL = 86_400.0


class DedupStore(Protocol):
    """The store of keys already handled; ``add`` must be atomic across receivers."""

    async def add(self, key: str) -> bool:
        """Record ``key``; True if it was not there yet, False for a duplicate."""
        ...

    async def discard(self, key: str) -> None:
        """Forget ``key``: its handling failed and the next delivery must run it again."""
        ...


class MemoryDedupStore:
    """Keys in memory, bounded in number and in age, however long the process runs.

    - ``max_keys``: the oldest key is forgotten when one more would not fit.
    - ``ttl``: seconds after which a key is forgotten.
    """

    def __init__(
        self,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.max_keys = max_keys
        self.ttl = ttl
        self._clock = clock
        self._added: OrderedDict[str, float] = OrderedDict()

    async def add(self, key: str) -> bool:
        now = self._clock()
        self._forget_older_than(now - self.ttl)
        if key in self._added:
            return False
        self._added[key] = now
        if len(self._added) > self.max_keys:
            self._added.popitem(last=False)
        return True

    async def discard(self, key: str) -> None:
        self._added.pop(key, None)

    def __len__(self) -> int:
        return len(self._added)

    def __contains__(self, key: object) -> bool:
        added = self._added.get(key)  # type: ignore[call-overload]
        return added is not None and added > self._clock() - self.ttl

    def _forget_older_than(self, limit: float) -> None:
        added = self._added
        while added:
            oldest = next(iter(added.values()))
            if oldest > limit:
                return
            added.popitem(last=False)
