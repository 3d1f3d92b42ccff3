"""The :class:`Dispatcher` from blocking code: one event-loop thread per dispatcher.

``wsgi_app``, ``django_view`` and ``Dispatcher.wait_for_reply_sync`` run the dispatcher's
async work on one loop, in a daemon thread named ``ivowaba-webhooks`` started on first use
(so after a fork: gunicorn ``--preload`` starts it in each worker), and stopped when the
dispatcher is collected or :func:`close` is called. One loop per dispatcher keeps what it
holds in memory (deliveries under way, the replies waited for) on that loop.

A blocking server waits for a dispatch with :func:`dispatch_here`: the dispatch runs on the
loop, and its plain handlers come back to run in the waiting thread, the request's own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import queue
import threading
import weakref
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

from ivowaba._runner import LoopRunner
from ivowaba.webhooks._handler_thread import run_sync_handler

if TYPE_CHECKING:
    from ivowaba.webhooks._dispatcher import Dispatcher

T = TypeVar("T")

THREAD_NAME = "ivowaba-webhooks"

_runners: weakref.WeakKeyDictionary[Dispatcher, LoopRunner] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_tasks: set[asyncio.Task[Any]] = set()  # the loop keeps only weak references to its tasks


def _renew_lock() -> None:  # a lock another thread held at a fork stays held in the child
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_renew_lock)


def runner_of(dispatcher: Dispatcher) -> LoopRunner:
    """The loop thread of ``dispatcher``, started now if it has none."""
    runner = _runners.get(dispatcher)
    if runner is not None:
        return runner
    with _lock:
        runner = _runners.get(dispatcher)
        if runner is None:
            runner = _runners[dispatcher] = LoopRunner(name=THREAD_NAME)
            weakref.finalize(dispatcher, runner.close)
    return runner


def close(dispatcher: Dispatcher) -> None:
    """Stop ``dispatcher``'s loop thread, if it has one, once the calls under way are done; the
    next blocking use starts another."""
    with _lock:
        runner = _runners.pop(dispatcher, None)
    if runner is not None:
        runner.close()


def call(
    dispatcher: Dispatcher, fn: Callable[..., Coroutine[Any, Any, T]], /, *args: Any, **kwargs: Any
) -> T:
    """Run ``fn(*args, **kwargs)`` on ``dispatcher``'s loop and wait for it here."""
    return runner_of(dispatcher).call(fn, *args, **kwargs)


class _Job:
    """A plain handler to run in the waiting thread, and the loop's future for its result."""

    __slots__ = ("future", "handler", "item", "loop")

    def __init__(
        self,
        handler: Callable[[Any], Any],
        item: Any,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
    ) -> None:
        self.handler, self.item, self.loop, self.future = handler, item, loop, future

    def run(self) -> None:
        try:
            result = self.handler(self.item)
        except Exception as exc:
            self._settle(None, exc)
        except BaseException:  # KeyboardInterrupt, SystemExit: this thread's to raise
            self._settle(None, asyncio.CancelledError())
            raise
        else:
            self._settle(result, None)

    def _settle(self, result: Any, error: BaseException | None) -> None:
        def settle() -> None:
            if self.future.done():  # the dispatch was cancelled meanwhile
                return
            if isinstance(error, asyncio.CancelledError):
                self.future.cancel()
            elif error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(result)

        with suppress(RuntimeError):  # the loop is closed: nobody waits for it any more
            self.loop.call_soon_threadsafe(settle)


def dispatch_here(
    dispatcher: Dispatcher, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any
) -> T:
    """Run ``fn(*args)`` (a dispatch) on ``dispatcher``'s loop, in a copy of this thread's
    context, running its plain handlers here, in this thread, as they come; return what it
    returned, or raise what it raised."""
    loop = runner_of(dispatcher).loop
    if _running_loop() is loop:
        raise RuntimeError("a blocking webhook call was made on the dispatcher's own loop")
    jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
    outcome: concurrent.futures.Future[T] = concurrent.futures.Future()

    async def in_this_thread(handler: Callable[[Any], Any], item: Any) -> Any:
        future: asyncio.Future[Any] = loop.create_future()
        jobs.put(_Job(handler, item, loop, future))
        return await future

    async def main() -> T:
        run_sync_handler.set(in_this_thread)  # in this task's context only
        return await fn(*args)

    def finished(task: asyncio.Task[T]) -> None:
        _tasks.discard(task)
        if task.cancelled():
            outcome.set_exception(concurrent.futures.CancelledError())
        elif (error := task.exception()) is not None:
            outcome.set_exception(error)
        else:
            outcome.set_result(task.result())
        jobs.put(None)

    def start() -> None:
        task = loop.create_task(main())
        _tasks.add(task)
        task.add_done_callback(finished)

    loop.call_soon_threadsafe(start, context=contextvars.copy_context())
    while (job := jobs.get()) is not None:
        job.run()
    return outcome.result()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
