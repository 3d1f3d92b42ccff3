"""The parser's own rules: options taken before the command's name too, and usage errors
printed as text or, with ``--json`` on the line, as one JSON object.

``ivowaba --api-key K --base-url U send text ...`` is ``ivowaba send text ... --api-key K
--base-url U``: every option of :data:`LEADING_OPTIONS` may come before the command's name,
for any command that takes it after its name; given both before and after, the one after
wins. A leading option the command does not take is a usage error (``ivowaba --base-url U
demo``), never silently ignored.

How: the top-level parser takes them under other names (``leading_api_key``, ...), each
command's own are given the default ``SUPPRESS`` (so that they are absent when not given),
and :meth:`CommandLine.parse_known_args` fills in, in one place, each option the command
takes: its value after the name, else before it, else the command's default.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any, Final, NoReturn

from ivowaba._errors import ConfigError
from ivowaba.cli._output import print_error

#: The options a command may also take before its name, and the group they are shown in.
LEADING_OPTIONS: Final = ("--api-key", "--base-url", "--sandbox", "--json", "--debug")
#: Where a value given before the command's name waits to be resolved.
_LEADING: Final = "leading_"
#: The leading options the chosen command takes: ``(flag, dest, default)`` each.
_TAKEN: Final = "taken_leading_options"
#: What every command has, whether or not it takes the option.
_ALWAYS: Final = {"json": False, "debug": False}
EXIT_USAGE: Final = 2


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def client_options(parser: argparse.ArgumentParser, *, before_command: bool = False) -> None:
    """The options of a command that calls the gateway (``--api-key``, ``--base-url``,
    ``--sandbox``, ``--json``, ``--debug``); with ``before_command``, the same taken before
    a command's name (on the top-level parser)."""
    prefix = _LEADING if before_command else ""
    title = "before the command's name (as after it)" if before_command else "connection"
    group = parser.add_argument_group(
        title, argument_default=argparse.SUPPRESS if before_command else None
    )
    group.add_argument(
        "--api-key",
        dest=prefix + "api_key",
        metavar="KEY",
        help="API key (default: $IVOWABA_API_KEY)",
    )
    group.add_argument(
        "--base-url",
        dest=prefix + "base_url",
        metavar="URL",
        help="gateway URL (default: $IVOWABA_BASE_URL or IVOWBA's)",
    )
    group.add_argument(
        "--sandbox", dest=prefix + "sandbox", action="store_true", help="use the sandbox endpoints"
    )
    group.add_argument(
        "--json",
        dest=prefix + "json",
        action="store_true",
        help="print JSON instead of text (errors too: one object on stderr)",
    )
    group.add_argument(
        "--debug",
        dest=prefix + "debug",
        action="store_true",
        help="show tracebacks and request logs",
    )


class _UsageError(Exception):
    """A usage error found by a command's parser, reported by the top-level one."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class CommandParser(argparse.ArgumentParser):
    """A command's parser: its usage errors go up to :class:`CommandLine`, which says them."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


class CommandLine(CommandParser):
    """The top-level parser: resolves the leading options and reports usage errors (exit 2):
    argparse's usage line and message, or with ``--json`` on the line one JSON object on
    stderr (``error``, ``type``: ``"UsageError"``)."""

    _as_json = False

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", CommandParser)  # not a CommandLine: that is the top
        return super().add_subparsers(**kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Iterable[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        argv = sys.argv[1:] if args is None else list(args)
        self._as_json = "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
        try:
            parsed, extras = super().parse_known_args(argv, namespace)
            _resolve(self, parsed)
        except _UsageError as usage:
            self._report(usage.parser, usage.message)
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        self._report(self, message)

    def _report(self, parser: argparse.ArgumentParser, message: str) -> NoReturn:
        if self._as_json:
            print_error(f"{parser.prog}: {message}", "UsageError", as_json=True)
        else:
            parser.print_usage(sys.stderr)
            print(f"{parser.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _resolve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Each leading option the chosen command takes: after its name, else before, else its
    default. A leading option it does not take is a usage error."""
    values = vars(args)
    given = {
        flag: values.pop(_LEADING + _dest(flag))
        for flag in LEADING_OPTIONS
        if _LEADING + _dest(flag) in values
    }
    taken: tuple[tuple[str, str, Any], ...] = values.pop(_TAKEN, ())
    flags = {flag for flag, _, _ in taken}
    for flag in given:
        if flag not in flags:
            command = getattr(args, "command", None)
            raise _UsageError(parser, f"{flag} is not an option of `ivowaba {command}`")
    for flag, dest, default in taken:
        if dest not in values:
            value = given.get(flag, default)
            if value is not argparse.SUPPRESS:
                values[dest] = value
    for dest, default in _ALWAYS.items():
        values.setdefault(dest, default)


def take_leading_options(parser: CommandLine) -> None:
    """Let every command of ``parser`` take the :data:`LEADING_OPTIONS` it has before its
    name too. Call it once every command was added."""
    _walk(parser, ())


def _walk(parser: argparse.ArgumentParser, inherited: tuple[tuple[str, str, Any], ...]) -> None:
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        commands: dict[int, argparse.ArgumentParser] = {}
        for command in action.choices.values():  # an alias names the same parser
            commands.setdefault(id(command), command)
        for command in commands.values():
            own: list[tuple[str, str, Any]] = []
            for option in command._actions:
                flags = [flag for flag in option.option_strings if flag in LEADING_OPTIONS]
                if flags:
                    own.extend((flag, option.dest, option.default) for flag in flags)
                    option.default = argparse.SUPPRESS
            taken = (*inherited, *own)
            command.set_defaults(**{_TAKEN: taken})
            _walk(command, taken)


# -- the commands that listen (receive, emulator) ----------------------------------------------


def check_port(port: int) -> None:
    """``--port`` is one a socket can have; ``ConfigError`` otherwise."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be 0 to 65535, got {port}")


def cannot_listen(host: str, port: int, error: OSError) -> ConfigError:
    """The error for an address a command cannot listen on (busy, not this machine's)."""
    return ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}")
