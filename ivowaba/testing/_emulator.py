"""``Emulator``: a local IVOWBA server with state a test can read and script."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from ivowaba.testing import _payloads, _seed, _templates
from ivowaba.testing._faults import Fault, Faults
from ivowaba.testing._notifications import DeliveryAttempt, Notifier, Webhook
from ivowaba.testing._records import OutboxEntry, RecordedRequest, StoredMedia
from ivowaba.testing._server import build_app

_BILLED_CATEGORIES: Final = frozenset({"marketing", "utility", "authentication"})
_PUNCTUATION: Final = str.maketrans("", "", "+ -()")


class Emulator:
    """A faithful local IVOWBA: every operation of the reference over real HTTP on 127.0.0.1.

    ```python
    async with Emulator() as emu:
        client = ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url)
        ...
        assert emu.outbox[0].body["text"] == "hello"
    ```

    From blocking code, ``with Emulator() as emu:`` (or ``start()`` / ``stop()``) serves it
    from its own thread; the pytest fixture ``ivowaba_emulator`` does that for you.

    - ``api_key``: the only ``X-API-KEY`` accepted; anything else gets 401.
    - ``host``, ``port``: where to listen; port 0 picks a free one. Once started, ``port`` is
      the port it listens on and ``base_url`` the URL to give a client.
    - ``webhook_url``, ``webhook_username``, ``webhook_password``: where notifications go,
      with basic auth (also ``set_webhook``). Without a URL no status notifications are made.
    - ``delivery_delay``: seconds before each notification is posted.
    - ``delivery_attempts``, ``delivery_backoff``, ``delivery_timeout``: a notification is
      tried this many times (the reference says 3), ``backoff * 2**n`` seconds apart, each
      POST given this long; then it is held for "Pull pending notification".
    - ``latency``: seconds added before every answer.
    - ``per_page``: templates per page of the template listings.
    - ``record``: keep every request in ``requests`` and every accepted send in ``outbox``.
      Turn it off for long benchmarks to keep memory flat; ``request_count`` and
      ``sent_count`` still count them.

    What it holds: ``outbox`` (each accepted send), ``requests`` (everything received),
    ``templates`` (seeded with the reference's two), ``media``, ``business_profile``,
    ``about``, ``photo``, ``webhooks``, ``read_receipts``; ``delivered`` and ``pending``
    notifications. ``reset()`` brings all of it back to the start.

    The reference's example requests name a few things it never shows (template ``"aut"``,
    media ``f043afd0-...``, webhook ``60243665...``): ``seed_reference_examples()`` adds them,
    so each example request succeeds as written.
    """

    #: The business's own number: the ``context.from`` of a customer's reply.
    business_wa_id = "6281200000000"

    def __init__(
        self,
        api_key: str = "test-key",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_username: str | None = None,
        webhook_password: str | None = None,
        delivery_delay: float = 0.01,
        delivery_attempts: int = 3,
        delivery_backoff: float = 0.05,
        delivery_timeout: float = 5.0,
        latency: float = 0.0,
        per_page: int = 15,
        record: bool = True,
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.port = port
        self.latency = latency
        self.per_page = per_page
        self.record = record
        #: The statuses a successful send goes through, each one notification.
        self.status_lifecycle: tuple[str, ...] = ("sent", "delivered", "read")
        self._webhook_config = (webhook_url, webhook_username, webhook_password)
        self._faults = Faults()
        self._notifier = Notifier(
            attempts=delivery_attempts,
            backoff=delivery_backoff,
            timeout=delivery_timeout,
            delay=delivery_delay,
        )
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.reset()

    def reset(self) -> None:
        """Forget everything sent, received, scripted and stored since the start."""
        self.outbox: list[OutboxEntry] = []
        self.requests: list[RecordedRequest] = []
        self.sent_count = 0
        self.request_count = 0
        self.read_receipts: list[str] = []
        self.templates: dict[str, dict[str, Any]] = {t["id"]: t for t in _seed.templates()}
        self.own_template_ids: set[str] = set(_seed.OWN_TEMPLATE_IDS)
        self.media: dict[str, StoredMedia] = {}
        self.business_profile: dict[str, Any] = _seed.business_profile()
        self.about: str = _seed.ABOUT
        self.photo: StoredMedia | None = None
        self.photo_link: str = _seed.PHOTO_LINK
        url, username, password = self._webhook_config
        webhook = Webhook(_seed.WEBHOOK_ID, _seed.WEBHOOK_NAME, url, username, password)
        self.webhooks: dict[str, Webhook] = {webhook.id: webhook}
        self.invalid_numbers: set[str] = set()
        self.failing_numbers: dict[str, int] = {}
        self._conversations: dict[tuple[str, str], dict[str, Any]] = {}
        self._faults.clear()
        self._notifier.reset()

    # -- running ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: give it to a client as its ``base_url``."""
        if self._runner is None:
            raise RuntimeError("the emulator is not running: start it first")
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> Emulator:
        await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Emulator:
        """Serve from a daemon thread with its own event loop; returns once listening."""
        if self.running or self._thread is not None:
            raise RuntimeError("the emulator is already running")
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._serve_in_thread, args=(started,), name="ivowaba-emulator", daemon=True
        )
        self._thread.start()
        try:
            started.result()
        except BaseException:
            self._thread.join()
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Stop serving (blocking); undelivered notifications are dropped."""
        if self._thread is None:
            if self.running:
                raise RuntimeError("started with 'async with': it stops when the block ends")
            return
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None:
            loop.call_soon_threadsafe(stopped.set)
        self._thread.join()
        self._thread = None

    def _serve_in_thread(self, started: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve_until_stopped(started))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()

    async def _serve_until_stopped(self, started: concurrent.futures.Future[None]) -> None:
        try:
            await self._start()
        except BaseException as exc:
            started.set_exception(exc)
            return
        self._stopped = asyncio.Event()
        started.set_result(None)
        try:
            await self._stopped.wait()
        finally:
            self._stopped = None
            await self._stop()

    async def _start(self) -> None:
        if self.running:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            await self._notifier.open()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = runner.addresses[0][1]
        self._loop = asyncio.get_running_loop()
        self._runner = runner

    async def _stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._notifier.close()
        self._loop = None

    # -- state a test sets up --------------------------------------------------------------

    @property
    def webhook(self) -> Webhook:
        """The webhook notifications are delivered to (the account's first)."""
        return self.webhooks[_seed.WEBHOOK_ID]

    def set_webhook(
        self, url: str | None, username: str | None = None, password: str | None = None
    ) -> None:
        """Deliver notifications to ``url`` with basic auth; ``None`` turns delivery off."""
        self.webhook.url, self.webhook.username, self.webhook.password = url, username, password

    def add_media(
        self,
        content: bytes,
        content_type: str,
        filename: str | None = None,
        *,
        media_id: str | None = None,
    ) -> str:
        """Store a file that ``GET /api/v1/media/{id}`` serves; returns its id."""
        media_id = media_id or str(uuid.uuid4())
        self.media[media_id] = StoredMedia(content, content_type, filename)
        return media_id

    def add_template(self, template_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Store an approved template (by default a utility one whose body is
        ``"Hello {{1}}"``); ``fields`` override any of the template object's fields."""
        spec = {
            "label": fields.pop("label", "Emulator Template"),
            "category_id": fields.pop("category_id", "UTILITY"),
            "language_id": fields.pop("language_id", "en"),
            "body": {"text": "Hello {{1}}"},
        }
        template = _templates.create(spec, template_id)
        template.update(status="approved", **fields)
        self.templates[template["id"]] = template
        self.own_template_ids.add(template["id"])
        return template

    def seed_reference_examples(self) -> None:
        """Add what the reference's example requests refer to without showing it."""
        for template_id in _seed.REFERENCE_PLACEHOLDER_TEMPLATE_IDS:
            if template_id not in self.templates:
                self.add_template(template_id)
        if _seed.REFERENCE_MEDIA_ID not in self.media:
            self.add_media(b"\xff\xd8\xff\xe0", "image/jpeg", media_id=_seed.REFERENCE_MEDIA_ID)
        webhook_id = _seed.REFERENCE_PULL_WEBHOOK_ID
        self.webhooks.setdefault(webhook_id, Webhook(webhook_id, "Reference Example Webhook"))

    def mark_invalid(self, number: str) -> None:
        """``contacts/check`` answers ``invalid`` for ``number`` (written any way)."""
        self.invalid_numbers.add(number.translate(_PUNCTUATION))

    def mark_failing(self, wa_id: str, code: int = 470) -> None:
        """Messages to ``wa_id`` are accepted, then notified ``failed`` with ``code`` (the
        reference shows 470, outside the 24-hour window, and 480, identity changed)."""
        self.failing_numbers[wa_id.translate(_PUNCTUATION)] = code

    def fail_next(
        self,
        target: str,
        *,
        status: int | None = 503,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        processed: bool = False,
        times: int = 1,
        every: int = 1,
        method: str | None = None,
    ) -> None:
        """Script the next ``times`` answers to ``target`` instead of the real ones
        (with ``every=n``: to every n-th request to it only).

        ``target`` is an operation (``"messages.send_text"``), an endpoint
        (``"send-text-message"``), a path or path glob (``"/api/v1/media/*"``), or ``"*"``.
        ``status`` with ``headers`` and ``body`` (a dict is sent as JSON; ``str``/``bytes`` as
        they are, HTML unless ``content_type`` says otherwise). ``delay`` waits first (to run
        a client into its timeout); ``drop`` closes the connection without an answer;
        ``status=None`` answers normally after ``delay``. ``processed`` handles the request
        first (a send is accepted and kept) and then answers as scripted.

        ```python
        emu.fail_next("send-text-message", status=429, headers={"Retry-After": "1"})
        emu.fail_next("messages.send_text", drop=True, processed=True)
        ```
        """
        self._faults.add(
            Fault(
                target=target,
                method=method,
                status=status,
                headers=headers,
                body=body,
                content_type=content_type,
                delay=delay,
                drop=drop,
                processed=processed,
                times=times,
                every=every,
            )
        )

    def clear_faults(self) -> None:
        """Forget every scripted fault not used yet."""
        self._faults.clear()

    # -- notifications ---------------------------------------------------------------------

    @property
    def delivered(self) -> list[dict[str, Any]]:
        """Notifications the webhook accepted (200 or 201), in order."""
        return self._notifier.delivered

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Notifications held for "Pull pending notification": those whose deliveries all
        failed, and those made while no webhook URL was set."""
        return self.webhook.held

    @property
    def delivery_attempts(self) -> list[DeliveryAttempt]:
        """Every POST to the webhook: the notification, and the answer or error."""
        return self._notifier.log

    async def wait_delivered(self, timeout: float = 5.0) -> None:
        """Wait until every notification so far is delivered or held (from any event loop).

        Raises ``TimeoutError`` when deliveries are still going on after ``timeout`` seconds.
        """
        loop = self._require_loop()
        settle = self._notifier.settle(timeout)
        if asyncio.get_running_loop() is loop:
            await settle
        else:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(settle, loop))

    def drain(self, timeout: float = 5.0) -> None:
        """``wait_delivered`` for blocking code (not from the emulator's own event loop)."""
        loop = self._require_loop()
        try:
            in_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            in_loop = False
        if in_loop:
            raise RuntimeError("drain() would block the emulator: await wait_delivered()")
        future = asyncio.run_coroutine_threadsafe(self._notifier.settle(timeout), loop)
        future.result()

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the emulator is not running")
        return self._loop

    def notify(self, notification: dict[str, Any]) -> dict[str, Any]:
        """Deliver any notification as it is (a ``deleted`` status, a ``system`` message, a
        type not known yet...); without a webhook URL it is held at once."""
        if self.webhook.url is None:
            self.webhook.held.append(notification)
        else:
            self._notifier.enqueue(self.webhook, [notification])
        return notification

    def _notify_sent(self, entry: OutboxEntry) -> None:
        """Start the status notifications of an accepted send."""
        code = self.failing_numbers.get(entry.wa_id)
        if code is not None:
            notifications = [_payloads.failed(entry.id, entry.wa_id, code)]
        else:
            category = self._category(entry)
            conversation = self._conversation(entry.wa_id, category)
            notifications = [
                _payloads.status(
                    entry.id,
                    entry.wa_id,
                    state,
                    conversation=conversation if state in ("sent", "delivered") else None,
                    category=category,
                )
                for state in self.status_lifecycle
            ]
        self._notifier.enqueue(self.webhook, notifications)

    def _category(self, entry: OutboxEntry) -> str:
        """Pricing category: a template's own category, else a service conversation."""
        if entry.operation != "messages.send_template":
            return "service"
        template = self.templates.get(entry.body["template_id"], {})
        category = str(template.get("category_id", "utility")).lower()
        return category if category in _BILLED_CATEGORIES else "utility"

    def _conversation(self, wa_id: str, category: str) -> dict[str, Any]:
        """The open conversation with ``wa_id`` in ``category``, or a new 24-hour one."""
        key = (wa_id, category)
        current = self._conversations.get(key)
        now = time.time()
        if current is None or current["expiration_timestamp"] <= now:
            current = _payloads.conversation(wa_id, category, now)
            self._conversations[key] = current
        return current

    # -- customers writing -----------------------------------------------------------------

    def _context(self, context_id: str | None) -> dict[str, str] | None:
        return None if context_id is None else {"from": self.business_wa_id, "id": context_id}

    def inbound_text(
        self, from_: str, text: str, *, name: str | None = None, context_id: str | None = None
    ) -> dict[str, Any]:
        """The customer ``from_`` (profile ``name``) sends ``text``; with ``context_id`` it is
        a reply to that message. Returns the notification."""
        content = {"text": {"body": text}}
        context = self._context(context_id)
        return self.notify(_payloads.inbound(from_, "text", content, name=name, context=context))

    def inbound_reply(
        self, from_: str, message_id: str, text: str, *, name: str | None = None
    ) -> dict[str, Any]:
        """The customer replies ``text`` to the message ``message_id`` (e.g. ``outbox[0].id``)."""
        return self.inbound_text(from_, text, name=name, context_id=message_id)

    def inbound_media(
        self,
        from_: str,
        kind: str,
        *,
        content: bytes | None = None,
        content_type: str | None = None,
        media_id: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """The customer sends media: ``kind`` is image, document, audio, voice, video or
        sticker. ``content`` is stored so that downloading the media id returns it; without
        it, a few placeholder bytes are (or the existing ``media_id`` is used)."""
        mime_type = content_type or _payloads.DEFAULT_MIME_TYPES.get(
            kind, "application/octet-stream"
        )
        if content is not None or media_id is None or media_id not in self.media:
            media_id = self.add_media(
                content if content is not None else b"\x00" * 16,
                mime_type,
                filename,
                media_id=media_id,
            )
        stored = self.media[media_id]
        media = _payloads.media_object(
            media_id, stored.content_type, stored.sha256, caption=caption, filename=filename
        )
        return self.notify(_payloads.inbound(from_, kind, {kind: media}, name=name))

    def inbound_location(
        self,
        from_: str,
        latitude: float,
        longitude: float,
        *,
        place_name: str | None = None,
        address: str | None = None,
        url: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """The customer shares a location; ``place_name`` is the location's ``name``."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        optional = {"name": place_name, "address": address, "url": url}
        location.update({k: v for k, v in optional.items() if v is not None})
        content = {"location": location}
        return self.notify(_payloads.inbound(from_, "location", content, name=name))

    def inbound_contacts(
        self, from_: str, contacts: Sequence[Mapping[str, Any]], *, name: str | None = None
    ) -> dict[str, Any]:
        """The customer shares contact cards (in the wire shape: ``name``, ``phones``, ...)."""
        content = {"contacts": [dict(card) for card in contacts]}
        return self.notify(_payloads.inbound(from_, "contacts", content, name=name))

    def inbound_interactive_reply(
        self,
        from_: str,
        button_id: str | None = None,
        *,
        row_id: str | None = None,
        title: str | None = None,
        description: str | None = None,
        context_id: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """The customer taps a reply button (``button_id``) or picks a list row (``row_id``)
        of the interactive message ``context_id``."""
        if (button_id is None) == (row_id is None):
            raise ValueError("give exactly one of button_id and row_id")
        if button_id is not None:
            button = {"id": button_id, "title": title or button_id}
            reply: dict[str, Any] = {"type": "button_reply", "button_reply": button}
        else:
            row = {"id": row_id, "title": title or row_id}
            if description is not None:
                row["description"] = description
            reply = {"type": "list_reply", "list_reply": row}
        context = self._context(context_id)
        return self.notify(
            _payloads.inbound(
                from_, "interactive", {"interactive": reply}, name=name, context=context
            )
        )

    def inbound_button(
        self,
        from_: str,
        payload: str,
        text: str,
        *,
        context_id: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """The customer taps a quick-reply button of a template message ``context_id``."""
        content = {"button": {"payload": payload, "text": text}}
        context = self._context(context_id)
        return self.notify(_payloads.inbound(from_, "button", content, name=name, context=context))
