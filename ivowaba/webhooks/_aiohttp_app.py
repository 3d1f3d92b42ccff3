"""``create_app``: the webhook endpoint as an ``aiohttp.web.Application``."""

from __future__ import annotations

from aiohttp import hdrs, web

from ivowaba.webhooks._dispatcher import Dispatcher
from ivowaba.webhooks._receiver import DEFAULT_MAX_BODY, Receiver, Reply


def create_app(
    dispatcher: Dispatcher,
    *,
    username: str | None = None,
    password: str | None = None,
    path: str = "/webhook",
    max_body: int = DEFAULT_MAX_BODY,
) -> web.Application:
    """An aiohttp application receiving IVOWBA notifications at ``path`` and dispatching them.

    - ``username``, ``password``: the basic-auth credentials set on the webhook in IVOWBA;
      both or neither (then no authentication is asked).
    - ``max_body``: the largest body accepted, in bytes (1 MiB by default).

    Answers 401 (with ``WWW-Authenticate``) without the right credentials, 405 to anything
    but POST, 413 past ``max_body``, 400 for a body that is not a notification, 200 once every
    handler succeeded (also when none matched, or for a duplicate), and 500 when a handler
    raised, so that the gateway delivers it again. Raises ``ConfigError`` for a username
    without a password or the reverse::

        app = create_app(dispatcher, username="ivo", password=os.environ["WEBHOOK_PASSWORD"])
        web.run_app(app, port=8080)

    Mount it in an existing application with ``main_app.add_subapp("/hooks", app)``.
    """
    receiver = Receiver(dispatcher, username=username, password=password, max_body=max_body)

    async def receive(request: web.Request) -> web.StreamResponse:
        reply = (
            receiver.check_method(request.method)
            or receiver.check_auth(request.headers.get(hdrs.AUTHORIZATION))
            or receiver.check_length(request.content_length)
        )
        if reply is not None:
            return _response(reply, close=True)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _response(receiver.too_large, close=True)
        return _response(await receiver.handle(body))

    app = web.Application(client_max_size=max_body)
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
