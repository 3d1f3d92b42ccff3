"""``wsgi_app`` and ``django_view``: the receiver's rules under a real WSGI server (waitress,
on 127.0.0.1), through Flask's and Django's test clients, and, for a body that stalls or is
cut short, under ``wsgiref`` (which reads the socket while the app runs)."""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import threading
import types
import wsgiref.simple_server
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
import flask
import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.test import override_settings
from django.urls import path as django_path
from waitress import wasyncore
from waitress.server import create_server

from ivowaba import ConfigError
from ivowaba.webhooks import (
    DEFAULT_MAX_BODY,
    Dispatcher,
    InboundText,
    Status,
    WebhookWSGIApp,
    _blocking,
    _wsgi,
    django_view,
    wsgi_app,
)

NOTIFICATIONS = Path(__file__).resolve().parent / "fixtures" / "notifications"
TEXT = (NOTIFICATIONS / "ref_text.json").read_bytes()
FAILED = (NOTIFICATIONS / "ref_status_failed_480.json").read_bytes()
USER, PASSWORD = "ivo", "s3cret-webhook-pw"
HOST = "127.0.0.1"


def auth(username: str = USER, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH = auth()


class Answer:
    """An answer, its header names in lower case."""

    def __init__(self, status: int, headers: Iterable[tuple[str, str]], text: str) -> None:
        self.status, self.text = status, text
        self.headers = {name.lower(): value for name, value in headers}


Post = Callable[..., Answer]


@pytest.fixture
def dispatcher() -> Iterator[Dispatcher]:
    made = Dispatcher()
    yield made
    _blocking.close(made)  # its loop thread ends with the test


# -- three ways to reach the same receiver ---------------------------------------------------


class _Site:
    """What the module's waitress server serves: the app of the test under way."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


_SITE = _Site()


@pytest.fixture(scope="module")
def _waitress_port() -> Iterator[int]:
    """One waitress server in a thread for the module, on a free port (each test plugs its
    app in with :func:`waitress_serving`); stopped from its own loop, so at once."""
    server: Any = create_server(_SITE, host=HOST, port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.task_dispatcher.shutdown()
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:  # its trigger is gone (seen, rarely, under pytest): from here, then
            wasyncore.close_all(server._map)
        thread.join(timeout=10)


@pytest.fixture
def waitress_serving(_waitress_port: int) -> Iterator[Callable[[Any], Any]]:
    """``with waitress_serving(app) as port``: the module's waitress server, serving ``app``."""

    @contextmanager
    def serving(app: Any) -> Iterator[int]:
        _SITE.app = app
        try:
            yield _waitress_port
        finally:
            _SITE.app = None

    return serving


def post_to(port: int, target: str, body: bytes, headers: dict[str, str], method: str) -> Answer:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.getheaders(), response.read().decode())
    finally:
        connection.close()


@contextmanager
def through_waitress(serving: Callable[[Any], Any], app: WebhookWSGIApp) -> Iterator[Post]:
    with serving(app) as port:

        def post(
            body: bytes = TEXT, headers: dict[str, str] | None = None, method: str = "POST"
        ) -> Answer:
            return post_to(port, "/webhook", body, headers or {}, method)

        yield post


@contextmanager
def through_flask(app: WebhookWSGIApp) -> Iterator[Post]:
    """Returned by a Flask view: handlers run inside Flask's request context."""
    site = flask.Flask(__name__)
    site.add_url_rule("/webhook", view_func=lambda: app, methods=["GET", "POST", "PUT"])
    client = site.test_client()

    def post(
        body: bytes = TEXT, headers: dict[str, str] | None = None, method: str = "POST"
    ) -> Answer:
        response = client.open("/webhook", method=method, data=body, headers=headers or {})
        return Answer(
            response.status_code, response.headers.items(), response.get_data(as_text=True)
        )

    yield post


def _urlconf(urlpatterns: list[Any]) -> types.ModuleType:
    module = types.ModuleType("webhook_urls")
    module.urlpatterns = urlpatterns  # type: ignore[attr-defined]
    return module


def _configure_django() -> None:
    if not settings.configured:
        settings.configure(
            ALLOWED_HOSTS=["testserver"],
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            ROOT_URLCONF=_urlconf([]),
            SECRET_KEY="tests-only",
            USE_TZ=True,
        )
        django.setup()


@contextmanager
def through_django(view: Callable[..., Any]) -> Iterator[Post]:
    """Routed in a urlconf, with Django's CSRF middleware on and enforced."""
    _configure_django()
    urls = _urlconf([django_path("webhook/", view)])
    client = DjangoClient(enforce_csrf_checks=True)

    def post(
        body: bytes = TEXT, headers: dict[str, str] | None = None, method: str = "POST"
    ) -> Answer:
        response = client.generic(
            method, "/webhook/", data=body, content_type="application/json", headers=headers
        )
        return Answer(
            response.status_code,
            response.headers.items(),
            response.content.decode(),
        )

    with override_settings(ROOT_URLCONF=urls):
        yield post


Reach = Callable[..., Any]


@pytest.fixture(params=["waitress", "flask", "django"])
def reach(request: pytest.FixtureRequest) -> Reach:
    """``reach(dispatcher, **options)``: a context manager giving ``post(...)``."""

    def open_(dispatcher: Dispatcher, **options: Any) -> Any:
        if request.param == "django":
            return through_django(django_view(dispatcher, **options))
        app = wsgi_app(dispatcher, **options)
        if request.param == "flask":
            return through_flask(app)
        return through_waitress(request.getfixturevalue("waitress_serving"), app)

    return open_


def secured(reach: Reach, dispatcher: Dispatcher, **options: Any) -> Any:
    return reach(dispatcher, username=USER, password=PASSWORD, **options)


def text_recorder(dispatcher: Dispatcher) -> list[InboundText]:
    seen: list[InboundText] = []
    dispatcher.on_message("text")(seen.append)
    return seen


# -- the receiver's rules, whichever way it is reached ---------------------------------------


def test_no_credentials_is_401_with_a_challenge(reach: Reach, dispatcher: Dispatcher) -> None:
    seen = text_recorder(dispatcher)
    with secured(reach, dispatcher) as post:
        answer = post()
    assert answer.status == 401
    assert answer.headers["www-authenticate"].startswith("Basic realm=")
    assert PASSWORD not in answer.text
    assert seen == []


@pytest.mark.parametrize(
    "headers", [auth(USER, "wrong"), auth("someone", PASSWORD), {"Authorization": "Bearer x"}]
)
def test_wrong_credentials_are_401(
    reach: Reach, dispatcher: Dispatcher, headers: dict[str, str]
) -> None:
    seen = text_recorder(dispatcher)
    with secured(reach, dispatcher) as post:
        assert post(headers=headers).status == 401
    assert seen == []


def test_right_credentials_are_200_and_a_plain_handler_runs_in_the_request_thread(
    reach: Reach, dispatcher: Dispatcher
) -> None:
    seen: list[tuple[InboundText, str]] = []

    @dispatcher.on_message("text")
    def on_text(message: InboundText) -> None:
        seen.append((message, threading.current_thread().name))

    with secured(reach, dispatcher) as post:
        answer = post(headers=AUTH)
    assert (answer.status, answer.text) == (200, "ok\n")
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    ((message, thread),) = seen
    assert message.text.body == "Hello this is an answer"
    assert message.from_ == "16315551234"
    assert thread != _blocking.THREAD_NAME
    assert not thread.startswith("AnyIO")  # not a worker thread either


def test_async_handlers_and_status_handlers_run_too(reach: Reach, dispatcher: Dispatcher) -> None:
    failed: list[Status] = []

    @dispatcher.on_status("failed")
    async def on_failed(status: Status) -> None:
        failed.append(status)

    with secured(reach, dispatcher) as post:
        assert post(FAILED, headers=AUTH).status == 200
    assert failed[0].is_retryable_failure


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_other_methods_are_405(reach: Reach, dispatcher: Dispatcher, method: str) -> None:
    seen = text_recorder(dispatcher)
    with secured(reach, dispatcher) as post:
        answer = post(headers=AUTH, method=method)
    assert answer.status == 405
    assert answer.headers["allow"] == "POST"
    assert seen == []


@pytest.mark.parametrize("body", [b"<html>garbage</html>", b"{}", b"", b"\xff\xfe"])
def test_a_body_that_is_not_a_notification_is_400(
    reach: Reach, dispatcher: Dispatcher, body: bytes
) -> None:
    seen = text_recorder(dispatcher)
    with secured(reach, dispatcher) as post:
        assert post(body, headers=AUTH).status == 400
    assert seen == []


def test_a_body_past_max_body_is_413_and_the_cap_is_inclusive(
    reach: Reach, dispatcher: Dispatcher
) -> None:
    seen = text_recorder(dispatcher)
    with secured(reach, dispatcher, max_body=len(TEXT)) as post:
        assert post(TEXT + b" ", headers=AUTH).status == 413
        assert seen == []
        assert post(TEXT, headers=AUTH).status == 200
    assert len(seen) == 1


def test_a_failing_handler_is_500_and_the_next_delivery_runs_it_again(
    reach: Reach, dispatcher: Dispatcher
) -> None:
    calls: list[str] = []

    @dispatcher.on_message("text")
    def flaky(message: InboundText) -> None:
        calls.append(message.id)
        if len(calls) == 1:
            raise RuntimeError("database down")

    with secured(reach, dispatcher) as post:
        assert post(headers=AUTH).status == 500
        assert post(headers=AUTH).status == 200
        assert post(headers=AUTH).status == 200  # a duplicate now
    assert len(calls) == 2


def test_the_same_notification_at_once_from_many_threads_is_handled_once(
    reach: Reach, dispatcher: Dispatcher
) -> None:
    seen = text_recorder(dispatcher)
    statuses: list[int] = []
    with secured(reach, dispatcher) as post:
        threads = [
            threading.Thread(target=lambda: statuses.append(post(headers=AUTH).status))
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * 6
    assert len(seen) == 1


def test_half_configured_receivers_are_refused() -> None:
    for kwargs in ({"username": USER}, {"password": PASSWORD}, {"max_body": 0}):
        with pytest.raises(ConfigError):
            wsgi_app(Dispatcher(), **kwargs)
        with pytest.raises(ConfigError):
            django_view(Dispatcher(), **kwargs)
    assert wsgi_app(Dispatcher()).receiver.max_body == DEFAULT_MAX_BODY


# -- WSGI specifics ----------------------------------------------------------------------------


def test_a_plain_handler_under_flask_sees_flasks_request_context(dispatcher: Dispatcher) -> None:
    seen: list[str] = []

    @dispatcher.on_message("text")
    def on_text(message: InboundText) -> None:
        seen.append(flask.request.path)

    with through_flask(wsgi_app(dispatcher, username=USER, password=PASSWORD)) as post:
        assert post(headers=AUTH).status == 200
    assert seen == ["/webhook"]


def test_under_django_the_view_is_exempt_from_csrf_only(dispatcher: Dispatcher) -> None:
    seen = text_recorder(dispatcher)
    view = django_view(dispatcher)
    assert view.csrf_exempt is True
    with through_django(view) as post:
        assert post().status == 200
    assert len(seen) == 1


def test_a_chunked_body_is_read_to_its_end(
    dispatcher: Dispatcher, waitress_serving: Callable[[Any], Any]
) -> None:
    seen = text_recorder(dispatcher)
    with waitress_serving(wsgi_app(dispatcher)) as port:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            connection.request(
                "POST", "/webhook", body=iter([TEXT[:10], TEXT[10:]]), encode_chunked=True
            )
            assert connection.getresponse().status == 200
        finally:
            connection.close()
    assert len(seen) == 1


def test_with_a_path_only_that_path_is_served(
    dispatcher: Dispatcher, waitress_serving: Callable[[Any], Any]
) -> None:
    seen = text_recorder(dispatcher)
    with waitress_serving(wsgi_app(dispatcher, path="/hooks/ivo")) as port:
        assert post_to(port, "/elsewhere", TEXT, {}, "POST").status == 404
        assert post_to(port, "/hooks/ivo", TEXT, {}, "POST").status == 200
    assert len(seen) == 1


def test_close_stops_the_loop_thread_and_the_next_request_starts_it_again(
    dispatcher: Dispatcher, waitress_serving: Callable[[Any], Any]
) -> None:
    def loop_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == _blocking.THREAD_NAME]

    before = len(loop_threads())
    app = wsgi_app(dispatcher)
    seen = text_recorder(dispatcher)
    with waitress_serving(app) as port:
        assert post_to(port, "/webhook", TEXT, {}, "POST").status == 200
        assert len(loop_threads()) == before + 1
        app.close()
        assert len(loop_threads()) == before
        assert post_to(port, "/webhook", FAILED, {}, "POST").status == 200
        assert len(loop_threads()) == before + 1
    assert len(seen) == 1


# -- slow and vanishing clients, where the app reads the socket (wsgiref) -----------------------


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def wsgiref_serving(app: Any) -> Iterator[int]:
    server = wsgiref.simple_server.make_server(HOST, 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


PARTIAL = (
    b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(TEXT)).encode() + b"\r\n\r\n" + TEXT[:20]
)


def test_a_stalled_body_is_408_within_read_timeout(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    seen = text_recorder(dispatcher)
    with (
        caplog.at_level(logging.INFO, "ivowaba.webhooks"),
        wsgiref_serving(wsgi_app(dispatcher, read_timeout=0.2)) as port,
        socket.create_connection((HOST, port), timeout=10) as client,
    ):
        client.sendall(PARTIAL)  # the rest of the body never comes
        answer = b"".join(iter(lambda: client.recv(4096), b""))  # until the server closes
    assert answer.startswith(b"HTTP/1.0 408 ") or answer.startswith(b"HTTP/1.1 408 ")
    assert b"the body did not arrive in time" in answer
    assert "not received within 0.2 s" in caplog.text
    assert seen == []


def test_a_client_gone_mid_body_is_logged_at_debug_and_runs_nothing(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    seen = text_recorder(dispatcher)
    with (
        caplog.at_level(logging.DEBUG, "ivowaba.webhooks"),
        wsgiref_serving(wsgi_app(dispatcher)) as port,
        socket.create_connection((HOST, port), timeout=10) as client,
    ):
        client.sendall(PARTIAL)
        client.shutdown(socket.SHUT_WR)  # and it is gone
        client.recv(4096)  # whatever is answered, once the server has seen the end
    records = [r for r in caplog.records if r.name == "ivowaba.webhooks"]
    assert [r.levelno for r in records] == [logging.DEBUG]
    assert "disconnected before sending the whole body" in records[0].getMessage()
    assert seen == []


class _RecvBody:
    """A body read straight off the socket, as gunicorn's is."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def read(self, size: int) -> bytes:
        return self.sock.recv(size)


def test_where_the_server_gives_its_socket_a_stalled_body_is_408_and_the_socket_is_restored(
    dispatcher: Dispatcher,
) -> None:
    seen = text_recorder(dispatcher)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(TEXT[:20])  # then nothing more
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(len(TEXT)),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": _RecvBody(ours),
            "gunicorn.socket": ours,
        }
        started: list[str] = []
        body = wsgi_app(dispatcher, read_timeout=0.1)(
            environ, lambda status, headers: started.append(status)
        )
        assert started == ["408 Request Timeout"]
        assert b"".join(body) == b"the body did not arrive in time\n"
        assert ours.gettimeout() is None  # as the server left it
        theirs.sendall(TEXT[20:])  # too late: nothing is dispatched
    assert seen == []


class _Stream:
    """A ``wsgi.input`` handing out ``chunks``, then raising ``error`` (if any)."""

    def __init__(self, *chunks: bytes, error: BaseException | None = None) -> None:
        self.chunks, self.error = list(chunks), error

    def read(self, size: int) -> bytes:
        if self.chunks:
            return self.chunks.pop(0)
        if self.error is not None:
            raise self.error
        return b""


def call(app: Any, **environ: Any) -> tuple[str, bytes]:
    started: list[str] = []
    body = app(
        {"REQUEST_METHOD": "POST", "REMOTE_ADDR": "127.0.0.1", **environ},
        lambda status, headers: started.append(status),
    )
    return started[0], b"".join(body)


def test_a_body_trickling_in_past_read_timeout_is_408(
    dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = text_recorder(dispatcher)
    clock = iter(range(100))  # each look at the clock: a second later
    monkeypatch.setattr(_wsgi, "time", types.SimpleNamespace(monotonic=lambda: next(clock)))
    stream = _Stream(TEXT[:10], TEXT[10:20], TEXT[20:])
    status, _ = call(
        wsgi_app(dispatcher, read_timeout=2.5),
        CONTENT_LENGTH=str(len(TEXT)),
        **{"wsgi.input": stream},
    )
    assert status == "408 Request Timeout"
    assert seen == []


def test_a_connection_reset_mid_body_is_a_client_gone(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    seen = text_recorder(dispatcher)
    stream = _Stream(TEXT[:10], error=ConnectionResetError("reset by peer"))
    with caplog.at_level(logging.DEBUG, "ivowaba.webhooks"):
        status, _ = call(
            wsgi_app(dispatcher), CONTENT_LENGTH=str(len(TEXT)), **{"wsgi.input": stream}
        )
    assert status == "400 Bad Request"
    assert "disconnected before sending the whole body" in caplog.text
    assert seen == []


@pytest.mark.parametrize("length", [None, "", "twelve"])
def test_without_a_length_or_an_end_there_is_no_body(
    dispatcher: Dispatcher, length: str | None
) -> None:
    seen = text_recorder(dispatcher)
    environ: dict[str, Any] = {"wsgi.input": _Stream(TEXT)}  # nothing says where it ends
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    assert call(wsgi_app(dispatcher), **environ)[0] == "400 Bad Request"
    environ["wsgi.input_terminated"] = True  # the server says the stream ends with the body
    environ["wsgi.input"] = _Stream(TEXT[:10], TEXT[10:])
    assert call(wsgi_app(dispatcher), **environ)[0] == "200 OK"
    assert len(seen) == 1


def test_a_non_blocking_socket_is_left_as_it_is(dispatcher: Dispatcher) -> None:
    seen = text_recorder(dispatcher)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        theirs.sendall(TEXT)
        status, _ = call(
            wsgi_app(dispatcher),
            CONTENT_LENGTH=str(len(TEXT)),
            **{"wsgi.input": _Stream(TEXT), "gunicorn.socket": ours},
        )
        assert ours.gettimeout() == 0.0
    assert status == "200 OK"
    assert len(seen) == 1


def test_a_plain_handler_interrupted_stops_its_thread_and_the_item_stays_unhandled(
    dispatcher: Dispatcher,
) -> None:
    calls: list[str] = []

    @dispatcher.on_message("text")
    def on_text(message: InboundText) -> None:
        calls.append(message.id)
        if len(calls) == 1:
            raise KeyboardInterrupt

    app = wsgi_app(dispatcher)
    environ = {"CONTENT_LENGTH": str(len(TEXT))}
    with pytest.raises(KeyboardInterrupt):
        call(app, **environ, **{"wsgi.input": _Stream(TEXT)})
    assert call(app, **environ, **{"wsgi.input": _Stream(TEXT)})[0] == "200 OK"
    assert len(calls) == 2  # the interrupted one was not marked handled
