"""Redis for many processes on one account: a shared rate limit, shared webhook
de-duplication, and conversations across receivers. Needs ``pip install 'ivowaba[redis]'``
(redis-py's asyncio client) and Redis 5 or later (or Valkey).

- :class:`RedisRateLimiter`: every sender of the account, on any machine, stays under one
  rate. Give it to a client as ``rate_limiter=``.
- :class:`RedisDedupStore`: a notification delivered to two receivers is handled once. Give it
  to the ``Dispatcher`` as ``store=``; its :class:`RedisReplyChannel` (``store.replies``)
  then carries each customer message to ``dispatcher.wait_for_reply`` in any process.

```python
from redis.asyncio import Redis
from ivowaba.contrib.redis import RedisDedupStore, RedisRateLimiter

redis = Redis.from_url("redis://localhost:6379/0")
client = ivowaba.AsyncClient(rate_limiter=RedisRateLimiter(redis, "ivowaba:rate:main", 80))
dispatcher = Dispatcher(store=RedisDedupStore(redis))
```

One ``redis.asyncio.Redis`` may be made once, at import, and used by these classes in any
number of event loops one after another (each ``asyncio.run()``, a test's loop, the blocking
``ivowaba.Client``'s loop thread) and in forked children (gunicorn ``--preload``, Celery
prefork, ``multiprocessing`` with fork):

- a connection serves only the loop it was opened on. When a loop these classes used shuts
  down (the end of ``asyncio.run()``, a blocking ``Client`` closed), the connections opened on
  it are closed there; the next loop opens new ones. (A loop closed without
  ``shutdown_asyncgens()`` cannot close them: they are then kept open, never used again.)
- a forked child never uses, closes or unregisters a connection it inherited: they are its
  parent's sockets, on the parent's loops and selectors. It keeps them untouched and opens its
  own; the parent carries on with its connections undisturbed.
- two event loops running at once (in two threads) cannot share one ``Redis``: a call on the
  second while the first still runs raises ``IvowabaError``. Give each such loop its own.

This holds for a ``Redis`` on a connection pool (``Redis(...)``, ``Redis.from_url``,
``connection_pool=``, ``single_connection_client=True``), not for a ``RedisCluster``, which
still serves only the process and the event loop that first use it. The check is made by these
classes' calls: your own calls on the same ``Redis`` are safe on a loop, or in a forked child,
once one of them has run there.
"""

from __future__ import annotations

import asyncio
import logging
import math
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

import anyio
import msgspec

from ivowaba import _fork, _loops
from ivowaba.types.notifications import InboundMessage
from ivowaba.webhooks._dedup import DEFAULT_TTL
from ivowaba.webhooks._replies import decode_message, encode_message

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

__all__ = ["RedisDedupStore", "RedisRateLimiter", "RedisReplyChannel"]

logger = logging.getLogger("ivowaba.webhooks")

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
        self._pool = _PoolBinding.of(redis)

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(key={self.key!r}, rate={self.rate!r}, "
            f"period={self.period!r}, burst={self.burst!r})"
        )

    async def acquire(self) -> None:
        """Wait until one more request may start."""
        _on_this_loop(self._pool)
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

    ``replies``: a :class:`RedisReplyChannel` on the same Redis (channels ``prefix +
    "reply:" + wa_id``), which a ``Dispatcher`` given this store uses for
    ``wait_for_reply``: a customer's reply reaching any receiver ends the wait in any
    process.
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
        self._pool = _PoolBinding.of(redis)
        #: Where a ``Dispatcher`` given this store publishes customer messages.
        self.replies = RedisReplyChannel(redis, prefix=f"{prefix}reply:")

    def __repr__(self) -> str:
        return f"RedisDedupStore(prefix={self.prefix!r}, ttl={self.ttl!r})"

    async def add(self, key: str) -> bool:
        """Claim ``key``: True if no receiver had it yet, False for a duplicate."""
        _on_this_loop(self._pool)
        return bool(await self.redis.set(self.prefix + key, 1, nx=True, px=self._ttl_ms))

    async def discard(self, key: str) -> None:
        """Forget ``key``, so that the next delivery runs its handlers again."""
        _on_this_loop(self._pool)
        await self.redis.delete(self.prefix + key)


class RedisReplyChannel:
    """Customer messages for ``Dispatcher.wait_for_reply``, over Redis pub/sub: the receiver
    that handles a message publishes it (``PUBLISH``, one round trip per inbound message)
    on the channel ``prefix + wa_id``; a wait, in any process, subscribes to it while it
    waits (one connection of the pool per wait).

    - ``redis``: a ``redis.asyncio.Redis`` client.
    - ``prefix``: put before each customer's number (default ``"ivowaba:reply:"``).

    ``RedisDedupStore(redis).replies`` is one, which a ``Dispatcher`` given that store uses.
    Pub/sub keeps nothing: a wait sees the messages published while it listens.
    """

    def __init__(self, redis: Redis | RedisCluster, *, prefix: str = "ivowaba:reply:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._pool = _PoolBinding.of(redis)

    def __repr__(self) -> str:
        return f"RedisReplyChannel(prefix={self.prefix!r})"

    async def publish(self, message: InboundMessage) -> None:
        """Send ``message`` to every wait on its sender."""
        _on_this_loop(self._pool)
        await self.redis.publish(self.prefix + message.from_, encode_message(message))

    @asynccontextmanager
    async def listen(self, wa_id: str) -> AsyncIterator[_RedisListener]:
        """Subscribe to ``wa_id``'s messages; entered once Redis confirmed the subscription,
        so that every message published from then on comes."""
        _on_this_loop(self._pool)
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(self.prefix + wa_id)
            while True:  # Redis's confirmation comes before anything published after it
                confirmation = await pubsub.get_message(timeout=None)
                if confirmation is not None and confirmation["type"] == "subscribe":
                    break
            yield _RedisListener(pubsub)
        finally:
            with anyio.CancelScope(shield=True):
                await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]


class _RedisListener:
    def __init__(self, pubsub: Any) -> None:
        self.pubsub = pubsub

    async def get(self) -> InboundMessage:
        while True:
            event = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if event is None or event["type"] != "message":
                continue
            data = event["data"]
            try:
                return decode_message(data.encode() if isinstance(data, str) else data)
            except (msgspec.DecodeError, KeyError, UnicodeDecodeError):
                logger.warning(
                    "a message on %s is not an inbound message: ignored", event["channel"]
                )


# -- one pool, one event loop, one process ----------------------------------------------------
#
# A redis.asyncio connection is a stream of the loop it was opened on, and its socket is
# shared with a forked child. redis-py's pool hands any idle connection to any caller, so
# before each call the pool is checked to belong to the running loop in this process (two
# compares); when it does not, ``_PoolBinding.move_to`` takes out of it what cannot serve here.

#: Connections still open on a loop that is not the running one: only their own loop can close
#: them. Kept here, never used again, until that loop shuts down (if these classes were used on
#: it: see ``_loops.close_at_shutdown``) or, for a loop closed without shutting down, for good.
_put_aside: list[Any] = []


def _loop_of(connection: Any) -> asyncio.AbstractEventLoop | None:
    """The loop ``connection`` is open on; None when it is closed (it opens on any loop)."""
    writer = getattr(connection, "_writer", None)
    return None if writer is None else getattr(writer, "_loop", None)


class _PoolBinding:
    """Where the connections of one ``redis.asyncio`` connection pool may be used now: one loop
    in one process (the fork generation). Shared by every limiter and store on the pool."""

    __slots__ = ("__weakref__", "clients", "generation", "guards", "loop", "pool")

    _of_pool: weakref.WeakKeyDictionary[Any, _PoolBinding] = weakref.WeakKeyDictionary()

    def __init__(self, pool: Any) -> None:
        self.pool = weakref.ref(pool)
        self.clients: weakref.WeakSet[Any] = weakref.WeakSet()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.generation = _fork.generation
        #: Per loop the pool was used on and that has not shut down: what closes its
        #: connections when it does.
        self.guards: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = {}

    @classmethod
    def of(cls, redis: Any) -> _PoolBinding | None:
        """The binding of ``redis``'s pool; None for a client without one (a cluster)."""
        pool = getattr(redis, "connection_pool", None)
        if not (
            isinstance(getattr(pool, "_available_connections", None), list)
            and hasattr(getattr(pool, "_in_use_connections", None), "discard")
        ):
            return None
        try:
            binding = cls._of_pool.setdefault(pool, cls(pool))
        except TypeError:  # a pool that cannot be a dictionary key: one binding per client
            binding = cls(pool)
        binding.clients.add(redis)
        return binding

    def move_to(self, loop: asyncio.AbstractEventLoop) -> None:
        """Make the pool fit for use on ``loop``, the running one, in this process."""
        pool = self.pool()
        if pool is None:
            return
        forked = self.generation != _fork.generation
        if forked:
            # Everything the pool holds is the parent's: sockets open on the parent's loops,
            # whose selectors are the parent's epoll instances. Closing or unregistering any of
            # it here would break the parent, and using it would mix two processes' replies on
            # one socket: it is all kept, untouched, and the pool starts empty.
            _fork.abandon(self.loop, *self.guards, *self.guards.values())
            _fork.abandon(*pool._available_connections, *pool._in_use_connections)
            self.guards = {}
            pool.reset()
            for client in self.clients:  # a single_connection_client's own connection
                if getattr(client, "connection", None) is not None:
                    _fork.abandon(client.connection)
                    client.connection = None
        else:
            _loops.refuse_a_second_running_loop(self.loop, loop, "this redis.asyncio client")
            # Idle connections still open on another loop: put aside. Those in use are their
            # users' to give back.
            available = pool._available_connections
            stale = [c for c in available if _loop_of(c) not in (None, loop)]
            for connection in stale:
                available.remove(connection)
            for client in self.clients:
                connection = getattr(client, "connection", None)
                if _loop_of(connection) not in (None, loop):
                    pool._in_use_connections.discard(connection)
                    client.connection = None
                    stale.append(connection)
            _put_aside.extend(stale)
            # A loop closed without shutting down never runs its guard (nor finalizes it).
            self.guards = {at: g for at, g in self.guards.items() if not at.is_closed()}
        _renew(pool, ("_lock", "_condition"), loop, forked)
        for client in self.clients:
            _renew(client, ("_single_conn_lock", "_usage_lock"), loop, forked)
        self.loop, self.generation = loop, _fork.generation
        if loop not in self.guards:
            self.guards[loop] = _loops.close_at_shutdown(self.close_connections_of_this_loop)

    async def close_connections_of_this_loop(self) -> None:
        """At the loop's shutdown: close there the connections opened on it. A
        single_connection_client's own one goes back to the pool: the next loop takes one."""
        loop = asyncio.get_running_loop()
        self.guards.pop(loop, None)
        pool = self.pool()
        pooled = () if pool is None else (*pool._available_connections, *pool._in_use_connections)
        singles = [
            client
            for client in self.clients
            if _loop_of(getattr(client, "connection", None)) is loop
        ]
        mine = [
            c
            for c in dict.fromkeys((*pooled, *(client.connection for client in singles)))
            if _loop_of(c) is loop
        ]
        mine += [c for c in _put_aside if _loop_of(c) is loop]
        _put_aside[:] = [c for c in _put_aside if _loop_of(c) is not loop]
        await asyncio.gather(*(c.disconnect() for c in mine), return_exceptions=True)
        for client in singles:
            connection, client.connection = client.connection, None
            if pool is not None and connection is not None:
                with suppress(Exception):
                    await pool.release(connection)


def _on_this_loop(binding: _PoolBinding | None) -> None:
    """Before each call: the pool belongs to the running loop, in this process."""
    if binding is not None:
        loop = asyncio.get_running_loop()
        if binding.loop is not loop or binding.generation != _fork.generation:
            binding.move_to(loop)


def _renew(
    owner: object, names: Iterable[str], loop: asyncio.AbstractEventLoop, forked: bool
) -> None:
    """Replace ``owner``'s asyncio locks that another loop has bound, or, after a fork, all of
    them (one the parent held at the fork would stay held here)."""
    for name in names:
        old = getattr(owner, name, None)
        if isinstance(old, asyncio.Condition):
            new: asyncio.Lock | asyncio.Condition = asyncio.Condition()
        elif isinstance(old, asyncio.Lock):
            new = asyncio.Lock()
        else:
            continue
        bound = (getattr(old, "_loop", None), getattr(getattr(old, "_lock", None), "_loop", None))
        if forked or any(b is not None and b is not loop for b in bound):
            if forked:
                _fork.abandon(old)
            setattr(owner, name, new)
