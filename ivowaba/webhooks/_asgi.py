"""``asgi_app``: the webhook endpoint as a plain ASGI application (no framework needed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from ivowaba.webhooks._dispatcher import Dispatcher
from ivowaba.webhooks._receiver import (
    DEFAULT_MAX_BODY,
    DEFAULT_READ_TIMEOUT,
    NOT_FOUND,
    Receiver,
    Reply,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class WebhookASGIApp:
    """The webhook endpoint as an ASGI callable; build it with :func:`asgi_app`."""

    def __init__(self, receiver: Receiver, path: str | None) -> None:
        self.receiver = receiver
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # a websocket: refuse it
            await send({"type": "websocket.close", "code": 1008})
            return
        reply = self._route(scope) or self._check_headers(scope)
        if reply is not None:
            await _send(send, reply, close=True)
            return
        body = await self._read_body(scope, receive)
        if body is None:  # the client went away
            return
        if isinstance(body, Reply):
            await _send(send, body, close=True)
            return
        await _send(send, await self.receiver.handle(body))

    def _route(self, scope: Scope) -> Reply | None:
        if self.path is None:
            return None
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        return None if path == self.path else NOT_FOUND

    def _check_headers(self, scope: Scope) -> Reply | None:
        receiver = self.receiver
        method: str = scope.get("method", "")
        headers: dict[bytes, bytes] = {k.lower(): v for k, v in scope.get("headers", ())}
        authorization = headers.get(b"authorization")
        length = headers.get(b"content-length")
        try:
            content_length = int(length) if length is not None else None
        except ValueError:
            content_length = None
        return (
            receiver.check_method(method)
            or receiver.check_auth(authorization.decode("latin-1") if authorization else None)
            or receiver.check_length(content_length)
        )

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | Reply | None:
        """The body; the 413 reply once it grows past the cap, the 408 reply when it is not
        complete within ``read_timeout``; ``None`` on disconnect."""
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(self.receiver.read_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        self.receiver.client_gone(_peer(scope))
                        return None
                    chunk: bytes = message.get("body", b"")
                    size += len(chunk)
                    if size > self.receiver.max_body:
                        return self.receiver.too_large
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            return self.receiver.timed_out(_peer(scope))


def asgi_app(
    dispatcher: Dispatcher,
    *,
    username: str | None = None,
    password: str | None = None,
    path: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> WebhookASGIApp:
    """An ASGI application receiving IVOWBA notifications (of either shape, the reference's
    format or the Cloud API envelope), answering exactly as :func:`create_app` does, for any
    ASGI server or framework (uvicorn, hypercorn, Starlette, FastAPI), with no dependency on
    any of them.

    - ``path``: the one path served (404 elsewhere); ``None``, the default, serves whatever
      path the framework routes to it.
    - ``username``, ``password``, ``max_body``: as for :func:`create_app`.
    - ``read_timeout``: how long the body may take to arrive once the headers are in, in
      seconds (10 by default); past it the answer is 408 with ``Connection: close``. A
      client that hangs up before sending its whole body is logged at DEBUG by the
      ``ivowaba.webhooks`` logger.

    In FastAPI or Starlette, route a path to it, on the same server as the rest of the app
    (a ``Route``: ``app.mount`` would answer ``/webhook`` with a 307 to ``/webhook/``, which
    the gateway does not follow; ``app.add_route`` is typed for request handlers)::

        webhook = asgi_app(dispatcher, username="ivo", password=secret)
        app.router.routes.append(starlette.routing.Route("/webhook", webhook))

    or serve it alone: ``uvicorn.run(asgi_app(dispatcher), port=8080)``.

    An ASGI application is called once the headers are in, so connections that are idle or
    have not sent their headers yet are the server's to close:

    - hypercorn closes them after ``keep_alive_timeout`` (``--keep-alive``, 5 s by
      default); ``read_timeout`` (``--read-timeout``, none by default) also closes a
      connection on which no data arrives for that long.
    - uvicorn closes a connection idle after a response after ``--timeout-keep-alive``
      (``timeout_keep_alive``, 5 s by default), but has no timeout for a connection that
      has not sent complete headers. ``--h11-max-incomplete-event-size`` caps how much of
      such headers it buffers and ``--limit-concurrency`` how many connections it serves;
      to close slow ones, run it behind a reverse proxy that does (nginx:
      ``client_header_timeout``, ``client_body_timeout``).
    """
    receiver = Receiver(
        dispatcher,
        username=username,
        password=password,
        max_body=max_body,
        read_timeout=read_timeout,
    )
    return WebhookASGIApp(receiver, path)


def _peer(scope: Scope) -> object:
    """The client's address, for the log: its host, as aiohttp's ``request.remote``."""
    client = scope.get("client")
    return client[0] if client else None


async def _send(send: Send, reply: Reply, *, close: bool = False) -> None:
    """Send the reply; ``close`` asks the server to close the connection, for a body left
    unread."""
    body = reply.text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in reply.headers
        ),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Answer the server's startup and shutdown, when the app is served alone."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
