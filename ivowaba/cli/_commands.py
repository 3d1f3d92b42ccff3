"""One coroutine per command: build the client from the options, call, print."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from ivowaba._client import AsyncClient
from ivowaba._errors import ConfigError, ValidationError
from ivowaba._outbound import url_button
from ivowaba.cli._output import STDOUT_NAME, emit, render

EXIT_OK = 0
EXIT_FAILED = 1


def client_from(args: argparse.Namespace) -> AsyncClient:
    return AsyncClient(
        api_key=args.api_key, base_url=args.base_url, sandbox=args.sandbox, max_retries=2
    )


async def _sent(args: argparse.Namespace, sending: Any) -> int:
    sent = await sending
    emit(sent, as_json=args.json, human=sent.id)
    return EXIT_OK


async def send_text(args: argparse.Namespace) -> int:
    async with client_from(args) as client:
        preview = True if args.preview_url else None
        return await _sent(args, client.messages.send_text(args.to, args.text, preview_url=preview))


async def send_template(args: argparse.Namespace) -> int:
    buttons = [url_button(args.button_url)] if args.button_url is not None else []
    async with client_from(args) as client:
        sending = client.messages.send_template(
            args.to,
            args.template_id,
            header=args.header,
            body=args.body,
            buttons=buttons,
            check=args.check,
        )
        return await _sent(args, sending)


async def send_media(args: argparse.Namespace) -> int:
    async with client_from(args) as client:
        sending = client.messages.send_media(
            args.to, args.type, link=args.link, caption=args.caption, filename=args.filename
        )
        return await _sent(args, sending)


async def send_location(args: argparse.Namespace) -> int:
    async with client_from(args) as client:
        sending = client.messages.send_location(
            args.to, args.latitude, args.longitude, name=args.name, address=args.address
        )
        return await _sent(args, sending)


async def check_contacts(args: argparse.Namespace) -> int:
    async with client_from(args) as client:
        checks = await client.contacts.check(args.numbers)
    lines = [f"{c.input}\t{c.status}\t{c.wa_id or '-'}" for c in checks]
    emit(checks, as_json=args.json, human="\n".join(lines))
    return EXIT_OK


async def list_templates(args: argparse.Namespace) -> int:
    async with client_from(args) as client:
        walk = client.templates.iter_all() if args.all else client.templates.iter()
        templates = [t async for t in walk]
    lines = [
        f"{t.id}\t{t.status or '-'}\t{t.language_id or '-'}\t{t.template_name}" for t in templates
    ]
    emit(templates, as_json=args.json, human="\n".join(lines) or "(no templates)")
    return EXIT_OK


async def get_template(args: argparse.Namespace) -> int:
    async with client_from(args) as client:
        template = await client.templates.get(args.template_id)
    emit(template, as_json=args.json)
    return EXIT_OK


async def download_media(args: argparse.Namespace) -> int:
    """Save a media file into a folder (``-o`` ending in ``/``, or an existing folder; made if
    missing), named as the answer says, or as the file ``-o`` names (its folder made if
    missing). A file already there is kept unless ``--force``: ``ValidationError`` (exit 2),
    before any request when the name is known beforehand. ``-o -``: the bytes on stdout
    (for a pipe), nothing saved."""
    if args.output == STDOUT_NAME:
        async with client_from(args) as client:
            media = await client.media.download(args.media_id)
        sys.stdout.buffer.write(media.content)
        sys.stdout.buffer.flush()
        return EXIT_OK
    target, is_folder = _destination(args.output, args.force)
    async with client_from(args) as client:
        if not is_folder:
            path = await client.media.download_to(args.media_id, target)
        else:
            # The name comes with the answer: the file lands in a fresh folder inside the
            # target first (the same disk: moving it is a rename), then takes its place.
            staging = Path(tempfile.mkdtemp(prefix=".ivowaba-download-", dir=target))
            try:
                staged = await client.media.download_to(args.media_id, staging)
                path = _settle(staged, target, args.force)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    emit({"path": str(path)}, as_json=args.json, human=str(path))
    return EXIT_OK


def _destination(output: str, force: bool) -> tuple[Path, bool]:
    """Where ``-o`` says to save, made ready: the folder (made if missing) and ``True``, or
    the file (its folder made if missing) and ``False``."""
    target = Path(output)
    if output.endswith(("/", os.sep)) or target.is_dir():
        if target.exists() and not target.is_dir():
            raise ValidationError("--output", f"{output} is a file, not a folder")
        target.mkdir(parents=True, exist_ok=True)
        return target, True
    if target.exists() and not force:
        raise _exists(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target, False


def _settle(staged: Path, folder: Path, force: bool) -> Path:
    target = folder / staged.name
    if target.exists() and not force:
        raise _exists(target)
    staged.replace(target)
    return target


def _exists(path: Path) -> ValidationError:
    return ValidationError("--output", f"{path} exists: pass --force to overwrite it")


async def list_webhooks(args: argparse.Namespace) -> int:
    async with client_from(args) as client:
        webhooks = await client.webhooks.list()
    for webhook in webhooks:  # never print a webhook password
        if webhook.http_auth is not None and webhook.http_auth.password:
            webhook.http_auth.password = "***"
    lines = [f"{w.id}\t{w.status or '-'}\t{w.name or '-'}\t{w.url or '-'}" for w in webhooks]
    emit(webhooks, as_json=args.json, human="\n".join(lines) or "(no webhooks)")
    return EXIT_OK


async def pull_pending(args: argparse.Namespace) -> int:
    """Print what the gateway held; with ``--outcomes URL``, record it there too (the store is
    opened first: a bad URL is refused before any request). What was pulled is printed in any
    case, since the gateway hands it out once; the count recorded follows it (on stderr with
    ``--json``), and a store that failed is one line on stderr and exit 1."""
    store = None
    if args.outcomes is not None:
        from ivowaba.outcomes import open_store

        store = open_store(args.outcomes)
    try:
        async with client_from(args) as client:
            notifications = await client.webhooks.pull_pending(args.webhook_id)
        emit(
            notifications,
            as_json=args.json,
            human=render(notifications) if notifications else "(nothing pending)",
        )
        if store is None:
            return EXIT_OK
        from ivowaba._config import redact_url
        from ivowaba.cli._receive import record_pulled

        recorded = await record_pulled(store, notifications)
    finally:
        if store is not None:
            await store.aclose()
    print(recorded.summary(redact_url(args.outcomes)), file=sys.stderr if args.json else sys.stdout)
    if recorded.failed:
        error = recorded.failed[0][1]
        print(
            f"ivowaba: {len(recorded.failed)} of the pulled notifications could not be recorded "
            f"(they are printed above): {error or type(error).__name__}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


async def serve_emulator(args: argparse.Namespace) -> int:
    from ivowaba._limits import is_http_url
    from ivowaba.cli._parsing import cannot_listen, check_port
    from ivowaba.cli._signals import stop_on_signals
    from ivowaba.testing import Emulator

    check_port(args.port)
    if args.webhook_url is not None and not is_http_url(args.webhook_url):
        raise ConfigError(f"--webhook-url must be an http(s) URL, got {args.webhook_url!r}")
    emulator = Emulator(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_username=args.webhook_username,
        webhook_password=args.webhook_password,
        enforce_window=args.enforce_window,
        webhook_format=args.webhook_format,
    )
    # Caught from the start: a SIGTERM or Ctrl-C while it starts stops it as well.
    with stop_on_signals() as stopped:
        async with contextlib.AsyncExitStack() as running:
            try:
                await running.enter_async_context(emulator)
            except OSError as exc:  # the port is taken, or the host is not this machine's
                raise cannot_listen(args.host, args.port, exc) from None
            print(f"IVOWBA emulator on {emulator.base_url}", flush=True)
            print(f"  export IVOWABA_BASE_URL={emulator.base_url}", flush=True)
            print(f"  export IVOWABA_API_KEY={emulator.api_key}", flush=True)
            print(f"  the web phone: {emulator.page_url}", flush=True)
            if emulator.enforce_window:
                print("  free-form messages need the customer's 24-hour window open", flush=True)
            if emulator.webhook_format == "cloud":
                print("  notifications go in the WhatsApp Cloud API envelope", flush=True)
            print("Ctrl-C (or SIGTERM) to stop.", file=sys.stderr, flush=True)
            await stopped.wait()
    print("emulator stopped", file=sys.stderr, flush=True)
    return EXIT_OK


async def demo(args: argparse.Namespace) -> int:
    from ivowaba.cli._demo import run_demo

    return await run_demo()


def bulk_arguments(parser: argparse.ArgumentParser) -> None:
    from ivowaba.cli._bulk import add_arguments

    add_arguments(parser)


async def bulk(args: argparse.Namespace) -> int:
    from ivowaba.cli._bulk import run_bulk

    return await run_bulk(args)
