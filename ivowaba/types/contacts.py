"""Contact cards (sent in contact messages, received in inbound contacts messages) and
contact checks."""

from __future__ import annotations

from ivowaba.types._base import Inbound, Outbound

__all__ = [
    "ContactAddress",
    "ContactCard",
    "ContactCheck",
    "ContactEmail",
    "ContactName",
    "ContactOrg",
    "ContactPhone",
    "ContactUrl",
]


class ContactAddress(Outbound):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: str | None = None


class ContactEmail(Outbound):
    email: str | None = None
    type: str | None = None


class ContactIM(Outbound):
    service: str | None = None
    user_id: str | None = None


class ContactName(Outbound):
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None


class ContactOrg(Outbound):
    company: str | None = None
    department: str | None = None
    title: str | None = None


class ContactPhone(Outbound):
    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None


class ContactUrl(Outbound):
    url: str | None = None
    type: str | None = None


class ContactCard(Outbound):
    """One contact card, as in the reference's "Send contact message" example."""

    name: ContactName | None = None
    addresses: list[ContactAddress] | None = None
    birthday: str | None = None
    emails: list[ContactEmail] | None = None
    ims: list[ContactIM] | None = None
    org: ContactOrg | None = None
    phones: list[ContactPhone] | None = None
    urls: list[ContactUrl] | None = None


class ContactCheck(Inbound):
    """The result of checking one number: ``status`` is ``"valid"`` (then ``wa_id`` is set)
    or ``"invalid"``."""

    input: str
    status: str
    wa_id: str | None = None

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"
