"""Serving commands (``ivowaba emulator``, ``ivowaba receive``) stop cleanly on SIGINT (Ctrl-C)
and on SIGTERM (``kill``, a service manager, a background job's end), whichever comes."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs; the previous handlers come
    back after it. Where signals cannot be caught (a thread other than the main one), the
    caller is stopped by cancelling it."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    caught: list[tuple[signal.Signals, Any]] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        try:
            loop.add_signal_handler(signum, stopped.set)
        except (ValueError, RuntimeError, NotImplementedError):
            continue
        caught.append((signum, previous))
    try:
        yield stopped
    finally:
        for signum, previous in caught:
            loop.remove_signal_handler(signum)
            if previous is not None:
                signal.signal(signum, previous)
