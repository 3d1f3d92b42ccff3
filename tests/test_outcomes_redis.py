"""What only the Redis outcome store does, against a real ``redis-server``: keys under a
prefix, a TTL on messages only, receivers racing on one message, a client the caller owns,
scripts that Redis forgot. The suite both stores share is ``test_outcomes.py``."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import pytest

from ivowaba import ClientClosedError, ConfigError
from ivowaba.outcomes import DEFAULT_PREFIX, OutcomeStore, RedisOutcomeStore, open_store
from tests import _redis_server
from tests._redis_server import RedisServer, unavailable
from tests.test_outcomes import CUSTOMER, T0, status, text, utc

redis_server = _redis_server.redis_server  # the fixture: a private redis-server

try:
    from redis.asyncio import Redis
except ImportError as missing:  # pragma: no cover - the test extra installs redis
    unavailable(f"redis-py is not installed ({missing}): pip install -e '.[test]'")


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url())
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex}:"


async def test_keys_live_under_the_prefix(redis: Redis, prefix: str) -> None:
    store = RedisOutcomeStore(redis, prefix=prefix)
    await store.record_status(status("sent", message_id="abc"))
    await store.record_inbound(text("hi"))
    keys = sorted(k.decode() for k in await redis.keys(f"{prefix}*") if isinstance(k, bytes))
    assert keys == [f"{prefix}msg:abc", f"{prefix}wa:{CUSTOMER}"]
    fields = await redis.hgetall(f"{prefix}msg:abc")
    assert fields[b"status"] == b"sent"
    assert fields[b"sent_at"] == str(T0).encode()
    await store.aclose()
    assert await redis.ping()  # a client given to the store stays open: its owner closes it
    assert DEFAULT_PREFIX == "ivowaba:outcomes:"
    assert repr(store) == f"RedisOutcomeStore(prefix={prefix!r}, ttl=None)"


async def test_the_ttl_applies_to_messages_not_to_customers(redis: Redis, prefix: str) -> None:
    store = RedisOutcomeStore(redis, prefix=prefix, ttl=3600)
    await store.record_status(status("sent", message_id="abc"))
    await store.record_inbound(text("STOP"))
    assert 3_500_000 < await redis.pttl(f"{prefix}msg:abc") <= 3_600_000
    await redis.pexpire(f"{prefix}msg:abc", 10_000)
    await store.record_status(status("read", message_id="abc"))  # each update renews it
    assert await redis.pttl(f"{prefix}msg:abc") > 3_500_000
    assert await redis.pttl(f"{prefix}wa:{CUSTOMER}") == -1  # an opt-out is never forgotten


@pytest.mark.parametrize("ttl", [0, -5])
def test_a_ttl_that_is_not_positive_is_refused(redis_server: RedisServer, ttl: float) -> None:
    with pytest.raises(ConfigError, match="ttl must be a positive number"):
        open_store(redis_server.url(), ttl=ttl)


async def test_receivers_racing_on_one_message_lose_nothing(
    redis_server: RedisServer, prefix: str
) -> None:
    """Four receivers, each with its own client, record the statuses of the same 50
    messages at once, each in its own shuffled order: every message ends read, with every
    step's time."""
    stores = [open_store(redis_server.url(), prefix=prefix) for _ in range(4)]
    ids = [f"m{i}" for i in range(50)]
    steps = [
        status(state, T0 + at, message_id=m)
        for m in ids
        for at, state in enumerate(("sent", "delivered", "read"))
    ]

    async def receive(store: OutcomeStore, seed: int) -> None:
        mine = steps[:]
        random.Random(seed).shuffle(mine)
        for s in mine:
            await store.record_status(s)

    await asyncio.gather(*(receive(store, seed) for seed, store in enumerate(stores)))
    found = await stores[0].outcomes(ids)
    for store in stores:
        await store.aclose()
    assert {o.status for o in found.values()} == {"read"}
    assert {(o.sent_at, o.delivered_at, o.read_at) for o in found.values()} == {
        (utc(T0), utc(T0 + 1), utc(T0 + 2))
    }


async def test_scripts_redis_forgot_are_loaded_again(redis: Redis, prefix: str) -> None:
    store = RedisOutcomeStore(redis, prefix=prefix)
    await store.record_status(status("sent"))
    await redis.script_flush()
    await store.record_status(status("delivered", T0 + 1))
    await redis.script_flush()
    await store.record_statuses([status("read", T0 + 2), status("sent", message_id="other")])
    await redis.script_flush()
    await store.record_inbound(text("STOP"))
    outcome = await store.outcome("m")
    assert outcome is not None
    assert outcome.status == "read"
    assert await store.opted_out(CUSTOMER)


async def test_a_client_that_decodes_answers_works_too(
    redis_server: RedisServer, prefix: str
) -> None:
    client = Redis.from_url(redis_server.url(), decode_responses=True)
    store = RedisOutcomeStore(client, prefix=prefix)
    await store.record_status(status("failed", code=470, title="outside the window"))
    await store.record_inbound(text("hello"))
    outcome = await store.outcome("m")
    assert outcome is not None
    assert (outcome.status, outcome.error_code, outcome.error_title) == (
        "failed",
        470,
        "outside the window",
    )
    assert await store.last_inbound(CUSTOMER) == utc(T0)
    await client.aclose()


async def test_a_store_from_a_url_closes_its_own_client(redis_server: RedisServer) -> None:
    store = open_store(redis_server.url(), prefix=f"test:{uuid.uuid4().hex}:")
    assert isinstance(store, RedisOutcomeStore)
    await store.record_status(status("sent"))
    await store.aclose()
    await store.aclose()
    with pytest.raises(ClientClosedError):
        await store.record_status(status("read"))
