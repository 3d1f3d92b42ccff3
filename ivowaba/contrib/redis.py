"""Redis for many processes on one account: a shared rate limit and shared webhook
de-duplication. Needs ``pip install 'ivowaba[redis]'`` (redis-py's asyncio client) and
Redis 5 or later (or Valkey).

- :class:`RedisRateLimiter`: every sender of the account, on any machine, stays under one
  rate. Give it to a client as ``rate_limiter=``.
- :class:`RedisDedupStore`: a notification delivered to two receivers is handled once. Give it
  to the ``Dispatcher`` as ``store=``.

```python
from redis.asyncio import Redis
from ivowaba.contrib.redis import RedisDedupStore, RedisRateLimiter

redis = Redis.from_url("redis://localhost:6379/0")
client = ivowaba.AsyncClient(rate_limiter=RedisRateLimiter(redis, "ivowaba:rate:main", 80))
dispatcher = Dispatcher(store=RedisDedupStore(redis))
```

A ``redis.asyncio`` client connects on the event loop that first uses it and cannot move to
another loop or across a fork: make it in the process (and, for the blocking
``ivowaba.Client``, for the client) that uses it.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from ivowaba.webhooks._dedup import DEFAULT_TTL

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

__all__ = ["RedisDedupStore", "RedisRateLimiter"]

# GCRA with reservations. KEYS[1] holds the "theoretical arrival time": the instant, in
# microseconds of Redis's own clock, at which the limit is back to its steady rate. Each call
# reserves the next slot and returns how many microseconds the caller waits for it.
# ARGV[1]: microseconds between two requests at the steady rate; ARGV[2]: burst x that.
_GCRA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < now then
    tat = now
end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
local wait = tat - tolerance - now
if wait < 0 then
    return 0
end
return wait
"""


class RedisRateLimiter:
    """One rate limit for every process sharing ``key``: after a quiet spell at most ``burst``
    requests start at once, then ``rate`` per ``period`` seconds, however many processes and
    machines send. Over any ``t`` seconds they start at most ``burst + rate * t / period``.

    - ``redis``: a ``redis.asyncio.Redis`` (or ``RedisCluster``) client.
    - ``key``: the Redis key holding the limit; every sender of one account uses the same.
    - ``rate``: requests per ``period``; ``period``: seconds (default 1).
    - ``burst``: requests that may start at once (default ``rate``: one period's worth).

    Raises ``ValueError`` for a rate, period or burst that is not positive. Pass it to a
    client in place of ``rate_limit=``::

        limiter = RedisRateLimiter(Redis.from_url(REDIS_URL), "ivowaba:rate:main", 80)
        async with ivowaba.AsyncClient(rate_limiter=limiter) as client:
            async for result in client.messages.send_many(messages):
                ...

    Each ``acquire()`` is one round trip running one Lua script (atomic, timed by Redis's
    clock, so the senders' clocks do not matter). It reserves the next free slot and sleeps
    until it: waiters are served in order, Redis is asked once per request. A wait that is
    cancelled loses its slot, so the limit errs on the side of sending less. Errors from
    Redis (``redis.ConnectionError``, ...) reach the request that was to be sent: it was not.
    """

    def __init__(
        self,
        redis: Redis | RedisCluster,
        key: str,
        rate: float,
        *,
        period: float = 1.0,
        burst: int | None = None,
    ) -> None:
        if isinstance(rate, bool) or not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        if not period > 0:
            raise ValueError(f"period must be positive, got {period!r}")
        if burst is None:
            burst = max(1, int(rate))
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an integer >= 1, got {burst!r}")
        self.redis = redis
        self.key = key
        self.rate = rate
        self.period = period
        self.burst = burst
        # Rounded up: a fraction of a microsecond more per request, never a request too many.
        self._interval = math.ceil(period * 1_000_000 / rate)
        self._script = redis.register_script(_GCRA)

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(key={self.key!r}, rate={self.rate!r}, "
            f"period={self.period!r}, burst={self.burst!r})"
        )

    async def acquire(self) -> None:
        """Wait until one more request may start."""
        wait = await self._script(
            keys=[self.key], args=[self._interval, self._interval * self.burst]
        )
        if wait:
            await asyncio.sleep(int(wait) / 1_000_000)


class RedisDedupStore:
    """The webhook ``Dispatcher``'s record of what was handled, shared by every receiver on
    one Redis: each key is claimed with one ``SET NX`` and expires after ``ttl`` seconds.

    - ``redis``: a ``redis.asyncio.Redis`` (or ``RedisCluster``) client.
    - ``prefix``: put before every key (default ``"ivowaba:webhook:"``).
    - ``ttl``: seconds a key is remembered (default a day, far longer than the gateway keeps
      retrying a delivery); it must be longer than any handler runs.

    ::

        dispatcher = Dispatcher(store=RedisDedupStore(Redis.from_url(REDIS_URL)))
        app = create_app(dispatcher)    # on every receiver behind the load balancer

    A delivery reaching one receiver while another is still handling the same message is
    answered as a duplicate at once; if that handling then fails, its receiver answers 500,
    the key is dropped, and the gateway's next delivery runs the handlers again.
    """

    def __init__(
        self,
        redis: Redis | RedisCluster,
        *,
        prefix: str = "ivowaba:webhook:",
        ttl: float = DEFAULT_TTL,
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, got {ttl!r}")
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._ttl_ms = max(1, math.ceil(ttl * 1000))

    def __repr__(self) -> str:
        return f"RedisDedupStore(prefix={self.prefix!r}, ttl={self.ttl!r})"

    async def add(self, key: str) -> bool:
        """Claim ``key``: True if no receiver had it yet, False for a duplicate."""
        return bool(await self.redis.set(self.prefix + key, 1, nx=True, px=self._ttl_ms))

    async def discard(self, key: str) -> None:
        """Forget ``key``, so that the next delivery runs its handlers again."""
        await self.redis.delete(self.prefix + key)
