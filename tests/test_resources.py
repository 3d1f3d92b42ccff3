"""Operations beyond the wire examples: template pagination, media downloads, the profile
photo upload, contact checks, business-profile updates, answers that do not decode, and
``webhooks.pull_pending``. Every test runs through ``AsyncClient`` and the blocking ``Client``."""

from __future__ import annotations

import email
import email.policy
import io
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aioresponses import aioresponses

import ivowaba
from ivowaba.testing import Emulator
from ivowaba.types.contacts import ContactCheck
from ivowaba.types.resources import Media, Page
from ivowaba.types.templates import Template
from tests.conftest import API_KEY, Both, client_of_kind

TEMPLATES = "/api/v1/message-templates"
ALL_TEMPLATES = "/api/v1/message-templates/all-templates"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg body" * 50


def template(template_id: str) -> dict[str, Any]:
    return {
        "id": template_id,
        "label": f"Template {template_id}",
        "status": "approved",
        "components": [{"type": "BODY", "text": "Halo {{1}}"}],
    }


def page(number: int, total_pages: int, ids: list[str]) -> dict[str, Any]:
    return {
        "data": [template(i) for i in ids],
        "meta": {
            "pagination": {
                "total": 5,
                "count": len(ids),
                "per_page": 2,
                "current_page": number,
                "total_pages": total_pages,
                "links": {},
            }
        },
    }


THREE_PAGES = [page(1, 3, ["t1", "t2"]), page(2, 3, ["t3", "t4"]), page(3, 3, ["t5"])]


async def collect(iterable: Any) -> list[Any]:
    """Every item of an async iterator (``AsyncClient``) or a plain one (``Client``)."""
    if hasattr(iterable, "__anext__"):
        return [item async for item in iterable]
    assert isinstance(iterable, Iterator)
    return list(iterable)


def queries(emu: Emulator) -> list[tuple[str, str, dict[str, str]]]:
    return [(r.method, r.path, r.query) for r in emu.requests]


# ---------------------------------------------------------------------------------------------
# templates: pages


@pytest.mark.parametrize(("name", "path"), [("iter", TEMPLATES), ("iter_all", ALL_TEMPLATES)])
async def test_iter_walks_every_page(both: Both, emu: Emulator, name: str, path: str) -> None:
    for answer in THREE_PAGES:
        emu.fail_next("*", status=200, body=answer)
    templates = await collect(getattr(both.target.templates, name)())
    assert [t.id for t in templates] == ["t1", "t2", "t3", "t4", "t5"]
    assert all(isinstance(t, Template) for t in templates)
    assert queries(emu) == [
        ("GET", path, {}),
        ("GET", path, {"page": "2"}),
        ("GET", path, {"page": "3"}),
    ]


@pytest.fixture(params=["async", "sync"])
async def mocked(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Both, aioresponses]]:
    """A client of either kind whose requests are answered by aioresponses."""
    with aioresponses() as m:
        options: dict[str, Any] = dict(api_key=API_KEY, base_url="https://waba.test", max_retries=0)
        if request.param == "async":
            async with ivowaba.AsyncClient(**options) as c:
                yield Both(c), m
        else:
            with ivowaba.Client(**options) as c2:
                yield Both(c2), m


@pytest.mark.parametrize(("name", "path"), [("iter", TEMPLATES), ("iter_all", ALL_TEMPLATES)])
async def test_first_page_has_no_query_string_at_all(
    mocked: tuple[Both, aioresponses], name: str, path: str
) -> None:
    both, m = mocked
    base = "https://waba.test" + path
    m.get(base, payload=THREE_PAGES[0])
    m.get(base + "?page=2", payload=THREE_PAGES[1])
    m.get(base + "?page=3", payload=THREE_PAGES[2])
    templates = await collect(getattr(both.target.templates, name)())
    assert len(templates) == 5
    urls = [str(url) for (_, url) in m.requests]
    assert urls == [base, base + "?page=2", base + "?page=3"]
    assert all(len(calls) == 1 for calls in m.requests.values())


def test_sync_iter_is_a_plain_lazy_iterator(client: ivowaba.Client, emu: Emulator) -> None:
    for answer in THREE_PAGES:
        emu.fail_next("*", status=200, body=answer)
    iterator = client.templates.iter()
    assert isinstance(iterator, Iterator)
    assert not hasattr(iterator, "__anext__")
    assert next(iterator).id == "t1"
    assert len(emu.requests) == 1  # a page is fetched only when it is needed
    assert next(iterator).id == "t2"
    assert len(emu.requests) == 1
    assert next(iterator).id == "t3"
    assert len(emu.requests) == 2
    assert [t.id for t in iterator] == ["t4", "t5"]
    assert len(emu.requests) == 3


def test_sync_iter_can_be_left_early(client: ivowaba.Client, emu: Emulator) -> None:
    for answer in THREE_PAGES:
        emu.fail_next("*", status=200, body=answer)
    for t in client.templates.iter_all():
        if t.id == "t2":
            break
    assert len(emu.requests) == 1
    assert client.templates.list().data[0].id == "t3"  # the client is still usable


async def test_async_iter_is_lazy(aclient: ivowaba.AsyncClient, emu: Emulator) -> None:
    for answer in THREE_PAGES:
        emu.fail_next("*", status=200, body=answer)
    seen = []
    async for t in aclient.templates.iter():
        seen.append((t.id, len(emu.requests)))
    assert seen == [("t1", 1), ("t2", 1), ("t3", 2), ("t4", 2), ("t5", 3)]


async def test_iter_stops_on_an_empty_page(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=page(1, 9, ["t1"]))
    emu.fail_next("*", status=200, body=page(2, 9, []))
    templates = await collect(both.target.templates.iter())
    assert [t.id for t in templates] == ["t1"]
    assert len(emu.requests) == 2


async def test_iter_without_pagination_reads_one_page(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body={"data": [template("only")]})
    templates = await collect(both.target.templates.iter())
    assert [t.id for t in templates] == ["only"]
    assert queries(emu) == [("GET", TEMPLATES, {})]


@pytest.mark.parametrize(
    ("name", "page_arg", "path", "query"),
    [
        ("list", None, TEMPLATES, {}),
        ("list", 1, TEMPLATES, {}),
        ("list", 2, TEMPLATES, {"page": "2"}),
        ("list_all", None, ALL_TEMPLATES, {}),
        ("list_all", 3, ALL_TEMPLATES, {"page": "3"}),
    ],
)
async def test_list_one_page(
    both: Both,
    emu: Emulator,
    name: str,
    page_arg: int | None,
    path: str,
    query: dict[str, str],
) -> None:
    emu.fail_next("*", status=200, body=THREE_PAGES[1])
    result = await both(lambda c: getattr(c.templates, name)(page=page_arg))
    assert isinstance(result, Page)
    assert [t.id for t in result.data] == ["t3", "t4"]
    assert result.pagination.current_page == 2
    assert result.pagination.total_pages == 3
    assert result.has_next
    assert queries(emu) == [("GET", path, query)]


@pytest.mark.parametrize("bad", [0, -1, "2", 1.5])
async def test_list_rejects_a_bad_page(both: Both, emu: Emulator, bad: Any) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.templates.list(page=bad))
    assert info.value.field == "page"
    assert emu.requests == []


async def test_list_rejects_page_true(both: Both, emu: Emulator) -> None:
    with pytest.raises(ivowaba.ValidationError):
        await both(lambda c: c.templates.list(page=True))
    assert emu.requests == []


# ---------------------------------------------------------------------------------------------
# media


async def test_download(both: Both, emu: Emulator) -> None:
    emu.fail_next(
        "*",
        status=200,
        body=PNG,
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="logo.png"',
        },
    )
    media = await both(lambda c: c.media.download("f043afd0-f0ae"))
    assert isinstance(media, Media)
    assert media.content == PNG
    assert media.content_type == "image/png"
    assert media.filename == "logo.png"
    assert queries(emu) == [("GET", "/api/v1/media/f043afd0-f0ae", {})]
    assert "bytes" in repr(media)
    assert str(PNG[:8]) not in repr(media)


async def test_download_without_a_filename(both: Both, emu: Emulator) -> None:
    emu.fail_next("*", status=200, body=b"OggS voice", headers={"Content-Type": "audio/ogg"})
    media = await both(lambda c: c.media.download("voice-1"))
    assert media == Media(content=b"OggS voice", content_type="audio/ogg", filename=None)


async def test_download_rejects_an_empty_id(both: Both, emu: Emulator) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.media.download(""))
    assert info.value.field == "media_id"
    assert emu.requests == []


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _no_partials(directory: Path) -> None:
    assert [p.name for p in directory.rglob("*.part")] == []


async def test_download_to_a_file(both: Both, emu: Emulator, tmp_path: Path) -> None:
    big = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit: many chunks
    emu.fail_next("*", status=200, body=big, headers={"Content-Type": "video/mp4"})
    target = tmp_path / "clip.mp4"
    result = await both(lambda c: c.media.download_to("clip-1", target))
    assert result == target
    assert isinstance(result, Path)
    assert target.read_bytes() == big
    assert listing(tmp_path) == ["clip.mp4"]


async def test_download_to_a_str_path(both: Both, emu: Emulator, tmp_path: Path) -> None:
    emu.fail_next("*", status=200, body=b"data", headers={"Content-Type": "image/png"})
    result = await both(lambda c: c.media.download_to("m1", str(tmp_path / "x.png")))
    assert result == tmp_path / "x.png"
    assert result.read_bytes() == b"data"


async def test_download_into_a_directory(both: Both, emu: Emulator, tmp_path: Path) -> None:
    emu.fail_next(
        "*",
        status=200,
        body=PNG,
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="logo.png"',
        },
    )
    result = await both(lambda c: c.media.download_to("m1", tmp_path))
    assert result == tmp_path / "logo.png"
    assert result.read_bytes() == PNG
    assert listing(tmp_path) == ["logo.png"]


async def test_a_path_ending_in_a_slash_is_a_directory_made_if_missing(
    both: Both, emu: Emulator, tmp_path: Path
) -> None:
    emu.fail_next(
        "*",
        status=200,
        body=PNG,
        headers={"Content-Disposition": 'attachment; filename="logo.png"'},
    )
    result = await both(lambda c: c.media.download_to("m1", f"{tmp_path}/downloads/new/"))
    assert result == tmp_path / "downloads" / "new" / "logo.png"
    assert result.read_bytes() == PNG
    assert listing(tmp_path) == ["downloads"]  # not a file named "downloads"


async def test_download_into_a_directory_strips_path_parts(
    both: Both, emu: Emulator, tmp_path: Path
) -> None:
    inside = tmp_path / "inside"
    inside.mkdir()
    emu.fail_next(
        "*",
        status=200,
        body=b"x",
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="../../evil.png"',
        },
    )
    result = await both(lambda c: c.media.download_to("m1", inside))
    assert result == inside / "evil.png"
    assert listing(tmp_path) == ["inside"]
    assert listing(inside) == ["evil.png"]


async def test_download_into_a_directory_without_a_filename(
    both: Both, emu: Emulator, tmp_path: Path
) -> None:
    emu.fail_next("*", status=200, body=b"x", headers={"Content-Type": "image/png"})
    result = await both(lambda c: c.media.download_to("media-42", tmp_path))
    assert result == tmp_path / "media-42"
    assert result.read_bytes() == b"x"


async def test_download_into_a_directory_keeps_a_bad_media_id_inside(
    both: Both, emu: Emulator, tmp_path: Path
) -> None:
    inside = tmp_path / "inside"
    inside.mkdir()
    emu.fail_next("*", status=200, body=b"x", headers={"Content-Type": "image/png"})
    result = await both(lambda c: c.media.download_to("../escape", inside))
    assert listing(tmp_path) == ["inside"]
    assert result.resolve().parent == inside.resolve()


async def test_download_to_on_404_writes_nothing(both: Both, emu: Emulator, tmp_path: Path) -> None:
    emu.fail_next("*", status=404, body={"message": "Media not found"})
    with pytest.raises(ivowaba.NotFoundError) as info:
        await both(lambda c: c.media.download_to("gone", tmp_path / "gone.png"))
    assert info.value.status_code == 404
    assert info.value.message == "Media not found"
    assert listing(tmp_path) == []


async def test_download_to_on_404_keeps_an_existing_file(
    both: Both, emu: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "keep.png"
    target.write_bytes(b"previous")
    emu.fail_next("*", status=404, body={"message": "Media not found"})
    with pytest.raises(ivowaba.NotFoundError):
        await both(lambda c: c.media.download_to("gone", target))
    assert target.read_bytes() == b"previous"
    _no_partials(tmp_path)


class _TruncatingServer:
    """Answers every request with a 200 that promises 100 000 bytes, sends 10, and hangs up."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            conn, _ = self._sock.accept()
            if self._stopping.is_set():
                conn.close()
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
                    b"Content-Length: 100000\r\nConnection: close\r\n\r\n0123456789"
                )

    def close(self) -> None:
        self._stopping.set()
        socket.create_connection(self._sock.getsockname()).close()  # wakes accept()
        self._thread.join(5)
        assert not self._thread.is_alive()
        self._sock.close()


@pytest.fixture(params=["async", "sync"])
async def truncating(request: pytest.FixtureRequest) -> AsyncIterator[Both]:
    server = _TruncatingServer()
    try:
        async with client_of_kind(
            request.param, api_key=API_KEY, base_url=server.url, max_retries=0
        ) as through:
            yield through
    finally:
        server.close()


async def test_download_to_cut_short_leaves_nothing(truncating: Both, tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    with pytest.raises(ivowaba.APIConnectionError):
        await truncating(lambda c: c.media.download_to("clip", target))
    assert listing(tmp_path) == []


async def test_download_to_cut_short_keeps_an_existing_file(
    truncating: Both, tmp_path: Path
) -> None:
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"previous")
    with pytest.raises(ivowaba.APIConnectionError):
        await truncating(lambda c: c.media.download_to("clip", target))
    assert target.read_bytes() == b"previous"
    _no_partials(tmp_path)


# ---------------------------------------------------------------------------------------------
# settings.update_photo


def photo_part(emu: Emulator) -> email.message.EmailMessage:
    """The one multipart part of the one request, checked to be the "photo" form field."""
    assert len(emu.requests) == 1
    request = emu.requests[0]
    assert (request.method, request.path) == ("POST", "/api/v1/settings/profiles/photo")
    assert request.content_type == "multipart/form-data"
    content_type = request.headers["Content-Type"]
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body,
        policy=email.policy.HTTP,
    )
    assert isinstance(message, email.message.EmailMessage)
    parts = list(message.iter_parts())
    assert len(parts) == 1
    part = parts[0]
    assert isinstance(part, email.message.EmailMessage)
    assert part.get_content_disposition() == "form-data"
    assert part.get_param("name", header="content-disposition") == "photo"
    return part


async def test_update_photo_from_bytes(both: Both, emu: Emulator) -> None:
    assert await both(lambda c: c.settings.update_photo(JPEG)) is None
    part = photo_part(emu)
    assert part.get_payload(decode=True) == JPEG
    assert part.get_filename() == "photo.jpg"
    assert part.get_content_type() == "image/jpeg"


async def test_update_photo_png_bytes(both: Both, emu: Emulator) -> None:
    await both(lambda c: c.settings.update_photo(bytearray(PNG)))
    part = photo_part(emu)
    assert part.get_payload(decode=True) == PNG
    assert part.get_content_type() == "image/png"


async def test_update_photo_from_a_path(both: Both, emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "company-logo.png"
    path.write_bytes(PNG)
    await both(lambda c: c.settings.update_photo(path))
    part = photo_part(emu)
    assert part.get_payload(decode=True) == PNG
    assert part.get_filename() == "company-logo.png"
    assert part.get_content_type() == "image/png"


async def test_update_photo_from_a_str_path(both: Both, emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "me.jpg"
    path.write_bytes(JPEG)
    await both(lambda c: c.settings.update_photo(str(path)))
    part = photo_part(emu)
    assert part.get_payload(decode=True) == JPEG
    assert part.get_filename() == "me.jpg"


async def test_update_photo_from_an_open_file(both: Both, emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "avatar.jpg"
    path.write_bytes(JPEG)
    with path.open("rb") as file:
        await both(lambda c: c.settings.update_photo(file))
    part = photo_part(emu)
    assert part.get_payload(decode=True) == JPEG
    assert part.get_filename() == "avatar.jpg"  # the base name, never the directory


async def test_update_photo_from_a_bytesio(both: Both, emu: Emulator) -> None:
    await both(lambda c: c.settings.update_photo(io.BytesIO(PNG)))
    part = photo_part(emu)
    assert part.get_payload(decode=True) == PNG
    assert part.get_filename() == "photo.jpg"


@pytest.mark.parametrize("kind", ["missing-path", "text-file", "empty", "number"])
async def test_update_photo_rejects(both: Both, emu: Emulator, tmp_path: Path, kind: str) -> None:
    text_path = tmp_path / "notes.txt"
    text_path.write_text("hello")
    with text_path.open("r") as text_file:
        photo: Any = {
            "missing-path": tmp_path / "nope.jpg",
            "text-file": text_file,
            "empty": b"",
            "number": 42,
        }[kind]
        with pytest.raises(ivowaba.ValidationError) as info:
            await both(lambda c: c.settings.update_photo(photo))
    assert info.value.field == "photo"
    assert emu.requests == []


# ---------------------------------------------------------------------------------------------
# contacts.check


async def test_contacts_check_accepts_a_single_string(both: Both, emu: Emulator) -> None:
    result = await both(lambda c: c.contacts.check("+628954218621"))
    assert emu.requests[0].json() == {"contacts": ["+628954218621"]}
    assert (emu.requests[0].method, emu.requests[0].path) == (
        "POST",
        "/api/v1/contacts/check",
    )
    assert all(isinstance(r, ContactCheck) for r in result)
    assert result[0] == ContactCheck(input="+628954218621", status="valid", wa_id="628954218621")
    assert result[0].is_valid


async def test_contacts_check_accepts_any_iterable(both: Both, emu: Emulator) -> None:
    numbers = ("+628954218621", "+628127631234")
    emu.mark_invalid(numbers[1])
    result = await both(lambda c: c.contacts.check(n for n in numbers))
    assert emu.requests[0].json() == {"contacts": list(numbers)}
    assert [r.status for r in result] == ["valid", "invalid"]
    assert result[1].wa_id is None
    assert not result[1].is_valid


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        ([], "numbers"),
        (["+628954218621", "call me"], "numbers[1]"),
        ([""], "numbers[0]"),
        ([628954218621], "numbers[0]"),
    ],
)
async def test_contacts_check_rejects(
    both: Both, emu: Emulator, numbers: list[Any], field: str
) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.contacts.check(numbers))
    assert info.value.field == field
    assert emu.requests == []


# ---------------------------------------------------------------------------------------------
# settings.update_business_profile


async def test_update_business_profile_needs_a_field(both: Both, emu: Emulator) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.settings.update_business_profile())
    assert (info.value.field, info.value.rule) == ("profile", "give at least one field to change")
    assert emu.requests == []


async def test_update_business_profile_sends_only_what_is_given(both: Both, emu: Emulator) -> None:
    result = await both(
        lambda c: c.settings.update_business_profile(
            email="hello@example.com", websites=("https://a.example", "https://b.example")
        )
    )
    assert result is None
    request = emu.requests[0]
    assert (request.method, request.path) == ("POST", "/api/v1/settings/business-profile")
    assert request.json() == {
        "email": "hello@example.com",
        "websites": ["https://a.example", "https://b.example"],
    }


@pytest.mark.parametrize(
    ("websites", "field", "emulator_field"),
    [
        (["https://ivosights.com", "ftp://files.ivosights.com"], "websites[1]", "websites.1"),
        (["https://a.example", "https://b.example", "https://c.example"], "websites", "websites"),
    ],
    ids=["not-http", "three"],
)
async def test_update_business_profile_refuses_websites_as_the_emulator_does(
    both: Both, emu: Emulator, websites: list[str], field: str, emulator_field: str
) -> None:
    with pytest.raises(ivowaba.ValidationError) as info:
        await both(lambda c: c.settings.update_business_profile(websites=websites))
    assert info.value.field == field
    assert emu.requests == []

    # The body the SDK would have sent, sent past it: the emulator refuses it by the same rule.
    headers = {"X-API-KEY": emu.api_key, "Accept": "application/json"}
    url = emu.base_url + "/api/v1/settings/business-profile"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"websites": websites}, headers=headers) as response,
    ):
        status, answer = response.status, await response.json()
    assert status == 422
    assert list(answer["errors"]) == [emulator_field]


# ---------------------------------------------------------------------------------------------
# a 2xx whose body is not the documented shape


@pytest.mark.parametrize(
    ("op", "answer"),
    [
        (lambda c: c.messages.send_text("628123456789", "hi"), {"foo": 1}),
        (lambda c: c.messages.send_text("628123456789", "hi"), {"messages": []}),
        (lambda c: c.messages.send_text("628123456789", "hi"), {"messages": [{"uuid": "x"}]}),
        (lambda c: c.messages.send_text("628123456789", "hi"), [{"id": "x"}]),
        (lambda c: c.countries.list(), {"data": {"id": "ID"}}),
        (lambda c: c.templates.get("t1"), [template("t1")]),
        (lambda c: c.templates.list(), {"templates": []}),
        (lambda c: c.contacts.check("+628954218621"), {"contacts": "valid"}),
        (lambda c: c.settings.get_about(), {"settings": {"profile": {}}}),
        (lambda c: c.settings.get_photo(), {"settings": {"profile": {"about": {"text": "x"}}}}),
        (lambda c: c.settings.get_business_profile(), {"meta": {}}),
        (lambda c: c.webhooks.list(), {"data": [{"name": "no id"}]}),
    ],
    ids=[
        "send-foo",
        "send-empty",
        "send-no-id",
        "send-list",
        "countries",
        "template",
        "templates-page",
        "contacts",
        "about",
        "photo",
        "business-profile",
        "webhooks",
    ],
)
async def test_undocumented_answer_is_a_decode_error(
    both: Both, emu: Emulator, op: Any, answer: Any
) -> None:
    emu.fail_next("*", status=200, body=answer)
    with pytest.raises(ivowaba.ResponseDecodeError) as info:
        await both(op)
    assert info.value.status_code == 200
    assert info.value.body == scripted_body(answer)
    assert len(emu.requests) == 1  # a 2xx is never retried


def scripted_body(answer: Any) -> bytes:
    return msgspec.json.encode(answer)  # as the emulator sends a scripted body


@pytest.mark.parametrize(
    "raw",
    [b"<html><body>Welcome to nginx!</body></html>", b"", b"not json", b'{"messages": [{"id"'],
    ids=["html", "empty", "text", "truncated"],
)
async def test_non_json_2xx_is_a_decode_error(both: Both, emu: Emulator, raw: bytes) -> None:
    emu.fail_next("*", status=200, body=raw, headers={"Content-Type": "text/html"})
    with pytest.raises(ivowaba.ResponseDecodeError) as info:
        await both(lambda c: c.messages.send_text("628123456789", "hi"))
    assert info.value.status_code == 200
    assert info.value.body == raw
    assert "messages.send_text" in str(info.value)
    assert len(emu.requests) == 1


# ---------------------------------------------------------------------------------------------
# webhooks.pull_pending

STATUS = {
    "statuses": [
        {
            "id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU",
            "recipient_id": "628123456789",
            "status": "delivered",
            "timestamp": "1518694708",
            "type": "message",
        }
    ]
}
TEXT = {
    "contacts": [{"profile": {"name": "Agus"}, "wa_id": "628123456789"}],
    "messages": [
        {
            "from": "628123456789",
            "id": "ABGGFlA5FpafAgo6EhgKqmTNA",
            "timestamp": "1518694235",
            "text": {"body": "Halo"},
            "type": "text",
        }
    ],
}


@pytest.mark.parametrize(
    "answer", [[STATUS, TEXT], {"data": [STATUS, TEXT]}], ids=["bare-list", "data-envelope"]
)
async def test_pull_pending(both: Both, emu: Emulator, answer: Any) -> None:
    from ivowaba.types.notifications import Notification

    emu.fail_next("*", status=200, body=answer)
    notifications = await both(lambda c: c.webhooks.pull_pending("6098c0f34dae5677e2636a5c"))
    assert queries(emu) == [
        ("GET", "/api/v1/webhooks/6098c0f34dae5677e2636a5c/pull-pending-notifications", {})
    ]
    assert len(notifications) == 2
    assert all(isinstance(n, Notification) for n in notifications)
    status = notifications[0].statuses[0]
    assert (status.id, status.status, status.recipient_id) == (
        "gBEGkYiEB1VXAglK1ZEqA1YKPrU",
        "delivered",
        "628123456789",
    )
    message = notifications[1].messages[0]
    assert message.id == "ABGGFlA5FpafAgo6EhgKqmTNA"
    assert message.from_ == "628123456789"
    assert message.text.body == "Halo"


@pytest.mark.parametrize("answer", [[], {"data": []}, {"data": None}])
async def test_pull_pending_nothing(both: Both, emu: Emulator, answer: Any) -> None:
    emu.fail_next("*", status=200, body=answer)
    assert await both(lambda c: c.webhooks.pull_pending("w1")) == []


@pytest.mark.parametrize(
    "answer",
    [{"data": "x"}, [{"nothing": "here"}], 42],
    ids=["data-str", "not-notification", "number"],
)
async def test_pull_pending_garbage(both: Both, emu: Emulator, answer: Any) -> None:
    emu.fail_next("*", status=200, body=answer)
    with pytest.raises(ivowaba.ResponseDecodeError):
        await both(lambda c: c.webhooks.pull_pending("w1"))
