"""``ivowaba.contrib.redis`` against a real ``redis-server``: one rate limit shared by four
processes sending to the emulator, and one de-duplication shared by two webhook receivers."""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import ivowaba
from ivowaba.testing import Emulator
from ivowaba.webhooks import Dispatcher, InboundText, Status, create_app
from tests import _redis_server
from tests._redis_server import RedisServer, unavailable

redis_server = _redis_server.redis_server  # the fixture: a private redis-server


try:
    from redis.asyncio import Redis

    from ivowaba.contrib.redis import RedisDedupStore, RedisRateLimiter
except ImportError as missing:  # pragma: no cover - the test extra installs redis
    unavailable(f"redis-py is not installed ({missing}): pip install -e '.[test]'")


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url())
    yield client
    await client.aclose()


def fresh_key(kind: str) -> str:
    return f"test:{kind}:{uuid.uuid4().hex}"


# -- RedisRateLimiter --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 0}, {"rate": -1}, {"rate": 10, "period": 0}, {"rate": 10, "burst": 0}],
)
async def test_a_limit_that_is_not_positive_is_refused(redis: Redis, kwargs: Any) -> None:
    with pytest.raises(ValueError, match="must be"):
        RedisRateLimiter(redis, fresh_key("rate"), **kwargs)


async def test_a_burst_at_once_then_the_steady_rate(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 50, burst=5)  # one per 20 ms
    started = time.monotonic()
    starts = []
    for _ in range(15):
        await limiter.acquire()
        starts.append(time.monotonic() - started)
    assert starts[4] < 0.07  # the burst: five at once (without it the fifth waits 80 ms)
    assert starts[-1] >= 10 * 0.020 - 0.005  # then ten more, 20 ms apart
    assert starts[-1] < 0.6


async def test_the_period_scales_the_rate(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 2, period=0.1, burst=1)  # one per 50 ms
    started = time.monotonic()
    for _ in range(5):
        await limiter.acquire()
    assert 4 * 0.050 - 0.005 <= time.monotonic() - started < 0.5


async def test_waiters_of_one_process_share_the_limit(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 100, burst=10)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(40)))
    assert time.monotonic() - started >= 30 * 0.010 - 0.005


async def test_the_key_lives_only_until_the_bucket_is_full_again(redis: Redis) -> None:
    key = fresh_key("rate")
    limiter = RedisRateLimiter(redis, key, 10, burst=3)  # 100 ms per request
    for _ in range(3):
        await limiter.acquire()
    assert 100 < await redis.pttl(key) <= 300
    await asyncio.sleep(0.35)
    assert await redis.exists(key) == 0
    started = time.monotonic()
    for _ in range(3):  # a full bucket again
        await limiter.acquire()
    assert time.monotonic() - started < 0.15  # an empty bucket would take 200 ms


async def test_a_client_waits_for_it(redis: Redis, ivowaba_emulator: Emulator) -> None:
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 50, burst=5)
    async with ivowaba.AsyncClient(
        api_key=ivowaba_emulator.api_key,
        base_url=ivowaba_emulator.base_url,
        rate_limiter=limiter,
    ) as client:
        started = time.monotonic()
        results = [r async for r in client.messages.send_many(_texts(0, 15), concurrency=8)]
        elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert ivowaba_emulator.sent_count == 15
    assert elapsed >= 10 * 0.020 - 0.005


def test_the_blocking_client_waits_for_it(
    redis_server: RedisServer, ivowaba_emulator: Emulator
) -> None:
    """In a process of its own: the Redis client lives on the blocking client's loop thread."""
    script = f"""
import time, ivowaba
from redis.asyncio import Redis
from ivowaba.contrib.redis import RedisRateLimiter
limiter = RedisRateLimiter(Redis.from_url({redis_server.url()!r}), {fresh_key("rate")!r}, 50,
                           burst=5)
with ivowaba.Client(api_key={ivowaba_emulator.api_key!r}, base_url={ivowaba_emulator.base_url!r},
                    rate_limiter=limiter) as client:
    started = time.monotonic()
    for i in range(15):
        client.messages.send_text(f"628120000{{i:03d}}", "hello")
    print(time.monotonic() - started)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) >= 10 * 0.020 - 0.005
    assert ivowaba_emulator.sent_count == 15


# Four processes sharing one limit for two seconds, counted by the emulator.
RATE = 200
DURATION = 2.0
PROCESSES = 4


def _texts(worker: int, count: int | None = None) -> Iterator[ivowaba.TextMessage]:
    i = 0
    while count is None or i < count:
        yield ivowaba.TextMessage(wa_id=f"628{worker}{i:08d}", text=f"message {i}")
        i += 1


class _TimeIsUp(Exception):
    """The run is over."""


class _Until:
    """The shared limiter, for a run ending at ``stop_at`` (loop time, set at the start): a
    request whose slot comes after the end is not sent, however late the event loop notices the
    end."""

    def __init__(self, limiter: RedisRateLimiter, stop_at: float) -> None:
        self.limiter, self.stop_at = limiter, stop_at

    async def acquire(self) -> None:
        await self.limiter.acquire()
        if asyncio.get_running_loop().time() >= self.stop_at:
            raise _TimeIsUp


async def _send_until_the_end(
    worker: int, redis_url: str, key: str, base_url: str, api_key: str, ready: Any
) -> int:
    redis = Redis.from_url(redis_url)
    sent = 0
    loop = asyncio.get_running_loop()
    limiter = _Until(RedisRateLimiter(redis, key, RATE), stop_at=math.inf)
    try:
        await redis.ping()
        async with ivowaba.AsyncClient(
            api_key=api_key, base_url=base_url, rate_limiter=limiter
        ) as client:
            # Warmed up before the start (a request that is not a send, so not counted): the
            # first send does not spend the first tenths of a second of the run importing and
            # connecting, while the shared bucket, full, lets that time go unused.
            await client.countries.list()
            start_at: float = await asyncio.to_thread(ready, 60)
            await asyncio.sleep(start_at - time.time())
            limiter.stop_at = loop.time() + (start_at + DURATION - time.time())
            async for result in client.messages.send_many(_texts(worker), concurrency=16):
                if isinstance(result.error, _TimeIsUp):
                    break  # leaving the loop cancels the sends still waiting for the limiter
                if result.error is not None:
                    raise result.error
                sent += 1
    finally:
        await redis.aclose()
    return sent


class _StartSignal:
    """Each process waits at the barrier until all are ready, then reads the common start."""

    def __init__(self, barrier: Any, start: Any) -> None:
        self.barrier, self.start = barrier, start

    def __call__(self, timeout: float) -> float:
        self.barrier.wait(timeout)
        self.barrier.wait(timeout)  # the second time: the start time is set
        value: float = self.start.value
        return value


def _process_main(
    worker: int,
    redis_url: str,
    key: str,
    base_url: str,
    api_key: str,
    barrier: Any,
    start: Any,
    results: Any,
) -> None:
    """One of the four: send as fast as the shared limit allows for ``DURATION`` seconds."""
    ready = _StartSignal(barrier, start)
    try:
        sent = asyncio.run(_send_until_the_end(worker, redis_url, key, base_url, api_key, ready))
    except BaseException as exc:
        results.put((worker, 0, repr(exc)))
        barrier.abort()  # the others, and the test, stop waiting for this one
        raise
    results.put((worker, sent, None))


def test_four_processes_share_one_limit(
    redis_server: RedisServer, ivowaba_emulator: Emulator
) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + 1)
    start = ctx.Value("d", 0.0)
    results = ctx.Queue()
    key = fresh_key("rate")
    processes = [
        ctx.Process(
            target=_process_main,
            args=(
                worker,
                redis_server.url(),
                key,
                ivowaba_emulator.base_url,
                ivowaba_emulator.api_key,
                barrier,
                start,
                results,
            ),
        )
        for worker in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        try:
            barrier.wait(120)  # every process is connected and waiting
            start.value = time.time() + 0.2
            barrier.wait(10)
        except threading.BrokenBarrierError:
            pytest.fail(f"a process failed before the start: {results.get(timeout=10)}")
        reports = [results.get(timeout=DURATION + 60) for _ in processes]
        for process in processes:
            process.join(30)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
        results.join_thread()
    errors = [error for _, _, error in reports if error is not None]
    assert errors == []
    seen_by_clients = sum(sent for _, sent, _ in reports)
    received = ivowaba_emulator.sent_count
    allowed = RATE * DURATION + RATE  # the run at the rate, and one bucket of burst
    print(f"\nfour processes at {RATE}/s for {DURATION:.0f} s: {received} sent (allowed {allowed})")
    assert received <= allowed
    assert received >= 0.9 * allowed
    assert seen_by_clients <= received  # a send cut off at the end may still have arrived
    assert all(sent > 0.1 * allowed for _, sent, _ in reports)  # every process got its share
    assert len({entry.wa_id for entry in ivowaba_emulator.outbox}) == received


# -- RedisDedupStore ---------------------------------------------------------------------------


async def test_a_key_is_claimed_once_until_discarded(redis: Redis) -> None:
    store = RedisDedupStore(redis, prefix=fresh_key("dedup") + ":")
    assert await store.add("message:a") is True
    assert await store.add("message:a") is False
    assert await store.add("message:b") is True
    await store.discard("message:a")
    assert await store.add("message:a") is True


async def test_keys_expire_after_the_ttl(redis: Redis) -> None:
    prefix = fresh_key("dedup") + ":"
    store = RedisDedupStore(redis, prefix=prefix, ttl=0.1)
    assert await store.add("k")
    assert 0 < await redis.pttl(prefix + "k") <= 100
    await asyncio.sleep(0.15)  # Redis's own clock expires the key: nothing to wait on
    assert await store.add("k")


async def test_the_default_ttl_is_a_day(redis: Redis) -> None:
    store = RedisDedupStore(redis, prefix=fresh_key("dedup") + ":")
    await store.add("k")
    assert 86_000 < await redis.ttl(store.prefix + "k") <= 86_400


@pytest.mark.parametrize("ttl", [0, -1.0])
async def test_a_ttl_that_is_not_positive_is_refused(redis: Redis, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        RedisDedupStore(redis, ttl=ttl)


def _notifications(count: int) -> list[bytes]:
    """Half customer texts, half statuses: one message or one status each."""
    bodies = []
    for i in range(count):
        if i % 2:
            content: dict[str, Any] = {
                "statuses": [
                    {
                        "id": f"gBEG{i:06d}",
                        "recipient_id": "628123456789",
                        "status": "delivered",
                        "timestamp": "1700000000",
                        "type": "message",
                    }
                ]
            }
        else:
            content = {
                "contacts": [{"profile": {"name": "Customer"}, "wa_id": "628123456789"}],
                "messages": [
                    {
                        "from": "628123456789",
                        "id": f"ABGG{i:06d}",
                        "timestamp": "1700000000",
                        "type": "text",
                        "text": {"body": f"hello {i}"},
                    }
                ],
            }
        bodies.append(json.dumps(content).encode())
    return bodies


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/webhook"


async def _post_all(
    http: aiohttp.ClientSession, url: str, bodies: list[bytes], parallel: int = 32
) -> Counter[int]:
    """Post every body, ``parallel`` at a time; the answers' status codes."""
    statuses: Counter[int] = Counter()
    queue = list(bodies)

    async def poster() -> None:
        while queue:
            body = queue.pop()
            async with http.post(url, data=body) as response:
                await response.read()
                statuses[response.status] += 1

    await asyncio.gather(*(poster() for _ in range(parallel)))
    return statuses


NOTIFICATIONS = 200  # each posted to both receivers, 32 at a time, in a random order each


@pytest.mark.parametrize("sharing", ["one store", "a store each, one Redis"])
async def test_two_receivers_handle_each_notification_once(
    redis_server: RedisServer, sharing: str
) -> None:
    prefix = fresh_key("dedup") + ":"
    clients = [Redis.from_url(redis_server.url()) for _ in range(2)]
    stores = [RedisDedupStore(client, prefix=prefix) for client in clients]
    if sharing == "one store":
        stores = [stores[0], stores[0]]
    handled: Counter[str] = Counter()
    runners = []
    urls = []
    try:
        for store in stores:
            dispatcher = Dispatcher(store=store)

            @dispatcher.on_message("text")
            async def on_text(message: InboundText) -> None:
                handled[message.id] += 1
                await asyncio.sleep(random.random() / 1000)

            @dispatcher.on_status()
            def on_status(status: Status) -> None:  # in a worker thread
                handled[status.id] += 1

            runner, url = await _serve(create_app(dispatcher))
            runners.append(runner)
            urls.append(url)
        bodies = _notifications(NOTIFICATIONS)
        async with aiohttp.ClientSession() as http:
            answers = await asyncio.gather(
                *(_post_all(http, url, random.sample(bodies, len(bodies))) for url in urls)
            )
    finally:
        for runner in runners:
            await runner.cleanup()
        for client in clients:
            await client.aclose()
    assert [dict(a) for a in answers] == [{200: NOTIFICATIONS}, {200: NOTIFICATIONS}]
    print(
        f"\ntwo receivers, {NOTIFICATIONS} notifications each: "
        f"the handlers ran {handled.total()} times"
    )
    assert handled.total() == NOTIFICATIONS
    assert set(handled.values()) == {1}


async def test_what_failed_on_one_receiver_runs_again_on_the_other(
    redis_server: RedisServer,
) -> None:
    prefix = fresh_key("dedup") + ":"
    redis = Redis.from_url(redis_server.url())
    handled: list[tuple[str, str]] = []
    runners = []
    urls = []
    try:
        for name in ("a", "b"):
            dispatcher = Dispatcher(store=RedisDedupStore(redis, prefix=prefix))

            @dispatcher.on_message("text")
            async def on_text(message: InboundText, name: str = name) -> None:
                if name == "a":
                    raise RuntimeError("the database is down")
                handled.append((name, message.id))

            runner, url = await _serve(create_app(dispatcher))
            runners.append(runner)
            urls.append(url)
        body = _notifications(1)[0]
        async with aiohttp.ClientSession() as http:
            async with http.post(urls[0], data=body) as first:
                assert first.status == 500
            async with http.post(urls[1], data=body) as second:
                assert second.status == 200
            async with http.post(urls[0], data=body) as third:
                assert third.status == 200  # handled by b: a duplicate now
    finally:
        for runner in runners:
            await runner.cleanup()
        await redis.aclose()
    assert handled == [("b", "ABGG000000")]
