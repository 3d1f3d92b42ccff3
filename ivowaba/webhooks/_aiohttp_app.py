"""``create_app``: the webhook endpoint as an ``aiohttp.web.Application``."""

from __future__ import annotations

import asyncio

import anyio
from aiohttp import hdrs, web

from ivowaba.webhooks._dispatcher import Dispatcher
from ivowaba.webhooks._receiver import (
    DEFAULT_MAX_BODY,
    DEFAULT_READ_TIMEOUT,
    GONE,
    Receiver,
    Reply,
)


def create_app(
    dispatcher: Dispatcher,
    *,
    username: str | None = None,
    password: str | None = None,
    path: str = "/webhook",
    max_body: int = DEFAULT_MAX_BODY,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> web.Application:
    """An aiohttp application receiving IVOWBA notifications at ``path`` and dispatching them.

    - ``username``, ``password``: the basic-auth credentials set on the webhook in IVOWBA;
      both or neither (then no authentication is asked).
    - ``max_body``: the largest body accepted, in bytes (1 MiB by default).
    - ``read_timeout``: how long a client may take to send a request, in seconds (10 by
      default). A body that has not arrived completely this long after its headers is
      answered 408 and its connection closed. A connection that has not sent complete
      headers this long after it opened, or after its previous response, is closed too.

    Takes notifications of either shape, the reference's format or the Cloud API envelope.
    Answers 401 (with ``WWW-Authenticate``) without the right credentials, 405 to anything
    but POST, 413 past ``max_body``, 400 for a body that is not a notification, 200 once every
    handler succeeded (also when none matched, or for a duplicate), and 500 when a handler
    raised, so that the gateway delivers it again. A client that hangs up before sending its
    whole body is logged at DEBUG by the ``ivowaba.webhooks`` logger, not as an error. Raises
    ``ConfigError`` for a username without a password or the reverse, or a ``read_timeout``
    that is not a positive number::

        app = create_app(dispatcher, username="ivo", password=os.environ["WEBHOOK_PASSWORD"])
        web.run_app(app, port=8080)

    The timeout on headers and idle connections is aiohttp's ``keepalive_timeout``, which the
    application sets to ``read_timeout`` and which takes precedence over a
    ``keepalive_timeout`` passed to ``web.run_app`` or ``AppRunner``. Mounted in an existing
    application with ``main_app.add_subapp("/hooks", app)``, the main application's settings
    apply instead: pass ``keepalive_timeout=10`` to ``web.run_app`` or ``AppRunner`` there.
    """
    receiver = Receiver(
        dispatcher,
        username=username,
        password=password,
        max_body=max_body,
        read_timeout=read_timeout,
    )

    async def receive(request: web.Request) -> web.StreamResponse:
        reply = (
            receiver.check_method(request.method)
            or receiver.check_auth(request.headers.get(hdrs.AUTHORIZATION))
            or receiver.check_length(request.content_length)
        )
        if reply is not None:
            return _response(reply, close=True)
        if request.transport is None:  # it hung up before this handler started
            receiver.client_gone(request.remote)
            return _response(GONE, close=True)
        try:
            with anyio.fail_after(receiver.read_timeout):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _response(receiver.too_large, close=True)
        except TimeoutError:
            return await _answer_and_close(request, receiver.timed_out(request.remote))
        except ConnectionError:  # ConnectionResetError, aiohttp's ClientConnectionResetError
            receiver.client_gone(request.remote)
            return _response(GONE, close=True)
        except asyncio.CancelledError:  # aiohttp's handler_cancellation, or a shutdown
            receiver.client_gone(request.remote, cancelled=True)
            raise
        return _response(await receiver.handle(body))

    # handler_args reach aiohttp's connection handler: an idle connection, or one whose
    # headers are incomplete, is closed after keepalive_timeout.
    app = web.Application(
        client_max_size=max_body,
        handler_args={"keepalive_timeout": receiver.read_timeout},
    )
    app.router.add_route("*", path, receive)
    return app


def _response(reply: Reply, *, close: bool = False) -> web.Response:
    """The reply; ``close`` when the body was left unread, so that the client stops sending it
    and the connection does not carry its rest into the next request."""
    response = web.Response(status=reply.status, text=reply.text)
    for name, value in reply.headers:
        response.headers[name] = value
    if close:
        response.force_close()
    return response


async def _answer_and_close(request: web.Request, reply: Reply) -> web.Response:
    """Send the reply, then close the connection at once: aiohttp would otherwise keep it open
    a while longer to read and drop the rest of a body that is not coming."""
    response = _response(reply, close=True)
    try:
        await response.prepare(request)
        await response.write_eof()
    except ConnectionError:
        pass  # it hung up meanwhile
    request.protocol.force_close()
    return response
