"""The emulator's notifications in the WhatsApp Cloud API envelope: ``webhook_format="cloud"``.

The emulator makes every notification in the reference's format (``{"statuses": [...]}``,
``{"contacts": [...], "messages": [...]}``) and keeps it so in ``delivered``, ``pending`` and
``delivery_attempts``. With ``webhook_format="cloud"`` what it POSTs to the webhook is the same
content in the envelope the gateway sends since the On-Premises API's end::

    {"object": "whatsapp_business_account",
     "entry": [{"id": "<account id>", "changes": [{"field": "messages", "value": {
         "messaging_product": "whatsapp",
         "metadata": {"display_phone_number": "...", "phone_number_id": "..."},
         "contacts": [...], "messages": [...], "statuses": [...]}}]}]}

with the Cloud API's details: per-message pricing (``"pricing_model": "PMP"``, ``"type":
"regular"``), a conversation's ``expiration_timestamp`` as a string, and each error's
``message`` and ``error_data.details`` beside its ``code`` and ``title``. Its messages, sent
and received, have ``wamid.`` ids (:func:`wamid`) from the start: the id a send returns is
the one its statuses name.
"""

from __future__ import annotations

import base64
import functools
import secrets
from collections.abc import Callable
from typing import Any, Final

from ivowaba._errors import ConfigError
from ivowaba.testing._payloads import REFERENCE_IDS, MessageIds
from ivowaba.types.notifications import CLOUD_OBJECT, MESSAGES_FIELD

#: The values of ``Emulator(webhook_format=...)`` and ``ivowaba emulator --webhook-format``.
WEBHOOK_FORMATS: Final = ("reference", "cloud")
#: The WhatsApp Business Account whose number the emulator plays (the envelope's entry id).
BUSINESS_ACCOUNT_ID: Final = "102290129340398"
#: The Cloud API's id of the emulator's business number (``metadata.phone_number_id``).
PHONE_NUMBER_ID: Final = "106540352242922"

Shape = Callable[[dict[str, Any]], dict[str, Any]]


def wire_shape(webhook_format: str, *, display_phone_number: str) -> Shape | None:
    """How a notification is posted: ``None`` as it is made (the reference's format), or a
    function putting it in the Cloud API envelope of the business number
    ``display_phone_number``. Raises ``ConfigError`` for any other format."""
    if webhook_format == "reference":
        return None
    if webhook_format == "cloud":
        return functools.partial(envelope, display_phone_number=display_phone_number)
    raise ConfigError(
        f"webhook_format must be one of {', '.join(map(repr, WEBHOOK_FORMATS))}, "
        f"not {webhook_format!r}"
    )


def wamid(wa_id: str, *, inbound: bool) -> str:
    """A new Cloud API id of a message sent to ``wa_id`` (or by them, ``inbound``), made as
    WhatsApp makes them: ``wamid.`` and the base64 of a small record holding the customer's
    number and a random hex id (18 digits for a message sent, 20 for one received), e.g.
    ``wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjVGNDI1QTc0RjEzMDMzNDkyQQA=``."""
    number = "".join(char for char in wa_id if char.isdigit())[:32].encode()
    key = secrets.token_hex(10 if inbound else 9).upper().encode()
    record = (
        b"\x1c\x18" + bytes([len(number)]) + number
        + b"\x15\x02\x00" + (b"\x12" if inbound else b"\x11")
        + b"\x18" + bytes([len(key)]) + key + b"\x00"
    )  # fmt: skip
    return "wamid." + base64.b64encode(record).decode("ascii")


#: The Cloud API's ``wamid.`` ids, for ``webhook_format="cloud"``.
CLOUD_IDS: Final = MessageIds(
    functools.partial(wamid, inbound=False), functools.partial(wamid, inbound=True)
)


def message_ids(webhook_format: str) -> MessageIds:
    """How an emulator posting ``webhook_format`` names messages: ``wamid.`` ids in the
    Cloud API's format, the reference's otherwise."""
    return CLOUD_IDS if webhook_format == "cloud" else REFERENCE_IDS


def envelope(notification: dict[str, Any], *, display_phone_number: str) -> dict[str, Any]:
    """``notification`` (the reference's format) in a Cloud API envelope of one entry and one
    ``messages`` change; one already in an envelope is returned as it is."""
    if "object" in notification:
        return notification
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": PHONE_NUMBER_ID,
        },
    }
    for key, items in notification.items():
        if key == "statuses" and isinstance(items, list):
            value[key] = [_status(status) for status in items]
        elif key == "messages" and isinstance(items, list):
            value[key] = [_with_cloud_errors(message) for message in items]
        elif key == "errors" and isinstance(items, list):
            value[key] = [_error(error) for error in items]
        else:
            value[key] = items
    change = {"value": value, "field": MESSAGES_FIELD}
    return {"object": CLOUD_OBJECT, "entry": [{"id": BUSINESS_ACCOUNT_ID, "changes": [change]}]}


def _status(status: Any) -> Any:
    """A status as the Cloud API words it: no ``type``, the conversation's expiry as a string,
    per-message pricing, errors with ``message`` and ``error_data``."""
    if not isinstance(status, dict):
        return status
    cloud = {key: value for key, value in status.items() if key != "type"}
    conversation = cloud.get("conversation")
    if isinstance(conversation, dict) and "expiration_timestamp" in conversation:
        cloud["conversation"] = {
            **conversation,
            "expiration_timestamp": str(conversation["expiration_timestamp"]),
        }
    pricing = cloud.get("pricing")
    if isinstance(pricing, dict):
        cloud["pricing"] = {**pricing, "pricing_model": "PMP", "type": "regular"}
    return _with_cloud_errors(cloud)


def _with_cloud_errors(item: Any) -> Any:
    """``item`` (a message or status) with its ``errors`` in the Cloud API's words."""
    if not isinstance(item, dict) or not isinstance(item.get("errors"), list):
        return item
    return {**item, "errors": [_error(error) for error in item["errors"]]}


def _error(error: Any) -> Any:
    """An error with the Cloud API's ``message`` and ``error_data.details`` (its title)."""
    if not isinstance(error, dict) or "title" not in error:
        return error
    cloud = dict(error)
    cloud.setdefault("message", error["title"])
    cloud.setdefault("error_data", {"details": error.get("details") or error["title"]})
    return cloud
