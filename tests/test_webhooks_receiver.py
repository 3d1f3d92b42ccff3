"""The webhook receivers over real HTTP on 127.0.0.1: ``create_app`` (aiohttp) and
``asgi_app`` (served by a minimal ASGI host written here on top of aiohttp's HTTP server)."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from ivowaba import ConfigError
from ivowaba.webhooks import (
    DEFAULT_MAX_BODY,
    Dispatcher,
    InboundText,
    Status,
    asgi_app,
    create_app,
    verify_basic_auth,
)

NOTIFICATIONS = Path(__file__).resolve().parent / "fixtures" / "notifications"
TEXT = (NOTIFICATIONS / "ref_text.json").read_bytes()
FAILED = (NOTIFICATIONS / "ref_status_failed_480.json").read_bytes()
USER, PASSWORD = "ivo", "s3cret-webhook-pw"

Serve = Callable[..., Any]


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def auth(username: str = USER, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": basic(f"{username}:{password}".encode())}


AUTH = auth()


# -- two ways to serve the same receiver -----------------------------------------------------


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_aiohttp(dispatcher: Dispatcher, **options: Any) -> AsyncIterator[str]:
    async with serve_app(create_app(dispatcher, **options)) as port:
        yield f"http://127.0.0.1:{port}{options.get('path', '/webhook')}"


def asgi_host(asgi: Callable[..., Awaitable[None]], root_path: str = "") -> web.Application:
    """A minimal ASGI server: aiohttp parses HTTP, the ASGI app answers."""

    async def bridge(request: web.Request) -> web.StreamResponse:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": request.path,
            "raw_path": request.raw_path.encode(),
            "query_string": request.query_string.encode(),
            "root_path": root_path,
            "headers": [(name.lower(), value) for name, value in request.raw_headers],
            "client": request.transport.get_extra_info("peername") if request.transport else None,
            "server": ("127.0.0.1", request.url.port),
        }
        finished = False

        async def receive() -> dict[str, Any]:
            nonlocal finished
            if finished:
                return {"type": "http.disconnect"}
            chunk = await request.content.readany()
            finished = request.content.at_eof()
            return {"type": "http.request", "body": chunk, "more_body": not finished}

        response: web.StreamResponse | None = None

        async def send(message: dict[str, Any]) -> None:
            nonlocal response
            if message["type"] == "http.response.start":
                response = web.StreamResponse(status=message["status"])
                for name, value in message["headers"]:
                    if (name, value) == (b"connection", b"close"):
                        response.force_close()  # as uvicorn and hypercorn do
                    else:
                        response.headers.add(name.decode("latin-1"), value.decode("latin-1"))
                await response.prepare(request)
            elif message["type"] == "http.response.body":
                assert response is not None
                await response.write(message.get("body", b""))
                if not message.get("more_body", False):
                    await response.write_eof()

        await asgi(scope, receive, send)
        assert response is not None, "the ASGI app sent no response"
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", bridge)
    return app


@asynccontextmanager
async def serve_asgi(dispatcher: Dispatcher, **options: Any) -> AsyncIterator[str]:
    options.setdefault("path", "/webhook")
    async with serve_app(asgi_host(asgi_app(dispatcher, **options))) as port:
        yield f"http://127.0.0.1:{port}{options['path']}"


@pytest.fixture(params=["aiohttp", "asgi"])
def serve(request: pytest.FixtureRequest) -> Serve:
    return serve_aiohttp if request.param == "aiohttp" else serve_asgi


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def secured(serve: Serve, dispatcher: Dispatcher) -> Any:
    return serve(dispatcher, username=USER, password=PASSWORD)


def text_recorder() -> tuple[Dispatcher, list[InboundText]]:
    dispatcher = Dispatcher()
    seen: list[InboundText] = []
    dispatcher.on_message("text")(seen.append)
    return dispatcher, seen


# -- authentication --------------------------------------------------------------------------


async def test_no_credentials_is_401_with_a_challenge(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    dispatcher, seen = text_recorder()
    async with secured(serve, dispatcher) as url, http.post(url, data=TEXT) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert PASSWORD not in await response.text()
    assert seen == []


@pytest.mark.parametrize(
    "headers",
    [auth(USER, "wrong"), auth("someone", PASSWORD), auth(USER, PASSWORD + "x"), auth(USER, "")],
    ids=["wrong-password", "wrong-user", "longer-password", "empty-password"],
)
async def test_wrong_credentials_are_401(
    serve: Serve,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher, seen = text_recorder()
    with caplog.at_level(logging.WARNING, logger="ivowaba.webhooks"):
        async with (
            secured(serve, dispatcher) as url,
            http.post(url, data=TEXT, headers=headers) as response,
        ):
            assert response.status == 401
    assert seen == []
    # Said (else a wrong password shows only as statuses that never arrive), and never what
    # was sent.
    (said,) = [r.getMessage() for r in caplog.records if r.name == "ivowaba.webhooks"]
    assert said == "a delivery was refused (401): wrong user name or password"
    assert PASSWORD not in caplog.text


async def test_right_credentials_are_200_and_the_handler_gets_a_typed_message(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    dispatcher, seen = text_recorder()
    async with (
        secured(serve, dispatcher) as url,
        http.post(url, data=TEXT, headers=AUTH) as response,
    ):
        assert response.status == 200
    (message,) = seen
    assert isinstance(message, InboundText)
    assert message.text.body == "Hello this is an answer"
    assert message.from_ == "16315551234"


async def test_without_configured_credentials_anyone_may_deliver(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    dispatcher, seen = text_recorder()
    async with serve(dispatcher) as url, http.post(url, data=TEXT) as response:
        assert response.status == 200
    assert len(seen) == 1


async def test_statuses_reach_status_handlers(serve: Serve, http: aiohttp.ClientSession) -> None:
    dispatcher = Dispatcher()
    failed: list[Status] = []
    dispatcher.on_status("failed")(failed.append)
    async with (
        secured(serve, dispatcher) as url,
        http.post(url, data=FAILED, headers=AUTH) as response,
    ):
        assert response.status == 200
    assert failed[0].is_retryable_failure


@pytest.mark.parametrize("kwargs", [{"username": USER}, {"password": PASSWORD}, {"max_body": 0}])
def test_half_configured_receivers_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        create_app(Dispatcher(), **kwargs)
    with pytest.raises(ConfigError):
        asgi_app(Dispatcher(), **kwargs)


# -- bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"<html>garbage</html>", b"{}", b"", b"[1,2,3]", b"\xff\xfe"])
async def test_a_body_that_is_not_a_notification_is_400(
    serve: Serve, http: aiohttp.ClientSession, body: bytes
) -> None:
    dispatcher, seen = text_recorder()
    async with (
        secured(serve, dispatcher) as url,
        http.post(url, data=body, headers=AUTH) as response,
    ):
        assert response.status == 400
    assert seen == []


async def test_two_mib_is_413(serve: Serve, http: aiohttp.ClientSession) -> None:
    dispatcher, seen = text_recorder()
    big = b'{"messages": [], "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    async with serve(dispatcher, username=USER, password=PASSWORD) as url:
        async with http.post(url, data=io.BytesIO(big), headers=AUTH) as response:
            assert response.status == 413
            assert response.headers["Connection"] == "close"
        async with http.post(url, data=TEXT, headers=AUTH) as response:  # the server is fine
            assert response.status == 200
    assert len(seen) == 1


async def test_a_chunked_body_growing_past_the_cap_is_413(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"messages": [], "pad": "'
        for _ in range(4):
            yield b"x" * 1024
        yield b'"}'

    dispatcher, _ = text_recorder()
    async with serve(dispatcher, max_body=3000) as url, http.post(url, data=chunks()) as response:
        assert response.status == 413


async def test_the_cap_is_inclusive(serve: Serve, http: aiohttp.ClientSession) -> None:
    dispatcher, seen = text_recorder()
    async with serve(dispatcher, max_body=len(TEXT)) as url:
        async with http.post(url, data=TEXT) as response:
            assert response.status == 200
        async with http.post(url, data=TEXT + b" ") as response:
            assert response.status == 413
    assert len(seen) == 1


def test_the_default_cap_is_one_mib() -> None:
    assert DEFAULT_MAX_BODY == 1024 * 1024


async def test_strangers_cannot_make_the_server_read_a_big_body(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    dispatcher, _ = text_recorder()
    big = b"x" * (2 * 1024 * 1024)
    async with serve(dispatcher, username=USER, password=PASSWORD) as url:
        async with http.post(url, data=io.BytesIO(big)) as response:
            assert response.status == 401
            assert response.headers["Connection"] == "close"  # the body is left unread
        # Let the client's close reach the server before it shuts down (else it lingers 10 s
        # for the rest of the body).
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405(
    serve: Serve, http: aiohttp.ClientSession, method: str
) -> None:
    dispatcher, seen = text_recorder()
    async with (
        secured(serve, dispatcher) as url,
        http.request(method, url, data=TEXT, headers=AUTH) as response,
    ):
        assert response.status == 405
        assert response.headers["Allow"] == "POST"
    assert seen == []


# -- handler failures and duplicates ---------------------------------------------------------


async def test_a_failing_handler_is_500_and_the_same_delivery_later_succeeds(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    dispatcher = Dispatcher()
    attempts: list[str] = []

    @dispatcher.on_message("text")
    async def flaky(message: InboundText) -> None:
        attempts.append(message.id)
        if len(attempts) == 1:
            raise RuntimeError("database down")

    async with serve(dispatcher, username=USER, password=PASSWORD) as url:
        async with http.post(url, data=TEXT, headers=AUTH) as response:
            assert response.status == 500
            assert "database down" not in await response.text()
        async with http.post(url, data=TEXT, headers=AUTH) as response:
            assert response.status == 200
        async with http.post(url, data=TEXT, headers=AUTH) as response:
            assert response.status == 200
    assert attempts == [
        "ABGGFlA5FpafAgo6tHcNmNjXmuSf",
        "ABGGFlA5FpafAgo6tHcNmNjXmuSf",
    ]


async def test_the_same_notification_twice_runs_the_handler_once(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    dispatcher, seen = text_recorder()
    async with serve(dispatcher, username=USER, password=PASSWORD) as url:
        for _ in range(2):
            async with http.post(url, data=TEXT, headers=AUTH) as response:
                assert response.status == 200
    assert len(seen) == 1


async def test_a_sync_handler_is_served_too(serve: Serve, http: aiohttp.ClientSession) -> None:
    dispatcher = Dispatcher()
    bodies: list[str] = []

    @dispatcher.on_message("text")
    def blocking(message: InboundText) -> None:
        bodies.append(message.text.body)

    async with serve(dispatcher) as url, http.post(url, data=TEXT) as response:
        assert response.status == 200
    assert bodies == ["Hello this is an answer"]


# -- paths -----------------------------------------------------------------------------------


async def test_create_app_serves_its_path_only(http: aiohttp.ClientSession) -> None:
    dispatcher, _ = text_recorder()
    async with serve_aiohttp(dispatcher, path="/hooks/ivowaba") as url:
        async with http.post(url, data=TEXT) as response:
            assert response.status == 200
        async with http.post(url.replace("/hooks/ivowaba", "/webhook"), data=TEXT) as response:
            assert response.status == 404


async def test_asgi_app_without_a_path_serves_whatever_is_routed_to_it(
    http: aiohttp.ClientSession,
) -> None:
    dispatcher, seen = text_recorder()
    app = asgi_host(asgi_app(dispatcher))
    async with serve_app(app) as port, http.post(f"http://127.0.0.1:{port}/any", data=TEXT) as r:
        assert r.status == 200
    assert len(seen) == 1


async def test_asgi_app_with_a_path_honours_the_mount_point(http: aiohttp.ClientSession) -> None:
    dispatcher, _ = text_recorder()
    app = asgi_host(asgi_app(dispatcher, path="/webhook"), root_path="/api")
    async with serve_app(app) as port:
        async with http.post(f"http://127.0.0.1:{port}/api/webhook", data=TEXT) as response:
            assert response.status == 200
        async with http.post(f"http://127.0.0.1:{port}/api/other", data=TEXT) as response:
            assert response.status == 404


async def test_asgi_app_answers_lifespan_and_refuses_websockets() -> None:
    app = asgi_app(Dispatcher())
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    sent.clear()
    await app({"type": "websocket", "path": "/webhook"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_asgi_app_stops_quietly_when_the_client_goes_away() -> None:
    dispatcher, seen = text_recorder()
    app = asgi_app(dispatcher)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "http", "method": "POST", "path": "/", "headers": []}, receive, send)
    assert sent == []
    assert seen == []


def test_asgi_app_is_an_object_so_that_starlette_routes_treat_it_as_asgi() -> None:
    import inspect

    app = asgi_app(Dispatcher())
    assert not inspect.isfunction(app)
    assert not inspect.ismethod(app)
    assert inspect.iscoroutinefunction(type(app).__call__)


# -- verify_basic_auth -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (basic(b"ivo:s3cret"), True),
        ("basic " + base64.b64encode(b"ivo:s3cret").decode(), True),
        ("  Basic   " + base64.b64encode(b"ivo:s3cret").decode() + " ", True),
        (basic("ivo:pässwörd".encode()), False),
        (basic(b"ivo:s3cret2"), False),
        (basic(b"ivo:s3cre"), False),
        (basic(b"ivo2:s3cret"), False),
        (basic(b"ivos3cret"), False),
        (basic(b":"), False),
        (None, False),
        ("", False),
        ("Bearer abc", False),
        ("Basic", False),
        ("Basic !!!not-base64!!!", False),
        ("Basic é", False),
        ("Digest " + base64.b64encode(b"ivo:s3cret").decode(), False),
    ],
)
def test_verify_basic_auth(header: str | None, expected: bool) -> None:
    assert verify_basic_auth(header, "ivo", "s3cret") is expected


def test_verify_basic_auth_with_non_ascii_credentials() -> None:
    assert verify_basic_auth(basic("ivo:pässwörd".encode()), "ivo", "pässwörd")
    assert verify_basic_auth(basic(b"ivo:a:b"), "ivo", "a:b")
