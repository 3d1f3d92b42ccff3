"""Each of the reference's 42 example requests, produced by calling the SDK as a user would,
compared with the request that reaches a local server: method, path, query and body, field
for field (no key missing, none extra). Every example runs through both clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import ivowaba
from ivowaba.testing import Emulator
from tests.conftest import API_KEY, Both, client_of_kind, wire_examples

IMAGE = "https://www.google.com/images/branding/googlelogo/2x/googlelogo_color_92x30dp.png"
BODY_TEXT = (
    "Halo {{1}}, Terimakasih telah menggunakan layanan Kami. Akun WhatsApp Business Anda sudah "
    "siap untuk digunakan. Silahkan login ke halaman dashboard untuk informasi lebih lanjut."
)
PHOTO = b"\xff\xd8\xff\xe0 a tiny jpeg"

Call = Callable[[Any], Any]


def _create_kwargs(example: dict[str, Any]) -> dict[str, Any]:
    return dict(example["json_body"])


# How a user produces each example: keyed by (operation, example name, sandbox).
CALLS: dict[tuple[str, str, bool], Call] = {
    ("contacts.check", "basic", False): lambda c: c.contacts.check(
        ["+628954218621", "+628127631234"]
    ),
    ("countries.list", "basic", False): lambda c: c.countries.list(),
    ("media.download", "basic", False): lambda c: c.media.download(
        "f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"
    ),
    ("templates.list", "basic", False): lambda c: c.templates.list(),
    ("templates.list_all", "basic", False): lambda c: c.templates.list_all(),
    ("templates.create", "Basic", False): lambda c: c.templates.create(
        label="New Project Setup Notification",
        category_id="UTILITY",
        language_id="id",
        is_propose=False,
        header=ivowaba.TemplateHeaderSpec(
            format="TEXT", text="Notifikasi akun {{1}}", examples=["Sociomile"]
        ),
        body=ivowaba.TemplateBodySpec(text=BODY_TEXT, examples=["Salsabila"]),
        footer="Ivosights",
    ),
    ("templates.create", "With Media Header", False): lambda c: c.templates.create(
        label="New Project Setup Notification",
        category_id="UTILITY",
        language_id="id",
        header={"format": "IMAGE", "examples": ["https://image.url"]},
        body={"text": BODY_TEXT, "examples": ["Salsabila"]},
        footer="Ivosights",
    ),
    ("templates.create", "With URL, Phone number buttons", False): lambda c: c.templates.create(
        label="New Project Setup Notification",
        category_id="UTILITY",
        language_id="id",
        header={"format": "TEXT", "text": "Notifikasi akun {{1}}", "examples": ["Sociomile"]},
        body={"text": BODY_TEXT, "examples": ["Salsabila"]},
        footer="Ivosights",
        buttons=[
            ivowaba.TemplateButtonSpec(type="URL", text="Klik sekarang", url="https://test.com"),
            ivowaba.TemplateButtonSpec(
                type="PHONE_NUMBER", text="Call us", country_code="+62", phone_number="85128567890"
            ),
        ],
    ),
    ("templates.create", "With dynamic URL", False): lambda c: c.templates.create(
        label="New Project Setup Notification",
        category_id="UTILITY",
        language_id="id",
        header={"format": "TEXT", "text": "Notifikasi akun {{1}}", "examples": ["Sociomile"]},
        body={"text": BODY_TEXT, "examples": ["Salsabila"]},
        footer="Ivosights",
        buttons=[
            ivowaba.TemplateButtonSpec(
                type="URL",
                text="Klik sekarang",
                url_type="dynamic",
                url="https://test.com/{{1}}",
                examples=["john-doe"],
            ),
            {
                "type": "PHONE_NUMBER",
                "text": "Call us",
                "country_code": "+62",
                "phone_number": "85128567890",
            },
        ],
    ),
    ("templates.create", "One Time Password/ OTP", False): lambda c: c.templates.create(
        label="One Time Password Template",
        category_id="AUTHENTICATION",
        language_id="id",
        otp=[ivowaba.TemplateOtpSpec(otp_type="COPY_CODE", text="Salin Kode")],
        add_security_recommendation=True,
        code_expiration_minutes=30,
    ),
    ("templates.get", "basic", False): lambda c: c.templates.get("60243665e4058d3b4a377bd2"),
    ("templates.update", "basic", False): lambda c: c.templates.update(
        "aut",
        label="New Project Setup Notification",
        category_id="UTILITY",
        language_id="id",
        is_propose=False,
        header={"format": "TEXT", "text": "Notifikasi akun {{1}}", "examples": ["Sociomile"]},
        body={"text": BODY_TEXT, "examples": ["Salsabila", "Aqilah"]},
        footer="Ivosights",
        buttons=[
            {
                "type": "URL",
                "text": "Website",
                "phone_number": "+622122902218",
                "url": "https://ivosights.com/",
                "example": ["dolore", "illum"],
            }
        ],
    ),
    ("templates.propose", "basic", False): lambda c: c.templates.propose("iusto"),
    ("templates.categories", "basic", False): lambda c: c.templates.categories(),
    ("templates.languages", "basic", False): lambda c: c.templates.languages(),
    ("messages.send_contacts", "basic", False): lambda c: c.messages.send_contacts(
        "628123456789",
        [
            ivowaba.ContactCard(
                addresses=[
                    ivowaba.ContactAddress(
                        city="Menlo Park",
                        country="United States",
                        country_code="us",
                        state="CA",
                        street="1 Hacker Way",
                        type="HOME",
                        zip="94025",
                    )
                ],
                birthday="1990-08-18",
                emails=[ivowaba.ContactEmail(email="[email protected]", type="WORK")],
                name=ivowaba.ContactName(formatted_name="John Doe"),
                org=ivowaba.ContactOrg(company="Ivosight", department="IT", title="Manager"),
                phones=[ivowaba.ContactPhone(phone="+1 (940) 555-1234", type="HOME")],
                urls=[ivowaba.ContactUrl(url="https://ivosights.com/", type="WORK")],
            )
        ],
    ),
    ("messages.send_location", "basic", False): lambda c: c.messages.send_location(
        "628123456789",
        37.758056,
        -122.425332,
        name="Facebook",
        address="1 Hacker Way, Menlo Park, CA 94025",
    ),
    ("messages.send_media", "basic", False): lambda c: c.messages.send_media(
        "628123456789", "image", link=IMAGE
    ),
    ("messages.send_template", "Only body component (no parameters", False): (
        lambda c: c.messages.send_template("628123456789", "635a31939245d054dd2c7ad6")
    ),
    ("messages.send_template", "With Header & Body components (containt parameters", False): (
        lambda c: c.messages.send_template(
            "628123456789",
            "60243665e4058d3b4a377bd2",
            header="PT. IVOSIGHTS",
            body=["Agus Santoso"],
        )
    ),
    ("messages.send_template", "With Media header (Image", False): (
        lambda c: c.messages.send_template(
            "628123456789",
            "60243665e4058d3b4a377bd2",
            header={"type": "image", "image": {"link": IMAGE}},
            body=["Agus Santoso"],
        )
    ),
    ("messages.send_template", "With Media header (Document", False): (
        lambda c: c.messages.send_template(
            "628123456789",
            "60243665e4058d3b4a377bd2",
            header=ivowaba.TemplateParameter(
                type="document",
                document=ivowaba.MediaObject(
                    link="https://ivosights.com/assets/collections/insights/674486569820220714020526.pdf",
                    filename="Display file name",
                ),
            ),
            body=[ivowaba.TemplateParameter(type="text", text="Agus Santoso")],
        )
    ),
    ("messages.send_template", "With Button component", False): (
        lambda c: c.messages.send_template(
            "628123456789",
            "60243665e4058d3b4a377bd2",
            body=["Agus Santoso"],
            buttons=[
                {
                    "type": "button",
                    "index": "0",
                    "sub_type": "url",
                    "parameters": [{"type": "text", "text": "test"}],
                }
            ],
        )
    ),
    ("messages.send_template", "With flow", False): (
        lambda c: c.messages.send_template(
            "628123456789",
            "6639e8bb1a7e0b7fb3365514",
            buttons=[
                {
                    "type": "button",
                    "index": 0,
                    "sub_type": "flow",
                    "parameters": [
                        {
                            "type": "action",
                            "action": {"flow_token": "426c0a609e863870882d509ca3bcae959a5bc41d"},
                        }
                    ],
                }
            ],
        )
    ),
    ("messages.send_template", "One Time Password (OTP", False): (
        lambda c: c.messages.send_otp("628123456789", "635a31939245d054dd2c7ad6", "765987")
    ),
    ("messages.send_text", "basic", False): lambda c: c.messages.send_text("628123456789", "hello"),
    ("messages.send_reply_buttons", "basic", False): lambda c: c.messages.send_reply_buttons(
        "628123456789",
        "PT. Ivonesia Solusi Data Understand, engage, and delight your customers with our "
        "award-winning platforms. Want to know more?",
        [ivowaba.ReplyButton(id="yes", title="Yes")],
        header={"type": "image", "link": IMAGE},
        footer="Ivosigths",
    ),
    ("messages.send_list", "basic", False): lambda c: c.messages.send_list(
        "628123456789",
        "Halo... Silahkan pilih platform layanan kami yang ingin anda ketahui lebih lanjut "
        "dengan cara menekan tombol dibawah ini.",
        "Pilih Platform",
        [
            {
                "title": "Silahkan pilih",
                "rows": [
                    {
                        "id": "sociomile",
                        "title": "Sociomile",
                        "description": "Omni channel Ticketing Platform",
                    }
                ],
            }
        ],
        header="Pesan Interaktif",
        footer="PT. Ivonesia Solusi Data",
    ),
    ("messages.send_product", "basic", False): lambda c: c.messages.send_product(
        "628123456789",
        "1234567890",
        "abcd12345",
        body="Silahkan lihat detail produk kami.",
        footer="PT. Ivonesia Solusi Data",
    ),
    ("messages.send_product_list", "basic", False): lambda c: c.messages.send_product_list(
        "628123456789",
        "1234567890",
        [
            ivowaba.ProductSection(
                title="New Product",
                product_items=[
                    ivowaba.ProductItem(product_retailer_id="abc12345"),
                    ivowaba.ProductItem(product_retailer_id="abc4567"),
                ],
            )
        ],
        header="New Product",
        body="Silahkan pilih produk kami yang sedang trend saat ini.",
        footer="PT. Ivonesia Solusi Data",
    ),
    ("messages.send_flow", "basic", False): lambda c: c.messages.send_flow(
        "628123456789",
        flow_id="1180378639999979",
        flow_cta="Register",
        body="Body text of the flow",
        header="Header text",
        footer="Footer text of the flow",
        flow_action_payload={"screen": "WELCOME_SCREEN"},
    ),
    ("messages.mark_read", "basic", False): lambda c: c.messages.mark_read(
        "gBEGkYiEB1VXAglK1ZEqA1YKPrU"
    ),
    ("settings.get_business_profile", "basic", False): lambda c: c.settings.get_business_profile(),
    ("settings.update_business_profile", "basic", False): (
        lambda c: c.settings.update_business_profile(
            address="Jl. Tebet Barat I No.2, RT.1\\/RW.2, Tebet Bar., Kec. Tebet, Kota Jakarta "
            "Selatan, Daerah Khusus Ibukota Jakarta 12810",
            description="A Series of Platforms to Engage Your Customers",
            email="[email protected]",
            vertical="Professional Services",
            websites=["https://www.ivosigths.com"],
        )
    ),
    ("settings.get_about", "basic", False): lambda c: c.settings.get_about(),
    ("settings.update_about", "basic", False): lambda c: c.settings.update_about(
        "Hello.. we are using WhatsApp Business Account"
    ),
    ("settings.get_photo", "basic", False): lambda c: c.settings.get_photo(),
    ("settings.update_photo", "basic", False): lambda c: c.settings.update_photo(PHOTO),
    ("webhooks.list", "basic", False): lambda c: c.webhooks.list(),
    ("webhooks.pull_pending", "basic", False): lambda c: c.webhooks.pull_pending(
        "60243665e4058d3b4a377bd2"
    ),
    ("messages.send_text", "basic", True): lambda c: c.messages.send_text("628123456789", "hello"),
    ("media.download", "basic", True): lambda c: c.media.download(
        "f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"
    ),
}

EXAMPLES = wire_examples()
#: The requests an operation makes before its own.
LOOKUPS = {
    name: ["templates.categories", "templates.languages"]
    for name in ("templates.create", "templates.update")
}


@pytest.fixture(autouse=True)
def _what_the_examples_name(emu: Emulator) -> None:
    """The templates, media and webhook the reference's examples name without showing."""
    emu.seed_reference_examples()


def _id(example: dict[str, Any]) -> str:
    sandbox = "-sandbox" if example["sandbox"] else ""
    return f"{example['operation']}[{example['example']}]{sandbox}"


def test_every_example_has_a_call() -> None:
    keys = {(e["operation"], e["example"], e["sandbox"]) for e in EXAMPLES}
    assert len(EXAMPLES) == 42
    assert keys == set(CALLS)


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
async def test_request_matches_the_reference(
    example: dict[str, Any], both: Both, emu: Emulator
) -> None:
    call = CALLS[(example["operation"], example["example"], example["sandbox"])]
    if example["sandbox"]:
        async with client_of_kind(
            both.kind, api_key=API_KEY, base_url=emu.base_url, sandbox=True
        ) as sandboxed:
            await sandboxed(call)
    else:
        await both(call)

    # Creating or updating a template checks its category and language against the gateway's
    # lists first (asked for once per client); the example's request is the last.
    *lookups, sent = emu.requests
    assert [r.operation for r in lookups] == LOOKUPS.get(example["operation"], [])
    assert sent.operation == example["operation"]  # routed by the operations table
    assert sent.method == example["method"]
    assert sent.path == example["url"]
    assert sent.query == (example.get("query") or {})
    assert sent.headers["X-API-KEY"] == API_KEY
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("ivowaba-python/")
    if example["multipart"]:
        assert sent.content_type == "multipart/form-data"
        assert b'name="photo"' in sent.body
        assert PHOTO in sent.body
    elif example["json_body"] is None:
        assert sent.body == b""
    else:
        assert sent.headers["Content-Type"] == "application/json"
        assert sent.json() == example["json_body"]
