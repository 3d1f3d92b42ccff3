"""The examples run as they are (against the emulator when no API key is set)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("send_messages.py", [], "template: "),
        ("blocking_script.py", [], "refused: text at most 4096 characters"),
        # its documented N: 500 rows (not the default 2000) go through the same rate limit
        ("bulk_campaign.py", ["500"], "500 sent, 0 failed"),
    ],
    ids=["send_messages.py", "blocking_script.py", "bulk_campaign.py"],
)
def test_example_runs(script: str, args: list[str], expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVOWABA_")}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=EXAMPLES,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
