"""``ivowaba.contrib.redis`` across event loops and ``os.fork()``, against a real
``redis-server``: one ``Redis`` made once serves every loop in turn, a forked child opens
connections of its own and leaves its parent's alone, and nothing is left unclosed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import select
import signal
import sys
import threading
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ivowaba
from ivowaba.testing import Emulator
from tests import _redis_server
from tests._redis_server import RedisServer, unavailable
from tests.conftest import API_KEY

redis_server = _redis_server.redis_server  # the fixture: a private redis-server

try:
    from redis.asyncio import BlockingConnectionPool, Redis

    from ivowaba.contrib.redis import RedisDedupStore, RedisRateLimiter
except ImportError as missing:  # pragma: no cover - the test extra installs redis
    unavailable(f"redis-py is not installed ({missing}): pip install -e '.[test]'")

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

BOUND = 5.0  # seconds any one call may take: a hang fails the test instead of stalling it
CHILD_BOUND = 60.0  # seconds the child may take in all


def fresh_key(kind: str) -> str:
    return f"test:{kind}:{uuid.uuid4().hex}"


# socket_timeout bounds every read: a reply that never comes is a TimeoutError.
KINDS: dict[str, Callable[[str], Redis]] = {
    "a pool": lambda url: Redis.from_url(url, socket_timeout=BOUND),
    "a blocking pool": lambda url: Redis.from_pool(
        BlockingConnectionPool.from_url(url, socket_timeout=BOUND, timeout=BOUND)
    ),
    "a single connection": lambda url: Redis.from_url(
        url, socket_timeout=BOUND, single_connection_client=True
    ),
}


@contextlib.contextmanager
def no_warnings() -> Iterator[None]:
    """Fail if the block, or the garbage it leaves, gives any warning or an exception that
    could not be raised (in a ``__del__``): unclosed sockets, transports, loops, clients."""
    unraisable: list[str] = []
    previous_hook = sys.unraisablehook

    def hook(report: Any) -> None:
        unraisable.append(f"{report.exc_type.__name__}: {report.exc_value} ({report.object!r})")

    sys.unraisablehook = hook
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
            gc.collect()
    finally:
        sys.unraisablehook = previous_hook
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    assert unraisable == []


def fork() -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, on 3.12+
        return os.fork()


def exit_code_of_child(body: Callable[[], None]) -> int:
    """Run ``body`` in a forked child, without warnings (see :func:`no_warnings`), and return
    its exit code: 0 when it passed. The child exits without running the parent's cleanup."""
    read_end, write_end = os.pipe()
    pid = fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            with no_warnings():
                body()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)  # its end of the pipe closes with it: the parent sees the end
    os.close(write_end)
    try:
        ended, _, _ = select.select([read_end], [], [], CHILD_BOUND)
        if not ended:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def open_connections(redis: Redis) -> list[Any]:
    """The connections of ``redis``'s pool that hold a socket."""
    pool = redis.connection_pool
    return [c for c in (*pool._available_connections, *pool._in_use_connections) if c._writer]


# -- os.fork() ---------------------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize("kind", KINDS)
def test_a_forked_child_opens_its_own_connections_and_the_parent_keeps_its(
    redis_server: RedisServer, kind: str
) -> None:
    redis = KINDS[kind](redis_server.url())
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 1000)
    store = RedisDedupStore(redis, prefix=fresh_key("dedup") + ":")
    # The parent's loop lives on across the fork, as a server's or a blocking client's does:
    # its selector is the epoll instance the child inherits.
    loop = asyncio.new_event_loop()

    def in_parent(coro: Any) -> Any:
        return loop.run_until_complete(asyncio.wait_for(coro, BOUND))

    try:
        with no_warnings():
            in_parent(limiter.acquire())
            assert in_parent(store.add("before the fork")) is True
            parent_id = in_parent(redis.client_id())

        async def in_child(run: int) -> int:
            await asyncio.wait_for(limiter.acquire(), BOUND)
            assert await asyncio.wait_for(store.add(f"in the child {run}"), BOUND) is True
            assert await asyncio.wait_for(store.add("before the fork"), BOUND) is False
            child_id: int = await asyncio.wait_for(redis.client_id(), BOUND)
            return child_id

        def child() -> None:
            ids = [asyncio.run(in_child(run)) for run in (1, 2)]  # one loop after another
            assert parent_id not in ids  # connections of its own, never the parent's socket
            assert open_connections(redis) == []  # closed as each loop shut down

        child_exit_code = exit_code_of_child(child)
        with no_warnings():
            in_parent(limiter.acquire())  # it hung until its timeout
            assert in_parent(store.add("in the child 1")) is False
            assert in_parent(redis.client_id()) == parent_id  # the connection it had
            in_parent(redis.aclose())
    finally:
        loop.close()
    assert child_exit_code == 0


@needs_fork
def test_a_blocking_client_made_before_a_fork_sends_from_both_processes(
    redis_server: RedisServer, emu: Emulator
) -> None:
    """As under ``gunicorn --preload`` or a Celery prefork pool."""
    redis = KINDS["a pool"](redis_server.url())
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 1000)
    with no_warnings():
        with ivowaba.Client(
            api_key=API_KEY, base_url=emu.base_url, rate_limiter=limiter, max_retries=0
        ) as client:
            client.messages.send_text("628123456789", "parent before")

            def child() -> None:
                client.messages.send_text("628123456789", "child")
                client.close()  # its own loop thread ends, closing its connections there
                assert open_connections(redis) == []

            child_exit_code = exit_code_of_child(child)
            client.messages.send_text("628123456789", "parent after")
        assert open_connections(redis) == []  # closed as the client's loop thread ended
    assert child_exit_code == 0
    assert sorted(r.json()["text"] for r in emu.requests) == [
        "child",
        "parent after",
        "parent before",
    ]


# -- one event loop after another ------------------------------------------------------------


async def _use(limiter: RedisRateLimiter, store: RedisDedupStore, redis: Redis, run: int) -> None:
    await asyncio.wait_for(limiter.acquire(), BOUND)
    assert await asyncio.wait_for(store.add(f"run {run}"), BOUND) is True
    assert await asyncio.wait_for(redis.ping(), BOUND)  # your own calls, on the same pool
    assert open_connections(redis) != []


@pytest.mark.parametrize("kind", KINDS)
def test_one_redis_serves_one_event_loop_after_another(
    redis_server: RedisServer, kind: str
) -> None:
    redis = KINDS[kind](redis_server.url())
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 1000)
    store = RedisDedupStore(redis, prefix=fresh_key("dedup") + ":")
    with no_warnings():
        for run in range(3):
            asyncio.run(_use(limiter, store, redis, run))
            assert open_connections(redis) == []  # closed as the loop shut down


def test_two_event_loops_at_once_cannot_share_one_redis(redis_server: RedisServer) -> None:
    redis = KINDS["a pool"](redis_server.url())
    limiter = RedisRateLimiter(redis, fresh_key("rate"), 1000)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    try:
        with no_warnings():
            thread.start()
            try:
                asyncio.run_coroutine_threadsafe(limiter.acquire(), loop).result(BOUND)
                with pytest.raises(ivowaba.IvowabaError, match="another event loop"):
                    asyncio.run(limiter.acquire())
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(BOUND)
            assert not thread.is_alive()
            # That loop stopped, still open: its connection is put aside, not used here.
            asyncio.run(asyncio.wait_for(limiter.acquire(), BOUND))
            assert len(open_connections(redis)) == 0
            loop.run_until_complete(loop.shutdown_asyncgens())  # it closes the one put aside
    finally:
        loop.close()
