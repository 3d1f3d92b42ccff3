"""``Client``: the blocking client, the async client run on a thread of its own.

Every operation is the async one, reached through the same resource classes (see
``ivowaba._resource``): nothing here is written twice.
"""

from __future__ import annotations

import weakref
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ivowaba import _config
from ivowaba._client import AsyncClient
from ivowaba._resource import Blocking, Resource
from ivowaba._runner import LoopRunner

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ivowaba.resources.contacts import Contacts
    from ivowaba.resources.countries import Countries
    from ivowaba.resources.media import MediaResource
    from ivowaba.resources.messages import Messages
    from ivowaba.resources.settings import Settings
    from ivowaba.resources.templates import Templates
    from ivowaba.resources.webhooks import Webhooks

Face = TypeVar("Face")


class _ResourceFace(Generic[Face]):
    """``client.messages`` and the like: a blocking face of the async client's resource, made
    on each access. It holds the ``Client``, so that ``Client().messages.send_text(...)`` and
    ``messages = Client().messages`` keep it open; the ``Client`` holds no face back, so that
    it is closed as soon as the last reference to it (or to a face) goes."""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _ResourceFace[Face]: ...
    @overload
    def __get__(self, obj: Client, owner: type[Any]) -> Face: ...
    def __get__(self, obj: Client | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        twin: Resource[Any] = getattr(obj._aclient, self._name)
        return type(twin)._blocking(twin, obj._runner, obj)


class Client:
    """The blocking IVOWBA client: the same operations as ``AsyncClient``, without ``await``.

    It takes the same keywords as ``AsyncClient`` (but ``session``): ``base_url``,
    ``sandbox``, ``timeout``, ``max_retries``, ``rate_limit``, ``rate_limiter``,
    ``max_connections``, ``max_response_size``, ``default_country_code``,
    ``check_templates``, ``outcomes`` (the 24-hour window guard), ``event_hooks`` (called on
    the client's loop thread; coroutine functions are awaited there). One background thread runs
    its event loop; the client is safe to share between threads, works where an event loop is
    already running (a notebook, an async framework's sync route), and survives ``os.fork()``
    (gunicorn ``--preload``, Celery prefork, multiprocessing): a child gets its own loop,
    thread and pool, the parent's are left untouched. Each call runs in a copy of its caller's
    ``contextvars`` context. The ``outcomes`` store is called on that thread's loop: a
    ``RedisOutcomeStore`` that another loop uses at the same time (a webhook server's) needs
    a twin opened for the client.

    ```python
    with ivowaba.Client() as client:
        client.messages.send_text("628123456789", "hello")
    ```

    A client nobody refers to any more is closed (``close()`` is still the clean way); any call
    after ``close()`` raises ``ClientClosedError``.

    ``with_options(timeout=..., max_retries=...)`` gives a ``Client`` that shares this one's
    pool and thread; ``client.messages.with_raw_response.send_text(...)`` (any resource, any
    operation) returns the answer's ``status_code`` and ``headers`` with ``parse()``.
    """

    contacts: _ResourceFace[Contacts[Blocking]] = _ResourceFace()
    countries: _ResourceFace[Countries[Blocking]] = _ResourceFace()
    media: _ResourceFace[MediaResource[Blocking]] = _ResourceFace()
    messages: _ResourceFace[Messages[Blocking]] = _ResourceFace()
    settings: _ResourceFace[Settings[Blocking]] = _ResourceFace()
    templates: _ResourceFace[Templates[Blocking]] = _ResourceFace()
    webhooks: _ResourceFace[Webhooks[Blocking]] = _ResourceFace()

    def __init__(
        self, api_key: str | None = None, **options: Unpack[_config.ClientOptions]
    ) -> None:
        secret = _config.resolve_api_key(api_key)
        del api_key  # from here on only the masked secret is in this frame
        _config.check_option_names("Client", dict(options))  # `session` is for AsyncClient only
        aclient = AsyncClient._with_secret(secret, options)
        self._aclient = aclient
        self._runner = LoopRunner(on_stop=aclient.aclose)
        self._parent: Client | None = None
        self._finalizer = weakref.finalize(self, self._runner.close)

    def with_options(self, **options: Unpack[_config.CallOptions]) -> Client:
        """A ``Client`` like this one but for ``options``, sharing this one's connection pool
        and event-loop thread.

        ``options``: ``timeout``, ``max_retries``, ``max_response_size``,
        ``default_country_code``, ``check_templates``, ``outcomes``, ``event_hooks``; every
        other option is this client's (see ``AsyncClient.with_options``). Cheap to make:

        ```python
        client.with_options(timeout=5, max_retries=0).messages.send_text(to, "hi")
        ```

        Closing the client returned closes only it (a call on it then raises
        ``ClientClosedError``); closing this one closes the pool and the thread for both. The
        client returned keeps this one alive, so that ``Client().with_options(...)`` works.
        """
        derived = Client.__new__(Client)
        derived._aclient = self._aclient.with_options(**options)
        derived._runner = self._runner
        derived._parent = self if self._parent is None else self._parent  # kept alive
        derived._finalizer = weakref.finalize(derived, partial(_close_alone, derived._aclient))
        return derived

    @property
    def base_url(self) -> str:
        return self._aclient.base_url

    @property
    def sandbox(self) -> bool:
        return self._aclient.sandbox

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (on the client whose pool this one shares, too)."""
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None and not finalizer.alive:
            return True
        parent = getattr(self, "_parent", None)
        return parent is not None and parent.closed

    def __repr__(self) -> str:  # never raises, even for a client whose constructor failed
        aclient = getattr(self, "_aclient", None)
        base_url = getattr(aclient, "base_url", None)
        sandbox = getattr(aclient, "sandbox", False)
        closed = ", closed=True" if self.closed else ""
        shown = None if base_url is None else _config.redact_url(base_url)
        return f"Client(base_url={shown!r}, sandbox={sandbox!r}{closed})"

    def close(self) -> None:
        """Close the connection pool and stop the background thread (only this client, for
        one made by ``with_options``). Idempotent."""
        self._finalizer()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _close_alone(aclient: AsyncClient) -> None:
    """Close a ``with_options`` client: it refuses calls from now on; the pool, the thread
    and the client it came from stay as they are."""
    aclient._closed = True  # all its aclose() does: the pool is another client's


Client.__module__ = "ivowaba"  # as users import it: ivowaba.Client
