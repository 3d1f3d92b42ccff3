"""The ``ivowaba`` logger, switched on with ``IVOWABA_LOG=debug`` (or ``info``).

Only request metadata is logged: method, path, status, attempt and elapsed time. Never a
header (the API key travels in one) and never a body (webhook settings carry passwords).
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("ivowaba")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def setup_from_env() -> None:
    """Honour ``IVOWABA_LOG``: attach a stderr handler at that level, once."""
    level = _LEVELS.get(os.environ.get("IVOWABA_LOG", "").strip().lower())
    if level is None or any(getattr(h, "_ivowaba", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler._ivowaba = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
