"""What the emulator holds, and every change made to it: the state part of the emulator.

``State`` keeps the outbox, the requests received, the templates, media, profile settings,
webhooks and their notifications, and the scripted faults. Its public methods are the only
way anything changes it: the HTTP front (``_server``) answering a request, a test scripting
the emulator, and later a web page or a control API. It knows nothing of HTTP or of event
loops beyond handing notifications to the ``Notifier``.

It keeps its own clock (``now``, moved by ``advance()``): every timestamp it writes into a
notification, and each customer's 24-hour window, go by it.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from ivowaba._limits import CUSTOMER_SERVICE_WINDOW
from ivowaba.testing import _payloads, _seed, _templates
from ivowaba.testing._faults import Fault, Faults
from ivowaba.testing._notifications import DeliveryAttempt, Notifier, Webhook
from ivowaba.testing._records import OutboxEntry, RecordedRequest, StoredMedia

_BILLED_CATEGORIES: Final = frozenset({"marketing", "utility", "authentication"})
_PUNCTUATION: Final = str.maketrans("", "", "+ -()")
_PROFILE_FIELDS: Final = ("address", "description", "email", "vertical", "websites")
#: The one send that may go outside the 24-hour window: a template.
_TEMPLATE_SEND: Final = "messages.send_template"
_WINDOW_SECONDS: Final = CUSTOMER_SERVICE_WINDOW.total_seconds()

#: ``(url, username, password)`` of the webhook notifications go to.
WebhookConfig = tuple[str | None, str | None, str | None]
#: Told of each change as ``(event, item)``: see ``State.observe``.
Observer = Callable[[str, Any], None]
#: The statuses a successful send goes through unless ``status_lifecycle`` says otherwise.
DEFAULT_STATUS_LIFECYCLE: Final = ("sent", "delivered", "read")


@dataclass(frozen=True)
class Settings:
    """How the emulator behaves, as it was made: each is an attribute of the same name that
    a test may change (``emu.latency = 0.2``, the control API's ``settings``), and
    ``reset()`` puts every one back to this."""

    api_key: str
    message_ids: _payloads.MessageIds
    template_review_delay: float
    latency: float
    per_page: int
    record: bool
    enforce_window: bool
    status_lifecycle: tuple[str, ...] = DEFAULT_STATUS_LIFECYCLE


class State:
    """The emulator's state and the operations on it; ``Emulator`` adds serving it, and its
    docstring says what is held."""

    #: The business's own number: the ``context.from`` of a customer's reply.
    business_wa_id = "6281200000000"

    def __init__(
        self,
        api_key: str,
        *,
        webhook: WebhookConfig,
        notifier: Notifier,
        latency: float,
        per_page: int,
        record: bool,
        enforce_window: bool = False,
        template_review_delay: float = 1.0,
        message_ids: _payloads.MessageIds = _payloads.REFERENCE_IDS,
    ) -> None:
        #: What ``reset()`` sets the settings back to: the constructor's.
        self._defaults = Settings(
            api_key=api_key,
            message_ids=message_ids,
            template_review_delay=template_review_delay,
            latency=latency,
            per_page=per_page,
            record=record,
            enforce_window=enforce_window,
        )
        self._webhook_config = webhook
        self._hold_lock = threading.Lock()
        self._faults = Faults()
        self._notifier = notifier
        #: Requests being answered right now.
        self.in_flight = 0
        self._observers: list[Observer] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything sent, received, scripted and stored since the start (customers'
        windows and held statuses too), set the clock back to real time, and every setting
        (``latency``, ``enforce_window``, ``status_lifecycle``, ... :class:`Settings`) back to
        the constructor's."""
        self._restore(self._defaults)
        self.outbox: list[OutboxEntry] = []
        self.requests: list[RecordedRequest] = []
        self.sent_count = 0
        self.request_count = 0
        #: The most requests answered at the same time so far.
        self.max_in_flight = 0
        self.read_receipts: list[str] = []
        self.templates: dict[str, dict[str, Any]] = {t["id"]: t for t in _seed.templates()}
        self.own_template_ids: set[str] = set(_seed.OWN_TEMPLATE_IDS)
        self.template_reviews = _templates.Reviews()
        self.media: dict[str, StoredMedia] = {}
        self.business_profile: dict[str, Any] = _seed.business_profile()
        self.about: str = _seed.ABOUT
        self.photo: StoredMedia | None = None
        self.photo_link: str = _seed.PHOTO_LINK
        url, username, password = self._webhook_config
        webhook = Webhook(_seed.WEBHOOK_ID, _seed.WEBHOOK_NAME, url, username, password)
        self.webhooks: dict[str, Webhook] = {webhook.id: webhook}
        self.invalid_numbers: set[str] = set()
        #: The error each number's messages fail with (``mark_failing``).
        self.failing_numbers: dict[str, dict[str, Any]] = {}
        self._conversations: dict[tuple[str, str], dict[str, Any]] = {}
        self._clock_offset = 0.0
        #: When each customer last wrote (emulator clock, seconds since the epoch).
        self._last_inbound: dict[str, float] = {}
        self._statuses_duplicated = False
        self._statuses_out_of_order = False
        with self._hold_lock:
            self._holding = False
            self._on_hold: list[list[dict[str, Any]]] = []
        self._faults.clear()
        self._notifier.reset()
        self._publish("reset", None)

    def _restore(self, settings: Settings) -> None:
        """Set every setting to ``settings``'."""
        #: The only ``X-API-KEY`` accepted.
        self.api_key = settings.api_key
        #: How messages sent and received are named (``wamid.`` ids in Cloud mode).
        self.message_ids = settings.message_ids
        #: Seconds (of the emulator's clock) WhatsApp's review of a proposed template takes.
        self.template_review_delay = settings.template_review_delay
        #: Seconds added before every answer.
        self.latency = settings.latency
        #: Templates per page of the template listings.
        self.per_page = settings.per_page
        #: Keep every request in ``requests`` and every accepted send in ``outbox``.
        self.record = settings.record
        #: Free-form sends to a customer whose 24-hour window is closed fail with 470.
        self.enforce_window = settings.enforce_window
        #: The statuses a successful send goes through, each one notification.
        self.status_lifecycle = settings.status_lifecycle

    # -- deliveries: opened and closed with the server, on its event loop ------------------

    async def open_deliveries(self) -> None:
        """Start delivering notifications (on the running event loop)."""
        await self._notifier.open()

    async def close_deliveries(self) -> None:
        """Stop delivering; notifications under way are dropped."""
        await self._notifier.close()

    async def settle_deliveries(self, timeout: float) -> None:
        """Wait until every notification so far is delivered or held (on the deliveries'
        event loop); ``TimeoutError`` after ``timeout`` seconds."""
        await self._notifier.settle(timeout)

    # -- what a request does ---------------------------------------------------------------

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count a request as in flight while it is being answered."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            self.in_flight -= 1

    def record_request(self, request: RecordedRequest) -> None:
        """Count a request received, and keep it when recording."""
        self.request_count += 1
        if self.record:
            self.requests.append(request)

    def take_fault(self, method: str, path: str, names: tuple[str, ...]) -> Fault | None:
        """The scripted fault this request gets, if any (one use of it consumed)."""
        return self._faults.take(method, path, names)

    def accept_send(
        self, operation: str, endpoint: str, body: dict[str, Any], *, sandbox: bool
    ) -> OutboxEntry:
        """A valid send: keep it in the outbox and start its status notifications."""
        entry = OutboxEntry(
            id=self.message_ids.outbound(body["wa_id"]),
            endpoint=endpoint,
            operation=operation,
            wa_id=body["wa_id"],
            body=body,
            sandbox=sandbox,
            timestamp=self.now,
        )
        self.sent_count += 1
        if self.record:
            self.outbox.append(entry)
            self._publish("sent", entry)
        if self.webhook.url is not None:
            self._notify_sent(entry)
        return entry

    def mark_read(self, message_id: str) -> None:
        self.read_receipts.append(message_id)

    def check_number(self, number: str) -> dict[str, str]:
        """What ``contacts/check`` answers for ``number``."""
        digits = number.translate(_PUNCTUATION)
        valid = (
            digits.isascii()
            and digits.isdigit()
            and 8 <= len(digits) <= 15
            and digits not in self.invalid_numbers
        )
        if valid:
            return {"input": number, "status": "valid", "wa_id": digits}
        return {"input": number, "status": "invalid"}

    def own_templates(self) -> list[dict[str, Any]]:
        """The account's own templates (``templates`` also holds those it may only use)."""
        return [t for t in self.templates.values() if t["id"] in self.own_template_ids]

    def create_template(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A new template of the account, from a valid template spec."""
        template = _templates.create(spec)
        self.templates[template["id"]] = template
        self.own_template_ids.add(template["id"])
        self.template_reviews.defined(template, spec, self.now + self.template_review_delay)
        return template

    def update_template(self, template: dict[str, Any], spec: dict[str, Any]) -> None:
        _templates.update(template, spec)
        self.template_reviews.defined(template, spec, self.now + self.template_review_delay)

    def propose_template(self, template: dict[str, Any]) -> None:
        """Submit ``template`` for approval (an approved or submitted one stays as it is)."""
        if template["status"] not in ("approved", "submitted"):
            template.update(status="submitted", updated_at=_templates.now_iso())
            self.template_reviews.submitted(template, self.now + self.template_review_delay)

    def review_templates(self) -> None:
        """Give WhatsApp's verdict on each proposed template whose review is due by ``now``
        (``template_review_delay`` after it was proposed): approved, or rejected with a
        ``rejected_reason`` when it breaks a rule ``templates.lint`` checks."""
        self.template_reviews.settle(self.templates, self.now)

    def update_business_profile(self, fields: Mapping[str, Any]) -> None:
        """Set the profile fields given (others in ``fields`` are ignored)."""
        self.business_profile.update({k: v for k, v in fields.items() if k in _PROFILE_FIELDS})

    def update_about(self, text: str) -> None:
        self.about = text

    def update_photo(self, photo: StoredMedia, link: str) -> None:
        """The profile photo, and the public link it is served at."""
        self.photo = photo
        self.photo_link = link

    def pull_pending(self, webhook_id: str) -> list[dict[str, Any]] | None:
        """Take the notifications held for a webhook (``None``: no such webhook)."""
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            return None
        held = list(webhook.held)
        del webhook.held[: len(held)]
        return held

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

    def mark_failing(self, wa_id: str, code: int = 470, title: str | None = None) -> None:
        """Messages to ``wa_id`` (templates too) are accepted, then notified ``failed`` with
        ``errors: [{code, title}]``. Any code: the reference shows 470 (outside the 24-hour
        window) and 480 (identity change of the contact, "you may send the message a next few
        minutes"); the title is the code's in :class:`~ivowaba.types.error_codes.ErrorCode`
        ("Message failed" for a code it does not name) unless ``title`` is given.
        ``failing_numbers.pop(wa_id)`` lets the number receive again.
        """
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"mark_failing: code must be an int error code, not {code!r}")
        self.failing_numbers[wa_id.translate(_PUNCTUATION)] = _payloads.error(code, title)

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

    @property
    def scripted_faults(self) -> list[Fault]:
        """The scripted faults not used up yet, in the order they are tried (copies)."""
        return self._faults.snapshot()

    # -- observers (the web phone's live updates) ------------------------------------------

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event, item)`` on every change, from the thread making it:
        ``"sent"`` (an ``OutboxEntry``), ``"notification"`` (a customer's message or a
        status, when it leaves for the webhook or is held), ``"attempt"`` (a
        ``DeliveryAttempt``), ``"held"`` (a notification kept for pulling), ``"reset"``.
        Returns the function that stops it."""
        self._observers.append(observer)
        self._notifier.observers.append(observer)

        def stop() -> None:
            self._observers.remove(observer)
            self._notifier.observers.remove(observer)

        return stop

    def _publish(self, event: str, item: Any) -> None:
        for observer in self._observers:
            observer(event, item)

    def _publish_all(self, notifications: Sequence[dict[str, Any]]) -> None:
        for notification in notifications:
            self._publish("notification", notification)

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

    def notify(self, notification: dict[str, Any]) -> dict[str, Any]:
        """Deliver any notification as it is (a ``deleted`` status, a ``system`` message, a
        type not known yet...); without a webhook URL it is held at once. A customer's
        message in it (any but a ``system`` one) opens their 24-hour window."""
        self._note_inbound(notification)
        self._publish("notification", notification)
        if self.webhook.url is None:
            self.webhook.held.append(notification)
        else:
            self._notifier.enqueue(self.webhook, [notification])
        return notification

    def _notify_sent(self, entry: OutboxEntry) -> None:
        """Start the status notifications of an accepted send."""
        error = self._failure(entry)
        if error is not None:
            notifications = [_payloads.failed(entry.id, entry.wa_id, error, at=entry.timestamp)]
        else:
            category = self._category(entry)
            conversation = self._conversation(entry.wa_id, category)
            notifications = [
                _payloads.status(
                    entry.id,
                    entry.wa_id,
                    state,
                    at=entry.timestamp,
                    conversation=conversation if state in ("sent", "delivered") else None,
                    category=category,
                )
                for state in self.status_lifecycle
            ]
        self._send_statuses(notifications)

    def _failure(self, entry: OutboxEntry) -> dict[str, Any] | None:
        """The error a send fails with, if any: its number's (``mark_failing``), else 470 for a
        free-form message outside the customer's window when the window is enforced (the
        sandbox takes any message)."""
        error = self.failing_numbers.get(entry.wa_id)
        if error is not None or not self.enforce_window or entry.sandbox:
            return error
        if entry.operation == _TEMPLATE_SEND or self.window_open(entry.wa_id):
            return None
        return _payloads.error(470)

    def _send_statuses(self, notifications: list[dict[str, Any]]) -> None:
        """Deliver one send's statuses as ``statuses_arrive`` says, or hold them."""
        if self._statuses_out_of_order:
            notifications = notifications[::-1]
        if self._statuses_duplicated:
            notifications = notifications + copy.deepcopy(notifications)
        with self._hold_lock:
            if self._holding:
                self._on_hold.append(notifications)
                return
        self._publish_all(notifications)
        self._notifier.enqueue(self.webhook, notifications)

    def _category(self, entry: OutboxEntry) -> str:
        """Pricing category: a template's own category, else a service conversation."""
        if entry.operation != _TEMPLATE_SEND:
            return "service"
        template = self.templates.get(entry.body["template_id"], {})
        category = str(template.get("category_id", "utility")).lower()
        return category if category in _BILLED_CATEGORIES else "utility"

    def _conversation(self, wa_id: str, category: str) -> dict[str, Any]:
        """The open conversation with ``wa_id`` in ``category``, or a new 24-hour one."""
        key = (wa_id, category)
        current = self._conversations.get(key)
        now = self.now
        if current is None or current["expiration_timestamp"] <= now:
            current = _payloads.conversation(wa_id, category, now)
            self._conversations[key] = current
        return current

    # -- the clock, the 24-hour window, how statuses arrive ----------------------------------

    @property
    def now(self) -> float:
        """The emulator's time in seconds since the epoch: real time, moved on by every
        ``advance()`` since the start (or the last ``reset()``)."""
        return time.time() + self._clock_offset

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> float:
        """Move the emulator's clock forward (``emu.advance(hours=25)``) and return the new
        ``now``. Nothing waits: later notifications carry the later timestamps, and windows
        opened before may now be closed."""
        step = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if step < timedelta(0):
            raise ValueError(f"advance: the clock only moves forward, not by {step}")
        self._clock_offset += step.total_seconds()
        return self.now

    def window_open(self, wa_id: str) -> bool:
        """Whether ``wa_id`` wrote within the last 24 hours of the emulator's clock (the
        customer service window), so that a free-form message may be sent to them."""
        last = self._last_inbound.get(wa_id.translate(_PUNCTUATION))
        return last is not None and self.now - last < _WINDOW_SECONDS

    def _note_inbound(self, notification: Mapping[str, Any]) -> None:
        """Open the window of each customer writing in ``notification``, at their message's
        timestamp (``now`` if it has none)."""
        messages = notification.get("messages")
        for message in messages if isinstance(messages, list) else ():
            sender = message.get("from") if isinstance(message, dict) else None
            if not isinstance(sender, str) or message.get("type") == "system":
                continue
            stamp = message.get("timestamp")
            at = float(stamp) if isinstance(stamp, str) and stamp.isdigit() else self.now
            wa_id = sender.translate(_PUNCTUATION)
            self._last_inbound[wa_id] = max(at, self._last_inbound.get(wa_id, at))

    def statuses_arrive(self, *, duplicated: bool = False, out_of_order: bool = False) -> None:
        """How the statuses of each send arrive from now on, as the reference warns they may.

        ``duplicated``: each status notification is delivered twice (the send's whole
        sequence, then again, so a second ``delivered`` comes after ``read``).
        ``out_of_order``: last first (``read``, ``delivered``, ``sent``). Both: read,
        delivered, sent, read, delivered, sent. ``statuses_arrive()`` goes back to once each,
        in order; so does ``reset()``.
        """
        self._statuses_duplicated = duplicated
        self._statuses_out_of_order = out_of_order

    def hold_statuses(self) -> None:
        """Keep the status notifications of sends from now on, undelivered, until
        ``release_statuses()``: a gateway late with its reports, without waiting on a clock.
        Customer messages are still delivered at once."""
        with self._hold_lock:
            self._holding = True

    def release_statuses(self) -> int:
        """Deliver every status held since ``hold_statuses()`` (each send's as
        ``statuses_arrive`` made them) and stop holding; returns how many notifications.
        ``wait_delivered()`` then waits for them."""
        with self._hold_lock:
            self._holding = False
            held, self._on_hold = self._on_hold, []
        for notifications in held:
            self._publish_all(notifications)
            self._notifier.enqueue(self.webhook, notifications)
        return sum(map(len, held))

    @property
    def statuses_on_hold(self) -> list[dict[str, Any]]:
        """The status notifications ``hold_statuses()`` is keeping, in the order they will
        go out."""
        with self._hold_lock:
            return [notification for held in self._on_hold for notification in held]

    # -- customers writing -----------------------------------------------------------------

    def _customer_sends(
        self,
        from_: str,
        kind: str,
        content: dict[str, Any],
        *,
        name: str | None,
        context: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Notify a message of ``from_``, sent now, with an id of the emulator's format."""
        return self.notify(
            _payloads.inbound(
                from_, kind, content, at=self.now, name=name, context=context, ids=self.message_ids
            )
        )

    def _context(self, context_id: str | None) -> dict[str, str] | None:
        return None if context_id is None else {"from": self.business_wa_id, "id": context_id}

    def inbound_text(
        self, from_: str, text: str, *, name: str | None = None, context_id: str | None = None
    ) -> dict[str, Any]:
        """The customer ``from_`` (profile ``name``) sends ``text``; with ``context_id`` it is
        a reply to that message. Returns the notification."""
        content = {"text": {"body": text}}
        context = self._context(context_id)
        return self._customer_sends(from_, "text", content, name=name, context=context)

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
        return self._customer_sends(from_, kind, {kind: media}, name=name)

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
        return self._customer_sends(from_, "location", content, name=name)

    def inbound_contacts(
        self, from_: str, contacts: Sequence[Mapping[str, Any]], *, name: str | None = None
    ) -> dict[str, Any]:
        """The customer shares contact cards (in the wire shape: ``name``, ``phones``, ...)."""
        content = {"contacts": [dict(card) for card in contacts]}
        return self._customer_sends(from_, "contacts", content, name=name)

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
        return self._customer_sends(
            from_, "interactive", {"interactive": reply}, name=name, context=context
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
        return self._customer_sends(from_, "button", content, name=name, context=context)
