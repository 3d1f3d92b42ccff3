"""``client.<resource>.with_raw_response.<operation>(...)``: for every operation of every
resource, on both clients, the answer's status and headers, and a ``parse()`` that gives what
the plain call gives. Errors are raised as usual; iterators (many requests) have none."""

from __future__ import annotations

import inspect
from typing import Any

import msgspec
import pytest

import ivowaba
from ivowaba._operations import OPERATIONS
from ivowaba._resource import Resource, operation
from ivowaba.testing import Emulator
from tests.conftest import API_KEY, Both
from tests.test_wire_conformance import CALLS

#: One call of each operation, as the reference's first example of it makes it.
FIRST_CALLS = {}
for (_name, _example, _sandbox), _call in CALLS.items():
    if not _sandbox:
        FIRST_CALLS.setdefault(_name, _call)

#: What differs between two calls of an operation that makes something: its id, its times.
MADE_NEW = frozenset({"id", "template_id", "created_at", "updated_at"})


class Raw:
    """A client whose every resource is its ``with_raw_response``."""

    def __init__(self, client: ivowaba.AsyncClient | ivowaba.Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name).with_raw_response


def comparable(value: Any) -> Any:
    """``value`` as plain data, without what each call makes anew."""
    data = msgspec.to_builtins(value)

    def strip(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: strip(v) for k, v in item.items() if k not in MADE_NEW}
        if isinstance(item, list):
            return [strip(v) for v in item]
        return item

    return strip(data)


@pytest.fixture(autouse=True)
def _what_the_examples_name(emu: Emulator) -> None:
    emu.seed_reference_examples()


def test_every_operation_has_a_call_here() -> None:
    assert set(FIRST_CALLS) == set(OPERATIONS)


async def test_parse_gives_what_the_plain_call_gives(both: Both) -> None:
    for name, call in sorted(FIRST_CALLS.items()):
        plain = await both(call)
        raw = await both(lambda c, call=call: call(Raw(c)))

        assert isinstance(raw, ivowaba.RawResponse), name
        assert 200 <= raw.status_code < 300, name
        assert raw.headers["content-type"], name  # case-insensitive, as they came
        parsed = raw.parse()
        assert type(parsed) is type(plain), name
        assert comparable(parsed) == comparable(plain), name


async def test_the_headers_are_the_answers_own(both: Both, emu: Emulator) -> None:
    emu.fail_next(
        "messages.send_text",
        status=201,
        headers={"X-Request-Id": "req-7", "X-RateLimit-Remaining": "79"},
        body={"messages": [{"id": "wamid.raw"}]},
    )
    raw = await both(lambda c: c.messages.with_raw_response.send_text("628123456789", "hi"))

    assert raw.status_code == 201
    assert raw.headers["x-request-id"] == "req-7"
    assert raw.headers["X-RATELIMIT-REMAINING"] == "79"
    assert raw.parse() == ivowaba.SentMessage(id="wamid.raw")
    assert repr(raw) == "<RawResponse [201]>"


async def test_a_download_too(both: Both, emu: Emulator, tmp_path: Any) -> None:
    emu.add_media(b"\xff\xd8 jpeg", "image/jpeg", "cat.jpg", media_id="m1")
    raw = await both(lambda c: c.media.with_raw_response.download_to("m1", tmp_path))

    assert raw.status_code == 200
    assert raw.headers["Content-Type"] == "image/jpeg"
    assert raw.parse() == tmp_path / "cat.jpg"
    assert raw.parse().read_bytes() == b"\xff\xd8 jpeg"


async def test_errors_are_raised_as_usual(both: Both) -> None:
    with pytest.raises(ivowaba.NotFoundError):
        await both(lambda c: c.templates.with_raw_response.get("missing"))
    with pytest.raises(ivowaba.ValidationError):
        await both(lambda c: c.messages.with_raw_response.send_text("628123456789", ""))


async def test_an_operation_that_asks_twice_answers_with_its_own(both: Both, emu: Emulator) -> None:
    # templates.create reads the categories and languages first; the answer is the create's
    call = CALLS[("templates.create", "Basic", False)]
    raw = await both(lambda c: call(Raw(c)))

    assert [r.operation for r in emu.requests][-1] == "templates.create"
    assert isinstance(raw.parse(), ivowaba.Template)


def test_every_operation_of_every_resource_is_there(client: ivowaba.Client) -> None:
    aclient = client._aclient
    for group in ("contacts", "countries", "media", "messages", "settings", "templates"):
        resource = getattr(aclient, group)
        declared = {
            name
            for klass in type(resource).__mro__
            for name, value in vars(klass).items()
            if isinstance(value, operation)
        }
        assert declared
        for owner in (aclient, client):
            raw = getattr(owner, group).with_raw_response
            assert repr(raw) == f"<{type(resource).__name__}.with_raw_response>"
            assert set(dir(raw)) == declared
            for name in declared:
                shown = inspect.signature(getattr(raw, name))
                assert str(shown.return_annotation).startswith("RawResponse["), (group, name)
    assert isinstance(aclient.webhooks, Resource)
    assert type(Resource.with_raw_response).__name__ == "_WithRawResponse"  # on the class


def test_iterators_have_no_raw_response(client: ivowaba.Client) -> None:
    with pytest.raises(AttributeError, match=r"has no 'iter' \(it makes many requests\)"):
        client.templates.with_raw_response.iter  # noqa: B018
    with pytest.raises(AttributeError, match=r"has no 'nothing' \(no operation\)"):
        client.messages.with_raw_response.nothing  # noqa: B018


def test_a_raw_call_keeps_a_temporary_blocking_client_open(emu: Emulator) -> None:
    send = ivowaba.Client(api_key=API_KEY, base_url=emu.base_url).messages.with_raw_response
    raw = send.send_text("628123456789", "hi")

    assert raw.status_code == 200
    assert raw.parse().id == emu.outbox[-1].id


async def test_event_hooks_see_raw_calls_too(emu: Emulator) -> None:
    seen: list[int | None] = []
    async with ivowaba.AsyncClient(
        api_key=API_KEY,
        base_url=emu.base_url,
        event_hooks={"response": [lambda event: seen.append(event.status)]},
    ) as client:
        await client.countries.with_raw_response.list()

    assert seen == [200]
