"""Concurrent sending with flat memory: a fixed pool of workers pulling from one iterator.

Not ``gather`` over every item: that would hold a task per message. Here at most
``concurrency`` sends are in flight and at most ``concurrency`` finished results wait to be
consumed, whatever the number of messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from typing import Any

from ivowaba._errors import ValidationError
from ivowaba.types.bulk import BulkResult
from ivowaba.types.resources import SentMessage

_DONE: Any = object()


class _Source:
    """Hands out ``(index, item)`` pairs of the caller's iterable to any number of workers."""

    def __init__(self, items: Iterable[Any] | AsyncIterable[Any]) -> None:
        self._next_index = 0
        self._items: Iterator[Any] | None = None
        self._async_items: AsyncIterator[Any] | None = None
        if isinstance(items, AsyncIterable):
            self._async_items = aiter(items)
            self._lock = asyncio.Lock()  # an async iterator must not be advanced twice at once
        else:
            self._items = iter(items)

    async def take(self) -> tuple[int, Any] | None:
        """The next pair, or ``None`` once the iterable is exhausted."""
        if self._items is not None:
            try:
                item = next(self._items)
            except StopIteration:
                return None
        else:
            assert self._async_items is not None
            async with self._lock:
                try:
                    item = await anext(self._async_items)
                except StopAsyncIteration:
                    return None
                index = self._next_index
                self._next_index += 1
                return index, item
        index = self._next_index
        self._next_index += 1
        return index, item

    async def close(self) -> None:
        aclose = getattr(self._async_items, "aclose", None)
        if aclose is not None:
            await aclose()
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


async def send_concurrently(
    send: Callable[[Any], Awaitable[SentMessage | str]],
    items: Iterable[Any] | AsyncIterable[Any],
    concurrency: int,
) -> AsyncIterator[BulkResult]:
    """Yield ``BulkResult`` for every item of ``items`` sent with ``send``, as each finishes.

    ``send`` returns the accepted message, or a string saying why the item was skipped
    without a request (``BulkResult.skipped``: ``"opted_out"``, ``"window_closed"``)."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError("concurrency", f"must be an integer >= 1, got {concurrency!r}")
    if not isinstance(items, (Iterable, AsyncIterable)):
        raise ValidationError("messages", "must be an iterable or an async iterable of messages")
    source = _Source(items)
    # A slot is taken before reading an item and given back once its result was consumed:
    # sends in flight plus results waiting for the caller never exceed `concurrency`.
    slots = asyncio.Semaphore(concurrency)
    results: asyncio.Queue[BulkResult] = asyncio.Queue()

    async def worker() -> None:
        try:
            while True:
                await slots.acquire()
                try:
                    taken = await source.take()
                except Exception as error:  # the caller's iterable itself failed
                    results.put_nowait(BulkResult(index=-1, message=None, error=error))
                    return
                if taken is None:
                    slots.release()
                    return
                index, item = taken
                try:
                    sent = await send(item)
                except Exception as error:
                    results.put_nowait(BulkResult(index=index, message=item, error=error))
                else:
                    results.put_nowait(
                        BulkResult(index=index, message=item, skipped=sent)
                        if isinstance(sent, str)
                        else BulkResult(index=index, message=item, id=sent.id)
                    )
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
        await source.close()
