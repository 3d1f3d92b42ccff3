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

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit

# -- any message -----------------------------------------------------------------------------

#: How long after a customer's last message a free-form (non-template) message may be sent
#: to them: WhatsApp's customer service window, 24 hours (the reference, "Message Failed",
#: error 470: "more than 24 hours have passed since the customer last replied"). Templates may
#: be sent at any time.
CUSTOMER_SERVICE_WINDOW: Final = timedelta(hours=24)

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

# -- reviewing templates -----------------------------------------------------------------------
# What WhatsApp's review refuses for mechanical reasons, checked before a template is sent
# (``templates.create`` / ``update``, ``templates.lint``) and by the emulator's review.
# ``ivowaba._template_rules`` applies them to a template definition.

#: WhatsApp: message template ``name``, at most 512 characters of lowercase letters, digits and
#: underscores. IVOWBA derives the name from the label (reference: "Fetch My Templates", label
#: "New Project Setup Notification", ``template_name`` "new_project_setup_notification").
TEMPLATE_LABEL_MAX: Final = 512
_not_in_name: Final = re.compile(r"[^a-z0-9]+")


def template_name(label: str) -> str:
    """The WhatsApp name of a template labelled ``label``, as IVOWBA derives it: lowercase,
    each run of anything but ``a-z`` and ``0-9`` one underscore, none at either end. Empty when
    the label has no such letter or digit: WhatsApp has no name for it."""
    return _not_in_name.sub("_", label.lower()).strip("_")


#: WhatsApp: message templates, parameters: a parameter is written ``{{1}}``, ``{{2}}``, ...
#: This pattern also reads ``{{ 1 }}`` (stored templates are read leniently); a new template
#: must write each exactly (``is_written_exactly``).
_parameter: Final = re.compile(r"\{\{\s*([0-9]{1,6})\s*\}\}")
_adjacent: Final = re.compile(_parameter.pattern + r"\s*" + _parameter.pattern)
_at_end: Final = re.compile(_parameter.pattern + r"\Z")


def template_parameters(text: str | None) -> list[int]:
    """The parameter numbers of ``text`` in order of appearance, repeats included:
    ``"{{1}} and {{2}}, {{1}}"`` → ``[1, 2, 1]``."""
    return [int(n) for n in _parameter.findall(text or "")]


def is_written_exactly(text: str) -> bool:
    """Every parameter of ``text`` is written ``{{n}}`` (no spaces, no leading zero), and no
    other ``{{`` or ``}}`` is left (``{{name}}``, ``{1}}``). WhatsApp: parameters are
    positional, ``{{1}}``; anything else is refused as an invalid format."""
    exact = all(m.group(0) == f"{{{{{int(m.group(1))}}}}}" for m in _parameter.finditer(text))
    rest = _parameter.sub(" ", text)
    return exact and "{{" not in rest and "}}" not in rest


def numbered_without_gaps(numbers: Sequence[int]) -> bool:
    """The distinct numbers are 1, 2, ..., n. WhatsApp: parameters are sequential from
    ``{{1}}`` (``{{1}}``, ``{{3}}`` without ``{{2}}`` is refused)."""
    return sorted(set(numbers)) == list(range(1, len(set(numbers)) + 1))


def in_order(numbers: Sequence[int]) -> bool:
    """Each number first appears after every smaller one: ``{{1}}`` before ``{{2}}``.
    WhatsApp: parameters out of sequence are refused."""
    first = list(dict.fromkeys(numbers))
    return first == sorted(first)


def has_adjacent_parameters(text: str) -> bool:
    """Two parameters side by side, with only white space between (``{{1}} {{2}}``).
    WhatsApp: adjacent parameters are refused."""
    return _adjacent.search(text) is not None


def starts_with_parameter(text: str) -> bool:
    """WhatsApp: a template's body may not start with a parameter."""
    return _parameter.match(text.strip()) is not None


def ends_with_parameter(text: str) -> bool:
    """WhatsApp: a template's body may not end with a parameter."""
    return _at_end.search(text.strip()) is not None


#: WhatsApp refuses a template with "too many variable parameters relative to the message
#: length" without publishing the ratio. The rule used is the one measured from rejections and
#: published by Syniverse and Mercuri ("minimum words/parameters ratio"): words plus
#: parameters at least 3 times the parameters, plus 1 (``words + n >= 3 * n + 1``). A word is
#: a run of non-space characters with a letter or a digit, outside the parameters.
TEMPLATE_WORDS_PER_PARAMETER: Final = 3


def template_words(text: str) -> int:
    """The words of ``text`` outside its parameters (a word has a letter or a digit)."""
    return sum(1 for word in _parameter.sub(" ", text).split() if any(c.isalnum() for c in word))


def words_needed(parameters: int) -> int:
    """The fewest words (outside parameters) a text with ``parameters`` parameters needs:
    ``words + parameters >= 3 * parameters + 1``."""
    return 0 if parameters == 0 else (TEMPLATE_WORDS_PER_PARAMETER - 1) * parameters + 1


#: WhatsApp: template header component: formats TEXT, IMAGE, VIDEO, DOCUMENT and LOCATION
#: (``TEMPLATE_HEADER_FORMATS``); a text header has at most 60 characters and one parameter,
#: and no line break; a media header needs an example (a sample of the media).
TEMPLATE_HEADER_TEXT_MAX: Final = 60
TEMPLATE_HEADER_PARAMETERS_MAX: Final = 1
TEMPLATE_MEDIA_HEADER_FORMATS: Final = frozenset({"IMAGE", "VIDEO", "DOCUMENT"})
#: WhatsApp: template body component, ``text`` (at most 1024 characters).
TEMPLATE_BODY_MAX: Final = 1024
#: WhatsApp: template footer component, ``text`` (at most 60 characters, no parameter).
TEMPLATE_FOOTER_MAX: Final = 60
#: WhatsApp: template buttons component: at most 10 buttons, of which at most 2 URL buttons
#: and 1 phone number button; quick reply buttons grouped together (not between others); a
#: button's text at most 25 characters; a URL at most 2000 characters, a dynamic one with one
#: parameter, at its end, and an example.
TEMPLATE_BUTTONS_MAX: Final = 10
TEMPLATE_URL_BUTTONS_MAX: Final = 2
TEMPLATE_PHONE_BUTTONS_MAX: Final = 1
TEMPLATE_BUTTON_TEXT_MAX: Final = 25
TEMPLATE_URL_MAX: Final = 2000


def quick_replies_grouped(types: Sequence[str]) -> bool:
    """The ``QUICK_REPLY`` buttons of ``types`` (the buttons' types, in order) are side by
    side, not split by another kind of button."""
    where = [i for i, kind in enumerate(types) if kind == "QUICK_REPLY"]
    return not where or where[-1] - where[0] + 1 == len(where)


def is_dynamic_url(url: str) -> bool:
    """A dynamic URL has one parameter, ``{{1}}``, at its very end:
    ``https://shop.example/track/{{1}}`` (reference: "Create template", "With dynamic URL")."""
    return template_parameters(url) == [1] and url.endswith("{{1}}")


_phone_punctuation: Final = str.maketrans("", "", "+ -().")


def is_international_phone(country_code: str | None, phone_number: str) -> bool:
    """A phone number button's number, its ``country_code`` (``"+62"``) written before its
    ``phone_number`` (``"85128567890"``), is a number in international form: the country code
    first, 8 to 15 digits. Reference: "Create template", "With URL, Phone number buttons";
    WhatsApp: phone number buttons take a number with its country code."""
    return is_wa_id(((country_code or "") + phone_number).translate(_phone_punctuation))


#: Template statuses, as the gateway writes them (lowercase; compared regardless of case).
#: "submitted" (IVOWBA, a proposed template) and WhatsApp's PENDING and IN_APPEAL wait for a
#: verdict; "approved" may be sent; "rejected" was refused (WhatsApp: template status).
TEMPLATE_PENDING_STATUSES: Final = frozenset({"submitted", "pending", "in_appeal"})
TEMPLATE_APPROVED: Final = "approved"
TEMPLATE_REJECTED: Final = "rejected"
