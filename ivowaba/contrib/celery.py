"""Bulk campaigns on Celery: worker processes each send chunks of a campaign with
``send_many``. Needs ``pip install 'ivowaba[celery]'``.

```python
# tasks.py, the module the workers run:  celery -A tasks worker -c 4
from celery import Celery
from ivowaba.contrib.celery import send_chunk_task

app = Celery("tasks", broker="redis://localhost:6379/0", backend="redis://localhost:6379/0")
app.conf.worker_prefetch_multiplier = 1
send_chunk = send_chunk_task(app)          # each worker process: ivowaba.Client() from the env

# the producer
from celery import group
from ivowaba.contrib.celery import chunked

messages = ({"type": "text", "wa_id": phone, "text": "Halo!"} for phone in phones)
job = group(send_chunk.s(rows, start) for start, rows in chunked(messages, 100)).apply_async()
for rows in job.get():
    for row in rows:
        print(row["index"], row["id"] or row["error"])
```

Each chunk is sent at most once: the task acknowledges its broker message before it runs
(Celery's default; ``acks_late`` stays off) and is never retried, because a send that may have
reached the gateway must not be repeated. If a worker dies in the middle of a chunk, that
chunk's result never arrives: see which of its rows reached the gateway before sending any of
them again. With a Redis broker keep ``worker_prefetch_multiplier = 1``: a chunk prefetched but
not started within the broker's ``visibility_timeout`` (an hour) would be delivered twice.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypedDict

from celery.signals import (  # type: ignore[import-untyped, unused-ignore]
    worker_process_shutdown,
)

from ivowaba._sync import Client
from ivowaba.types.bulk import BulkResult

__all__ = ["RowResult", "chunked", "row_result", "send_chunk_task", "worker_client"]


class RowResult(TypedDict):
    """What the task returns for each row, in the chunk's order (JSON-friendly).

    - ``index``: the row's position in the whole campaign (``start`` + its place in the chunk).
    - ``id``: the WhatsApp message id once the gateway accepted it, else ``None``.
    - ``error``: why it was not accepted (``"RateLimitError: ..."``), else ``None``.
    - ``sent``: ``True`` when accepted; ``False`` when it surely was not sent (bad input, a
      4xx answer, a connection that was never made, a skipped row), so sending it again is
      safe; ``None`` when it may have been (any 5xx answer, a timeout or a connection dropped
      after the request left): look before sending it again. It is ``BulkResult.sent``, the
      rule of :func:`ivowaba._errors.sent_state`.
    - ``skipped``: ``"opted_out"`` or ``"window_closed"`` when the worker's outcome store left
      the row out before any request (``BulkResult.skipped``), else ``None``.
    """

    index: int
    id: str | None
    error: str | None
    sent: bool | None
    skipped: str | None


class _PerProcess:
    """One ``Client`` per process, built on first use in that process: a worker process forked
    from the parent builds its own, never one inherited over the fork."""

    def __init__(self, factory: Callable[[], Client]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._client: Client | None = None

    def get(self) -> Client:
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                self._client = self._factory()
                self._pid = os.getpid()
            return self._client

    def close(self, **_signal: Any) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._pid == os.getpid():
            client.close()


_default = _PerProcess(Client)


def worker_client() -> Client:
    """The worker process's ``ivowaba.Client`` built from the environment (``IVOWABA_API_KEY``,
    ``IVOWABA_BASE_URL``), for tasks of your own; built on first use in each process and
    closed when the worker process shuts down."""
    return _default.get()


def send_chunk_task(
    app: Any,
    *,
    client: Callable[[], Client] | None = None,
    name: str = "ivowaba.send_chunk",
    concurrency: int = 32,
    record: Callable[[RowResult], object] | None = None,
    **options: Any,
) -> Any:
    """Register on the Celery ``app`` the task ``send_chunk(rows, start=0)`` and return it.

    The task sends ``rows`` (message dicts as ``ivowaba.message_from_dict`` reads them:
    ``{"type": "text", "wa_id": ..., "text": ...}``) with ``client.messages.send_many`` and
    returns one :class:`RowResult` per row, in the rows' order; ``start`` is the index of the
    first row in the campaign.

    - ``client``: builds the ``ivowaba.Client`` of a worker process: called once in each
      process, on its first task (so after the fork), e.g. to give it a
      ``RedisRateLimiter`` shared by all workers. Default: ``ivowaba.Client()`` from the
      environment. The client is closed when the worker process shuts down.
    - ``name``: the task's name; ``concurrency``: sends in flight per worker process.
    - ``record``: called in the worker with each row's result as it finishes (say, to write
      it to your database), before the task returns.
    - ``options``: more ``app.task`` options (``queue=``, ...).

    ```python
    def make_client() -> ivowaba.Client:
        redis = Redis.from_url(REDIS_URL)
        return ivowaba.Client(rate_limiter=RedisRateLimiter(redis, "ivowaba:rate", 80))

    send_chunk = send_chunk_task(app, client=make_client)
    ```
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    clients = _default if client is None else _PerProcess(client)
    worker_process_shutdown.connect(clients.close, weak=False)
    options.setdefault("acks_late", False)

    def send_chunk(rows: list[Mapping[str, Any]], start: int = 0) -> list[RowResult]:
        results: list[RowResult | None] = [None] * len(rows)
        for result in clients.get().messages.send_many(rows, concurrency=concurrency):
            row = row_result(result, start)
            results[result.index] = row
            if record is not None:
                record(row)
        return [row for row in results if row is not None]

    send_chunk.__doc__ = "Send one chunk of a campaign; one RowResult per row, in order."
    return app.task(name=name, **options)(send_chunk)


def row_result(result: BulkResult, start: int = 0) -> RowResult:
    """The JSON-friendly :class:`RowResult` of one ``send_many`` result."""
    error = result.error
    return {
        "index": start + result.index,
        "id": result.id,
        "error": None if error is None else f"{type(error).__name__}: {error}",
        "sent": result.sent,
        "skipped": result.skipped,
    }


def chunked(
    rows: Iterable[Mapping[str, Any]], size: int
) -> Iterator[tuple[int, list[Mapping[str, Any]]]]:
    """Split a campaign into ``(start, rows)`` pairs of at most ``size`` rows, read lazily:
    the arguments of one ``send_chunk`` each."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be an integer >= 1, got {size!r}")
    chunk: list[Mapping[str, Any]] = []
    start = 0
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield start, chunk
            start += size
            chunk = []
    if chunk:
        yield start, chunk
