"""``ivowaba demo``: the SDK's tour, against the built-in emulator, with no account needed.

It starts an emulator and a webhook receiver on 127.0.0.1, sends one message of every kind,
checks a contact, lists templates, has a customer reply and send a photo, and shows the
delivery statuses that come back over a real webhook with basic auth.
"""

from __future__ import annotations

import secrets
import sys
from collections import Counter

from aiohttp import web

from ivowaba._client import AsyncClient
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
            return await _tour(client, emulator, inbound, statuses)
    finally:
        await receiver.cleanup()


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
        f"\n{'Done' if ok else 'Something went missing'}: {len(sent)} messages sent, "
        f"{len(inbound)} customer messages and {len(statuses)} statuses received."
    )
    _say("Next: `ivowaba emulator` serves this emulator for your own code; see the README.")
    if not ok:
        print("ivowaba demo: the tour did not see every notification", file=sys.stderr)
    return 0 if ok else 1


__all__ = ["run_demo"]
