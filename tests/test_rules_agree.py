"""The client refuses a message exactly when the emulator does.

Messages of every outbound kind are drawn around each of WhatsApp's rules in ``ivowaba._limits``
(at a limit, one under, one over, empty, blank, allowed and refused types, repeated ids, ...).
Each goes through the client's check before a request (what ``messages.send`` runs: the wire
struct, the WhatsApp id, ``_message_checks.check``) and, as the JSON the client would send,
through the emulator's validation. Both refuse it or neither does, and the field the client
names is one the emulator's 422 names. A few cases also go end to end, through ``AsyncClient``
and a running ``Emulator``.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ivowaba
from ivowaba import _json, _limits
from ivowaba import _message_checks as checks
from ivowaba import _validation as v
from ivowaba.resources.messages import ENDPOINTS
from ivowaba.testing import Emulator
from ivowaba.testing._validation import RULES, Errors, validate
from ivowaba.types.messages import (
    ContactsMessage,
    FlowMessage,
    ListMessage,
    LocationMessage,
    MediaMessage,
    ProductListMessage,
    ProductMessage,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
)

TO = "628123456789"
LINK = "https://example.com/files/a.png"

AGREE = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class _AnyTemplate:
    """Every template id is known: whether a template exists is the gateway's state, not a
    rule the client could check."""

    def __contains__(self, template_id: object) -> bool:
        return True


def client_check(struct: type[Any], data: dict[str, Any]) -> tuple[Any, bytes]:
    """What ``messages.send`` does before a request: the ``ValidationError`` it raises (or
    ``None``), and the JSON body of the message (normalised when that succeeded)."""
    message = v.convert(data, struct, "message")
    try:
        message = msgspec.structs.replace(message, wa_id=v.wa_id(message.wa_id, field="wa_id"))
        checks.check(message)
    except ivowaba.ValidationError as error:
        return error, _json.encode(message)
    return None, _json.encode(message)


def emulator_check(struct: type[Any], body: bytes) -> Errors:
    operation = ENDPOINTS[struct].name
    return validate(RULES[operation], msgspec.json.decode(body), _AnyTemplate())


def laravel(field: str) -> str:
    """The client's field as the emulator writes it: ``rows[2]`` is ``rows.2``, and a rule on
    all the items (``action.sections[].rows``) is on their container."""
    return re.sub(r"\[(\d+)\]", r".\1", field).split("[]")[0]


def named_by(errors: Errors, field: str) -> bool:
    """The emulator's errors name ``field`` (the client's), or a field inside it."""
    where = laravel(field)
    return any(key == where or key.startswith(f"{where}.") for key in errors)


def assert_agree(struct: type[Any], data: dict[str, Any]) -> ivowaba.ValidationError | None:
    """Both refuse ``data`` (naming the same field) or neither does; the client's verdict."""
    refused, body = client_check(struct, data)
    errors = emulator_check(struct, body)
    verdicts = f"client: {refused!r}\nemulator: {errors}\nbody: {body[:400]!r}"
    assert (refused is None) == (not errors), verdicts
    assert refused is None or named_by(errors, refused.field), verdicts
    return refused


# -- drawing messages around the rules ---------------------------------------------------------
# Each kind is a few messages both accept, and the edges of their fields: values at a limit,
# one under and one over it, empty, blank, of an allowed or a refused type, repeated, or the
# field left out. A drawn message has up to three fields replaced by edge values, so that one
# rule (or the interplay of two or three) decides the verdict. Strategies are built once, at
# import: building them per draw would cost more than the checks.

LEAVE_OUT: Any = object()
FILLS = st.sampled_from(["x", "é", "ab ", " ", "\u00a0"])  # the last two make blank texts


def edge(limit: int | None) -> st.SearchStrategy[str]:
    """A text of length 0, 1, ``limit - 1``, ``limit`` or ``limit + 1`` (the last two twice as
    often), of letters or of white space; one time in five, any short text."""
    lengths = [0, 1] if limit is None else [0, 1, limit - 1, limit, limit, limit + 1, limit + 1]
    return st.builds(
        lambda n, fill, anything, text: text if anything else (fill * n)[:n],
        st.sampled_from(lengths),
        FILLS,
        st.sampled_from([False, False, False, False, True]),
        st.text(max_size=8),
    )


def left_out(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value of ``strategy``, or the field left out."""
    return strategy | st.just(LEAVE_OUT)


def _edit(message: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Put ``value`` at ``path`` (or remove the field); a path that an earlier edit removed
    is skipped."""
    *parents, last = path
    node = message
    for key in parents:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict):
        if value is LEAVE_OUT:
            node.pop(last, None)
        else:
            node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value


#: How many fields a drawn message has at an edge: mostly one, so that its rule decides.
EDITS = st.sampled_from([0, 1, 1, 1, 1, 2, 2, 3])


def messages(
    goods: list[dict[str, Any]], edges: dict[tuple[str | int, ...], st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """One of ``goods`` with a few of its fields (``edges``' paths) drawn from their edges."""
    bases, paths = st.sampled_from(goods), st.sampled_from(list(edges))

    @st.composite
    def edited(draw: st.DrawFn) -> dict[str, Any]:
        message = copy.deepcopy(draw(bases))
        for _ in range(draw(EDITS)):
            path = draw(paths)
            value = draw(edges[path])
            _edit(message, path, value if value is LEAVE_OUT else copy.deepcopy(value))
        return message

    return edited()


WA_IDS = st.sampled_from(
    [
        "12345678",
        "123456789012345",
        "1234567",
        "1234567890123456",
        "0812345678",
        "+62 812-3456-789",
        "0062 812 3456 789",
        "000812345678",
        "62812abc345",
        "\u0666\u0662\u0668\u0661\u0662\u0663\u0664\u0665\u0666",
        "",
    ]
)
LINKS = st.sampled_from(
    [
        "http://example.com",
        "HTTPS://EXAMPLE.COM/A.PNG",
        "https://example.com:8443/a.png",
        "https://xn--bcher-kva.example/a",
        "ftp://example.com/a.png",
        "https://",
        "https:///a.png",
        "https://?q=1",
        "https://:443/a",
        "example.com/a.png",
        "/tmp/a.png",
        "https://exa mple.com/a.png",
        " https://example.com/a.png",
        "https://example.com/a\n.png",
        "http://[::1",
        "https://example.com:99999/a",
        "https://example.com:port/a",
        "javascript:alert(1)",
        "",
    ]
)
FILE_NAMES = st.sampled_from(["a.jpg", "report.pdf", "", " "])
SHORT = left_out(st.text(max_size=5))


def coordinates(bound: float) -> st.SearchStrategy[float]:
    near = [bound, -bound, math.nextafter(bound, math.inf), -bound - 0.5]
    return st.sampled_from([*near, math.nan, math.inf, -math.inf]) | st.floats()


HEADERS = [
    {"type": "text", "text": "Title"},
    {"type": "image", "link": LINK},
    {"type": "video", "link": LINK},
    {"type": "document", "link": LINK, "filename": "menu.pdf"},
]
INTERACTIVE_EDGES = {
    ("wa_id",): WA_IDS,
    ("header",): left_out(
        st.sampled_from(HEADERS)
        | st.builds(
            lambda text: {"type": "text", "text": text}, edge(_limits.INTERACTIVE_HEADER_TEXT_MAX)
        )
    ),
    ("header", "type"): st.sampled_from(
        ["text", "image", "video", "document", "audio", "sticker", "location", "Text", ""]
    ),
    ("header", "text"): left_out(edge(_limits.INTERACTIVE_HEADER_TEXT_MAX)),
    ("header", "link"): left_out(LINKS),
    ("header", "filename"): left_out(FILE_NAMES),
    ("body",): edge(_limits.INTERACTIVE_BODY_MAX),
    ("footer",): left_out(edge(_limits.INTERACTIVE_FOOTER_MAX)),
}


def with_headers(message: dict[str, Any], headers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``message`` without a header and with each of ``headers``."""
    return [message, *({**message, "header": header} for header in headers)]


TEXT = messages(
    [{"wa_id": TO, "text": "Hi"}, {"wa_id": TO, "text": "x" * _limits.TEXT_MAX}],
    {
        ("wa_id",): WA_IDS,
        ("text",): edge(_limits.TEXT_MAX),
        ("preview_url",): left_out(st.booleans()),
    },
)

MEDIA = messages(
    [
        {"wa_id": TO, "type": "image", "link": LINK, "caption": "A picture"},
        {"wa_id": TO, "type": "document", "link": LINK, "caption": "Q3", "filename": "q3.pdf"},
        {"wa_id": TO, "type": "video", "link": LINK},
        {"wa_id": TO, "type": "audio", "link": LINK},
        {"wa_id": TO, "type": "sticker", "link": LINK},
    ],
    {
        ("wa_id",): WA_IDS,
        ("type",): st.sampled_from([*sorted(_limits.MEDIA_TYPES), "gif", "Image", "location", ""]),
        ("link",): LINKS,
        ("caption",): left_out(edge(_limits.CAPTION_MAX)),
        ("filename",): left_out(FILE_NAMES),
    },
)

LOCATION = messages(
    [
        {"wa_id": TO, "latitude": -6.2, "longitude": 106.8},
        {"wa_id": TO, "latitude": 90, "longitude": -180},
    ],
    {
        ("wa_id",): WA_IDS,
        ("latitude",): coordinates(_limits.LATITUDE_RANGE[1]),
        ("longitude",): coordinates(_limits.LONGITUDE_RANGE[1]),
        ("name",): SHORT,
        ("address",): SHORT,
    },
)

CONTACTS = messages(
    [{"wa_id": TO, "contacts": [{"name": {"formatted_name": "Agus"}}]}],
    {
        ("wa_id",): WA_IDS,
        ("contacts",): st.sampled_from(
            [[], [{}], [{"name": {}}], [{"name": {"formatted_name": "A"}}, {"org": {}}]]
        ),
        ("contacts", 0, "name"): left_out(st.just({"first_name": "Agus"})),
        ("contacts", 0, "name", "formatted_name"): left_out(edge(None)),
        ("contacts", 0, "name", "first_name"): SHORT,
        ("contacts", 0, "phones"): st.just([{"phone": "+62 812-3456-789", "type": "HOME"}]),
        ("contacts", 0, "org"): st.sampled_from([{}, {"company": "Ivosights"}]),
    },
)

MEDIA_OBJECTS = st.fixed_dictionaries(
    {"link": LINKS | st.just(LINK)},
    optional={"caption": st.text(max_size=5), "filename": FILE_NAMES},
)
#: What each key of a template parameter (that the struct has) holds.
PARAMETER_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "text": edge(None),
    "payload": edge(None),
    "image": MEDIA_OBJECTS,
    "document": MEDIA_OBJECTS,
    "video": MEDIA_OBJECTS,
    "currency": st.just({"fallback_value": "$1", "code": "USD", "amount_1000": 1000}),
    "date_time": st.just({"fallback_value": "today"}),
    "action": st.sampled_from([{}, {"flow_token": "t"}]),
}
PARAMETER_TYPES = st.sampled_from([*sorted(_limits.TEMPLATE_PARAMETER_TYPES), "gif", "TEXT", ""])


@st.composite
def template_parameters(draw: st.DrawFn) -> dict[str, Any]:
    """A parameter of any type, its value under the key its type names, or under another."""
    kind = draw(PARAMETER_TYPES)
    key = kind if draw(st.booleans()) else draw(st.sampled_from(sorted(PARAMETER_VALUES)))
    if key not in PARAMETER_VALUES:  # a type the struct has no field for
        return {"type": kind}
    return {"type": kind, key: draw(PARAMETER_VALUES[key])}


TEXT_PARAMETER = {"type": "text", "text": "Agus"}
DOCUMENT_PARAMETER = {"type": "document", "document": {"link": LINK, "filename": "a.pdf"}}
TEMPLATE = messages(
    [
        {
            "wa_id": TO,
            "template_id": "60243665e4058d3b4a377bd2",
            "components": [
                {"type": "body", "parameters": [TEXT_PARAMETER]},
                {"type": "button", "sub_type": "url", "index": 0, "parameters": [TEXT_PARAMETER]},
            ],
        },
        {
            "wa_id": TO,
            "template_id": "60243665e4058d3b4a377bd2",
            "components": [
                {"type": "header", "parameters": [DOCUMENT_PARAMETER]},
                {"type": "button", "sub_type": "quick_reply", "index": "1"},
            ],
        },
        {
            "wa_id": TO,
            "template_id": "60243665e4058d3b4a377bd2",
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"link": LINK}}]},
                {"type": "body", "parameters": [TEXT_PARAMETER, TEXT_PARAMETER]},
            ],
        },
    ],
    {
        ("wa_id",): WA_IDS,
        ("template_id",): edge(_limits.ID_MAX),
        ("components",): st.sampled_from([[], [{"type": "body"}], [{"type": "header"}]]),
        ("components", 0, "type"): st.sampled_from(["header", "button", "footer", "BODY", ""]),
        ("components", 0, "parameters"): left_out(st.just([])),
        ("components", 0, "parameters", 0): template_parameters(),
        ("components", 0, "parameters", 0, "type"): PARAMETER_TYPES,
        ("components", 1, "sub_type"): left_out(
            st.sampled_from([*sorted(_limits.TEMPLATE_BUTTON_SUB_TYPES), "URL", "", "link"])
        ),
        ("components", 1, "index"): left_out(
            st.sampled_from([9, "9", 10, "10", -1, "-1", "", "x", "\u0663", "09", "1"])
        ),
        ("components", 1, "parameters", 0): template_parameters(),
        **{
            ("components", 0, "parameters", 0, kind, "filename"): left_out(FILE_NAMES)
            for kind in ("image", "document")
        },
    },
)

REPLY_BUTTONS = [{"id": f"b{i}", "title": f"Button {i}"} for i in range(4)]
REPLY_BUTTONS_MESSAGE = messages(
    with_headers(
        {"wa_id": TO, "body": "Pick one", "action": {"buttons": REPLY_BUTTONS[:3]}}, HEADERS
    ),
    {
        **INTERACTIVE_EDGES,
        ("action", "buttons"): st.sampled_from([[], REPLY_BUTTONS[:1], REPLY_BUTTONS]),
        **{
            ("action", "buttons", i, "id"): edge(_limits.REPLY_BUTTON_ID_MAX) | st.just("b1")
            for i in (0, 2)
        },
        **{
            ("action", "buttons", i, "title"): edge(_limits.REPLY_BUTTON_TITLE_MAX)
            | st.just("Button 1")
            for i in (0, 2)
        },
    },
)


def shaped(
    key: str, item: Callable[[int], dict[str, Any]], max_sections: int, max_items: int
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Sections (titled) holding ``item(n)``s under ``key``: at and past the limits on sections
    and on items in all, and empty ones."""
    half = max_items // 2
    shapes = [
        (),
        (0,),
        (1, 0),
        (max_items,),
        (max_items + 1,),
        (half, max_items - half),
        (half, max_items - half + 1),
        (1,) * max_sections,
        (1,) * (max_sections + 1),
    ]
    drawn = []
    for shape in shapes:
        sections, start = [], 0
        for i, n in enumerate(shape):
            sections.append({"title": f"S{i}", key: [item(start + j) for j in range(n)]})
            start += n
        drawn.append(sections)
    return st.sampled_from(drawn)


def section_edges(
    key: str, item_key: str, edges: st.SearchStrategy[Any]
) -> dict[tuple[str | int, ...], st.SearchStrategy[Any]]:
    """The edges of two sections' titles and items, in ``action.sections``."""
    return {
        ("action", "sections", 0, "title"): left_out(edge(_limits.SECTION_TITLE_MAX)),
        ("action", "sections", 1, "title"): left_out(edge(_limits.SECTION_TITLE_MAX)),
        ("action", "sections", 0, key): st.just([]),
        ("action", "sections", 0, key, 1, item_key): edges,
        ("action", "sections", 1, key, 0, item_key): edges,
    }


ROWS = [{"id": f"r{n}", "title": "Row"} for n in range(3)]
LIST = messages(
    with_headers(
        {
            "wa_id": TO,
            "body": "Pick one",
            "action": {
                "button": "Menu",
                "sections": [{"title": "A", "rows": ROWS[:2]}, {"title": "B", "rows": ROWS[2:]}],
            },
        },
        HEADERS[:1],
    ),
    {
        **INTERACTIVE_EDGES,
        ("action", "button"): edge(_limits.LIST_BUTTON_TEXT_MAX),
        ("action", "sections"): shaped(
            "rows",
            lambda n: {"id": f"r{n}", "title": "Row"},
            _limits.LIST_SECTIONS_MAX,
            _limits.LIST_ROWS_MAX,
        ),
        **section_edges("rows", "id", edge(_limits.LIST_ROW_ID_MAX) | st.just("r0")),
        ("action", "sections", 0, "rows", 0, "title"): edge(_limits.LIST_ROW_TITLE_MAX),
        ("action", "sections", 1, "rows", 0, "description"): left_out(
            edge(_limits.LIST_ROW_DESCRIPTION_MAX)
        ),
    },
)

PRODUCT = messages(
    [{"wa_id": TO, "action": {"catalog_id": "1234567890", "product_retailer_id": "abcd12345"}}],
    {
        ("wa_id",): WA_IDS,
        ("body",): left_out(edge(_limits.INTERACTIVE_BODY_MAX)),
        ("footer",): left_out(edge(_limits.INTERACTIVE_FOOTER_MAX)),
        ("action", "catalog_id"): edge(_limits.ID_MAX),
        ("action", "product_retailer_id"): edge(_limits.ID_MAX),
    },
)

ITEMS = [{"product_retailer_id": f"sku-{n}"} for n in range(3)]
PRODUCT_LIST = messages(
    [
        {
            "wa_id": TO,
            "header": "Our shop",
            "body": "Pick one",
            "action": {
                "catalog_id": "1234567890",
                "sections": [
                    {"title": "A", "product_items": ITEMS[:2]},
                    {"title": "B", "product_items": ITEMS[2:]},
                ],
            },
        }
    ],
    {
        ("wa_id",): WA_IDS,
        ("header",): edge(_limits.INTERACTIVE_HEADER_TEXT_MAX),
        ("body",): edge(_limits.INTERACTIVE_BODY_MAX),
        ("footer",): left_out(edge(_limits.INTERACTIVE_FOOTER_MAX)),
        ("action", "catalog_id"): edge(_limits.ID_MAX),
        ("action", "sections"): shaped(
            "product_items",
            lambda n: {"product_retailer_id": f"sku-{n}"},
            _limits.PRODUCT_SECTIONS_MAX,
            _limits.PRODUCT_ITEMS_MAX,
        ),
        **section_edges("product_items", "product_retailer_id", edge(_limits.ID_MAX)),
    },
)

FLOW = messages(
    with_headers(
        {
            "wa_id": TO,
            "body": "Body text of the flow",
            "action": {
                "parameters": {
                    "flow_message_version": "3",
                    "flow_id": "1180378639999979",
                    "flow_cta": "Register",
                    "flow_action": "navigate",
                    "flow_action_payload": {"screen": "WELCOME_SCREEN"},
                }
            },
        },
        HEADERS,
    ),
    {
        **INTERACTIVE_EDGES,
        ("action", "parameters", "flow_message_version"): st.sampled_from(["", " ", "2"]),
        ("action", "parameters", "flow_id"): edge(_limits.ID_MAX),
        ("action", "parameters", "flow_cta"): edge(_limits.FLOW_CTA_MAX),
        ("action", "parameters", "flow_action"): st.sampled_from(
            ["data_exchange", "jump", "", "NAVIGATE"]
        ),
        ("action", "parameters", "flow_action_payload"): left_out(
            st.sampled_from([{}, {"data": {}}, {"data": None}, {"data": "x"}, {"data": []}])
        ),
        ("action", "parameters", "flow_action_payload", "screen"): left_out(
            st.sampled_from(["", 5, None])
        ),
        ("action", "parameters", "flow_token"): SHORT,
    },
)

#: Every outbound message kind, and how to draw one.
KINDS: dict[str, tuple[type[Any], st.SearchStrategy[dict[str, Any]]]] = {
    "text": (TextMessage, TEXT),
    "media": (MediaMessage, MEDIA),
    "location": (LocationMessage, LOCATION),
    "contacts": (ContactsMessage, CONTACTS),
    "template": (TemplateMessage, TEMPLATE),
    "reply_buttons": (ReplyButtonsMessage, REPLY_BUTTONS_MESSAGE),
    "list": (ListMessage, LIST),
    "product": (ProductMessage, PRODUCT),
    "product_list": (ProductListMessage, PRODUCT_LIST),
    "flow": (FlowMessage, FLOW),
}


def test_every_outbound_kind_is_drawn() -> None:
    assert {struct for struct, _ in KINDS.values()} == set(ENDPOINTS)


@pytest.mark.parametrize("kind", sorted(KINDS))
@AGREE
@given(data=st.data())
def test_client_refuses_exactly_what_the_emulator_refuses(kind: str, data: st.DataObject) -> None:
    struct, messages = KINDS[kind]
    refused = assert_agree(struct, data.draw(messages, label=kind))
    event("accepted" if refused is None else f"refused: {laravel(refused.field)}")


# -- fixed cases -------------------------------------------------------------------------------

ROW = {"id": "r0", "title": "Row"}
IMAGE_WITH_A_FILENAME = {"wa_id": TO, "type": "image", "link": LINK, "filename": "a.jpg"}
LIST_WITH_AN_IMAGE_HEADER = {
    "wa_id": TO,
    "header": {"type": "image", "link": LINK},
    "body": "Pick one",
    "action": {"button": "Menu", "sections": [{"rows": [ROW]}]},
}


def _rows(*per_section: int) -> list[dict[str, Any]]:
    sections, start = [], 0
    for i, n in enumerate(per_section):
        rows = [
            {"id": f"r{start + j}", "title": "x" * _limits.LIST_ROW_TITLE_MAX} for j in range(n)
        ]
        sections.append({"title": f"S{i}", "rows": rows})
        start += n
    return sections


def _products(*per_section: int) -> list[dict[str, Any]]:
    sections, start = [], 0
    for i, n in enumerate(per_section):
        items = [{"product_retailer_id": f"sku-{start + j}"} for j in range(n)]
        sections.append({"title": f"S{i}", "product_items": items})
        start += n
    return sections


def _flow(**parameters: Any) -> dict[str, Any]:
    defaults = {
        "flow_message_version": "3",
        "flow_id": "1180378639999979",
        "flow_cta": "x" * _limits.FLOW_CTA_MAX,
        "flow_action": "navigate",
    }
    return {"wa_id": TO, "body": "Hi", "action": {"parameters": {**defaults, **parameters}}}


#: Messages at the limits, which both accept.
AT_THE_LIMITS: list[tuple[type[Any], dict[str, Any]]] = [
    (TextMessage, {"wa_id": TO, "text": "x" * _limits.TEXT_MAX}),
    (
        MediaMessage,
        {
            "wa_id": TO,
            "type": "document",
            "link": LINK,
            "caption": "x" * _limits.CAPTION_MAX,
            "filename": "report.pdf",
        },
    ),
    (
        ReplyButtonsMessage,
        {
            "wa_id": TO,
            "header": {"type": "document", "link": LINK, "filename": "menu.pdf"},
            "body": "x" * _limits.INTERACTIVE_BODY_MAX,
            "action": {
                "buttons": [
                    {"id": str(i) * _limits.REPLY_BUTTON_ID_MAX, "title": f"{i}" * 20}
                    for i in range(_limits.REPLY_BUTTONS_MAX)
                ]
            },
        },
    ),
    (
        ListMessage,
        {
            "wa_id": TO,
            "header": {"type": "text", "text": "x" * _limits.INTERACTIVE_HEADER_TEXT_MAX},
            "body": "Pick one",
            "action": {"button": "x" * _limits.LIST_BUTTON_TEXT_MAX, "sections": _rows(5, 5)},
        },
    ),
    (
        ProductListMessage,
        {
            "wa_id": TO,
            "header": "Shop",
            "body": "Pick",
            "action": {"catalog_id": "1", "sections": _products(10, 10, 10)},
        },
    ),
    (FlowMessage, _flow(flow_action_payload={"screen": "WELCOME_SCREEN", "data": {}})),
]

#: Messages that break one rule, which both refuse, naming the field.
ONE_RULE_BROKEN: list[tuple[type[Any], dict[str, Any], str]] = [
    (MediaMessage, IMAGE_WITH_A_FILENAME, "filename"),
    (ListMessage, LIST_WITH_AN_IMAGE_HEADER, "header.type"),
    (TextMessage, {"wa_id": "0812345678", "text": "Hi"}, "wa_id"),
    (TextMessage, {"wa_id": TO, "text": "x" * (_limits.TEXT_MAX + 1)}, "text"),
    (MediaMessage, {"wa_id": TO, "type": "audio", "link": LINK, "caption": "Hi"}, "caption"),
    (
        ReplyButtonsMessage,
        {
            "wa_id": TO,
            "header": {"type": "image", "link": LINK, "filename": "a.png"},
            "body": "Hi",
            "action": {"buttons": [{"id": "a", "title": "A"}]},
        },
        "header.filename",
    ),
    (
        ListMessage,
        {"wa_id": TO, "body": "Hi", "action": {"button": "Menu", "sections": _rows(5, 6)}},
        "action.sections[].rows",
    ),
    (
        ProductListMessage,
        {
            "wa_id": TO,
            "header": "Shop",
            "body": "Pick",
            "action": {"catalog_id": "1", "sections": _products(10, 10, 10, 1)},
        },
        "action.sections[].product_items",
    ),
    (
        ContactsMessage,
        {"wa_id": TO, "contacts": [{"name": {"first_name": "Agus"}}]},
        "contacts[0].name.formatted_name",
    ),
    (
        TemplateMessage,
        {
            "wa_id": TO,
            "template_id": "60243665e4058d3b4a377bd2",
            "components": [{"type": "button", "sub_type": "url", "index": 10}],
        },
        "components[0].index",
    ),
    (
        TemplateMessage,
        {
            "wa_id": TO,
            "template_id": "60243665e4058d3b4a377bd2",
            "components": [{"type": "body", "parameters": [{"type": "text"}]}],
        },
        "components[0].parameters[0].text",
    ),
    (TemplateMessage, {"wa_id": TO, "template_id": "x", "components": []}, "components"),
    (FlowMessage, _flow(flow_message_version=""), "action.parameters.flow_message_version"),
    (
        ProductMessage,
        {"wa_id": TO, "action": {"catalog_id": "1", "product_retailer_id": "x" * 201}},
        "action.product_retailer_id",
    ),
]


def _id(value: object) -> str | None:
    return value.__name__ if isinstance(value, type) else None


@pytest.mark.parametrize(("struct", "data"), AT_THE_LIMITS, ids=_id)
def test_at_the_limits_both_accept(struct: type[Any], data: dict[str, Any]) -> None:
    assert assert_agree(struct, data) is None


@pytest.mark.parametrize(("struct", "data", "field"), ONE_RULE_BROKEN, ids=_id)
def test_one_rule_broken_both_refuse(struct: type[Any], data: dict[str, Any], field: str) -> None:
    refused = assert_agree(struct, data)
    assert refused is not None
    assert refused.field == field


# -- end to end: AsyncClient and a running Emulator ----------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as emu:
        yield emu


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[ivowaba.AsyncClient]:
    async with ivowaba.AsyncClient(
        api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0
    ) as c:
        yield c


async def post_raw(emu: Emulator, struct: type[Any], body: bytes) -> tuple[int, Any]:
    """Post ``body`` as it is to the operation of ``struct``: the status and the answer."""
    headers = {"X-API-KEY": emu.api_key, "Content-Type": "application/json"}
    url = emu.base_url + ENDPOINTS[struct].path
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_reported_cases_end_to_end(client: ivowaba.AsyncClient, emulator: Emulator) -> None:
    """``send_media(to, "image", link, filename=...)`` and ``send_list(..., header=<image>)``:
    the client refuses them before any request, and the emulator answers 422 on their body."""
    with pytest.raises(ivowaba.ValidationError) as media:
        await client.messages.send_media(TO, "image", link=LINK, filename="a.jpg")
    with pytest.raises(ivowaba.ValidationError) as listed:
        await client.messages.send_list(
            TO, "Pick one", "Menu", [{"rows": [ROW]}], header={"type": "image", "link": LINK}
        )
    assert (media.value.field, listed.value.field) == ("filename", "header.type")
    assert emulator.requests == []

    for struct, data, field in ONE_RULE_BROKEN[:2]:
        status, answer = await post_raw(emulator, struct, client_check(struct, data)[1])
        assert status == 422
        assert list(answer["errors"]) == [laravel(field)]
    assert emulator.outbox == []


@pytest.mark.parametrize(("struct", "data"), AT_THE_LIMITS, ids=_id)
async def test_at_the_limits_end_to_end(
    client: ivowaba.AsyncClient, emulator: Emulator, struct: type[Any], data: dict[str, Any]
) -> None:
    sent = await client.messages.send(v.convert(data, struct, "message"))
    assert [entry.id for entry in emulator.outbox] == [sent.id]
    assert emulator.outbox[0].body == data


@pytest.mark.parametrize(("struct", "data", "field"), ONE_RULE_BROKEN[2:], ids=_id)
async def test_one_rule_broken_end_to_end(
    client: ivowaba.AsyncClient,
    emulator: Emulator,
    struct: type[Any],
    data: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(ivowaba.ValidationError) as refused:
        await client.messages.send(v.convert(data, struct, "message"))
    assert refused.value.field == field
    assert emulator.requests == []
    status, answer = await post_raw(emulator, struct, client_check(struct, data)[1])
    assert status == 422
    assert named_by(answer["errors"], field), answer
