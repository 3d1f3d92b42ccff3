"""The JSON encoder and decoders, built once and shared."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, cast

import msgspec

T = TypeVar("T")

encoder = msgspec.json.Encoder()
encode = encoder.encode
decode_any: Callable[[bytes], Any] = msgspec.json.Decoder().decode


@cache
def decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    """The cached decoder of ``type_``."""
    return msgspec.json.Decoder(type_)


def decode_as(type_: type[T]) -> Callable[[bytes], T]:
    """A function decoding JSON bytes into ``type_``."""
    decode: Callable[[bytes], T] = decoder(cast(Any, type_)).decode
    return decode
