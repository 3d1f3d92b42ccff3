"""Asking the outcome store whether a message may go, before any request: the one place
where a failing store becomes ``OutcomeStoreError`` (surely not sent, by ``sent_state``).

Used by the window guard of a client with a store, by ``send_many(..., outcomes=store)`` and
by ``ivowaba bulk --outcomes``. The store's own error is never chained to the
``OutcomeStoreError``: its traceback may hold the store's connection (and a Redis password).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivowaba._errors import OutcomeStoreError, WindowClosedError
from ivowaba.types.bulk import OPTED_OUT, WINDOW_CLOSED

if TYPE_CHECKING:
    from ivowaba.outcomes import OutcomeStore


async def screen(store: OutcomeStore, wa_id: str, *, free_form: bool) -> str | None:
    """Why a message to ``wa_id`` must be skipped: ``OPTED_OUT`` (they opted out, whatever
    the message), ``WINDOW_CLOSED`` (a ``free_form`` one, and they have not written in the
    last 24 hours), or ``None``: it may go. ``OutcomeStoreError`` when the store fails."""
    try:
        if await store.opted_out(wa_id):
            return OPTED_OUT
        if not free_form or await store.window_open(wa_id):
            return None
    except Exception as error:
        failure = OutcomeStoreError.of(wa_id, error)
    else:
        return WINDOW_CLOSED
    raise failure  # outside the except block: the store's error is not its context


async def require_open_window(store: OutcomeStore, wa_id: str) -> None:
    """The 24-hour window guard of a client with a store: ``WindowClosedError`` unless
    ``wa_id`` wrote within the last 24 hours; ``OutcomeStoreError`` when the store fails."""
    try:
        if await store.window_open(wa_id):
            return
        last_inbound = await store.last_inbound(wa_id)
    except Exception as error:
        failure: Exception = OutcomeStoreError.of(wa_id, error)
    else:
        failure = WindowClosedError(wa_id, last_inbound)
    raise failure
