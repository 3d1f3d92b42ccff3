"""Argument parsing, configuration, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ivowaba._errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    ConfigError,
    IvowabaError,
    ValidationError,
)
from ivowaba._version import __version__
from ivowaba.cli import _commands

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _client_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--api-key", help="API key (default: $IVOWABA_API_KEY)")
    group.add_argument("--base-url", help="gateway URL (default: $IVOWABA_BASE_URL or IVOWBA's)")
    group.add_argument("--sandbox", action="store_true", help="use the sandbox endpoints")
    group.add_argument("--json", action="store_true", help="print JSON instead of text")
    group.add_argument("--debug", action="store_true", help="show tracebacks and request logs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ivowaba",
        description="IVOWBA (Ivosights WhatsApp Business API) from the shell.",
    )
    parser.add_argument("--version", action="version", version=f"ivowaba {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser("demo", help="a tour of the SDK against the built-in emulator")
    demo.add_argument("--debug", action="store_true", help="show tracebacks")
    demo.set_defaults(handler=_commands.demo)

    emulator = commands.add_parser("emulator", help="serve a local IVOWBA emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8080)
    emulator.add_argument("--api-key", default="test-key", help="the key it accepts")
    emulator.add_argument("--webhook-url", help="deliver notifications there")
    emulator.add_argument("--webhook-username")
    emulator.add_argument("--webhook-password")
    emulator.add_argument("--debug", action="store_true", help="show tracebacks")
    emulator.set_defaults(handler=_commands.serve_emulator)

    send = commands.add_parser("send", help="send a message").add_subparsers(
        dest="kind", metavar="KIND", required=True
    )
    text = send.add_parser("text", help="a text message")
    text.add_argument("to")
    text.add_argument("text")
    text.add_argument("--preview-url", action="store_true")
    _client_options(text)
    text.set_defaults(handler=_commands.send_text)

    template = send.add_parser("template", help="an approved template")
    template.add_argument("to")
    template.add_argument("template_id")
    template.add_argument("--header", help="the header's text parameter")
    template.add_argument("--body", action="append", default=[], help="a body parameter (repeat)")
    template.add_argument("--button-url", help="the dynamic URL button's parameter")
    template.add_argument("--check", action="store_true", help="check parameter counts first")
    _client_options(template)
    template.set_defaults(handler=_commands.send_template)

    media = send.add_parser("media", help="an image, document, audio, video or sticker by link")
    media.add_argument("to")
    media.add_argument("type", choices=["image", "document", "audio", "video", "sticker"])
    media.add_argument("link")
    media.add_argument("--caption")
    media.add_argument("--filename")
    _client_options(media)
    media.set_defaults(handler=_commands.send_media)

    location = send.add_parser("location", help="a static location")
    location.add_argument("to")
    location.add_argument("latitude", type=float)
    location.add_argument("longitude", type=float)
    location.add_argument("--name")
    location.add_argument("--address")
    _client_options(location)
    location.set_defaults(handler=_commands.send_location)

    contacts = commands.add_parser("contacts", help="check numbers").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    check = contacts.add_parser("check", help="which numbers are on WhatsApp")
    check.add_argument("numbers", nargs="+")
    _client_options(check)
    check.set_defaults(handler=_commands.check_contacts)

    templates = commands.add_parser("templates", help="message templates").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    listing = templates.add_parser("list", help="every template, across pages")
    listing.add_argument("--all", action="store_true", help="all available, not only yours")
    _client_options(listing)
    listing.set_defaults(handler=_commands.list_templates)
    get = templates.add_parser("get", help="one template")
    get.add_argument("template_id")
    _client_options(get)
    get.set_defaults(handler=_commands.get_template)

    media_group = commands.add_parser("media", help="inbound media").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    download = media_group.add_parser("download", help="save a media file")
    download.add_argument("media_id")
    download.add_argument("-o", "--output", default=".", help="file or directory (default: .)")
    _client_options(download)
    download.set_defaults(handler=_commands.download_media)

    webhooks = commands.add_parser("webhooks", help="webhook endpoints").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    hooks = webhooks.add_parser("list", help="your webhook endpoints")
    _client_options(hooks)
    hooks.set_defaults(handler=_commands.list_webhooks)
    pull = webhooks.add_parser("pull", help="notifications that could not be delivered")
    pull.add_argument("webhook_id")
    _client_options(pull)
    pull.set_defaults(handler=_commands.pull_pending)

    bulk = commands.add_parser("bulk", help="send one message per row of a CSV or JSONL file")
    _commands.bulk_arguments(bulk)
    _client_options(bulk)
    bulk.set_defaults(handler=_commands.bulk)
    return parser


def _one_line(error: BaseException) -> str:
    if isinstance(error, AuthenticationError):
        return f"{error} (check --api-key or IVOWABA_API_KEY)"
    if isinstance(error, ValidationError):
        return f"invalid {error.field}: {error.rule}"
    return str(error) or type(error).__name__


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv``; return the exit code."""
    args = build_parser().parse_args(argv)
    if getattr(args, "debug", False):
        import logging

        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("ivowaba").setLevel(logging.DEBUG)
    try:
        code: int = asyncio.run(args.handler(args))
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ConfigError, ValidationError) as error:
        if args.debug:
            raise
        print(f"ivowaba: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except (APIStatusError, APIConnectionError, IvowabaError, OSError) as error:
        if args.debug:
            raise
        print(f"ivowaba: {_one_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # a bug of ours: still one line, the traceback on request
        if args.debug:
            raise
        print(
            f"ivowaba: unexpected {type(error).__name__}: {error} (--debug shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILED
