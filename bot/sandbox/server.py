"""The sandbox: a Bot API server plus the people on the other side of the chats.

``Sandbox.app`` is an ASGI app serving the Bot API (``/bot<token>/...``), file downloads
(``/file/bot<token>/...``), the control endpoints (``/control/...``) and the web chat page
(``/chat``). The Python methods of :class:`Sandbox` are what a person does in Telegram (write,
press a button, send files, block the bot) and what a test needs to observe (the chat as the
person sees it, the calls the bot made), with waits that return as soon as the bot acts.

Everything runs in one event loop. No lifespan is needed, so the app can be mounted anywhere;
call :meth:`Sandbox.aclose` on shutdown to end long polls and webhook delivery promptly.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from bot.sandbox import api, control, page, shapes
from bot.sandbox.htmltext import TEXT_LIMIT, detect_entities, utf16_len
from bot.sandbox.state import (
    BLOCK,
    EDIT,
    NEW,
    CallbackRecord,
    ChatState,
    SandboxState,
    now,
)
from bot.sandbox.webhook import WebhookDelivery

log = logging.getLogger("cchc.sandbox")

ALBUM_LIMIT = 10


class Persona(TypedDict, total=False):
    """Someone a visitor of the chat page can be: ``user_id``, ``name``, ``hint`` (required),
    and optionally ``language_code``."""

    user_id: int
    name: str
    hint: str
    language_code: str


PersonasProvider = Callable[[], Awaitable[list[Persona]]]

DEFAULT_PERSONAS: list[Persona] = [
    {"user_id": 700_000_000 + n, "name": f"Người dùng thử {n}", "hint": "/start"} for n in (1, 2, 3)
]


class Sandbox:
    """An in-memory Telegram for one bot: its Bot API, its users, and a web chat page."""

    def __init__(
        self,
        token: str = "123456:SANDBOX",
        bot_username: str = "cchc_sandbox_bot",
        *,
        bot_name: str = "Chỉ số CCHC (thử nghiệm)",
        personas_provider: PersonasProvider | None = None,
        webhook_retry_delays: tuple[float, ...] = (0.1, 0.5, 1.0),
        webhook_timeout: float = 10.0,
        max_download_size: int = 20 * 1024 * 1024,
    ) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 1
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.personas_provider = personas_provider
        self.max_download_size = max_download_size
        self.bot_user = shapes.bot_user(self.bot_id, bot_name, bot_username)
        self.bot_user_full = shapes.bot_user(self.bot_id, bot_name, bot_username, full=True)
        self.state = SandboxState()
        self.delivery = WebhookDelivery(
            self,
            retry_delays=webhook_retry_delays,
            timeout=webhook_timeout,
        )
        self.app = Starlette(
            routes=[
                *api.routes(self),
                Mount("/control", routes=control.routes(self)),
                Route("/chat", page.endpoint(self), methods=["GET"]),
                Route("/", self._home, methods=["GET"]),
            ]
        )

    async def _home(self, request: Request) -> Response:
        return RedirectResponse("chat", status_code=307)

    async def aclose(self) -> None:
        """End waiting long polls and stop webhook delivery (call on shutdown)."""
        self.state.closing = True
        self.state.notify()
        await self.delivery.aclose()

    def reset(self) -> None:
        """Forget people, chats, files, pending updates, calls and faults; keep the bot's
        configuration (webhook, commands) and the counters, so a running bot is unaffected."""
        self.state.clear()

    # --- people --------------------------------------------------------------------------------

    async def personas(self) -> list[Persona]:
        """Who the chat page offers; the app's provider, or three generic users."""
        if self.personas_provider is None:
            return list(DEFAULT_PERSONAS)
        try:
            return list(await self.personas_provider())
        except Exception:  # the page must open even when the app's data is unavailable
            log.exception("sandbox personas provider failed; showing generic users")
            return list(DEFAULT_PERSONAS)

    def _person(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> ChatState:
        """The person's chat, created or refreshed with their current profile."""
        known = self.state.chat(user_id)
        old = known.user if known else {}
        user = shapes.person(
            user_id,
            first_name or old.get("first_name") or f"Người dùng {user_id}",
            last_name=last_name or old.get("last_name"),
            username=username or old.get("username"),
            language_code=language_code or old.get("language_code") or "vi",
        )
        return self.state.ensure_chat(user)

    def _write(self, chat: ChatState, fields: dict[str, Any]) -> dict[str, Any]:
        """A message from the person to the bot: into the chat, and an update for the bot."""
        if chat.blocked:
            self._set_blocked(chat, False)  # writing to a blocked bot restarts it, as in Telegram
        chat.started = True
        data = shapes.message(
            {
                "message_id": chat.take_message_id(),
                "from": chat.user,
                "chat": shapes.private_chat(chat.user),
                "date": now(),
                **{k: v for k, v in fields.items() if v is not None},
            }
        )
        stored = self.state.add_message(chat, data, by_bot=False)
        self.state.push_update("message", data)
        self._kick()
        return stored.view()

    def _kick(self) -> None:
        # without a running loop, delivery starts with the next call made in one
        with contextlib.suppress(RuntimeError):
            self.delivery.kick()

    async def send_text(
        self,
        user_id: int,
        text: str,
        first_name: str | None = None,
        language_code: str = "vi",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """The person types ``text`` (e.g. "/start CODE") and sends it; returns their message."""
        text = text.strip()
        if not text:
            raise ValueError("a Telegram message cannot be empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise ValueError(f"a Telegram message has at most {TEXT_LIMIT} characters")
        chat = self._person(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return self._write(chat, {"text": text, "entities": detect_entities(text) or None})

    async def press(
        self, user_id: int, message_id: int, data: str, *, strict: bool = True
    ) -> dict[str, Any]:
        """The person presses the inline button with callback ``data`` under a bot message.

        With ``strict`` (default) the button must be on the message as it is now, as in a real
        client; ``strict=False`` forges any data, as a modified client could.
        Returns the callback query the bot receives.
        """
        chat = self.state.chat(user_id)
        stored = self.state.live_message(chat, message_id) if chat else None
        if chat is None or stored is None or not stored.by_bot:
            raise LookupError(f"no bot message {message_id} in the chat of {user_id}")
        if strict:
            rows = stored.data.get("reply_markup", {}).get("inline_keyboard", [])
            offered = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
            if data not in offered:
                raise LookupError(
                    f"message {message_id} has no button with data {data!r}; it has {offered}"
                )
        query_id = self.state.new_callback_id()
        self.state.callbacks[query_id] = CallbackRecord(query_id, user_id, message_id, data)
        query = shapes.callback_query(query_id, chat.user, stored.data, data)
        self.state.push_update("callback_query", query)
        self._kick()
        return query

    async def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        media_group_id: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The person sends a file "as a file"; name and MIME type are what their client says."""
        chat = self._person(user_id)
        stored = self.state.files.add(
            content, kind="document", file_name=filename, mime_type=mime_type
        )
        return self._write(
            chat,
            {
                "document": shapes.document(stored),
                "media_group_id": media_group_id,
                **self._caption(caption),
            },
        )

    async def send_photo(
        self,
        user_id: int,
        content: bytes,
        media_group_id: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The person sends a picture as a (compressed) photo: the bot gets PhotoSize list."""
        chat = self._person(user_id)
        sizes = self.state.files.add_photo(content)
        return self._write(
            chat,
            {
                "photo": shapes.photo_sizes(sizes),
                "media_group_id": media_group_id,
                **self._caption(caption),
            },
        )

    async def send_album(
        self,
        user_id: int,
        files: list[tuple[str, bytes, str]],
        *,
        caption: str | None = None,
        as_photos: bool = False,
    ) -> list[dict[str, Any]]:
        """The person sends several files at once: (filename, content, mime_type) each.

        Like Telegram, up to ten items share one ``media_group_id`` and arrive as separate
        messages (and updates); more items make several albums; the caption goes on the first.
        """
        sent: list[dict[str, Any]] = []
        for start in range(0, len(files), ALBUM_LIMIT):
            chunk = files[start : start + ALBUM_LIMIT]
            group = self.state.new_media_group_id() if len(chunk) > 1 else None
            for filename, content, mime_type in chunk:
                text = caption if not sent else None
                if as_photos:
                    sent.append(await self.send_photo(user_id, content, group, text))
                else:
                    sent.append(
                        await self.send_document(user_id, filename, content, mime_type, group, text)
                    )
        return sent

    @staticmethod
    def _caption(caption: str | None) -> dict[str, Any]:
        caption = (caption or "").strip()
        if not caption:
            return {}
        return {"caption": caption, "caption_entities": detect_entities(caption) or None}

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """The person blocks (or unblocks) the bot: sends then fail with 403, and the bot is
        told through a ``my_chat_member`` update, as Telegram does."""
        self._set_blocked(self._person(user_id), blocked)
        self._kick()

    def _set_blocked(self, chat: ChatState, blocked: bool) -> None:
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        self.state.record(chat, BLOCK, by_bot=False, extra={"blocked": blocked})
        if chat.started:
            update = shapes.blocked_update(chat.user, self.bot_user, blocked=blocked, date=now())
            self.state.push_update("my_chat_member", update)

    def is_blocked(self, user_id: int) -> bool:
        chat = self.state.chat(user_id)
        return bool(chat and chat.blocked)

    # --- what tests and the page observe -------------------------------------------------------

    @property
    def seq(self) -> int:
        """The sequence number of the latest visible change; wait for what comes after it."""
        return self.state.seq

    def chat(self, user_id: int) -> list[dict[str, Any]]:
        """The chat as the person sees it now: both sides in order, bot messages with their
        current text and keyboard, deleted messages gone. Each has ``seq`` (its last change)."""
        chat = self.state.chat(user_id)
        if chat is None:
            return []
        return [m.view() for m in chat.messages.values() if not m.deleted]

    def bot_messages(self, user_id: int) -> list[dict[str, Any]]:
        return [m for m in self.chat(user_id) if m["from"]["is_bot"]]

    def reply_keyboard(self, user_id: int) -> dict[str, Any] | None:
        """The reply keyboard the bot last showed this person (None once removed)."""
        chat = self.state.chat(user_id)
        return copy.deepcopy(chat.reply_keyboard) if chat else None

    def callback_answers(self, user_id: int | None = None) -> list[dict[str, Any]]:
        """answerCallbackQuery calls for button presses, in order, with the press they answer."""
        return [
            {"callback_query_id": rec.id, "message_id": rec.message_id, "data": rec.data, **a}
            for rec in self.state.callbacks.values()
            if user_id is None or rec.user_id == user_id
            for a in rec.answers
        ]

    async def wait_for_bot_message(
        self,
        user_id: int,
        *,
        after: int = 0,
        timeout: float = 10,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """The first bot message or edit in this chat with ``seq`` > ``after``, as it was then.

        Pass ``after=message["seq"]`` of what the person just sent (or ``sandbox.seq``) and the
        call returns as soon as the bot answers; an edit in place (``edit_date`` set) counts.
        ``predicate`` skips changes until one matches. Raises TimeoutError listing the chat.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            chat = self.state.chat(user_id)
            for event in self.state.events_after(chat, after) if chat else []:
                if event.by_bot and event.kind in (NEW, EDIT) and event.snapshot is not None:
                    found = {**copy.deepcopy(event.snapshot), "seq": event.seq}
                    if predicate is None or predicate(found):
                        return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._describe_wait(user_id, after, timeout))
            await self.state.wait_changed(remaining)

    def _describe_wait(self, user_id: int, after: int, timeout: float) -> str:
        lines = [f"no bot message for {user_id} after seq {after} within {timeout}s; chat:"]
        for msg in self.chat(user_id)[-8:]:
            who = "bot" if msg.get("from", {}).get("is_bot") else "user"
            body = msg.get("text") or msg.get("caption") or ("<file>" if "document" in msg else "")
            lines.append(f"  [{msg['seq']}] {who}: {body[:120]!r}")
        # read the log in place: a timed-out wait must stay cheap even with a long log
        errors = [c for c in self.state.calls_log if not c.get("ok", True)][-3:]
        lines += [f"  failed call {c['method']}: {c.get('description')}" for c in errors]
        return "\n".join(lines)

    async def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 10) -> None:
        """Return once ``predicate()`` holds, re-checking after every change in the sandbox
        (messages, updates, API calls); raises TimeoutError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            await self.state.wait_changed(remaining)

    async def wait_for_call(
        self, method: str, *, count: int = 1, timeout: float = 10
    ) -> dict[str, Any]:
        """The ``count``-th recorded call of ``method`` once it has been served."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            done = [c for c in self.calls(method) if "ok" in c]
            if len(done) >= count:
                return done[count - 1]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{method} was called {len(done)} times, not {count}")
            await self.state.wait_changed(remaining)

    def inject_failures(self, method: str, failures: list[tuple[int, str, int | None]]) -> None:
        """Make the next calls of ``method`` fail, one failure each, e.g.
        ``(429, "Too Many Requests: retry after 1", 1)`` (the last item is retry_after) or
        ``(500, "Internal Server Error", None)``."""
        queue = self.state.failures.setdefault(method.lower(), deque())
        queue.extend((int(code), str(text), retry) for code, text, retry in failures)

    def inject_delays(self, method: str, delays: list[float], *, served: bool = True) -> None:
        """Hold the next calls of ``method`` for these many seconds each, e.g. longer than the
        bot's request timeout: a Bot API that does not answer in time.

        With ``served`` the call then takes effect all the same (Telegram did it and the answer
        was lost: a retry duplicates it); without, it has none and fails with 504 (the request
        was lost on the way). Recorded calls carry ``delayed`` (seconds) and ``served``.
        """
        queue = self.state.delays.setdefault(method.lower(), deque())
        queue.extend((max(0.0, float(seconds)), served) for seconds in delays)

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Recorded Bot API calls (method, params, files, time, ok, result or error_code and
        description), oldest first; ``method`` is case-insensitive."""
        wanted = method.lower() if method else None
        return [
            copy.deepcopy(c)
            for c in self.state.calls_log
            if wanted is None or c["method"].lower() == wanted
        ]

    # --- commands ------------------------------------------------------------------------------

    @property
    def commands(self) -> dict[str, list[dict[str, Any]]]:
        """setMyCommands for the default scope, by language_code ("" for all languages)."""
        return {
            lang: copy.deepcopy(cmds)
            for (scope, lang), cmds in self.state.commands.items()
            if scope == ("default", "", 0)
        }

    def effective_commands(self, user_id: int) -> list[dict[str, Any]]:
        """The command menu this person sees, resolved as Telegram does for a private chat."""
        chat = self.state.chat(user_id)
        lang = str(chat.user.get("language_code", "")) if chat else ""
        scopes = [("chat", str(user_id), 0), ("all_private_chats", "", 0), ("default", "", 0)]
        for scope in scopes:
            for language in (lang, ""):
                if found := self.state.commands.get((scope, language)):
                    return copy.deepcopy(found)
        return []
