"""Client configuration: the options both clients take, resolved once at construction."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlsplit, urlunsplit

from ivowaba._errors import ConfigError

if TYPE_CHECKING:
    from ivowaba._hooks import Hook
    from ivowaba._ratelimit import RateLimiter
    from ivowaba.outcomes import OutcomeStore

DEFAULT_BASE_URL = "https://waba.ivosights.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_CONNECTIONS = 100
#: The largest answer read, in bytes (media downloads aside): far above any JSON the gateway
#: sends (a page of templates, a batch of pending notifications), far below what would hurt.
DEFAULT_MAX_RESPONSE_SIZE = 8 * 1024 * 1024

API_KEY_ENV = "IVOWABA_API_KEY"
BASE_URL_ENV = "IVOWABA_BASE_URL"


@dataclass(frozen=True)
class Timeout:
    """How long a request may take, in seconds (``None``: no limit).

    - ``total``: the whole request, from connecting to the last byte of the answer.
    - ``connect``: getting a connection, from the pool or a new one.
    - ``read``: between two reads of the answer.

    Media downloads are not capped by ``total`` (a large file may rightly take longer): only
    ``connect`` and the wait between two reads apply (``read``, else ``total``).
    """

    total: float | None = DEFAULT_TIMEOUT
    connect: float | None = DEFAULT_CONNECT_TIMEOUT
    read: float | None = None


class CallOptions(TypedDict, total=False):
    """The options ``with_options`` may change: none of them touches the connection pool."""

    timeout: float | Timeout | None
    max_retries: int
    max_response_size: int
    default_country_code: str | None
    check_templates: bool
    outcomes: OutcomeStore | None
    event_hooks: Mapping[str, Iterable[Hook]] | None


class ClientOptions(CallOptions, total=False):
    """The keywords both clients take besides ``api_key`` (see ``AsyncClient``)."""

    base_url: str | None
    sandbox: bool
    rate_limit: int | None
    rate_limiter: RateLimiter | None
    max_connections: int


def with_call_defaults(options: CallOptions) -> CallOptions:
    """Every call option: as given in ``options``, else its default."""
    return CallOptions(
        timeout=options.get("timeout"),
        max_retries=options.get("max_retries", DEFAULT_MAX_RETRIES),
        max_response_size=options.get("max_response_size", DEFAULT_MAX_RESPONSE_SIZE),
        default_country_code=options.get("default_country_code"),
        check_templates=options.get("check_templates", False),
        outcomes=options.get("outcomes"),
        event_hooks=options.get("event_hooks"),
    )


def check_option_names(owner: str, options: dict[str, object]) -> None:
    """Refuse a misspelt keyword the way Python does for an ordinary signature."""
    for name in options:
        if name not in ClientOptions.__optional_keys__:
            raise TypeError(f"{owner}() got an unexpected keyword argument {name!r}")


def check_call_option_names(options: dict[str, object]) -> None:
    """``with_options`` keywords: a client option that is not a call option is refused with
    the reason (the derived client shares the pool, and with it the key and the server)."""
    for name in options:
        if name in CallOptions.__optional_keys__:
            continue
        if name in ClientOptions.__optional_keys__ or name in ("api_key", "session"):
            raise ConfigError(
                f"with_options() cannot change {name}: the client it returns shares this one's "
                f"connection pool, rate limit and key; make a new client for another {name}"
            )
        raise TypeError(f"with_options() got an unexpected keyword argument {name!r}")


def resolve_timeout(timeout: float | Timeout | None) -> Timeout:
    if timeout is None:
        return Timeout()
    if isinstance(timeout, Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(
            f"timeout must be a positive number of seconds or a Timeout, got {timeout!r}"
        )
    return Timeout(total=float(timeout), connect=min(float(timeout), DEFAULT_CONNECT_TIMEOUT))


class Secret:
    """A value that never shows itself: its ``repr`` and ``str`` are masked, so that a
    traceback's local variables, a log line or a debugger show ``Secret('***')``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


def resolve_api_key(api_key: str | Secret | None) -> Secret:
    """The API key (from the argument, else ``IVOWABA_API_KEY``), wrapped so that it never
    shows. Call it first and drop the argument: a frame holding the bare key would show it."""
    if isinstance(api_key, Secret):
        return api_key
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if not key or not isinstance(key, str):
        raise ConfigError(
            f"no API key: pass api_key=... or set {API_KEY_ENV} "
            "(find it in the IVOWBA dashboard, developer section)"
        )
    if key != key.strip() or not key.isprintable():
        # Said here, not by aiohttp at the first request (a ValueError quoting the header).
        raise ConfigError(
            "the API key has white space at an end or a control character in it (a key read "
            "from a file keeps its newline: strip it)"
        )
    return Secret(key)


def redact_url(url: str) -> str:
    """``url`` as a repr or a message may show it: the password of a ``user:password@``
    masked (``user:***@host``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<an unreadable URL>"
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def resolve_base_url(base_url: str | None) -> str:
    url = base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL}, got {url!r}"
        )
    return url.rstrip("/")


def resolve_positive_int(name: str, value: int | None, *, allow_zero: bool = False) -> int | None:
    if value is None:
        return None
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


#: What the client asks of an outcome store (see ``ivowaba.outcomes.OutcomeStore``).
_STORE_METHODS = ("window_open", "last_inbound", "opted_out")
#: The rule an ``outcomes`` argument breaks when it is not a store.
OUTCOMES_RULE = "must be an outcome store, such as ivowaba.outcomes.open_store(url) returns"


def is_outcome_store(store: object) -> bool:
    """Whether ``store`` has what the window guard and ``send_many`` call."""
    return all(callable(getattr(store, method, None)) for method in _STORE_METHODS)


def resolve_outcomes(store: object) -> OutcomeStore | None:
    """The client's outcome store (the 24-hour window guard), or ``None``."""
    if store is None:
        return None
    if not is_outcome_store(store):  # its type only: a URL given by mistake may hold a password
        raise ConfigError(f"outcomes {OUTCOMES_RULE}, got {type(store).__name__}")
    return store  # type: ignore[return-value]


def resolve_country_code(code: str | None) -> str | None:
    if code is None:
        return None
    digits = code.lstrip("+")
    if not digits.isdigit() or not 1 <= len(digits) <= 3:
        raise ConfigError(f"default_country_code must be 1 to 3 digits such as '62', got {code!r}")
    return digits


Timeout.__module__ = "ivowaba"  # as users import it: ivowaba.Timeout
