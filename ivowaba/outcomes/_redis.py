"""``RedisOutcomeStore``: one outcome store shared by every receiver and sender of an account.

A message's outcome is a hash (``<prefix>msg:<message id>``), a customer's another
(``<prefix>wa:<number>``). Each update is one Lua script applying the rank rule inside Redis,
so that receivers updating one message at once never lose each other's steps; a batch of
statuses is one round trip (a pipeline of scripts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from ivowaba._errors import ClientClosedError, ConfigError
from ivowaba.contrib.redis import _on_this_loop, _PoolBinding
from ivowaba.outcomes._rank import STEP_FIELDS
from ivowaba.outcomes._store import (
    DEFAULT_OPT_IN_WORDS,
    DEFAULT_OPT_OUT_WORDS,
    BaseStore,
    MessageOutcome,
    failure_opt_outs,
    normalize_wa_id,
    utc,
)
from ivowaba.types.notifications import InboundMessage, Status

if TYPE_CHECKING:
    from redis.asyncio import Redis

#: What every key of the store starts with, by default.
DEFAULT_PREFIX: Final = "ivowaba:outcomes:"

# The rank rule of ``_rank.py``. KEYS[1]: the message's hash. ARGV: rank, status, recipient
# ('' for none), the step's field, its time, failure code and title ('' for none), TTL in ms
# (0 for none).
_RECORD_STATUS = """
local key, step, at = KEYS[1], ARGV[4], tonumber(ARGV[5])
local old = redis.call('HMGET', key, 'rank', step, 'recipient_id', 'error_code', 'error_title')
if not old[1] or tonumber(old[1]) < tonumber(ARGV[1]) then
    redis.call('HSET', key, 'rank', ARGV[1], 'status', ARGV[2])
end
if step == 'failed_at' then
    local wins = not old[2]
    if not wins then
        local before = tonumber(old[2])
        if at < before then
            wins = true
        elseif at == before then
            local code, old_code = tonumber(ARGV[6]) or -1, tonumber(old[4]) or -1
            wins = code < old_code or (code == old_code and ARGV[7] < (old[5] or ''))
        end
    end
    if wins then
        redis.call('HSET', key, 'failed_at', ARGV[5])
        if ARGV[6] == '' then redis.call('HDEL', key, 'error_code')
        else redis.call('HSET', key, 'error_code', ARGV[6]) end
        if ARGV[7] == '' then redis.call('HDEL', key, 'error_title')
        else redis.call('HSET', key, 'error_title', ARGV[7]) end
    end
elseif not old[2] or at < tonumber(old[2]) then
    redis.call('HSET', key, step, ARGV[5])
end
if not old[3] and ARGV[3] ~= '' then
    redis.call('HSET', key, 'recipient_id', ARGV[3])
end
if ARGV[8] ~= '0' then
    redis.call('PEXPIRE', key, ARGV[8])
end
return 1
"""

# KEYS[1]: the customer's hash. ARGV: the message's time if it opens the window ('' if not),
# the opt change ('1' out, '0' in, '' none), its time. The latest change wins; at the same
# second, opting out does.
_RECORD_CUSTOMER = """
local key = KEYS[1]
if ARGV[1] ~= '' then
    local last = redis.call('HGET', key, 'last_inbound')
    if not last or tonumber(ARGV[1]) > tonumber(last) then
        redis.call('HSET', key, 'last_inbound', ARGV[1])
    end
end
if ARGV[2] ~= '' then
    local old = redis.call('HMGET', key, 'opted_out', 'opt_changed_at')
    local value, at = tonumber(ARGV[2]), tonumber(ARGV[3])
    if not old[2] or at > tonumber(old[2])
            or (at == tonumber(old[2]) and value > tonumber(old[1] or '0')) then
        redis.call('HSET', key, 'opted_out', ARGV[2], 'opt_changed_at', ARGV[3])
    end
end
return 1
"""

# KEYS: message hashes. ARGV[1]: the cutoff. Deletes those whose last step is before it;
# returns how many. A key gone meanwhile (its TTL) has no step and is left alone.
_PRUNE = """
local removed, cutoff = 0, tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
    local last = nil
    for _, at in ipairs(redis.call('HMGET', key, STEP_FIELDS)) do
        if at then
            local t = tonumber(at)
            if not last or t > last then last = t end
        end
    end
    if last and last < cutoff then
        redis.call('DEL', key)
        removed = removed + 1
    end
end
return removed
""".replace("STEP_FIELDS", ", ".join(f"'{step}'" for step in STEP_FIELDS.values()))
#: Message keys per run of the prune script.
_PRUNE_BATCH = 500

_Call = tuple[Any, str, tuple[Any, ...]]


def _glob_escape(text: str) -> str:
    """``text`` matched literally by a Redis ``MATCH`` pattern."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _int(value: object) -> int | None:
    text = _text(value)
    return None if text is None or text == "" else int(text)


def _outcome(message_id: str, fields: Mapping[Any, Any]) -> MessageOutcome | None:
    found = {_text(name): value for name, value in fields.items()}
    status = _text(found.get("status"))
    if status is None:
        return None
    return MessageOutcome(
        message_id=message_id,
        status=status,
        recipient_id=_text(found.get("recipient_id")),
        error_code=_int(found.get("error_code")),
        error_title=_text(found.get("error_title")),
        **{step: utc(_int(found.get(step))) for step in STEP_FIELDS.values()},
    )


class RedisOutcomeStore(BaseStore):
    """Outcomes in Redis, shared by every receiver and sender of an account. Needs
    ``pip install 'ivowaba[redis]'``.

    - ``redis``: a ``redis.asyncio.Redis`` client (or use :meth:`from_url`).
    - ``prefix``: put before every key (default ``"ivowaba:outcomes:"``).
    - ``ttl``: seconds a message's outcome is kept after its last status was recorded
      (default: for good), e.g. ``open_store("redis://...", ttl=30 * 86_400)``: Redis
      forgets it by itself. :meth:`prune` forgets by the statuses' own times instead (and
      keys recorded before a ``ttl`` was set). Customers' records (last message, opt-out) are
      always kept.
    - ``opt_out_words``, ``opt_in_words``, ``clock``: as for :class:`SQLiteOutcomeStore`.

    Raises ``ConfigError`` for a ``ttl`` that is not positive::

        store = RedisOutcomeStore.from_url("redis://localhost:6379/0", ttl=30 * 86_400)
        dispatcher = Dispatcher(outcomes=store)

    Each update is one Lua script that applies the rank rule atomically in Redis, so that any
    number of receivers may record statuses of one message at once. A write returns once
    Redis has it; errors of Redis (``redis.ConnectionError``, ...) reach the caller. Like
    :mod:`ivowaba.contrib.redis`, the client may serve several event loops one after the
    other (each ``asyncio.run()``, the blocking ``Client``'s loop thread) and forked children;
    two loops running at once need a store each.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        ttl: float | None = None,
        opt_out_words: Iterable[str] = DEFAULT_OPT_OUT_WORDS,
        opt_in_words: Iterable[str] = DEFAULT_OPT_IN_WORDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(opt_out_words=opt_out_words, opt_in_words=opt_in_words, clock=clock)
        if ttl is not None and not ttl > 0:
            raise ConfigError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._ttl_ms = 0 if ttl is None else max(1, round(ttl * 1000))
        self._status_script = redis.register_script(_RECORD_STATUS)
        self._customer_script = redis.register_script(_RECORD_CUSTOMER)
        self._prune_script = redis.register_script(_PRUNE)
        self._pool = _PoolBinding.of(redis)
        self._owns_client = False
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisOutcomeStore:
        """A store on a client of its own for ``url`` (``redis://host:port/db``,
        ``rediss://`` for TLS), closed by :meth:`aclose`; ``options`` are the constructor's."""
        from redis.asyncio import Redis

        store = cls(Redis.from_url(url), **options)
        store._owns_client = True
        return store

    def __repr__(self) -> str:
        return f"RedisOutcomeStore(prefix={self.prefix!r}, ttl={self.ttl!r})"

    def _ready(self) -> None:
        if self._closed:
            raise ClientClosedError("the outcome store is closed")
        _on_this_loop(self._pool)

    async def _run(self, calls: list[_Call]) -> None:
        """Run the scripts in one round trip."""
        self._ready()
        if len(calls) == 1:
            script, key, args = calls[0]
            await script(keys=[key], args=args)
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for script, key, args in calls:
                await script(keys=[key], args=args, client=pipe)
            await pipe.execute()

    # -- writes ------------------------------------------------------------------------------

    async def record_statuses(self, statuses: Iterable[Status]) -> None:
        """Merge ``statuses`` into their messages' outcomes by the rank rule, atomically per
        message; statuses other than sent, delivered, read, failed and deleted are left out.
        A ``failed`` one with code 131050 (the customer stopped marketing messages) opts its
        recipient out as of its time, in the same round trip."""
        facts = self.status_facts(statuses)
        calls: list[_Call] = [
            (
                self._status_script,
                f"{self.prefix}msg:{fact.message_id}",
                (
                    fact.rank,
                    fact.status,
                    fact.recipient_id or "",
                    STEP_FIELDS[fact.status],
                    fact.at,
                    "" if fact.error_code is None else fact.error_code,
                    fact.error_title or "",
                    self._ttl_ms,
                ),
            )
            for fact in facts
        ]
        calls += [
            (self._customer_script, self._customer_key(opt.wa_id), ("", 1, opt.opt_at))
            for opt in failure_opt_outs(facts)
        ]
        if calls:
            await self._run(calls)

    async def record_inbound(self, message: InboundMessage) -> None:
        """Note that the sender of ``message`` wrote at its timestamp (every message but a
        ``system`` one opens the 24-hour window), and apply an opt-out or opt-in word: the
        latest one by timestamp wins, whatever the order of arrival."""
        fact = self.inbound_fact(message)
        opt = "" if fact.opt is None else int(fact.opt)
        args = ("" if fact.at is None else fact.at, opt, fact.opt_at)
        await self._run([(self._customer_script, self._customer_key(fact.wa_id), args)])

    async def set_opted_out(self, wa_id: str, opted_out: bool = True) -> None:
        """Opt ``wa_id`` out (or back in, with ``False``) as of the store's clock: a message
        written earlier that arrives later does not undo it."""
        args = ("", int(opted_out), int(self.clock()))
        key = self._customer_key(normalize_wa_id(wa_id))
        await self._run([(self._customer_script, key, args)])

    # -- reads -------------------------------------------------------------------------------

    async def outcome(self, message_id: str) -> MessageOutcome | None:
        """The outcome of ``message_id``, or ``None`` when none of its statuses came."""
        self._ready()
        fields = await self.redis.hgetall(f"{self.prefix}msg:{message_id}")
        return _outcome(message_id, fields)

    async def outcomes(self, message_ids: Iterable[str]) -> dict[str, MessageOutcome]:
        """The outcomes of ``message_ids``, by id in the order asked; ids without one are left
        out."""
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            return {}
        self._ready()
        async with self.redis.pipeline(transaction=False) as pipe:
            for message_id in ids:
                pipe.hgetall(f"{self.prefix}msg:{message_id}")
            answers = await pipe.execute()
        found = {}
        for message_id, fields in zip(ids, answers, strict=True):
            outcome = _outcome(message_id, fields)
            if outcome is not None:
                found[message_id] = outcome
        return found

    async def last_inbound(self, wa_id: str) -> datetime | None:
        """When ``wa_id`` last wrote (UTC), or ``None`` if they never did."""
        self._ready()
        key = self._customer_key(normalize_wa_id(wa_id))
        return utc(_int(await self.redis.hget(key, "last_inbound")))

    async def opted_out(self, wa_id: str) -> bool:
        """Whether ``wa_id`` opted out and did not opt back in."""
        self._ready()
        key = self._customer_key(normalize_wa_id(wa_id))
        return _int(await self.redis.hget(key, "opted_out")) == 1

    def _customer_key(self, wa_id: str) -> str:
        return f"{self.prefix}wa:{wa_id}"

    # -- pruning -----------------------------------------------------------------------------

    async def _prune_before(self, cutoff: float) -> int:
        """``SCAN`` the message keys under the prefix; a script checks and deletes each batch
        atomically, so that a status recorded meanwhile is never half lost. With a ``ttl``,
        Redis forgets them by itself: this is for keys recorded without one."""
        self._ready()
        removed = 0
        batch: list[Any] = []
        pattern = f"{_glob_escape(self.prefix)}msg:*"
        async for key in self.redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == _PRUNE_BATCH:
                removed += int(await self._prune_script(keys=batch, args=[cutoff]))
                batch = []
        if batch:
            removed += int(await self._prune_script(keys=batch, args=[cutoff]))
        return removed

    async def aclose(self) -> None:
        """Close the Redis client when the store made it (:meth:`from_url`); a client given
        to the store stays open, for its owner to close."""
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            _on_this_loop(self._pool)
            await self.redis.aclose()
