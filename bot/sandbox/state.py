"""Everything the sandbox remembers, in memory, with no aiogram and no HTTP.

Two clocks drive it. ``update_id`` numbers what the bot receives (getUpdates, webhook). ``seq``
numbers every change a person could see in a chat (a message, an edit, a deletion, a callback
answer, "typing…", blocking), so that tests and the chat page can ask "what changed after N?" and
wait for it without sleeping: every change sets an asyncio event that waiters are parked on.

All state lives in one event loop; the sandbox is not thread-safe and does not need to be.
"""

from __future__ import annotations

import asyncio
import copy
import time
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.files import FileStore

ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# What a bot receives when it never said otherwise (Telegram's documented default).
DEFAULT_UPDATE_TYPES = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

CALLS_KEPT = 10_000  # recorded API calls kept, oldest forgotten first
PENDING_KEPT = 10_000  # updates kept for a bot that does not poll (Telegram keeps 24 hours)

# Kinds of chat events; only "new" and "edit" carry a message snapshot.
NEW, EDIT, DELETE, ANSWER, ACTION, BLOCK = "new", "edit", "delete", "answer", "action", "block"


def now() -> int:
    """Unix seconds, the Bot API's unit of time."""
    return int(time.time())


@dataclass
class StoredMessage:
    """A message in a chat: its current Bot API JSON and the seq of its last change."""

    message_id: int
    by_bot: bool
    data: dict[str, Any]
    seq: int
    deleted: bool = False

    def view(self) -> dict[str, Any]:
        """A copy for callers, with ``seq`` added so they can wait for what comes after it."""
        return {**copy.deepcopy(self.data), "seq": self.seq}


@dataclass
class ChatEvent:
    """One visible change in a chat, with the message as it was right after the change."""

    seq: int
    kind: str
    by_bot: bool
    message_id: int | None = None
    snapshot: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None


@dataclass
class ChatState:
    """A private chat between the bot and one person (chat id == user id)."""

    user: dict[str, Any]
    started: bool = False  # the person wrote to the bot at least once: the bot may now write
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None
    last_action: tuple[str, float] | None = None

    @property
    def chat_id(self) -> int:
        return int(self.user["id"])

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackRecord:
    """A button press the bot has been told about, and its answer once the bot gives one."""

    id: str
    user_id: int
    message_id: int
    data: str
    answers: list[dict[str, Any]] = field(default_factory=list)


class SandboxState:
    """The whole in-memory world: chats, files, pending updates, settings, recorded calls."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self._changed_loop: asyncio.AbstractEventLoop | None = None
        # Counters only ever grow, even across clear(): the bot confirms updates by offset,
        # and pages and tests wait for "seq after N".
        self.seq = 0
        self.last_update_id = 0
        self.poll_generation = 0  # getUpdates calls so far (/control/info "polls")
        self.closing = False
        # The bot's own configuration, kept by clear().
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.allowed_updates_explicit: list[str] | None = None
        self.webhook: Webhook | None = None
        self.commands: dict[tuple[tuple[str, str, int], str], list[dict[str, Any]]] = {}
        self._callback_counter = 0
        self._media_group_counter = 0
        self.clear()

    def clear(self) -> None:
        """Forget conversations, files, pending updates, recorded calls and injected faults.

        The bot's configuration (webhook, commands) and the counters stay, so a
        running bot carries on unaware, as it would with a fresh set of users.
        """
        self.chats: dict[int, ChatState] = {}
        self.files = FileStore()
        self.updates: deque[dict[str, Any]] = deque()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.calls_log: deque[dict[str, Any]] = deque(maxlen=CALLS_KEPT)
        self.failures: dict[str, deque[tuple[int, str, int | None]]] = {}
        self.delays: dict[str, deque[tuple[float, bool]]] = {}
        self.notify()

    # --- waiting -------------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake everyone waiting for a change; later waiters park on a fresh event."""
        self._changed.set()
        self._changed = asyncio.Event()

    def change_event(self) -> asyncio.Event:
        """The event the next change will set; take it synchronously right after checking
        your condition, so a change can never slip between the check and the wait."""
        loop = asyncio.get_running_loop()
        if self._changed_loop is not loop:
            # an Event is bound to the loop it was first awaited in; tests may switch loops
            self._changed_loop = loop
            self._changed = asyncio.Event()
        return self._changed

    async def wait_changed(self, timeout: float) -> bool:
        """Wait until the next change, at most ``timeout`` seconds; False on timeout.

        Callers check their condition first and call this without awaiting anything in
        between, so a change can never slip between the check and the wait.
        """
        if timeout <= 0:
            return False
        return await wait_event(self.change_event(), timeout)

    # --- chats and messages --------------------------------------------------------------------

    def chat(self, user_id: int) -> ChatState | None:
        return self.chats.get(user_id)

    def ensure_chat(self, user: dict[str, Any]) -> ChatState:
        chat = self.chats.get(user["id"])
        if chat is None:
            chat = self.chats[user["id"]] = ChatState(user=dict(user))
        else:
            chat.user = dict(user)
        return chat

    def record(
        self,
        chat: ChatState,
        kind: str,
        *,
        by_bot: bool,
        message_id: int | None = None,
        snapshot: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> ChatEvent:
        """Append a visible change to the chat with the next seq, and wake waiters."""
        self.seq += 1
        event = ChatEvent(
            seq=self.seq,
            kind=kind,
            by_bot=by_bot,
            message_id=message_id,
            snapshot=copy.deepcopy(snapshot) if snapshot is not None else None,
            extra=extra,
        )
        chat.events.append(event)
        self.notify()
        return event

    def add_message(self, chat: ChatState, data: dict[str, Any], *, by_bot: bool) -> StoredMessage:
        stored = StoredMessage(
            message_id=int(data["message_id"]), by_bot=by_bot, data=data, seq=self.seq + 1
        )
        chat.messages[stored.message_id] = stored
        self.record(chat, NEW, by_bot=by_bot, message_id=stored.message_id, snapshot=data)
        return stored

    def replace_message(self, chat: ChatState, stored: StoredMessage, data: dict[str, Any]) -> None:
        stored.data = data
        stored.seq = self.seq + 1
        self.record(chat, EDIT, by_bot=stored.by_bot, message_id=stored.message_id, snapshot=data)

    def delete_message(self, chat: ChatState, stored: StoredMessage) -> None:
        stored.deleted = True
        stored.seq = self.seq + 1
        self.record(chat, DELETE, by_bot=stored.by_bot, message_id=stored.message_id)

    def live_message(self, chat: ChatState, message_id: int) -> StoredMessage | None:
        stored = chat.messages.get(message_id)
        return None if stored is None or stored.deleted else stored

    def events_after(self, chat: ChatState, seq: int) -> list[ChatEvent]:
        # events are in seq order: a binary search for the first one after seq
        return chat.events[bisect_right(chat.events, seq, key=lambda e: e.seq) :]

    def new_callback_id(self) -> str:
        self._callback_counter += 1
        return f"{4_400_000_000_000_000_000 + self._callback_counter}"

    def new_media_group_id(self) -> str:
        self._media_group_counter += 1
        return f"{13_900_000_000_000_000 + self._media_group_counter}"

    # --- updates -------------------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update for the bot unless the bot asked not to receive this kind."""
        if kind not in self.allowed_updates:
            return None
        self.last_update_id += 1
        update = {"update_id": self.last_update_id, kind: copy.deepcopy(payload)}
        self.updates.append(update)
        if len(self.updates) > PENDING_KEPT:  # nobody is receiving: forget the oldest
            self.updates.popleft()
        self.notify()
        return update

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """``None`` keeps the previous setting; an empty list restores the default."""
        if allowed is None:
            return
        self.allowed_updates_explicit = list(allowed) or None
        self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES

    def confirm(self, offset: int | None) -> None:
        """getUpdates' ``offset``: forget what the bot confirmed (negative: keep the last -n)."""
        if offset is None:
            return
        if offset < 0:
            while len(self.updates) > -offset:
                self.updates.popleft()
        else:
            while self.updates and self.updates[0]["update_id"] < offset:
                self.updates.popleft()

    def drop_pending(self) -> None:
        self.updates.clear()

    # --- recorded calls and injected failures --------------------------------------------------

    def next_failure(self, method: str) -> tuple[int, str, int | None] | None:
        queue = self.failures.get(method.lower())
        return queue.popleft() if queue else None

    def next_delay(self, method: str) -> tuple[float, bool] | None:
        queue = self.delays.get(method.lower())
        return queue.popleft() if queue else None


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """True when ``event`` is set within ``timeout`` seconds, False otherwise."""
    if timeout <= 0:
        return False
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True
