"""The template parameter check: ``send_template(..., check=True)`` and the client-wide
``check_templates=True`` fetch the template once (cached), and raise ``ValidationError`` before
any send when the header, body or dynamic URL button get a different number of parameters than
the template has ``{{n}}`` placeholders. Also ``Template.parameter_counts`` on the reference's
templates."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

import ivowaba
from ivowaba._template_check import check_parameters, given_counts
from ivowaba.testing import Emulator, _seed
from ivowaba.types.messages import MediaObject, TemplateComponent, TemplateParameter
from ivowaba.types.templates import Template, count_placeholders
from tests.conftest import API_KEY, Both, client_of_kind

TO = "628123456789"
IMAGE = "https://www.google.com/images/branding/googlelogo/2x/googlelogo_color_92x30dp.png"
TEMPLATE_PATH = "/api/v1/message-templates/{}"
SEND_PATH = "/api/v1/messages/send-template-message"

# -- the reference's templates ("Fetch Templates", "Fetch All Templates", "Show template") ---

# the reference's own two templates, as the emulator is seeded with them
NEW_PROJECT, ISSUE_RESOLVE = _seed.templates()
BODY = NEW_PROJECT["components"][1]["text"]


def variant(base: dict[str, Any], template_id: str, *components: dict[str, Any]) -> dict[str, Any]:
    """``base`` with another id and, if given, other components."""
    data = copy.deepcopy(base)
    data["id"] = template_id
    if components:
        data["components"] = list(components)
    return data


# "Create template: With dynamic URL", as the server shows it afterwards
DYNAMIC_URL = variant(
    NEW_PROJECT,
    "dynamic-url",
    {"type": "HEADER", "format": "TEXT", "text": "Notifikasi akun {{1}}"},
    {"type": "BODY", "text": BODY},
    {"type": "FOOTER", "text": "Ivosights"},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "URL", "text": "Klik sekarang", "url": "https://test.com/{{1}}"},
            {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+6285128567890"},
        ],
    },
)
# "Create template: With Media Header"
MEDIA_HEADER = variant(
    NEW_PROJECT,
    "media-header",
    {"type": "HEADER", "format": "IMAGE", "examples": ["https://image.url"]},
    {"type": "BODY", "text": BODY},
    {"type": "FOOTER", "text": "Ivosights"},
)
NO_PLACEHOLDERS = variant(NEW_PROJECT, "no-placeholders", {"type": "BODY", "text": "Terima kasih."})


def template(data: dict[str, Any]) -> Template:
    return msgspec.json.decode(msgspec.json.encode(data), type=Template)


# ---------------------------------------------------------------------------------------------
# Template.parameter_counts


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (NEW_PROJECT, {"header": 1, "body": 1, "url_buttons": 0}),
        (ISSUE_RESOLVE, {"header": 0, "body": 1, "url_buttons": 0}),
        (DYNAMIC_URL, {"header": 1, "body": 1, "url_buttons": 1}),
        (MEDIA_HEADER, {"header": 1, "body": 1, "url_buttons": 0}),
        (NO_PLACEHOLDERS, {"header": 0, "body": 0, "url_buttons": 0}),
    ],
    ids=["new-project", "issue-resolve", "dynamic-url", "media-header", "no-placeholders"],
)
def test_parameter_counts_of_the_reference_templates(
    data: dict[str, Any], expected: dict[str, int]
) -> None:
    assert template(data).parameter_counts() == expected


def test_parameter_counts_from_a_listing_page() -> None:
    page = {"data": [NEW_PROJECT, ISSUE_RESOLVE], "meta": {"pagination": {"total": 2}}}

    class _Page(msgspec.Struct):
        data: list[Template]

    decoded = msgspec.json.decode(msgspec.json.encode(page), type=_Page)
    assert [t.parameter_counts()["body"] for t in decoded.data] == [1, 1]
    assert [t.parameter_counts()["header"] for t in decoded.data] == [1, 0]


@pytest.mark.parametrize("media", ["IMAGE", "VIDEO", "DOCUMENT", "LOCATION", "image"])
def test_a_media_header_takes_one_parameter(media: str) -> None:
    data = variant(
        NEW_PROJECT, "m", {"type": "HEADER", "format": media}, {"type": "BODY", "text": "Hi"}
    )
    assert template(data).parameter_counts() == {"header": 1, "body": 0, "url_buttons": 0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, 0),
        ("", 0),
        ("no placeholders", 0),
        ("{{1}}", 1),
        ("{{1}} and {{2}} and {{3}}", 3),
        ("{{1}} twice {{1}}", 1),
        ("spaced {{ 1 }} and {{2 }}", 2),
        ("{{name}} is not numbered", 0),
        ("{1} and {{{2}}}", 1),
    ],
)
def test_count_placeholders(text: str | None, expected: int) -> None:
    assert count_placeholders(text) == expected


def test_parameter_counts_edge_shapes() -> None:
    lower = variant(
        NEW_PROJECT,
        "lower",
        {"type": "header", "text": "Hi {{1}}"},  # no format: a text header
        {"type": "body", "text": "{{1}} {{2}}"},
        {
            "type": "buttons",
            "buttons": [
                {"type": "url", "text": "A", "url": "https://a.test/{{1}}"},
                {"type": "URL", "text": "B", "url": "https://b.test/static"},
                {"type": "URL", "text": "C", "url": "https://c.test/{{1}}"},
                {"type": "QUICK_REPLY", "text": "D"},
            ],
        },
    )
    assert template(lower).parameter_counts() == {"header": 1, "body": 2, "url_buttons": 2}
    empty = variant(NEW_PROJECT, "empty")
    empty["components"] = []
    assert template(empty).parameter_counts() == {"header": 0, "body": 0, "url_buttons": 0}


# ---------------------------------------------------------------------------------------------
# the pure check


def components(*parts: dict[str, Any]) -> list[TemplateComponent]:
    return [msgspec.convert(p, TemplateComponent) for p in parts]


def text_params(*values: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": v} for v in values]


def test_given_counts() -> None:
    given = components(
        {"type": "body", "parameters": text_params("a", "b")},
        {"type": "header", "parameters": [{"type": "image", "image": {"link": IMAGE}}]},
        {"type": "button", "sub_type": "url", "index": 0, "parameters": text_params("x")},
        {"type": "button", "sub_type": "URL", "index": 1, "parameters": text_params("y")},
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": 2,
            "parameters": [{"type": "payload", "payload": "p"}],
        },
    )
    assert given_counts(given) == {"header": 1, "body": 2, "url_buttons": 2}
    assert given_counts(components({"type": "body"})) == {"header": 0, "body": 0, "url_buttons": 0}


@pytest.mark.parametrize(
    ("data", "parts", "field", "expected", "got"),
    [
        (NEW_PROJECT, [{"type": "body", "parameters": text_params("a")}], "header", 1, 0),
        (
            NEW_PROJECT,
            [
                {"type": "body", "parameters": text_params("a", "b")},
                {"type": "header", "parameters": text_params("h")},
            ],
            "body",
            1,
            2,
        ),
        (
            ISSUE_RESOLVE,
            [
                {"type": "body", "parameters": text_params("a")},
                {"type": "header", "parameters": text_params("h")},
            ],
            "header",
            0,
            1,
        ),
        (
            NEW_PROJECT,
            [
                {"type": "body", "parameters": text_params("a")},
                {"type": "header", "parameters": text_params("h")},
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": text_params("test"),
                },
            ],
            "buttons",
            0,
            1,
        ),
        (
            DYNAMIC_URL,
            [
                {"type": "body", "parameters": text_params("a")},
                {"type": "header", "parameters": text_params("h")},
            ],
            "buttons",
            1,
            0,
        ),
    ],
    ids=["header-missing", "body-extra", "header-unexpected", "static-url-param", "url-missing"],
)
def test_check_parameters_rejects(
    data: dict[str, Any], parts: list[dict[str, Any]], field: str, expected: int, got: int
) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        check_parameters(template(data), components(*parts))
    assert info.value.field == field
    assert f"takes {expected}" in info.value.rule
    assert f"got {got}" in info.value.rule
    assert data["template_name"] in info.value.rule


# ---------------------------------------------------------------------------------------------
# through both clients


def store(emu: Emulator, data: dict[str, Any]) -> None:
    """Keep ``data`` in the emulator as an approved template (fetched, and sent with)."""
    emu.add_template(data["id"]).update(copy.deepcopy(data))


def paths(emu: Emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests]


def get(template_id: str) -> tuple[str, str]:
    return ("GET", TEMPLATE_PATH.format(template_id))


SEND = ("POST", SEND_PATH)


@pytest.fixture(params=["async", "sync"])
async def checking(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[Both]:
    """Both clients, built with ``check_templates=True``."""
    async with client_of_kind(
        request.param, api_key=API_KEY, base_url=emu.base_url, max_retries=0, check_templates=True
    ) as through:
        yield through


async def test_matching_parameters_are_sent(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=NEW_PROJECT)
    result = await both(
        lambda c: c.messages.send_template(
            TO, NEW_PROJECT["id"], header="PT. IVOSIGHTS", body=["Agus Santoso"], check=True
        )
    )
    assert result.id
    assert paths(emu) == [get(NEW_PROJECT["id"]), SEND]
    assert emu.requests[1].json() == {  # the reference's "With Header & Body" example
        "wa_id": TO,
        "template_id": "60243665e4058d3b4a377bd2",
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Agus Santoso"}]},
            {"type": "header", "parameters": [{"type": "text", "text": "PT. IVOSIGHTS"}]},
        ],
    }


async def test_the_template_is_fetched_once(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=NEW_PROJECT)
    for name in ("Agus", "Budi", "Citra"):
        await both(
            lambda c, name=name: c.messages.send_template(
                TO, NEW_PROJECT["id"], header="PT", body=[name], check=True
            )
        )
    assert paths(emu) == [get(NEW_PROJECT["id"]), SEND, SEND, SEND]
    assert [r.json()["components"][0]["parameters"][0]["text"] for r in emu.requests[1:]] == [
        "Agus",
        "Budi",
        "Citra",
    ]


async def test_a_rejected_send_still_caches(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=NEW_PROJECT)
    with pytest.raises(ivowaba.ValidationError):
        await both(lambda c: c.messages.send_template(TO, NEW_PROJECT["id"], check=True))
    await both(
        lambda c: c.messages.send_template(
            TO, NEW_PROJECT["id"], header="PT", body=["Agus"], check=True
        )
    )
    assert paths(emu) == [get(NEW_PROJECT["id"]), SEND]


async def test_each_template_is_fetched_once(both: Both, emu: Emulator) -> None:
    for round_ in range(2):
        if round_ == 0:
            emu.fail_next(
                "*", status=200, body=NEW_PROJECT
            )  # scripted answers go to the next request
        await both(
            lambda c: c.messages.send_template(
                TO, NEW_PROJECT["id"], header="PT", body=["Agus"], check=True
            )
        )
        if round_ == 0:
            emu.fail_next("*", status=200, body=ISSUE_RESOLVE)
        await both(
            lambda c: c.messages.send_template(TO, ISSUE_RESOLVE["id"], body=["#21"], check=True)
        )
    assert paths(emu) == [
        get(NEW_PROJECT["id"]),
        SEND,
        get(ISSUE_RESOLVE["id"]),
        SEND,
        SEND,
        SEND,
    ]


@pytest.mark.parametrize(
    ("data", "kwargs", "field", "expected", "got"),
    [
        (NEW_PROJECT, {"body": ["Agus"]}, "header", 1, 0),
        (NEW_PROJECT, {"header": "PT"}, "body", 1, 0),
        (NEW_PROJECT, {"header": "PT", "body": ["Agus", "Santoso"]}, "body", 1, 2),
        (NEW_PROJECT, {}, "header", 1, 0),
        (ISSUE_RESOLVE, {"header": "PT", "body": ["#21"]}, "header", 0, 1),
        (NO_PLACEHOLDERS, {"body": ["surplus"]}, "body", 0, 1),
        # the reference's own "With Button component" example, against its static-URL template
        (
            NEW_PROJECT,
            {
                "header": "PT",
                "body": ["Agus"],
                "buttons": [
                    {
                        "type": "button",
                        "index": "0",
                        "sub_type": "url",
                        "parameters": [{"type": "text", "text": "test"}],
                    }
                ],
            },
            "buttons",
            0,
            1,
        ),
        (DYNAMIC_URL, {"header": "PT", "body": ["Agus"]}, "buttons", 1, 0),
        (MEDIA_HEADER, {"body": ["Agus"]}, "header", 1, 0),
        (
            NEW_PROJECT,
            {"components": [{"type": "body", "parameters": text_params("a")}]},
            "header",
            1,
            0,
        ),
    ],
    ids=[
        "no-header",
        "no-body",
        "body-extra",
        "nothing",
        "unexpected-header",
        "unexpected-body",
        "static-url-button",
        "missing-url-button",
        "missing-media-header",
        "raw-components",
    ],
)
async def test_mismatch_raises_before_any_send(
    both: Both,
    emu: Emulator,
    data: dict[str, Any],
    kwargs: dict[str, Any],
    field: str,
    expected: int,
    got: int,
) -> None:
    emu.fail_next("*", status=200, body=data)
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.messages.send_template(TO, data["id"], check=True, **kwargs))
    assert info.value.field == field
    assert re.search(rf"takes {expected}\b", info.value.rule), info.value.rule
    assert re.search(rf"got {got}\b", info.value.rule), info.value.rule
    assert paths(emu) == [get(data["id"])]  # fetched, never sent


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        (MEDIA_HEADER, {"header": {"type": "image", "image": {"link": IMAGE}}, "body": ["Agus"]}),
        (
            MEDIA_HEADER,
            {
                "header": TemplateParameter(
                    type="document",
                    document=msgspec.convert({"link": IMAGE, "filename": "a.pdf"}, MediaObject),
                ),
                "body": [TemplateParameter(type="text", text="Agus")],
            },
        ),
        (
            DYNAMIC_URL,
            {
                "header": "PT",
                "body": [{"type": "text", "text": "Agus"}],
                "buttons": [
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": 0,
                        "parameters": [{"type": "text", "text": "john-doe"}],
                    }
                ],
            },
        ),
        (
            DYNAMIC_URL,
            {
                "components": [
                    {"type": "header", "parameters": text_params("PT")},
                    {"type": "body", "parameters": text_params("Agus")},
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": "0",
                        "parameters": text_params("john-doe"),
                    },
                ]
            },
        ),
        (NO_PLACEHOLDERS, {}),
        (ISSUE_RESOLVE, {"body": ["#21"]}),
    ],
    ids=[
        "image-header",
        "document-header-structs",
        "dynamic-url",
        "raw-components",
        "no-placeholders",
        "body-only",
    ],
)
async def test_matching_shapes_pass(
    both: Both, emu: Emulator, data: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    store(emu, data)
    await both(lambda c: c.messages.send_template(TO, data["id"], check=True, **kwargs))
    assert paths(emu) == [get(data["id"]), SEND]
    if not kwargs:
        assert emu.requests[1].json()["components"] == [{"type": "body"}]


async def test_client_wide_switch(checking: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=NEW_PROJECT)
    with pytest.raises(ivowaba.ValidationError) as info:
        await checking(lambda c: c.messages.send_template(TO, NEW_PROJECT["id"], body=["Agus"]))
    assert info.value.field == "header"
    await checking(
        lambda c: c.messages.send_template(TO, NEW_PROJECT["id"], header="PT", body=["Agus"])
    )
    assert paths(emu) == [get(NEW_PROJECT["id"]), SEND]


async def test_client_wide_switch_can_be_turned_off_per_call(checking: Both, emu: Emulator) -> None:
    await checking(
        lambda c: c.messages.send_template(TO, NEW_PROJECT["id"], body=["too", "many"], check=False)
    )
    assert paths(emu) == [SEND]


async def test_no_check_by_default(both: Both, emu: Emulator) -> None:
    await both(lambda c: c.messages.send_template(TO, NEW_PROJECT["id"], body=["too", "many"]))
    await both(lambda c: c.messages.send_template(TO, NEW_PROJECT["id"], body=["x"], check=False))
    assert paths(emu) == [SEND, SEND]


async def test_templates_get_fills_the_cache(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=NEW_PROJECT)
    shown = await both(lambda c: c.templates.get(NEW_PROJECT["id"]))
    assert shown.parameter_counts() == {"header": 1, "body": 1, "url_buttons": 0}
    await both(
        lambda c: c.messages.send_template(
            TO, NEW_PROJECT["id"], header="PT", body=["Agus"], check=True
        )
    )
    assert paths(emu) == [get(NEW_PROJECT["id"]), SEND]


async def test_templates_update_forgets_the_cached_template(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=NEW_PROJECT)
    await both(
        lambda c: c.messages.send_template(
            TO, NEW_PROJECT["id"], header="PT", body=["Agus"], check=True
        )
    )
    two_params = variant(
        NEW_PROJECT, NEW_PROJECT["id"], {"type": "BODY", "text": "Halo {{1}} dari {{2}}"}
    )
    emu.fail_next("*", status=200, body=two_params)  # the PUT's answer
    emu.fail_next("*", status=200, body=two_params)  # the next fetch
    await both(
        lambda c: c.templates.update(
            NEW_PROJECT["id"],
            check=False,  # the answers are scripted: no rule check asking for the lists
            label="x",
            category_id="UTILITY",
            language_id="id",
            body={"text": "Halo {{1}} dari {{2}}", "examples": ["A", "B"]},
        )
    )
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(
            lambda c: c.messages.send_template(
                TO, NEW_PROJECT["id"], header="PT", body=["Agus"], check=True
            )
        )
    assert info.value.field == "header"  # the new template has no header
    await both(
        lambda c: c.messages.send_template(
            TO, NEW_PROJECT["id"], body=["Agus", "Ivosights"], check=True
        )
    )
    assert paths(emu) == [
        get(NEW_PROJECT["id"]),
        SEND,
        ("PUT", TEMPLATE_PATH.format(NEW_PROJECT["id"])),
        get(NEW_PROJECT["id"]),
        SEND,
    ]


async def test_unknown_template_is_not_sent_nor_cached(both: Both, emu: Emulator) -> None:
    with pytest.raises(ivowaba.NotFoundError):
        await both(lambda c: c.messages.send_template(TO, "missing", body=["a"], check=True))
    assert paths(emu) == [get("missing")]
    store(emu, variant(ISSUE_RESOLVE, "missing"))
    await both(lambda c: c.messages.send_template(TO, "missing", body=["a"], check=True))
    assert paths(emu) == [get("missing"), get("missing"), SEND]


async def test_bad_recipient_fails_before_the_fetch(both: Both, emu: Emulator) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(
            lambda c: c.messages.send_template(
                "not a number", NEW_PROJECT["id"], body=["a"], check=True
            )
        )
    assert info.value.field == "to"
    assert emu.requests == []


async def test_bad_nested_argument_fails_before_the_fetch(both: Both, emu: Emulator) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(
            lambda c: c.messages.send_template(
                TO, NEW_PROJECT["id"], body=[{"type": "text", "txt": "a"}], check=True
            )
        )
    assert info.value.field == "body[0]"
    assert emu.requests == []


async def test_empty_template_id_fails_before_the_fetch(both: Both, emu: Emulator) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.messages.send_template(TO, "", check=True))
    assert info.value.field == "template_id"
    assert emu.requests == []


async def test_invalid_button_component_fails_before_the_fetch(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=DYNAMIC_URL)
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(
            lambda c: c.messages.send_template(
                TO,
                DYNAMIC_URL["id"],
                header="PT",
                body=["Agus"],
                check=True,
                buttons=[{"type": "button", "parameters": text_params("john")}],
            )
        )
    assert info.value.field == "components[2]"
    assert emu.requests == []
