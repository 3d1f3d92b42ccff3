"""``Emulator``: a local IVOWBA server with state a test can read and script.

The emulator is three parts: its state and every change to it (``_state.State``, which
``Emulator`` is), its HTTP front (``_server.build_app``), and here its lifecycle: serving on
the caller's event loop (``async with``), or from a thread of its own (``start()``/``stop()``,
on the client's ``LoopRunner``).
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiohttp import web

from ivowaba._runner import LoopRunner
from ivowaba.testing._cloud import message_ids, wire_shape
from ivowaba.testing._control import page_url
from ivowaba.testing._notifications import Notifier
from ivowaba.testing._server import build_app
from ivowaba.testing._state import State


class Emulator(State):
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
      POST given this long; then it is held for "Pull pending notification". Inside
      ``no_backoff()`` the attempts follow each other at once.
    - ``latency``: seconds added before every answer.
    - ``per_page``: templates per page of the template listings.
    - ``record``: keep every request in ``requests`` and every accepted send in ``outbox``.
      Turn it off for long benchmarks to keep memory flat; ``request_count`` and
      ``sent_count`` still count them.
    - ``enforce_window``: play WhatsApp's 24-hour customer service window. Each message a
      customer sends (``inbound_text``, ``inbound_media``, ...) opens their window; a
      free-form (any non-template) send to a number whose window is closed (who never wrote,
      or last wrote 24 hours ago or more) is accepted, then notified ``failed`` with 470, as
      the gateway does. Templates always go; so does anything in the sandbox.
    - ``template_review_delay``: seconds of its clock WhatsApp's review of a proposed template
      takes (also settable later). Until then the template is ``submitted``; then it is
      ``approved``, or ``rejected`` with a ``rejected_reason`` when it breaks one of the rules
      ``templates.lint`` checks. ``0`` decides at the next read; ``advance()`` gets there
      without waiting.
    - ``webhook_format``: ``"reference"`` (the default) posts notifications in the
      reference's format; ``"cloud"`` posts the same ones in the WhatsApp Cloud API envelope
      (``{"object": "whatsapp_business_account", "entry": [...]}``, with ``metadata`` and
      per-message ``pricing``), as gateways do since the On-Premises API's end, and names
      every message, sent or received, with a ``wamid.`` id.
      ``delivered``, ``pending`` and ``delivery_attempts`` keep the reference's format.

    What it holds: ``outbox`` (each accepted send), ``requests`` (everything received),
    ``templates`` (seeded with the reference's two), ``media``, ``business_profile``,
    ``about``, ``photo``, ``webhooks``, ``read_receipts``; ``delivered`` and ``pending``
    notifications; ``max_in_flight``, the most requests it answered at once. ``reset()``
    brings all of it back to the start.

    Its clock: ``now`` is real time until ``advance(hours=25)`` moves it on (no test waits);
    every timestamp in a notification and every window go by it. Statuses the way the
    reference warns they can come: ``mark_failing(wa_id, code=480)`` (failed with any code),
    ``statuses_arrive(duplicated=True, out_of_order=True)``, and ``hold_statuses()`` until
    ``release_statuses()``.

    Its web phone: open ``page_url`` in a browser to see every conversation as the customer
    does, answer as the customer, and script faults; the JSON control API it uses is under
    ``/_emulator/`` (``ivowaba.testing._control`` lists it).

    The reference's example requests name a few things it never shows (template ``"aut"``,
    media ``f043afd0-...``, webhook ``60243665...``): ``seed_reference_examples()`` adds them,
    so each example request succeeds as written.
    """

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
        enforce_window: bool = False,
        template_review_delay: float = 1.0,
        webhook_format: str = "reference",
    ) -> None:
        notifier = Notifier(
            attempts=delivery_attempts,
            backoff=delivery_backoff,
            timeout=delivery_timeout,
            delay=delivery_delay,
            to_wire=wire_shape(webhook_format, display_phone_number=State.business_wa_id),
        )
        self._webhook_format = webhook_format
        super().__init__(
            api_key,
            webhook=(webhook_url, webhook_username, webhook_password),
            notifier=notifier,
            latency=latency,
            per_page=per_page,
            record=record,
            enforce_window=enforce_window,
            template_review_delay=template_review_delay,
            message_ids=message_ids(webhook_format),
        )
        self.host = host
        self.port = port
        self._site: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_runner: LoopRunner | None = None

    @property
    def webhook_format(self) -> str:
        """The shape notifications are posted in: ``"reference"`` or ``"cloud"``, as made
        (fixed for the emulator's life: ``reset()`` has nothing to restore)."""
        return self._webhook_format

    # -- running ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._site is not None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: give it to a client as its ``base_url``."""
        if self._site is None:
            raise RuntimeError("the emulator is not running: start it first")
        return f"http://{self.host}:{self.port}"

    @property
    def page_url(self) -> str:
        """The web phone's URL (``base_url`` + ``/``): every conversation as the customer
        sees it, a composer to answer as the customer, and a panel for the emulator. Bound
        beyond 127.0.0.1, it carries the token the page asks for there."""
        return page_url(self.base_url, host=self.host, api_key=self.api_key)

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
        if self.running or self._loop_runner is not None:
            raise RuntimeError("the emulator is already running")
        self._loop_runner = LoopRunner(
            on_start=self._start, on_stop=self._stop, name="ivowaba-emulator"
        )
        return self

    def stop(self) -> None:
        """Stop serving (blocking); undelivered notifications are dropped."""
        runner, self._loop_runner = self._loop_runner, None
        if runner is None:
            if self.running:
                raise RuntimeError("started with 'async with': it stops when the block ends")
            return
        runner.close()

    async def _start(self) -> None:
        if self.running:
            raise RuntimeError("the emulator is already running")
        app = build_app(self, host=self.host)
        site = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await site.setup()
        try:
            await web.TCPSite(site, self.host, self.port).start()
            await self.open_deliveries()
        except BaseException:
            await site.cleanup()
            raise
        self.port = site.addresses[0][1]
        self._loop = asyncio.get_running_loop()
        self._site = site

    async def _stop(self) -> None:
        site, self._site = self._site, None
        if site is not None:
            await site.cleanup()
        await self.close_deliveries()
        self._loop = None

    # -- waiting for notifications ---------------------------------------------------------

    async def wait_delivered(self, timeout: float = 5.0) -> None:
        """Wait until every notification so far is delivered or held (from any event loop).

        Raises ``TimeoutError`` when deliveries are still going on after ``timeout`` seconds.
        """
        loop = self._require_loop()
        settle = self.settle_deliveries(timeout)
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
        future = asyncio.run_coroutine_threadsafe(self.settle_deliveries(timeout), loop)
        future.result()

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the emulator is not running")
        return self._loop
