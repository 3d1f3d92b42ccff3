"""aioresponses 0.7.x builds ``ClientResponse`` without the ``stream_writer`` argument that
aiohttp 3.14 requires (pnuckowski/aioresponses#289). Until a release fixes it, give the
responses it builds a stand-in writer; the tests need nothing else from it."""

from __future__ import annotations

import inspect
from typing import Any

import aiohttp
import aioresponses.core


class _SentWriter:
    """What a response needs to know of the finished upload: its size."""

    output_size = 0


class CompatibleClientResponse(aiohttp.ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _SentWriter())
        super().__init__(*args, **kwargs)


def install() -> None:
    needs_writer = "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters
    if needs_writer:
        aioresponses.core.ClientResponse = CompatibleClientResponse  # type: ignore[misc]
