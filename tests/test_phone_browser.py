"""The web phone in a real browser: headless Chromium (Debian's package) driven by Playwright.

Skipped, with the reason, where Chromium or Playwright is missing; under ``CI=1`` that fails
instead. One browser and one page serve the whole module. A screenshot of each message
kind's bubble lands in ``tests/artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import ivowaba
from ivowaba.testing import Emulator
from ivowaba.testing._access import page_token
from ivowaba.types.resources import SentMessage
from ivowaba.webhooks import Dispatcher, create_app
from tests.conftest import API_KEY
from tests.test_emulator_control import exposed_emulator, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

# One worker runs them all where the scheduler groups tests (--dist loadgroup); worksteal may
# still hand some to a second worker, which then starts a browser of its own.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TO = "628123456789"
TEMPLATE = "60243665e4058d3b4a377bd2"
WAIT = 5.0  # seconds: the most any step here may take before the test fails
PNG = (  # a 1x1 PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if shutil.which("chromium") is None:
        return "Chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module. Not for the session: a running sync Playwright holds the
    thread's event loop, which the asyncio tests of other modules need."""
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI") == "1":
            pytest.fail(f"{reason}: CI runs the browser tests")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def _page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT * 1000)
    yield page
    page.close()


@pytest.fixture
def page(_page: Page) -> Iterator[Page]:
    """The module's page; a script error in it fails the test."""
    errors: list[str] = []

    def note(error: Any) -> None:
        errors.append(str(error))

    _page.on("pageerror", note)
    yield _page
    _page.remove_listener("pageerror", note)
    assert errors == []


def open_phone(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    page.wait_for_selector("body[data-ready=true]")


def open_chat(page: Page, wa_id: str) -> None:
    page.locator(f"li[data-wa-id='{wa_id}'] button").click()
    page.wait_for_selector(f"#bubbles[data-wa-id='{wa_id}']", state="attached")


def bubble(page: Page, message_id: str) -> Locator:
    return page.locator(f"li[data-message-id='{message_id}']")


def screenshot(page: Page, element: Locator, name: str) -> None:
    """``element`` as it looks, to ``tests/artifacts/phone-<name>.png`` (a clip of the page:
    half the time of an element screenshot, which waits for the element to settle)."""
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"phone-{name}.png", clip=box)


@contextlib.contextmanager
def bot(emu: Emulator) -> Iterator[queue.Queue[Any]]:
    """A webhook receiver with a ``Dispatcher`` the emulator delivers to: each customer
    message it handles lands in the queue."""
    dispatcher = Dispatcher()
    received: queue.Queue[Any] = queue.Queue()
    dispatcher.on_message()(received.put)
    with served(create_app(dispatcher)) as base_url:
        emu.set_webhook(f"{base_url}/webhook")
        yield received


# -- every kind as its bubble --------------------------------------------------------------

QUICK_REPLY_TEMPLATE = "quickreplytemplate01"
#: The quick-reply button of QUICK_REPLY_TEMPLATE, with its payload.
STOP = {
    "type": "button",
    "sub_type": "quick_reply",
    "index": 0,
    "parameters": [{"type": "payload", "payload": "STOP"}],
}


def add_quick_reply_template(emu: Emulator) -> None:
    emu.add_template(
        QUICK_REPLY_TEMPLATE,
        template_name="order_ready",
        components=[
            {"type": "BODY", "text": "Your order {{1}} is ready", "parameters": {"{{1}}": None}},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop promotions"}]},
        ],
    )


def send_every_kind(client: ivowaba.Client, emu: Emulator) -> dict[str, str]:
    """One message of every kind to ``TO``; their ids by kind."""
    add_quick_reply_template(emu)
    m = client.messages
    link = "https://example.com/files"
    sends: dict[str, Callable[[], SentMessage]] = {
        "text": lambda: m.send_text(
            TO, "Your parcel *ORD-1042* ships today: https://example.com/t/1042", preview_url=True
        ),
        "script": lambda: m.send_text(TO, "<script>window.pwned = 1</script><img src=x>"),
        "template": lambda: m.send_template(TO, TEMPLATE, header="PT. IVOSIGHTS", body=["Budi"]),
        "quick_reply": lambda: m.send_template(
            TO, QUICK_REPLY_TEMPLATE, body=["#7"], buttons=[STOP]
        ),
        "image": lambda: m.send_image(TO, link=f"{link}/receipt.jpg", caption="Your receipt"),
        "video": lambda: m.send_video(TO, link=f"{link}/demo.mp4", caption="How to"),
        "audio": lambda: m.send_audio(TO, link=f"{link}/note.mp3"),
        "document": lambda: m.send_document(TO, link=f"{link}/inv.pdf", filename="invoice.pdf"),
        "sticker": lambda: m.send_sticker(TO, link=f"{link}/hi.webp"),
        "location": lambda: m.send_location(TO, -6.2297, 106.8295, name="HQ", address="Jakarta"),
        "contacts": lambda: m.send_contacts(
            TO, [{"name": {"formatted_name": "Support Desk"}, "phones": [{"phone": "+62212290"}]}]
        ),
        "buttons": lambda: m.send_reply_buttons(
            TO,
            "Was this helpful?",
            [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
            header="Survey",
            footer="Ivosights",
        ),
        "list": lambda: m.send_list(
            TO,
            "Pick a size",
            "Sizes",
            [
                {
                    "rows": [
                        {"id": "s", "title": "Small"},
                        {"id": "l", "title": "Large", "description": "Roomy"},
                    ]
                }
            ],
        ),
        "product": lambda: m.send_product(TO, "catalog-1", "shirt-42", body="Our best seller"),
        "product_list": lambda: m.send_product_list(
            TO,
            "catalog-1",
            [{"title": "New", "product_items": [{"product_retailer_id": "shirt-42"}]}],
            header="Shirts",
            body="Pick one",
        ),
        "flow": lambda: m.send_flow(
            TO, body="Book a visit", flow_id="flow-1", flow_cta="Book now", flow_token="t"
        ),
    }
    return {kind: send().id for kind, send in sends.items()}


EXPECTED_TEXT = {
    "text": ["ORD-1042", "Link preview", "https://example.com/t/1042"],
    "script": ["<script>window.pwned = 1</script><img src=x>"],
    "template": ["Notifikasi Akun PT. IVOSIGHTS", "Halo Budi,", "Ivosights", "Website", "Bantuan"],
    "quick_reply": ["Your order #7 is ready", "Stop promotions"],
    "image": ["https://example.com/files/receipt.jpg", "Your receipt"],
    "video": ["https://example.com/files/demo.mp4", "How to"],
    "audio": ["https://example.com/files/note.mp3"],
    "document": ["invoice.pdf"],
    "sticker": ["https://example.com/files/hi.webp"],
    "location": ["HQ", "Jakarta", "-6.2297, 106.8295"],
    "contacts": ["Support Desk", "+62212290"],
    "buttons": ["Survey", "Was this helpful?", "Ivosights", "Yes", "No"],
    "list": ["Pick a size", "Sizes"],
    "product": ["shirt-42", "catalog catalog-1", "Our best seller"],
    "product_list": ["Shirts", "Pick one", "View items"],
    "flow": ["Book a visit", "Book now"],
}


_BUBBLES_JS = """ids => ids.map(id => {
    const item = document.querySelector(`li[data-message-id="${id}"]`);
    const box = item.getBoundingClientRect();
    return {
        text: item.textContent,
        status: item.querySelector(".ticks").dataset.status,
        box: {x: box.x, y: box.y, width: box.width, height: box.height},
    };
})"""


def test_every_kind_sent_renders_as_its_bubble(
    page: Page, emu: Emulator, client: ivowaba.Client
) -> None:
    ids = send_every_kind(client, emu)
    emu.inbound_media(TO, "image", content=PNG, content_type="image/png", caption="my parcel")
    viewport = page.viewport_size
    page.set_viewport_size({"width": 1280, "height": 3600})  # every bubble in view at once
    try:
        open_phone(page, emu.page_url)
        open_chat(page, TO)
        shown = page.evaluate(_BUBBLES_JS, list(ids.values()))
        for kind, bubble_shown in zip(ids, shown, strict=True):
            for expected in EXPECTED_TEXT[kind]:
                assert expected in bubble_shown["text"], (kind, expected, bubble_shown["text"])
            assert bubble_shown["status"] == "accepted"  # no webhook: no status made
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"phone-{kind}.png", clip=bubble_shown["box"])
        screenshot(page, page.locator("li.bubble.customer.kind-image"), "inbound-image")
    finally:
        page.set_viewport_size(viewport or {"width": 1280, "height": 900})

    assert bubble(page, ids["text"]).locator("strong").text_content() == "ORD-1042"
    assert bubble(page, ids["template"]).locator(".header").text_content() == (
        "Notifikasi Akun PT. IVOSIGHTS"
    )
    assert bubble(page, ids["quick_reply"]).locator("[data-payload=STOP]").count() == 1
    assert bubble(page, ids["flow"]).get_by_role("button", name="Book now").is_disabled()
    # the customer's own photo: served by the emulator itself, nothing from the internet
    photo = page.locator("li.bubble.customer.kind-image img.thumb")
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 1

    # <script> in a message is text: nothing of it became an element or ran
    assert page.locator("#bubbles script, #bubbles img[src=x]").count() == 0
    assert page.evaluate("window.pwned") is None


# -- the customer answers ------------------------------------------------------------------


def test_what_the_customer_does_reaches_the_bot_as_typed_messages(
    page: Page, emu: Emulator, client: ivowaba.Client
) -> None:
    add_quick_reply_template(emu)
    with bot(emu) as received:
        buttons = client.messages.send_reply_buttons(
            TO, "Confirm?", [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}]
        )
        offer = client.messages.send_template(TO, QUICK_REPLY_TEMPLATE, body=["#7"], buttons=[STOP])
        rows = [{"id": "s", "title": "Small"}, {"id": "l", "title": "Large"}]
        listing = client.messages.send_list(TO, "Pick a size", "Sizes", [{"rows": rows}])
        open_phone(page, emu.page_url)
        open_chat(page, TO)

        page.get_by_role("textbox", name="Message").fill("Where is my parcel?")
        page.get_by_role("button", name="Send").click()
        text = received.get(timeout=WAIT)
        assert (type(text).__name__, text.text.body, text.from_) == (
            "InboundText",
            "Where is my parcel?",
            TO,
        )

        bubble(page, buttons.id).get_by_role("button", name="Yes").click()
        tap = received.get(timeout=WAIT)
        assert tap.interactive.button_reply.id == "yes"
        assert tap.context.id == buttons.id

        bubble(page, listing.id).get_by_role("button", name="Sizes").click()
        page.locator("#list-dialog").get_by_role("button", name="Large").click()
        pick = received.get(timeout=WAIT)
        assert (pick.interactive.type, pick.interactive.list_reply.id) == ("list_reply", "l")
        assert pick.context.id == listing.id

        bubble(page, offer.id).get_by_role("button", name="Stop promotions").click()
        tap = received.get(timeout=WAIT)
        assert (tap.button.payload, tap.button.text, tap.context.id) == (
            "STOP",
            "Stop promotions",
            offer.id,
        )

        bubble(page, listing.id).get_by_role("button", name="Reply").click()
        page.get_by_role("textbox", name="Message").fill("Large, please")
        page.get_by_role("button", name="Send").click()
        reply = received.get(timeout=WAIT)
        assert (reply.text.body, reply.context.id) == ("Large, please", listing.id)

        page.get_by_role("button", name="Location").click()
        page.get_by_role("button", name="Share location").click()
        location = received.get(timeout=WAIT)
        assert (location.location.latitude, location.location.name) == (-6.2297, "Home")

        page.get_by_label("Image").set_input_files(
            {"name": "parcel.png", "mimeType": "image/png", "buffer": PNG}
        )
        image = received.get(timeout=WAIT)
        assert image.image.mime_type == "image/png"
        assert client.media.download(image.image.id).content == PNG  # the bot downloads it

        # each answer shows in the conversation as the customer's own bubble
        page.wait_for_selector("li.bubble.customer.kind-image")
        assert page.locator("li.bubble.customer").count() == 7


# -- live ticks, faults from the page ------------------------------------------------------


def test_ticks_turn_without_a_reload_and_a_fault_set_in_the_page_hits_the_next_send(
    page: Page, emu: Emulator, client: ivowaba.Client
) -> None:
    with bot(emu):
        open_phone(page, emu.page_url)
        page.get_by_label("Customer number").fill(TO)
        page.get_by_role("button", name="Open", exact=True).click()
        page.wait_for_selector(f"#bubbles[data-wa-id='{TO}']", state="attached")

        sent = client.messages.send_text(TO, "On its way")
        page.wait_for_selector(f"li[data-message-id='{sent.id}'] .ticks[data-status=read]")
        emu.mark_failing(TO, 480)
        failing = client.messages.send_text(TO, "And this?")
        ticks = bubble(page, failing.id).locator(".ticks[data-status=failed]")
        ticks.wait_for()
        assert (ticks.get_attribute("title") or "").startswith("failed: 480 ")
        screenshot(page, bubble(page, failing.id), "failed")

        page.locator("#fault-kind").select_option("503")
        page.get_by_role("button", name="Add fault").click()
        page.wait_for_selector("#fault-list li")
        with pytest.raises(ivowaba.ServerError):
            client.messages.send_text(TO, "refused")
        assert client.messages.send_text(TO, "fine again").id


# -- safety --------------------------------------------------------------------------------


def test_an_emulator_listening_beyond_this_machine_refuses_the_page_without_the_key(
    page: Page,
) -> None:
    with exposed_emulator() as (emulator, base_url):
        emulator.inbound_text(TO, "hello", name="Budi")
        refused = page.goto(base_url + "/")
        assert refused is not None
        assert refused.status == 401
        assert page.locator("#chat-list").count() == 0

        open_phone(page, f"{base_url}/?token={page_token(API_KEY)}")
        page.wait_for_selector(f"li[data-wa-id='{TO}']")  # its API calls carry the token


# -- scale ---------------------------------------------------------------------------------

MESSAGES, CONVERSATIONS = 10_000, 500


def fill_outbox(emu: Emulator, messages: int, conversations: int) -> None:
    """``messages`` accepted text sends across ``conversations`` customers, as if sent."""
    for n in range(messages):
        wa_id = f"62812{n % conversations:07d}"
        emu.accept_send(
            "messages.send_text",
            "send-text-message",
            {"wa_id": wa_id, "text": f"Message {n} for you"},
            sandbox=False,
        )


def test_the_page_works_with_10000_messages_in_500_conversations(page: Page, emu: Emulator) -> None:
    fill_outbox(emu, MESSAGES, CONVERSATIONS)
    open_phone(page, emu.page_url)

    assert page.locator("#chat-count").text_content() == f"{CONVERSATIONS} conversations"
    assert page.locator("#chat-list > li").count() == 50  # a page at a time
    newest = page.locator("#chat-list > li").first
    assert newest.get_attribute("data-wa-id") == f"62812{(MESSAGES - 1) % CONVERSATIONS:07d}"
    newest.locator("button").click()
    page.wait_for_selector("#bubbles li")
    assert page.locator("#bubbles > li").count() == MESSAGES // CONVERSATIONS
    page.get_by_role("button", name="More conversations").click()
    page.locator("#chat-list > li").nth(99).wait_for(state="attached")
    assert page.locator("#chat-list > li").count() == 100
