"""The web phone (``GET /``) and the JSON control API under ``/_emulator/``, added to the
emulator's aiohttp app by ``add_phone``.

The page uses nothing but this API, and so can tests in any language:

| route | what |
|---|---|
| ``GET /_emulator/state`` | the panel: webhook, deliveries, pending, faults, numbers, clock |
| ``GET /_emulator/chats?offset=&limit=`` | conversations, the most recently active first |
| ``GET /_emulator/chats/{wa_id}?before=&limit=`` | a page of one conversation's messages |
| ``POST /_emulator/chats/{wa_id}/seen`` | the customer looked at it: no unread left |
| ``GET /_emulator/outbox?offset=&limit=`` | accepted sends, oldest first |
| ``GET /_emulator/requests?limit=`` | the request log, newest first |
| ``GET /_emulator/pending`` | notifications held for "Pull pending notification" |
| ``GET /_emulator/media/{media_id}`` | a stored media file |
| ``POST /_emulator/inbound/{kind}`` | a customer writes (``_inbound.INBOUND_KINDS``) |
| ``POST /_emulator/faults``, ``DELETE`` | the next N requests fail; forget the faults |
| ``POST /_emulator/settings`` | ``latency`` (seconds), ``enforce_window`` |
| ``POST`` / ``DELETE /_emulator/numbers/{wa_id}/invalid`` | ``contacts/check`` says invalid |
| ``POST`` / ``DELETE /_emulator/numbers/{wa_id}/failing`` | sends fail with ``code`` |
| ``POST /_emulator/webhook`` | ``url``, ``username``, ``password`` (``url: null``: off) |
| ``POST /_emulator/clock`` | move the clock on by ``days``/``hours``/``minutes``/``seconds`` |
| ``POST /_emulator/statuses`` | ``hold``, ``duplicated``, ``out_of_order`` |
| ``POST /_emulator/reset`` | everything back to the start |
| ``GET /_emulator/events`` | live updates (server-sent events, see ``_live``) |

Who may use them: ``_access``. Bad input is answered 400 with ``message``, ``field`` and
``rule``.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Awaitable, Callable
from typing import Any, Final

import msgspec
from aiohttp import web

from ivowaba import _limits
from ivowaba._errors import ValidationError
from ivowaba.testing._access import TOKEN_COOKIE, TOKEN_PARAMETER, Access, page_token
from ivowaba.testing._inbound import simulate
from ivowaba.testing._live import OWN_PREFIX, Live, request_logger
from ivowaba.testing._state import State

#: Where the page's files are, inside the package.
PHONE_PACKAGE: Final = "ivowaba.testing"
PHONE_FOLDER: Final = "phone"
#: The content type of the page's files (``phone/<name>``), by suffix.
_ASSET_TYPES: Final = {"js": "text/javascript", "css": "text/css"}
_ASSET_NAME: Final = re.compile(r"^[a-z][a-z0-9-]*\.(js|css)$")
_PAGE_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: The fault target meaning every send, in the sandbox too.
EVERY_SEND: Final = "/*/messages/send-*"
#: Most items one page of a listing may ask for.
MAX_LIMIT: Final = 500

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode

LIVE_KEY: Final[web.AppKey[Live]] = web.AppKey("phone_live")

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@functools.cache
def asset(name: str) -> bytes:
    """One file of the page, as shipped in the package (read once)."""
    resource = importlib.resources.files(PHONE_PACKAGE).joinpath(PHONE_FOLDER).joinpath(name)
    return resource.read_bytes()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encode(data), content_type="application/json")


def _invalid(field: str, rule: str) -> web.Response:
    return _json({"message": f"invalid {field}: {rule}", "field": field, "rule": rule}, 400)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = _decode(raw)
    except msgspec.DecodeError:
        raise ValidationError("body", "must be JSON") from None
    if not isinstance(data, dict):
        raise ValidationError("body", "must be a JSON object")
    return data


def _count(request: web.Request, name: str, default: int, *, low: int = 0) -> int:
    """A whole-number query parameter, at least ``low`` (``limit``: at most ``MAX_LIMIT``)."""
    value = request.query.get(name, "")
    if value == "":
        return default
    high = MAX_LIMIT if name == "limit" else None
    if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValidationError(name, f"must be a whole number {bounds}")
    return int(value)


def _wa_id(request: web.Request) -> str:
    wa_id = request.match_info["wa_id"]
    if not _limits.is_wa_id(wa_id):
        raise ValidationError("wa_id", "must be a number of 8 to 15 digits, country code first")
    return wa_id


def _number(data: dict[str, Any], name: str, *, low: float, high: float) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValidationError(name, f"must be a number from {low:g} to {high:g}")
    return float(value)


def _flag(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValidationError(name, "must be true or false")
    return value


def _string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationError(name, "must be a string")
    return value


class Control:
    """The handlers, on one state and its ``Live``."""

    def __init__(self, state: State, live: Live, access: Access) -> None:
        self.state = state
        self.live = live
        self.access = access

    # -- the guard -------------------------------------------------------------------------

    def guarded(self, handler: Route) -> Route:
        """``handler`` behind the access rule, with bad input answered 400."""

        async def guard(request: web.Request) -> web.StreamResponse:
            token = request.query.get(TOKEN_PARAMETER) or request.cookies.get(TOKEN_COOKIE)
            refusal = self.access.refusal(
                api_key=self.state.api_key,
                host_header=request.host,
                key=request.headers.get("X-API-KEY"),
                token=token,
                method=request.method,
                content_type=request.content_type,
            )
            if refusal is not None:
                status, reason = refusal
                if request.path == "/":
                    return web.Response(status=status, text=f"ivowaba emulator: {reason}.\n")
                return _json({"message": reason}, status)
            try:
                return await handler(request)
            except ValidationError as error:
                return _invalid(error.field, error.rule)

        return guard

    # -- the page --------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.StreamResponse:
        response = web.Response(body=asset("index.html"), headers=_PAGE_HEADERS)
        response.content_type = "text/html"
        response.charset = "utf-8"
        token = request.query.get(TOKEN_PARAMETER)
        if token is not None and not self.access.open:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", path="/")
        return response

    async def phone_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not _ASSET_NAME.match(name):
            raise web.HTTPNotFound()
        try:
            content = asset(name)
        except FileNotFoundError:
            raise web.HTTPNotFound() from None
        content_type = _ASSET_TYPES[name.rpartition(".")[2]]
        headers = {"Content-Type": content_type, "X-Content-Type-Options": "nosniff"}
        return web.Response(body=content, headers=headers)

    # -- reading ---------------------------------------------------------------------------

    async def panel(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        attempts = state.delivery_attempts[-100:]
        return _json(
            {
                "now": state.now,
                "latency": state.latency,
                "enforce_window": state.enforce_window,
                "webhook": {"url": state.webhook.url, "username": state.webhook.username},
                "deliveries": [_attempt(a) for a in reversed(attempts)],
                "delivery_count": len(state.delivery_attempts),
                "delivered": len(state.delivered),
                "pending": [_about(n) for n in state.pending[-50:]],
                "pending_count": len(state.pending),
                "faults": [_fault(f) for f in state.scripted_faults],
                "fault_targets": {"every send": EVERY_SEND, "every request": "*"},
                "invalid_numbers": sorted(state.invalid_numbers),
                "failing_numbers": state.failing_numbers,
                "statuses_on_hold": len(state.statuses_on_hold),
                "sent_count": state.sent_count,
                "request_count": state.request_count,
            }
        )

    async def chats(self, request: web.Request) -> web.StreamResponse:
        offset = _count(request, "offset", 0)
        limit = _count(request, "limit", 50, low=1)
        return _json(self.live.chats.page(offset, limit))

    async def chat(self, request: web.Request) -> web.StreamResponse:
        wa_id = _wa_id(request)
        before = _count(request, "before", -1)
        limit = _count(request, "limit", 50, low=1)
        chat, bubbles, earlier = self.live.chats.messages(
            wa_id, None if before < 0 else before, limit
        )
        messages = [self.live.bubble_json(bubble) for bubble in bubbles]
        return _json({"chat": chat, "messages": messages, "earlier": earlier})

    async def seen(self, request: web.Request) -> web.StreamResponse:
        return _json({"chat": self.live.chats.seen(_wa_id(request))})

    async def outbox(self, request: web.Request) -> web.StreamResponse:
        offset = _count(request, "offset", 0)
        limit = _count(request, "limit", 100, low=1)
        entries = self.state.outbox[offset : offset + limit]
        return _json(
            {
                "total": len(self.state.outbox),
                "offset": offset,
                "entries": [_entry(entry) for entry in entries],
            }
        )

    async def requests(self, request: web.Request) -> web.StreamResponse:
        total, newest = self.live.requests(_count(request, "limit", 100, low=1))
        return _json({"total": total, "requests": newest})

    async def pending(self, request: web.Request) -> web.StreamResponse:
        return _json({"pending": list(self.state.pending)})

    async def media(self, request: web.Request) -> web.StreamResponse:
        media = self.state.media.get(request.match_info["media_id"])
        if media is None:
            return _json({"message": "no such media"}, 404)
        headers = {
            "Content-Type": media.content_type,
            # a customer's file, whatever it holds, never runs as a page of the emulator
            "Content-Disposition": "attachment",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
        }
        return web.Response(body=media.content, headers=headers)

    # -- changing --------------------------------------------------------------------------

    async def inbound(self, request: web.Request) -> web.StreamResponse:
        notification = simulate(self.state, request.match_info["kind"], await _body(request))
        message_id = notification["messages"][0]["id"]
        return _json({"id": message_id, "notification": notification})

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        target = _string(data, "target") or EVERY_SEND
        times = int(_number(data, "times", low=1, high=10_000) or 1)
        status = data.get("status")
        timeout = _number(data, "timeout", low=0, high=3600)
        drop = _flag(data, "drop")
        if sum(x is not None and x is not False for x in (status, timeout, drop)) != 1:
            raise ValidationError("status", "give exactly one of status, timeout and drop")
        if status is not None:
            if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status < 600:
                raise ValidationError("status", "must be an HTTP status from 100 to 599")
            retry_after = _number(data, "retry_after", low=0, high=3600)
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
            self.state.fail_next(target, status=status, headers=headers, times=times)
        else:  # a time-out: no answer for `timeout` seconds, then the connection closes
            self.state.fail_next(target, delay=timeout or 0.0, drop=True, times=times)
        self.live.panel_changed()
        return _json({"faults": [_fault(f) for f in self.state.scripted_faults]})

    async def clear_faults(self, request: web.Request) -> web.StreamResponse:
        self.state.clear_faults()
        self.live.panel_changed()
        return _json({"faults": []})

    async def settings(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        latency = _number(data, "latency", low=0, high=60)
        enforce_window = _flag(data, "enforce_window")
        if latency is not None:
            self.state.latency = latency
        if enforce_window is not None:
            self.state.enforce_window = enforce_window
        self.live.panel_changed()
        return _json({"latency": self.state.latency, "enforce_window": self.state.enforce_window})

    async def mark_invalid(self, request: web.Request) -> web.StreamResponse:
        wa_id = _wa_id(request)
        if request.method == "DELETE":
            self.state.invalid_numbers.discard(wa_id)
        else:
            self.state.mark_invalid(wa_id)
        self.live.panel_changed()
        return _json({"invalid_numbers": sorted(self.state.invalid_numbers)})

    async def mark_failing(self, request: web.Request) -> web.StreamResponse:
        wa_id = _wa_id(request)
        if request.method == "DELETE":
            self.state.failing_numbers.pop(wa_id, None)
        else:
            data = await _body(request)
            code = data.get("code", 470)
            if isinstance(code, bool) or not isinstance(code, int):
                raise ValidationError("code", "must be a whole number (an error code)")
            self.state.mark_failing(wa_id, code, _string(data, "title"))
        self.live.panel_changed()
        return _json({"failing_numbers": self.state.failing_numbers})

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        url = _string(data, "url") or None
        if url is not None and not _limits.is_http_url(url):
            raise ValidationError("url", "must be an http(s) URL")
        username, password = _string(data, "username"), _string(data, "password")
        if (username is None) != (password is None):
            raise ValidationError("password", "give both username and password, or neither")
        self.state.set_webhook(url, username, password)
        self.live.panel_changed()
        return _json({"url": url, "username": username})

    async def clock(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        step = {
            unit: _number(data, unit, low=0, high=10**6) or 0.0
            for unit in ("days", "hours", "minutes", "seconds")
        }
        now = self.state.advance(**step)
        self.live.panel_changed()
        return _json({"now": now})

    async def statuses(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        hold = _flag(data, "hold")
        duplicated, out_of_order = _flag(data, "duplicated"), _flag(data, "out_of_order")
        released = 0
        if hold is True:
            self.state.hold_statuses()
        elif hold is False:
            released = self.state.release_statuses()
        if duplicated is not None or out_of_order is not None:
            self.state.statuses_arrive(duplicated=bool(duplicated), out_of_order=bool(out_of_order))
        self.live.panel_changed()
        return _json({"released": released, "on_hold": len(self.state.statuses_on_hold)})

    async def reset(self, request: web.Request) -> web.StreamResponse:
        self.state.reset()
        return _json({"reset": True})


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "endpoint": entry.endpoint,
        "operation": entry.operation,
        "wa_id": entry.wa_id,
        "body": entry.body,
        "sandbox": entry.sandbox,
        "timestamp": entry.timestamp,
    }


def _about(notification: dict[str, Any]) -> dict[str, Any]:
    """A notification in a few words: what it is about, and the message it concerns."""
    for status in notification.get("statuses") or ():
        return {"what": f"status {status.get('status')}", "id": status.get("id")}
    for message in notification.get("messages") or ():
        what = f"{message.get('type')} from {message.get('from')}"
        return {"what": what, "id": message.get("id")}
    return {"what": "notification", "id": None}


def _attempt(attempt: Any) -> dict[str, Any]:
    return {
        **_about(attempt.notification),
        "url": attempt.url,
        "status": attempt.status,
        "error": attempt.error,
        "accepted": attempt.accepted,
    }


def _fault(fault: Any) -> dict[str, Any]:
    return {
        "target": fault.target,
        "status": fault.status,
        "delay": fault.delay,
        "drop": fault.drop,
        "times": fault.times,
        "every": fault.every,
    }


def add_phone(app: web.Application, state: State, *, host: str) -> Live:
    """Serve the web phone and the control API from ``app`` (before its catch-all route),
    for an emulator listening on ``host``."""
    live = Live(state)
    control = Control(state, live, Access(host))
    app[LIVE_KEY] = live
    app.on_startup.append(live.start)
    app.on_shutdown.append(live.stop)
    app.middlewares.append(request_logger(live))
    guarded = control.guarded
    routes: list[tuple[str, str, Route]] = [
        ("GET", "/", control.page),
        ("GET", "phone/{name}", control.phone_file),
        ("GET", "events", live.events),
        ("GET", "state", control.panel),
        ("GET", "chats", control.chats),
        ("GET", "chats/{wa_id}", control.chat),
        ("POST", "chats/{wa_id}/seen", control.seen),
        ("GET", "outbox", control.outbox),
        ("GET", "requests", control.requests),
        ("GET", "pending", control.pending),
        ("GET", "media/{media_id}", control.media),
        ("POST", "inbound/{kind}", control.inbound),
        ("POST", "faults", control.add_fault),
        ("DELETE", "faults", control.clear_faults),
        ("POST", "settings", control.settings),
        ("POST", "numbers/{wa_id}/invalid", control.mark_invalid),
        ("DELETE", "numbers/{wa_id}/invalid", control.mark_invalid),
        ("POST", "numbers/{wa_id}/failing", control.mark_failing),
        ("DELETE", "numbers/{wa_id}/failing", control.mark_failing),
        ("POST", "webhook", control.webhook),
        ("POST", "clock", control.clock),
        ("POST", "statuses", control.statuses),
        ("POST", "reset", control.reset),
    ]
    for method, path, handler in routes:
        full = path if path.startswith("/") else OWN_PREFIX + path
        app.router.add_route(method, full, guarded(handler))
    return live


def page_url(base_url: str, *, host: str, api_key: str) -> str:
    """The URL to open the page of an emulator at ``base_url`` listening on ``host``: with
    its token when it listens beyond this machine."""
    if Access(host).open:
        return base_url + "/"
    return f"{base_url}/?{TOKEN_PARAMETER}={page_token(api_key)}"
