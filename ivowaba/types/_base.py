"""Base classes of every wire struct."""

from __future__ import annotations

import msgspec


class Outbound(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """A request body part: fields left at ``None`` are left out of the JSON; a plain dict
    given in its place is checked field by field (an unknown key is an error, not dropped)."""


class Inbound(msgspec.Struct, kw_only=True):
    """A response part: unknown fields from the server are ignored, never an error."""
