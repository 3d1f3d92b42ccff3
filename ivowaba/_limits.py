"""WhatsApp's rules for what IVOWBA accepts: every limit a named constant, every rule that is
more than a number a small function.

The client checks each request against these rules before sending it, and the emulator
(``ivowaba.testing``) answers 422 on exactly the same rules, so the SDK refuses a message if and
only if the emulator does.

Sources. "Reference" is the IVOWBA API reference (the sections are named as it names them); it
documents the wire shape of each request by example. IVOWBA forwards messages to the WhatsApp
Business Platform, whose messages reference ("WhatsApp: ...") sets the limits the IVOWBA
reference leaves out.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

# -- any message -----------------------------------------------------------------------------

#: A WhatsApp id is an E.164 number without the "+": country code and subscriber number, only
#: digits, and no country code starts with 0. Reference: ``wa_id`` of every "Send ... message"
#: (``628123456789``); WhatsApp: phone number formats (E.164, at most 15 digits).
WA_ID_MIN_DIGITS: Final = 8
WA_ID_MAX_DIGITS: Final = 15


def is_wa_id(value: object) -> bool:
    """``value`` is a WhatsApp id as sent on the wire: ``"628123456789"``."""
    return (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and not value.startswith("0")
        and WA_ID_MIN_DIGITS <= len(value) <= WA_ID_MAX_DIGITS
    )


def is_blank(text: str) -> bool:
    """A required text is missing when it is empty or only white space (WhatsApp renders
    nothing, and IVOWBA, a Laravel app, answers "The ... field is required.")."""
    return not text.strip()


def is_http_url(value: object) -> bool:
    """``value`` is an absolute http(s) URL with a host and no white space.

    Reference: "Send media message" (``link``); WhatsApp: media object, ``link`` (HTTP and HTTPS
    URLs only).
    """
    if not isinstance(value, str) or " " in value or not value.isprintable():
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is no number raises ValueError
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


#: Not a WhatsApp limit: WhatsApp and the reference bound none of the ids a message names
#: (template, catalog, product retailer and flow ids; the reference's have 7 to 24
#: characters). A text far longer than any id is a mistake, refused before a request.
ID_MAX: Final = 200
#: Not a WhatsApp limit: the id of a received message, put in the path of "Mark Message as
#: Read" (the reference's has 27 characters).
MESSAGE_ID_MAX: Final = 512
#: Not a WhatsApp limit: the id of a received message's media, put in the path of "Retrieve
#: WhatsApp Media" (the reference's has 36 characters); bound as a received message's id is.
MEDIA_ID_MAX: Final = MESSAGE_ID_MAX
#: Not a WhatsApp limit: a webhook's id, put in the path of "Pull pending notification" (the
#: reference's has 24 characters); bound as the ids a message names are.
WEBHOOK_ID_MAX: Final = ID_MAX

# -- text, media, location, contacts -----------------------------------------------------------

#: Reference: "Send text message" (``text``); WhatsApp: text object, ``body`` (4096 characters).
TEXT_MAX: Final = 4096

#: Reference: "Send media message" ("audio, document, image, sticker, and video").
MEDIA_TYPES: Final = frozenset({"audio", "document", "image", "sticker", "video"})
#: WhatsApp: media object, ``caption`` (1024 characters).
CAPTION_MAX: Final = 1024
#: WhatsApp: media object, ``caption`` (image, video and document; never audio or sticker).
CAPTION_MEDIA_TYPES: Final = frozenset({"document", "image", "video"})
#: WhatsApp: media object, ``filename`` (document media only); reference: "Send template
#: message" (the only ``filename`` it shows is a document's).
FILENAME_MEDIA_TYPES: Final = frozenset({"document"})


def takes_caption(media_type: str) -> bool:
    """An image, a video or a document may have a caption; audio and stickers may not."""
    return media_type in CAPTION_MEDIA_TYPES


def takes_filename(media_type: str) -> bool:
    """Only a document has a file name (for every other media, and a text header, the field
    must be left out)."""
    return media_type in FILENAME_MEDIA_TYPES


#: Reference: "Send location message"; WhatsApp: location object (decimal degrees).
LATITUDE_RANGE: Final = (-90.0, 90.0)
LONGITUDE_RANGE: Final = (-180.0, 180.0)

#: Reference: "Send contact message" (``contacts``, a list of cards); WhatsApp: contacts
#: object (every card's ``name.formatted_name`` is required).
CONTACTS_MIN: Final = 1

# -- templates -------------------------------------------------------------------------------

#: Reference: "Send template message" (``components``: ``body``, ``header`` and ``button``
#: parts; the "Only body component" example sends ``[{"type": "body"}]``, never an empty list).
TEMPLATE_COMPONENTS_MIN: Final = 1
TEMPLATE_COMPONENT_TYPES: Final = frozenset({"header", "body", "button"})
#: WhatsApp: components object, ``sub_type`` of a button component.
TEMPLATE_BUTTON_SUB_TYPES: Final = frozenset(
    {"quick_reply", "url", "catalog", "flow", "copy_code", "mpm", "voice_call"}
)
#: WhatsApp: components object, ``index`` (up to 10 buttons, at positions 0 to 9); the
#: reference's examples send it as a number and as a string.
TEMPLATE_BUTTON_INDEX_RANGE: Final = (0, 9)
#: WhatsApp: parameters object, ``type``; each parameter carries its value under the key its
#: type names: ``{"type": "text", "text": ...}``, ``{"type": "image", "image": {...}}``.
TEMPLATE_TEXT_PARAMETER_TYPES: Final = frozenset({"text", "payload", "coupon_code"})
TEMPLATE_MEDIA_PARAMETER_TYPES: Final = frozenset({"image", "document", "video"})
TEMPLATE_OBJECT_PARAMETER_TYPES: Final = frozenset({"currency", "date_time", "action", "location"})
TEMPLATE_PARAMETER_TYPES: Final = (
    TEMPLATE_TEXT_PARAMETER_TYPES | TEMPLATE_MEDIA_PARAMETER_TYPES | TEMPLATE_OBJECT_PARAMETER_TYPES
)
#: WhatsApp: authentication templates (a one-time password has at most 15 characters).
OTP_CODE_MAX: Final = 15


def is_button_index(value: object) -> bool:
    """``value`` is a template button's position: 0 to 9, as a number or a string of digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    low, high = TEMPLATE_BUTTON_INDEX_RANGE
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# -- interactive messages ----------------------------------------------------------------------

#: WhatsApp: interactive object, ``header``: a list message takes a text header only; reply
#: buttons and flows also an image, a video or a document. A multi-product message's header is a
#: plain text, required (reference: "Send Multi product message"); a single-product message has
#: none (reference: "Send single product message").
INTERACTIVE_HEADER_TYPES: Final = {
    "reply_buttons": frozenset({"text", "image", "video", "document"}),
    "list": frozenset({"text"}),
    "flow": frozenset({"text", "image", "video", "document"}),
}


def header_types(kind: str) -> frozenset[str]:
    """The header types an interactive message of ``kind`` (``reply_buttons``, ``list``,
    ``flow``) may have."""
    return INTERACTIVE_HEADER_TYPES[kind]


#: WhatsApp: header object, ``text`` (60 characters).
INTERACTIVE_HEADER_TEXT_MAX: Final = 60
#: WhatsApp: body object, ``text`` (1024 characters).
INTERACTIVE_BODY_MAX: Final = 1024
#: WhatsApp: footer object, ``text`` (60 characters).
INTERACTIVE_FOOTER_MAX: Final = 60

#: Reference: "Send reply button message"; WhatsApp: action object, ``buttons`` (1 to 3; a
#: title of at most 20 characters and an id of at most 256, titles and ids unique).
REPLY_BUTTONS_MIN: Final = 1
REPLY_BUTTONS_MAX: Final = 3
REPLY_BUTTON_TITLE_MAX: Final = 20
REPLY_BUTTON_ID_MAX: Final = 256
REPLY_BUTTON_UNIQUE_FIELDS: Final = ("title", "id")

#: Reference: "Send list message"; WhatsApp: action object, ``button`` (20 characters); section
#: object (1 to 10 sections); row object (at most 10 rows in all; ``id`` 200, ``title`` 24,
#: ``description`` 72 characters; row ids unique across sections).
LIST_BUTTON_TEXT_MAX: Final = 20
LIST_SECTIONS_MAX: Final = 10
LIST_ROWS_MAX: Final = 10
LIST_ROW_ID_MAX: Final = 200
LIST_ROW_TITLE_MAX: Final = 24
LIST_ROW_DESCRIPTION_MAX: Final = 72
LIST_ROW_UNIQUE_FIELDS: Final = ("id",)

#: WhatsApp: section object (at least one section, each with at least one row or product);
#: ``title`` (24 characters; required when the message has more than one section), for list
#: and multi-product messages alike.
SECTIONS_MIN: Final = 1
SECTION_TITLE_MAX: Final = 24


def section_title_required(sections: int) -> bool:
    """A section needs a title when the message has several."""
    return sections > 1


#: Reference: "Send Multi product message"; WhatsApp: section object (multi-product: 1 to 10
#: sections, at most 30 products in all).
PRODUCT_SECTIONS_MAX: Final = 10
PRODUCT_ITEMS_MAX: Final = 30

#: Reference: "Send Flow message"; WhatsApp Flows, sending a flow (``flow_cta`` at most 20
#: characters; ``flow_action`` is navigate or data_exchange).
FLOW_CTA_MAX: Final = 20
FLOW_ACTIONS: Final = frozenset({"navigate", "data_exchange"})

# -- settings ----------------------------------------------------------------------------------

#: Reference: "Update WhatsApp profile about text"; WhatsApp: profile about, ``text`` (139
#: characters).
ABOUT_MAX: Final = 139
#: Reference: "Update WhatsApp business profile"; WhatsApp: business profile, ``websites`` (at
#: most 2).
BUSINESS_WEBSITES_MAX: Final = 2

# -- listing templates -------------------------------------------------------------------------

#: Reference: "Fetch My Templates" and "Fetch All Templates" (``meta.pagination``: pages are
#: numbered from 1, and ``current_page`` is 1 for the page asked for with no query).
FIRST_PAGE: Final = 1

# -- creating templates ------------------------------------------------------------------------

#: Reference: "Template category" (the three category ids) and "Create template".
TEMPLATE_CATEGORIES: Final = frozenset({"UTILITY", "MARKETING", "AUTHENTICATION"})
#: Reference: "Create template" (``header.format``, ``buttons[].type``, ``otp[].otp_type``,
#: ``buttons[].url_type``).
TEMPLATE_HEADER_FORMATS: Final = frozenset({"TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"})
TEMPLATE_BUTTON_TYPES: Final = frozenset(
    {"URL", "PHONE_NUMBER", "QUICK_REPLY", "COPY_CODE", "FLOW"}
)
TEMPLATE_OTP_TYPES: Final = frozenset({"COPY_CODE", "ONE_TAP"})
TEMPLATE_URL_TYPES: Final = frozenset({"static", "dynamic"})
#: WhatsApp: authentication templates (``code_expiration_minutes``: 1 to 90).
CODE_EXPIRATION_MINUTES: Final = (1, 90)
