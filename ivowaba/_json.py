"""The JSON encoder and the schemaless decoder, built once and shared (typed decoders are
the operations table's)."""

from __future__ import annotations

import msgspec

encoder = msgspec.json.Encoder()
encode = encoder.encode
decode_any = msgspec.json.Decoder().decode
