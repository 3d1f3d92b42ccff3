"""The ``ivowaba`` command: the everyday operations from a shell, the emulator, and a demo.

```
ivowaba demo                                   # a tour against the built-in emulator
ivowaba emulator --port 8080                   # serve a local IVOWBA
ivowaba send text 628123456789 "hello"         # prints the message id
ivowaba templates list --json
ivowaba bulk recipients.csv --text "Hi {name}" --journal run.jsonl
ivowaba receive --port 8080 --outcomes sqlite:///outcomes.db   # record statuses
```

Configuration: ``--api-key`` or ``IVOWABA_API_KEY``, ``--base-url`` or ``IVOWABA_BASE_URL``,
``--sandbox``; these, ``--json`` and ``--debug`` may come before the command's name too
(``ivowaba --api-key K send text ...``). Exit codes: 0 success, 1 the API or the network
failed (or a bulk row did), 2 bad usage or input, 130 interrupted. Errors are one line on
stderr (with ``--json``, one JSON object: ``error``, ``type``, ``status`` when there is one);
``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ivowaba.cli._app import run


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ivowaba`` console script."""
    sys.exit(run(argv))


__all__ = ["main", "run"]
