"""An echo bot on aiohttp: each text a customer sends is marked read and sent back.

    export IVOWABA_API_KEY=...                      # the client that answers
    export WEBHOOK_USERNAME=ivo WEBHOOK_PASSWORD=... # the basic auth set on your IVOWBA webhook
    python examples/webhook_aiohttp.py               # listens on http://0.0.0.0:8080/webhook

Point the webhook at ``https://<your host>/webhook`` in IVOWBA. While this server was down,
the gateway held what it could not deliver: ``examples/recover_pending.py`` replays it through
the same handlers.
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

import ivowaba
from ivowaba.webhooks import Dispatcher, InboundMessage, InboundText, Status, create_app

log = logging.getLogger("echo-bot")


def build_dispatcher(client: ivowaba.AsyncClient) -> Dispatcher:
    """The bot's handlers, answering through ``client``."""
    dispatcher = Dispatcher()

    @dispatcher.on_message("text")
    async def echo(message: InboundText) -> None:
        await client.messages.mark_read(message.id)
        await client.messages.send_text(message.from_, message.text.body)

    @dispatcher.on_message()
    def record(message: InboundMessage) -> None:
        log.info("%s message %s from %s", message.type, message.id, message.from_)

    @dispatcher.on_status("failed")
    async def failed(status: Status) -> None:
        codes = [error.code for error in status.errors]
        if status.is_retryable_failure:
            log.warning(
                "message %s failed with %s: send it again in a few minutes", status.id, codes
            )
        else:
            log.error("message %s to %s failed with %s", status.id, status.recipient_id, codes)

    return dispatcher


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    client = ivowaba.AsyncClient()
    app = create_app(
        build_dispatcher(client),
        username=os.environ["WEBHOOK_USERNAME"],
        password=os.environ["WEBHOOK_PASSWORD"],
    )

    async def close_client(_: web.Application) -> None:
        await client.aclose()

    app.on_cleanup.append(close_client)
    web.run_app(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))


if __name__ == "__main__":
    main()
