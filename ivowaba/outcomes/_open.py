"""``open_store``: an outcome store chosen by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ivowaba._config import redact_url
from ivowaba._errors import ConfigError
from ivowaba.outcomes._store import OutcomeStore

_RULE = (
    "use sqlite:///relative/path.db, sqlite:////absolute/path.db (or sqlite:///:memory:), "
    "or redis://host:port/db (rediss:// for TLS)"
)


def open_store(url: str, **options: Any) -> OutcomeStore:
    """Open the outcome store at ``url``:

    - ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``: a
      :class:`~ivowaba.outcomes.SQLiteOutcomeStore` on that file (created if missing), the
      embedded default; ``sqlite:///:memory:`` for one in memory.
    - ``redis://host:port/db`` (``rediss://`` for TLS): a
      :class:`~ivowaba.outcomes.RedisOutcomeStore` on a client of its own, shared by every
      receiver and sender pointed at it. Needs ``pip install 'ivowaba[redis]'``.

    ``options`` go to the store's constructor (``opt_out_words``, ``opt_in_words``, ``clock``;
    ``busy_timeout`` for SQLite; ``prefix``, ``ttl`` for Redis). Returns the store, to close
    with ``await store.aclose()`` (or ``async with``). Raises ``ConfigError`` naming the URL
    (never its password) for a scheme other than these, a malformed URL, a file that cannot
    be opened, or Redis without its extra::

        store = open_store("sqlite:///outcomes.db")
        dispatcher = Dispatcher(outcomes=store)
    """
    if not isinstance(url, str):
        raise ConfigError(f"the outcome store URL is a string, not {type(url).__name__}: {_RULE}")
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        from ivowaba.outcomes._sqlite import SQLiteOutcomeStore

        return SQLiteOutcomeStore(_sqlite_path(url), **options)
    if scheme in ("redis", "rediss"):
        try:
            import redis.asyncio  # noqa: F401
        except ImportError:
            raise ConfigError(
                f"the outcome store {redact_url(url)} needs redis-py: pip install 'ivowaba[redis]'"
            ) from None
        from ivowaba.outcomes._redis import RedisOutcomeStore

        try:
            return RedisOutcomeStore.from_url(url, **options)
        except ValueError as exc:
            raise ConfigError(f"bad outcome store URL {redact_url(url)}: {exc}; {_RULE}") from None
    raise ConfigError(f"unknown outcome store URL {redact_url(url)!r}: {_RULE}")


def require_existing(url: str, option: str = "--outcomes") -> None:
    """Refuse a SQLite ``url`` whose file does not exist, naming ``option`` (the command
    line's), with ``ConfigError``: for a command that reads a store (``ivowaba bulk``,
    ``ivowaba report``), a path that names none is a typo, not an empty store (opened, it
    would be made empty, and its opt-outs would all be missing). ``sqlite:///:memory:`` and
    Redis URLs pass (they have no file to miss); any other URL is left to :func:`open_store`.
    """
    if not isinstance(url, str) or url.partition(":")[0].lower() != "sqlite":
        return
    path = _sqlite_path(url)
    if path != ":memory:" and not Path(path).expanduser().is_file():
        raise ConfigError(
            f"no outcome store at {path} (from {option} {url}): {option} must name an existing "
            "SQLite file, the store ivowaba receive records statuses and opt-outs into"
        )


def _sqlite_path(url: str) -> str:
    if not url[len("sqlite:") :].startswith("///"):
        raise ConfigError(f"bad outcome store URL {url!r}: a SQLite URL has no host; {_RULE}")
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ConfigError(
            f"bad outcome store URL {url!r}: pass options as keywords of open_store, "
            f"not in the URL; {_RULE}"
        )
    path = unquote(parts.path[1:])
    if not path:
        raise ConfigError(f"bad outcome store URL {url!r}: no file named; {_RULE}")
    return path


async def require_reachable(store: OutcomeStore, url: str) -> None:
    """Ask ``store`` (opened from ``url``) one question now, not at the first message:
    ``ConfigError`` naming the URL (never its password) when it cannot answer."""
    try:
        await store.opted_out("0")
    except Exception as exc:
        raise ConfigError(f"cannot reach the outcome store {redact_url(url)}: {exc}") from None
