"""``ivowaba bulk --resume --retry-failed --outcomes URL``: which accepted rows are sent
again, by the cause of their failure.

A row is sent again only when the store says its message ended ``failed`` (not delivered or
read later) with a code that a resend can fix. The cause of each code is its
:class:`~ivowaba.types.error_codes.Remedy` in the one table of error codes,
:class:`~ivowaba.types.error_codes.ErrorCode`; nothing here lists codes of its own:

- a code of ``RETRYABLE_ERROR_CODES``: a passing fault (``RESEND_LATER``, e.g. 480, an
  identity change of the contact, "you may send the message a next few minutes" as the
  reference says; 131000, something went wrong) or a rate limit (``SLOW_DOWN``, e.g. 130429,
  the number's throughput; 131056, too many messages to one customer). The same message may
  go through later, so it is sent again as it was, once ``--retry-pause`` seconds (default
  300) have passed since the failure; a row that failed more recently is left for a later
  run, and listed. After a rate limit the pause is half the cure, a lower ``--rate-limit``
  the other: the rows resent after one are listed.
- a code of ``WINDOW_CLOSED_ERROR_CODES`` (``SEND_TEMPLATE``: 470, 131047), a free-form
  message outside the 24-hour window: the same text would fail again, and the answer is a
  template. Such a row is sent again only as the ``--fallback-template`` (filled from its
  ``--header``/``--body``/``--button-url`` columns); without one it is listed and left alone.

Every other failure is listed with what its code calls for, and not sent again: it would
fail the same way (a wrong message, an account to fix, an undeliverable number), hurt the
number's quality (131049, 131048), or reach a customer who said no (131050, which the store
records as an opt-out). Never sent again either: a row whose message is pending (accepted,
no final status yet), delivered or read, and a row whose outcome is unknown (it may have been
sent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ivowaba.outcomes._journal import ACCEPTED, Journal
from ivowaba.outcomes._report import BATCH_SIZE, FAILED, NO_CODE, delivery_state
from ivowaba.outcomes._store import MessageOutcome, OutcomeStore
from ivowaba.types.error_codes import (
    RETRYABLE_ERROR_CODES,
    WINDOW_CLOSED_ERROR_CODES,
    ErrorCode,
    Remedy,
)

#: Seconds after a retryable failure before its row is sent again, by default ("a next few
#: minutes").
DEFAULT_RETRY_PAUSE: Final = 300.0


@dataclass
class RetryPlan:
    """What ``--retry-failed`` does with the journal's accepted rows.

    - ``resend``: the rows to send again, each with ``None`` (as it was) or the template to
      send instead (470, 131047);
    - ``rate_limited``: those of ``resend`` that failed on a rate limit (``SLOW_DOWN``);
    - ``waiting``: rows that failed with a retryable code less than the pause ago;
    - ``left``: failed rows not sent again, by error code (470 and 131047 without a fallback
      template, and every code that is not retryable).
    """

    resend: dict[int, str | None] = field(default_factory=dict)
    rate_limited: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    left: dict[str, list[int]] = field(default_factory=dict)


def why_left(code: str) -> str:
    """Why rows that failed with ``code`` (a key of :attr:`RetryPlan.left`) are not sent
    again, in the table's words."""
    known = ErrorCode.lookup(int(code)) if code.isdigit() else None
    if known is not None and known.remedy is Remedy.SEND_TEMPLATE:
        return "outside the 24-hour window: pass --fallback-template ID to send them a template"
    if known is None:
        return "not a code a resend can fix"
    return f"{known.meaning}; {known.action}"


def decide(
    outcome: MessageOutcome | None, *, fallback: str | None, pause: float, now: float
) -> tuple[str, str | None]:
    """For one accepted row: ``("resend", template or None)``, ``("wait", None)``,
    ``("left", code)`` or ``("keep", None)`` (not failed)."""
    if outcome is None:
        return "keep", None
    if delivery_state(outcome.status, outcome.delivered_at, outcome.read_at) != FAILED:
        return "keep", None
    code = outcome.error_code
    if code in RETRYABLE_ERROR_CODES:
        failed_at = outcome.failed_at.timestamp() if outcome.failed_at is not None else None
        if failed_at is not None and now - failed_at < pause:
            return "wait", None
        return "resend", None
    if code in WINDOW_CLOSED_ERROR_CODES and fallback is not None:
        return "resend", fallback
    return "left", NO_CODE if code is None else str(code)


async def plan_retries(
    journal: Journal,
    store: OutcomeStore,
    *,
    fallback: str | None,
    pause: float,
    now: float,
) -> RetryPlan:
    """Read the outcomes of ``journal``'s accepted rows from ``store`` (in batches) and decide
    which are sent again (see the module's docstring)."""
    plan = RetryPlan()
    accepted = [row for row in journal.rows.values() if row.state == ACCEPTED]
    for start in range(0, len(accepted), BATCH_SIZE):
        chunk = accepted[start : start + BATCH_SIZE]
        outcomes = await store.outcomes(row.message_id or "" for row in chunk)
        for row in chunk:
            what, detail = decide(
                outcomes.get(row.message_id or ""), fallback=fallback, pause=pause, now=now
            )
            if what == "resend":
                plan.resend[row.row] = detail
                if detail is None and _rate_limited(outcomes[row.message_id or ""]):
                    plan.rate_limited.append(row.row)
            elif what == "wait":
                plan.waiting.append(row.row)
            elif what == "left":
                assert detail is not None
                plan.left.setdefault(detail, []).append(row.row)
    plan.rate_limited.sort()
    plan.waiting.sort()
    for rows in plan.left.values():
        rows.sort()
    plan.left = dict(sorted(plan.left.items()))
    return plan


def _rate_limited(outcome: MessageOutcome) -> bool:
    known = ErrorCode.lookup(outcome.error_code)
    return known is not None and known.remedy is Remedy.SLOW_DOWN
