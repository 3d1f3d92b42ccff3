"""The web phone's index of the emulator: one conversation per customer number, its messages
both ways in order, each outbound message's delivery status, and unread counts.

``Chats`` is kept up to date from the state's changes (``_live``) and read by the control API
a page at a time, so that a page with 10,000 messages only ever handles what it shows. It is
plain data behind one lock: changes come from any thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ivowaba.testing._records import OutboxEntry

#: Outbound statuses in the order a message goes through them; a late or repeated status
#: never moves a message back. ``failed`` ends it whatever came before.
STATUS_ORDER: Final = ("accepted", "sent", "delivered", "read")
_RANK: Final = {status: rank for rank, status in enumerate(STATUS_ORDER)}

#: The kind of bubble each send makes (``send_media`` makes its own ``type``'s).
SEND_KINDS: Final = {
    "messages.send_text": "text",
    "messages.send_template": "template",
    "messages.send_location": "location",
    "messages.send_contacts": "contacts",
    "messages.send_reply_buttons": "buttons",
    "messages.send_list": "list",
    "messages.send_product": "product",
    "messages.send_product_list": "product_list",
    "messages.send_flow": "flow",
}
_MEDIA_SEND: Final = "messages.send_media"


def send_kind(entry: OutboxEntry) -> str:
    """The bubble kind of an accepted send: ``text``, ``template``, ``image``, ..."""
    if entry.operation == _MEDIA_SEND:
        return str(entry.body.get("type", "document"))
    return SEND_KINDS.get(entry.operation, "unknown")


@dataclass(slots=True)
class Bubble:
    """One message of a conversation. ``content`` is what was sent (the send's body) or
    received (the inbound message object)."""

    id: str
    wa_id: str
    outbound: bool
    at: float
    kind: str
    content: dict[str, Any]
    status: str
    error: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "wa_id": self.wa_id,
            "outbound": self.outbound,
            "at": self.at,
            "kind": self.kind,
            "content": self.content,
            "status": self.status,
            "error": self.error,
        }


@dataclass(slots=True)
class Chat:
    """One customer's conversation."""

    wa_id: str
    name: str | None = None
    bubbles: list[Bubble] = field(default_factory=list)
    #: Outbound messages the customer has not looked at (``seen``).
    unread: int = 0
    #: Order of the last activity across all chats: the list shows the highest first.
    activity: int = 0

    def summary(self) -> dict[str, Any]:
        last = self.bubbles[-1] if self.bubbles else None
        return {
            "wa_id": self.wa_id,
            "name": self.name,
            "unread": self.unread,
            "count": len(self.bubbles),
            "activity": self.activity,
            "last": None if last is None else last.as_json(),
        }


class Chats:
    """Every conversation, its messages, and where each outbound message got to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._chats: dict[str, Chat] = {}
            self._bubbles: dict[str, Bubble] = {}
            self._activity = 0

    def _chat(self, wa_id: str) -> Chat:
        chat = self._chats.get(wa_id)
        if chat is None:
            chat = self._chats[wa_id] = Chat(wa_id)
        return chat

    def _add(self, bubble: Bubble) -> Chat | None:
        """Add ``bubble`` (once: a second copy of the same id is ignored)."""
        if bubble.id in self._bubbles:
            return None
        chat = self._chat(bubble.wa_id)
        chat.bubbles.append(bubble)
        self._bubbles[bubble.id] = bubble
        self._activity += 1
        chat.activity = self._activity
        if bubble.outbound:
            chat.unread += 1
        return chat

    # -- changes ---------------------------------------------------------------------------

    def add_sent(self, entry: OutboxEntry) -> Bubble | None:
        """An accepted send: its bubble (``None`` if it is known already)."""
        bubble = Bubble(
            id=entry.id,
            wa_id=entry.wa_id,
            outbound=True,
            at=entry.timestamp,
            kind=send_kind(entry),
            content={k: v for k, v in entry.body.items() if k != "wa_id"},
            status="accepted",
        )
        with self._lock:
            return None if self._add(bubble) is None else bubble

    def add_notification(
        self, notification: Mapping[str, Any]
    ) -> tuple[list[Bubble], list[Bubble]]:
        """A notification's customer messages (the new bubbles) and statuses (the outbound
        bubbles whose status moved)."""
        names = {
            contact.get("wa_id"): (contact.get("profile") or {}).get("name")
            for contact in _dicts(notification.get("contacts"))
        }
        added: list[Bubble] = []
        moved: list[Bubble] = []
        with self._lock:
            for message in _dicts(notification.get("messages")):
                bubble = _inbound_bubble(message)
                if bubble is None:
                    continue
                chat = self._add(bubble)
                if chat is not None:
                    chat.name = names.get(bubble.wa_id) or chat.name
                    added.append(bubble)
            for status in _dicts(notification.get("statuses")):
                bubble = self._bubbles.get(str(status.get("id")))
                if bubble is not None and bubble.outbound and _moves(bubble, status):
                    moved.append(bubble)
        return added, moved

    def load(
        self, entries: Iterable[OutboxEntry], notifications: Iterable[Mapping[str, Any]]
    ) -> None:
        """What happened before this index was made (an emulator started again): each
        conversation in time order, the most recent conversation last active. A customer's
        message carries whole seconds, so within a second it comes before the bot's."""
        for entry in entries:
            self.add_sent(entry)
        for notification in notifications:
            self.add_notification(notification)
        with self._lock:
            for chat in self._chats.values():
                chat.bubbles.sort(key=lambda bubble: bubble.at)
            by_time = sorted(self._chats.values(), key=lambda chat: chat.bubbles[-1].at)
            for activity, chat in enumerate(by_time, start=1):
                chat.activity = activity
            self._activity = len(by_time)

    def summary(self, wa_id: str) -> dict[str, Any] | None:
        """A conversation's summary: number, name, unread count, its last message."""
        with self._lock:
            chat = self._chats.get(wa_id)
            return None if chat is None else chat.summary()

    def seen(self, wa_id: str) -> dict[str, Any] | None:
        """The customer looked at the conversation: nothing in it is unread any more."""
        with self._lock:
            chat = self._chats.get(wa_id)
            if chat is None:
                return None
            chat.unread = 0
            return chat.summary()

    # -- reading, a page at a time ---------------------------------------------------------

    def page(self, offset: int, limit: int) -> dict[str, Any]:
        """Conversations, the most recently active first."""
        with self._lock:
            ordered = sorted(self._chats.values(), key=lambda chat: -chat.activity)
            chats = [chat.summary() for chat in ordered[offset : offset + limit]]
            return {"total": len(ordered), "offset": offset, "chats": chats}

    def messages(
        self, wa_id: str, before: int | None, limit: int
    ) -> tuple[dict[str, Any] | None, list[Bubble], int | None]:
        """A conversation's summary (``None`` for a number with none) and up to ``limit`` of
        its messages, oldest first, ending before position ``before`` (the newest when
        ``None``); then where the previous page ends (``None`` at the start)."""
        with self._lock:
            chat = self._chats.get(wa_id)
            if chat is None:
                return None, [], None
            end = len(chat.bubbles) if before is None else min(before, len(chat.bubbles))
            start = max(0, end - limit)
            return chat.summary(), chat.bubbles[start:end], start or None

    def bubble(self, message_id: str) -> Bubble | None:
        """A message by its id, if the index has it."""
        with self._lock:
            return self._bubbles.get(message_id)


def _dicts(value: Any) -> Iterable[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _inbound_bubble(message: Mapping[str, Any]) -> Bubble | None:
    sender, message_id = message.get("from"), message.get("id")
    if not isinstance(sender, str) or not isinstance(message_id, str):
        return None
    stamp = message.get("timestamp")
    return Bubble(
        id=message_id,
        wa_id=sender,
        outbound=False,
        at=float(stamp) if isinstance(stamp, str) and stamp.isdigit() else 0.0,
        kind=str(message.get("type", "unknown")),
        content=dict(message),
        status="received",
    )


def _moves(bubble: Bubble, status: Mapping[str, Any]) -> bool:
    """Apply a status to an outbound bubble; whether it changed."""
    state = status.get("status")
    if bubble.status == "failed":
        return False
    if state == "failed":
        errors = list(_dicts(status.get("errors")))
        bubble.status = "failed"
        bubble.error = dict(errors[0]) if errors else None
        return True
    if state in _RANK and _RANK[str(state)] > _RANK[bubble.status]:
        bubble.status = str(state)
        return True
    return False
