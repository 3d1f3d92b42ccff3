"""What a fresh emulator holds: the reference's example data, as the reference shows it.

Every function returns a new, deep copy, so a test that changes the emulator's state never
changes the next emulator's starting point.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

#: The ``meta`` object of the reference's settings and contact answers.
META: Final = {"api_status": "stable", "version": "2.33.3"}

_TEMPLATES: Final[list[dict[str, Any]]] = [
    {
        "id": "60243665e4058d3b4a377bd2",
        "label": "New Project Setup Notification",
        "template_name": "new_project_setup_notification",
        "template_id": 408466377096510,
        "status": "approved",
        "category_id": "UTILITY",
        "language_id": "id",
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Notifikasi Akun {{1}}",
                "parameters": {"{{1}}": None},
            },
            {
                "type": "BODY",
                "text": (
                    "Halo {{1}}, Terimakasih telah menggunakan layanan Kami.\n"
                    "Akun WhatsApp Business Anda sudah siap untuk digunakan.\n"
                    "Silahkan login ke halaman dashboard untuk informasi lebih lanjut."
                ),
                "parameters": {"{{1}}": None},
            },
            {"type": "FOOTER", "text": "Ivosights", "parameters": []},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "URL", "text": "Website", "url": "https://ivosights.com"},
                    {
                        "type": "PHONE_NUMBER",
                        "text": "Bantuan",
                        "phone_number": "+622122902218",
                    },
                ],
            },
        ],
        "histories": [],
        "created_at": "2021-05-10T05:13:23.843000Z",
        "updated_at": "2021-05-10T05:13:23.843000Z",
    },
    {
        "id": "60243665e4058d3b4a377bce",
        "label": "Issue Resolve",
        "template_name": "issue_resolve",
        "template_id": 3569517459822920,
        "status": "approved",
        "category_id": "ISSUE_RESOLUTION",
        "language_id": "id",
        "components": [
            {
                "type": "BODY",
                "text": (
                    "Permasalahan {{1}} telah terselesaikan. Jika Anda masih mengalami kendala, "
                    "beri tahu kami melalui whatsapp ini. Kami senang dapat melayani Anda."
                ),
                "examples": [
                    "Permasalahan #21 telah terselesaikan. Jika Anda masih mengalami kendala, "
                    "beri tahu kami melalui whatsapp ini. Kami senang dapat melayani Anda"
                ],
                "parameters": {"{{1}}": None},
            }
        ],
        "histories": [],
        "created_at": "2021-05-10T05:13:23.808000Z",
        "updated_at": "2021-05-10T05:13:23.808000Z",
    },
]

#: Ids of the seeded templates that "Fetch My Templates" lists; "Fetch All Templates" lists
#: every template. The reference's two examples show exactly this split.
OWN_TEMPLATE_IDS: Final = frozenset({"60243665e4058d3b4a377bd2"})

#: Template ids the reference's example requests use without ever showing the template.
REFERENCE_PLACEHOLDER_TEMPLATE_IDS: Final = (
    "635a31939245d054dd2c7ad6",
    "6639e8bb1a7e0b7fb3365514",
    "aut",
    "iusto",
)
#: The media id of the reference's "Retrieve WhatsApp Media" example.
REFERENCE_MEDIA_ID: Final = "f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"
#: The webhook id of the reference's "Pull pending notification" example.
REFERENCE_PULL_WEBHOOK_ID: Final = "60243665e4058d3b4a377bd2"

TEMPLATE_CATEGORIES: Final = [
    {"id": "UTILITY", "name": "Transactional"},
    {"id": "MARKETING", "name": "Marketing"},
    {"id": "AUTHENTICATION", "name": "Authentication"},
]

# WhatsApp's template languages (code=name), sorted by name as the reference's excerpt is.
_LANGUAGES: Final = """
af=Afrikaans; sq=Albanian; ar=Arabic; az=Azerbaijani; bn=Bengali; bg=Bulgarian; ca=Catalan
zh_CN=Chinese (CHN); zh_HK=Chinese (HKG); zh_TW=Chinese (TAI); hr=Croatian; cs=Czech
da=Danish; nl=Dutch; en=English; en_GB=English (UK); en_US=English (US); et=Estonian
fil=Filipino; fi=Finnish; fr=French; ka=Georgian; de=German; el=Greek; gu=Gujarati
ha=Hausa; he=Hebrew; hi=Hindi; hu=Hungarian; id=Indonesian; ga=Irish; it=Italian
ja=Japanese; kn=Kannada; kk=Kazakh; rw_RW=Kinyarwanda; ko=Korean
ky_KG=Kyrgyz (Kyrgyzstan); lo=Lao; lv=Latvian; lt=Lithuanian; mk=Macedonian; ms=Malay
ml=Malayalam; mr=Marathi; nb=Norwegian; fa=Persian; pl=Polish; pt_BR=Portuguese (BR)
pt_PT=Portuguese (POR); pa=Punjabi; ro=Romanian; ru=Russian; sr=Serbian; sk=Slovak
sl=Slovenian; es=Spanish; es_AR=Spanish (ARG); es_MX=Spanish (MEX); es_ES=Spanish (SPA)
sw=Swahili; sv=Swedish; ta=Tamil; te=Telugu; th=Thai; tr=Turkish; uk=Ukrainian; ur=Urdu
uz=Uzbek; vi=Vietnamese; zu=Zulu
"""
TEMPLATE_LANGUAGES: Final = [
    {"id": code, "name": name} for code, name in re.findall(r"(\w+)=([^;\n]+)", _LANGUAGES)
]

# The reference's two countries keep their ids; the rest follow the same pattern.
COUNTRIES: Final = [
    {
        "id": f"6074716f6c09086f640e{suffix}",
        "name": name,
        "dial_code": dial,
        "iso": iso,
        "iso3": iso3,
    }
    for suffix, name, dial, iso, iso3 in [
        ("e9c0", "Australia", "+61", "AU", "AUS"),
        ("e9c1", "Brazil", "+55", "BR", "BRA"),
        ("e9c2", "China", "+86", "CN", "CHN"),
        ("e9c3", "France", "+33", "FR", "FRA"),
        ("e9c4", "Germany", "+49", "DE", "DEU"),
        ("e9d9", "India", "+91", "IN", "IND"),
        ("e9da", "Indonesia", "+62", "ID", "IDN"),
        ("e9db", "Iran", "+98", "IR", "IRN"),
        ("e9dc", "Japan", "+81", "JP", "JPN"),
        ("e9dd", "Malaysia", "+60", "MY", "MYS"),
        ("e9de", "Netherlands", "+31", "NL", "NLD"),
        ("e9df", "Philippines", "+63", "PH", "PHL"),
        ("e9e0", "Singapore", "+65", "SG", "SGP"),
        ("e9e1", "Thailand", "+66", "TH", "THA"),
        ("e9e2", "United Kingdom", "+44", "GB", "GBR"),
        ("e9e3", "United States", "+1", "US", "USA"),
        ("e9e4", "Vietnam", "+84", "VN", "VNM"),
    ]
]

_BUSINESS_PROFILE: Final = {
    "address": (
        "Jl. Tebet Barat I No.2, RT.1/RW.2, Tebet Bar., Kec. Tebet, Kota Jakarta Selatan, "
        "Daerah Khusus Ibukota Jakarta 12810"
    ),
    "description": "A Series of Platforms to Engage Your Customers",
    "email": "[email protected]",
    "vertical": "Professional Services",
    "websites": ["https://ivosigths.com"],
}

ABOUT: Final = "Halo Dunia.."

PHOTO_LINK: Final = (
    "https://pps.whatsapp.net/v/t61.24694-24/s96x96/"
    "139790548_239531290984431_572068075107398585_n.jpg"
    "?ccb=11-4&oh=78a0cdfaf9c1ec35d6cc8c6c6e5628eb&oe=609A20F5"
)

#: The id and name of the emulator's webhook, as in the reference's "Fetch webhook endpoint".
WEBHOOK_ID: Final = "6098c0f34dae5677e2636a5c"
WEBHOOK_NAME: Final = "App Webhook"


def templates() -> list[dict[str, Any]]:
    return copy.deepcopy(_TEMPLATES)


def business_profile() -> dict[str, Any]:
    return copy.deepcopy(_BUSINESS_PROFILE)
