"""What a webhook endpoint answers, whichever server runs it (aiohttp, ASGI or WSGI)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from ivowaba._errors import ConfigError, WebhookParseError
from ivowaba.webhooks._auth import verify_basic_auth
from ivowaba.webhooks._dispatcher import Dispatcher
from ivowaba.webhooks._parse import parse

logger = logging.getLogger("ivowaba.webhooks")

#: The largest body accepted by default: 1 MiB, far above any notification (a few kB).
DEFAULT_MAX_BODY = 1024 * 1024

#: How long a client may take to send a request by default, in seconds: the body once the
#: headers are in, and (with ``create_app``) the headers on a new or idle connection. The
#: gateway sends a notification of a few kB at once; only a stalled client takes longer.
DEFAULT_READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    headers: tuple[tuple[str, str], ...] = ()


OK = Reply(200, "ok\n")
NOT_ALLOWED = Reply(405, "POST a notification here\n", (("Allow", "POST"),))
UNAUTHORIZED = Reply(
    401,
    "wrong or missing credentials\n",
    (("WWW-Authenticate", 'Basic realm="ivowaba webhook", charset="UTF-8"'),),
)
NOT_A_NOTIFICATION = Reply(400, "the body is not a notification\n")
HANDLER_FAILED = Reply(500, "a handler failed; deliver again later\n")
TIMED_OUT = Reply(408, "the body did not arrive in time\n")
NOT_FOUND = Reply(404, "not found\n")
# What is answered to a client that hung up: never read, but a server wants a response.
GONE = Reply(400, "the connection closed before the whole body arrived\n")


class Receiver:
    """Checks a delivery step by step (method, credentials, size, body) and dispatches it."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        username: str | None,
        password: str | None,
        max_body: int,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        if (username is None) != (password is None):
            raise ConfigError("give both username and password, or neither")
        if max_body < 1:
            raise ConfigError("max_body must be a positive number of bytes")
        if not 0 < read_timeout < math.inf:
            raise ConfigError("read_timeout must be a positive number of seconds")
        self.dispatcher = dispatcher
        self.max_body = max_body
        self.read_timeout = float(read_timeout)
        self._credentials = (username, password) if username is not None else None
        self.too_large = Reply(413, f"the body is larger than {max_body} bytes\n")

    def check_method(self, method: str) -> Reply | None:
        return None if method.upper() == "POST" else NOT_ALLOWED

    def check_auth(self, authorization: str | None) -> Reply | None:
        if self._credentials is None:
            return None
        username, password = self._credentials
        assert password is not None
        if verify_basic_auth(authorization, username, password):
            return None
        # Said, or a wrong password shows only as statuses that never arrive. What was sent
        # is never logged: it may be the right password with a wrong user name.
        logger.warning(
            "a delivery was refused (401): %s",
            "no credentials" if not authorization else "wrong user name or password",
        )
        return UNAUTHORIZED

    def check_length(self, content_length: int | None) -> Reply | None:
        return (
            self.too_large
            if content_length is not None and content_length > self.max_body
            else None
        )

    def client_gone(self, peer: object, *, cancelled: bool = False) -> None:
        """Note a client that hung up before sending its whole body (or, ``cancelled``, a
        request the server cancelled meanwhile): nothing to answer, and nothing wrong here."""
        if cancelled:
            logger.debug("webhook request from %s cancelled before its whole body arrived", peer)
        else:
            logger.debug("webhook client %s disconnected before sending the whole body", peer)

    def timed_out(self, peer: object) -> Reply:
        """The reply to a client whose body did not arrive within ``read_timeout``."""
        logger.info(
            "webhook body from %s not received within %g s; closing the connection",
            peer,
            self.read_timeout,
        )
        return TIMED_OUT

    async def handle(self, body: bytes) -> Reply:
        try:
            notification = parse(body)
        except WebhookParseError as exc:
            logger.info("webhook body rejected: %s", exc)
            return NOT_A_NOTIFICATION
        try:
            await self.dispatcher.dispatch(notification)
        except Exception:
            return HANDLER_FAILED  # the dispatcher logged it
        return OK
