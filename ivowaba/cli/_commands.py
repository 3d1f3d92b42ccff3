"""One coroutine per command: build the client from the options, call, print."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from ivowaba._client import AsyncClient
from ivowaba._outbound import url_button
from ivowaba.cli._output import emit, render

EXIT_OK = 0


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
    async with client_from(args) as client:
        path = await client.media.download_to(args.media_id, args.output)
    emit({"path": str(path)}, as_json=args.json, human=str(path))
    return EXIT_OK


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
    async with client_from(args) as client:
        notifications = await client.webhooks.pull_pending(args.webhook_id)
    emit(
        notifications,
        as_json=args.json,
        human=render(notifications) if notifications else "(nothing pending)",
    )
    return EXIT_OK


async def serve_emulator(args: argparse.Namespace) -> int:
    from ivowaba.testing import Emulator

    emulator = Emulator(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_username=args.webhook_username,
        webhook_password=args.webhook_password,
    )
    async with emulator:
        print(f"IVOWBA emulator on {emulator.base_url}", flush=True)
        print(f"  export IVOWABA_BASE_URL={emulator.base_url}", flush=True)
        print(f"  export IVOWABA_API_KEY={emulator.api_key}", flush=True)
        print("Ctrl-C to stop.", file=sys.stderr, flush=True)
        await asyncio.Event().wait()
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
