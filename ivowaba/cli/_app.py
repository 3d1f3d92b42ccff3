"""Argument parsing, configuration, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

from ivowaba import _limits
from ivowaba._config import API_KEY_ENV
from ivowaba._errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    ConfigError,
    IvowabaError,
    SandboxUnsupportedError,
    ValidationError,
)
from ivowaba._version import __version__
from ivowaba.cli import _commands, _inbound, _receive, _report, _templates
from ivowaba.cli._output import print_error
from ivowaba.cli._parsing import CommandLine, client_options, take_leading_options

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: The help of every recipient argument.
TO_HELP = "the recipient's number, with its country code: 628123456789"


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLine(
        prog="ivowaba",
        description="IVOWBA (Ivosights WhatsApp Business API) from the shell.",
    )
    parser.add_argument("--version", action="version", version=f"ivowaba {__version__}")
    client_options(parser, before_command=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser("demo", help="a tour of the SDK against the built-in emulator")
    demo.add_argument("--debug", action="store_true", help="show tracebacks")
    demo.set_defaults(handler=_commands.demo)

    emulator = commands.add_parser("emulator", help="serve a local IVOWBA emulator")
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on")
    emulator.add_argument(
        "--port", type=int, default=8080, help="port to listen on (0 picks a free one)"
    )
    emulator.add_argument("--api-key", default="test-key", help="the key it accepts")
    emulator.add_argument("--webhook-url", help="deliver notifications there")
    emulator.add_argument("--webhook-username", help="basic-auth user sent with them")
    emulator.add_argument("--webhook-password", help="basic-auth password sent with them")
    emulator.add_argument(
        "--enforce-window",
        action="store_true",
        help="fail free-form messages (470) to customers who did not write in the last 24 hours",
    )
    emulator.add_argument(
        "--webhook-format",
        default="reference",
        metavar="{reference,cloud}",
        help="post notifications in the reference's format (default) or the Cloud API envelope",
    )
    emulator.add_argument("--debug", action="store_true", help="show tracebacks")
    emulator.set_defaults(handler=_commands.serve_emulator)
    _inbound.add_arguments(emulator)

    send = commands.add_parser("send", help="send a message").add_subparsers(
        dest="kind", metavar="KIND", required=True
    )
    text = send.add_parser("text", help="a text message")
    text.add_argument("to", help=TO_HELP)
    text.add_argument("text", help=f"the message, up to {_limits.TEXT_MAX} characters")
    text.add_argument(
        "--preview-url", action="store_true", help="show a preview of the first link in it"
    )
    client_options(text)
    text.set_defaults(handler=_commands.send_text)

    template = send.add_parser("template", help="an approved template")
    template.add_argument("to", help=TO_HELP)
    template.add_argument("template_id", help="the template's id (see: ivowaba templates list)")
    template.add_argument("--header", help="the header's text parameter")
    template.add_argument("--body", action="append", default=[], help="a body parameter (repeat)")
    template.add_argument("--button-url", help="the dynamic URL button's parameter")
    template.add_argument("--check", action="store_true", help="check parameter counts first")
    client_options(template)
    template.set_defaults(handler=_commands.send_template)

    media = send.add_parser("media", help="an image, document, audio, video or sticker by link")
    media.add_argument("to", help=TO_HELP)
    media.add_argument(
        "type", choices=["image", "document", "audio", "video", "sticker"], help="its kind"
    )
    media.add_argument("link", help="the file's public URL, fetched by the gateway")
    media.add_argument("--caption", help="text shown with it (not for audio or stickers)")
    media.add_argument("--filename", help="the file name shown with a document")
    client_options(media)
    media.set_defaults(handler=_commands.send_media)

    location = send.add_parser("location", help="a static location")
    location.add_argument("to", help=TO_HELP)
    location.add_argument(
        "latitude", type=float, help="degrees north, {:g} to {:g}".format(*_limits.LATITUDE_RANGE)
    )
    location.add_argument(
        "longitude", type=float, help="degrees east, {:g} to {:g}".format(*_limits.LONGITUDE_RANGE)
    )
    location.add_argument("--name", help="the place's name")
    location.add_argument("--address", help="the place's address")
    client_options(location)
    location.set_defaults(handler=_commands.send_location)

    contacts = commands.add_parser("contacts", help="check numbers").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    check = contacts.add_parser("check", help="which numbers are on WhatsApp")
    check.add_argument("numbers", nargs="+", help="numbers, with their country code")
    client_options(check)
    check.set_defaults(handler=_commands.check_contacts)

    templates = commands.add_parser("templates", help="message templates").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    listing = templates.add_parser("list", help="every template, across pages")
    listing.add_argument("--all", action="store_true", help="all available, not only yours")
    client_options(listing)
    listing.set_defaults(handler=_commands.list_templates)
    get = templates.add_parser("get", help="one template")
    get.add_argument("template_id", help="the template's id (see: ivowaba templates list)")
    client_options(get)
    get.set_defaults(handler=_commands.get_template)
    _templates.add_commands(templates)

    media_group = commands.add_parser("media", help="inbound media").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    download = media_group.add_parser("download", help="save a media file")
    download.add_argument("media_id", help="the id of an inbound message's media")
    download.add_argument(
        "-o",
        "--output",
        default=".",
        help="a folder (ending in /, or existing; made if missing: the file keeps the name the "
        "gateway gives), a file name, or - for stdout (default: .)",
    )
    download.add_argument(
        "--force", action="store_true", help="overwrite a file of that name already there"
    )
    client_options(download)
    download.set_defaults(handler=_commands.download_media)

    webhooks = commands.add_parser("webhooks", help="webhook endpoints").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    hooks = webhooks.add_parser("list", help="your webhook endpoints")
    client_options(hooks)
    hooks.set_defaults(handler=_commands.list_webhooks)
    pull = webhooks.add_parser("pull", help="notifications that could not be delivered")
    pull.add_argument("webhook_id", help="the webhook's id (see: ivowaba webhooks list)")
    pull.add_argument(
        "--outcomes", metavar="URL", help="also record what was pulled into this outcome store"
    )
    client_options(pull)
    pull.set_defaults(handler=_commands.pull_pending)

    receive = commands.add_parser(
        "receive", help="a webhook endpoint recording statuses and messages into an outcome store"
    )
    _receive.add_arguments(receive)
    receive.set_defaults(handler=_receive.run_receive)

    bulk = commands.add_parser("bulk", help="send one message per row of a CSV or JSONL file")
    _commands.bulk_arguments(bulk)
    client_options(bulk)
    bulk.set_defaults(handler=_commands.bulk)

    report = commands.add_parser(
        "report", help="what became of a bulk campaign: its journal joined with the outcomes"
    )
    _report.add_arguments(report)
    report.set_defaults(handler=_report.run_report)
    take_leading_options(parser)  # after every command was added
    return parser


def _one_line(error: BaseException) -> str:
    if isinstance(error, AuthenticationError):
        return f"{error} (check --api-key or IVOWABA_API_KEY)"
    if isinstance(error, ValidationError):
        return f"invalid {error.field}: {error.rule}"
    return str(error) or type(error).__name__


def _say(error: BaseException, as_json: bool) -> None:
    """``error`` on stderr, as one line or (``--json``) one JSON object."""
    status = getattr(error, "status_code", None)
    print_error(
        _one_line(error),
        type(error).__name__,
        as_json=as_json,
        status=status if isinstance(status, int) else None,
        field=error.field if isinstance(error, ValidationError) else None,
    )


def _require_api_key(args: argparse.Namespace) -> None:
    """A command that calls the gateway needs a key: say so in the command line's words,
    before anything else."""
    if not hasattr(args, "base_url"):  # not the gateway's (the emulator, demo, report, ...)
        return
    key = getattr(args, "api_key", None)
    if key is None:
        key = os.environ.get(API_KEY_ENV)
    if not key:
        raise ConfigError(
            f"no API key: pass --api-key KEY or set {API_KEY_ENV} "
            "(find it in the IVOWBA dashboard, developer section)"
        )


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv``; return the exit code."""
    args = build_parser().parse_args(argv)
    if args.debug:
        import logging

        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("ivowaba").setLevel(logging.DEBUG)
    try:
        _require_api_key(args)
        code: int = asyncio.run(args.handler(args))
        return code
    except KeyboardInterrupt:
        print_error("interrupted", "KeyboardInterrupt", as_json=args.json)
        return EXIT_INTERRUPTED
    except (ConfigError, ValidationError, SandboxUnsupportedError) as error:  # nothing sent
        if args.debug:
            raise
        _say(error, args.json)
        return EXIT_USAGE
    except (APIStatusError, APIConnectionError, IvowabaError, OSError) as error:
        if args.debug:
            raise
        _say(error, args.json)
        return EXIT_FAILED
    except Exception as error:  # a bug of ours: still one line, the traceback on request
        if args.debug:
            raise
        print_error(
            f"unexpected {type(error).__name__}: {error} (--debug shows the traceback)",
            type(error).__name__,
            as_json=args.json,
        )
        return EXIT_FAILED
