"""The SDK against the emulator, over real HTTP on 127.0.0.1, through both clients."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest

import ivowaba
from ivowaba.testing import Emulator
from ivowaba.webhooks import Dispatcher, Status
from tests.conftest import Both, client_of_kind


@pytest.fixture(params=["async", "sync"])
async def against(
    request: pytest.FixtureRequest, ivowaba_emulator: Emulator
) -> AsyncIterator[Both]:
    """A client of either kind, configured for the emulator."""
    async with client_of_kind(
        request.param, api_key=ivowaba_emulator.api_key, base_url=ivowaba_emulator.base_url
    ) as through:
        yield through


async def test_a_day_of_operations(against: Both, ivowaba_emulator: Emulator) -> None:
    checks = await against(lambda c: c.contacts.check(["+62 812-3456-789", "12"]))
    assert [check.status for check in checks] == ["valid", "invalid"]
    sent = await against(lambda c: c.messages.send_text("+62 812-3456-789", "Halo"))
    assert ivowaba_emulator.outbox[-1].id == sent.id
    assert ivowaba_emulator.outbox[-1].wa_id == "628123456789"
    template = await against(lambda c: c.templates.get("60243665e4058d3b4a377bd2"))
    assert template.parameter_counts() == {"header": 1, "body": 1, "url_buttons": 0}
    await against(
        lambda c: c.messages.send_template(
            "628123456789", template.id, header="PT", body=["Agus"], check=True
        )
    )
    created = await against(
        lambda c: c.templates.create(
            label="Shipping update",
            category_id="UTILITY",
            language_id="id",
            body={"text": "Parcel {{1}} has shipped today", "examples": ["#1"]},
        )
    )
    assert created.label == "Shipping update"
    await against(lambda c: c.templates.propose(created.id))
    assert (await against(lambda c: c.templates.get(created.id))).status != "draft"
    await against(lambda c: c.settings.update_about("Open 9 to 5"))
    assert await against(lambda c: c.settings.get_about()) == "Open 9 to 5"
    await against(lambda c: c.settings.update_business_profile(description="Parcels, fast"))
    profile = await against(lambda c: c.settings.get_business_profile())
    assert profile.description == "Parcels, fast"
    await against(lambda c: c.settings.update_photo(b"\x89PNG new photo"))
    assert (await against(lambda c: c.settings.get_photo())).startswith("http")
    media_id = ivowaba_emulator.add_media(b"voice", "audio/ogg", "note.ogg")
    media = await against(lambda c: c.media.download(media_id))
    assert (media.content, media.content_type, media.filename) == (
        b"voice",
        "audio/ogg",
        "note.ogg",
    )
    await against(lambda c: c.messages.mark_read(sent.id))
    assert sent.id in ivowaba_emulator.read_receipts
    assert len(await against(lambda c: c.countries.list())) > 0
    assert len(await against(lambda c: c.templates.categories())) == 3


async def test_validation_of_the_emulator_reaches_the_sdk_as_422(against: Both) -> None:
    with pytest.raises(ivowaba.UnprocessableEntityError) as caught:
        await against(lambda c: c.messages.send_template("628123456789", "no-such-template"))
    assert "template_id" in caught.value.errors


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_the_sandbox_prefix(ivowaba_emulator: Emulator, kind: str) -> None:
    async with client_of_kind(
        kind,
        api_key=ivowaba_emulator.api_key,
        base_url=ivowaba_emulator.base_url,
        sandbox=True,
    ) as both:
        await both(lambda c: c.messages.send_text("628123456789", "sandboxed"))
        media_id = ivowaba_emulator.add_media(b"x", "image/png")
        assert (await both(lambda c: c.media.download(media_id))).content == b"x"
        with pytest.raises(ivowaba.SandboxUnsupportedError):
            await both(lambda c: c.templates.list())
    assert ivowaba_emulator.outbox[0].sandbox
    assert [r.path for r in ivowaba_emulator.requests] == [
        "/sandbox/api/v1/messages/send-text-message",
        f"/sandbox/api/v1/media/{media_id}",
    ]


async def test_a_wrong_key(ivowaba_emulator: Emulator) -> None:
    async with ivowaba.AsyncClient(api_key="wrong", base_url=ivowaba_emulator.base_url) as c:
        with pytest.raises(ivowaba.AuthenticationError, match="Unauthenticated"):
            await c.countries.list()


def _recipients(n: int) -> Iterator[ivowaba.TextMessage]:
    for i in range(n):
        yield ivowaba.TextMessage(wa_id=f"62812{i:07d}", text=f"campaign message {i}")


async def test_bulk_through_429s_sends_each_recipient_once(ivowaba_emulator: Emulator) -> None:
    ivowaba_emulator.fail_next(
        "send-text-message", status=429, headers={"Retry-After": "0"}, every=20, times=10_000
    )
    async with ivowaba.AsyncClient(
        api_key=ivowaba_emulator.api_key, base_url=ivowaba_emulator.base_url, max_retries=5
    ) as client:
        results = [r async for r in client.messages.send_many(_recipients(3000), concurrency=32)]
    assert len(results) == 3000
    assert sorted(r.index for r in results) == list(range(3000))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    per_recipient = Counter(entry.wa_id for entry in ivowaba_emulator.outbox)
    assert len(per_recipient) == 3000
    assert set(per_recipient.values()) == {1}
    assert ivowaba_emulator.request_count > 3000  # the 429s were answered and retried


async def test_bulk_errors_are_results_and_the_rest_succeed(ivowaba_emulator: Emulator) -> None:
    ivowaba_emulator.fail_next("send-text-message", status=500, every=10, times=10_000)
    messages: list[object] = list(_recipients(200))
    messages[7] = {"type": "text", "wa_id": "12", "text": "too short a number"}
    async with ivowaba.AsyncClient(
        api_key=ivowaba_emulator.api_key, base_url=ivowaba_emulator.base_url
    ) as client:
        results = {r.index: r async for r in client.messages.send_many(messages, concurrency=8)}
    assert len(results) == 200
    failed = [r for r in results.values() if not r.ok]
    assert isinstance(results[7].error, ivowaba.ValidationError)
    server_errors = [r for r in failed if isinstance(r.error, ivowaba.ServerError)]
    assert len(server_errors) == 19  # every 10th of the 199 requests made, none retried
    assert len(ivowaba_emulator.outbox) == 200 - 1 - 19


async def test_statuses_reach_a_dispatcher_and_held_ones_are_recovered() -> None:
    from aiohttp import web

    from ivowaba.webhooks import create_app

    seen: list[tuple[str, str]] = []
    dispatcher = Dispatcher()

    @dispatcher.on_status()
    def on_status(status: Status) -> None:
        seen.append((status.id, status.status))

    runner = web.AppRunner(create_app(dispatcher, username="u", password="p"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with (
            Emulator(
                webhook_url=f"http://127.0.0.1:{port}/webhook",
                webhook_username="u",
                webhook_password="p",
            ) as emu,
            ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client,
        ):
            first = await client.messages.send_text("628123456789", "one")
            await emu.wait_delivered()
            assert sorted(s for i, s in seen if i == first.id) == ["delivered", "read", "sent"]

            emu.set_webhook("http://127.0.0.1:9/down", "u", "p")  # the receiver is unreachable
            second = await client.messages.send_text("628123456789", "two")
            await emu.wait_delivered()
            assert not [s for i, s in seen if i == second.id]
            held = await client.webhooks.pull_pending(emu.webhook.id)
            assert len(held) == 3
            replayed = await dispatcher.replay(held)
            again = await dispatcher.replay(held)  # the same notifications twice: handled once
            assert sorted(s for i, s in seen if i == second.id) == ["delivered", "read", "sent"]
            assert replayed != again
            assert await client.webhooks.pull_pending(emu.webhook.id) == []
    finally:
        await runner.cleanup()
