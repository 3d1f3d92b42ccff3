"""Where the :class:`Dispatcher` runs plain (non-async) handlers during one dispatch.

By default in a worker thread (or on the loop, with ``sync_in_thread=False``). A blocking
server (``wsgi_app``, ``django_view``) sets :data:`run_sync_handler` for the dispatch it waits
for, so that the handlers run in the request's own thread, with its framework's context
(Flask's ``g`` and app context, Django's database connection).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

#: Runs ``handler(item)`` somewhere and returns what it returned; ``None``: the dispatcher's
#: own rule.
SyncHandlerRunner = Callable[[Callable[[Any], Any], Any], Awaitable[Any]]

run_sync_handler: ContextVar[SyncHandlerRunner | None] = ContextVar(
    "ivowaba_run_sync_handler", default=None
)
