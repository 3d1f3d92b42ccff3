"""WhatsApp's template rules, checked before a template is sent.

Each rule has a template that breaks it and nothing else: ``lint`` names it exactly
(component, field, rule), and ``create`` / ``update`` refuse it through both clients before
any request. The reference's own create and update examples pass unchanged. Every template the
client lets through is one the emulator approves, and the other way round (hypothesis). And
``ivowaba templates lint`` says the same from a shell.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ivowaba
from ivowaba import _json, _limits, _template_rules
from ivowaba.cli import run
from ivowaba.resources.templates import _values
from ivowaba.testing import Emulator, _seed, _templates
from ivowaba.testing._validation import template_spec, validate
from ivowaba.types.templates import TemplateProblem
from tests.conftest import Both, wire_examples

CATEGORIES = frozenset(c["id"] for c in _seed.TEMPLATE_CATEGORIES)
LANGUAGES = frozenset(language["id"] for language in _seed.TEMPLATE_LANGUAGES)
LISTS = ["/api/v1/template-categories", "/api/v1/template-languages"]

BODY = "Hi {{1}}, your order {{2}} has shipped and arrives tomorrow."
#: A template every rule accepts: a text header, a body with two parameters, a footer, two
#: quick replies, a dynamic URL and a phone number.
GOOD: dict[str, Any] = {
    "label": "Order shipped",
    "category_id": "UTILITY",
    "language_id": "en",
    "is_propose": True,
    "header": {"format": "TEXT", "text": "Order {{1}}", "examples": ["#1042"]},
    "body": {"text": BODY, "examples": ["Ann", "#1042"]},
    "footer": "Thank you for shopping with us",
    "buttons": [
        {"type": "QUICK_REPLY", "text": "Stop updates"},
        {"type": "QUICK_REPLY", "text": "Talk to us"},
        {
            "type": "URL",
            "text": "Track",
            "url_type": "dynamic",
            "url": "https://shop.example/track/{{1}}",
            "examples": ["1042"],
        },
        {
            "type": "PHONE_NUMBER",
            "text": "Call us",
            "country_code": "+62",
            "phone_number": "85128567890",
        },
    ],
}
QUICK = {"type": "QUICK_REPLY", "text": "More"}
STATIC_URL = {"type": "URL", "text": "Shop", "url": "https://shop.example"}
PHONE = GOOD["buttons"][3]
URL = 2  # the index of GOOD's URL button


def changed(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, for ``DROP``, remove) the field at the dotted ``path`` (``buttons.2.url``)."""

    def change(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = spec
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is DROP:
            del target[last]
        else:
            target[last] = value

    return change


DROP = object()
RATIO = (
    "too many parameters for its length: with 2 parameters it needs 5 words besides them "
    "(got 3), as words and parameters together must be at least 3 per parameter, plus 1"
)

#: (name, the change, the one problem it makes: component, field, rule)
BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, str, str]]] = [
    (
        "label_too_long",
        changed("label", "a" * 513),
        ("template", "label", "at most 512 characters (got 513)"),
    ),
    (
        "label_without_a_name",
        changed("label", "!!! ???"),
        ("template", "label", "must have a letter or a digit (a-z, 0-9): WhatsApp's name of it"),
    ),
    (
        "label_missing",
        changed("label", DROP),
        ("template", "label", "is required"),
    ),
    (
        "category_not_listed",
        changed("category_id", "TRANSACTIONAL"),
        (
            "template",
            "category_id",
            "'TRANSACTIONAL' is not a category the gateway lists: AUTHENTICATION, MARKETING, "
            "UTILITY",
        ),
    ),
    (
        "language_not_listed",
        changed("language_id", "xx"),
        ("template", "language_id", "'xx' is not a language the gateway lists"),
    ),
    (
        "code_expiration_out_of_range",
        changed("code_expiration_minutes", 91),
        ("template", "code_expiration_minutes", "must be between 1 and 90 (got 91)"),
    ),
    (
        "header_format",
        changed("header.format", "GIF"),
        ("header", "header.format", "'GIF' is not one of: DOCUMENT, IMAGE, LOCATION, TEXT, VIDEO"),
    ),
    (
        "header_text_too_long",
        changed("header.text", "Order {{1}} " + "x" * 49),
        ("header", "header.text", "at most 60 characters (got 61)"),
    ),
    (
        "header_line_break",
        changed("header.text", "Order\n{{1}}"),
        ("header", "header.text", "must be one line (no line break in a text header)"),
    ),
    (
        "header_two_parameters",
        lambda s: s["header"].update(text="Order {{1}} of {{2}}", examples=["#1", "Ann"]),
        ("header", "header.text", "at most 1 parameter (got 2)"),
    ),
    (
        "header_example_missing",
        changed("header.examples", DROP),
        ("header", "header.examples", "one example per parameter: 1 parameter"),
    ),
    (
        "media_header_example_missing",
        changed("header", {"format": "IMAGE"}),
        (
            "header",
            "header.examples",
            "a media header (IMAGE) needs an example (a sample of the media)",
        ),
    ),
    (
        "body_missing",
        changed("body", DROP),
        ("body", "body", "is required"),
    ),
    (
        "body_too_long",
        changed("body.text", BODY + " " + "x" * (_limits.TEMPLATE_BODY_MAX - len(BODY))),
        ("body", "body.text", "at most 1024 characters (got 1025)"),
    ),
    (
        "parameters_with_a_gap",
        changed("body.text", BODY.replace("{{2}}", "{{3}}")),
        (
            "body",
            "body.text",
            "parameters are numbered from {{1}} without gaps (found {{1}}, {{3}})",
        ),
    ),
    (
        "parameters_out_of_order",
        changed("body.text", "Hi {{2}}, your order {{1}} has shipped and arrives tomorrow."),
        ("body", "body.text", "parameters appear in order, {{1}} first (found {{2}}, {{1}})"),
    ),
    (
        "parameter_not_written_exactly",
        changed("body.text", BODY.replace("{{2}}", "{{ 2 }}")),
        (
            "body",
            "body.text",
            "parameters are written {{1}}, {{2}}, ... (no spaces, names or braces)",
        ),
    ),
    (
        "parameters_side_by_side",
        changed("body.text", "Hi {{1}} {{2}}, your order has shipped and arrives tomorrow."),
        ("body", "body.text", "two parameters side by side: put words between them"),
    ),
    (
        "body_starts_with_a_parameter",
        changed("body.text", "{{1}}, your order {{2}} has shipped and arrives tomorrow."),
        ("body", "body.text", "must not start with a parameter"),
    ),
    (
        "body_ends_with_a_parameter",
        changed("body.text", "Hi {{1}}, your order has shipped and arrives tomorrow at {{2}}"),
        ("body", "body.text", "must not end with a parameter"),
    ),
    (
        "too_many_parameters_for_the_length",
        changed("body.text", "Hi {{1}}, order {{2}} shipped."),
        ("body", "body.text", RATIO),
    ),
    (
        "body_example_missing",
        changed("body.examples", ["Ann"]),
        ("body", "body.examples", "one example per parameter: 2 parameters, 1 example"),
    ),
    (
        "empty_example",
        changed("body.examples", ["Ann", " "]),
        ("body", "body.examples[1]", "is required (an example must not be empty)"),
    ),
    (
        "footer_too_long",
        changed("footer", "x" * 61),
        ("footer", "footer", "at most 60 characters (got 61)"),
    ),
    (
        "footer_with_a_parameter",
        changed("footer", "Thanks {{1}}"),
        ("footer", "footer", "must not have a parameter"),
    ),
    (
        "eleven_buttons",
        changed("buttons", [QUICK] * 9 + [STATIC_URL, PHONE]),
        ("buttons", "buttons", "at most 10 buttons (got 11)"),
    ),
    (
        "three_url_buttons",
        lambda s: s["buttons"].append(STATIC_URL) or s["buttons"].append(STATIC_URL),
        ("buttons", "buttons", "at most 2 URL buttons"),
    ),
    (
        "two_phone_numbers",
        lambda s: s["buttons"].append(PHONE),
        ("buttons", "buttons", "at most 1 PHONE_NUMBER button"),
    ),
    (
        "quick_replies_apart",
        lambda s: s["buttons"].append(QUICK),
        ("buttons", "buttons", "QUICK_REPLY buttons must be side by side, not split by others"),
    ),
    (
        "button_text_too_long",
        changed("buttons.0.text", "x" * 26),
        ("buttons", "buttons[0].text", "at most 25 characters (got 26)"),
    ),
    (
        "button_url_not_http",
        changed("buttons.2.url", "shop.example/track/{{1}}"),
        ("buttons", "buttons[2].url", "must be an http(s) URL with a host"),
    ),
    (
        "dynamic_url_parameter_not_at_the_end",
        changed("buttons.2.url", "https://shop.example/{{1}}/track"),
        ("buttons", "buttons[2].url", "a dynamic URL has one parameter, {{1}}, at its very end"),
    ),
    (
        "dynamic_url_example_missing",
        changed("buttons.2.examples", DROP),
        ("buttons", "buttons[2].examples", "a dynamic URL needs an example (the value of {{1}})"),
    ),
    (
        "url_parameter_not_dynamic",
        changed("buttons.2.url_type", DROP),
        ("buttons", "buttons[2].url_type", 'a URL with a parameter is url_type "dynamic"'),
    ),
    (
        "phone_number_not_international",
        lambda s: (
            s["buttons"][3].update(country_code=None, phone_number="085128567890")
            or s["buttons"][3].pop("country_code")
        ),
        (
            "buttons",
            "buttons[3].phone_number",
            "must be a number in international form, with its country code "
            '(country_code "+62", phone_number "85128567890")',
        ),
    ),
    (
        "authentication_without_otp",
        changed("category_id", "AUTHENTICATION"),
        ("otp", "otp", "is required"),
    ),
    (
        "otp_button_text_too_long",
        changed("otp", [{"otp_type": "COPY_CODE", "text": "x" * 26}]),
        ("otp", "otp[0].text", "at most 25 characters (got 26)"),
    ),
]
NEEDS_THE_LISTS = {"category_not_listed", "language_not_listed"}


def broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    spec = copy.deepcopy(GOOD)
    change(spec)
    return spec


def found(spec: Any) -> list[tuple[str, str, str]]:
    problems = _template_rules.problems(spec, categories=CATEGORIES, languages=LANGUAGES)
    return [(p.component, p.field, p.rule) for p in problems]


def test_the_good_template_breaks_no_rule() -> None:
    assert found(GOOD) == []


@pytest.mark.parametrize(("change", "problem"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_each_rule_is_named_exactly(
    change: Callable[[dict[str, Any]], None], problem: tuple[str, str, str]
) -> None:
    assert found(broken(change)) == [problem]


async def test_each_rule_is_refused_before_any_request(both: Both, emu: Emulator) -> None:
    for name, change, problem in BROKEN:
        spec = broken(change)
        with pytest.raises(ivowaba.ValidationError) as info:
            await both(lambda c, spec=spec: c.templates.create(**spec))
        error = info.value
        assert [(p.component, p.field, p.rule) for p in error.problems] == [problem], name
        assert (error.field, error.rule) == problem[1:], name
        with pytest.raises(ivowaba.ValidationError) as info:
            await both(lambda c, spec=spec: c.templates.update("60243665e4058d3b4a377bd2", **spec))
        assert [(p.field, p.rule) for p in info.value.problems] == [problem[1:]], name
    # Nothing was created or updated: the only requests asked for the gateway's categories and
    # languages, once, for the first template that needed them.
    assert [r.path for r in emu.requests] == LISTS


# -- the reference's examples, all problems at once, the gateway's lists --------------------

TEMPLATE_EXAMPLES = [
    e for e in wire_examples() if e["operation"] in ("templates.create", "templates.update")
]


@pytest.mark.parametrize(
    "example",
    TEMPLATE_EXAMPLES,
    ids=[f"{e['operation']}[{e['example']}]" for e in TEMPLATE_EXAMPLES],
)
async def test_the_references_templates_pass_unchanged(
    example: dict[str, Any], aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    body = example["json_body"]
    assert found(body) == []
    assert await aclient.templates.lint(body) == []
    created = await aclient.templates.create(**body)  # checked, then sent
    assert created.label == body["label"]


async def test_every_problem_at_once_in_one_error(both: Both, emu: Emulator) -> None:
    spec = broken(changed("body.text", "{{1}} and {{3}}"))
    spec.update(footer="x" * 61, language_id="xx")  # the language is not checked: no request
    spec["buttons"][0]["text"] = "x" * 26

    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.templates.create(**spec))

    error = info.value
    assert [str(p) for p in error.problems] == [
        "body.text: parameters are numbered from {{1}} without gaps (found {{1}}, {{3}})",
        "body.text: must not start with a parameter",
        "body.text: must not end with a parameter",
        "body.text: too many parameters for its length: with 2 parameters it needs 5 words "
        "besides them (got 1), as words and parameters together must be at least 3 per "
        "parameter, plus 1",
        "footer: at most 60 characters (got 61)",
        "buttons[0].text: at most 25 characters (got 26)",
    ]
    assert (error.field, error.rule) == ("body.text", error.problems[0].rule)
    assert str(error) == "; ".join(str(p) for p in error.problems)
    assert {p.component for p in error.problems} == {"body", "footer", "buttons"}
    assert emu.requests == []


async def test_the_gateways_lists_are_asked_for_once_per_client(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    assert await aclient.templates.lint({**GOOD, "language_id": "xx"}) != []
    assert await aclient.templates.lint({**GOOD, "category_id": "NOPE"}) != []
    await aclient.templates.create(**GOOD)
    assert [r.path for r in emu.requests] == [*LISTS, "/api/v1/message-templates"]


async def test_check_false_sends_the_template_as_it_is(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    spec = broken(changed("body.text", "{{1}}"))
    created = await aclient.templates.create(check=False, **spec)
    updated = await aclient.templates.update(created.id, check=False, **spec)
    assert updated.id == created.id
    assert [r.json()["body"]["text"] for r in emu.requests] == ["{{1}}", "{{1}}"]


async def test_lint_names_what_is_no_template_field(aclient: ivowaba.AsyncClient) -> None:
    problems = await aclient.templates.lint({**GOOD, "lable": "typo", "buttons": None})
    assert problems == [
        TemplateProblem(component="template", field="lable", rule="is not a field of a template")
    ]


@pytest.mark.parametrize("spec", ["spec", None, [("label", "x")], 42], ids=repr)
async def test_lint_refuses_what_is_no_dict(both: Both, emu: Emulator, spec: Any) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.templates.lint(spec))
    given = "None" if spec is None else type(spec).__name__
    assert (info.value.field, info.value.rule) == (
        "spec",
        f"must be a dict of the template's fields, not {given}",
    )
    assert emu.requests == []


@pytest.mark.parametrize("value", ["yes", 1, None], ids=repr)
async def test_create_and_update_check_is_a_flag(both: Both, emu: Emulator, value: Any) -> None:
    for op in (
        lambda c: c.templates.create(check=value, **GOOD),
        lambda c: c.templates.update("60243665e4058d3b4a377bd2", check=value, **GOOD),
    ):
        with pytest.raises(ivowaba.ValidationError) as info:
            await both(op)
        assert (info.value.field, info.value.rule) == ("check", "must be True or False")
    assert emu.requests == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("buttons", "QUICK_REPLY"), ("buttons", GOOD["buttons"][0]), ("otp", "COPY_CODE")],
    ids=repr,
)
async def test_create_refuses_a_string_or_dict_for_a_list(
    both: Both, emu: Emulator, field: str, value: Any
) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.templates.create(**{**GOOD, field: value}))
    assert (info.value.field, info.value.rule) == (field, "must be a list")
    assert emu.requests == []


async def test_a_keyword_missing_is_a_problem_like_any_other(aclient: ivowaba.AsyncClient) -> None:
    spec = {k: v for k, v in GOOD.items() if k != "label"}
    with pytest.raises(ivowaba.ValidationError) as info:
        await aclient.templates.create(**spec)
    assert (info.value.field, info.value.rule) == ("label", "is required")
    with pytest.raises(ivowaba.ValidationError) as info:  # unchecked: the struct's own message
        await aclient.templates.create(check=False, **spec)
    assert info.value.field == "template"
    assert "label" in info.value.rule


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("not a template", ("template", "template", "must be an object")),
        ({**GOOD, "header": "TEXT"}, ("header", "header", "must be an object")),
        ({**GOOD, "buttons": {"type": "URL"}}, ("buttons", "buttons", "must be a list")),
        ({**GOOD, "buttons": ["Track"]}, ("buttons", "buttons[0]", "must be an object")),
        ({**GOOD, "is_propose": "yes"}, ("template", "is_propose", "must be true or false")),
        (
            {**GOOD, "code_expiration_minutes": "30"},
            ("template", "code_expiration_minutes", "must be an integer"),
        ),
        ({**GOOD, "footer": 3}, ("footer", "footer", "must be a string")),
        (
            {**GOOD, "body": {**GOOD["body"], "examples": "Ann"}},
            ("body", "body.examples", "must be a list"),
        ),
        (
            {**GOOD, "body": {**GOOD["body"], "examples": ["Ann", 2]}},
            ("body", "body.examples[1]", "must be a string"),
        ),
    ],
    ids=[
        "spec",
        "header",
        "buttons",
        "button",
        "is_propose",
        "minutes",
        "footer",
        "examples",
        "example",
    ],
)
def test_a_definition_of_the_wrong_shape_is_named_too(
    spec: Any, problem: tuple[str, str, str]
) -> None:
    assert found(spec) == [problem]


def test_the_names_and_numbers_the_rules_read() -> None:
    assert (
        _limits.template_name("New Project Setup Notification") == "new_project_setup_notification"
    )
    assert _limits.template_name("¡Hola!") == "hola"
    assert _limits.template_parameters("{{1}} and {{ 2 }}, {{1}}") == [1, 2, 1]
    assert _limits.words_needed(0) == 0
    assert [_limits.words_needed(n) + n for n in (1, 2, 5)] == [4, 7, 16]  # 3n + 1
    assert _limits.template_words("Hi {{1}}, order {{2}} - shipped!") == 3
    assert _limits.is_international_phone("+62", "851-2856-7890")
    assert _limits.is_international_phone(None, "+6285128567890")
    assert not _limits.is_international_phone(None, "085128567890")
    assert _limits.quick_replies_grouped(["URL", "QUICK_REPLY", "QUICK_REPLY"])
    assert not _limits.quick_replies_grouped(["QUICK_REPLY", "URL", "QUICK_REPLY"])


# -- the client and the emulator agree ------------------------------------------------------


def client_verdict(spec: dict[str, Any]) -> list[TemplateProblem]:
    """What ``create(check=True)`` refuses ``spec`` for, the gateway's lists being the
    emulator's."""
    body = _json.decode_any(_json.encode(_values(spec)))
    return _template_rules.problems(body, categories=CATEGORIES, languages=LANGUAGES)


def emulator_verdict(spec: dict[str, Any]) -> str:
    """What the emulator makes of the body the client sends for ``spec``: ``"invalid"`` (422)
    or the status its review gives (``template_review_delay=0``)."""
    body = _json.decode_any(_json.encode(_values(spec)))
    if validate(partial(template_spec, languages=LANGUAGES), body):
        return "invalid"
    template = _templates.create(body)
    reviews = _templates.Reviews()
    reviews.defined(template, body, 0.0)
    if template["status"] == "draft":  # not proposed with it: proposed after
        template["status"] = "submitted"
        reviews.submitted(template, 0.0)
    reviews.settle({template["id"]: template}, 0.0)
    return str(template["status"])


# A drawn template is one of a few good ones with up to three fields replaced by edge values,
# so that one rule (or the interplay of two or three) decides the verdict.
WORDS = st.sampled_from(["Hi", "your", "order", "has", "shipped", "today", ",", "-", "é"])
PARAMETERS = st.sampled_from(["{{1}}", "{{2}}", "{{1}}", "{{3}}", "{{ 1 }}", "{{name}}", "}}"])
TEXTS = st.one_of(
    st.lists(st.one_of(WORDS, WORDS, WORDS, PARAMETERS), max_size=14).map(" ".join),
    st.lists(st.one_of(WORDS, PARAMETERS), max_size=5).map("".join),
    st.sampled_from(["", " ", "a\nb {{1}} c", "x" * 61, "word " * 205, BODY]),
)
EXAMPLES = st.one_of(
    st.just(DROP), st.lists(st.sampled_from(["Ann", "#12", "Ann", " ", 3]), max_size=3)
)
BUTTON = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "BOGUS"]),
        "text": st.sampled_from(["Track", "Track", "", "x" * 25, "x" * 26]),
    },
    optional={
        "url": st.sampled_from(
            ["https://shop.example/t/{{1}}", "https://shop.example/t", "https://s.example/{{1}}/t"]
        ),
        "url_type": st.sampled_from(["static", "dynamic", "dynamic", "weird"]),
        "country_code": st.just("+62"),
        "phone_number": st.sampled_from(["85128567890", "085128567890", "+6285128567890"]),
        "examples": st.lists(st.sampled_from(["1042", " "]), max_size=2),
    },
)
#: A dotted path of a template (``buttons.2.url``) and edge values for it.
EDGE_VALUES: list[tuple[str, list[Any]]] = [
    ("label", ["Order", "!!!", "", " ", "a" * 512, "a" * 513, 3, None]),
    ("category_id", ["MARKETING", "AUTHENTICATION", "BOGUS", ""]),
    ("language_id", ["id", "xx", DROP]),
    ("is_propose", [1, 0, "yes", None, DROP]),
    ("add_security_recommendation", [True, "no"]),
    ("code_expiration_minutes", [1, 90, 0, 91, "30", True]),
    (
        "header",
        [
            DROP,
            {},
            "TEXT",
            {"format": "IMAGE"},
            {"format": "VIDEO", "examples": ["https://v.ex/a"]},
            {"format": "LOCATION"},
            {"format": "GIF"},
            {"format": "TEXT"},
            {"format": "IMAGE", "text": 3},
        ],
    ),
    ("header.text", ["Order", "", "x" * 60, "x" * 61, "a\nb", "{{1}} {{2}}", None]),
    ("header.examples", [DROP, [], [" "], [3], "Ann", ["#1", "#2"]]),
    ("body", [DROP, {}, None, [], {"text": "Hello there"}, {"text": 3}]),
    ("body.text", ["", " ", "x" * 1024, "x" * 1025, "{{1}} {{2}}", "Hi {{1}}, {{2}} ok now", BODY]),
    ("body.examples", [DROP, [], ["Ann"], ["Ann", " "], ["Ann", "B", "C"], "Ann"]),
    ("footer", [DROP, "", "x" * 60, "x" * 61, "Hi {{1}}", None, 3]),
    ("buttons", [DROP, [], "URL", ["URL"], [QUICK] * 10, [QUICK] * 11, [STATIC_URL] * 3]),
    ("buttons.0.type", ["URL", "COPY_CODE", "FLOW", "BOGUS", DROP]),
    ("buttons.0.text", ["", "x" * 25, "x" * 26, DROP]),
    ("buttons.2.url", ["https://shop.example/{{1}}/t", "ftp://x", "x" * 2001, DROP, None]),
    ("buttons.2.url_type", [DROP, "static", "weird"]),
    ("buttons.2.examples", [DROP, [], [" "]]),
    ("buttons.3.phone_number", ["085128567890", "12", "+6285128567890", DROP]),
    ("buttons.3.country_code", [DROP, "+1", "0", 62]),
    ("otp", [DROP, [], [{"otp_type": "ONE_TAP"}], [{"otp_type": "TAP"}], [{}], ["x"]]),
]
EDGES: list[tuple[str, st.SearchStrategy[Any]]] = [
    (path, st.sampled_from(values)) for path, values in EDGE_VALUES
] + [
    ("header.text", TEXTS),
    ("header.examples", EXAMPLES),
    ("body.text", TEXTS),
    ("body.text", TEXTS),
    ("body.examples", EXAMPLES),
    ("buttons", st.lists(BUTTON, max_size=11)),
    ("buttons.0", BUTTON),
    ("buttons.2", BUTTON),
]
GOOD_ONES = [
    GOOD,
    {
        "label": "Hello",
        "category_id": "MARKETING",
        "language_id": "id",
        "is_propose": True,
        "body": {"text": "Hello, our new shop is open today."},
    },
    TEMPLATE_EXAMPLES[1]["json_body"] | {"is_propose": True},  # a media header
    TEMPLATE_EXAMPLES[4]["json_body"] | {"is_propose": True},  # an OTP template
]


def edit(spec: dict[str, Any], path: str, value: Any) -> None:
    """Set the field at ``path`` of ``spec`` (``DROP``: remove it); nothing when a part on
    the way is missing."""
    *parents, last = path.split(".")
    target: Any = spec
    for key in parents:
        if isinstance(target, list) and key.isdigit() and int(key) < len(target):
            target = target[int(key)]
        elif isinstance(target, dict) and key in target:
            target = target[key]
        else:
            return
    if isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = value
    elif isinstance(target, dict):
        if value is DROP:
            target.pop(last, None)
        else:
            target[last] = value


@st.composite
def templates(draw: st.DrawFn) -> dict[str, Any]:
    spec = copy.deepcopy(draw(st.sampled_from(GOOD_ONES)))
    for path, values in draw(st.lists(st.sampled_from(EDGES), max_size=3)):
        edit(spec, path, draw(values))
    return spec


@settings(
    max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(templates())
def test_the_client_refuses_a_template_if_and_only_if_the_emulator_rejects_it(
    spec: dict[str, Any],
) -> None:
    refused = client_verdict(spec)
    verdict = emulator_verdict(spec)
    assert verdict in ("invalid", "approved", "rejected")
    assert (not refused) == (verdict == "approved"), (refused, verdict, spec)


def test_every_edge_alone_and_every_broken_rule_agree_too() -> None:
    specs = [GOOD, *(broken(change) for _, change, _ in BROKEN)]
    for path, values in EDGE_VALUES:
        for value in values:
            spec = copy.deepcopy(GOOD)
            edit(spec, path, value)
            specs.append(spec)
    verdicts = Counter()
    for spec in specs:
        verdict = emulator_verdict(spec)
        verdicts[verdict] += 1
        assert (client_verdict(spec) == []) == (verdict == "approved"), spec
    assert verdicts.keys() == {"approved", "rejected", "invalid"}


# -- ivowaba templates lint -----------------------------------------------------------------


def _spec_file(tmp_path: Path, spec: Any) -> str:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return str(path)


def _connection(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--api-key", emu.api_key]


def test_lint_command_exits_0_for_a_clean_template(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _spec_file(tmp_path, TEMPLATE_EXAMPLES[0]["json_body"])
    assert run(["templates", "lint", path, *_connection(emu)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"{path}: no problems\n", "")


def test_lint_command_exits_2_with_one_line_per_problem(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = broken(changed("body.text", "{{1}} and {{2}}"))
    path = _spec_file(tmp_path, {**spec, "footer": "Thanks {{1}}"})

    assert run(["templates", "lint", path, *_connection(emu)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"ivowaba: {path}: body.text: must not start with a parameter",
        f"ivowaba: {path}: body.text: must not end with a parameter",
        f"ivowaba: {path}: body.text: {RATIO.replace('(got 3)', '(got 1)')}",
        f"ivowaba: {path}: footer: must not have a parameter",
    ]
    assert run(["templates", "lint", path, "--json", *_connection(emu)]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)[-1] == {
        "component": "footer",
        "field": "footer",
        "rule": "must not have a parameter",
    }
    # under --json an error is one JSON object on stderr, as the command line's guide says
    assert json.loads(err) == {"error": f"{path}: 4 problems", "type": "ValidationError"}
    assert emu.requests == []


@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "cannot read"), ("{nope", "is not JSON"), ("[1]", "must hold a JSON object")],
    ids=["missing", "not-json", "not-an-object"],
)
def test_lint_command_refuses_a_file_that_is_no_template(
    emu: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    said: str,
) -> None:
    path = tmp_path / "spec.json"
    if content is not None:
        path.write_text(content)
    assert run(["templates", "lint", str(path), *_connection(emu)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ivowaba: invalid spec: ")
    assert said in err
    assert len(err.splitlines()) == 1
