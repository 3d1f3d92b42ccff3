"""``AsyncClient``: configuration, the aiohttp session, and the request pipeline.

A request goes: resource method -> ``AsyncClient.request(endpoint, ...)`` -> rate limit ->
one aiohttp request (redirects never followed) -> status check -> a read bounded by
``max_response_size`` -> (on a retryable failure) tenacity-driven retries.
Resources encode bodies and decode answers; nothing here knows which operation it serves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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
    ResponseDecodeError,
    ResponseTooLargeError,
    SandboxUnsupportedError,
    status_error,
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


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful (2xx) answer, before decoding; a streamed one keeps its open ``response``."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    response: aiohttp.ClientResponse | None = None


Body = bytes | Callable[[], aiohttp.MultipartWriter] | None


class AsyncClient:
    """The asynchronous IVOWBA client.

    - ``api_key``: sent as ``X-API-KEY``; default ``IVOWABA_API_KEY``. Missing: ``ConfigError``.
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
    - ``session``: an ``aiohttp.ClientSession`` you own; we never close it.

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
        self.timeout = _config.resolve_timeout(options.get("timeout"))
        self.max_retries = _config.resolve_positive_int(
            "max_retries", options.get("max_retries", _config.DEFAULT_MAX_RETRIES), allow_zero=True
        )
        self.max_connections = _config.resolve_positive_int(
            "max_connections", options.get("max_connections", _config.DEFAULT_MAX_CONNECTIONS)
        )
        self.max_response_size: int = _config.resolve_positive_int(  # type: ignore[assignment]
            "max_response_size",
            options.get("max_response_size", _config.DEFAULT_MAX_RESPONSE_SIZE),
        )
        self.default_country_code = _config.resolve_country_code(
            options.get("default_country_code")
        )
        self.check_templates = bool(options.get("check_templates", False))
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
        self._own_session = session is None
        # With our own session the headers are the session's defaults; with yours, per request.
        self._request_headers: dict[str, str] | None = None if session is None else self._headers
        self._session = session
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None
        self._generation = _fork.generation
        self._urls: dict[str, URL] = {}
        self._client_timeout = aiohttp.ClientTimeout(
            total=self.timeout.total,
            sock_connect=self.timeout.connect,
            sock_read=self.timeout.read,
        )
        # A download may rightly take longer than any request: no cap on the whole, only on
        # the wait between two reads (`read`, else the total a request may take).
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=self.timeout.connect,
            sock_read=self.timeout.read or self.timeout.total,
        )
        self._build_resources()

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
        return f"AsyncClient(base_url={base_url!r}, sandbox={sandbox!r}{closed})"

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return self._closed

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
        """Close the connection pool (unless the session was yours). Idempotent; any call
        after it raises ``ClientClosedError``."""
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
        return await self._send(endpoint.method, url, body, params, stream=False)

    @asynccontextmanager
    async def stream(
        self, endpoint: Endpoint, *, path_args: tuple[str, ...] = ()
    ) -> AsyncIterator[Download]:
        """Open a request whose 2xx answer the caller reads in chunks (media downloads)."""
        url = self.url_for(endpoint, path_args)
        answer = await self._send(endpoint.method, url, None, None, stream=True)
        assert answer.response is not None
        try:
            yield Download(answer.response, self, endpoint.method)
        finally:
            answer.response.release()

    async def _send(
        self,
        method: str,
        url: URL,
        body: Body,
        params: Mapping[str, str] | None,
        *,
        stream: bool,
    ) -> Answer:
        """One request, retried as ``ivowaba._retry`` allows.

        The first attempt runs on its own: almost every request succeeds at once, and entering
        tenacity costs a third of a request's own CPU. Only a retryable failure hands over to
        tenacity, which takes that failure as its first attempt's outcome.
        """
        try:
            return await self._exchange(method, url, body, params, 1, stream)
        except (APIStatusError, APIConnectionError) as error:
            if not self.max_retries or not _retry.is_retryable(method, error):
                raise
            first_failure = error
        number = 0
        async for attempt in _retry.retrying(method, self.max_retries or 0):
            with attempt:
                number += 1
                if number == 1:
                    raise first_failure  # the outcome of the attempt made above
                return await self._exchange(method, url, body, params, number, stream)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    async def _exchange(
        self,
        method: str,
        url: URL,
        body: Body,
        params: Mapping[str, str] | None,
        attempt: int,
        stream: bool,
    ) -> Answer:
        """One attempt: rate limit, one request (no redirect followed), a bounded read.

        aiohttp's errors are turned into the SDK's outside their ``except`` clause, so that
        nothing chains to them: their reprs hold the request's headers, the API key among them.
        """
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or loop is not self._loop:
            session = self._session_for(loop)
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire()
        leaving = request_leaving.get()
        if leaving is not None:
            leaving()
        data = body() if callable(body) else body
        debug = logger.isEnabledFor(_DEBUG)
        started = time.perf_counter() if debug else 0.0
        try:
            response = await session.request(
                method,
                url,
                data=data,
                params=params,
                headers=self._form_headers(data)
                if isinstance(data, aiohttp.MultipartWriter)
                else self._request_headers,
                timeout=self._stream_timeout if stream else self._client_timeout,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            failure = self._connection_error(exc, method, url, attempt, started, debug)
        else:
            if debug:
                _log(method, url, response.status, attempt, started)
            try:
                return await self._answer(response, stream)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                failure = self._connection_error(exc, method, url, attempt, started, debug)
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

    def _connection_error(
        self,
        exc: BaseException,
        method: str,
        url: URL,
        attempt: int,
        started: float,
        debug: bool,
    ) -> APIConnectionError:
        """The SDK error for an aiohttp failure: its type and message, never the error itself."""
        if debug:
            _log(method, url, type(exc).__name__, attempt, started)
        where = f"{method} {url.path}"
        never_sent = _retry.never_reached_server(exc)
        if isinstance(exc, asyncio.TimeoutError):
            phase = "connecting" if never_sent else "waiting for the answer"
            return APITimeoutError(
                f"{where} timed out {phase}", method=method, path=url.path, never_sent=never_sent
            )
        cause = self._scrub(_shortened(f"{type(exc).__name__}: {exc}"))
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
        answer = await self.request(endpoint, path_args=path_args, body=body, params=params)
        return decode_answer(answer, decode, endpoint)

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session of the running event loop (opened on first use)."""
        loop = asyncio.get_running_loop()
        if self._session is not None and loop is self._loop:
            return self._session
        return self._session_for(loop)


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
                failure = self._client._connection_error(
                    exc, self._method, response.url, 0, 0.0, False
                )
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


def _shortened(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Bytes read at a time from a download: memory stays flat whatever the file size.
CHUNK_SIZE = 64 * 1024


async def read_body(
    response: aiohttp.ClientResponse, limit: int, *, truncate: bool = False
) -> bytes:
    """At most ``limit`` bytes of the body. Past that, the connection is dropped and either
    ``ResponseTooLargeError`` is raised or (``truncate``, for error answers, whose status
    matters more) the first ``limit`` bytes are returned."""
    length = response.content_length
    if length is not None and length <= limit:
        return await response.read()
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


def _log(method: str, url: URL, status: int | str, attempt: int, started: float) -> None:
    elapsed = (time.perf_counter() - started) * 1000
    logger.debug("%s %s -> %s (attempt %d, %.1f ms)", method, url.path, status, attempt, elapsed)


AsyncClient.__module__ = "ivowaba"  # as users import it: ivowaba.AsyncClient
