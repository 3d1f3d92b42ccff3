"""What became of each message you sent, and what each customer allows: the outcome store.

```python
from ivowaba.outcomes import open_store
from ivowaba.webhooks import Dispatcher, create_app

store = open_store("sqlite:///outcomes.db")      # or "redis://localhost:6379/0"
dispatcher = Dispatcher(outcomes=store)          # records every status and inbound message
app = create_app(dispatcher, username="ivo", password="secret")

outcome = await store.outcome(sent.id)           # MessageOutcome: status, error_code, read_at...
if await store.window_open("628123456789"):      # they wrote within the last 24 hours
    ...
if await store.opted_out("628123456789"):        # they sent STOP
    ...
```

For each message id the store keeps its latest status, the failure's code and title, and the
time of each step; for each customer number, the time of their last message (the 24-hour
customer service window) and whether they opted out. Two stores share one interface,
:class:`OutcomeStore`: :class:`SQLiteOutcomeStore` (one file, no server: the default) and
:class:`RedisOutcomeStore` (shared by every receiver and sender of an account).

The rank rule. Statuses may arrive late, twice, or out of order (a ``read`` before its
``delivered``); the outcome depends only on which statuses came, never on their order:

- the status is the highest seen: ``sent`` < ``failed`` < ``delivered`` < ``read`` <
  ``deleted``. A ``failed`` replaces ``sent``; a ``delivered`` or ``read`` replaces
  ``failed`` (it proves the message reached the phone), and the failure's code and title stay
  recorded; ``deleted`` (the customer deleted a message they sent you) is final;
- each step's time is the earliest given for it; the failure is the earliest ``failed``'s;
- a duplicate changes nothing.

Opt-outs. An inbound text, template quick-reply button or reply button that is, trimmed and in
any case, one of ``opt_out_words`` (STOP, BERHENTI, UNSUBSCRIBE) opts its sender out; one of
``opt_in_words`` (START, MULAI) opts them back in. A ``failed`` status with a code of
:data:`~ivowaba.types.error_codes.OPT_OUT_ERROR_CODES` (131050: the customer stopped marketing
messages from the business in WhatsApp) opts its recipient out too, as of the failure's
time, so that campaigns skip them next time. The latest change by time wins, whatever the
order of arrival (at the same second, opting out does): an opt-in word written after the
failure opts them back in. ``set_opted_out(wa_id, flag)`` sets it by hand, as of now.

Keeping it bounded. ``await store.prune(older_than=timedelta(days=30))`` forgets the messages
whose last step is older (``ivowaba receive --keep-days 30`` does it every hour); a Redis
store may instead be opened with ``ttl=`` seconds, for Redis to expire each message's key.
Customers' records are kept: an opt-out is never forgotten.

The campaign report. :func:`campaign_report` joins an ``ivowaba bulk`` journal with the store:
each row's final state (read, delivered, failed by code, pending, unknown, not sent, skipped
as opted out or window closed) and their counts, as a :class:`CampaignReport` (a table, JSON,
CSV, or one HTML page); ``ivowaba report JOURNAL --outcomes URL`` prints it.
"""

from __future__ import annotations

from ivowaba._limits import CUSTOMER_SERVICE_WINDOW
from ivowaba.outcomes._open import open_store
from ivowaba.outcomes._rank import STATUS_RANK
from ivowaba.outcomes._redis import DEFAULT_PREFIX, RedisOutcomeStore
from ivowaba.outcomes._report import CampaignReport, RowReport, campaign_report
from ivowaba.outcomes._sqlite import DEFAULT_BUSY_TIMEOUT, SQLiteOutcomeStore
from ivowaba.outcomes._store import (
    DEFAULT_OPT_IN_WORDS,
    DEFAULT_OPT_OUT_WORDS,
    MessageOutcome,
    OutcomeStore,
)

__all__ = [
    "CUSTOMER_SERVICE_WINDOW",
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_OPT_IN_WORDS",
    "DEFAULT_OPT_OUT_WORDS",
    "DEFAULT_PREFIX",
    "STATUS_RANK",
    "CampaignReport",
    "MessageOutcome",
    "OutcomeStore",
    "RedisOutcomeStore",
    "RowReport",
    "SQLiteOutcomeStore",
    "campaign_report",
    "open_store",
]

for _obj in (
    CampaignReport,
    MessageOutcome,
    OutcomeStore,
    RedisOutcomeStore,
    RowReport,
    SQLiteOutcomeStore,
    campaign_report,
    open_store,
):
    _obj.__module__ = __name__
del _obj
