"""Where the examples send: your IVOWBA account when ``IVOWABA_API_KEY`` is set, else a local
emulator, so that every example runs as it is, with no account."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from ivowaba.testing import Emulator


@contextlib.contextmanager
def target() -> Iterator[dict[str, str]]:
    """Keyword arguments for a client: ``{}`` (from the environment) or the emulator's."""
    if os.environ.get("IVOWABA_API_KEY"):
        yield {}
        return
    with Emulator() as emulator:
        print(f"(no IVOWABA_API_KEY: sending to a local emulator at {emulator.base_url})")
        yield {"api_key": emulator.api_key, "base_url": emulator.base_url}
