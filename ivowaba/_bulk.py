"""Concurrent sending with flat memory: a fixed pool of workers pulling from one iterator.

Not ``gather`` over every item: that would hold a task per message. Here at most
``concurrency`` sends are in flight and at most ``concurrency`` finished results wait to be
consumed, whatever the number of messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
)
from typing import Any, TypeVar

from ivowaba._errors import ValidationError
from ivowaba.types.bulk import BulkResult
from ivowaba.types.resources import SentMessage

T = TypeVar("T")

_DONE: Any = object()


async def _numbered(items: Iterable[T] | AsyncIterable[T]) -> AsyncGenerator[tuple[int, T], None]:
    index = 0
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield index, item
            index += 1
    else:
        for item in items:
            yield index, item
            index += 1


async def send_concurrently(
    send: Callable[[Any], Awaitable[SentMessage]],
    items: Iterable[Any] | AsyncIterable[Any],
    concurrency: int,
) -> AsyncIterator[BulkResult]:
    """Yield ``BulkResult`` for every item of ``items`` sent with ``send``, as each finishes."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError("concurrency", f"must be an integer >= 1, got {concurrency!r}")
    if not isinstance(items, (Iterable, AsyncIterable)):
        raise ValidationError("messages", "must be an iterable or an async iterable of messages")
    source = _numbered(items)
    take = asyncio.Lock()  # an async generator must not be advanced by two workers at once
    # A slot is taken before reading an item and given back once its result was consumed:
    # sends in flight plus results waiting for the caller never exceed `concurrency`.
    slots = asyncio.Semaphore(concurrency)
    results: asyncio.Queue[BulkResult] = asyncio.Queue()
    exhausted = False

    async def worker() -> None:
        nonlocal exhausted
        try:
            while not exhausted:
                await slots.acquire()
                async with take:
                    try:
                        index, item = await source.__anext__()
                    except StopAsyncIteration:
                        exhausted = True
                        slots.release()
                        return
                    except Exception as error:  # the caller's iterator itself failed
                        exhausted = True
                        results.put_nowait(BulkResult(index=-1, message=None, error=error))
                        return
                try:
                    sent = await send(item)
                except Exception as error:
                    results.put_nowait(BulkResult(index=index, message=item, error=error))
                else:
                    results.put_nowait(BulkResult(index=index, message=item, id=sent.id))
        finally:
            results.put_nowait(_DONE)

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    running = len(workers)
    try:
        while running:
            result = await results.get()
            if result is _DONE:
                running -= 1
                continue
            if result.index < 0:
                assert result.error is not None
                raise result.error
            yield result
            slots.release()
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await source.aclose()
