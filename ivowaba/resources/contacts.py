"""``client.contacts``: check which phone numbers are on WhatsApp."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ivowaba import _json
from ivowaba._errors import ValidationError
from ivowaba._operations import OPERATIONS
from ivowaba._resource import Mode, Resource, operation
from ivowaba.types._base import Outbound
from ivowaba.types.contacts import ContactCheck

CHECK = OPERATIONS["contacts.check"]

_PHONE_CHARACTERS = frozenset("0123456789+ -().")


class _CheckRequest(Outbound):
    contacts: list[str]


_decode_answer: Callable[[bytes], list[ContactCheck]] = CHECK.decoder


class Contacts(Resource[Mode]):
    """Validate numbers before sending: each valid one gets the ``wa_id`` to send to."""

    @operation
    async def check(self, numbers: str | Iterable[str]) -> list[ContactCheck]:
        """Check which phone numbers are on WhatsApp (``POST /api/v1/contacts/check``).

        - ``numbers``: one number or an iterable of them, at least one. Each is sent as given
          (``"+628954218621"``): not blank, only digits, ``+``, spaces, ``-``, ``(``, ``)``
          and ``.``.

        Returns a list of ``ContactCheck``, one per number: ``input``, ``status``
        (``"valid"`` or ``"invalid"``; ``is_valid``) and, when valid, the ``wa_id`` to send to.

        Raises ``ValidationError`` (``numbers``, ``numbers[i]``) before any request;
        ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``UnprocessableEntityError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        checks = await client.contacts.check(["+628954218621", "+628127631234"])
        print([check.wa_id for check in checks if check.is_valid])
        ```
        """
        batch = [numbers] if isinstance(numbers, str) else list(numbers)
        if not batch:
            raise ValidationError("numbers", "at least one number")
        for i, number in enumerate(batch):
            if (
                not isinstance(number, str)
                or not number.strip()
                or not set(number) <= _PHONE_CHARACTERS
            ):
                raise ValidationError(f"numbers[{i}]", f"{number!r} is not a phone number")
        body = _json.encode(_CheckRequest(contacts=batch))
        return await self._client.call(CHECK, _decode_answer, body=body)
