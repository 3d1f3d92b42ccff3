"""The emulator's HTTP API: authentication, the sandbox, validation, and the state behind
each operation, over real HTTP with a raw aiohttp client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest

from ivowaba.testing import Emulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
SANDBOX_PATHS = [
    ("POST", "/messages/send-text-message"),
    ("POST", "/messages/send-template-message"),
    ("POST", "/messages/send-media-message"),
    ("POST", "/messages/send-location-message"),
    ("POST", "/messages/send-contact-message"),
    ("POST", "/messages/send-list-message"),
    ("POST", "/messages/send-reply-button-message"),
    ("GET", "/media/some-id"),
]
NOT_IN_SANDBOX = [
    ("POST", "/messages/send-flow-message"),
    ("POST", "/messages/send-single-product-message"),
    ("POST", "/messages/send-multi-product-message"),
    ("POST", "/contacts/check"),
    ("GET", "/countries"),
    ("GET", "/message-templates"),
    ("GET", "/webhooks"),
    ("PUT", "/messages/gBEGabc/read"),
    ("GET", "/settings/profiles/about"),
]


class Api:
    """A raw client of one emulator: ``await api.call("POST", "/contacts/check", json=...)``."""

    def __init__(self, emu: Emulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session

    async def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        prefix: str = "/api/v1",
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> tuple[int, Any, Mapping[str, str]]:
        """Status, body (decoded when JSON) and headers of one request."""
        all_headers = {"X-API-KEY": self.emu.api_key if key is None else key, **(headers or {})}
        url = self.emu.base_url + prefix + path
        async with self.session.request(method, url, headers=all_headers, **kw) as response:
            raw = await response.read()
            is_json = response.content_type == "application/json"
            return response.status, json.loads(raw) if is_json else raw, response.headers


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with Emulator() as emu, aiohttp.ClientSession() as session:
        yield Api(emu, session)


def text_message(**changes: Any) -> dict[str, Any]:
    return {"wa_id": "628123456789", "text": "hello", **changes}


def reply_buttons(*titles: str) -> dict[str, Any]:
    buttons = [{"id": f"b{i}", "title": title} for i, title in enumerate(titles)]
    return {"wa_id": "628123456789", "body": "Pick one", "action": {"buttons": buttons}}


# -- authentication and routing ------------------------------------------------------------


@pytest.mark.parametrize("key", ["wrong-key", ""])
async def test_wrong_or_missing_key_is_unauthenticated(api: Api, key: str) -> None:
    status, body, _ = await api.call(
        "POST", "/messages/send-text-message", key=key, json=text_message()
    )

    assert status == 401
    assert body == {"message": "Unauthenticated."}
    assert api.emu.outbox == []


async def test_key_is_checked_on_reads_too(api: Api) -> None:
    status, body, _ = await api.call("GET", "/countries", key="nope")

    assert (status, body) == (401, {"message": "Unauthenticated."})


async def test_custom_api_key() -> None:
    async with Emulator(api_key="s3cret") as emu, aiohttp.ClientSession() as session:
        api = Api(emu, session)
        assert (await api.call("GET", "/countries", key="test-key"))[0] == 401
        assert (await api.call("GET", "/countries"))[0] == 200


@pytest.mark.parametrize(("method", "path"), SANDBOX_PATHS)
async def test_sandbox_serves_its_eight_operations(api: Api, method: str, path: str) -> None:
    api.emu.add_media(b"abc", "text/plain", media_id="some-id")

    status, body, _ = await api.call(method, path, prefix="/sandbox/api/v1", json={})

    assert status in (200, 422), body  # reached the operation: answered, or its validation
    assert api.emu.requests[-1].sandbox is True
    assert api.emu.requests[-1].operation is not None


@pytest.mark.parametrize(("method", "path"), NOT_IN_SANDBOX)
async def test_sandbox_has_no_other_operation(api: Api, method: str, path: str) -> None:
    status, body, _ = await api.call(method, path, prefix="/sandbox/api/v1", json={})

    assert status == 404
    assert body == {"message": f"The route sandbox/api/v1{path} could not be found."}


async def test_sandbox_send_is_marked_in_the_outbox(api: Api) -> None:
    await api.call("POST", "/messages/send-text-message", json=text_message(text="live"))
    await api.call(
        "POST",
        "/messages/send-text-message",
        prefix="/sandbox/api/v1",
        json=text_message(text="test"),
    )

    assert [(e.body["text"], e.sandbox) for e in api.emu.outbox] == [
        ("live", False),
        ("test", True),
    ]


async def test_unknown_path_is_404(api: Api) -> None:
    status, body, _ = await api.call("GET", "/nothing-here")

    assert status == 404
    assert body == {"message": "The route api/v1/nothing-here could not be found."}


async def test_wrong_method_is_405_naming_the_right_one(api: Api) -> None:
    status, body, _ = await api.call("GET", "/messages/send-text-message")

    assert status == 405
    assert body["message"].endswith("Supported methods: POST.")


# -- request bodies ------------------------------------------------------------------------


async def test_body_that_is_not_json_is_400(api: Api) -> None:
    headers = {"Content-Type": "application/json"}
    status, body, _ = await api.call(
        "POST", "/messages/send-text-message", data=b"{not json", headers=headers
    )

    assert status == 400
    assert body["message"].startswith("The request body is not valid JSON")


async def test_json_sent_without_json_content_type_is_400(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", "/messages/send-text-message", data=json.dumps(text_message()).encode()
    )

    assert status == 400
    assert "Content-Type: application/json" in body["message"]
    assert api.emu.outbox == []


async def test_json_that_is_not_an_object_is_400(api: Api) -> None:
    status, body, _ = await api.call("POST", "/messages/send-text-message", json=[1, 2])

    assert (status, body) == (400, {"message": "The request body must be a JSON object."})


async def test_empty_body_names_every_required_field(api: Api) -> None:
    status, body, _ = await api.call("POST", "/messages/send-text-message")

    assert status == 422
    assert body == {
        "message": "The wa_id field is required. (and 1 more error)",
        "errors": {
            "wa_id": ["The wa_id field is required."],
            "text": ["The text field is required."],
        },
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (text_message(text="x" * 4096), None, None),
        (
            text_message(text="x" * 4097),
            "text",
            "The text field must not be greater than 4096 characters.",
        ),
        (text_message(text="   "), "text", "The text field is required."),
        (
            text_message(preview_url="yes"),
            "preview_url",
            "The preview_url field must be true or false.",
        ),
        (
            text_message(footer=None, preview_url=None),
            "preview_url",
            "The preview_url field must be true or false.",
        ),
        (
            text_message(wa_id="1234567"),
            "wa_id",
            "The wa_id field must be between 8 and 15 digits.",
        ),
        (
            text_message(wa_id="1234567890123456"),
            "wa_id",
            "The wa_id field must be between 8 and 15 digits.",
        ),
        (
            text_message(wa_id="+628123456789"),
            "wa_id",
            "The wa_id field must be between 8 and 15 digits.",
        ),
        (text_message(wa_id="12345678"), None, None),
    ],
)
async def test_text_rules(
    api: Api, body: dict[str, Any], field: str | None, message: str | None
) -> None:
    status, answer, _ = await api.call("POST", "/messages/send-text-message", json=body)

    if field is None:
        assert status == 200, answer
    else:
        assert status == 422
        assert answer["errors"][field] == [message]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/messages/send-reply-button-message",
            reply_buttons("a", "b", "c", "d"),
            "action.buttons",
        ),
        ("/messages/send-reply-button-message", reply_buttons(), "action.buttons"),
        ("/messages/send-reply-button-message", reply_buttons("x" * 21), "action.buttons.0.title"),
        (
            "/messages/send-reply-button-message",
            reply_buttons("same", "same"),
            "action.buttons.1.title",
        ),
        (
            "/messages/send-reply-button-message",
            {**reply_buttons("a"), "header": {"type": "text", "text": "x" * 61}},
            "header.text",
        ),
        (
            "/messages/send-reply-button-message",
            {**reply_buttons("a"), "footer": "x" * 61},
            "footer",
        ),
        ("/messages/send-reply-button-message", {**reply_buttons("a"), "body": "x" * 1025}, "body"),
        (
            "/messages/send-media-message",
            {
                "wa_id": "628123456789",
                "type": "audio",
                "link": "https://x.io/a.mp3",
                "caption": "hi",
            },
            "caption",
        ),
        (
            "/messages/send-media-message",
            {
                "wa_id": "628123456789",
                "type": "image",
                "link": "https://x.io/a.png",
                "caption": "x" * 1025,
            },
            "caption",
        ),
        (
            "/messages/send-media-message",
            {
                "wa_id": "628123456789",
                "type": "image",
                "link": "https://x.io/a.png",
                "filename": "a.png",
            },
            "filename",
        ),
        (
            "/messages/send-location-message",
            {"wa_id": "628123456789", "latitude": 0, "longitude": -180.5},
            "longitude",
        ),
        (
            "/messages/send-location-message",
            {"wa_id": "628123456789", "latitude": True, "longitude": 0},
            "latitude",
        ),
        (
            "/messages/send-flow-message",
            {
                "wa_id": "628123456789",
                "body": "b",
                "action": {
                    "parameters": {
                        "flow_message_version": "3",
                        "flow_id": "1",
                        "flow_cta": "Go",
                        "flow_action": "jump",
                    }
                },
            },
            "action.parameters.flow_action",
        ),
        (
            "/messages/send-template-message",
            {
                "wa_id": "628123456789",
                "template_id": "60243665e4058d3b4a377bd2",
                "components": [{"type": "button", "sub_type": "url", "index": 12}],
            },
            "components.0.index",
        ),
        (
            "/messages/send-template-message",
            {
                "wa_id": "628123456789",
                "template_id": "60243665e4058d3b4a377bd2",
                "components": [{"type": "body", "parameters": [{"type": "text"}]}],
            },
            "components.0.parameters.0.text",
        ),
        (
            "/messages/send-template-message",
            {
                "wa_id": "628123456789",
                "template_id": "no-such-template",
                "components": [{"type": "body"}],
            },
            "template_id",
        ),
        (
            "/messages/send-template-message",
            {"wa_id": "628123456789", "template_id": "60243665e4058d3b4a377bd2", "components": []},
            "components",
        ),
    ],
)
async def test_whatsapp_limits_are_enforced(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    status, answer, _ = await api.call("POST", path, json=body)

    assert status == 422, answer
    assert field in answer["errors"], answer
    assert api.emu.outbox == []


def list_message(sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "wa_id": "628123456789",
        "body": "Choose",
        "action": {"button": "Open", "sections": sections},
    }


def rows(count: int, start: int = 0) -> list[dict[str, str]]:
    return [{"id": f"r{i}", "title": f"Row {i}"} for i in range(start, start + count)]


async def test_list_rows_are_counted_across_sections(api: Api) -> None:
    ten = list_message([{"title": "A", "rows": rows(5)}, {"title": "B", "rows": rows(5, 5)}])
    eleven = list_message([{"title": "A", "rows": rows(5)}, {"title": "B", "rows": rows(6, 5)}])

    ok, _, _ = await api.call("POST", "/messages/send-list-message", json=ten)
    status, answer, _ = await api.call("POST", "/messages/send-list-message", json=eleven)

    assert ok == 200
    assert status == 422
    assert answer["errors"]["action.sections"] == [
        "The action.sections field must not have more than 10 rows in all."
    ]


async def test_list_section_titles_are_required_only_with_several_sections(api: Api) -> None:
    one = list_message([{"rows": rows(2)}])
    two = list_message([{"rows": rows(1)}, {"title": "B", "rows": rows(1, 1)}])

    ok, _, _ = await api.call("POST", "/messages/send-list-message", json=one)
    status, answer, _ = await api.call("POST", "/messages/send-list-message", json=two)

    assert ok == 200
    assert status == 422
    assert list(answer["errors"]) == ["action.sections.0.title"]


async def test_list_row_ids_must_be_unique(api: Api) -> None:
    body = list_message([{"title": "A", "rows": rows(1)}, {"title": "B", "rows": rows(1)}])

    status, answer, _ = await api.call("POST", "/messages/send-list-message", json=body)

    assert status == 422
    assert answer["errors"] == {
        "action.sections.1.rows.0.id": [
            "The action.sections.1.rows.0.id field has a duplicate value."
        ]
    }


# -- what a send leaves behind -------------------------------------------------------------


async def test_send_is_recorded_in_outbox_and_requests(api: Api) -> None:
    status, answer, _ = await api.call(
        "POST", "/messages/send-text-message", json=text_message(), params={"trace": "1"}
    )

    assert status == 200
    (entry,) = api.emu.outbox
    assert entry.id == answer["messages"][0]["id"]
    assert entry.endpoint == "send-text-message"
    assert entry.operation == "messages.send_text"
    assert entry.wa_id == "628123456789"
    assert entry.body == text_message()
    assert entry.sandbox is False
    (request,) = api.emu.requests
    assert request.method == "POST"
    assert request.path == "/api/v1/messages/send-text-message"
    assert request.query == {"trace": "1"}
    assert request.headers["X-API-KEY"] == "test-key"
    assert request.json() == text_message()


async def test_message_ids_are_unique(api: Api) -> None:
    for _ in range(50):
        await api.call("POST", "/messages/send-text-message", json=text_message())

    ids = {entry.id for entry in api.emu.outbox}
    assert len(ids) == 50


async def test_refused_and_unauthenticated_requests_are_recorded_too(api: Api) -> None:
    await api.call("POST", "/messages/send-text-message", json={})
    await api.call("POST", "/messages/send-text-message", key="bad", json=text_message())
    await api.call("GET", "/no/such/path")

    assert [r.operation for r in api.emu.requests] == [
        "messages.send_text",
        "messages.send_text",
        None,
    ]
    assert api.emu.outbox == []


async def test_mark_read_answers_null_and_is_kept(api: Api) -> None:
    status, body, _ = await api.call("PUT", "/messages/ABGGxyz/read")

    assert (status, body) == (200, None)
    assert api.emu.read_receipts == ["ABGGxyz"]


# -- contacts ------------------------------------------------------------------------------


async def test_contacts_check_normalises_numbers_and_honours_marks(api: Api) -> None:
    api.emu.mark_invalid("+62 811-1111-111")
    numbers = ["+62 (812) 3456-789", "628111111111", "12345", "+62abc12345678"]

    status, body, _ = await api.call("POST", "/contacts/check", json={"contacts": numbers})

    assert status == 200
    assert body["contacts"] == [
        {"input": "+62 (812) 3456-789", "status": "valid", "wa_id": "628123456789"},
        {"input": "628111111111", "status": "invalid"},
        {"input": "12345", "status": "invalid"},
        {"input": "+62abc12345678", "status": "invalid"},
    ]
    assert body["meta"] == {"api_status": "stable", "version": "2.33.3"}


# -- templates -----------------------------------------------------------------------------

TEMPLATE = {
    "label": "Order Shipped!",
    "category_id": "UTILITY",
    "language_id": "en",
    "is_propose": False,
    "header": {"format": "TEXT", "text": "Order {{1}}", "examples": ["#12"]},
    "body": {"text": "Hi {{1}}, order {{2}} is on its way.", "examples": ["Ann", "#12"]},
    "footer": "Shop",
    "buttons": [
        {
            "type": "URL",
            "text": "Track",
            "url_type": "dynamic",
            "url": "https://shop.example/t/{{1}}",
            "examples": ["12"],
        },
        {
            "type": "PHONE_NUMBER",
            "text": "Call",
            "country_code": "+62",
            "phone_number": "85128567890",
        },
    ],
}


async def test_created_template_is_shown_listed_and_sendable(api: Api) -> None:
    status, created, _ = await api.call("POST", "/message-templates", json=TEMPLATE)
    assert status == 200

    _, shown, _ = await api.call("GET", f"/message-templates/{created['id']}")
    _, mine, _ = await api.call("GET", "/message-templates")
    sent, _, _ = await api.call(
        "POST",
        "/messages/send-template-message",
        json={
            "wa_id": "628123456789",
            "template_id": created["id"],
            "components": [{"type": "body"}],
        },
    )

    assert shown == created
    assert len(created["id"]) == 24
    assert created["template_name"] == "order_shipped"
    assert created["status"] == "draft"
    assert created["components"] == [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Order {{1}}",
            "examples": ["#12"],
            "parameters": {"{{1}}": None},
        },
        {
            "type": "BODY",
            "text": "Hi {{1}}, order {{2}} is on its way.",
            "examples": ["Ann", "#12"],
            "parameters": {"{{1}}": None, "{{2}}": None},
        },
        {"type": "FOOTER", "text": "Shop", "parameters": []},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "URL", "text": "Track", "url": "https://shop.example/t/{{1}}"},
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+6285128567890"},
            ],
        },
    ]
    assert created["id"] in [t["id"] for t in mine["data"]]
    assert sent == 200


async def test_update_and_propose_change_the_stored_template(api: Api) -> None:
    _, created, _ = await api.call("POST", "/message-templates", json=TEMPLATE)
    path = f"/message-templates/{created['id']}"

    changed = {**TEMPLATE, "label": "Order Sent", "footer": "New footer"}
    status, updated, _ = await api.call("PUT", path, json=changed)
    proposed, _, _ = await api.call("POST", path + "/propose")
    _, shown, _ = await api.call("GET", path)

    assert status == 200
    assert updated["label"] == "Order Sent"
    assert {"type": "FOOTER", "text": "New footer", "parameters": []} in updated["components"]
    assert proposed == 200
    assert shown["status"] == "submitted"
    assert shown["id"] == created["id"]


async def test_authentication_template_gets_whatsapps_fixed_parts(api: Api) -> None:
    otp = {
        "label": "Login code",
        "category_id": "AUTHENTICATION",
        "language_id": "id",
        "is_propose": True,
        "otp": [{"otp_type": "COPY_CODE", "text": "Salin Kode"}],
        "add_security_recommendation": True,
        "code_expiration_minutes": 30,
    }

    status, created, _ = await api.call("POST", "/message-templates", json=otp)

    assert status == 200
    assert created["status"] == "submitted"
    kinds = [c["type"] for c in created["components"]]
    assert kinds == ["BODY", "FOOTER", "BUTTONS"]
    assert "do not share this code" in created["components"][0]["text"]
    assert created["components"][1]["text"] == "This code expires in 30 minutes."
    assert created["components"][2]["buttons"] == [
        {"type": "OTP", "otp_type": "COPY_CODE", "text": "Salin Kode"}
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/message-templates/nope"),
        ("PUT", "/message-templates/nope"),
        ("POST", "/message-templates/nope/propose"),
    ],
)
async def test_unknown_template_is_404(api: Api, method: str, path: str) -> None:
    status, body, _ = await api.call(method, path, json=TEMPLATE)

    assert (status, body) == (404, {"message": "Template not found."})


async def test_template_language_must_be_known(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", "/message-templates", json={**TEMPLATE, "language_id": "klingon"}
    )

    assert status == 422
    assert body["errors"] == {"language_id": ["The selected language_id is invalid."]}


async def test_my_templates_and_all_templates_differ_as_in_the_reference(api: Api) -> None:
    _, mine, _ = await api.call("GET", "/message-templates")
    _, every, _ = await api.call("GET", "/message-templates/all-templates")

    assert [t["id"] for t in mine["data"]] == ["60243665e4058d3b4a377bd2"]
    assert [t["id"] for t in every["data"]] == [
        "60243665e4058d3b4a377bd2",
        "60243665e4058d3b4a377bce",
    ]
    assert every["meta"]["pagination"] == {
        "total": 2,
        "count": 2,
        "per_page": 15,
        "current_page": 1,
        "total_pages": 1,
        "links": {},
    }


async def test_listings_are_paginated_by_page(api: Api) -> None:
    for n in range(20):
        api.emu.add_template(f"t{n:02d}", label=f"Template {n}")
    url = api.emu.base_url + "/api/v1/message-templates/all-templates"

    _, first, _ = await api.call("GET", "/message-templates/all-templates")
    _, second, _ = await api.call("GET", "/message-templates/all-templates", params={"page": 2})
    _, beyond, _ = await api.call("GET", "/message-templates/all-templates", params={"page": 9})
    _, garbage, _ = await api.call("GET", "/message-templates/all-templates", params={"page": "x"})

    assert len(first["data"]) == 15
    assert first["meta"]["pagination"] == {
        "total": 22,
        "count": 15,
        "per_page": 15,
        "current_page": 1,
        "total_pages": 2,
        "links": {"next": f"{url}?page=2"},
    }
    assert [t["id"] for t in second["data"]] == [f"t{n:02d}" for n in range(13, 20)]
    assert second["meta"]["pagination"]["links"] == {"previous": f"{url}?page=1"}
    assert second["meta"]["pagination"]["count"] == 7
    assert beyond["data"] == []
    assert beyond["meta"]["pagination"]["current_page"] == 9
    assert garbage["meta"]["pagination"]["current_page"] == 1


async def test_per_page_is_configurable() -> None:
    async with Emulator(per_page=1) as emu, aiohttp.ClientSession() as session:
        _, page, _ = await Api(emu, session).call("GET", "/message-templates/all-templates")

    assert len(page["data"]) == 1
    assert page["meta"]["pagination"]["total_pages"] == 2


async def test_categories_and_languages(api: Api) -> None:
    _, categories, _ = await api.call("GET", "/template-categories")
    _, languages, _ = await api.call("GET", "/template-languages")

    assert [c["id"] for c in categories["data"]] == ["UTILITY", "MARKETING", "AUTHENTICATION"]
    ids = [language["id"] for language in languages["data"]]
    assert {"id", "ga", "it", "en", "en_US"} <= set(ids)
    names = [language["name"] for language in languages["data"]]
    assert names == sorted(names)


# -- media ---------------------------------------------------------------------------------


async def test_media_download_returns_bytes_type_and_filename(api: Api) -> None:
    media_id = api.emu.add_media(b"%PDF-1.4 ...", "application/pdf", "invoice 7.pdf")

    status, body, headers = await api.call("GET", f"/media/{media_id}")

    assert status == 200
    assert body == b"%PDF-1.4 ..."
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="invoice 7.pdf"'


async def test_media_without_filename_has_no_disposition(api: Api) -> None:
    media_id = api.emu.add_media(b"\xff\xd8\xff", "image/jpeg")

    status, body, headers = await api.call("GET", f"/media/{media_id}", prefix="/sandbox/api/v1")

    assert (status, body) == (200, b"\xff\xd8\xff")
    assert "Content-Disposition" not in headers


async def test_missing_media_is_404_file_not_found(api: Api) -> None:
    status, body, _ = await api.call("GET", "/media/does-not-exist")

    assert (status, body) == (404, {"message": "File not found"})


# -- settings ------------------------------------------------------------------------------


async def test_business_profile_update_is_merged(api: Api) -> None:
    update = {"description": "We sell tea", "websites": ["https://tea.example"]}

    status, _, _ = await api.call("POST", "/settings/business-profile", json=update)
    _, shown, _ = await api.call("GET", "/settings/business-profile")

    assert status == 200
    profile = shown["settings"]["business"]["profile"]
    assert profile["description"] == "We sell tea"
    assert profile["websites"] == ["https://tea.example"]
    assert profile["vertical"] == "Professional Services"


async def test_business_profile_takes_at_most_two_websites(api: Api) -> None:
    sites = ["https://a.example", "https://b.example", "https://c.example"]

    status, body, _ = await api.call("POST", "/settings/business-profile", json={"websites": sites})

    assert status == 422
    assert list(body["errors"]) == ["websites"]


async def test_about_text_round_trip(api: Api) -> None:
    status, _, _ = await api.call("PATCH", "/settings/profiles/about", json={"text": "Open 9-5"})
    _, shown, _ = await api.call("GET", "/settings/profiles/about")

    assert status == 200
    assert shown["settings"]["profile"]["about"] == {"text": "Open 9-5"}
    assert api.emu.about == "Open 9-5"


def photo_form(content: bytes, field: str = "photo", content_type: str = "image/png") -> Any:
    form = aiohttp.FormData()
    form.add_field(field, content, filename="me.png", content_type=content_type)
    return form


async def test_photo_upload_changes_the_link_and_serves_the_bytes(api: Api) -> None:
    _, before, _ = await api.call("GET", "/settings/profiles/photo", params={"format": "link"})

    status, answer, _ = await api.call("POST", "/settings/profiles/photo", data=photo_form(PNG))
    _, after, _ = await api.call("GET", "/settings/profiles/photo", params={"format": "link"})
    _, raw, headers = await api.call("GET", "/settings/profiles/photo")

    assert status == 200
    assert answer == {"meta": {"api_status": "stable", "version": "2.33.3"}}
    old_link = before["settings"]["profile"]["photo"]["link"]
    new_link = after["settings"]["profile"]["photo"]["link"]
    assert old_link.startswith("https://pps.whatsapp.net/")
    assert new_link.startswith(api.emu.base_url)
    assert (raw, headers["Content-Type"]) == (PNG, "image/png")
    async with api.session.get(new_link) as public:
        assert public.status == 200
        assert await public.read() == PNG


async def test_photo_must_be_an_image_in_a_field_named_photo(api: Api) -> None:
    not_image = photo_form(b"plain text", content_type="text/plain")
    wrong_field = photo_form(PNG, field="picture")

    status_a, body_a, _ = await api.call("POST", "/settings/profiles/photo", data=not_image)
    status_b, body_b, _ = await api.call("POST", "/settings/profiles/photo", data=wrong_field)

    assert (status_a, body_a["errors"]) == (422, {"photo": ["The photo field must be an image."]})
    assert (status_b, body_b["errors"]) == (422, {"photo": ["The photo field is required."]})
    assert api.emu.photo is None


async def test_photo_without_upload_is_404_as_binary(api: Api) -> None:
    status, body, _ = await api.call("GET", "/settings/profiles/photo")

    assert (status, body) == (404, {"message": "File not found"})


# -- webhooks and reset --------------------------------------------------------------------


async def test_webhooks_list_shows_the_configured_endpoint(api: Api) -> None:
    api.emu.set_webhook("http://127.0.0.1:9/hook", username="user", password="pw")

    _, body, _ = await api.call("GET", "/webhooks")

    assert body == {
        "data": [
            {
                "id": "6098c0f34dae5677e2636a5c",
                "name": "App Webhook",
                "url": "http://127.0.0.1:9/hook",
                "events": [],
                "headers": [],
                "status": "on",
                "http_auth": {"status": "on", "username": "user", "password": "pw"},
            }
        ]
    }


async def test_pull_pending_of_unknown_webhook_is_404(api: Api) -> None:
    status, body, _ = await api.call("GET", "/webhooks/unknown/pull-pending-notifications")

    assert (status, body) == (404, {"message": "Webhook not found."})


async def test_reset_brings_back_the_starting_state(api: Api) -> None:
    await api.call("POST", "/messages/send-text-message", json=text_message())
    await api.call("PATCH", "/settings/profiles/about", json={"text": "changed"})
    await api.call("POST", "/message-templates", json=TEMPLATE)
    api.emu.add_media(b"x", "text/plain")
    api.emu.fail_next("*", status=500)

    api.emu.reset()

    assert api.emu.outbox == []
    assert api.emu.requests == []
    assert api.emu.media == {}
    assert api.emu.about == "Halo Dunia.."
    assert len(api.emu.templates) == 2
    status, _, _ = await api.call("GET", "/countries")
    assert status == 200


async def test_record_off_keeps_counts_only() -> None:
    async with Emulator(record=False) as emu, aiohttp.ClientSession() as session:
        api = Api(emu, session)
        status, _, _ = await api.call("POST", "/messages/send-text-message", json=text_message())
        await api.call("GET", "/countries")

    assert status == 200
    assert emu.outbox == []
    assert emu.requests == []
    assert (emu.sent_count, emu.request_count) == (1, 2)
