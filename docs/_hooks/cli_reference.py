"""The command line reference, written at build time from the ``ivowaba`` parser itself.

``docs/cli.md`` holds the marker ``<!-- cli-reference -->``; ``mkdocs build`` replaces it with
one section per command (``ivowaba send text``, ...): its help, its usage and a table of its
arguments and options with their help, choices and defaults. The page cannot fall behind the
parser: it is the parser. ``tests/test_docs_examples.py`` checks that every command and every
option string of ``ivowaba.cli._app.build_parser()`` is in what ``render`` writes.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

MARKER = "<!-- cli-reference -->"
_USAGE_WIDTH = 76


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ("ivowaba",), summary: str = ""
) -> Iterator[tuple[tuple[str, ...], str, argparse.ArgumentParser]]:
    """Every parser under ``parser``, depth first: its command words, its one-line help
    (as its parent lists it) and the parser."""
    yield path, summary, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name), helps.get(name, ""))


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(prog=parser.prog, width=_USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help:
        return ""
    params: dict[str, Any] = dict(vars(action), prog=parser.prog)
    for name in list(params):
        if hasattr(params[name], "__name__"):
            params[name] = params[name].__name__
    if params.get("choices") is not None:
        params["choices"] = ", ".join(str(choice) for choice in params["choices"])
    try:
        return action.help % params
    except (KeyError, TypeError, ValueError):
        return action.help


def _name(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(f"`{option}`" for option in action.option_strings)
        takes_value = action.nargs != 0
        if takes_value:
            names += f" *{action.metavar or action.dest.upper()}*"
        return names
    return f"`{action.metavar or action.dest}`"


def _notes(action: argparse.Action) -> list[str]:
    notes = []
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        notes.append("one of " + ", ".join(f"`{choice}`" for choice in action.choices))
    default = action.default
    shown = default not in (None, False, [], argparse.SUPPRESS) and action.nargs != 0
    if shown and "default" not in (action.help or ""):
        notes.append(f"default `{default}`")
    repeated = action.nargs in ("+", "*") or isinstance(action, argparse._AppendAction)
    if repeated and "repeat" not in (action.help or ""):
        notes.append("repeatable" if action.option_strings else "one or more")
    return notes


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _table(parser: argparse.ArgumentParser, actions: list[argparse.Action]) -> list[str]:
    rows = []
    for action in actions:
        if action.help == argparse.SUPPRESS or isinstance(
            action, (argparse._HelpAction, argparse._SubParsersAction)
        ):
            continue
        meaning = _help(parser, action)
        notes = _notes(action)
        if notes:
            meaning = f"{meaning} ({'; '.join(notes)})" if meaning else "; ".join(notes)
        rows.append(f"| {_cell(_name(action))} | {_cell(meaning)} |")
    if not rows:
        return []
    return ["| argument | meaning |", "|---|---|", *rows, ""]


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> list[str]:
    lines = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                anchor = "-".join((*path, choice.dest))
                lines.append(f"- [`{choice.dest}`](#{anchor}): {choice.help or ''}")
    return [*lines, ""] if lines else []


def section(path: tuple[str, ...], summary: str, parser: argparse.ArgumentParser) -> str:
    """The reference of one command: its heading, help, usage and arguments."""
    title = " ".join(path)
    depth = min(len(path) + 1, 4)
    out = [f"{'#' * depth} {title} {{#{'-'.join(path)}}}", ""]
    text = summary or parser.description or ""
    if text:
        out += [text[0].upper() + text[1:] + ("" if text.endswith(".") else "."), ""]
    out += ["```text", _usage(parser), "```", ""]
    for group in parser._action_groups:
        table = _table(parser, group._group_actions)
        if table:
            out += [f"**{group.title}**", "", *table]
    out += _subcommands(parser, path)
    return "\n".join(out)


def render(parser: argparse.ArgumentParser) -> str:
    """The reference of every command of ``parser``, as Markdown."""
    return "\n".join(section(*command) for command in commands(parser))


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """mkdocs hook: fill the marker of ``cli.md`` in."""
    if MARKER not in markdown:
        return markdown
    from ivowaba.cli._app import build_parser

    return markdown.replace(MARKER, render(build_parser()))
