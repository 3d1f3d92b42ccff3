"""``client.countries``: the countries IVOWBA knows, with ISO codes and dial codes."""

from __future__ import annotations

from collections.abc import Callable

from ivowaba._operations import OPERATIONS
from ivowaba._resource import Mode, Resource, operation
from ivowaba.types.resources import Country

LIST = OPERATIONS["countries.list"]


_decode: Callable[[bytes], list[Country]] = LIST.decoder


class Countries(Resource[Mode]):
    @operation
    async def list(self) -> list[Country]:
        """Every country IVOWBA knows (``GET /api/v1/countries``).

        Returns a list of ``Country``: ``id``, ``name``, ``dial_code`` (``"+62"``), ``iso``
        (``"ID"``) and ``iso3`` (``"IDN"``).

        Raises ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        countries = await client.countries.list()
        print({country.iso: country.dial_code for country in countries})
        ```
        """
        return await self._client.call(LIST, _decode)
