"""Every error ivowaba raises.

```
IvowabaError
├── ConfigError                  missing api key, bad base url
├── ValidationError (ValueError) bad input caught before any request
├── SandboxUnsupportedError      the operation does not exist in the sandbox
├── ClientClosedError            the client was used after close()
├── WindowClosedError            a free-form send outside the 24-hour window (with a store)
├── OutcomeStoreError            the outcome store failed while a send was screened: not sent
├── TemplateRejectedError        WhatsApp rejected the template waited for (.reason)
├── TemplateReviewTimeoutError   (also a TimeoutError) the review outlasted the wait
├── APIConnectionError           DNS, refused, reset
│   └── APITimeoutError
├── APIStatusError               status_code, message, body, headers (a 3xx too: never followed)
│   ├── BadRequestError            400
│   ├── AuthenticationError        401
│   ├── PermissionDeniedError      403
│   ├── NotFoundError              404
│   ├── UnprocessableEntityError   422  (.errors: field -> messages)
│   ├── RateLimitError             429  (.retry_after)
│   └── ServerError                5xx
├── ResponseDecodeError          a 2xx whose body is not what the reference documents
│   └── ResponseTooLargeError      an answer past the client's max_response_size
└── WebhookError
    ├── WebhookAuthError
    ├── WebhookParseError
    └── ReplyTimeoutError        (also a TimeoutError) no reply came within the wait
```

No error message ever contains the API key or a webhook password: messages are built from
the server's answer and the caller's arguments, never from headers we sent. Errors of the
transport (aiohttp's) are never chained: their reprs hold the request's headers. The SDK error
says their type and message instead.

Whether a failed request may have reached the gateway is decided in one place,
:func:`sent_state`, for the retry rules, ``BulkResult.sent``, the bulk journal and the Celery
results alike.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from ivowaba._json import decode_any

if TYPE_CHECKING:
    from ivowaba.types.templates import Template, TemplateProblem

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigError",
    "IvowabaError",
    "NotFoundError",
    "OutcomeStoreError",
    "PermissionDeniedError",
    "RateLimitError",
    "ReplyTimeoutError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "SandboxUnsupportedError",
    "ServerError",
    "TemplateRejectedError",
    "TemplateReviewTimeoutError",
    "UnprocessableEntityError",
    "ValidationError",
    "WebhookAuthError",
    "WebhookError",
    "WebhookParseError",
    "WindowClosedError",
]


class IvowabaError(Exception):
    """Base class of every error raised by ivowaba."""


class ConfigError(IvowabaError):
    """The client is configured wrongly: no API key, a base URL that is not http(s), ..."""


class ValidationError(IvowabaError, ValueError):
    """Bad input, caught before any request was made.

    - ``field``: the argument or wire field at fault, e.g. ``"action.buttons[1].title"``.
    - ``rule``: the rule it breaks, e.g. ``"at most 20 characters"``.
    - ``problems``: every rule broken, when a check finds them all at once (a template's
      definition: ``templates.create`` / ``update``); ``field`` and ``rule`` are the first's.
      Empty otherwise.
    """

    def __init__(self, field: str, rule: str, *, problems: Sequence[TemplateProblem] = ()) -> None:
        self.field = field
        self.rule = rule
        self.problems: tuple[TemplateProblem, ...] = tuple(problems)
        if len(self.problems) > 1:
            super().__init__("; ".join(str(problem) for problem in self.problems))
        else:
            super().__init__(f"{field}: {rule}")

    @classmethod
    def of(cls, problems: Sequence[TemplateProblem]) -> ValidationError:
        """The error for ``problems`` (at least one): the first's field and rule, and all."""
        first = problems[0]
        return cls(first.field, first.rule, problems=problems)


class SandboxUnsupportedError(IvowabaError):
    """The operation is not available in the IVOWBA sandbox (see the reference's list)."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        super().__init__(
            f"{operation} is not available in the sandbox; the sandbox supports sending "
            "text, template, media, location, contact, list and reply-button messages, "
            "and downloading media"
        )


class ClientClosedError(IvowabaError):
    """The client was used after ``close()`` / ``aclose()`` (or after its ``with`` block)."""

    def __init__(self, message: str = "the client is closed") -> None:
        super().__init__(message)


class WindowClosedError(IvowabaError):
    """A free-form message was refused before any request: the customer has not written in
    the last 24 hours (WhatsApp's customer service window), as far as the outcome store
    knows, and WhatsApp would fail it with error 470. Send a template message instead.

    - ``wa_id``: the customer's number.
    - ``last_inbound``: when they last wrote (a UTC ``datetime``), or ``None`` if never.
    """

    def __init__(self, wa_id: str, last_inbound: datetime | None) -> None:
        self.wa_id = wa_id
        self.last_inbound = last_inbound
        when = (
            "has never written"
            if last_inbound is None
            else f"last wrote at {last_inbound.isoformat()}"
        )
        super().__init__(
            f"{wa_id} {when}: the 24-hour customer service window is closed, "
            "so only a template message may be sent to them"
        )


class OutcomeStoreError(IvowabaError):
    """The outcome store failed (closed, a Redis gone away, a SQLite file locked past its
    ``busy_timeout``...) while a send was screened against it (opt-out, the 24-hour window),
    before any request: nothing was sent, and sending it again cannot duplicate it.

    - ``wa_id``: the customer whose record was asked for.
    - ``cause``: the store's own error as a line, its message and type
      (``"disk I/O error (OSError)"``), any ``user:password@`` of a URL in it masked. The
      error itself is not chained: its traceback may hold the store's connection.
    """

    def __init__(self, wa_id: str, cause: str) -> None:
        self.wa_id = wa_id
        self.cause = cause
        super().__init__(f"the outcome store failed: {cause}; nothing was sent to {wa_id}")

    @classmethod
    def of(cls, wa_id: str, error: BaseException) -> OutcomeStoreError:
        """The error for the store's ``error``, raised while screening ``wa_id``."""
        text = _URL_PASSWORD.sub(r"\1***@", str(error))
        kind = type(error).__name__
        return cls(wa_id, f"{text} ({kind})" if text else kind)


#: The ``user:password@`` (or ``:password@``) of a URL in a text: masked in messages.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^/\s]*@")


class TemplateRejectedError(IvowabaError):
    """WhatsApp rejected the template ``templates.wait_for_review`` waited for.

    - ``template``: the ``Template`` as last shown (``status`` ``"rejected"``).
    - ``template_id``: its id.
    - ``reason``: why, when the gateway says (``template.rejected_reason``), else ``None``.
    """

    def __init__(self, template: Template) -> None:
        self.template = template
        self.template_id = template.id
        self.reason = template.rejected_reason
        why = self.reason or "no reason given"
        super().__init__(f"template {template.id} was rejected: {why}")


class TemplateReviewTimeoutError(IvowabaError, TimeoutError):
    """``templates.wait_for_review`` gave up: the template was still under review when its
    ``timeout`` ran out (the review goes on; wait again later).

    - ``template_id``: the template waited for.
    - ``status``: its status when last asked (``"submitted"``, ``"pending"``, ...).
    - ``timeout``: the seconds waited.
    """

    def __init__(self, template_id: str, status: str | None, timeout: float) -> None:
        self.template_id = template_id
        self.status = status
        self.timeout = timeout
        super().__init__(
            f"template {template_id} is still {status or 'under review'} after {timeout:g} s"
        )


class APIConnectionError(IvowabaError):
    """The request could not be completed: DNS failure, connection refused or reset.

    ``never_sent`` is true when the request surely never reached the server (no connection
    was made), so that repeating it cannot duplicate anything.
    """

    def __init__(
        self, message: str, *, method: str = "", path: str = "", never_sent: bool = False
    ) -> None:
        self.method = method
        self.path = path
        self.never_sent = never_sent
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request timed out (connect or total)."""


class ResponseDecodeError(IvowabaError):
    """The server answered 2xx with a body that is not what the reference documents."""

    def __init__(self, message: str, *, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.body = body
        super().__init__(message)


class ResponseTooLargeError(ResponseDecodeError):
    """The answer grew past ``limit`` bytes (the client's ``max_response_size``, or a
    download's ``max_bytes``). Reading stopped there and the connection was dropped; ``body``
    holds the bytes read up to the limit."""

    def __init__(self, message: str, *, status_code: int, body: bytes, limit: int) -> None:
        self.limit = limit
        super().__init__(message, status_code=status_code, body=body)


class APIStatusError(IvowabaError):
    """The server answered with a non-2xx status (a redirect too: it is never followed, so
    that the API key is never sent to another host).

    - ``status_code``: the HTTP status.
    - ``message``: the server's own message (Laravel ``message``, WhatsApp ``errors[].title``),
      or the reason phrase.
    - ``body``: the decoded JSON body, or the raw text when it is not JSON.
    - ``headers``: the response headers.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any,
        headers: Mapping[str, str],
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers)
        super().__init__(f"{status_code}: {message}")

    @property
    def location(self) -> str | None:
        """The ``Location`` of a redirect (3xx), which was not followed."""
        return self.headers.get("Location") or self.headers.get("location")


class BadRequestError(APIStatusError):
    """400 Bad Request."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the API key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such template, media or webhook."""


class UnprocessableEntityError(APIStatusError):
    """422: the server rejected the request body. ``errors`` maps each field to its messages."""

    @property
    def errors(self) -> dict[str, list[str]]:
        if isinstance(self.body, dict):
            errors = self.body.get("errors")
            if isinstance(errors, dict):
                return {str(k): [str(m) for m in _as_list(v)] for k, v in errors.items()}
        return {}


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's wait in seconds, if it said."""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers)


class ServerError(APIStatusError):
    """5xx, or any answer whose body is not JSON (an HTML page from a proxy)."""


class WebhookError(IvowabaError):
    """Base class of webhook receiving errors."""


class WebhookAuthError(WebhookError):
    """A webhook request did not carry the right basic-auth credentials."""


class WebhookParseError(WebhookError):
    """A webhook body is not an IVOWBA notification."""


class ReplyTimeoutError(WebhookError, TimeoutError):
    """``Dispatcher.wait_for_reply`` gave up: the customer sent no (matching) message within
    its ``timeout``.

    - ``wa_id``: the customer waited for.
    - ``timeout``: the seconds waited.
    """

    def __init__(self, wa_id: str, timeout: float) -> None:
        self.wa_id = wa_id
        self.timeout = timeout
        super().__init__(f"no reply from {wa_id} within {timeout:g} s")


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (from a number or an HTTP date), or ``None``."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


#: Errors raised before any request left: whatever the operation, nothing was sent.
_BEFORE_ANY_REQUEST = (
    ConfigError,
    ValidationError,
    SandboxUnsupportedError,
    ClientClosedError,
    WindowClosedError,
    OutcomeStoreError,
)


def sent_state(error: BaseException | None) -> bool | None:
    """Whether a request that ended with ``error`` reached the gateway: the one rule.

    - ``True``: no error, it was accepted.
    - ``False``: surely not: bad input, a closed client or an outcome store that failed while
      the send was screened (no request was made), a connection that was never made, or an
      answer below 500 (a 4xx, or a redirect, which is not followed), by which the gateway
      says it did not act. Sending it again cannot duplicate it.
    - ``None``: it may have: any 5xx (the gateway may fail after it accepted), a timeout or a
      connection dropped after the request left, a 2xx whose body could not be read, or any
      other failure. The gateway offers no idempotency key, so nobody can know; look before
      sending it again.
    """
    if error is None:
        return True
    if isinstance(error, _BEFORE_ANY_REQUEST):
        return False
    if isinstance(error, APIStatusError):
        return False if error.status_code < 500 else None
    if isinstance(error, APIConnectionError) and error.never_sent:
        return False
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _message_from(body: Any) -> str | None:
    """The human message of an error body, Laravel or WhatsApp shaped."""
    if not isinstance(body, dict):
        return None
    message = body.get("message")
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts = []
        for error in errors:
            if isinstance(error, dict):
                text = " ".join(
                    str(error[k]) for k in ("code", "title", "details") if error.get(k) is not None
                )
                parts.append(text)
        if parts and not message:
            return "; ".join(parts)
    if isinstance(message, str) and message:
        if isinstance(errors, dict):
            details = "; ".join(
                f"{field}: {' '.join(str(m) for m in _as_list(msgs))}"
                for field, msgs in errors.items()
            )
            return f"{message} ({details})" if details else message
        return message
    return None


def status_error(
    status_code: int, raw_body: bytes, headers: Mapping[str, str], reason: str = ""
) -> APIStatusError:
    """Build the typed error for a non-2xx answer.

    A body that is not JSON (an HTML 502 page from a proxy) never surfaces as a decode crash:
    the error keeps its text as ``body`` and its class follows the status as usual.
    """
    try:
        body: Any = decode_any(raw_body) if raw_body else None
        message = _message_from(body) or reason or "error"
    except (msgspec.DecodeError, RecursionError):  # not JSON, or nested past any sense
        body = raw_body.decode("utf-8", "replace")
        message = f"non-JSON answer: {body[:200].strip() or reason}"
    if status_code >= 500:
        cls: type[APIStatusError] = ServerError
    else:
        cls = _STATUS_ERRORS.get(status_code, APIStatusError)
    if 300 <= status_code < 400:
        location = headers.get("Location") or headers.get("location") or "nowhere"
        message = f"redirected to {location} (redirects are not followed)"
    return cls(message, status_code=status_code, body=body, headers=headers)


for _name in __all__:  # tracebacks and reprs say ivowaba.ConfigError, never a private path
    globals()[_name].__module__ = "ivowaba"
del _name
