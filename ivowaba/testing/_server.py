"""The HTTP side of the emulator: every operation of the reference, as an aiohttp app.

Each request goes: recorded → global latency → scripted fault → ``X-API-KEY`` → body
decoded and validated → operation. Paths that are no operation get Laravel's 404 or 405.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import msgspec
from aiohttp import web

from ivowaba.testing import _seed, _templates
from ivowaba.testing._payloads import outbound_message_id
from ivowaba.testing._records import OutboxEntry, RecordedRequest, StoredMedia
from ivowaba.testing._validation import RULES, Body, Errors, template_spec, unprocessable, validate

if TYPE_CHECKING:
    from ivowaba.testing._emulator import Emulator

API_PREFIX: Final = "/api/v1"
SANDBOX_PREFIX: Final = "/sandbox"

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
_NUMBER_PUNCTUATION: Final = str.maketrans("", "", "+ -()")


@dataclass(slots=True)
class Call:
    """One request being answered, with what the wrapper already worked out."""

    emu: Emulator
    request: web.Request
    operation: Operation
    raw: bytes
    sandbox: bool

    def param(self, name: str) -> str:
        return self.request.match_info[name]


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Operation:
    """An operation of the reference: ``name`` as the SDK calls it, its route, its handler.

    ``endpoint`` is the last fixed word of the path (``send-text-message``); ``sandbox`` says
    whether ``/sandbox`` serves it too.
    """

    name: str
    method: str
    path: str
    handler: Handler
    sandbox: bool = False

    @cached_property
    def endpoint(self) -> str:
        return next(part for part in reversed(self.path.split("/")) if "{" not in part)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.endpoint)


# -- answers -------------------------------------------------------------------------------


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encode(data), content_type="application/json")


def message(text: str, status: int) -> web.Response:
    return json_response({"message": text}, status)


def invalid(errors: Errors) -> web.Response:
    return json_response(unprocessable(errors), 422)


class BadBody(Exception):
    """The request body is not a JSON object; answered 400."""


def json_object(call: Call) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}``."""
    if not call.raw:
        return {}
    if "json" not in call.request.content_type:
        raise BadBody("The request body must be JSON, sent as Content-Type: application/json.")
    try:
        data = _decode(call.raw)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadBody(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise BadBody("The request body must be a JSON object.")
    return data


# -- messages ------------------------------------------------------------------------------


async def send(rule: Callable[[Body], None], call: Call) -> web.StreamResponse:
    """Every send: validate, record in the outbox, answer the id, start the notifications."""
    data = json_object(call)
    emu = call.emu
    errors = validate(rule, data, emu.templates)
    if errors:
        return invalid(errors)
    message_id = outbound_message_id()
    entry = OutboxEntry(
        id=message_id,
        endpoint=call.operation.endpoint,
        operation=call.operation.name,
        wa_id=data["wa_id"],
        body=data,
        sandbox=call.sandbox,
        timestamp=time.time(),
    )
    emu.sent_count += 1
    if emu.record:
        emu.outbox.append(entry)
    if emu.webhook.url is not None:
        emu._notify_sent(entry)
    return web.Response(
        body=b'{"messages":[{"id":"' + message_id.encode() + b'"}]}',
        content_type="application/json",
    )


async def mark_read(call: Call) -> web.StreamResponse:
    call.emu.read_receipts.append(call.param("message_id"))
    return json_response(None)


# -- contacts, countries, media ------------------------------------------------------------


async def check_contacts(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = validate(RULES["contacts.check"], data)
    if errors:
        return invalid(errors)
    results = []
    for number in data["contacts"]:
        digits = number.translate(_NUMBER_PUNCTUATION)
        valid = (
            digits.isascii()
            and digits.isdigit()
            and 8 <= len(digits) <= 15
            and digits not in call.emu.invalid_numbers
        )
        if valid:
            results.append({"input": number, "status": "valid", "wa_id": digits})
        else:
            results.append({"input": number, "status": "invalid"})
    return json_response({"contacts": results, "meta": _seed.META})


async def countries(call: Call) -> web.StreamResponse:
    return json_response({"data": _seed.COUNTRIES})


def _file_response(media: StoredMedia) -> web.Response:
    headers = {"Content-Type": media.content_type}
    if media.filename is not None:
        disposition = f'attachment; filename="{media.filename.replace(chr(34), "")}"'
        if not media.filename.isascii():
            disposition += f"; filename*=UTF-8''{quote(media.filename)}"
        headers["Content-Disposition"] = disposition
    return web.Response(body=media.content, headers=headers)


async def download_media(call: Call) -> web.StreamResponse:
    media = call.emu.media.get(call.param("media_id"))
    if media is None:
        return message("File not found", 404)
    return _file_response(media)


# -- templates -----------------------------------------------------------------------------


def _listing(call: Call, templates: list[dict[str, Any]]) -> web.Response:
    number = _templates.page_number(call.request.query.get("page"))
    url = str(call.request.url.with_query(None))
    return json_response(_templates.page(templates, number, call.emu.per_page, url))


async def list_templates(call: Call) -> web.StreamResponse:
    own = call.emu.own_template_ids
    return _listing(call, [t for t in call.emu.templates.values() if t["id"] in own])


async def list_all_templates(call: Call) -> web.StreamResponse:
    return _listing(call, list(call.emu.templates.values()))


def _template_errors(call: Call, data: dict[str, Any]) -> Errors:
    languages = {language["id"] for language in _seed.TEMPLATE_LANGUAGES}
    return validate(partial(template_spec, languages=languages), data)


async def create_template(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = _template_errors(call, data)
    if errors:
        return invalid(errors)
    template = _templates.create(data)
    call.emu.templates[template["id"]] = template
    call.emu.own_template_ids.add(template["id"])
    return json_response(template)


def _template(call: Call) -> dict[str, Any] | None:
    return call.emu.templates.get(call.param("template_id"))


async def get_template(call: Call) -> web.StreamResponse:
    template = _template(call)
    return json_response(template) if template else message("Template not found.", 404)


async def update_template(call: Call) -> web.StreamResponse:
    template = _template(call)
    if template is None:
        return message("Template not found.", 404)
    data = json_object(call)
    errors = _template_errors(call, data)
    if errors:
        return invalid(errors)
    _templates.update(template, data)
    return json_response(template)


async def propose_template(call: Call) -> web.StreamResponse:
    template = _template(call)
    if template is None:
        return message("Template not found.", 404)
    if template["status"] not in ("approved", "submitted"):
        template.update(status="submitted", updated_at=_templates.now_iso())
    return json_response(template)


async def template_categories(call: Call) -> web.StreamResponse:
    return json_response({"data": _seed.TEMPLATE_CATEGORIES})


async def template_languages(call: Call) -> web.StreamResponse:
    return json_response({"data": _seed.TEMPLATE_LANGUAGES})


# -- settings ------------------------------------------------------------------------------


async def get_business_profile(call: Call) -> web.StreamResponse:
    profile = call.emu.business_profile
    return json_response({"settings": {"business": {"profile": profile}}, "meta": _seed.META})


async def update_business_profile(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = validate(RULES["settings.update_business_profile"], data)
    if errors:
        return invalid(errors)
    fields = ("address", "description", "email", "vertical", "websites")
    call.emu.business_profile.update({k: v for k, v in data.items() if k in fields})
    return json_response({"meta": _seed.META})


async def get_about(call: Call) -> web.StreamResponse:
    about = {"text": call.emu.about}
    return json_response({"settings": {"profile": {"about": about}}, "meta": _seed.META})


async def update_about(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = validate(RULES["settings.update_about"], data)
    if errors:
        return invalid(errors)
    call.emu.about = data["text"]
    return json_response({"meta": _seed.META})


async def get_photo(call: Call) -> web.StreamResponse:
    if call.request.query.get("format") == "link":
        photo = {"link": call.emu.photo_link}
        return json_response({"settings": {"profile": {"photo": photo}}, "meta": _seed.META})
    if call.emu.photo is None:
        return message("File not found", 404)
    return _file_response(call.emu.photo)


_IMAGE_SIGNATURES: Final = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF8": "image/gif",
    b"BM": "image/bmp",
}


def _image_type(content: bytes, declared: str) -> str | None:
    """The image type of an upload, by its first bytes, else by its declared type."""
    for signature, content_type in _IMAGE_SIGNATURES.items():
        if content.startswith(signature):
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return declared if declared.startswith("image/") else None


def _form_file(call: Call, field: str) -> tuple[bytes, str, str | None] | None:
    """The content, declared type and file name of a multipart file field, if present."""
    content_type = call.request.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + call.raw)
    if not parsed.is_multipart():
        return None
    for part in parsed.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            content = part.get_payload(decode=True)
            if isinstance(content, bytes) and part.get_filename() is not None:
                return content, part.get_content_type(), part.get_filename()
    return None


async def update_photo(call: Call) -> web.StreamResponse:
    upload = _form_file(call, "photo")
    if upload is None or not upload[0]:
        return invalid({"photo": ["The photo field is required."]})
    content, declared, filename = upload
    image_type = _image_type(content, declared)
    if image_type is None:
        return invalid({"photo": ["The photo field must be an image."]})
    photo = StoredMedia(content, image_type, filename)
    call.emu.photo = photo
    origin = f"{call.request.scheme}://{call.request.host}"
    call.emu.photo_link = f"{origin}/_emulator/profile-photo/{photo.sha256[:32]}"
    return json_response({"meta": _seed.META})


async def serve_photo(request: web.Request) -> web.StreamResponse:
    """The public link of an uploaded photo (WhatsApp serves it from its CDN, unauthenticated)."""
    emu: Emulator = request.app[EMULATOR_KEY]
    photo = emu.photo
    if photo is None or not photo.sha256.startswith(request.match_info["digest"]):
        raise web.HTTPNotFound()
    return _file_response(photo)


# -- webhooks ------------------------------------------------------------------------------


async def list_webhooks(call: Call) -> web.StreamResponse:
    return json_response({"data": [w.as_json() for w in call.emu.webhooks.values()]})


async def pull_pending(call: Call) -> web.StreamResponse:
    webhook = call.emu.webhooks.get(call.param("webhook_id"))
    if webhook is None:
        return message("Webhook not found.", 404)
    held = list(webhook.held)
    del webhook.held[: len(held)]
    return json_response({"data": held})


# -- the table -----------------------------------------------------------------------------

#: The send operations: name, endpoint, and whether the sandbox has it.
_SENDS: Final = (
    ("messages.send_contacts", "send-contact-message", True),
    ("messages.send_location", "send-location-message", True),
    ("messages.send_media", "send-media-message", True),
    ("messages.send_template", "send-template-message", True),
    ("messages.send_text", "send-text-message", True),
    ("messages.send_reply_buttons", "send-reply-button-message", True),
    ("messages.send_list", "send-list-message", True),
    ("messages.send_product", "send-single-product-message", False),
    ("messages.send_product_list", "send-multi-product-message", False),
    ("messages.send_flow", "send-flow-message", False),
)

#: Every operation; fixed paths come before the parameterised paths they would match.
OPERATIONS: Final = (
    Operation("contacts.check", "POST", "/contacts/check", check_contacts),
    Operation("countries.list", "GET", "/countries", countries),
    Operation("media.download", "GET", "/media/{media_id}", download_media, sandbox=True),
    Operation("templates.list", "GET", "/message-templates", list_templates),
    Operation("templates.create", "POST", "/message-templates", create_template),
    Operation("templates.list_all", "GET", "/message-templates/all-templates", list_all_templates),
    Operation("templates.get", "GET", "/message-templates/{template_id}", get_template),
    Operation("templates.update", "PUT", "/message-templates/{template_id}", update_template),
    Operation(
        "templates.propose", "POST", "/message-templates/{template_id}/propose", propose_template
    ),
    Operation("templates.categories", "GET", "/template-categories", template_categories),
    Operation("templates.languages", "GET", "/template-languages", template_languages),
    *(
        Operation(name, "POST", f"/messages/{endpoint}", partial(send, RULES[name]), sandbox=sb)
        for name, endpoint, sb in _SENDS
    ),
    Operation("messages.mark_read", "PUT", "/messages/{message_id}/read", mark_read),
    Operation(
        "settings.get_business_profile", "GET", "/settings/business-profile", get_business_profile
    ),
    Operation(
        "settings.update_business_profile",
        "POST",
        "/settings/business-profile",
        update_business_profile,
    ),
    Operation("settings.get_about", "GET", "/settings/profiles/about", get_about),
    Operation("settings.update_about", "PATCH", "/settings/profiles/about", update_about),
    Operation("settings.get_photo", "GET", "/settings/profiles/photo", get_photo),
    Operation("settings.update_photo", "POST", "/settings/profiles/photo", update_photo),
    Operation("webhooks.list", "GET", "/webhooks", list_webhooks),
    Operation(
        "webhooks.pull_pending",
        "GET",
        "/webhooks/{webhook_id}/pull-pending-notifications",
        pull_pending,
    ),
)

EMULATOR_KEY: Final[web.AppKey[Emulator]] = web.AppKey("emulator")

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _record(
    emu: Emulator, request: web.Request, raw: bytes, operation: str | None, sandbox: bool
) -> None:
    emu.request_count += 1
    if not emu.record:
        return
    emu.requests.append(
        RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            body=raw,
            operation=operation,
            sandbox=sandbox,
        )
    )


def _route(emu: Emulator, operation: Operation, sandbox: bool) -> RouteHandler:
    """The handler of one route: the steps every request goes through, then the operation."""

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        _record(emu, request, raw, operation.name, sandbox)
        if emu.latency:
            await asyncio.sleep(emu.latency)
        fault = emu._faults.take(request.method, request.path, operation.names)
        if fault is not None and not fault.processed:
            scripted = await fault.apply(request)
            if scripted is not None:
                return scripted
        response = await _answer(Call(emu, request, operation, raw, sandbox))
        if fault is not None and fault.processed:
            scripted = await fault.apply(request)
            if scripted is not None:
                return scripted
        return response

    return handle


async def _answer(call: Call) -> web.StreamResponse:
    if call.request.headers.get("X-API-KEY") != call.emu.api_key:
        return message("Unauthenticated.", 401)
    try:
        return await call.operation.handler(call)
    except BadBody as exc:
        return message(str(exc), 400)


def _pattern(path: str) -> re.Pattern[str]:
    """A regular expression matching the concrete paths of a path template."""
    parts = re.split(r"\{[^}]+\}", path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts) + "$")


_PATTERNS: Final = [
    (_pattern(prefix + API_PREFIX + op.path), op.method)
    for op in OPERATIONS
    for prefix in (("", SANDBOX_PREFIX) if op.sandbox else ("",))
]


def _unrouted(emu: Emulator) -> RouteHandler:
    """Laravel's answers for a path that is no operation: 405 if another method has it, else
    404. Faults scripted for ``"*"`` or a matching path glob apply here too."""

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        _record(emu, request, raw, None, request.path.startswith(SANDBOX_PREFIX + "/"))
        fault = emu._faults.take(request.method, request.path, ())
        if fault is not None:
            scripted = await fault.apply(request)
            if scripted is not None:
                return scripted
        route = request.path.lstrip("/")
        allowed = sorted({method for pattern, method in _PATTERNS if pattern.match(request.path)})
        if allowed:
            return message(
                f"The {request.method} method is not supported for route {route}. "
                f"Supported methods: {', '.join(allowed)}.",
                405,
            )
        return message(f"The route {route} could not be found.", 404)

    return handle


def build_app(emu: Emulator) -> web.Application:
    """The aiohttp application serving ``emu``."""
    # Uploads (profile photos) may be larger than aiohttp's 1 MiB default.
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[EMULATOR_KEY] = emu
    for operation in OPERATIONS:
        path = API_PREFIX + operation.path
        app.router.add_route(operation.method, path, _route(emu, operation, sandbox=False))
        if operation.sandbox:
            sandboxed = _route(emu, operation, sandbox=True)
            app.router.add_route(operation.method, SANDBOX_PREFIX + path, sandboxed)
    app.router.add_route("GET", "/_emulator/profile-photo/{digest}", serve_photo)
    app.router.add_route("*", "/{tail:.*}", _unrouted(emu))
    return app
