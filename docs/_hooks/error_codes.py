"""The table of WhatsApp error codes, written at build time from
``ivowaba.types.error_codes.ErrorCode``: a page holding ``<!-- error-codes -->`` gets one row
per code, so the site says what the SDK does, code for code."""

from __future__ import annotations

from typing import Any

MARKER = "<!-- error-codes -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """Every code of the table, as a Markdown table."""
    from ivowaba.types.error_codes import ErrorCode

    rows = [
        "| code | name | what happened | what to do | remedy |",
        "|---|---|---|---|---|",
    ]
    for code in ErrorCode:
        rows.append(
            f"| {int(code)} | `{code.name}` | {_cell(code.meaning)} | {_cell(code.action)} "
            f"| `{code.remedy.name}` |"
        )
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """mkdocs hook: fill the marker in."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())
