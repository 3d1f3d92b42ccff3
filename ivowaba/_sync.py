"""``Client``: the blocking client, the async client run on a thread of its own.

Every operation is the async one, reached through the same resource classes (see
``ivowaba._resource``): nothing here is written twice.
"""

from __future__ import annotations

import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any

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

_RESOURCES = ("contacts", "countries", "media", "messages", "settings", "templates", "webhooks")


class Client:
    """The blocking IVOWBA client: the same operations as ``AsyncClient``, without ``await``.

    It takes the same keywords as ``AsyncClient`` (but ``session``): ``base_url``,
    ``sandbox``, ``timeout``, ``max_retries``, ``rate_limit``, ``rate_limiter``,
    ``max_connections``, ``default_country_code``, ``check_templates``. One background thread
    runs its event loop; the client is safe to share between threads and works where an event
    loop is already running (a notebook, an async framework's sync route).

    ```python
    with ivowaba.Client() as client:
        client.messages.send_text("628123456789", "hello")
    ```
    """

    contacts: Contacts[Blocking]
    countries: Countries[Blocking]
    media: MediaResource[Blocking]
    messages: Messages[Blocking]
    settings: Settings[Blocking]
    templates: Templates[Blocking]
    webhooks: Webhooks[Blocking]

    def __init__(
        self, api_key: str | None = None, **options: Unpack[_config.ClientOptions]
    ) -> None:
        _config.check_option_names("Client", dict(options))  # `session` is for AsyncClient only
        built: list[AsyncClient] = []

        async def enter_loop() -> None:  # also after os.fork(), in the child
            if built:
                built[0]._forget_loop()

        async def leave_loop() -> None:
            if built:
                await built[0].aclose()

        async def build() -> AsyncClient:
            return AsyncClient(api_key, **options)  # built on the loop thread that will use it

        self._runner = LoopRunner(on_start=enter_loop, on_stop=leave_loop)
        try:
            aclient = self._runner.call(build)
        except BaseException:
            self._runner.close()
            raise
        built.append(aclient)
        self._aclient = aclient
        for name in _RESOURCES:
            twin: Resource[Any] = getattr(aclient, name)
            setattr(self, name, type(twin)._blocking(twin, self._runner))
        self._finalizer = weakref.finalize(self, self._runner.close)

    @property
    def base_url(self) -> str:
        return self._aclient.base_url

    @property
    def sandbox(self) -> bool:
        return self._aclient.sandbox

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, sandbox={self.sandbox!r})"

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
