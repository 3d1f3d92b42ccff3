"""The progress of ``ivowaba bulk``: a live line on a terminal, a plain line elsewhere."""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    """A live line on a terminal, a plain line every few seconds elsewhere."""

    def __init__(self, total: int, mode: str, out: IO[str] | None = None) -> None:
        out = out if out is not None else sys.stderr  # the stream of now, not of import time
        if mode == "auto":
            mode = "bar" if out.isatty() else "lines"
        self.mode, self.total, self.out = mode, total, out
        self.sent = self.failed = self.skipped = 0
        self.started = self._last = time.monotonic()

    def update(self, ok: bool, *, skipped: bool = False) -> None:
        """One more row done: sent (``ok``), failed, or ``skipped`` (never a request)."""
        if skipped:
            self.skipped += 1
        elif ok:
            self.sent += 1
        else:
            self.failed += 1
        now = time.monotonic()
        interval = 0.1 if self.mode == "bar" else 5.0
        if self.mode != "none" and now - self._last >= interval:
            self._last = now
            self._show(now)

    def _show(self, now: float, end: str = "") -> None:
        done = self.sent + self.failed + self.skipped
        rate = done / max(now - self.started, 1e-9)
        left = max(self.total - done, 0)
        eta = time.strftime("%H:%M:%S", time.gmtime(left / rate)) if rate > 0 else "--:--:--"
        skipped = f"  skipped {self.skipped}" if self.skipped else ""
        line = (
            f"sent {self.sent}  failed {self.failed}{skipped}  {done}/{self.total}  "
            f"{rate:,.0f}/s  ETA {eta}"
        )
        if self.mode == "bar":
            width = 24
            filled = int(width * done / self.total) if self.total else width
            self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {line}{end}")
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def finish(self) -> None:
        if self.mode != "none":
            self._show(time.monotonic(), end="\n" if self.mode == "bar" else "")
