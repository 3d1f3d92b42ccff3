"""``ivowaba receive``: a ready-made webhook endpoint that records every delivery status and
customer message into an outcome store, for those who run no server of their own; and the
recording of pulled notifications (``ivowaba webhooks pull ID --outcomes URL``).

```
ivowaba receive --port 8080 --outcomes sqlite:///campaign.db --username ivo
    # the password from $IVOWABA_WEBHOOK_PASSWORD (or --password)
```

Both record through ``Dispatcher(outcomes=store)``: a live delivery through ``create_app``, a
pulled one through ``Dispatcher.replay``, so a status is recorded the same way however it came.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from ivowaba._errors import ConfigError
from ivowaba.cli._parsing import cannot_listen, check_port
from ivowaba.cli._signals import stop_on_signals

if TYPE_CHECKING:
    from ivowaba.outcomes import OutcomeStore
    from ivowaba.types.notifications import Notification

logger = logging.getLogger("ivowaba.cli")

#: Where ``ivowaba receive`` reads the webhook password when ``--password`` is not given.
PASSWORD_ENV: Final = "IVOWABA_WEBHOOK_PASSWORD"
#: How often ``--keep-days`` prunes the store while receiving, in seconds.
PRUNE_INTERVAL: Final = 3600.0
#: How long deliveries under way get to finish once the receiver is told to stop, in seconds.
SHUTDOWN_TIMEOUT: Final = 5.0

EXIT_OK = 0
EXIT_FAILED = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``ivowaba receive``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free one")
    parser.add_argument("--path", default="/webhook", help="the webhook's path")
    parser.add_argument(
        "--outcomes",
        required=True,
        metavar="URL",
        help="the outcome store: sqlite:///campaign.db or redis://host:port/db",
    )
    parser.add_argument("--username", help="basic-auth user set on the webhook in IVOWBA")
    parser.add_argument("--password", help=f"its password (default: ${PASSWORD_ENV})")
    parser.add_argument(
        "--keep-days",
        type=float,
        metavar="DAYS",
        help="forget outcomes whose last step is older: at start, then every hour",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and request logs")


@dataclass(frozen=True)
class _Settings:
    host: str
    port: int
    path: str
    username: str | None
    password: str | None
    keep: timedelta | None

    def __repr__(self) -> str:  # never the password
        return f"_Settings(host={self.host!r}, port={self.port!r}, path={self.path!r})"


def _settings(args: argparse.Namespace) -> _Settings:
    """The options checked, before anything is opened; ``ConfigError`` naming the bad one."""
    password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV)
    password = password or None
    if args.username is not None and password is None:
        raise ConfigError(f"--username needs a password: --password or ${PASSWORD_ENV}")
    if password is not None and args.username is None:
        raise ConfigError(f"a webhook password (--password or ${PASSWORD_ENV}) needs --username")
    check_port(args.port)
    if not args.path.startswith("/"):
        raise ConfigError(f"--path must start with '/', got {args.path!r}")
    keep = None
    if args.keep_days is not None:
        if not 0 < args.keep_days < math.inf:
            raise ConfigError(f"--keep-days must be a positive number, got {args.keep_days}")
        keep = timedelta(days=args.keep_days)
    return _Settings(args.host, args.port, args.path, args.username, password, keep)


async def run_receive(args: argparse.Namespace) -> int:
    """Serve the webhook endpoint until SIGINT or SIGTERM; then finish the deliveries under way,
    close the store and return 0.

    Prints ``Receiving webhooks on <URL>`` on one line of stdout once listening (with
    ``--port 0``, the port picked). Raises ``ConfigError`` (exit 2) for bad options, a store
    that cannot be opened or reached, or an address it cannot listen on.
    """
    settings = _settings(args)
    # Listening first: a busy port must not leave a new, empty store file behind (a later
    # `bulk --outcomes` would take it for a real one).
    listening = _listen(settings.host, settings.port)
    try:
        await _record(args, settings, listening)
    finally:
        listening.close()
    return EXIT_OK


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``; ``ConfigError`` when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise cannot_listen(host, port, exc) from None


async def _record(args: argparse.Namespace, settings: _Settings, listening: socket.socket) -> None:
    from ivowaba._config import redact_url
    from ivowaba.outcomes import open_store
    from ivowaba.outcomes._open import require_reachable

    store = open_store(args.outcomes)
    try:
        await require_reachable(store, args.outcomes)
        if settings.keep is not None:
            removed = await store.prune(settings.keep)
            print(
                f"pruned {removed} outcomes whose last step is older than {args.keep_days:g} days",
                file=sys.stderr,
                flush=True,
            )
        await _serve(store, settings, redact_url(args.outcomes), listening)
    finally:
        await store.aclose()


async def _serve(
    store: OutcomeStore, settings: _Settings, shown_url: str, listening: socket.socket
) -> None:
    from aiohttp import web

    from ivowaba.webhooks import Dispatcher, create_app

    app = create_app(
        Dispatcher(outcomes=store),
        username=settings.username,
        password=settings.password,
        path=settings.path,
    )
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    try:
        await web.SockSite(runner, listening).start()
        url = _url(settings.host, runner.addresses[0][1], settings.path)
        print(f"Receiving webhooks on {url}", flush=True)
        print(f"  recording into {shown_url}; Ctrl-C to stop.", file=sys.stderr, flush=True)
        pruning = None
        if settings.keep is not None:
            pruning = asyncio.create_task(_prune_every(store, settings.keep))
        try:
            with stop_on_signals() as stopped:
                await stopped.wait()
        finally:
            if pruning is not None:
                pruning.cancel()
    finally:
        await runner.cleanup()


def _url(host: str, port: int, path: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


async def _prune_every(store: OutcomeStore, keep: timedelta) -> None:
    while True:
        await asyncio.sleep(PRUNE_INTERVAL)
        try:
            removed = await store.prune(keep)
        except Exception:
            logger.exception("pruning the outcome store failed; trying again in an hour")
        else:
            logger.info("pruned %d outcomes older than %s", removed, keep)


# -- pulled notifications ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_pulled` recorded, and what it could not."""

    statuses: int
    messages: int
    failed: list[tuple[Notification, Exception]]

    def summary(self, shown_url: str) -> str:
        return (
            f"recorded {self.statuses} statuses and {self.messages} inbound messages "
            f"into {shown_url}"
        )


async def record_pulled(store: OutcomeStore, notifications: Iterable[Notification]) -> Recorded:
    """Record pulled notifications into ``store`` as a live delivery would be
    (``Dispatcher(outcomes=store).replay``); counts the statuses (of the statuses a store
    ranks) and inbound messages of those recorded."""
    from ivowaba.outcomes import STATUS_RANK
    from ivowaba.webhooks import Dispatcher

    pulled = list(notifications)
    result = await Dispatcher(outcomes=store).replay(pulled)
    not_recorded = {id(notification) for notification, _ in result.failed}
    recorded = [n for n in pulled if id(n) not in not_recorded]
    return Recorded(
        statuses=sum(1 for n in recorded for s in n.statuses if s.status in STATUS_RANK),
        messages=sum(len(n.messages) for n in recorded),
        failed=result.failed,
    )
