"""``AsyncClient``: configuration, the aiohttp session, and the request pipeline.

A request goes: resource method -> ``AsyncClient.request(endpoint, ...)`` -> rate limit ->
one aiohttp request -> status check -> (on a retryable failure) tenacity-driven retries.
Resources encode bodies and decode answers; nothing here knows which operation it serves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import aiohttp
import msgspec
from yarl import URL

from ivowaba import _config, _retry
from ivowaba._errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigError,
    ResponseDecodeError,
    SandboxUnsupportedError,
    status_error,
)
from ivowaba._logging import logger, setup_from_env
from ivowaba._ratelimit import RateLimiter, SlidingWindowLimiter
from ivowaba._resource import Async
from ivowaba._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ivowaba.resources.contacts import Contacts
    from ivowaba.resources.countries import Countries
    from ivowaba.resources.media import MediaResource
    from ivowaba.resources.messages import Messages
    from ivowaba.resources.settings import Settings
    from ivowaba.resources.templates import Templates
    from ivowaba.resources.webhooks import Webhooks

T = TypeVar("T")

USER_AGENT = f"ivowaba-python/{__version__} aiohttp/{aiohttp.__version__}"
_DEBUG = 10


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation of the reference: its method, its path, and whether the sandbox has it.

    ``path`` may hold ``{}`` placeholders, filled (percent-encoded) from ``path_args``.
    """

    name: str
    method: str
    path: str
    sandbox: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful (2xx) answer, before decoding."""

    status: int
    headers: Mapping[str, str]
    body: bytes


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
    - ``default_country_code``: e.g. ``"62"``, so that ``0812...`` is sent as ``62812...``.
    - ``check_templates``: check template parameter counts before every ``send_template``.
    - ``session``: an ``aiohttp.ClientSession`` you own; we never close it.

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
        setup_from_env()
        _config.check_option_names("AsyncClient", dict(options))
        api_key = _config.resolve_api_key(api_key)
        self.base_url = _config.resolve_base_url(options.get("base_url"))
        self.sandbox = bool(options.get("sandbox", False))
        self.timeout = _config.resolve_timeout(options.get("timeout"))
        self.max_retries = _config.resolve_positive_int(
            "max_retries", options.get("max_retries", _config.DEFAULT_MAX_RETRIES), allow_zero=True
        )
        self.max_connections = _config.resolve_positive_int(
            "max_connections", options.get("max_connections", _config.DEFAULT_MAX_CONNECTIONS)
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
        self._headers = {
            "X-API-KEY": api_key,
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._own_session = session is None
        self._session = session
        self._closed = False
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
        from ivowaba.resources.contacts import Contacts
        from ivowaba.resources.countries import Countries
        from ivowaba.resources.media import MediaResource
        from ivowaba.resources.messages import Messages
        from ivowaba.resources.settings import Settings
        from ivowaba.resources.templates import Templates
        from ivowaba.resources.webhooks import Webhooks

        self.contacts = Contacts(self)
        self.countries = Countries(self)
        self.media = MediaResource(self)
        self.messages = Messages(self)
        self.settings = Settings(self)
        self.templates = Templates(self)
        self.webhooks = Webhooks(self)

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r}, sandbox={self.sandbox!r})"

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
        """Close the connection pool (unless the session was yours). Idempotent."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._own_session and not session.closed:
            await session.close()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the client is closed")
        connector = aiohttp.TCPConnector(limit=self.max_connections or 0)
        headers = {k: v for k, v in self._headers.items()}
        self._session = aiohttp.ClientSession(
            connector=connector, headers=headers, timeout=self._client_timeout
        )
        return self._session

    def _forget_loop(self) -> None:
        """After a fork: drop what belongs to the parent's loop; it is rebuilt on next use."""
        if self._own_session:
            self._session = None
        self._closed = False
        reset = getattr(self.rate_limiter, "_forget_loop", None)
        if reset is not None:
            reset()

    # -- the request pipeline ----------------------------------------------------------------

    def url_for(self, endpoint: Endpoint, path_args: tuple[str, ...] = ()) -> URL:
        """The absolute URL of ``endpoint``, with the sandbox prefix when it applies."""
        if self.sandbox and not endpoint.sandbox:
            raise SandboxUnsupportedError(endpoint.name)
        path = endpoint.path
        if path_args:
            path = path.format(*(quote(str(arg), safe="") for arg in path_args))
        if self.sandbox:
            path = "/sandbox" + path
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
        method = endpoint.method
        try:
            return await self._attempt(method, url, body, params, 1)
        except Exception as error:
            if not self.max_retries or not _retry.is_retryable(method, error):
                raise
            first_error = error
        return await self._retry(
            method, first_error, lambda n: self._attempt(method, url, body, params, n)
        )

    @asynccontextmanager
    async def stream(
        self, endpoint: Endpoint, *, path_args: tuple[str, ...] = ()
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a request whose 2xx answer the caller reads in chunks (media downloads)."""
        url = self.url_for(endpoint, path_args)
        method = endpoint.method
        try:
            response = await self._open(method, url, 1)
        except Exception as error:
            if not self.max_retries or not _retry.is_retryable(method, error):
                raise
            response = await self._retry(method, error, lambda n: self._open(method, url, n))
        try:
            yield response
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _connection_error(exc, method, url, 0, 0.0, False) from exc
        finally:
            response.release()

    async def _retry(
        self, method: str, first_error: Exception, attempt: Callable[[int], Awaitable[T]]
    ) -> T:
        """The attempts after a first retryable failure, driven by tenacity."""
        await asyncio.sleep(_retry.delay_before_retry(first_error, 1))
        number = 1
        async for retry in _retry.retrying(method, self.max_retries or 0):
            number += 1
            with retry:
                return await attempt(number)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    def _request_options(self, body: Body) -> tuple[Any, dict[str, str] | None]:
        headers: dict[str, str] | None = None if self._own_session else self._headers
        if not callable(body):
            return body, headers
        form = body()
        headers = dict(headers or {})
        headers["Content-Type"] = form.content_type
        return form, headers

    async def _attempt(
        self,
        method: str,
        url: URL,
        body: Body,
        params: Mapping[str, str] | None,
        attempt: int,
    ) -> Answer:
        session = self._session or self._open_session()
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire()
        data, headers = self._request_options(body)
        debug = logger.isEnabledFor(_DEBUG)
        started = time.perf_counter() if debug else 0.0
        try:
            async with session.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                timeout=self._client_timeout,
            ) as response:
                raw = await response.read()
                status = response.status
                if debug:
                    _log(method, url, status, attempt, started)
                if status >= 300:
                    raise status_error(status, raw, response.headers, response.reason or "")
                return Answer(status, response.headers, raw)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _connection_error(exc, method, url, attempt, started, debug) from exc

    async def _open(self, method: str, url: URL, attempt: int) -> aiohttp.ClientResponse:
        session = self._session or self._open_session()
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire()
        _, headers = self._request_options(None)
        debug = logger.isEnabledFor(_DEBUG)
        started = time.perf_counter() if debug else 0.0
        try:
            response = await session.request(
                method,
                url,
                headers=headers,
                timeout=self._stream_timeout,
            )
            if debug:
                _log(method, url, response.status, attempt, started)
            if response.status >= 300:
                raw = await response.read()
                response.release()
                raise status_error(response.status, raw, response.headers, response.reason or "")
            return response
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _connection_error(exc, method, url, attempt, started, debug) from exc

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
        """The aiohttp session (opened on first use, inside the running loop)."""
        return self._session or self._open_session()


def decode_answer(answer: Answer, decode: Callable[[bytes], T], endpoint: Endpoint) -> T:
    try:
        return decode(answer.body)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError) as exc:
        raise ResponseDecodeError(
            f"{endpoint.name}: unexpected answer from the server ({exc})",
            status_code=answer.status,
            body=answer.body,
        ) from None


def _log(method: str, url: URL, status: int | str, attempt: int, started: float) -> None:
    elapsed = (time.perf_counter() - started) * 1000
    logger.debug("%s %s -> %s (attempt %d, %.1f ms)", method, url.path, status, attempt, elapsed)


def _connection_error(
    exc: BaseException, method: str, url: URL, attempt: int, started: float, debug: bool
) -> APIConnectionError:
    if debug:
        _log(method, url, type(exc).__name__, attempt, started)
    where = f"{method} {url.path}"
    never_sent = _retry.never_reached_server(exc)
    if isinstance(exc, asyncio.TimeoutError):
        phase = "connecting" if never_sent else "waiting for the answer"
        return APITimeoutError(
            f"{where} timed out {phase}", method=method, path=url.path, never_sent=never_sent
        )
    return APIConnectionError(
        f"{where} failed: {exc}", method=method, path=url.path, never_sent=never_sent
    )
