"""Where the examples send: your IVOWBA account when ``IVOWABA_API_KEY`` is set, else a local
emulator, so that every example runs as it is, with no account."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from ivowaba.testing import Emulator


@contextlib.contextmanager
def target() -> Iterator[tuple[str | None, str | None]]:
    """``(api_key, base_url)`` for a client: ``(None, None)`` to take both from the
    environment, or the emulator's."""
    if os.environ.get("IVOWABA_API_KEY"):
        yield None, None
        return
    with Emulator() as emulator:
        print(f"(no IVOWABA_API_KEY: sending to a local emulator at {emulator.base_url})")
        yield emulator.api_key, emulator.base_url
