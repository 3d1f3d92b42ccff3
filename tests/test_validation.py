"""Validation before any request: every limit of ``ivowaba._limits`` at the limit (a request is
made) and one past it (``ValidationError`` naming the wire field and the rule, and no request at
all), WhatsApp ids, nested dict arguments, ``messages.send`` and ``message_from_dict``.

Every case runs through ``AsyncClient`` and the blocking ``Client`` against the recording server;
the property tests call the pure checks of ``ivowaba._validation`` / ``ivowaba._message_checks``.
"""

from __future__ import annotations

import contextlib
import math
import re
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable, Sized
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ivowaba
from ivowaba import _limits
from ivowaba import _message_checks as checks
from ivowaba import _validation as v
from ivowaba.testing import Emulator
from ivowaba.types.contacts import ContactCard, ContactName
from ivowaba.types.messages import (
    ContactsMessage,
    FlowAction,
    FlowMessage,
    ListAction,
    ListMessage,
    ListRow,
    ListSection,
    LocationMessage,
    MediaMessage,
    ProductAction,
    ProductListAction,
    ProductListMessage,
    ProductMessage,
    ReplyButton,
    ReplyButtonsAction,
    ReplyButtonsMessage,
    TemplateComponent,
    TemplateMessage,
    TemplateParameter,
    TextMessage,
)
from ivowaba.types.resources import SentMessage
from tests.conftest import API_KEY, Both, client_of_kind

TO = "628123456789"
LINK = "https://example.com/files/picture.png"
BUTTON = {"id": "yes", "title": "Yes"}
ROW = {"id": "r0", "title": "Row"}
SECTION = {"title": "Section", "rows": [ROW]}
PRODUCT_SECTION = {"title": "Section", "product_items": [{"product_retailer_id": "sku-0"}]}

Op = Callable[[Any], Any]

# ---------------------------------------------------------------------------------------------
# helpers


def sent(emu: Emulator) -> dict[str, Any]:
    """The JSON body of the one request the emu received."""
    assert len(emu.requests) == 1, [r.path for r in emu.requests]
    body = emu.requests[0].json()
    assert isinstance(body, dict)
    return body


async def rejected(both: Both, emu: Emulator, op: Op, field: str) -> ivowaba.ValidationError:
    """``op`` raises ``ValidationError`` naming ``field``, and nothing reached the server."""
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(op)
    assert info.value.field == field, (info.value.field, info.value.rule)
    assert emu.requests == []
    return info.value


def mentions(rule: str, number: int | float) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(f'{number:g}')}(?![\d.])", rule) is not None


def buttons(n: int) -> list[dict[str, str]]:
    return [{"id": f"b{i}", "title": f"Button {i}"} for i in range(n)]


def rows(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"id": f"r{i}", "title": f"Row {i}"} for i in range(start, start + n)]


def items(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"product_retailer_id": f"sku-{i}"} for i in range(start, start + n)]


# ---------------------------------------------------------------------------------------------
# the limits themselves: the documented numbers, one constant each

DOCUMENTED = {
    "CUSTOMER_SERVICE_WINDOW": timedelta(hours=24),  # tested in test_window_guard.py
    "TEXT_MAX": 4096,
    "CAPTION_MAX": 1024,
    "INTERACTIVE_BODY_MAX": 1024,
    "INTERACTIVE_HEADER_TEXT_MAX": 60,
    "INTERACTIVE_FOOTER_MAX": 60,
    "REPLY_BUTTONS_MIN": 1,
    "REPLY_BUTTONS_MAX": 3,
    "REPLY_BUTTON_TITLE_MAX": 20,
    "REPLY_BUTTON_ID_MAX": 256,
    "LIST_BUTTON_TEXT_MAX": 20,
    "LIST_SECTIONS_MAX": 10,
    "LIST_ROWS_MAX": 10,
    "LIST_ROW_ID_MAX": 200,
    "LIST_ROW_TITLE_MAX": 24,
    "LIST_ROW_DESCRIPTION_MAX": 72,
    "SECTION_TITLE_MAX": 24,
    "PRODUCT_SECTIONS_MAX": 10,
    "PRODUCT_ITEMS_MAX": 30,
    "FLOW_CTA_MAX": 20,
    "MEDIA_TYPES": frozenset({"audio", "document", "image", "sticker", "video"}),
    "LATITUDE_RANGE": (-90.0, 90.0),
    "LONGITUDE_RANGE": (-180.0, 180.0),
    "WA_ID_MIN_DIGITS": 8,
    "WA_ID_MAX_DIGITS": 15,
    "ID_MAX": 200,
    "MESSAGE_ID_MAX": 512,
    "MEDIA_ID_MAX": 512,
    "WEBHOOK_ID_MAX": 200,
    "FIRST_PAGE": 1,
    "CAPTION_MEDIA_TYPES": frozenset({"document", "image", "video"}),
    "FILENAME_MEDIA_TYPES": frozenset({"document"}),
    "CONTACTS_MIN": 1,
    "TEMPLATE_COMPONENTS_MIN": 1,
    "TEMPLATE_COMPONENT_TYPES": frozenset({"header", "body", "button"}),
    "TEMPLATE_BUTTON_SUB_TYPES": frozenset(
        {"quick_reply", "url", "catalog", "flow", "copy_code", "mpm", "voice_call"}
    ),
    "TEMPLATE_BUTTON_INDEX_RANGE": (0, 9),
    "TEMPLATE_TEXT_PARAMETER_TYPES": frozenset({"text", "payload", "coupon_code"}),
    "TEMPLATE_MEDIA_PARAMETER_TYPES": frozenset({"image", "document", "video"}),
    "TEMPLATE_OBJECT_PARAMETER_TYPES": frozenset({"currency", "date_time", "action", "location"}),
    "TEMPLATE_PARAMETER_TYPES": frozenset(
        {"text", "payload", "coupon_code", "image", "document", "video"}
        | {"currency", "date_time", "action", "location"}
    ),
    "OTP_CODE_MAX": 15,
    "INTERACTIVE_HEADER_TYPES": {
        "reply_buttons": frozenset({"text", "image", "video", "document"}),
        "list": frozenset({"text"}),
        "flow": frozenset({"text", "image", "video", "document"}),
    },
    "REPLY_BUTTON_UNIQUE_FIELDS": ("title", "id"),
    "LIST_ROW_UNIQUE_FIELDS": ("id",),
    "SECTIONS_MIN": 1,
    "FLOW_ACTIONS": frozenset({"navigate", "data_exchange"}),
    "ABOUT_MAX": 139,
    "BUSINESS_WEBSITES_MAX": 2,
    "TEMPLATE_CATEGORIES": frozenset({"UTILITY", "MARKETING", "AUTHENTICATION"}),
    "TEMPLATE_HEADER_FORMATS": frozenset({"TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"}),
    "TEMPLATE_BUTTON_TYPES": frozenset({"URL", "PHONE_NUMBER", "QUICK_REPLY", "COPY_CODE", "FLOW"}),
    "TEMPLATE_OTP_TYPES": frozenset({"COPY_CODE", "ONE_TAP"}),
    "TEMPLATE_URL_TYPES": frozenset({"static", "dynamic"}),
    "CODE_EXPIRATION_MINUTES": (1, 90),
    "TEMPLATE_LABEL_MAX": 512,
    "TEMPLATE_WORDS_PER_PARAMETER": 3,
    "TEMPLATE_HEADER_TEXT_MAX": 60,
    "TEMPLATE_HEADER_PARAMETERS_MAX": 1,
    "TEMPLATE_MEDIA_HEADER_FORMATS": frozenset({"IMAGE", "VIDEO", "DOCUMENT"}),
    "TEMPLATE_BODY_MAX": 1024,
    "TEMPLATE_FOOTER_MAX": 60,
    "TEMPLATE_BUTTONS_MAX": 10,
    "TEMPLATE_URL_BUTTONS_MAX": 2,
    "TEMPLATE_PHONE_BUTTONS_MAX": 1,
    "TEMPLATE_BUTTON_TEXT_MAX": 25,
    "TEMPLATE_URL_MAX": 2000,
    "TEMPLATE_PENDING_STATUSES": frozenset({"submitted", "pending", "in_appeal"}),
    "TEMPLATE_APPROVED": "approved",
    "TEMPLATE_REJECTED": "rejected",
}


def test_every_limit_is_a_documented_constant() -> None:
    """A new limit in ``_limits`` fails here until it is documented (and tested) below."""
    names = {n for n in vars(_limits) if n.isupper()}
    assert names == set(DOCUMENTED)
    for name, value in DOCUMENTED.items():
        assert getattr(_limits, name) == value, name


# ---------------------------------------------------------------------------------------------
# every length / count limit: accepted at the limit, rejected one past it, no request


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    field: str
    make: Callable[[int], Op]
    pick: Callable[[dict[str, Any]], Sized]

    def __str__(self) -> str:
        return self.name


def _list(n_rows_per_section: list[int]) -> Op:
    sections, start = [], 0
    for i, n in enumerate(n_rows_per_section):
        sections.append({"title": f"S{i}", "rows": rows(n, start)})
        start += n
    return lambda c: c.messages.send_list(TO, "Pick one", "Menu", sections)


def _product_list(n_items_per_section: list[int]) -> Op:
    sections, start = [], 0
    for i, n in enumerate(n_items_per_section):
        sections.append({"title": f"S{i}", "product_items": items(n, start)})
        start += n
    return lambda c: c.messages.send_product_list(
        TO, "catalog", sections, header="Our shop", body="Pick one"
    )


def _all_rows(body: dict[str, Any]) -> list[Any]:
    return [r for s in body["action"]["sections"] for r in s["rows"]]


def _all_items(body: dict[str, Any]) -> list[Any]:
    return [i for s in body["action"]["sections"] for i in s["product_items"]]


LIMITS = [
    Limit(
        "text",
        4096,
        "text",
        lambda n: lambda c: c.messages.send_text(TO, "x" * n),
        lambda b: b["text"],
    ),
    Limit(
        "image caption",
        1024,
        "caption",
        lambda n: lambda c: c.messages.send_image(TO, link=LINK, caption="x" * n),
        lambda b: b["caption"],
    ),
    Limit(
        "video caption",
        1024,
        "caption",
        lambda n: lambda c: c.messages.send_video(TO, link=LINK, caption="x" * n),
        lambda b: b["caption"],
    ),
    Limit(
        "document caption",
        1024,
        "caption",
        lambda n: (
            lambda c: c.messages.send_document(TO, link=LINK, caption="x" * n, filename="a.pdf")
        ),
        lambda b: b["caption"],
    ),
    Limit(
        "send_media caption",
        1024,
        "caption",
        lambda n: lambda c: c.messages.send_media(TO, "image", link=LINK, caption="x" * n),
        lambda b: b["caption"],
    ),
    Limit(
        "reply-buttons body",
        1024,
        "body",
        lambda n: lambda c: c.messages.send_reply_buttons(TO, "x" * n, [BUTTON]),
        lambda b: b["body"],
    ),
    Limit(
        "reply-buttons header text",
        60,
        "header.text",
        lambda n: lambda c: c.messages.send_reply_buttons(TO, "Hi", [BUTTON], header="x" * n),
        lambda b: b["header"]["text"],
    ),
    Limit(
        "reply-buttons footer",
        60,
        "footer",
        lambda n: lambda c: c.messages.send_reply_buttons(TO, "Hi", [BUTTON], footer="x" * n),
        lambda b: b["footer"],
    ),
    Limit(
        "list body",
        1024,
        "body",
        lambda n: lambda c: c.messages.send_list(TO, "x" * n, "Menu", [SECTION]),
        lambda b: b["body"],
    ),
    Limit(
        "list header text (dict)",
        60,
        "header.text",
        lambda n: (
            lambda c: c.messages.send_list(
                TO, "Hi", "Menu", [SECTION], header={"type": "text", "text": "x" * n}
            )
        ),
        lambda b: b["header"]["text"],
    ),
    Limit(
        "list footer",
        60,
        "footer",
        lambda n: lambda c: c.messages.send_list(TO, "Hi", "Menu", [SECTION], footer="x" * n),
        lambda b: b["footer"],
    ),
    Limit(
        "flow body",
        1024,
        "body",
        lambda n: lambda c: c.messages.send_flow(TO, flow_id="f1", flow_cta="Go", body="x" * n),
        lambda b: b["body"],
    ),
    Limit(
        "flow header text",
        60,
        "header.text",
        lambda n: (
            lambda c: c.messages.send_flow(
                TO, flow_id="f1", flow_cta="Go", body="Hi", header="x" * n
            )
        ),
        lambda b: b["header"]["text"],
    ),
    Limit(
        "flow footer",
        60,
        "footer",
        lambda n: (
            lambda c: c.messages.send_flow(
                TO, flow_id="f1", flow_cta="Go", body="Hi", footer="x" * n
            )
        ),
        lambda b: b["footer"],
    ),
    Limit(
        "product body",
        1024,
        "body",
        lambda n: lambda c: c.messages.send_product(TO, "catalog", "sku", body="x" * n),
        lambda b: b["body"],
    ),
    Limit(
        "product footer",
        60,
        "footer",
        lambda n: lambda c: c.messages.send_product(TO, "catalog", "sku", footer="x" * n),
        lambda b: b["footer"],
    ),
    Limit(
        "product-list header",
        60,
        "header",
        lambda n: (
            lambda c: c.messages.send_product_list(
                TO, "catalog", [PRODUCT_SECTION], header="x" * n, body="Hi"
            )
        ),
        lambda b: b["header"],
    ),
    Limit(
        "product-list body",
        1024,
        "body",
        lambda n: (
            lambda c: c.messages.send_product_list(
                TO, "catalog", [PRODUCT_SECTION], header="Shop", body="x" * n
            )
        ),
        lambda b: b["body"],
    ),
    Limit(
        "product-list footer",
        60,
        "footer",
        lambda n: (
            lambda c: c.messages.send_product_list(
                TO, "catalog", [PRODUCT_SECTION], header="Shop", body="Hi", footer="x" * n
            )
        ),
        lambda b: b["footer"],
    ),
    Limit(
        "reply buttons count",
        3,
        "action.buttons",
        lambda n: lambda c: c.messages.send_reply_buttons(TO, "Hi", buttons(n)),
        lambda b: b["action"]["buttons"],
    ),
    Limit(
        "reply button title",
        20,
        "action.buttons[1].title",
        lambda n: (
            lambda c: c.messages.send_reply_buttons(
                TO, "Hi", [BUTTON, {"id": "no", "title": "x" * n}]
            )
        ),
        lambda b: b["action"]["buttons"][1]["title"],
    ),
    Limit(
        "reply button title (struct)",
        20,
        "action.buttons[0].title",
        lambda n: (
            lambda c: c.messages.send_reply_buttons(TO, "Hi", [ReplyButton(id="a", title="x" * n)])
        ),
        lambda b: b["action"]["buttons"][0]["title"],
    ),
    Limit(
        "reply button id",
        256,
        "action.buttons[1].id",
        lambda n: (
            lambda c: c.messages.send_reply_buttons(
                TO, "Hi", [BUTTON, {"id": "x" * n, "title": "No"}]
            )
        ),
        lambda b: b["action"]["buttons"][1]["id"],
    ),
    Limit(
        "list button text",
        20,
        "action.button",
        lambda n: lambda c: c.messages.send_list(TO, "Hi", "x" * n, [SECTION]),
        lambda b: b["action"]["button"],
    ),
    Limit(
        "list sections",
        10,
        "action.sections",
        lambda n: _list([1] * n),
        lambda b: b["action"]["sections"],
    ),
    Limit(
        "list rows in one section", 10, "action.sections[].rows", lambda n: _list([n]), _all_rows
    ),
    Limit(
        "list rows across sections",
        10,
        "action.sections[].rows",
        lambda n: _list([4, n - 7, 3]),
        _all_rows,
    ),
    Limit(
        "list row id",
        200,
        "action.sections[0].rows[1].id",
        lambda n: (
            lambda c: c.messages.send_list(
                TO, "Hi", "Menu", [{"rows": [ROW, {"id": "x" * n, "title": "T"}]}]
            )
        ),
        lambda b: b["action"]["sections"][0]["rows"][1]["id"],
    ),
    Limit(
        "list row title",
        24,
        "action.sections[0].rows[1].title",
        lambda n: (
            lambda c: c.messages.send_list(
                TO, "Hi", "Menu", [{"rows": [ROW, {"id": "r1", "title": "x" * n}]}]
            )
        ),
        lambda b: b["action"]["sections"][0]["rows"][1]["title"],
    ),
    Limit(
        "list row description",
        72,
        "action.sections[1].rows[0].description",
        lambda n: (
            lambda c: c.messages.send_list(
                TO,
                "Hi",
                "Menu",
                [
                    SECTION,
                    {"title": "B", "rows": [{"id": "r1", "title": "T", "description": "x" * n}]},
                ],
            )
        ),
        lambda b: b["action"]["sections"][1]["rows"][0]["description"],
    ),
    Limit(
        "list section title",
        24,
        "action.sections[1].title",
        lambda n: (
            lambda c: c.messages.send_list(
                TO,
                "Hi",
                "Menu",
                [SECTION, {"title": "x" * n, "rows": [{"id": "r1", "title": "T"}]}],
            )
        ),
        lambda b: b["action"]["sections"][1]["title"],
    ),
    Limit(
        "product-list sections",
        10,
        "action.sections",
        lambda n: _product_list([1] * n),
        lambda b: b["action"]["sections"],
    ),
    Limit(
        "product-list items across sections",
        30,
        "action.sections[].product_items",
        lambda n: _product_list([10, 10, n - 20]),
        _all_items,
    ),
    Limit(
        "product-list items in one section",
        30,
        "action.sections[].product_items",
        lambda n: _product_list([n]),
        _all_items,
    ),
    Limit(
        "product-list section title",
        24,
        "action.sections[1].title",
        lambda n: (
            lambda c: c.messages.send_product_list(
                TO,
                "catalog",
                [PRODUCT_SECTION, {"title": "x" * n, "product_items": items(1, 5)}],
                header="Shop",
                body="Hi",
            )
        ),
        lambda b: b["action"]["sections"][1]["title"],
    ),
    Limit(
        "flow cta",
        20,
        "action.parameters.flow_cta",
        lambda n: lambda c: c.messages.send_flow(TO, flow_id="f1", flow_cta="x" * n, body="Hi"),
        lambda b: b["action"]["parameters"]["flow_cta"],
    ),
]


@pytest.mark.parametrize("case", LIMITS, ids=str)
async def test_at_the_limit_is_sent(both: Both, emu: Emulator, case: Limit) -> None:
    emu.fail_next("*", status=200, body={"messages": [{"id": "wamid.at-the-limit"}]})
    result = await both(case.make(case.limit))
    assert isinstance(result, SentMessage)
    assert result.id == "wamid.at-the-limit"
    assert len(case.pick(sent(emu))) == case.limit


@pytest.mark.parametrize("case", LIMITS, ids=str)
async def test_one_past_the_limit_is_rejected(both: Both, emu: Emulator, case: Limit) -> None:
    error = await rejected(both, emu, case.make(case.limit + 1), case.field)
    assert mentions(error.rule, case.limit), error.rule
    assert case.field in str(error)


async def test_reply_buttons_need_at_least_one(both: Both, emu: Emulator) -> None:
    error = await rejected(
        both, emu, lambda c: c.messages.send_reply_buttons(TO, "Hi", []), "action.buttons"
    )
    assert mentions(error.rule, 1)
    assert mentions(error.rule, 3)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ([{"id": "a", "title": "Same"}, {"id": "b", "title": "Same"}], "action.buttons[1].title"),
        ([{"id": "a", "title": "One"}, {"id": "a", "title": "Two"}], "action.buttons[1].id"),
    ],
)
async def test_reply_button_titles_and_ids_are_unique(
    both: Both, emu: Emulator, given: list[dict[str, str]], field: str
) -> None:
    error = await rejected(
        both, emu, lambda c: c.messages.send_reply_buttons(TO, "Hi", given), field
    )
    assert "unique" in error.rule


async def test_list_row_ids_are_unique_across_sections(both: Both, emu: Emulator) -> None:
    sections = [{"title": "A", "rows": [ROW]}, {"title": "B", "rows": [dict(ROW)]}]
    error = await rejected(
        both,
        emu,
        lambda c: c.messages.send_list(TO, "Hi", "Menu", sections),
        "action.sections[1].rows[0].id",
    )
    assert "unique" in error.rule


async def test_titles_differing_in_case_are_distinct(both: Both, emu: Emulator) -> None:
    given = [{"id": "a", "title": "yes"}, {"id": "b", "title": "Yes"}]
    await both(lambda c: c.messages.send_reply_buttons(TO, "Hi", given))
    assert sent(emu)["action"]["buttons"] == given


@pytest.mark.parametrize(
    ("op", "field"),
    [
        (
            lambda c: c.messages.send_list(TO, "Hi", "Menu", [{"rows": [ROW]}, SECTION]),
            "action.sections[0].title",
        ),
        (
            lambda c: c.messages.send_list(
                TO, "Hi", "Menu", [SECTION, {"title": "", "rows": rows(1, 5)}]
            ),
            "action.sections[1].title",
        ),
        (
            lambda c: c.messages.send_list(
                TO, "Hi", "Menu", [SECTION, {"title": "   ", "rows": rows(1, 5)}]
            ),
            "action.sections[1].title",
        ),
        (
            lambda c: c.messages.send_product_list(
                TO,
                "catalog",
                [PRODUCT_SECTION, {"product_items": items(1, 5)}],
                header="Shop",
                body="Hi",
            ),
            "action.sections[1].title",
        ),
    ],
    ids=["list-first-untitled", "list-empty-title", "list-blank-title", "product-list-untitled"],
)
async def test_section_title_required_when_several(
    both: Both, emu: Emulator, op: Op, field: str
) -> None:
    await rejected(both, emu, op, field)


@pytest.mark.parametrize(
    ("op", "section"),
    [
        (lambda c: c.messages.send_list(TO, "Hi", "Menu", [{"rows": [ROW]}]), {"rows": [ROW]}),
        (
            lambda c: c.messages.send_product_list(
                TO, "catalog", [{"product_items": items(1)}], header="Shop", body="Hi"
            ),
            {"product_items": items(1)},
        ),
    ],
    ids=["list", "product-list"],
)
async def test_section_title_optional_when_single(
    both: Both, emu: Emulator, op: Op, section: dict[str, Any]
) -> None:
    await both(op)
    assert sent(emu)["action"]["sections"] == [section]  # no "title" key added


@pytest.mark.parametrize(
    ("op", "field"),
    [
        (lambda c: c.messages.send_text(TO, ""), "text"),
        (lambda c: c.messages.send_text(TO, " \n\t"), "text"),
        (lambda c: c.messages.send_text(TO, 42), "text"),
        (lambda c: c.messages.send_reply_buttons(TO, "  ", [BUTTON]), "body"),
        (
            lambda c: c.messages.send_reply_buttons(TO, "Hi", [{"id": "", "title": "T"}]),
            "action.buttons[0].id",
        ),
        (
            lambda c: c.messages.send_reply_buttons(TO, "Hi", [BUTTON, {"id": "n", "title": " "}]),
            "action.buttons[1].title",
        ),
        (lambda c: c.messages.send_list(TO, "Hi", "", [SECTION]), "action.button"),
        (lambda c: c.messages.send_list(TO, "Hi", "Menu", []), "action.sections"),
        (
            lambda c: c.messages.send_list(TO, "Hi", "Menu", [{"rows": []}]),
            "action.sections[0].rows",
        ),
        (
            lambda c: c.messages.send_product_list(
                TO, "catalog", [PRODUCT_SECTION], header="", body="Hi"
            ),
            "header",
        ),
        (
            lambda c: c.messages.send_product_list(
                TO, "catalog", [{"product_items": []}], header="Shop", body="Hi"
            ),
            "action.sections[0].product_items",
        ),
        (
            lambda c: c.messages.send_product_list(TO, "catalog", [], header="Shop", body="Hi"),
            "action.sections",
        ),
        (
            lambda c: c.messages.send_flow(TO, flow_id="f1", flow_cta="", body="Hi"),
            "action.parameters.flow_cta",
        ),
        (
            lambda c: c.messages.send_flow(
                TO, flow_id="f1", flow_cta="Go", body="Hi", flow_action="jump"
            ),
            "action.parameters.flow_action",
        ),
        (
            lambda c: c.messages.send_reply_buttons(
                TO, "Hi", [BUTTON], header={"type": "audio", "link": LINK}
            ),
            "header.type",
        ),
        (
            lambda c: c.messages.send_reply_buttons(
                TO, "Hi", [BUTTON], header={"type": "image", "link": "ftp://x/y.png"}
            ),
            "header.link",
        ),
        (
            lambda c: c.messages.send_reply_buttons(TO, "Hi", [BUTTON], header={"type": "text"}),
            "header.text",
        ),
        (lambda c: c.messages.send_contacts(TO, []), "contacts"),
        (
            lambda c: c.messages.send_contacts(TO, [{"phones": [{"phone": "+62 812"}]}]),
            "contacts[0].name",
        ),
        (lambda c: c.messages.send_otp(TO, "tpl", ""), "code"),
        (lambda c: c.messages.send_template(TO, ""), "template_id"),
        (lambda c: c.messages.mark_read(""), "message_id"),
    ],
    ids=lambda value: None if callable(value) else str(value),
)
async def test_other_rules(both: Both, emu: Emulator, op: Op, field: str) -> None:
    await rejected(both, emu, op, field)


# ---------------------------------------------------------------------------------------------
# ids in paths, and the settings: at the limit a request is made, one past it none

SPEC = {"label": "l", "category_id": "UTILITY", "language_id": "id", "body": {"text": "Hi"}}


PATH_LIMITS = [
    pytest.param(lambda c, s: c.media.download(s), "media_id", _limits.MEDIA_ID_MAX, id="download"),
    pytest.param(
        lambda c, s: c.media.download_to(s, "unused"),
        "media_id",
        _limits.MEDIA_ID_MAX,
        id="download_to",
    ),
    pytest.param(lambda c, s: c.templates.get(s), "template_id", _limits.ID_MAX, id="get"),
    pytest.param(
        lambda c, s: c.templates.update(s, check=False, **SPEC),
        "template_id",
        _limits.ID_MAX,
        id="update",
    ),
    pytest.param(lambda c, s: c.templates.propose(s), "template_id", _limits.ID_MAX, id="propose"),
    pytest.param(
        lambda c, s: c.webhooks.pull_pending(s),
        "webhook_id",
        _limits.WEBHOOK_ID_MAX,
        id="pull_pending",
    ),
    pytest.param(
        lambda c, s: c.messages.mark_read(s), "message_id", _limits.MESSAGE_ID_MAX, id="mark_read"
    ),
    pytest.param(
        lambda c, s: c.settings.update_about(s), "text", _limits.ABOUT_MAX, id="update_about"
    ),
]


@pytest.mark.parametrize(("call", "field", "limit"), PATH_LIMITS)
async def test_an_id_at_its_limit_is_sent(
    both: Both, emu: Emulator, call: Callable[[Any, str], Any], field: str, limit: int
) -> None:
    value = "x" * limit
    with contextlib.suppress(ivowaba.APIStatusError):  # what the server says of an unknown id
        await both(lambda c: call(c, value))
    (request,) = emu.requests
    assert value in request.path or request.json() == {field: value}


@pytest.mark.parametrize(("call", "field", "limit"), PATH_LIMITS)
async def test_an_id_past_its_limit_is_rejected(
    both: Both, emu: Emulator, call: Callable[[Any, str], Any], field: str, limit: int
) -> None:
    error = await rejected(both, emu, lambda c: call(c, "x" * (limit + 1)), field)
    assert mentions(error.rule, limit), error.rule


@pytest.mark.parametrize("page", [0, -1, True, 1.5, "2"])
async def test_a_page_is_a_whole_number_from_the_first(
    both: Both, emu: Emulator, page: Any
) -> None:
    error = await rejected(both, emu, lambda c: c.templates.list(page=page), "page")
    assert mentions(error.rule, _limits.FIRST_PAGE), error.rule


# settings.update_business_profile: ``websites`` by the rule the emulator applies

WEBSITES_SENT: list[Any] = [
    [],
    ["http://a.example"],
    ["https://a.example", "https://b.example/about?lang=id#top"],
    ("https://a.example",),
    ["HTTPS://A.EXAMPLE:8443/"],
]
WEBSITES_REFUSED: list[tuple[Any, str]] = [
    (["https://a.example", "https://b.example", "https://c.example"], "websites"),
    (["https://a.example", "ftp://b.example"], "websites[1]"),
    ([""], "websites[0]"),
    (["   "], "websites[0]"),
    (["https://"], "websites[0]"),
    (["a.example"], "websites[0]"),
    (["https://a.example/a b"], "websites[0]"),
    (["https://a.example:port/"], "websites[0]"),
    ([42], "websites[0]"),
    ([None], "websites[0]"),
    ("https://a.example", "websites"),
]


@pytest.mark.parametrize("websites", WEBSITES_SENT, ids=repr)
async def test_websites_by_the_rule_are_sent(both: Both, emu: Emulator, websites: Any) -> None:
    assert await both(lambda c: c.settings.update_business_profile(websites=websites)) is None
    assert sent(emu) == {"websites": list(websites)}


@pytest.mark.parametrize(("websites", "field"), WEBSITES_REFUSED, ids=repr)
async def test_websites_against_the_rule_are_rejected(
    both: Both, emu: Emulator, websites: Any, field: str
) -> None:
    error = await rejected(
        both,
        emu,
        lambda c: c.settings.update_business_profile(vertical="Retail", websites=websites),
        field,
    )
    if field == "websites" and isinstance(websites, list):
        assert mentions(error.rule, _limits.BUSINESS_WEBSITES_MAX), error.rule


async def test_business_profile_update_names_the_profile_when_empty(
    both: Both, emu: Emulator
) -> None:
    error = await rejected(both, emu, lambda c: c.settings.update_business_profile(), "profile")
    assert error.rule == "give at least one field to change"


def _emulator_websites_errors(websites: Any) -> set[str]:
    """The fields the emulator's 422 names for ``{"websites": websites}``, as the SDK names
    them (``websites.1`` → ``websites[1]``)."""
    from ivowaba.testing._validation import RULES, validate

    errors = validate(RULES["settings.update_business_profile"], {"websites": websites})
    return {re.sub(r"\.(\d+)", r"[\1]", path) for path in errors}


def _sdk_websites_error(websites: Any) -> str | None:
    from ivowaba.resources.settings import _websites

    try:
        _websites(websites)
    except ivowaba.ValidationError as error:
        return error.field
    return None


@pytest.mark.parametrize(
    ("websites", "field"),
    [(w, None) for w in WEBSITES_SENT] + WEBSITES_REFUSED,
    ids=repr,
)
def test_websites_rule_is_the_emulators(websites: Any, field: str | None) -> None:
    wire = list(websites) if isinstance(websites, tuple) else websites
    assert _sdk_websites_error(websites) == field
    if field is None:
        assert _emulator_websites_errors(wire) == set()
    else:
        assert field in _emulator_websites_errors(wire)


URL_PARTS = st.sampled_from(
    ["https://a.example", "http://b.example/x", "ftp://c.example", "", " ", "a.example", "https://"]
)


@given(st.lists(URL_PARTS | st.text(max_size=12), max_size=4))
def test_property_websites_refused_exactly_when_the_emulator_refuses(websites: list[str]) -> None:
    field = _sdk_websites_error(websites)
    refused = _emulator_websites_errors(websites)
    assert (field is None) == (not refused), (websites, field, refused)
    if field is not None:
        assert field in refused


# ---------------------------------------------------------------------------------------------
# media


@pytest.mark.parametrize("kind", ["audio", "document", "image", "sticker", "video"])
async def test_every_media_type_is_sent(both: Both, emu: Emulator, kind: str) -> None:
    await both(lambda c: c.messages.send_media(TO, kind, link=LINK))
    assert emu.requests[0].path == "/api/v1/messages/send-media-message"
    assert sent(emu) == {"wa_id": TO, "type": kind, "link": LINK}


@pytest.mark.parametrize("kind", ["gif", "voice", "Image", "", "location"])
async def test_unknown_media_type_is_rejected(both: Both, emu: Emulator, kind: str) -> None:
    error = await rejected(both, emu, lambda c: c.messages.send_media(TO, kind, link=LINK), "type")
    for known in ("audio", "document", "image", "sticker", "video"):
        assert known in error.rule


@pytest.mark.parametrize("link", ["http://example.com/a.png", "https://example.com/a.png"])
async def test_http_and_https_links_are_sent(both: Both, emu: Emulator, link: str) -> None:
    await both(lambda c: c.messages.send_image(TO, link=link))
    assert sent(emu)["link"] == link


@pytest.mark.parametrize(
    "link",
    [
        "ftp://example.com/a.png",
        "example.com/a.png",
        "/tmp/a.png",
        "",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ],
)
async def test_non_http_links_are_rejected(both: Both, emu: Emulator, link: str) -> None:
    error = await rejected(both, emu, lambda c: c.messages.send_image(TO, link=link), "link")
    assert "http" in error.rule


async def test_link_without_host_is_rejected(both: Both, emu: Emulator) -> None:
    await rejected(both, emu, lambda c: c.messages.send_image(TO, link="https://"), "link")


@pytest.mark.parametrize("kind", ["audio", "sticker"])
async def test_audio_and_sticker_take_no_caption(both: Both, emu: Emulator, kind: str) -> None:
    await rejected(
        both, emu, lambda c: c.messages.send_media(TO, kind, link=LINK, caption="c"), "caption"
    )


# ---------------------------------------------------------------------------------------------
# location


@pytest.mark.parametrize(
    ("lat", "lon"), [(90, 180), (-90, -180), (90.0, -180.0), (0, 0), (-6.2088, 106.8456)]
)
async def test_coordinates_in_range_are_sent(
    both: Both, emu: Emulator, lat: float, lon: float
) -> None:
    await both(lambda c: c.messages.send_location(TO, lat, lon, name="Monas"))
    assert sent(emu) == {"wa_id": TO, "latitude": lat, "longitude": lon, "name": "Monas"}


@pytest.mark.parametrize(
    ("lat", "lon", "field", "bound"),
    [
        (90.000001, 0, "latitude", 90),
        (-90.5, 0, "latitude", 90),
        (91, 0, "latitude", 90),
        (0, 180.000001, "longitude", 180),
        (0, -181, "longitude", 180),
        (float("nan"), 0, "latitude", 90),
        (0, float("inf"), "longitude", 180),
        (0, float("-inf"), "longitude", 180),
    ],
)
async def test_coordinates_out_of_range_are_rejected(
    both: Both, emu: Emulator, lat: float, lon: float, field: str, bound: int
) -> None:
    error = await rejected(both, emu, lambda c: c.messages.send_location(TO, lat, lon), field)
    assert mentions(error.rule, bound)
    assert mentions(error.rule, -bound)


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [("-6.2", 106.8, "latitude"), (True, 106.8, "latitude"), (-6.2, None, "longitude")],
)
async def test_coordinates_must_be_numbers(
    both: Both, emu: Emulator, lat: Any, lon: Any, field: str
) -> None:
    error = await rejected(both, emu, lambda c: c.messages.send_location(TO, lat, lon), field)
    assert "number" in error.rule


# ---------------------------------------------------------------------------------------------
# WhatsApp ids


@pytest.mark.parametrize(
    ("given", "wire"),
    [
        ("+62 812-3456-789", "628123456789"),
        ("628123456789", "628123456789"),
        ("(+62) 812-3456-789", "628123456789"),
        ("+62 (812) 3456.789", "628123456789"),
        ("62\u00a0812\u00a03456\u00a0789", "628123456789"),
        ("0062 812 3456 789", "628123456789"),
        ("+1 (415) 555-2671", "14155552671"),
        ("12345678", "12345678"),
        ("123456789012345", "123456789012345"),
    ],
)
async def test_wa_id_is_normalised(both: Both, emu: Emulator, given: str, wire: str) -> None:
    await both(lambda c: c.messages.send_text(given, "hello"))
    assert sent(emu) == {"wa_id": wire, "text": "hello"}


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ("0812-3456-789", "0"),  # a national number, and no default_country_code
        ("(0812) 3456-789", "0"),
        ("(062) 812-3456-789", "0"),
        ("62812abc3456", "phone number"),
        ("six two eight", "phone number"),
        ("62812345678x", "phone number"),
        ("+62 812/3456/789", "phone number"),
        ("62812\n3456789", "phone number"),
        (
            "\u0666\u0662\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
            "phone number",
        ),  # Arabic-Indic digits
        (
            "\uff16\uff12\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",
            "phone number",
        ),  # full-width digits
        ("", "phone number"),
        ("+", "phone number"),
        ("1234567", "8 to 15"),  # 7 digits
        ("+62 812", "8 to 15"),
        ("1234567890123456", "8 to 15"),  # 16 digits
        ("+62 812-3456-7890-1234", "8 to 15"),
        ("628123456789.0", "spreadsheet"),  # would have gone to 6281234567890
        ("+628123456789.00", "spreadsheet"),
    ],
)
async def test_bad_wa_id_is_rejected(both: Both, emu: Emulator, given: str, needle: str) -> None:
    error = await rejected(both, emu, lambda c: c.messages.send_text(given, "hello"), "to")
    assert needle in error.rule


@pytest.mark.parametrize("given", [628123456789, None, b"628123456789", ["628123456789"]])
async def test_wa_id_must_be_a_string(both: Both, emu: Emulator, given: Any) -> None:
    error = await rejected(both, emu, lambda c: c.messages.send_text(given, "hi"), "to")
    assert "string" in error.rule


@pytest.fixture(params=["async", "sync"])
async def both62(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[Both]:
    """Both clients, configured with ``default_country_code="62"``."""
    async with client_of_kind(
        request.param,
        api_key=API_KEY,
        base_url=emu.base_url,
        max_retries=0,
        default_country_code="62",
    ) as through:
        yield through


@pytest.mark.parametrize(
    ("given", "wire"),
    [
        ("0812-3456-789", "628123456789"),
        ("(0812) 3456-789", "628123456789"),
        ("0812 3456 789", "628123456789"),
        ("+62 812-3456-789", "628123456789"),  # a full number is left alone
        ("+1 (415) 555-2671", "14155552671"),
        ("0062 812 3456 789", "628123456789"),  # "00" is the international prefix, not a 0
    ],
)
async def test_default_country_code_replaces_a_leading_zero(
    both62: Both, emu: Emulator, given: str, wire: str
) -> None:
    await both62(lambda c: c.messages.send_text(given, "hello"))
    assert sent(emu)["wa_id"] == wire


@pytest.mark.parametrize("given", ["0812abc", "08", "0812 3456 7890 1234"])
async def test_default_country_code_still_validates(
    both62: Both, emu: Emulator, given: str
) -> None:
    await rejected(both62, emu, lambda c: c.messages.send_text(given, "hello"), "to")


def test_a_leading_zero_is_always_the_national_trunk_prefix() -> None:
    # "0627 ..." is a national number in Indonesia (an Aceh area code), so a leading 0 is
    # never taken for a country code written with a trunk 0: it is simply replaced.
    assert v.wa_id("(0627) 123-4567", default_country_code="62") == "626271234567"


@pytest.mark.parametrize("cc", [None, "62"])
def test_no_wa_id_starts_with_zero(cc: str | None) -> None:
    with pytest.raises(ivowaba.ValidationError):
        v.wa_id("000812-3456-789", default_country_code=cc)


def test_bad_default_country_code_is_a_config_error() -> None:
    with pytest.raises(ivowaba.ConfigError):
        ivowaba.AsyncClient(api_key=API_KEY, default_country_code="sixty-two")


# every operation that takes a recipient normalises and checks it
RECIPIENT_OPS: dict[str, Callable[[str], Op]] = {
    "send_text": lambda to: lambda c: c.messages.send_text(to, "hi"),
    "send_template": lambda to: lambda c: c.messages.send_template(to, "tpl"),
    "send_otp": lambda to: lambda c: c.messages.send_otp(to, "tpl", "123456"),
    "send_media": lambda to: lambda c: c.messages.send_media(to, "image", link=LINK),
    "send_image": lambda to: lambda c: c.messages.send_image(to, link=LINK),
    "send_document": lambda to: lambda c: c.messages.send_document(to, link=LINK),
    "send_audio": lambda to: lambda c: c.messages.send_audio(to, link=LINK),
    "send_video": lambda to: lambda c: c.messages.send_video(to, link=LINK),
    "send_sticker": lambda to: lambda c: c.messages.send_sticker(to, link=LINK),
    "send_location": lambda to: lambda c: c.messages.send_location(to, 1.5, 2.5),
    "send_contacts": lambda to: (
        lambda c: c.messages.send_contacts(to, [{"name": {"formatted_name": "Agus"}}])
    ),
    "send_reply_buttons": lambda to: lambda c: c.messages.send_reply_buttons(to, "Hi", [BUTTON]),
    "send_list": lambda to: lambda c: c.messages.send_list(to, "Hi", "Menu", [SECTION]),
    "send_product": lambda to: lambda c: c.messages.send_product(to, "catalog", "sku"),
    "send_product_list": lambda to: (
        lambda c: c.messages.send_product_list(
            to, "catalog", [PRODUCT_SECTION], header="Shop", body="Hi"
        )
    ),
    "send_flow": lambda to: (
        lambda c: c.messages.send_flow(to, flow_id="f1", flow_cta="Go", body="Hi")
    ),
    "send": lambda to: lambda c: c.messages.send({"type": "text", "wa_id": to, "text": "hi"}),
}


@pytest.mark.parametrize("name", sorted(RECIPIENT_OPS))
async def test_every_send_normalises_the_recipient(both: Both, emu: Emulator, name: str) -> None:
    emu.add_template("tpl")
    await both(RECIPIENT_OPS[name]("+62 812-3456-789"))
    assert sent(emu)["wa_id"] == "628123456789"


@pytest.mark.parametrize("name", sorted(RECIPIENT_OPS))
async def test_every_send_rejects_a_bad_recipient(both: Both, emu: Emulator, name: str) -> None:
    field = "wa_id" if name == "send" else "to"
    error = await rejected(both, emu, RECIPIENT_OPS[name]("call me maybe"), field)
    assert "phone number" in error.rule


# ---------------------------------------------------------------------------------------------
# nested arguments given as dicts: unknown keys and wrong types name the exact place


@pytest.mark.parametrize(
    ("op", "field", "needle"),
    [
        (
            lambda c: c.messages.send_list(TO, "Hi", "Menu", [{"titel": "S", "rows": [ROW]}]),
            "sections[0]",
            "titel",
        ),
        (
            lambda c: c.messages.send_list(
                TO, "Hi", "Menu", [SECTION, {"title": "B", "rows": [{"id": "a", "titel": "x"}]}]
            ),
            "sections[1].rows[0]",
            "titel",
        ),
        (
            lambda c: c.messages.send_list(TO, "Hi", "Menu", [{"rows": [{"id": 1, "title": "x"}]}]),
            "sections[0].rows[0].id",
            "str",
        ),
        (
            lambda c: c.messages.send_list(TO, "Hi", "Menu", [{"rows": "r1, r2"}]),
            "sections[0].rows",
            "must be a list of items, not a str",
        ),
        (
            lambda c: c.messages.send_list(TO, "Hi", "Menu", ["not a section"]),
            "sections[0]",
            "object",
        ),
        (lambda c: c.messages.send_list(TO, "Hi", "Menu", [{"title": "S"}]), "sections[0]", "rows"),
        (
            lambda c: c.messages.send_reply_buttons(
                TO, "Hi", [BUTTON, {"id": "a", "title": "x", "payload": "p"}]
            ),
            "buttons[1]",
            "payload",
        ),
        (lambda c: c.messages.send_reply_buttons(TO, "Hi", [{"id": "a"}]), "buttons[0]", "title"),
        (
            lambda c: c.messages.send_reply_buttons(
                TO, "Hi", [BUTTON], header={"type": "text", "txt": "x"}
            ),
            "header",
            "txt",
        ),
        (
            lambda c: c.messages.send_contacts(TO, [{"name": {"formated_name": "Agus"}}]),
            "contacts[0].name",
            "formated_name",
        ),
        (
            lambda c: c.messages.send_contacts(
                TO, [{"name": {"formatted_name": "A"}, "phones": [{"phone": 62812}]}]
            ),
            "contacts[0].phones[0].phone",
            "str",
        ),
        (
            lambda c: c.messages.send_product_list(
                TO, "catalog", [{"product_items": [{"retailer_id": "x"}]}], header="S", body="Hi"
            ),
            "sections[0].product_items[0]",
            "retailer_id",
        ),
        (
            lambda c: c.messages.send_template(
                TO, "tpl", body=["ok", {"type": "text", "txt": "x"}]
            ),
            "body[1]",
            "txt",
        ),
        (
            lambda c: c.messages.send_template(
                TO, "tpl", header={"type": "image", "image": {"url": LINK}}
            ),
            "header.image",
            "url",
        ),
        (
            lambda c: c.messages.send_template(
                TO,
                "tpl",
                buttons=[
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": 0,
                        "parameters": [{"type": "text", "text": 7}],
                    }
                ],
            ),
            "buttons[0].parameters[0].text",
            "str",
        ),
        (
            lambda c: c.messages.send_template(
                TO, "tpl", components=[{"type": "body", "params": []}]
            ),
            "components[0]",
            "params",
        ),
        (
            lambda c: c.messages.send(
                {
                    "type": "list",
                    "wa_id": TO,
                    "body": "Hi",
                    "action": {
                        "button": "Menu",
                        "sections": [{"rows": [{"id": "a", "titel": "x"}]}],
                    },
                }
            ),
            "message.action.sections[0].rows[0]",
            "titel",
        ),
    ],
    ids=lambda value: None if callable(value) else str(value),
)
async def test_bad_nested_dict_names_the_path(
    both: Both, emu: Emulator, op: Op, field: str, needle: str
) -> None:
    error = await rejected(both, emu, op, field)
    assert needle in error.rule


FRESH_INTERPRETER_CASES = {
    "message_from_dict after ivowaba.ListMessage": """
        import ivowaba
        ivowaba.ListMessage  # a user touches the public name (isinstance check, annotation...)
        message = ivowaba.message_from_dict({"type": "list", "wa_id": "628123456789",
            "body": "Hi", "action": {"button": "Menu", "sections": [
                {"rows": [{"id": "a", "title": "A"}]}]}})
        assert type(message).__name__ == "ListMessage"
    """,
    "contact card dict after ivowaba.ContactCard": """
        import ivowaba
        from ivowaba._validation import convert
        ivowaba.ContactCard
        card = convert({"name": {"formatted_name": "Agus"}}, ivowaba.ContactCard, "contacts[0]")
        assert card.name.formatted_name == "Agus"
    """,
    "list sections dict after ivowaba.ListSection": """
        import ivowaba
        from ivowaba._validation import convert
        ivowaba.ListSection
        section = convert({"rows": [{"id": "a", "title": "A"}]}, ivowaba.ListSection, "s")
        assert section.rows[0].id == "a"
    """,
}


@pytest.mark.parametrize("case", sorted(FRESH_INTERPRETER_CASES))
def test_dict_arguments_after_touching_public_struct_names(case: str) -> None:
    code = textwrap.dedent(FRESH_INTERPRETER_CASES[case])
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


async def test_nested_dicts_and_structs_send_the_same(both: Both, emu: Emulator) -> None:
    await both(
        lambda c: c.messages.send_list(
            TO,
            "Hi",
            "Menu",
            [{"title": "A", "rows": [{"id": "r1", "title": "One", "description": "first"}]}],
        )
    )
    from_dicts = sent(emu)
    emu.reset()
    await both(
        lambda c: c.messages.send_list(
            TO,
            "Hi",
            "Menu",
            [ListSection(title="A", rows=[ListRow(id="r1", title="One", description="first")])],
        )
    )
    assert sent(emu) == from_dicts
    assert from_dicts["action"]["sections"][0]["rows"][0]["description"] == "first"


# ---------------------------------------------------------------------------------------------
# messages.send(struct or dict) and message_from_dict

IMAGE = "https://example.com/image.png"
STRUCTS: list[tuple[Any, str, str]] = [
    (TextMessage(wa_id=TO, text="hello", preview_url=True), "text", "send-text-message"),
    (
        MediaMessage(wa_id=TO, type="document", link=IMAGE, filename="a.pdf"),
        "document",
        "send-media-message",
    ),
    (
        LocationMessage(wa_id=TO, latitude=-6.2, longitude=106.8),
        "location",
        "send-location-message",
    ),
    (
        ContactsMessage(wa_id=TO, contacts=[ContactCard(name=ContactName(formatted_name="A"))]),
        "contacts",
        "send-contact-message",
    ),
    (
        TemplateMessage(
            wa_id=TO,
            template_id="tpl",
            components=[
                TemplateComponent(
                    type="body", parameters=[TemplateParameter(type="text", text="Agus")]
                )
            ],
        ),
        "template",
        "send-template-message",
    ),
    (
        ReplyButtonsMessage(
            wa_id=TO, body="Hi", action=msgspec.convert({"buttons": [BUTTON]}, ReplyButtonsAction)
        ),
        "reply_buttons",
        "send-reply-button-message",
    ),
    (
        ListMessage(
            wa_id=TO,
            body="Hi",
            action=msgspec.convert({"button": "Menu", "sections": [SECTION]}, ListAction),
        ),
        "list",
        "send-list-message",
    ),
    (
        ProductMessage(
            wa_id=TO,
            action=msgspec.convert(
                {"catalog_id": "c", "product_retailer_id": "sku"}, ProductAction
            ),
        ),
        "product",
        "send-single-product-message",
    ),
    (
        ProductListMessage(
            wa_id=TO,
            header="Shop",
            body="Hi",
            action=msgspec.convert(
                {"catalog_id": "c", "sections": [PRODUCT_SECTION]}, ProductListAction
            ),
        ),
        "product_list",
        "send-multi-product-message",
    ),
    (
        FlowMessage(
            wa_id=TO,
            body="Hi",
            action=msgspec.convert(
                {
                    "parameters": {
                        "flow_message_version": "3",
                        "flow_id": "f1",
                        "flow_cta": "Go",
                        "flow_action": "navigate",
                    }
                },
                FlowAction,
            ),
        ),
        "flow",
        "send-flow-message",
    ),
]


@pytest.mark.parametrize(("message", "kind", "path"), STRUCTS, ids=[k for _, k, _ in STRUCTS])
async def test_send_struct(both: Both, emu: Emulator, message: Any, kind: str, path: str) -> None:
    emu.fail_next("*", status=200, body={"messages": [{"id": f"wamid.{kind}"}]})
    result = await both(lambda c: c.messages.send(message))
    assert result == SentMessage(id=f"wamid.{kind}")
    assert emu.requests[0].method == "POST"
    assert emu.requests[0].path == f"/api/v1/messages/{path}"
    assert sent(emu) == msgspec.to_builtins(message)


@pytest.mark.parametrize(("message", "kind", "path"), STRUCTS, ids=[k for _, k, _ in STRUCTS])
async def test_send_dict_with_type(
    both: Both, emu: Emulator, message: Any, kind: str, path: str
) -> None:
    wire = msgspec.to_builtins(message)
    data = {**wire, "type": kind}
    snapshot = dict(data)
    if kind == "template":
        emu.add_template(data["template_id"])
    await both(lambda c: c.messages.send(data))
    assert emu.requests[0].path == f"/api/v1/messages/{path}"
    assert sent(emu) == wire
    assert data == snapshot  # the caller's dict is left alone


@pytest.mark.parametrize(("message", "kind", "path"), STRUCTS, ids=[k for _, k, _ in STRUCTS])
def test_message_from_dict(message: Any, kind: str, path: str) -> None:
    data = {**msgspec.to_builtins(message), "type": kind}
    built = ivowaba.message_from_dict(data)
    assert type(built) is type(message)
    assert built == message


@pytest.mark.parametrize("kind", ["audio", "document", "image", "sticker", "video"])
def test_message_from_dict_media_kinds(kind: str) -> None:
    built = ivowaba.message_from_dict({"type": kind, "wa_id": TO, "link": IMAGE})
    assert built == MediaMessage(wa_id=TO, type=kind, link=IMAGE)


@pytest.mark.parametrize(
    ("data", "field", "needle"),
    [
        ({"wa_id": TO, "text": "hi"}, "message.type", "text"),
        ({"type": "gif", "wa_id": TO, "link": IMAGE}, "message.type", "gif"),
        ({"type": 1, "wa_id": TO, "text": "hi"}, "message.type", "1"),
        ({"type": "text", "wa_id": TO, "txt": "hi"}, "message", "txt"),
        ({"type": "text", "wa_id": TO}, "message", "text"),
        (
            {"type": "location", "wa_id": TO, "latitude": "north", "longitude": 1},
            "message.latitude",
            "float",
        ),
        ({"type": "image", "wa_id": TO, "link": IMAGE, "caption": 5}, "message.caption", "str"),
        ([("type", "text")], "message", "list"),
        ("text", "message", "str"),
    ],
)
def test_message_from_dict_rejects(data: Any, field: str, needle: str) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        ivowaba.message_from_dict(data)
    assert info.value.field == field
    assert needle in info.value.rule


async def test_send_normalises_the_struct_wa_id(both: Both, emu: Emulator) -> None:
    message = TextMessage(wa_id="+62 812-3456-789", text="hello")
    await both(lambda c: c.messages.send(message))
    assert sent(emu) == {"wa_id": "628123456789", "text": "hello"}
    assert message.wa_id == "+62 812-3456-789"  # the caller's struct is not modified


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (TextMessage(wa_id=TO, text="x" * 4097), "text"),
        (TextMessage(wa_id="0812-3456-789", text="hi"), "wa_id"),
        (MediaMessage(wa_id=TO, type="gif", link=IMAGE), "type"),
        (LocationMessage(wa_id=TO, latitude=100, longitude=0), "latitude"),
        (
            {"type": "reply_buttons", "wa_id": TO, "body": "Hi", "action": {"buttons": buttons(4)}},
            "action.buttons",
        ),
        ({"type": "text", "wa_id": TO, "text": "hi", "extra": 1}, "message"),
        ({"type": "sms", "wa_id": TO, "text": "hi"}, "message.type"),
        (SentMessage(id="not an outbound message"), "message"),
        (ReplyButton(id="a", title="b"), "message"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_send_rejects(both: Both, emu: Emulator, message: Any, field: str) -> None:
    await rejected(both, emu, lambda c: c.messages.send(message), field)


# ---------------------------------------------------------------------------------------------
# a list is a list: a string, bytes or a dict is refused whole, never taken apart

NOT_LISTS: list[Any] = ["Agus", b"Agus", {"id": "yes", "title": "Yes"}]

#: Every argument documented as a list of items, with what a send of it would take.
LIST_ARGUMENTS: dict[str, Callable[[Any], Op]] = {
    "body": lambda x: lambda c: c.messages.send_template(TO, "t1", body=x),
    "buttons": lambda x: lambda c: c.messages.send_template(TO, "t1", buttons=x),
    "components": lambda x: lambda c: c.messages.send_template(TO, "t1", components=x),
    "reply buttons": lambda x: lambda c: c.messages.send_reply_buttons(TO, "Hi", x),
    "list sections": lambda x: lambda c: c.messages.send_list(TO, "Hi", "Menu", x),
    "product sections": lambda x: (
        lambda c: c.messages.send_product_list(TO, "cat", x, header="New", body="Hi")
    ),
    "websites": lambda x: lambda c: c.settings.update_business_profile(websites=x),
}
LIST_FIELDS = {
    "reply buttons": "buttons",
    "list sections": "sections",
    "product sections": "sections",
}


@pytest.mark.parametrize("value", NOT_LISTS, ids=lambda value: type(value).__name__)
@pytest.mark.parametrize("argument", sorted(LIST_ARGUMENTS))
async def test_a_list_argument_refuses_what_is_no_list(
    both: Both, emu: Emulator, argument: str, value: Any
) -> None:
    field = LIST_FIELDS.get(argument, argument)
    error = await rejected(both, emu, LIST_ARGUMENTS[argument](value), field)
    assert error.rule.startswith("must be a list of "), error.rule
    assert error.rule.endswith(f"not a {type(value).__name__}"), error.rule


@pytest.mark.parametrize("value", ["Budi", b"Budi"], ids=lambda value: type(value).__name__)
async def test_contacts_refuse_a_string(both: Both, emu: Emulator, value: Any) -> None:
    op = lambda c: c.messages.send_contacts(TO, value)  # noqa: E731
    error = await rejected(both, emu, op, "contacts")
    assert error.rule == f"must be a list of contact cards, not a {type(value).__name__}"


async def test_a_list_argument_takes_a_tuple(both: Both, emu: Emulator) -> None:
    await both(lambda c: c.messages.send_template(TO, "60243665e4058d3b4a377bd2", body=("A",)))
    parameters = [{"type": "text", "text": "A"}]
    assert sent(emu)["components"] == [{"type": "body", "parameters": parameters}]


async def test_a_list_argument_takes_a_generator(both: Both, emu: Emulator) -> None:
    await both(lambda c: c.messages.send_reply_buttons(TO, "Hi", (b for b in [BUTTON])))
    assert sent(emu)["action"] == {"buttons": [BUTTON]}


#: Dict messages (``send``, ``send_many``) and structs with a string or a dict where a
#: list belongs, and the wire field named.
NOT_LIST_MESSAGES: list[tuple[Any, str, str]] = [
    (
        {"type": "template", "wa_id": TO, "template_id": "t1", "components": "body"},
        "message.components",
        "str",
    ),
    (
        {"type": "reply_buttons", "wa_id": TO, "body": "Hi", "action": {"buttons": BUTTON}},
        "message.action.buttons",
        "dict",
    ),
    (
        {
            "type": "list",
            "wa_id": TO,
            "body": "Hi",
            "action": {"button": "M", "sections": [{"rows": "r0"}]},
        },
        "message.action.sections[0].rows",
        "str",
    ),
    (TemplateMessage(wa_id=TO, template_id="t1", components="body"), "components", "str"),  # type: ignore[arg-type]
    (
        ReplyButtonsMessage(
            wa_id=TO,
            body="Hi",
            action=ReplyButtonsAction(buttons=BUTTON),  # type: ignore[arg-type]
        ),
        "action.buttons",
        "dict",
    ),
]


@pytest.mark.parametrize(("message", "field", "given"), NOT_LIST_MESSAGES, ids=repr)
async def test_a_message_refuses_what_is_no_list(
    both: Both, emu: Emulator, message: Any, field: str, given: str
) -> None:
    error = await rejected(both, emu, lambda c: c.messages.send(message), field)
    assert error.rule == f"must be a list of items, not a {given}"


async def test_send_many_refuses_what_is_no_list(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    bad = {"type": "template", "wa_id": TO, "template_id": "t1", "components": "body"}
    [result] = [r async for r in aclient.messages.send_many([bad])]
    assert isinstance(result.error, ivowaba.ValidationError)
    assert (result.error.field, result.error.rule) == (
        "message.components",
        "must be a list of items, not a str",
    )
    assert emu.requests == []


# ---------------------------------------------------------------------------------------------
# a flag is True or False: "yes", 1 or "false" are refused, never sent nor taken for true

NOT_FLAGS: list[Any] = ["yes", "false", 1, 0]


@pytest.mark.parametrize("value", NOT_FLAGS, ids=repr)
async def test_preview_url_is_a_flag(both: Both, emu: Emulator, value: Any) -> None:
    for op, field in [
        (lambda c: c.messages.send_text(TO, "x", preview_url=value), "preview_url"),
        (
            lambda c: c.messages.send(
                {"type": "text", "wa_id": TO, "text": "x", "preview_url": value}
            ),
            "message.preview_url",
        ),
        (
            lambda c: c.messages.send(TextMessage(wa_id=TO, text="x", preview_url=value)),
            "preview_url",
        ),
    ]:
        error = await rejected(both, emu, op, field)
        assert error.rule == "must be True, False or None"


@pytest.mark.parametrize("value", NOT_FLAGS, ids=repr)
async def test_send_template_check_is_a_flag(both: Both, emu: Emulator, value: Any) -> None:
    op = lambda c: c.messages.send_template(TO, "t1", check=value)  # noqa: E731
    error = await rejected(both, emu, op, "check")
    assert error.rule == "must be True, False or None"


@pytest.mark.parametrize("value", [True, False, None])
async def test_preview_url_flags_are_sent(both: Both, emu: Emulator, value: Any) -> None:
    await both(lambda c: c.messages.send_text(TO, "x", preview_url=value))
    assert sent(emu).get("preview_url") == value


# ---------------------------------------------------------------------------------------------
# properties of the pure checks

PUNCTUATION = ["", "", "", " ", "-", ".", "(", ")", "+", "\u00a0"]
ALLOWED = set("0123456789+ -().\u00a0")


@st.composite
def formatted_number(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(st.from_regex(r"[1-9][0-9]{7,14}", fullmatch=True))
    seps = draw(
        st.lists(st.sampled_from(PUNCTUATION), min_size=len(digits) + 1, max_size=len(digits) + 1)
    )
    return "".join(s + d for s, d in zip(seps[:-1], digits, strict=True)) + seps[-1], digits


@given(formatted_number())
def test_property_formatting_is_stripped(case: tuple[str, str]) -> None:
    written, digits = case
    assert v.wa_id(written) == digits


@given(st.from_regex(r"[1-9][0-9]{5,12}", fullmatch=True))
def test_property_leading_zero_takes_the_default_country_code(national: str) -> None:
    assert v.wa_id("0" + national, default_country_code="62") == "62" + national
    with pytest.raises(ivowaba.ValidationError):
        v.wa_id("0" + national)


@given(
    st.text(max_size=20),
    st.characters().filter(lambda ch: ch not in ALLOWED),
    st.text(max_size=20),
)
def test_property_non_phone_strings_are_rejected(before: str, bad: str, after: str) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        v.wa_id(before + bad + after, default_country_code="62")
    assert info.value.field == "to"


@given(
    st.one_of(
        st.from_regex(r"[1-9][0-9]{0,6}", fullmatch=True),
        st.from_regex(r"[1-9][0-9]{15,30}", fullmatch=True),
    )
)
def test_property_wrong_digit_counts_are_rejected(digits: str) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        v.wa_id(digits)
    assert "8 to 15" in info.value.rule


@st.composite
def text_up_to_the_limit(draw: st.DrawFn) -> str:
    seed = draw(st.text(min_size=1, max_size=40).filter(str.strip))
    length = draw(st.integers(min_value=len(seed), max_value=4096))
    return (seed * (length // len(seed) + 1))[:length]


@given(st.one_of(st.text(min_size=1, max_size=300).filter(str.strip), text_up_to_the_limit()))
def test_property_any_non_blank_text_up_to_4096_is_accepted(text: str) -> None:
    assert len(text) <= 4096
    checks.check(TextMessage(wa_id=TO, text=text))


@given(st.integers(min_value=4097, max_value=20_000), st.characters())
def test_property_text_past_4096_is_rejected(length: int, char: str) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        checks.check(TextMessage(wa_id=TO, text="a" + char * (length - 1)))
    assert info.value.field == "text"
    assert "4096" in info.value.rule


@given(st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\u00a0\u2003\u3000"), max_size=30))
def test_property_blank_text_is_rejected(text: str) -> None:
    with pytest.raises(ivowaba.ValidationError):
        checks.check(TextMessage(wa_id=TO, text=text))


@given(
    st.floats(min_value=-90, max_value=90),
    st.floats(min_value=-180, max_value=180),
)
def test_property_coordinates_in_range(lat: float, lon: float) -> None:
    checks.check(LocationMessage(wa_id=TO, latitude=lat, longitude=lon))


@given(
    st.one_of(
        st.floats(min_value=90, exclude_min=True),
        st.floats(max_value=-90, exclude_max=True),
        st.just(math.nan),
    )
)
def test_property_latitude_out_of_range(lat: float) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        checks.check(LocationMessage(wa_id=TO, latitude=lat, longitude=0.0))
    assert info.value.field == "latitude"


@given(st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=10))
def test_property_list_rows_in_all(rows_per_section: list[int]) -> None:
    sections, start = [], 0
    for i, n in enumerate(rows_per_section):
        sections.append({"title": f"S{i}", "rows": rows(n, start)})
        start += n
    message = msgspec.convert(
        {"wa_id": TO, "body": "Hi", "action": {"button": "Menu", "sections": sections}},
        ListMessage,
    )
    if sum(rows_per_section) <= 10:
        checks.check(message)
    else:
        with pytest.raises(ivowaba.ValidationError) as info:
            checks.check(message)
        assert info.value.field == "action.sections[].rows"


@given(st.lists(st.text(min_size=1, max_size=20).filter(str.strip), min_size=1, max_size=3))
def test_property_reply_buttons(titles: list[str]) -> None:
    message = ReplyButtonsMessage(
        wa_id=TO,
        body="Hi",
        action=msgspec.convert(
            {"buttons": [{"id": f"b{i}", "title": t} for i, t in enumerate(titles)]},
            ReplyButtonsAction,
        ),
    )
    if len(set(titles)) == len(titles):
        checks.check(message)
    else:
        with pytest.raises(ivowaba.ValidationError) as info:
            checks.check(message)
        assert "unique" in info.value.rule
