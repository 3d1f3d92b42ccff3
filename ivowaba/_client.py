"""``AsyncClient``: configuration, the aiohttp session, and the request pipeline.

A request goes: resource method -> ``AsyncClient.request(endpoint, ...)`` -> rate limit ->
one aiohttp request (redirects never followed) -> status check -> a read bounded by
``max_response_size`` -> (on a retryable failure) tenacity-driven retries.
Resources encode bodies and decode answers; nothing here knows which operation it serves.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

import aiohttp
import msgspec
from yarl import URL

from ivowaba import _config, _fork, _loops, _retry
from ivowaba._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    ConfigError,
    IvowabaError,
    ResponseDecodeError,
    ResponseTooLargeError,
    SandboxUnsupportedError,
    status_error,
)
from ivowaba._hooks import (
    NO_HOOKS,
    Hooks,
    Instrumentation,
    Watch,
    instrumented,
    resolve_event_hooks,
    set_instrumentation,
)
from ivowaba._logging import logger, setup_from_env
from ivowaba._operations import SANDBOX_PREFIX
from ivowaba._operations import Operation as Endpoint
from ivowaba._ratelimit import RateLimiter, SlidingWindowLimiter
from ivowaba._resource import Async
from ivowaba._version import __version__
from ivowaba.resources.contacts import Contacts
from ivowaba.resources.countries import Countries
from ivowaba.resources.media import MediaResource
from ivowaba.resources.messages import Messages
from ivowaba.resources.settings import Settings
from ivowaba.resources.templates import Templates
from ivowaba.resources.webhooks import Webhooks

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")

USER_AGENT = f"ivowaba-python/{__version__} aiohttp/{aiohttp.__version__}"
_DEBUG = 10

#: Called right before each request leaves, once the rate limiter let it go: what the bulk
#: command journals as "in flight". Set it in the task that sends.
request_leaving: ContextVar[Callable[[], None] | None] = ContextVar(
    "ivowaba_request_leaving", default=None
)


class Answer(msgspec.Struct, frozen=True):
    """A successful (2xx) answer, before decoding; a streamed one keeps its open ``response``.

    A struct, not a dataclass: made once per request, and a frozen dataclass's ``__init__``
    costs ten times as much."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    response: aiohttp.ClientResponse | None = None


Body = bytes | Callable[[], aiohttp.MultipartWriter] | None


class AsyncClient:
    """The asynchronous IVOWBA client.

    - ``api_key``: sent as ``X-API-KEY``; default ``IVOWABA_API_KEY``. Missing, or with white
      space at an end (a key read from a file keeps its newline): ``ConfigError``.
    - ``base_url``: default ``IVOWABA_BASE_URL``, else ``https://waba.ivosights.com``.
    - ``sandbox``: send to the ``/sandbox`` endpoints; operations the sandbox lacks raise
      ``SandboxUnsupportedError`` before any request.
    - ``timeout``: seconds for the whole request, or ``Timeout(total=, connect=, read=)``.
    - ``max_retries``: retries after the first attempt (``0`` turns retrying off).
    - ``rate_limit``: at most this many requests start in any one-second window.
    - ``rate_limiter``: your own limiter instead (anything with ``async acquire()``).
    - ``max_connections``: connection pool size.
    - ``max_response_size``: the largest answer read, in bytes (8 MiB by default); past it the
      read stops, the connection is dropped and ``ResponseTooLargeError`` is raised.
    - ``default_country_code``: e.g. ``"62"``, so that ``0812...`` is sent as ``62812...``.
    - ``check_templates``: check template parameter counts before every ``send_template``.
    - ``outcomes``: an outcome store (``ivowaba.outcomes.open_store(url)``), which turns on
      the 24-hour window guard: a free-form send (text, media, location, contacts, buttons,
      list, product, product list, flow) to a number that has not written in the last 24
      hours, or never did, as far as the store knows, raises ``WindowClosedError`` before any
      request; template sends (``send_template``, ``send_otp``) always go. ``send_many``
      also skips opted-out numbers with it. The store stays yours to close.
    - ``event_hooks``: ``{"request": [...], "response": [...], "retry": [...]}``, functions or
      coroutine functions called with a ``RequestEvent`` (an attempt leaving), a
      ``ResponseEvent`` (how it ended: status, elapsed time, error) or a ``RetryEvent`` (the
      wait before the next attempt, and why), in the order given. They see no header and no
      body (so never the API key); an exception they raise ends the call with it.
    - ``session``: an ``aiohttp.ClientSession`` you own; we never close it.

    ``with_options(timeout=..., max_retries=...)`` gives a client like this one that shares
    its connection pool; ``client.messages.with_raw_response.send_text(...)`` (any resource,
    any operation) returns the answer's ``status_code`` and ``headers`` with ``parse()``.

    Redirects are never followed (the API key must not reach another host): a 3xx answer is
    an ``APIStatusError`` whose ``location`` says where it pointed.

    The connection pool belongs to the event loop that opened it. A client used by a second
    ``asyncio.run()`` (or by tests with a loop each) opens a fresh pool there; the old loop's
    pool is closed when that loop shuts down. Using one client from two loops running at the
    same time raises ``IvowabaError``. In a forked child the parent's pool is left untouched
    and a new one is opened.

    ```python
    async with ivowaba.AsyncClient() as client:
        sent = await client.messages.send_text("628123456789", "hello")
    ```
    """

    # Slots, not a __dict__: the request path reads a dozen of these per request, and a slot
    # is read on CPython's fastest path however many attributes the client has (through a
    # __dict__, every read gets slower once an instance has about 30 of them).
    __slots__ = (
        "__weakref__",
        "_client_timeout",
        "_closed",
        "_generation",
        "_guard",
        "_headers",
        "_hooks",
        "_loop",
        "_own_hooks",
        "_own_session",
        "_parent",
        "_raw_twin",
        "_request_headers",
        "_secret",
        "_session",
        "_stream_timeout",
        "_urls",
        "base_url",
        "check_templates",
        "contacts",
        "countries",
        "default_country_code",
        "max_connections",
        "max_response_size",
        "max_retries",
        "media",
        "messages",
        "outcomes",
        "rate_limiter",
        "sandbox",
        "settings",
        "templates",
        "timeout",
        "webhooks",
    )

    contacts: Contacts[Async]
    countries: Countries[Async]
    media: MediaResource[Async]
    messages: Messages[Async]
    settings: Settings[Async]
    templates: Templates[Async]
    webhooks: Webhooks[Async]

    def __init__(
        self,
        api_key: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        **options: Unpack[_config.ClientOptions],
    ) -> None:
        secret = _config.resolve_api_key(api_key)
        del api_key  # from here on only the masked secret is in this frame
        self._configure(secret, session, options)

    @classmethod
    def _with_secret(cls, secret: _config.Secret, options: _config.ClientOptions) -> AsyncClient:
        """A client for an already masked key (the blocking ``Client`` builds its own so)."""
        client = cls.__new__(cls)
        client._configure(secret, None, options)
        return client

    def _configure(
        self,
        secret: _config.Secret,
        session: aiohttp.ClientSession | None,
        options: _config.ClientOptions,
    ) -> None:
        self._closed = False
        setup_from_env()
        _config.check_option_names("AsyncClient", dict(options))
        self.base_url = _config.resolve_base_url(options.get("base_url"))
        self.sandbox = bool(options.get("sandbox", False))
        self._set_call_options(_config.with_call_defaults(options))
        self.max_connections = _config.resolve_positive_int(
            "max_connections", options.get("max_connections", _config.DEFAULT_MAX_CONNECTIONS)
        )
        rate = _config.resolve_positive_int("rate_limit", options.get("rate_limit"))
        rate_limiter = options.get("rate_limiter")
        if rate_limiter is not None and rate is not None:
            raise ConfigError("pass rate_limit or rate_limiter, not both")
        self.rate_limiter: RateLimiter | None = rate_limiter or (
            SlidingWindowLimiter(rate) if rate else None
        )
        self._secret = secret
        self._headers = {
            "X-API-KEY": secret.reveal(),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        # With our own session the headers are the session's defaults; with yours, per request.
        self._request_headers: dict[str, str] | None = None if session is None else self._headers
        self._urls: dict[str, URL] = {}
        self._start(session, None)

    def _set_call_options(self, options: _config.CallOptions) -> None:
        """Resolve the options ``with_options`` may change: those in ``options`` (the others
        stay as they are)."""
        if "timeout" in options:
            self.timeout = _config.resolve_timeout(options["timeout"])
            self._client_timeout = aiohttp.ClientTimeout(
                total=self.timeout.total,
                sock_connect=self.timeout.connect,
                sock_read=self.timeout.read,
            )
            # A download may rightly take longer than any request: no cap on the whole, only
            # on the wait between two reads (`read`, else the total a request may take).
            self._stream_timeout = aiohttp.ClientTimeout(
                total=None,
                sock_connect=self.timeout.connect,
                sock_read=self.timeout.read or self.timeout.total,
            )
        if "max_retries" in options:
            self.max_retries = _config.resolve_positive_int(
                "max_retries", options["max_retries"], allow_zero=True
            )
        if "max_response_size" in options:
            self.max_response_size: int = _config.resolve_positive_int(  # type: ignore[assignment]
                "max_response_size", options["max_response_size"]
            )
        if "default_country_code" in options:
            self.default_country_code = _config.resolve_country_code(
                options["default_country_code"]
            )
        if "check_templates" in options:
            self.check_templates = bool(options["check_templates"])
        if "outcomes" in options:
            self.outcomes = _config.resolve_outcomes(options["outcomes"])
        if "event_hooks" in options:
            self._own_hooks = resolve_event_hooks(options["event_hooks"])

    def _start(self, session: aiohttp.ClientSession | None, parent: AsyncClient | None) -> None:
        """What belongs to this client itself, not to its options: being open, its pool (its
        parent's for a ``with_options`` client), its resources."""
        self._closed = False
        #: The client whose pool this one uses (``with_options``); ``None``: its own.
        self._parent = parent
        self._own_session = session is None and parent is None
        self._session = session
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None
        self._generation = _fork.generation
        self._raw_twin: AsyncClient | None = None
        self._build_resources()
        with _every_client_lock:
            _every_client.add(self)
            self._watch_as_configured()

    def _watch_as_configured(self) -> None:
        """Who watches this client's requests (see ``ivowaba._hooks``): its own event hooks,
        else nobody but the instrumentation while there is one. ``None`` keeps the request
        path bare: ``_hooks`` is the one thing that path checks."""
        own = self._own_hooks
        self._hooks: Hooks | None = own if own is not None else NO_HOOKS if instrumented() else None

    def with_options(self, **options: Unpack[_config.CallOptions]) -> AsyncClient:
        """A client like this one but for ``options``, sharing this one's connection pool.

        ``options``: ``timeout``, ``max_retries``, ``max_response_size``,
        ``default_country_code``, ``check_templates``, ``outcomes``, ``event_hooks``; every
        other option is this client's. Options that belong to the pool (``base_url``,
        ``sandbox``, ``max_connections``, the rate limit, the key) cannot change:
        ``ConfigError``. Cheap to make, so it may be made for a single call:

        ```python
        await client.with_options(timeout=5, max_retries=0).messages.send_text(to, "hi")
        ```

        The pool stays this client's: closing the client returned (``aclose()``, ``async
        with``) closes only it (a call on it then raises ``ClientClosedError``), while closing
        this one closes the pool for both. The client returned keeps this one alive.
        """
        _config.check_call_option_names(dict(options))
        return self._derive(options)

    def _derive(self, options: _config.CallOptions) -> AsyncClient:
        """A client with this one's options but ``options``, on this one's pool."""
        derived = copy.copy(self)  # every option, as resolved: none is left behind
        derived._set_call_options(options)
        derived._start(None, self._parent if self._parent is not None else self)
        return derived

    def _watched_twin(self) -> AsyncClient:
        """This client, with every request watched: ``with_raw_response`` runs on it, to
        see the answer's status and headers."""
        twin = self._raw_twin
        if twin is None:
            twin = self._raw_twin = self._derive({})
            if twin._own_hooks is None:
                twin._own_hooks = NO_HOOKS
                twin._watch_as_configured()
        return twin

    def _build_resources(self) -> None:
        self.contacts = Contacts(self)
        self.countries = Countries(self)
        self.media = MediaResource(self)
        self.messages = Messages(self)
        self.settings = Settings(self)
        self.templates = Templates(self)
        self.webhooks = Webhooks(self)

    def __repr__(self) -> str:  # never raises, even for a client whose constructor failed
        base_url = getattr(self, "base_url", None)
        sandbox = getattr(self, "sandbox", False)
        closed = ", closed=True" if getattr(self, "_closed", False) else ""
        shown = None if base_url is None else _config.redact_url(base_url)
        return f"AsyncClient(base_url={shown!r}, sandbox={sandbox!r}{closed})"

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called (on the client whose pool this one shares, too)."""
        return self._closed or (self._parent is not None and self._parent._closed)

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (unless the session was yours, or the pool is another
        client's: ``with_options``). Idempotent; any call after it raises
        ``ClientClosedError``."""
        self._closed = True
        if not self._own_session:
            return
        guard = self._let_go_of_pool()
        if guard is not None:
            await guard.aclose()  # closes the pool, on the loop that owns it

    def _let_go_of_pool(self) -> AsyncGenerator[None, None] | None:
        """Forget the current pool. Returns its guard when the pool is the running loop's to
        close now; a forked child's copy of the parent's pool is abandoned, never closed."""
        guard, loop = self._guard, self._loop
        self._session = self._guard = self._loop = None
        if guard is None:
            return None
        if self._generation != _fork.generation:
            _fork.abandon(guard, loop)
            return None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        return guard if running is loop else None  # another loop's: closed at its shutdown

    def _session_for(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        """The pool of ``loop``, opened on first use there."""
        if self._closed:
            raise ClientClosedError()
        if self._parent is not None:  # a with_options client: the pool is its parent's
            return self._parent._session_in(loop)
        if not self._own_session:
            assert self._session is not None
            self._loop = loop
            return self._session
        if self._generation == _fork.generation:
            _loops.refuse_a_second_running_loop(self._loop, loop, "this client")
        self._let_go_of_pool()
        self._generation = _fork.generation
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.max_connections or 0),
            headers=self._headers,
            timeout=self._client_timeout,
        )
        guard = _loops.close_at_shutdown(session.close)  # when this loop shuts down
        self._session, self._loop, self._guard = session, loop, guard
        return session

    # -- the request pipeline ----------------------------------------------------------------

    def url_for(self, endpoint: Endpoint, path_args: tuple[str, ...] = ()) -> URL:
        """The absolute URL of ``endpoint``, with the sandbox prefix when it applies."""
        if self.sandbox and not endpoint.sandbox:
            raise SandboxUnsupportedError(endpoint.name)
        path = endpoint.path
        if path_args:
            path = path.format(*(quote(str(arg), safe="") for arg in path_args))
        if self.sandbox:
            path = SANDBOX_PREFIX + path
        url = self._urls.get(path)
        if url is None:
            url = URL(self.base_url + path, encoded=True)
            if len(self._urls) < 256:
                self._urls[path] = url
        return url

    async def request(
        self,
        endpoint: Endpoint,
        *,
        path_args: tuple[str, ...] = (),
        body: Body = None,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one request and read its answer, retrying as ``ivowaba._retry`` allows."""
        url = self.url_for(endpoint, path_args)
        if self._hooks is not None or logger.isEnabledFor(_DEBUG):
            return await self._watched(endpoint, url, body, params, False, _as_it_is)
        return await self._exchange(endpoint.method, url, body, params, 1, False, None)

    @asynccontextmanager
    async def stream(
        self, endpoint: Endpoint, *, path_args: tuple[str, ...] = ()
    ) -> AsyncIterator[Download]:
        """Open a request whose 2xx answer the caller reads in chunks (media downloads)."""
        url = self.url_for(endpoint, path_args)
        if self._hooks is not None or logger.isEnabledFor(_DEBUG):
            answer = await self._watched(endpoint, url, None, None, True, _as_it_is)
        else:
            answer = await self._exchange(endpoint.method, url, None, None, 1, True, None)
        assert answer.response is not None
        try:
            yield Download(answer.response, self, endpoint.method)
        finally:
            answer.response.release()

    async def _watched(
        self,
        endpoint: Endpoint,
        url: URL,
        body: Body,
        params: Mapping[str, str] | None,
        stream: bool,
        finish: Callable[[Answer], T],
    ) -> T:
        """The request path, watched (see ``ivowaba._hooks``): ``_exchange`` with a ``Watch``
        that follows the operation from its first attempt to its result (``finish(answer)``).
        """
        hooks = self._hooks
        watch = Watch(
            hooks if hooks is not None else NO_HOOKS,
            endpoint.name,
            endpoint.method,
            endpoint.route(self.sandbox),
            url,
            body,
            log=logger.isEnabledFor(_DEBUG),
        )
        try:
            answer = await self._exchange(endpoint.method, url, body, params, 1, stream, watch)
            result = finish(answer)
        except BaseException as error:
            watch.fail(error)
            raise
        watch.end(answer.status, answer.headers, result)
        return result

    async def _retried(
        self,
        first_failure: IvowabaError,
        method: str,
        url: URL,
        body: Body,
        params: Mapping[str, str] | None,
        stream: bool,
        watch: Watch | None,
    ) -> Answer:
        """The attempts after a first one that failed with ``first_failure``, retryable.

        The first attempt runs on its own (``_exchange``): almost every request succeeds at
        once, and entering tenacity costs 50 to 65 us of CPU (it inspects each of its actions
        on every call), several times the SDK's own work on a send. Only a retryable failure
        hands over to tenacity, which takes that failure as its first attempt's outcome.
        """
        number = 0
        retrying = _retry.retrying(
            method, self.max_retries or 0, None if watch is None else watch.retrying
        )
        async for attempt in retrying:
            with attempt:
                number += 1
                if number == 1:
                    raise first_failure  # the outcome of the attempt already made
                return await self._exchange(method, url, body, params, number, stream, watch)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    async def _exchange(
        self,
        method: str,
        url: URL,
        body: Body,
        params: Mapping[str, str] | None,
        attempt: int,
        stream: bool,
        watch: Watch | None,
    ) -> Answer:
        """One attempt: rate limit, one request (no redirect followed), a bounded read;
        ``watch`` is told when it leaves and how it ended. The first attempt (``attempt`` 1)
        hands a failure that may be retried to ``_retried``: one coroutine for the request
        that succeeds at once, as almost every request does.

        aiohttp's errors are turned into the SDK's outside their ``except`` clause, so that
        nothing chains to them: their reprs hold the request's headers, the API key among them.
        """
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or loop is not self._loop:
            session = self._session_for(loop)
        if self.rate_limiter is not None:
            if watch is None:
                await self.rate_limiter.acquire()
            else:
                await watch.rate_limited(self.rate_limiter)
        leaving = request_leaving.get()
        if leaving is not None:
            leaving()
        data = body() if callable(body) else body
        if watch is not None:
            await watch.leaving(attempt)
        failure: IvowabaError
        try:
            response = await session.request(
                method,
                url,
                data=data,
                params=params,
                headers=self._request_headers
                if data is None or isinstance(data, bytes)  # (MultipartWriter's check is slow)
                else self._form_headers(data),
                timeout=self._stream_timeout if stream else self._client_timeout,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            cause: str | None = type(exc).__name__
            failure = self._connection_error(exc, method, url)
        else:
            try:
                answer = await self._answer(response, stream)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                cause = type(exc).__name__
                failure = self._connection_error(exc, method, url)
            except IvowabaError as error:  # a non-2xx, or an answer too large
                cause, failure = None, error
            else:
                if watch is not None:
                    await watch.answered(answer.status, None)
                return answer
        if watch is not None:
            await watch.answered(_status_of(failure), failure, cause)
        if attempt == 1 and self.max_retries and _retry.is_retryable(method, failure):
            return await self._retried(failure, method, url, body, params, stream, watch)
        raise failure

    def _form_headers(self, form: aiohttp.MultipartWriter) -> dict[str, str]:
        headers = dict(self._request_headers or {})
        headers["Content-Type"] = form.content_type
        return headers

    async def _answer(self, response: aiohttp.ClientResponse, stream: bool) -> Answer:
        """Read (at most ``max_response_size`` of) the answer; a non-2xx becomes its error."""
        status = response.status
        if stream and status < 300:
            return Answer(status, response.headers, b"", response)  # the caller reads it
        try:
            if status >= 300:  # its status says what matters; the body is kept, within reason
                limit = min(self.max_response_size, ERROR_BODY_LIMIT)
                raw = await read_body(response, limit, truncate=True)
                raise status_error(status, raw, response.headers, response.reason or "")
            return Answer(
                status, response.headers, await read_body(response, self.max_response_size)
            )
        finally:
            response.release()

    def _connection_error(self, exc: BaseException, method: str, url: URL) -> APIConnectionError:
        """The SDK error for an aiohttp failure: its type and message, never the error itself."""
        where = f"{method} {url.path}"
        never_sent = _retry.never_reached_server(exc)
        if isinstance(exc, asyncio.TimeoutError):
            phase = "connecting" if never_sent else "waiting for the answer"
            return APITimeoutError(
                f"{where} timed out {phase}", method=method, path=url.path, never_sent=never_sent
            )
        cause = self._scrub(_shortened(_described(exc)))
        return APIConnectionError(
            f"{where} failed ({cause})", method=method, path=url.path, never_sent=never_sent
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret.reveal(), "***")

    async def call(
        self,
        endpoint: Endpoint,
        decode: Callable[[bytes], T],
        *,
        path_args: tuple[str, ...] = (),
        body: Body = None,
        params: Mapping[str, str] | None = None,
    ) -> T:
        """``request``, then ``decode`` the body; a body that does not decode is
        ``ResponseDecodeError``."""
        # ``request``'s work without its frame: every await layer is paid again each time the
        # task resumes, and a send resumes several times.
        url = self.url_for(endpoint, path_args)
        if self._hooks is not None or logger.isEnabledFor(_DEBUG):
            # a partial, not a lambda: a closure here would cost every call its cells
            finish = partial(decode_answer, decode=decode, endpoint=endpoint)
            return await self._watched(endpoint, url, body, params, False, finish)
        answer = await self._exchange(endpoint.method, url, body, params, 1, False, None)
        return decode_answer(answer, decode, endpoint)

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session of the running event loop (opened on first use)."""
        return self._session_in(asyncio.get_running_loop())

    def _session_in(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        if self._session is not None and loop is self._loop:
            return self._session
        return self._session_for(loop)


#: Every client alive (``with_options`` ones too), for ``watch_every_client`` to reach the ones
#: made before it.
_every_client: weakref.WeakSet[AsyncClient] = weakref.WeakSet()
_every_client_lock = threading.Lock()


def watch_every_client(instrumentation: Instrumentation | None) -> None:
    """Report every operation of every client, made or to be made, to ``instrumentation``
    (``ivowaba.contrib.otel``); ``None`` stops it, and the request path of a client without
    event hooks is bare again."""
    with _every_client_lock:
        set_instrumentation(instrumentation)
        for client in list(_every_client):
            client._watch_as_configured()


def _as_it_is(answer: Answer) -> Answer:
    return answer


def _status_of(error: IvowabaError) -> int | None:
    """The HTTP status behind ``error``, if an answer came."""
    if isinstance(error, (APIStatusError, ResponseDecodeError)):
        return error.status_code
    return None


class Download:
    """An open 2xx answer, read in chunks: a media file. Reading errors are the SDK's."""

    def __init__(self, response: aiohttp.ClientResponse, client: AsyncClient, method: str) -> None:
        self._response = response
        self._client = client
        self._method = method

    @property
    def content_type(self) -> str:
        return self._response.content_type

    @property
    def filename(self) -> str | None:
        """The file name the server gave (``Content-Disposition``), if any."""
        disposition = self._response.content_disposition
        return disposition.filename if disposition else None

    async def chunks(self, max_bytes: int | None = None) -> AsyncIterator[bytes]:
        """The body in chunks of at most ``CHUNK_SIZE`` bytes; past ``max_bytes`` the
        connection is dropped and ``ResponseTooLargeError`` raised."""
        response = self._response
        length = response.content_length
        if max_bytes is not None and length is not None and length > max_bytes:
            response.close()
            raise _too_large(response.status, b"", max_bytes, "max_bytes")
        size = 0
        reader = response.content.iter_chunked(CHUNK_SIZE).__aiter__()
        while True:
            failure: APIConnectionError | None = None
            try:
                chunk = await reader.__anext__()
            except StopAsyncIteration:
                return
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                failure = self._client._connection_error(exc, self._method, response.url)
            if failure is not None:
                raise failure
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                response.close()
                raise _too_large(response.status, b"", max_bytes, "max_bytes")
            yield chunk

    async def read(self, max_bytes: int | None = None) -> bytes:
        """The whole body, refused past ``max_bytes``."""
        return b"".join([chunk async for chunk in self.chunks(max_bytes)])

    def close(self) -> None:
        """Drop the connection, the rest unread."""
        self._response.close()


#: The most of an error answer's body kept (a 4xx or 5xx says what it needs in far less).
ERROR_BODY_LIMIT = 64 * 1024


def _described(exc: BaseException) -> str:
    """An aiohttp failure in a line: its type and message, except that a connection that could
    not be made says its host and the reason, without aiohttp's ``ssl:default`` (its TLS
    setting, said even of an ``http://`` URL). A TLS failure keeps aiohttp's words."""
    if isinstance(exc, aiohttp.ClientConnectorError) and not isinstance(
        exc, aiohttp.ClientSSLError
    ):
        where = f"{exc.host}:{exc.port}"
        return f"{type(exc).__name__}: Cannot connect to host {where} ({exc.os_error})"
    return f"{type(exc).__name__}: {exc}"


def _shortened(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Bytes read at a time from a download: memory stays flat whatever the file size.
CHUNK_SIZE = 64 * 1024


def read_body(
    response: aiohttp.ClientResponse, limit: int, *, truncate: bool = False
) -> Awaitable[bytes]:
    """At most ``limit`` bytes of the body, to await. Past that, the connection is dropped and
    either ``ResponseTooLargeError`` is raised or (``truncate``, for error answers, whose
    status matters more) the first ``limit`` bytes are returned.

    A body that says its length and is within the limit is aiohttp's ``read()`` itself, with
    no coroutine of ours around it (the usual answer: a few hundred bytes)."""
    length = response.content_length
    if length is not None and length <= limit:
        return response.read()
    return _read_capped(response, length, limit, truncate)


async def _read_capped(
    response: aiohttp.ClientResponse, length: int | None, limit: int, truncate: bool
) -> bytes:
    if length is not None and not truncate:
        response.close()
        raise _too_large(response.status, b"", limit, "max_response_size")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: len(chunk) - (size - limit)])
            response.close()
            if truncate:
                break
            raise _too_large(response.status, b"".join(chunks), limit, "max_response_size")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(status: int, head: bytes, limit: int, option: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the answer is larger than {limit} bytes ({option}); reading stopped there",
        status_code=status,
        body=head,
        limit=limit,
    )


def decode_answer(answer: Answer, decode: Callable[[bytes], T], endpoint: Endpoint) -> T:
    try:
        return decode(answer.body)
    except (
        msgspec.DecodeError,
        msgspec.ValidationError,
        ValueError,
        TypeError,
        RecursionError,
    ) as exc:
        raise ResponseDecodeError(
            f"{endpoint.name}: unexpected answer from the server ({exc})",
            status_code=answer.status,
            body=answer.body,
        ) from None


AsyncClient.__module__ = "ivowaba"  # as users import it: ivowaba.AsyncClient
