"""How the command prints: readable lines for people, ``--json`` for scripts."""

from __future__ import annotations

import sys
from typing import Any, Final, TextIO

import msgspec

#: The file name that means stdout, for a command's output file (``-o -``, ``--csv -``).
STDOUT_NAME: Final = "-"


def to_plain(value: Any) -> Any:
    """Structs, dataclasses and paths as JSON-ready builtins."""
    return msgspec.to_builtins(value, builtin_types=(bytes,), str_keys=True, enc_hook=str)


def emit(value: Any, *, as_json: bool, human: str | None = None, out: TextIO | None = None) -> None:
    """Print ``value`` as JSON, or ``human`` (default: a readable rendering of ``value``)."""
    stream = out or sys.stdout
    if as_json:
        stream.write(msgspec.json.encode(to_plain(value)).decode() + "\n")
    else:
        stream.write((human if human is not None else render(value)) + "\n")
    stream.flush()


def print_error(
    message: str,
    kind: str,
    *,
    as_json: bool,
    status: int | None = None,
    field: str | None = None,
) -> None:
    """An error, on stderr: one line ``ivowaba: message``, or with ``as_json`` one JSON
    object: ``error`` (the message), ``type`` (``kind``: the error's class name, or
    ``"UsageError"``), and ``status`` (the HTTP status) and ``field`` (the input at fault)
    when there is one."""
    if not as_json:
        print(f"ivowaba: {message}", file=sys.stderr, flush=True)
        return
    report: dict[str, Any] = {"error": message, "type": kind}
    if status is not None:
        report["status"] = status
    if field is not None:
        report["field"] = field
    print(msgspec.json.encode(report).decode(), file=sys.stderr, flush=True)


def render(value: Any, indent: int = 0) -> str:
    """A plain-text rendering: one ``key: value`` per line, lists as indented items."""
    plain = to_plain(value)
    lines: list[str] = []
    _render(plain, indent, lines)
    return "\n".join(lines)


def _render(value: Any, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                _render(item, indent + 1, lines)
            else:
                lines.append(_aligned(f"{pad}{key}: ", item))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                lines.append(f"{pad}-")
                _render(item, indent + 1, lines)
            else:
                lines.append(_aligned(f"{pad}- ", item))
    else:
        lines.append(_aligned(pad, value))


def _aligned(prefix: str, value: Any) -> str:
    """``prefix`` and the value; the further lines of a multi-line text start under its
    first character (a template's body reads as it will show)."""
    first, *rest = _scalar(value).splitlines() or [""]
    margin = " " * len(prefix)
    return "\n".join([prefix + first, *(margin + line if line else "" for line in rest)])


def _scalar(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "-"
    return str(value)
