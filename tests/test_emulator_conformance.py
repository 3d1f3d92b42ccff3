"""Every example request of the reference, posted raw to the emulator, gets a 2xx answer of
the documented shape; a copy broken in one place gets a 422 naming that place."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ivowaba.testing import Emulator

# The vendor's example requests, copied into the test fixtures.
EXAMPLES_PATH = Path(__file__).resolve().parent / "fixtures" / "wire-examples.json"
EXAMPLES: list[dict[str, Any]] = json.loads(EXAMPLES_PATH.read_text())
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
DELETE = object()


def example_id(example: dict[str, Any]) -> str:
    prefix = "sandbox:" if example["sandbox"] else ""
    return f"{prefix}{example['operation']}[{example['example']}]"


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as emu:
        emu.seed_reference_examples()
        yield emu


async def post_raw(
    emu: Emulator, example: dict[str, Any], json_body: Any = None
) -> tuple[int, dict[str, str], bytes]:
    kwargs: dict[str, Any] = {"params": example.get("query")}
    if example["multipart"]:
        form = aiohttp.FormData()
        form.add_field("photo", PNG, filename="photo.png", content_type="image/png")
        kwargs["data"] = form
    elif json_body is not None:
        kwargs["json"] = json_body
    headers = {"X-API-KEY": emu.api_key, "Accept": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            example["method"], emu.base_url + example["url"], headers=headers, **kwargs
        ) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def check_shape(operation: str, body: Any, headers: dict[str, str]) -> None:
    """The documented shape of each operation's answer."""
    if operation.startswith("messages.send"):
        assert list(body) == ["messages"]
        (message,) = body["messages"]
        assert message["id"].startswith("gBEG")
        assert len(message["id"]) > 20
    elif operation == "contacts.check":
        assert [c["status"] for c in body["contacts"]] == ["valid", "valid"]
        assert body["contacts"][0] == {
            "input": "+628954218621",
            "status": "valid",
            "wa_id": "628954218621",
        }
        assert body["meta"] == {"api_status": "stable", "version": "2.33.3"}
    elif operation == "countries.list":
        indonesia = next(c for c in body["data"] if c["iso"] == "ID")
        assert indonesia == {
            "id": "6074716f6c09086f640ee9da",
            "name": "Indonesia",
            "dial_code": "+62",
            "iso": "ID",
            "iso3": "IDN",
        }
    elif operation in ("templates.list", "templates.list_all"):
        pagination = body["meta"]["pagination"]
        assert pagination["count"] == len(body["data"]) >= 1
        assert pagination["per_page"] == 15
        assert pagination["current_page"] == 1
        assert body["data"][0]["id"] == "60243665e4058d3b4a377bd2"
    elif operation in ("templates.create", "templates.get", "templates.update"):
        assert {
            "id",
            "label",
            "template_name",
            "status",
            "category_id",
            "language_id",
            "components",
            "histories",
            "created_at",
            "updated_at",
        } <= set(body)
        assert all(c["type"] in {"HEADER", "BODY", "FOOTER", "BUTTONS"} for c in body["components"])
    elif operation in ("templates.categories", "templates.languages"):
        assert all(set(item) == {"id", "name"} for item in body["data"])
    elif operation == "messages.mark_read":
        assert body is None
    elif operation == "settings.get_business_profile":
        assert set(body["settings"]["business"]["profile"]) == {
            "address",
            "description",
            "email",
            "vertical",
            "websites",
        }
    elif operation == "settings.get_about":
        assert body["settings"]["profile"]["about"]["text"] == "Halo Dunia.."
    elif operation == "settings.get_photo":
        assert body["settings"]["profile"]["photo"]["link"].startswith("https://")
    elif operation in (
        "settings.update_business_profile",
        "settings.update_about",
        "settings.update_photo",
    ):
        assert body == {"meta": {"api_status": "stable", "version": "2.33.3"}}
    elif operation == "webhooks.list":
        assert {"id", "name", "url", "events", "headers", "status", "http_auth"} <= set(
            body["data"][0]
        )
    elif operation == "webhooks.pull_pending":
        assert body == {"data": []}
    elif operation == "templates.propose":
        assert body["id"] == "iusto"
    else:
        raise AssertionError(f"no shape check for {operation}")


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
async def test_example_request_is_accepted(emulator: Emulator, example: dict[str, Any]) -> None:
    status, headers, raw = await post_raw(emulator, example, example["json_body"])

    assert 200 <= status < 300, raw
    if example["operation"] == "media.download":
        assert raw == emulator.media["f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"].content
        assert headers["Content-Type"] == "image/jpeg"
        return
    assert headers["Content-Type"].startswith("application/json")
    check_shape(example["operation"], json.loads(raw), headers)
    if example["operation"].startswith("messages.send"):
        (entry,) = emulator.outbox
        assert entry.body == example["json_body"]
        assert entry.sandbox is example["sandbox"]
        assert entry.id == json.loads(raw)["messages"][0]["id"]


def mutated(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``body`` with the dotted ``path`` set to ``value`` (or deleted)."""
    copy_ = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = copy_
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return copy_


#: operation -> (field path, new value or DELETE) breaking one rule each.
MUTATIONS: dict[str, list[tuple[str, Any]]] = {
    "contacts.check": [("contacts", DELETE), ("contacts", "+628954218621"), ("contacts.0", 62)],
    "templates.create": [("label", DELETE), ("category_id", "BOGUS"), ("is_propose", "no")],
    "templates.update": [("language_id", DELETE), ("body.text", ["x"]), ("buttons.0.url", 3)],
    "messages.send_contacts": [("contacts.0.name", DELETE), ("contacts.0.phones", "x")],
    "messages.send_location": [("latitude", DELETE), ("longitude", "east"), ("latitude", 91)],
    "messages.send_media": [("link", DELETE), ("type", "gif"), ("link", "ftp://x/y")],
    "messages.send_template": [("template_id", DELETE), ("components", {"type": "body"})],
    "messages.send_text": [("text", DELETE), ("text", 42), ("text", "x" * 4097)],
    "messages.send_reply_buttons": [("action.buttons.0.title", "x" * 21), ("body", DELETE)],
    "messages.send_list": [("action.sections.0.rows.0.title", "x" * 25), ("action.button", 1)],
    "messages.send_product": [("action.catalog_id", DELETE), ("body", 7)],
    "messages.send_product_list": [("header", DELETE), ("action.sections", [])],
    "messages.send_flow": [("action.parameters.flow_cta", "x" * 21), ("body", None)],
    "settings.update_business_profile": [("websites", "https://x.com"), ("email", 1)],
    "settings.update_about": [("text", DELETE), ("text", "x" * 140)],
}


def broken_copies() -> list[Any]:
    cases = []
    for example in EXAMPLES:
        body = example["json_body"]
        if body is None:
            continue
        changes = list(MUTATIONS[example["operation"]])
        if "wa_id" in body:
            changes += [("wa_id", DELETE), ("wa_id", 628123456789), ("wa_id", "+62 812-3456")]
        for path, value in changes:
            shown = "<deleted>" if value is DELETE else repr(value)[:12]
            case_id = f"{example_id(example)}:{path}={shown}"
            cases.append(pytest.param(example, path, value, id=case_id))
    return cases


@pytest.mark.parametrize(("example", "path", "value"), broken_copies())
async def test_broken_copy_is_refused_naming_the_field(
    emulator: Emulator, example: dict[str, Any], path: str, value: Any
) -> None:
    body = mutated(example["json_body"], path, value)

    status, _, raw = await post_raw(emulator, example, body)

    assert status == 422, raw
    answer = json.loads(raw)
    assert path in answer["errors"], answer
    assert answer["message"].startswith(answer["errors"][next(iter(answer["errors"]))][0])
    assert emulator.outbox == []


async def test_example_list_covers_every_operation_of_the_emulator() -> None:
    from ivowaba._operations import OPERATIONS

    assert {e["operation"] for e in EXAMPLES} == set(OPERATIONS)
    assert set(MUTATIONS) == {e["operation"] for e in EXAMPLES if e["json_body"] is not None}
