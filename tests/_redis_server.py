"""A private ``redis-server`` for the tests: 127.0.0.1, a free port, a temporary directory.

A test module takes the fixture with ``redis_server = _redis_server.redis_server`` (one
server per module, for the whole session). When it cannot be started the
tests are skipped with the reason, except under CI (``CI`` set), where they fail: CI must
run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int
    pid: int

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``; under CI, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: these tests must run there)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A running ``redis-server``, stopped (and its directory removed) after the session."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (Debian: apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="ivowaba-redis-") as directory:
        port = _free_port()
        log = Path(directory) / "redis.log"
        command = [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", directory,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", str(log),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _answers_ping(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            else:
                yield RedisServer("127.0.0.1", port, process.pid)
                return
            _stop(process)
            output = process.stderr.read() if process.stderr is not None else b""
            output += log.read_bytes() if log.exists() else b""
            said = output.decode(errors="replace").strip()[-500:]
            unavailable(f"redis-server did not start on 127.0.0.1:{port}: {said}")
        finally:
            _stop(process)
            if process.stderr is not None:
                process.stderr.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
