"""``ivowaba demo``: the SDK's tour, against the built-in emulator, with no account needed.

It starts an emulator and a webhook receiver on 127.0.0.1, sends one message of every kind,
checks a contact, lists templates, has a customer reply and send a photo, and shows the
delivery statuses that come back over a real webhook with basic auth. It ends with a short
campaign: ``ivowaba bulk --outcomes`` over 20 rows, against an emulator keeping WhatsApp's
24-hour window, with a receiver recording every status into a SQLite outcome store, and the
report ``ivowaba report`` prints of it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import secrets
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from ivowaba._client import AsyncClient
from ivowaba.cli import _bulk
from ivowaba.outcomes import SQLiteOutcomeStore, campaign_report
from ivowaba.testing import Emulator
from ivowaba.types.resources import SentMessage
from ivowaba.webhooks import (
    Dispatcher,
    InboundImage,
    InboundMessage,
    InboundText,
    Status,
    create_app,
)

CUSTOMER = "+62 812-3456-789"
LOGO = "https://www.google.com/images/branding/googlelogo/2x/googlelogo_color_92x30dp.png"

#: The demo campaign: its rows, who replied STOP before it, who never wrote (their 24-hour
#: window is closed), and whose number fails with 480 (an identity change).
CAMPAIGN_ROWS: Final = 20
SAID_STOP: Final = (7, 14)
NEVER_WROTE: Final = (19, 20)
FAILING_480: Final = (11,)
CAMPAIGN_TEXT: Final = "Hi {name}, your weekend voucher: HEMAT10"


def _say(text: str = "") -> None:
    print(text, flush=True)


def _title(number: int, text: str) -> None:
    _say(f"\n{number}. {text}")


async def _start_receiver(dispatcher: Dispatcher, password: str) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(create_app(dispatcher, username="demo", password=password))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/webhook"


async def _send_every_kind(client: AsyncClient) -> list[tuple[str, SentMessage]]:
    messages = client.messages
    return [
        ("text", await messages.send_text(CUSTOMER, "Halo! Your order #1042 has shipped.")),
        (
            "template",
            await messages.send_template(
                CUSTOMER,
                "60243665e4058d3b4a377bd2",
                header="PT. IVOSIGHTS",
                body=["Agus Santoso"],
                check=True,
            ),
        ),
        ("otp", await messages.send_otp(CUSTOMER, "60243665e4058d3b4a377bce", "765987")),
        ("image", await messages.send_image(CUSTOMER, link=LOGO, caption="Our new logo")),
        (
            "document",
            await messages.send_document(
                CUSTOMER, link="https://example.com/invoice.pdf", filename="invoice-1042.pdf"
            ),
        ),
        (
            "location",
            await messages.send_location(
                CUSTOMER, -6.2297, 106.8295, name="Ivosights", address="Jl. Tebet Barat I No.2"
            ),
        ),
        (
            "contacts",
            await messages.send_contacts(
                CUSTOMER,
                [
                    {
                        "name": {"formatted_name": "Ivosights Support"},
                        "phones": [{"phone": "+62 21 2290 2218", "type": "WORK"}],
                    }
                ],
            ),
        ),
        (
            "reply buttons",
            await messages.send_reply_buttons(
                CUSTOMER,
                "Did your parcel arrive in good shape?",
                [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
                header="Order #1042",
            ),
        ),
        (
            "list",
            await messages.send_list(
                CUSTOMER,
                "Which platform would you like to hear about?",
                "Platforms",
                [
                    {
                        "title": "Products",
                        "rows": [
                            {
                                "id": "sociomile",
                                "title": "Sociomile",
                                "description": "Omni-channel desk",
                            },
                            {"id": "ivoanalytic", "title": "Ivoanalytic"},
                        ],
                    }
                ],
                footer="PT. Ivonesia Solusi Data",
            ),
        ),
        (
            "product",
            await messages.send_product(
                CUSTOMER, "1234567890", "abcd12345", body="Trending this week"
            ),
        ),
        (
            "product list",
            await messages.send_product_list(
                CUSTOMER,
                "1234567890",
                [
                    {
                        "title": "New",
                        "product_items": [
                            {"product_retailer_id": "abc12345"},
                            {"product_retailer_id": "abc4567"},
                        ],
                    }
                ],
                header="New products",
                body="Pick what you like.",
            ),
        ),
        (
            "flow",
            await messages.send_flow(
                CUSTOMER,
                flow_id="1180378639999979",
                flow_cta="Register",
                body="Sign up for the loyalty programme",
                flow_action_payload={"screen": "WELCOME_SCREEN"},
            ),
        ),
    ]


async def run_demo() -> int:
    """Run the tour; 0 when everything it shows happened."""
    dispatcher = Dispatcher()
    inbound: list[InboundMessage] = []
    statuses: list[Status] = []

    @dispatcher.on_message()
    def on_message(message: InboundMessage) -> None:
        inbound.append(message)

    @dispatcher.on_status()
    def on_status(status: Status) -> None:
        statuses.append(status)

    password = secrets.token_urlsafe(12)
    receiver, webhook_url = await _start_receiver(dispatcher, password)
    try:
        emulator = Emulator(
            webhook_url=webhook_url, webhook_username="demo", webhook_password=password
        )
        async with (
            emulator,
            AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as client,
        ):
            code = await _tour(client, emulator, inbound, statuses)
    finally:
        await receiver.cleanup()
    campaign_ok = await _campaign(password)
    _say("\nNext: `ivowaba emulator` serves this emulator for your own code; see the README.")
    return code if campaign_ok else 1


async def _tour(
    client: AsyncClient,
    emulator: Emulator,
    inbound: list[InboundMessage],
    statuses: list[Status],
) -> int:
    _say("ivowaba demo: a tour of the SDK against the built-in IVOWBA emulator")
    _say(f"(emulator at {emulator.base_url}; notifications go to a local webhook receiver)")

    _title(1, "Is the customer on WhatsApp?")
    for check in await client.contacts.check([CUSTOMER, "+62 000"]):
        _say(f"   {check.input:<18} {check.status:<8} wa_id={check.wa_id or '-'}")

    _title(2, "Templates")
    async for template in client.templates.iter():
        counts = template.parameter_counts()
        _say(
            f"   {template.id}  {template.status:<9} {template.template_name}"
            f"  (header {counts['header']}, body {counts['body']} parameters)"
        )

    _title(3, "One message of every kind")
    sent = await _send_every_kind(client)
    for kind, accepted in sent:
        _say(f"   -> {kind:<14} {accepted.id}")

    _title(4, "The customer answers")
    wa_id = sent[0][1].id
    emulator.inbound_reply("628123456789", wa_id, "Yes, it arrived. Thank you!", name="Agus")
    photo = b"\xff\xd8\xff\xe0 a photo of the parcel"
    emulator.inbound_media(
        "628123456789",
        "image",
        content=photo,
        content_type="image/jpeg",
        caption="Look!",
        name="Agus",
    )
    await emulator.wait_delivered()
    for message in inbound:
        if isinstance(message, InboundText):
            about = f" (a reply to {message.context.id})" if message.context else ""
            _say(f"   <- {message.from_}: {message.text.body!r}{about}")
            await client.messages.mark_read(message.id)
            _say(f"      marked {message.id} as read")
        elif isinstance(message, InboundImage):
            media = await client.media.download(message.image.id)
            _say(
                f"   <- {message.from_}: an image, {message.image.caption!r}; downloaded "
                f"{len(media.content)} bytes of {media.content_type}"
            )

    _title(5, "Delivery statuses, received over the webhook")
    await emulator.wait_delivered()
    by_status = Counter(status.status for status in statuses)
    for status in ("sent", "delivered", "read", "failed"):
        if by_status[status]:
            _say(f"   {status:<10} {by_status[status]}")

    ok = len(emulator.outbox) == len(sent) and by_status["read"] == len(sent) and len(inbound) == 2
    _say(
        f"\n{'All there' if ok else 'Something went missing'}: {len(sent)} messages sent, "
        f"{len(inbound)} customer messages and {len(statuses)} statuses received."
    )
    if not ok:
        print("ivowaba demo: the tour did not see every notification", file=sys.stderr)
    return 0 if ok else 1


def _campaign_number(row: int) -> str:
    return f"6281255500{row:02d}"


def _expected_counts() -> dict[str, Any]:
    """What the campaign's report must count (``ivowaba report --json``)."""
    accepted = CAMPAIGN_ROWS - len(SAID_STOP) - len(NEVER_WROTE)
    read = accepted - len(FAILING_480)
    return {
        "rows": CAMPAIGN_ROWS,
        "accepted": accepted,
        "delivered": read,
        "read": read,
        "failed": {"480": len(FAILING_480)},
        "pending": 0,
        "unknown": 0,
        "not_sent": 0,
        "opted_out": len(SAID_STOP),
        "window_closed": len(NEVER_WROTE),
    }


async def _campaign(password: str) -> bool:
    """6. A campaign of ``CAMPAIGN_ROWS`` rows through ``ivowaba bulk --outcomes``, and its
    report; True when the report counts what was sent."""
    _title(6, f"A campaign of {CAMPAIGN_ROWS} messages, and its report")
    with tempfile.TemporaryDirectory(prefix="ivowaba-demo-") as directory:
        database = Path(directory) / "outcomes.db"
        async with SQLiteOutcomeStore(database) as store:
            receiver, webhook_url = await _start_receiver(Dispatcher(outcomes=store), password)
            try:
                emulator = Emulator(
                    webhook_url=webhook_url,
                    webhook_username="demo",
                    webhook_password=password,
                    enforce_window=True,
                    delivery_delay=0,
                )
                async with emulator:
                    journal = await _send_campaign(emulator, Path(directory), database)
                    report = await campaign_report(journal, store)
            finally:
                await receiver.cleanup()
    _say("   $ ivowaba report customers.csv.journal.jsonl --outcomes sqlite:///outcomes.db")
    for line in report.to_text().splitlines():
        _say(f"   {line}")
    rows = ", ".join(map(str, FAILING_480))
    _say(f"   Row {rows} failed with 480 (an identity change of the contact): in a few minutes,")
    _say("   `ivowaba bulk ... --resume --retry-failed --outcomes URL` sends it again.")
    ok = report.to_json() == _expected_counts()
    if not ok:
        print("ivowaba demo: the campaign's report does not count what was sent", file=sys.stderr)
    return ok


async def _send_campaign(emulator: Emulator, directory: Path, database: Path) -> Path:
    """The customers write (two say STOP, two never write), one number fails with 480, then
    ``ivowaba bulk customers.csv --text ... --outcomes sqlite:///...`` runs; its journal."""
    for row in range(1, CAMPAIGN_ROWS + 1):
        if row not in NEVER_WROTE:
            said = "STOP" if row in SAID_STOP else "Halo, ada promo?"
            emulator.inbound_text(_campaign_number(row), said)
    for row in FAILING_480:
        emulator.mark_failing(_campaign_number(row), 480)
    await emulator.wait_delivered()
    _say(
        f"   {CAMPAIGN_ROWS - len(NEVER_WROTE)} customers wrote in the last 24 hours, "
        f"{len(SAID_STOP)} of them STOP; {len(NEVER_WROTE)} never wrote."
    )
    _say("   Every status goes to a receiver recording into a SQLite outcome store.")
    rows = directory / "customers.csv"
    rows.write_text(
        "wa_id,name\n"
        + "".join(f"{_campaign_number(i)},Customer {i}\n" for i in range(1, CAMPAIGN_ROWS + 1))
    )
    parser = argparse.ArgumentParser(prog="ivowaba bulk")
    _bulk.add_arguments(parser)
    url = f"sqlite:///{database}"
    args = parser.parse_args(
        [str(rows), "--text", CAMPAIGN_TEXT, "--outcomes", url, "--progress", "none"]
    )
    args.api_key, args.base_url = emulator.api_key, emulator.base_url
    args.sandbox, args.json = False, True  # the connection options of `ivowaba bulk`
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        await _bulk.run_bulk(args)
    summary: dict[str, Any] = json.loads(printed.getvalue())
    await emulator.wait_delivered()
    _say(f'   $ ivowaba bulk customers.csv --text "{CAMPAIGN_TEXT}" \\')
    _say("         --outcomes sqlite:///outcomes.db")
    _say(
        f"   -> {summary['sent']} sent; skipped, never a request: {summary['opted_out']} "
        f"opted out, {summary['window_closed']} outside the 24-hour window"
    )
    return Path(summary["journal"])


__all__ = ["run_demo"]
