"""``wsgi_app``: the webhook endpoint as a WSGI application (Flask, Django, gunicorn, waitress).

The rules are the receiver's (``_receiver``); what is WSGI's here is reading the body from a
blocking stream within ``read_timeout`` and waiting for the dispatch, which runs on the
dispatcher's own loop thread while its plain handlers run in the request's thread
(``_blocking``). ``django_view`` answers through the same :class:`BlockingReceiver`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, Protocol

from ivowaba.webhooks import _blocking
from ivowaba.webhooks._dispatcher import Dispatcher
from ivowaba.webhooks._receiver import (
    DEFAULT_MAX_BODY,
    DEFAULT_READ_TIMEOUT,
    GONE,
    NOT_FOUND,
    Receiver,
    Reply,
)

Environ = Mapping[str, Any]
StartResponse = Callable[..., Any]

#: The most read from the body at once, in bytes.
_CHUNK = 64 * 1024
CONTENT_TYPE = "text/plain; charset=utf-8"


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class BlockingReceiver:
    """The receiver's rules for a blocking server: checks the request as ``create_app`` does,
    reads its body within ``read_timeout``, then waits for the dispatch."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def answer(
        self,
        *,
        method: str,
        authorization: str | None,
        content_length: str | None,
        stream: _Readable,
        terminated: bool,
        peer: object,
        connection: socket.socket | None,
    ) -> Reply:
        """The reply to one request.

        - ``content_length``: the header as given (absent, blank or not a number: unknown).
        - ``terminated``: whether ``stream`` ends with the body, so that it may be read to its
          end when the length is unknown (``wsgi.input_terminated``); else a request
          without a length has no body.
        - ``connection``: the client's socket when the server lets it be reached, so that a
          stalled body is cut off after ``read_timeout``.
        """
        receiver = self.receiver
        length = _length(content_length)
        reply = (
            receiver.check_method(method)
            or receiver.check_auth(authorization)
            or receiver.check_length(length)
        )
        if reply is not None:
            return reply
        body = self._read_body(stream, length, terminated, peer, connection)
        if isinstance(body, Reply):
            return body
        return _blocking.dispatch_here(receiver.dispatcher, receiver.handle, body)

    def _read_body(
        self,
        stream: _Readable,
        length: int | None,
        terminated: bool,
        peer: object,
        connection: socket.socket | None,
    ) -> bytes | Reply:
        """The body; the 413 reply past ``max_body``, the 408 reply when it is not complete
        within ``read_timeout``, the reply to a client gone when it ends early."""
        receiver = self.receiver
        if length is None and not terminated:
            return b""  # PEP 3333: without a length, nothing may be read
        wanted = receiver.max_body + 1 if length is None else length
        deadline = time.monotonic() + receiver.read_timeout
        previous = connection.gettimeout() if connection is not None else None
        if previous == 0.0:  # a non-blocking socket: its server's own business
            connection = None
        chunks: list[bytes] = []
        size = 0
        try:
            while size < wanted:
                left = deadline - time.monotonic()
                if left <= 0:
                    return receiver.timed_out(peer)
                if connection is not None:
                    connection.settimeout(left)
                chunk = stream.read(min(_CHUNK, wanted - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except TimeoutError:
            return receiver.timed_out(peer)
        except (OSError, ValueError):  # reset, or a stream closed under us
            receiver.client_gone(peer)
            return GONE
        finally:
            if connection is not None:
                connection.settimeout(previous)
        if size > receiver.max_body:
            return receiver.too_large
        if length is not None and size < length:
            receiver.client_gone(peer)
            return GONE
        return b"".join(chunks)


class WebhookWSGIApp:
    """The webhook endpoint as a WSGI callable; build it with :func:`wsgi_app`."""

    def __init__(self, receiver: Receiver, path: str | None) -> None:
        self.receiver = receiver
        self.path = path
        self._blocking = BlockingReceiver(receiver)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        reply = self._route(environ)
        if reply is None:
            stream = environ["wsgi.input"]
            reply = self._blocking.answer(
                method=environ.get("REQUEST_METHOD", ""),
                authorization=environ.get("HTTP_AUTHORIZATION"),
                content_length=environ.get("CONTENT_LENGTH"),
                stream=stream,
                terminated=bool(environ.get("wsgi.input_terminated")),
                peer=environ.get("REMOTE_ADDR"),
                connection=connection_of(environ, stream),
            )
        body = reply.text.encode()
        headers = [
            ("Content-Type", CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            *reply.headers,
        ]
        start_response(f"{reply.status} {HTTPStatus(reply.status).phrase}", headers)
        return [body]

    def close(self) -> None:
        """Stop the dispatcher's loop thread, once the requests under way are answered (the
        next request starts it again): for tests, and servers that stop without exiting."""
        _blocking.close(self.receiver.dispatcher)

    def _route(self, environ: Environ) -> Reply | None:
        if self.path is None:
            return None
        return None if (environ.get("PATH_INFO") or "/") == self.path else NOT_FOUND


def wsgi_app(
    dispatcher: Dispatcher,
    *,
    username: str | None = None,
    password: str | None = None,
    path: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> WebhookWSGIApp:
    """A WSGI application receiving IVOWBA notifications (of either shape, the reference's
    format or the Cloud API envelope), answering exactly as :func:`create_app` does (401,
    405, 413, 408, 400, 500, 200), for any WSGI server or framework (gunicorn, waitress,
    uWSGI, mod_wsgi, Flask, Django), with no dependency on any of them.

    - ``path``: the one path served (404 elsewhere); ``None``, the default, serves whatever
      path the server or framework routes to it.
    - ``username``, ``password``, ``max_body``, ``read_timeout``: as for :func:`create_app`.

    The dispatcher runs on an event loop of its own, in one background thread per
    dispatcher (``ivowaba-webhooks``, started by the first request, in each worker process);
    async handlers run there. Plain handlers run in the request's own thread, whatever
    ``sync_in_thread`` says, so they see what the framework set up for the request (Flask's
    application context, Django's database connection). Deliveries of one message to two
    threads of a worker are handled once; across worker processes, give the dispatcher a
    shared store (``RedisDedupStore``).

    Serve it alone, or mount it beside a Flask app (``werkzeug``'s dispatcher)::

        hook = wsgi_app(dispatcher, username="ivo", password=os.environ["WEBHOOK_PASSWORD"])
        waitress.serve(hook, port=8080)                 # or: gunicorn module:hook
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/webhook": hook})   # Flask

    For Django, route a path to :func:`django_view` instead.

    ``read_timeout`` cuts off a body that has not arrived in time where the server gives
    the connection's socket (gunicorn; a server whose ``wsgi.input`` reads the socket
    directly, as ``wsgiref`` does) with 408. waitress reads the whole body before calling
    the app: pass ``channel_timeout=10`` and ``max_request_body_size`` (the bytes of
    ``max_body``) to ``waitress.serve`` to cut off slow and oversized bodies there. A WSGI
    application may not set ``Connection: close`` (PEP 3333): after a reply that left the
    body unread (401, 405, 413, 408), the server reads the rest away or closes the
    connection, as it does for any app. Some servers drop the ``Authorization`` header
    unless told to pass it (mod_wsgi: ``WSGIPassAuthorization On``).
    """
    receiver = Receiver(
        dispatcher,
        username=username,
        password=password,
        max_body=max_body,
        read_timeout=read_timeout,
    )
    return WebhookWSGIApp(receiver, path)


def connection_of(environ: Environ, stream: object) -> socket.socket | None:
    """The client's socket, when the server lets it be reached: gunicorn says it, and a
    ``wsgi.input`` that is a buffered file over the socket (``wsgiref``) holds it."""
    given = environ.get("gunicorn.socket")
    if isinstance(given, socket.socket):
        return given
    raw = getattr(stream, "raw", None)
    held = getattr(raw, "_sock", None) if isinstance(raw, socket.SocketIO) else None
    return held if isinstance(held, socket.socket) else None


def _length(header: str | None) -> int | None:
    try:
        return int(header) if header else None
    except ValueError:
        return None
