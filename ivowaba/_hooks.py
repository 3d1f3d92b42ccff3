"""Watching a client's requests: event hooks, the debug log, and instrumentation.

Every request of a client goes one of two ways (``AsyncClient.call``, ``request``,
``stream``):

- the bare path, when nothing watches: no hook, no timer, no event;
- the watched path, when the client has ``event_hooks``, when ``ivowaba.contrib.otel``
  instruments every client, when the ``ivowaba`` logger is at DEBUG, or for a
  ``with_raw_response`` call. A :class:`Watch` then follows the operation from its first
  attempt to its result: it fires the hooks, writes the debug log line, reports to the
  instrumentation and keeps the answer's status and headers for ``with_raw_response``.

The events carry what a hook may want (the operation, method, route, attempt, status,
elapsed time, the wait before a retry and why) and nothing else: never a header, so never the
API key, never a body.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ivowaba._errors import ConfigError, IvowabaError
from ivowaba._logging import logger

if TYPE_CHECKING:
    from yarl import URL

    from ivowaba._ratelimit import RateLimiter


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """An attempt about to leave (after the rate limiter let it go): the ``"request"`` hook's.

    - ``operation``: as the SDK names it, ``"messages.send_text"``.
    - ``method``, ``route``: ``"POST"``, ``"/api/v1/messages/send-text-message"``; the
      route is the template (``/api/v1/media/{media_id}``), never a path with ids in it.
    - ``attempt``: ``1`` for the first, ``2`` for the first retry, ...
    """

    operation: str
    method: str
    route: str
    attempt: int


@dataclass(frozen=True, slots=True)
class ResponseEvent:
    """How an attempt ended: the ``"response"`` hook's, once per attempt, failed or not.

    - ``operation``, ``method``, ``route``, ``attempt``: as in ``RequestEvent``.
    - ``status``: the answer's HTTP status; ``None`` when no answer came (the connection
      failed or timed out).
    - ``elapsed``: seconds from the request leaving to the answer read (or the failure).
    - ``error``: the SDK error the attempt ends with (``RateLimitError``,
      ``APITimeoutError``, ...), ``None`` for a 2xx.
    """

    operation: str
    method: str
    route: str
    attempt: int
    status: int | None
    elapsed: float
    error: IvowabaError | None


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """A failed attempt about to be retried: the ``"retry"`` hook's, before the wait.

    - ``operation``, ``method``, ``route``: as in ``RequestEvent``.
    - ``attempt``: the attempt that failed; the next one is ``attempt + 1``.
    - ``wait``: seconds before the next attempt (the server's ``Retry-After``, else backoff).
    - ``error``: why: the SDK error of the failed attempt.
    """

    operation: str
    method: str
    route: str
    attempt: int
    wait: float
    error: IvowabaError


Event = RequestEvent | ResponseEvent | RetryEvent
#: An event hook: a function or a coroutine function taking the event.
Hook = Callable[[Any], object]

#: The events a hook may be given for, in the order they come.
EVENTS = ("request", "response", "retry")


@dataclass(frozen=True, slots=True)
class Hooks:
    """A client's event hooks, by event, in the order given."""

    request: tuple[Hook, ...] = ()
    response: tuple[Hook, ...] = ()
    retry: tuple[Hook, ...] = ()


#: Watch, with no hook of one's own: for a client that instrumentation or a raw answer watches.
NO_HOOKS = Hooks()


def resolve_event_hooks(event_hooks: Mapping[str, Iterable[Hook]] | None) -> Hooks | None:
    """The ``event_hooks`` option, checked: ``None`` when it names no hook at all."""
    if event_hooks is None:
        return None
    if not isinstance(event_hooks, Mapping):
        raise ConfigError(
            f"event_hooks must be a dict of event name to a list of callables, "
            f"got {type(event_hooks).__name__}"
        )
    lists: dict[str, tuple[Hook, ...]] = {}
    for event, hooks in event_hooks.items():
        if event not in EVENTS:
            raise ConfigError(
                f"event_hooks[{event!r}]: unknown event; the events are {', '.join(EVENTS)}"
            )
        if callable(hooks) or isinstance(hooks, (str, bytes)) or not isinstance(hooks, Iterable):
            raise ConfigError(f"event_hooks[{event!r}] must be a list of callables")
        lists[event] = tuple(hooks)
        for index, hook in enumerate(lists[event]):
            if not callable(hook):
                raise ConfigError(
                    f"event_hooks[{event!r}][{index}] must be callable, got {type(hook).__name__}"
                )
    if not any(lists.values()):
        return None
    return Hooks(**lists)


async def _fire(hooks: tuple[Hook, ...], event: Event) -> None:
    for hook in hooks:
        outcome = hook(event)
        if inspect.isawaitable(outcome):
            await outcome


# -- instrumentation -------------------------------------------------------------------------


class Probe(Protocol):
    """What instrumentation follows one operation with (``Instrumentation.start``'s)."""

    def retrying(self, wait: float, error: IvowabaError) -> None: ...

    def rate_limited(self, seconds: float) -> None: ...

    def end(self, result: object, error: BaseException | None) -> None: ...


class Instrumentation(Protocol):
    """Told of every operation of every client (``ivowaba.contrib.otel`` is one)."""

    def start(self, watch: Watch) -> Probe: ...


#: The instrumentation every client reports to, or ``None``: see
#: ``ivowaba._client.watch_every_client``, which sets it.
instrumentation: Instrumentation | None = None


def set_instrumentation(value: Instrumentation | None) -> None:
    global instrumentation
    instrumentation = value


def instrumented() -> bool:
    """Whether some instrumentation is told of every operation."""
    return instrumentation is not None


# -- raw answers -----------------------------------------------------------------------------


class AnswerSeen:
    """The status and headers of the last answer of an operation (``with_raw_response``)."""

    __slots__ = ("headers", "status")

    def __init__(self) -> None:
        self.status = 0
        self.headers: Mapping[str, str] = {}


#: Set by a ``with_raw_response`` call while its operation runs.
answer_seen: ContextVar[AnswerSeen | None] = ContextVar("ivowaba_answer_seen", default=None)


# -- one operation, watched ------------------------------------------------------------------


class Watch:
    """One operation on the watched path, from its first attempt to its result."""

    __slots__ = (
        "attempts",
        "body",
        "error",
        "hooks",
        "left",
        "log",
        "method",
        "operation",
        "probe",
        "route",
        "status",
        "url",
    )

    def __init__(
        self,
        hooks: Hooks,
        operation: str,
        method: str,
        route: str,
        url: URL,
        body: object,
        *,
        log: bool,
    ) -> None:
        self.hooks = hooks
        self.operation = operation
        self.method = method
        self.route = route
        self.url = url
        #: The request body (JSON bytes, a form's factory, or ``None``), for instrumentation.
        self.body = body
        self.log = log
        self.attempts = 0
        self.status: int | None = None
        self.error: IvowabaError | None = None
        self.left = 0.0
        watcher = instrumentation
        self.probe = None if watcher is None else watcher.start(self)

    async def rate_limited(self, limiter: RateLimiter) -> None:
        """Wait for ``limiter``, timing the wait."""
        started = time.perf_counter()
        await limiter.acquire()
        if self.probe is not None:
            self.probe.rate_limited(time.perf_counter() - started)

    async def leaving(self, attempt: int) -> None:
        """Attempt ``attempt`` leaves now."""
        self.attempts = attempt
        self.left = time.perf_counter()
        if self.hooks.request:
            await _fire(
                self.hooks.request, RequestEvent(self.operation, self.method, self.route, attempt)
            )

    async def answered(
        self, status: int | None, error: IvowabaError | None, cause: str | None = None
    ) -> None:
        """The attempt ended: with an answer (``status``), or ``error``; ``cause`` names
        the transport's error behind it, for the log."""
        elapsed = time.perf_counter() - self.left
        self.status = status
        self.error = error
        if self.log:
            logger.debug(
                "%s %s -> %s (attempt %d, %.1f ms)",
                self.method,
                self.url.path,
                status if status is not None else cause or type(error).__name__,
                self.attempts,
                elapsed * 1000,
            )
        if self.hooks.response:
            event = ResponseEvent(
                self.operation, self.method, self.route, self.attempts, status, elapsed, error
            )
            await _fire(self.hooks.response, event)

    async def retrying(self, seconds: float) -> None:
        """The last attempt failed; the next comes after ``seconds``."""
        error = self.error
        assert error is not None  # only a failed attempt is retried
        if self.probe is not None:
            self.probe.retrying(seconds, error)
        if self.hooks.retry:
            event = RetryEvent(
                self.operation, self.method, self.route, self.attempts, seconds, error
            )
            await _fire(self.hooks.retry, event)

    def end(self, status: int, headers: Mapping[str, str], result: object) -> None:
        """The operation succeeded with ``result``, from an answer of ``status``."""
        seen = answer_seen.get()
        if seen is not None:
            seen.status, seen.headers = status, headers
        if self.probe is not None:
            self.probe.end(result, None)

    def fail(self, error: BaseException) -> None:
        """The operation failed with ``error`` (after its last attempt, or before one)."""
        if self.probe is not None:
            self.probe.end(None, error)


__all__ = ["RequestEvent", "ResponseEvent", "RetryEvent"]

for _event in (RequestEvent, ResponseEvent, RetryEvent):
    _event.__module__ = "ivowaba"  # as users import them: ivowaba.RequestEvent, ...
