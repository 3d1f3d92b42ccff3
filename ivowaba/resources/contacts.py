"""``client.contacts``: check which phone numbers are on WhatsApp."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ivowaba import _json
from ivowaba._client import Endpoint
from ivowaba._errors import ValidationError
from ivowaba._resource import Mode, Resource, operation
from ivowaba.types.contacts import ContactCheck

CHECK = Endpoint("contacts.check", "POST", "/api/v1/contacts/check")

_PHONE_CHARACTERS = frozenset("0123456789+ -().")


class _CheckRequest(msgspec.Struct):
    contacts: list[str]


class _CheckAnswer(msgspec.Struct):
    contacts: list[ContactCheck]


_decode_answer = _json.decode_as(_CheckAnswer)


class Contacts(Resource[Mode]):
    """Validate numbers before sending: each valid one gets the ``wa_id`` to send to."""

    @operation
    async def check(self, numbers: str | Iterable[str]) -> list[ContactCheck]:
        """Check phone numbers (sent as given, e.g. ``"+628954218621"``).

        Returns one ``ContactCheck`` per number: ``status`` ``"valid"`` with its ``wa_id``,
        or ``"invalid"``.
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
        answer = await self._client.call(CHECK, _decode_answer, body=body)
        return answer.contacts
