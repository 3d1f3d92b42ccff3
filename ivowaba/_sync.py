"""``Client``: the blocking client, the async client run on a thread of its own.

Every operation is the async one, reached through the same resource classes (see
``ivowaba._resource``): nothing here is written twice.
"""

from __future__ import annotations

import weakref
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
    ``check_templates``. One background thread runs its event loop; the client is safe to
    share between threads, works where an event loop is already running (a notebook, an async
    framework's sync route), and survives ``os.fork()`` (gunicorn ``--preload``, Celery
    prefork, multiprocessing): a child gets its own loop, thread and pool, the parent's are
    left untouched. Each call runs in a copy of its caller's ``contextvars`` context.

    ```python
    with ivowaba.Client() as client:
        client.messages.send_text("628123456789", "hello")
    ```

    A client nobody refers to any more is closed (``close()`` is still the clean way); any call
    after ``close()`` raises ``ClientClosedError``.
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
        self._finalizer = weakref.finalize(self, self._runner.close)

    @property
    def base_url(self) -> str:
        return self._aclient.base_url

    @property
    def sandbox(self) -> bool:
        return self._aclient.sandbox

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        finalizer = getattr(self, "_finalizer", None)
        return finalizer is not None and not finalizer.alive

    def __repr__(self) -> str:  # never raises, even for a client whose constructor failed
        aclient = getattr(self, "_aclient", None)
        base_url = getattr(aclient, "base_url", None)
        sandbox = getattr(aclient, "sandbox", False)
        closed = ", closed=True" if self.closed else ""
        return f"Client(base_url={base_url!r}, sandbox={sandbox!r}{closed})"

    def close(self) -> None:
        """Close the connection pool and stop the background thread. Idempotent."""
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


Client.__module__ = "ivowaba"  # as users import it: ivowaba.Client
