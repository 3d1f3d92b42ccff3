"""``ivowaba emulator inbound KIND WA_ID ...``: a customer writes to the bot, through a
running emulator's control API (``POST /_emulator/inbound/{kind}``).

One sub-command per kind of ``ivowaba.testing._inbound.INBOUND_KINDS``: its required fields
are arguments, the others options.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import mimetypes
import os
from pathlib import Path
from typing import Any, Final

from ivowaba._config import BASE_URL_ENV
from ivowaba._errors import IvowabaError, ValidationError
from ivowaba.cli._output import emit
from ivowaba.testing._inbound import INBOUND_KINDS, Field, check

EXIT_OK = 0
#: Where ``ivowaba emulator`` listens unless told otherwise.
DEFAULT_EMULATOR: Final = "http://127.0.0.1:8080"
_TIMEOUT: Final = 30.0


def _contact_cards(text: str) -> list[Any]:
    try:
        cards = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be JSON: a list of contact cards") from None
    return cards if isinstance(cards, list) else [cards]


def _field_argument(parser: argparse.ArgumentParser, field: Field) -> None:
    if field.kind == "file":
        parser.add_argument("--file", type=Path, help=field.help)
        return
    convert: Any = {"number": float, "json": _contact_cards}.get(field.kind, str)
    if field.required:
        parser.add_argument(field.name, type=convert, help=field.help or None)
    else:
        option = "--" + field.name.replace("_", "-")
        parser.add_argument(option, dest=field.name, type=convert, help=field.help or None)


def add_arguments(emulator: argparse.ArgumentParser) -> None:
    """``inbound`` and its kinds, under the ``emulator`` command (which still serves when
    given no sub-command)."""
    actions = emulator.add_subparsers(
        dest="emulator_action",
        metavar="ACTION",
        title="actions",
        description="without one, the command serves an emulator until Ctrl-C",
    )
    inbound = actions.add_parser(
        "inbound", help="a customer writes to the bot, through a running emulator"
    )
    kinds = inbound.add_subparsers(dest="inbound_kind", metavar="KIND", required=True)
    for kind, fields in INBOUND_KINDS.items():
        parser = kinds.add_parser(kind, help=f"a customer's {kind.replace('-', ' ')}")
        parser.add_argument("wa_id", help="the customer's number, e.g. 628123456789")
        for field in fields:
            _field_argument(parser, field)
        parser.add_argument("--name", help="the customer's profile name")
        parser.add_argument(
            "--emulator",
            help=f"its URL (default: ${BASE_URL_ENV}, as `ivowaba emulator` tells you to export "
            f"it, else {DEFAULT_EMULATOR})",
        )
        parser.add_argument(
            "--api-key",
            dest="emulator_key",
            metavar="KEY",
            help="its key, needed when it listens beyond 127.0.0.1 (default: $IVOWABA_API_KEY)",
        )
        parser.add_argument("--json", action="store_true", help="print the notification")
        parser.add_argument("--debug", action="store_true", help="show tracebacks")
        parser.set_defaults(handler=send_inbound)


def request_body(args: argparse.Namespace) -> dict[str, Any]:
    """The control API's JSON body for the parsed command line, checked as the emulator
    checks it (``ValidationError`` before any request)."""
    body: dict[str, Any] = {"from": args.wa_id, "name": args.name}
    for field in INBOUND_KINDS[args.inbound_kind]:
        if field.kind != "file":
            body[field.name] = getattr(args, field.name)
            continue
        path: Path | None = args.file
        if path is None:
            continue
        try:
            content = path.read_bytes()
        except OSError as error:
            raise ValidationError("--file", f"cannot be read: {error.strerror}") from None
        body["content_base64"] = base64.b64encode(content).decode("ascii")
        body["content_type"] = mimetypes.guess_type(path.name)[0]
        body["filename"] = args.filename or path.name
    body = {key: value for key, value in body.items() if value is not None}
    try:
        check(args.inbound_kind, body)
    except ValidationError as error:
        name = "wa_id" if error.field == "from" else error.field
        raise ValidationError(name, error.rule) from None
    return body


async def send_inbound(args: argparse.Namespace) -> int:
    import aiohttp

    body = request_body(args)
    emulator = args.emulator or os.environ.get(BASE_URL_ENV) or DEFAULT_EMULATOR
    url = f"{emulator.rstrip('/')}/_emulator/inbound/{args.inbound_kind}"
    key = args.emulator_key or os.environ.get("IVOWABA_API_KEY") or args.api_key
    headers = {"X-API-KEY": key} if key else {}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_TIMEOUT)) as session,
            session.post(url, json=body, headers=headers) as response,
        ):
            answer = await response.json(content_type=None)
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        # not chained: aiohttp's errors may carry the request's headers (the key)
        reason = str(error) or type(error).__name__
        raise IvowabaError(f"no answer from the emulator at {emulator}: {reason}") from None
    if status == 400 and isinstance(answer, dict) and "field" in answer:
        raise ValidationError(str(answer["field"]), str(answer.get("rule", "")))
    if status != 200 or not isinstance(answer, dict):
        message = answer.get("message") if isinstance(answer, dict) else None
        raise IvowabaError(f"the emulator answered {status}: {message or answer}")
    emit(answer["notification"], as_json=args.json, human=str(answer["id"]))
    return EXIT_OK
