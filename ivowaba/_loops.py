"""What belongs to one event loop: closed when that loop shuts down, and never shared with a
second loop running at the same time.

A pool of connections (aiohttp's, redis-py's) is bound to the loop that opened it. When that
loop shuts down (the end of ``asyncio.run()``, of a test's loop, of the blocking client's loop
thread) it runs ``shutdown_asyncgens()``; a guard started here is one of those generators, and
closes the pool there, on its own loop, with no warning.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress

from ivowaba import _fork
from ivowaba._errors import IvowabaError


def close_at_shutdown(close: Callable[[], Awaitable[object]]) -> AsyncGenerator[None, None]:
    """Have the running loop await ``close()`` when it shuts down. Returns the guard, already
    started: keep a reference to it (the loop holds it weakly); ``await guard.aclose()`` runs
    ``close()`` at once. A forked child never runs it for its parent's loop."""
    guard = _guard(close, _fork.generation)
    with suppress(StopIteration):  # run to its first yield: the running loop now tracks it
        guard.asend(None).send(None)
    return guard


async def _guard(
    close: Callable[[], Awaitable[object]], generation: int
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if generation == _fork.generation:
            await close()


def refuse_a_second_running_loop(
    previous: asyncio.AbstractEventLoop | None, loop: asyncio.AbstractEventLoop, what: str
) -> None:
    """Raise ``IvowabaError`` when ``what``, last used on ``previous``, is now wanted on
    ``loop`` while ``previous`` still runs (in another thread)."""
    if previous is not None and previous is not loop and previous.is_running():
        raise IvowabaError(
            f"{what} is in use on another event loop that is still running; "
            "give each event loop (each thread running one) a client of its own"
        )
