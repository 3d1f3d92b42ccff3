"""Outbound messages: one struct per kind, fields named and nested exactly as on the wire.

Build them directly, or let ``client.messages.send_*`` build them; ``messages.send`` and
``messages.send_many`` take any of them. Anywhere a nested struct is expected, a plain dict
in the reference's wire shape works too.
"""

from __future__ import annotations

from typing import Any

from ivowaba.types._base import Outbound
from ivowaba.types.contacts import ContactCard

__all__ = [
    "ContactsMessage",
    "FlowMessage",
    "InteractiveHeader",
    "ListMessage",
    "ListRow",
    "ListSection",
    "LocationMessage",
    "MediaMessage",
    "MediaObject",
    "OutboundMessage",
    "ProductItem",
    "ProductListMessage",
    "ProductMessage",
    "ProductSection",
    "ReplyButton",
    "ReplyButtonsMessage",
    "TemplateComponent",
    "TemplateMessage",
    "TemplateParameter",
    "TextMessage",
]

# -- text, media, location, contacts ---------------------------------------------------------


class TextMessage(Outbound):
    wa_id: str
    text: str
    preview_url: bool | None = None


class MediaMessage(Outbound):
    """``type`` is one of audio, document, image, sticker, video; ``link`` an http(s) URL."""

    wa_id: str
    type: str
    link: str
    caption: str | None = None
    filename: str | None = None


class LocationMessage(Outbound):
    wa_id: str
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class ContactsMessage(Outbound):
    wa_id: str
    contacts: list[ContactCard]


# -- templates -------------------------------------------------------------------------------


class MediaObject(Outbound):
    """A media parameter of a template header: ``{"link": ..., "filename": ...}``."""

    link: str
    filename: str | None = None
    caption: str | None = None


class FlowButtonAction(Outbound):
    flow_token: str | None = None
    flow_action_data: dict[str, Any] | None = None


class TemplateParameter(Outbound):
    """One parameter: ``{"type": "text", "text": ...}``, ``{"type": "image", "image": {...}}``,
    ``{"type": "action", "action": {"flow_token": ...}}``, ``{"type": "payload", ...}``..."""

    type: str
    text: str | None = None
    payload: str | None = None
    image: MediaObject | None = None
    document: MediaObject | None = None
    video: MediaObject | None = None
    action: FlowButtonAction | None = None
    currency: dict[str, Any] | None = None
    date_time: dict[str, Any] | None = None


class TemplateComponent(Outbound):
    """``type`` is ``header``, ``body`` or ``button`` (with ``sub_type`` and ``index``)."""

    type: str
    sub_type: str | None = None
    index: int | str | None = None
    parameters: list[TemplateParameter] | None = None


class TemplateMessage(Outbound):
    wa_id: str
    template_id: str
    components: list[TemplateComponent]


# -- interactive -----------------------------------------------------------------------------


class InteractiveHeader(Outbound):
    """``{"type": "text", "text": ...}``, or ``{"type": "image", "link": ...}`` (also video,
    document)."""

    type: str
    text: str | None = None
    link: str | None = None
    filename: str | None = None


class ReplyButton(Outbound):
    id: str
    title: str


class ReplyButtonsAction(Outbound):
    buttons: list[ReplyButton]


class ReplyButtonsMessage(Outbound):
    wa_id: str
    body: str
    action: ReplyButtonsAction
    header: InteractiveHeader | None = None
    footer: str | None = None


class ListRow(Outbound):
    id: str
    title: str
    description: str | None = None


class ListSection(Outbound):
    rows: list[ListRow]
    title: str | None = None


class ListAction(Outbound):
    button: str
    sections: list[ListSection]


class ListMessage(Outbound):
    wa_id: str
    body: str
    action: ListAction
    header: InteractiveHeader | None = None
    footer: str | None = None


class ProductAction(Outbound):
    catalog_id: str
    product_retailer_id: str


class ProductMessage(Outbound):
    wa_id: str
    action: ProductAction
    body: str | None = None
    footer: str | None = None


class ProductItem(Outbound):
    product_retailer_id: str


class ProductSection(Outbound):
    product_items: list[ProductItem]
    title: str | None = None


class ProductListAction(Outbound):
    catalog_id: str
    sections: list[ProductSection]


class ProductListMessage(Outbound):
    wa_id: str
    header: str
    body: str
    action: ProductListAction
    footer: str | None = None


class FlowParameters(Outbound):
    """No defaults on purpose: every field here is always sent (``send_flow`` fills them)."""

    flow_message_version: str
    flow_id: str
    flow_cta: str
    flow_action: str
    flow_action_payload: dict[str, Any] | None = None
    flow_token: str | None = None


class FlowAction(Outbound):
    parameters: FlowParameters


class FlowMessage(Outbound):
    wa_id: str
    body: str
    action: FlowAction
    header: InteractiveHeader | None = None
    footer: str | None = None


OutboundMessage = (
    TextMessage
    | MediaMessage
    | LocationMessage
    | ContactsMessage
    | TemplateMessage
    | ReplyButtonsMessage
    | ListMessage
    | ProductMessage
    | ProductListMessage
    | FlowMessage
)
