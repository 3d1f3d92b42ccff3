"""The ``ivowaba`` logger, switched on with ``IVOWABA_LOG=debug`` (or ``info``).

Only request metadata is logged: method, path, status, attempt and elapsed time. Never a
header (the API key travels in one) and never a body (webhook settings carry passwords).

``IVOWABA_LOG`` sets the logger's level and gives it a stderr handler of its own, which
writes a line only when no handler of the application would: with the application's own
``logging.basicConfig`` (or any handler above ``ivowaba``), each line is printed once, by the
application, in its format.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("ivowaba")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def _handled_above(record: logging.LogRecord) -> bool:
    """Whether a handler of an ancestor of ``ivowaba`` (the root's, say) takes ``record``."""
    current = logger
    while current.propagate and current.parent is not None:
        current = current.parent
        if any(record.levelno >= handler.level for handler in current.handlers):
            return True
    return False


class _StderrUnlessHandled(logging.StreamHandler):  # type: ignore[type-arg]
    """``IVOWABA_LOG``'s handler: stderr, for the lines no handler of the application takes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _handled_above(record) and bool(super().filter(record))


def setup_from_env() -> None:
    """Honour ``IVOWABA_LOG``: attach a stderr handler at that level, once."""
    level = _LEVELS.get(os.environ.get("IVOWABA_LOG", "").strip().lower())
    if level is None or any(getattr(h, "_ivowaba", False) for h in logger.handlers):
        return
    handler = _StderrUnlessHandled()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler._ivowaba = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
