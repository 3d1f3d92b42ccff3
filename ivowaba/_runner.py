"""The blocking client's event-loop thread: an anyio blocking portal, and a lean hand-off to it.

One daemon thread per ``Client`` runs an asyncio loop inside an anyio ``BlockingPortal``; the
async client lives there. A blocking call schedules its coroutine on that loop and waits for
the result; the coroutine runs in a copy of the calling thread's context (``contextvars``), as
it would have run in that thread. The thread is a daemon so that a client never closed cannot
hang interpreter exit.

After ``os.fork()`` the child starts a fresh loop, selector and thread on first use (threads
do not survive a fork) and abandons the parent's copies untouched: closing them would
unregister the parent's sockets from the epoll instance both processes share.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

from ivowaba import _fork
from ivowaba._errors import ClientClosedError

T = TypeVar("T")


class _Call:
    """One blocking call: the coroutine to run, and where its outcome lands."""

    __slots__ = ("args", "context", "done", "error", "fn", "kwargs", "result", "task")

    def __init__(self, fn: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.context = contextvars.copy_context()  # the caller's, for the task that runs it
        self.result: Any = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None
        self.done = threading.Lock()
        self.done.acquire()  # released on the loop thread once the outcome is set

    async def run(self) -> None:
        try:
            self.result = await self.fn(*self.args, **self.kwargs)
        except BaseException as error:  # handed to the calling thread, raised there
            self.error = error
        finally:
            self.done.release()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


class LoopRunner:
    """Owns the loop thread; runs coroutines on it for any number of calling threads."""

    def __init__(
        self,
        *,
        on_start: Callable[[], Coroutine[Any, Any, None]] | None = None,
        on_stop: Callable[[], Coroutine[Any, Any, None]] | None = None,
        name: str = "ivowaba-loop",
    ) -> None:
        self._on_start = on_start
        self._on_stop = on_stop
        self._name = name
        self._lock = threading.Lock()
        self._queue: deque[_Call] = deque()
        self._queue_lock = threading.Lock()
        self._wake_scheduled = False
        self._closed = False
        self._start()

    def _start(self) -> None:
        self._generation = _fork.generation
        self._queue = deque()
        self._queue_lock = threading.Lock()  # a lock held by a thread lost in a fork stays held
        self._wake_scheduled = False
        self._running: set[asyncio.Task[None]] = set()
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            async with BlockingPortal() as portal:
                self._portal = portal
                self._loop = asyncio.get_running_loop()
                try:
                    if self._on_start is not None:
                        await self._on_start()
                except BaseException as exc:  # reported to the constructing thread
                    failure.append(exc)
                    ready.set()
                    return
                ready.set()
                await portal.sleep_until_stopped()
                self._refuse_queued()
                if self._running:  # calls already under way finish before the pool closes
                    await asyncio.gather(*self._running, return_exceptions=True)
                if self._on_stop is not None:
                    await self._on_stop()

        def main() -> None:
            try:
                anyio.run(serve, backend="asyncio")
            except BaseException as exc:
                failure.append(exc)
                ready.set()

        self._thread = threading.Thread(target=main, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            raise failure[0]

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        self._ensure_running()
        return self._loop

    def _ensure_running(self) -> None:
        if self._generation != _fork.generation:
            self._lock = threading.Lock()  # the parent's may have been held at the fork
            with self._lock:
                if self._generation != _fork.generation and not self._closed:
                    self._abandon_parents()
                    self._start()
        if self._closed:
            raise ClientClosedError()

    def _abandon_parents(self) -> None:
        """In a forked child: keep the parent's loop, selector, portal and thread objects
        alive and untouched for good (see the module's docstring)."""
        _fork.abandon(self._thread, self._loop, self._portal, self._queue, self._running)

    def call(self, fn: Callable[..., Coroutine[Any, Any, T]], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the loop thread and block until it returns.

        Calls from many threads are handed over in batches: one wake-up of the loop serves
        every call queued since the last one, and each caller sleeps on a plain lock until its
        own result is in. This is what lets 16 threads share one client at full speed.
        """
        self._ensure_running()
        if threading.get_ident() == self._thread.ident:
            raise RuntimeError(
                "a blocking ivowaba.Client call was made from its own event-loop thread; "
                "use AsyncClient inside async code"
            )
        call = _Call(fn, args, kwargs)
        with self._queue_lock:
            if self._closed:
                raise ClientClosedError()
            self._queue.append(call)
            wake = not self._wake_scheduled
            self._wake_scheduled = True
        if wake:
            self._loop.call_soon_threadsafe(self._start_queued)
        try:
            call.done.acquire()
        except BaseException:  # KeyboardInterrupt in the caller: stop the work too
            self._loop.call_soon_threadsafe(call.cancel)
            raise
        if call.error is not None:
            raise call.error
        return call.result  # type: ignore[no-any-return]

    def _refuse_queued(self) -> None:
        """At shutdown: calls queued after the last wake-up will never run; say so."""
        with self._queue_lock:
            calls = list(self._queue)
            self._queue.clear()
        for call in calls:
            call.error = ClientClosedError("the client was closed before this call could run")
            call.done.release()

    def _start_queued(self) -> None:
        with self._queue_lock:
            calls = list(self._queue)
            self._queue.clear()
            self._wake_scheduled = False
        for call in calls:  # each in its own caller's context, not in the one that woke us
            task = call.task = call.context.run(self._loop.create_task, call.run())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def iterate(
        self, fn: Callable[..., AsyncIterator[T]], /, *args: Any, **kwargs: Any
    ) -> Iterator[T]:
        """Turn the async iterator ``fn(*args, **kwargs)`` into a blocking one."""
        agen = fn(*args, **kwargs)

        async def step() -> tuple[bool, T | None]:
            try:
                return True, await agen.__anext__()
            except StopAsyncIteration:
                return False, None

        async def close() -> None:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                await aclose()

        try:
            while True:
                more, item = self.call(step)
                if not more:
                    return
                yield item  # type: ignore[misc]
        finally:
            if not self._closed and self._generation == _fork.generation:
                self.call(close)

    def close(self) -> None:
        """Refuse new calls, let those under way finish, run ``on_stop`` on the loop, stop it
        and join the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            with self._queue_lock:  # from here on no call is queued
                self._closed = True
        if self._generation != _fork.generation or not self._thread.is_alive():
            return  # a forked child's copy: the parent's to close, not ours
        if threading.get_ident() == self._thread.ident:
            # From the loop itself (the last reference dropped there): stop, don't wait.
            self._loop.create_task(self._portal.stop())
            return
        self._portal.call(self._portal.stop)
        self._thread.join()
