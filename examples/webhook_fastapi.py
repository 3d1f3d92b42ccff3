"""The echo bot of ``webhook_aiohttp.py`` inside a FastAPI application, on the same server as
the rest of its routes (``pip install fastapi uvicorn``; neither is needed by ivowaba).

    export IVOWABA_API_KEY=... WEBHOOK_USERNAME=ivo WEBHOOK_PASSWORD=...
    uvicorn webhook_fastapi:app --app-dir examples --port 8080

``asgi_app`` is a plain ASGI application: a Starlette ``Route`` hands ``/webhook`` to it
untouched (any method: it answers 405 itself), and it answers exactly as ``create_app`` does
(401, 400, 413, 200, 500 for the gateway to retry). A ``Route``, not ``app.mount``: a mount
answers ``/webhook`` with a 307 redirect to ``/webhook/``, which the gateway does not follow.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route

import ivowaba
from ivowaba.webhooks import Dispatcher, InboundText, asgi_app

client = ivowaba.AsyncClient()
dispatcher = Dispatcher()


@dispatcher.on_message("text")
async def echo(message: InboundText) -> None:
    await client.messages.mark_read(message.id)
    await client.messages.send_text(message.from_, message.text.body)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    await client.aclose()


webhook = asgi_app(
    dispatcher,
    username=os.environ["WEBHOOK_USERNAME"],
    password=os.environ["WEBHOOK_PASSWORD"],
)
app = FastAPI(lifespan=lifespan)
app.router.routes.append(Route("/webhook", webhook, include_in_schema=False))


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
