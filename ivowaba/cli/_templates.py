"""``ivowaba templates lint SPEC`` and ``ivowaba templates create SPEC [--wait]``.

``SPEC`` is a JSON file holding one template definition: the body of the reference's "Create
template" (``label``, ``category_id``, ``language_id``, ``header``, ``body``, ``footer``,
``buttons``, ...). ``lint`` checks it against WhatsApp's template rules without sending it:
exit 0 when clean, 2 with one line per problem on stderr. ``create`` checks it the same way
and sends it only when clean; with ``--wait`` it is proposed for review and the command waits
for the verdict: exit 0 approved, 1 rejected (with the reason) or still under review after
``--timeout``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from ivowaba._errors import ValidationError
from ivowaba._validation import seconds
from ivowaba.cli._commands import client_from
from ivowaba.cli._output import emit, print_error
from ivowaba.cli._parsing import client_options
from ivowaba.types.templates import Template, TemplateProblem

EXIT_OK = 0
EXIT_PROBLEMS = 2


def add_commands(actions: Any) -> None:
    """Add ``lint`` and ``create`` to the ``templates`` actions, each with the connection
    options every command has."""
    lint = actions.add_parser("lint", help="check a template definition against WhatsApp's rules")
    lint.add_argument("spec", type=Path, help="a JSON file: the body of Create template")
    client_options(lint)
    lint.set_defaults(handler=run_lint)

    create = actions.add_parser("create", help="create a template from a JSON definition")
    create.add_argument("spec", type=Path, help="a JSON file: the body of Create template")
    create.add_argument(
        "--wait",
        action="store_true",
        help="propose it and wait for WhatsApp's review (exit 1 when rejected)",
    )
    create.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait at most (default 600)"
    )
    create.add_argument(
        "--interval", type=float, default=10.0, help="seconds between looks (default 10)"
    )
    client_options(create)
    create.set_defaults(handler=run_create)


def read_spec(path: Path) -> dict[str, Any]:
    """The template definition in ``path``; ``ValidationError`` (``spec``) when it cannot be
    read or is not a JSON object."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValidationError("spec", f"cannot read {path}: {error.strerror}") from None
    try:
        spec = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        raise ValidationError("spec", f"{path} is not JSON: {error}") from None
    if not isinstance(spec, dict):
        raise ValidationError("spec", f"{path} must hold a JSON object (a template definition)")
    return spec


def _report(path: Path, problems: Sequence[TemplateProblem], as_json: bool) -> int:
    """The problems on stderr: one line each, or with ``as_json`` one JSON error object (as
    every error is under ``--json``; ``lint`` prints the list itself on stdout). Returns the
    exit code of a definition with problems."""
    if as_json:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        print_error(f"{path}: {count}", "ValidationError", as_json=True)
    else:
        for problem in problems:
            print(f"ivowaba: {path}: {problem}", file=sys.stderr)
    return EXIT_PROBLEMS


def _shown(template: Template) -> str:
    line = f"{template.id}\t{template.status or '-'}\t{template.template_name or '-'}"
    return line + (f"\t{template.rejected_reason}" if template.rejected_reason else "")


async def run_lint(args: argparse.Namespace) -> int:
    spec = read_spec(args.spec)
    async with client_from(args) as client:
        problems = await client.templates.lint(spec)
    if args.json:
        emit(problems, as_json=True)
    elif not problems:
        emit(None, as_json=False, human=f"{args.spec}: no problems")
    return _report(args.spec, problems, args.json) if problems else EXIT_OK


async def run_create(args: argparse.Namespace) -> int:
    spec = read_spec(args.spec)
    if args.wait:
        # The wait's options are checked before the template is made: a bad one must not
        # leave a template behind (exit 2 means nothing was sent).
        seconds(args.timeout, "timeout")
        seconds(args.interval, "interval")
        if spec.get("is_propose", True) is not True:
            raise ValidationError(
                "is_propose", "--wait waits for WhatsApp's review: the template must be proposed"
            )
        spec["is_propose"] = True
    async with client_from(args) as client:
        try:
            template = await client.templates.create(**spec)
        except ValidationError as error:
            if not error.problems:
                raise
            return _report(args.spec, error.problems, args.json)
        if args.wait:
            template = await client.templates.wait_for_review(
                template.id, timeout=args.timeout, interval=args.interval
            )
    emit(template, as_json=args.json, human=_shown(template))
    return EXIT_OK
