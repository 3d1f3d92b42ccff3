"""WhatsApp's limits on outbound messages, one constant each.

Source: the WhatsApp Business Platform message reference (the On-Premises API behind IVOWBA);
each limit is enforced by WhatsApp, so a message breaking one is rejected after a round trip.
ivowaba checks them before the request instead, and the emulator enforces the same numbers.
"""

from typing import Final

#: Text message body (messages: text.body).
TEXT_MAX: Final = 4096
#: Media caption (image, video, document).
CAPTION_MAX: Final = 1024
#: Interactive message body text.
INTERACTIVE_BODY_MAX: Final = 1024
#: Interactive header text.
INTERACTIVE_HEADER_TEXT_MAX: Final = 60
#: Interactive footer text.
INTERACTIVE_FOOTER_MAX: Final = 60

#: Reply buttons per message.
REPLY_BUTTONS_MIN: Final = 1
REPLY_BUTTONS_MAX: Final = 3
#: Reply button title.
REPLY_BUTTON_TITLE_MAX: Final = 20
#: Reply button id.
REPLY_BUTTON_ID_MAX: Final = 256

#: List message: the button that opens the list.
LIST_BUTTON_TEXT_MAX: Final = 20
#: List message: sections per list.
LIST_SECTIONS_MAX: Final = 10
#: List message: rows across all sections.
LIST_ROWS_MAX: Final = 10
#: List message: row id.
LIST_ROW_ID_MAX: Final = 200
#: List message: row title.
LIST_ROW_TITLE_MAX: Final = 24
#: List message: row description.
LIST_ROW_DESCRIPTION_MAX: Final = 72
#: List and multi-product message: section title (required when there are several sections).
SECTION_TITLE_MAX: Final = 24

#: Multi-product message: sections.
PRODUCT_SECTIONS_MAX: Final = 10
#: Multi-product message: product items across all sections.
PRODUCT_ITEMS_MAX: Final = 30

#: Flow message: call-to-action button text.
FLOW_CTA_MAX: Final = 20

#: Media types a media message may carry.
MEDIA_TYPES: Final = frozenset({"audio", "document", "image", "sticker", "video"})

#: Geographic coordinates.
LATITUDE_RANGE: Final = (-90.0, 90.0)
LONGITUDE_RANGE: Final = (-180.0, 180.0)

#: WhatsApp ids are E.164 numbers without the "+": country code and subscriber number.
WA_ID_MIN_DIGITS: Final = 8
WA_ID_MAX_DIGITS: Final = 15
