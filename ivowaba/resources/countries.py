"""``client.countries``: the countries IVOWBA knows, with ISO codes and dial codes."""

from __future__ import annotations

import msgspec

from ivowaba import _json
from ivowaba._client import Endpoint
from ivowaba._resource import Mode, Resource, operation
from ivowaba.types.resources import Country

LIST = Endpoint("countries.list", "GET", "/api/v1/countries")


class _Countries(msgspec.Struct):
    data: list[Country]


_decode = _json.decode_as(_Countries)


class Countries(Resource[Mode]):
    @operation
    async def list(self) -> list[Country]:
        """Every country: ``id``, ``name``, ``dial_code`` (``"+62"``), ``iso``, ``iso3``."""
        return (await self._client.call(LIST, _decode)).data
