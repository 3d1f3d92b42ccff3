"""The examples run as they are (against the emulator when no API key is set)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("send_messages.py", "template: "),
        ("blocking_script.py", "refused: text at most 4096 characters"),
        ("bulk_campaign.py", "2000 sent, 0 failed"),
    ],
)
def test_example_runs(script: str, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVOWABA_")}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=EXAMPLES,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
