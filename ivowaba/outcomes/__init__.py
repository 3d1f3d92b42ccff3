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
``opt_in_words`` (START, MULAI) opts them back in. The latest by the messages' timestamps wins,
whatever the order of arrival. ``set_opted_out(wa_id, flag)`` sets it by hand, as of now.
"""

from __future__ import annotations

from ivowaba.outcomes._open import open_store
from ivowaba.outcomes._rank import STATUS_RANK
from ivowaba.outcomes._redis import DEFAULT_PREFIX, RedisOutcomeStore
from ivowaba.outcomes._sqlite import DEFAULT_BUSY_TIMEOUT, SQLiteOutcomeStore
from ivowaba.outcomes._store import (
    CUSTOMER_SERVICE_WINDOW,
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
    "MessageOutcome",
    "OutcomeStore",
    "RedisOutcomeStore",
    "SQLiteOutcomeStore",
    "open_store",
]

for _obj in (MessageOutcome, OutcomeStore, RedisOutcomeStore, SQLiteOutcomeStore, open_store):
    _obj.__module__ = __name__
del _obj
