"""The HTTP front of the emulator: every operation of the table, as an aiohttp app on a
``State``.

The routes come from ``ivowaba._operations``; this module adds one handler per operation.
Each request goes: recorded → global latency → scripted fault → ``X-API-KEY`` → body
decoded and validated → operation. Paths that are no operation get Laravel's 404 or 405.
Handlers change the state only through its public methods.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final
from urllib.parse import quote

import msgspec
from aiohttp import web

from ivowaba._operations import OPERATIONS, SANDBOX_PREFIX, Form, Operation
from ivowaba.testing import _seed, _templates
from ivowaba.testing._control import add_phone
from ivowaba.testing._records import RecordedRequest, StoredMedia
from ivowaba.testing._state import State
from ivowaba.testing._validation import RULES, Body, Errors, template_spec, unprocessable, validate

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


@dataclass(slots=True)
class Call:
    """One request being answered, with what the wrapper already worked out."""

    state: State
    request: web.Request
    operation: Operation
    raw: bytes
    sandbox: bool

    def param(self, name: str) -> str:
        return self.request.match_info[name]


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


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
    errors = validate(rule, data, call.state.templates)
    if errors:
        return invalid(errors)
    operation = call.operation
    entry = call.state.accept_send(operation.name, operation.endpoint, data, sandbox=call.sandbox)
    return web.Response(
        body=b'{"messages":[{"id":"' + entry.id.encode() + b'"}]}',
        content_type="application/json",
    )


async def mark_read(call: Call) -> web.StreamResponse:
    call.state.mark_read(call.param("message_id"))
    return json_response(None)


# -- contacts, countries, media ------------------------------------------------------------


async def check_contacts(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = validate(RULES["contacts.check"], data)
    if errors:
        return invalid(errors)
    results = [call.state.check_number(number) for number in data["contacts"]]
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
    media = call.state.media.get(call.param("media_id"))
    if media is None:
        return message("File not found", 404)
    return _file_response(media)


# -- templates -----------------------------------------------------------------------------


def _listing(call: Call, templates: list[dict[str, Any]]) -> web.Response:
    call.state.review_templates()
    number = _templates.page_number(call.request.query.get("page"))
    url = str(call.request.url.with_query(None))
    return json_response(_templates.page(templates, number, call.state.per_page, url))


async def list_templates(call: Call) -> web.StreamResponse:
    return _listing(call, call.state.own_templates())


async def list_all_templates(call: Call) -> web.StreamResponse:
    return _listing(call, list(call.state.templates.values()))


def _template_errors(call: Call, data: dict[str, Any]) -> Errors:
    languages = {language["id"] for language in _seed.TEMPLATE_LANGUAGES}
    return validate(partial(template_spec, languages=languages), data)


async def create_template(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = _template_errors(call, data)
    if errors:
        return invalid(errors)
    return json_response(call.state.create_template(data))


def _template(call: Call) -> dict[str, Any] | None:
    call.state.review_templates()
    return call.state.templates.get(call.param("template_id"))


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
    call.state.update_template(template, data)
    return json_response(template)


async def propose_template(call: Call) -> web.StreamResponse:
    template = _template(call)
    if template is None:
        return message("Template not found.", 404)
    call.state.propose_template(template)
    return json_response(template)


async def template_categories(call: Call) -> web.StreamResponse:
    return json_response({"data": _seed.TEMPLATE_CATEGORIES})


async def template_languages(call: Call) -> web.StreamResponse:
    return json_response({"data": _seed.TEMPLATE_LANGUAGES})


# -- settings ------------------------------------------------------------------------------


async def get_business_profile(call: Call) -> web.StreamResponse:
    profile = call.state.business_profile
    return json_response({"settings": {"business": {"profile": profile}}, "meta": _seed.META})


async def update_business_profile(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = validate(RULES["settings.update_business_profile"], data)
    if errors:
        return invalid(errors)
    call.state.update_business_profile(data)
    return json_response({"meta": _seed.META})


async def get_about(call: Call) -> web.StreamResponse:
    about = {"text": call.state.about}
    return json_response({"settings": {"profile": {"about": about}}, "meta": _seed.META})


async def update_about(call: Call) -> web.StreamResponse:
    data = json_object(call)
    errors = validate(RULES["settings.update_about"], data)
    if errors:
        return invalid(errors)
    call.state.update_about(data["text"])
    return json_response({"meta": _seed.META})


async def get_photo(call: Call) -> web.StreamResponse:
    if call.request.query.get("format") == "link":
        photo = {"link": call.state.photo_link}
        return json_response({"settings": {"profile": {"photo": photo}}, "meta": _seed.META})
    if call.state.photo is None:
        return message("File not found", 404)
    return _file_response(call.state.photo)


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


def _form_file(call: Call) -> tuple[bytes, str, str | None] | None:
    """The content, declared type and file name of the operation's multipart file field,
    if present."""
    shape = call.operation.request
    assert isinstance(shape, Form)
    field = shape.file_field
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
    upload = _form_file(call)
    if upload is None or not upload[0]:
        return invalid({"photo": ["The photo field is required."]})
    content, declared, filename = upload
    image_type = _image_type(content, declared)
    if image_type is None:
        return invalid({"photo": ["The photo field must be an image."]})
    photo = StoredMedia(content, image_type, filename)
    origin = f"{call.request.scheme}://{call.request.host}"
    call.state.update_photo(photo, f"{origin}/_emulator/profile-photo/{photo.sha256[:32]}")
    return json_response({"meta": _seed.META})


async def serve_photo(request: web.Request) -> web.StreamResponse:
    """The public link of an uploaded photo (WhatsApp serves it from its CDN, unauthenticated)."""
    photo = request.app[STATE_KEY].photo
    if photo is None or not photo.sha256.startswith(request.match_info["digest"]):
        raise web.HTTPNotFound()
    return _file_response(photo)


# -- webhooks ------------------------------------------------------------------------------


async def list_webhooks(call: Call) -> web.StreamResponse:
    return json_response({"data": [w.as_json() for w in call.state.webhooks.values()]})


async def pull_pending(call: Call) -> web.StreamResponse:
    held = call.state.pull_pending(call.param("webhook_id"))
    if held is None:
        return message("Webhook not found.", 404)
    return json_response({"data": held})


# -- the handlers --------------------------------------------------------------------------

#: The emulator's handler of each operation of the table, by name.
HANDLERS: Final[dict[str, Handler]] = {
    "contacts.check": check_contacts,
    "countries.list": countries,
    "media.download": download_media,
    "templates.list": list_templates,
    "templates.create": create_template,
    "templates.list_all": list_all_templates,
    "templates.get": get_template,
    "templates.update": update_template,
    "templates.propose": propose_template,
    "templates.categories": template_categories,
    "templates.languages": template_languages,
    **{
        name: partial(send, RULES[name]) for name in OPERATIONS if name.startswith("messages.send_")
    },
    "messages.mark_read": mark_read,
    "settings.get_business_profile": get_business_profile,
    "settings.update_business_profile": update_business_profile,
    "settings.get_about": get_about,
    "settings.update_about": update_about,
    "settings.get_photo": get_photo,
    "settings.update_photo": update_photo,
    "webhooks.list": list_webhooks,
    "webhooks.pull_pending": pull_pending,
}

if HANDLERS.keys() != OPERATIONS.keys():  # pragma: no cover - caught by any test importing this
    raise RuntimeError(
        "the emulator has no handler for "
        f"{sorted(OPERATIONS.keys() - HANDLERS.keys())}, or one for no operation: "
        f"{sorted(HANDLERS.keys() - OPERATIONS.keys())}"
    )

STATE_KEY: Final[web.AppKey[State]] = web.AppKey("state")

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _record(
    state: State, request: web.Request, raw: bytes, operation: str | None, sandbox: bool
) -> None:
    state.record_request(
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


def _route(state: State, operation: Operation, sandbox: bool) -> RouteHandler:
    """The handler of one route: the steps every request goes through, then the operation."""
    handler = HANDLERS[operation.name]
    names = (operation.name, operation.endpoint)

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        _record(state, request, raw, operation.name, sandbox)
        if state.latency:
            await asyncio.sleep(state.latency)
        fault = state.take_fault(request.method, request.path, names)
        if fault is not None and not fault.processed:
            scripted = await fault.apply(request)
            if scripted is not None:
                return scripted
        response = await _answer(handler, Call(state, request, operation, raw, sandbox))
        if fault is not None and fault.processed:
            scripted = await fault.apply(request)
            if scripted is not None:
                return scripted
        return response

    return handle


async def _answer(handler: Handler, call: Call) -> web.StreamResponse:
    if call.request.headers.get("X-API-KEY") != call.state.api_key:
        return message("Unauthenticated.", 401)
    try:
        return await handler(call)
    except BadBody as exc:
        return message(str(exc), 400)


def _pattern(path: str) -> re.Pattern[str]:
    """A regular expression matching the concrete paths of a path template."""
    parts = re.split(r"\{[^}]+\}", path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts) + "$")


_PATTERNS: Final = [(_pattern(path), op.method) for op in OPERATIONS.values() for path in op.paths]


def _unrouted(state: State) -> RouteHandler:
    """Laravel's answers for a path that is no operation: 405 if another method has it, else
    404. Faults scripted for ``"*"`` or a matching path glob apply here too."""

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        _record(state, request, raw, None, request.path.startswith(SANDBOX_PREFIX + "/"))
        fault = state.take_fault(request.method, request.path, ())
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


@web.middleware
async def _in_flight(request: web.Request, handler: RouteHandler) -> web.StreamResponse:
    with request.app[STATE_KEY].answering():
        await asyncio.sleep(0)  # requests that arrived together are answered together
        return await handler(request)


def build_app(state: State, *, host: str = "127.0.0.1") -> web.Application:
    """The aiohttp application serving ``state``: a route for every path of every operation
    of the table, and the web phone with its control API (``_control``) for an emulator
    listening on ``host``."""
    # Uploads (profile photos) may be larger than aiohttp's 1 MiB default.
    app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[_in_flight])
    app[STATE_KEY] = state
    for operation in OPERATIONS.values():
        for path in operation.paths:
            sandbox = path.startswith(SANDBOX_PREFIX + "/")
            app.router.add_route(operation.method, path, _route(state, operation, sandbox))
    app.router.add_route("GET", "/_emulator/profile-photo/{digest}", serve_photo)
    add_phone(app, state, host=host)
    app.router.add_route("*", "/{tail:.*}", _unrouted(state))
    return app
