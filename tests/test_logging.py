"""``IVOWABA_LOG=debug`` beside the application's own logging: every line is printed once, by
the application's handler when it takes it, else by ours."""

from __future__ import annotations

import subprocess
import sys

APP = """
import logging, sys
from ivowaba._logging import logger, setup_from_env

setup_from_env()  # a client made before the application configures logging
logger.debug("one: nobody else prints it")
logging.basicConfig(format="APP %(name)s %(message)s", stream=sys.stderr)
setup_from_env()  # another client
logger.debug("two: the application prints it")
logging.root.handlers[0].setLevel(logging.WARNING)
logger.debug("three: the application's handler does not take it")
"""


def test_each_line_is_printed_once_beside_the_applications_logging() -> None:
    result = subprocess.run(
        [sys.executable, "-c", APP],
        env={"IVOWABA_LOG": "debug", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for word in ("one", "two", "three"):
        assert len([line for line in lines if f"{word}: " in line]) == 1, lines
    [two] = [line for line in lines if "two: " in line]
    assert two == "APP ivowaba two: the application prints it"
    [one] = [line for line in lines if "one: " in line]
    assert one.endswith("ivowaba DEBUG one: nobody else prints it")
    [three] = [line for line in lines if "three: " in line]
    assert three.endswith("ivowaba DEBUG three: the application's handler does not take it")
