"""``asgi_app``: the webhook endpoint as a plain ASGI application (no framework needed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ivowaba.webhooks._dispatcher import Dispatcher
from ivowaba.webhooks._receiver import DEFAULT_MAX_BODY, Receiver, Reply

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_NOT_FOUND = Reply(404, "not found\n")


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
        body = await self._read_body(receive)
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
        return None if path == self.path else _NOT_FOUND

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

    async def _read_body(self, receive: Receive) -> bytes | Reply | None:
        """The body; the 413 reply once it grows past the cap; ``None`` on disconnect."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.receiver.max_body:
                return self.receiver.too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def asgi_app(
    dispatcher: Dispatcher,
    *,
    username: str | None = None,
    password: str | None = None,
    path: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> WebhookASGIApp:
    """An ASGI application receiving IVOWBA notifications, answering exactly as
    :func:`create_app` does, for any ASGI server or framework (uvicorn, hypercorn, Starlette,
    FastAPI), with no dependency on any of them.

    - ``path``: the one path served (404 elsewhere); ``None``, the default, serves whatever
      path the framework routes to it.
    - ``username``, ``password``, ``max_body``: as for :func:`create_app`.

    In FastAPI or Starlette, route a path to it, on the same server as the rest of the app::

        app.add_route("/webhook", asgi_app(dispatcher, username="ivo", password=secret))

    or serve it alone: ``uvicorn.run(asgi_app(dispatcher), port=8080)``.
    """
    receiver = Receiver(dispatcher, username=username, password=password, max_body=max_body)
    return WebhookASGIApp(receiver, path)


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
