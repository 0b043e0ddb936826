"""The one bot test harness, used by tests/bot, tests/e2e, tests/faults and tests/security.

Two worlds:

* in memory (:func:`in_memory`): the real dispatcher and handlers with ``FakeTelegram``, an
  aiogram session that answers every Bot API call in memory, keeps what the bot said per chat
  (messages are edited in place, as a phone shows them) and serves uploaded files. ``Chat``
  plays an officer: types, presses buttons, sends files.
* over HTTP (:func:`sandbox_world`): the real aiogram bot, built by the app's runtime, talks
  to the sandbox Bot API over real HTTP (uvicorn on a free port, :func:`serve`), against the
  test database. ``Person`` plays an officer there. Waits return as soon as the bot acts (the
  sandbox's own waits); nothing sleeps blindly.

Tests that kill processes use :mod:`tests.faults.procs` (real ``cchc serve`` processes).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Document,
    File,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Update,
    User,
)
from aiogram.types import Chat as TgChat
from fastapi import FastAPI

from app.bot_runtime import BotRuntime
from bot.deps import BotDeps
from bot.dispatcher import build_dispatcher
from bot.sandbox.htmltext import TEXT_LIMIT, parse_html, utf16_len
from core.audit import Actor
from core.files import FileStore
from core.invites import create_invite
from core.models import Channel
from core.settings import load_settings
from tests.forms.conftest import NOW

TOKEN = "42:TEST"
BOT_USER = User(id=42, is_bot=True, first_name="CCHC", username="cchc_test_bot")


@dataclass
class Said:
    """One message of the bot as the chat shows it now (after any edits)."""

    message_id: int
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    edits: int = 0

    def buttons(self) -> list[tuple[str, str]]:
        if self.markup is None:
            return []
        return [(b.text, b.callback_data or "") for row in self.markup.inline_keyboard for b in row]

    def button(self, label_part: str) -> str:
        found = [data for text, data in self.buttons() if label_part in text]
        assert found, f"no button with “{label_part}” in {[t for t, _ in self.buttons()]}"
        return found[0]


def check_limits(method: TelegramMethod[Any]) -> None:
    """Refuse what Telegram refuses: a text over 4,096 UTF-16 units once its HTML is parsed,
    a button whose callback data is over 64 bytes. The bot then logs an error and the officer
    sees "Hệ thống gặp sự cố", which the harness turns into a failed test."""
    text = getattr(method, "text", None)
    if isinstance(text, str):
        plain, _ = parse_html(text)
        if utf16_len(plain) > TEXT_LIMIT:
            raise TelegramBadRequest(method, "Bad Request: message is too long")
    markup = getattr(method, "reply_markup", None)
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                data = button.callback_data
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise TelegramBadRequest(method, "Bad Request: BUTTON_DATA_INVALID")


class FakeTelegram(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.messages: dict[int, list[Said]] = {}
        self.alerts: list[str] = []
        self.files: dict[str, bytes] = {}
        self.blocked: set[int] = set()
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        pass

    def said(self, chat_id: int) -> list[Said]:
        return self.messages.setdefault(chat_id, [])

    def last(self, chat_id: int) -> Said:
        return self.said(chat_id)[-1]

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.calls.append(method)
        check_limits(method)
        if isinstance(method, SendMessage):
            chat_id = int(method.chat_id)
            if chat_id in self.blocked:
                raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
            said = Said(next(self._ids), chat_id, method.text, method.reply_markup)  # type: ignore[arg-type]
            self.said(chat_id).append(said)
            return Message(
                message_id=said.message_id,
                date=datetime.now(UTC),
                chat=TgChat(id=chat_id, type="private"),
                text=method.text,
                from_user=BOT_USER,
            )
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            chat_id = int(method.chat_id)  # type: ignore[arg-type]
            for said in self.said(chat_id):
                if said.message_id == method.message_id:
                    if isinstance(method, EditMessageText):
                        said.text = method.text
                    said.markup = method.reply_markup  # type: ignore[assignment]
                    said.edits += 1
            return True
        if isinstance(method, AnswerCallbackQuery):
            if method.text:
                self.alerts.append(method.text)
            return True
        if isinstance(method, GetFile):
            return File(
                file_id=method.file_id,
                file_unique_id=method.file_id,
                file_path=f"documents/{method.file_id}",
            )
        if isinstance(method, GetMe):
            return BOT_USER
        return True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield self.files[url.rsplit("/", 1)[-1]]


@dataclass
class Chat:
    """One officer's private chat with the bot."""

    harness: Harness
    user_id: int
    name: str = "Cán bộ"
    _updates: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def tg(self) -> FakeTelegram:
        return self.harness.tg

    def _user(self) -> User:
        return User(id=self.user_id, is_bot=False, first_name=self.name, language_code="vi")

    def _message(self, **kw: Any) -> Message:
        return Message(
            message_id=next(self.harness.message_ids),
            date=datetime.now(UTC),
            chat=TgChat(id=self.user_id, type="private"),
            from_user=self._user(),
            **kw,
        )

    async def _feed(self, **kw: Any) -> None:
        update = Update(update_id=next(self.harness.update_ids), **kw)
        await self.harness.dp.feed_update(self.harness.bot, update)

    async def say(self, text: str) -> Said:
        before = len(self.tg.said(self.user_id))
        await self._feed(message=self._message(text=text))
        assert len(self.tg.said(self.user_id)) > before, f"the bot said nothing to “{text}”"
        return self.last

    async def press(self, data: str, on: Said | None = None) -> Said:
        on = on or self.last
        await self._feed(
            callback_query=CallbackQuery(
                id=str(next(self.harness.update_ids)),
                from_user=self._user(),
                chat_instance="ci",
                data=data,
                message=Message(
                    message_id=on.message_id,
                    date=datetime.now(UTC),
                    chat=TgChat(id=self.user_id, type="private"),
                    from_user=BOT_USER,
                    text=on.text,
                ),
            )
        )
        return self.last

    async def send_file(
        self,
        data: bytes,
        name: str,
        *,
        album: str | None = None,
        size: int | None = None,
        caption: str | None = None,
        photo: bool = False,
    ) -> None:
        file_id = f"f{next(self.harness.message_ids)}"
        self.tg.files[file_id] = data
        kw: dict[str, Any] = {"media_group_id": album, "caption": caption}
        if photo:
            kw["photo"] = [
                PhotoSize(
                    file_id=file_id,
                    file_unique_id=file_id,
                    width=800,
                    height=600,
                    file_size=size or len(data),
                )
            ]
        else:
            kw["document"] = Document(
                file_id=file_id, file_unique_id=file_id, file_name=name, file_size=size or len(data)
            )
        await self._feed(message=self._message(**kw))

    @property
    def last(self) -> Said:
        return self.tg.last(self.user_id)

    def texts(self) -> list[str]:
        return [s.text for s in self.tg.said(self.user_id)]

    async def wait_for(self, part: str, timeout: float = 3.0) -> Said:
        """For replies sent after a quiet moment (albums): poll, never a blind sleep."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for said in reversed(self.tg.said(self.user_id)):
                if part in said.text:
                    return said
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the bot never said “{part}”: {self.texts()[-3:]}")
            await asyncio.sleep(0.01)


@dataclass
class Harness:
    dp: Any
    bot: Bot
    tg: FakeTelegram
    deps: BotDeps
    clock: list[datetime]
    update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def chat(self, user_id: int, name: str = "Cán bộ") -> Chat:
        return Chat(self, user_id, name)

    def advance(self, **delta: float) -> None:
        self.clock[0] += timedelta(**delta)


def in_memory(
    data_dir: Path, *, clock: list[datetime] | None = None, album_delay: float = 1.0
) -> Harness:
    """The real dispatcher over ``FakeTelegram``, with its own clock (``clock[0]``)."""
    tg = FakeTelegram()
    bot = Bot(TOKEN, session=tg, default=DefaultBotProperties(parse_mode="HTML"))
    clock = clock or [NOW]
    deps = BotDeps(
        files=FileStore(data_dir),
        max_bytes=64 * 1024,
        clock=lambda: clock[0],
        album_delay=album_delay,
    )
    # one counter for both sides, as in a Telegram chat (the bot compares message ids)
    return Harness(build_dispatcher(deps), bot, tg, deps, clock, message_ids=tg._ids)


async def invite_code(actor: Actor, officer_id: int) -> str:
    issued = await create_invite(Actor.system(Channel.cli, "test"), officer_id, now=NOW)
    return issued.code


async def bound_chat(harness: Harness, actor: Actor, user_id: int) -> Chat:
    """An officer who has already bound their account with an invite."""
    chat = harness.chat(user_id, actor.name)
    await chat.say(f"/start {await invite_code(actor, actor.id)}")  # type: ignore[arg-type]
    return chat


async def invite(officer_id: int) -> str:
    issued = await create_invite(Actor.system(Channel.cli, "test"), officer_id, now=NOW)
    return issued.pretty


# --- over HTTP ------------------------------------------------------------------------------


class Switch:
    """The ASGI app uvicorn serves: whatever the current test installed."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "no app installed for this test"
        await self.app(scope, receive, send)


@dataclass
class Served:
    switch: Switch
    base_url: str


@asynccontextmanager
async def on_free_port(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free local port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:  # uvicorn has no startup event; a flag to poll
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@asynccontextmanager
async def serve() -> AsyncIterator[Served]:
    """One uvicorn server on a free port, forwarding to whatever app a test installs."""
    switch = Switch()
    async with on_free_port(switch) as base_url:
        yield Served(switch, base_url)


@dataclass
class Person:
    """Someone in the sandbox's Telegram, chatting with the bot."""

    world: World
    user_id: int
    name: str

    @property
    def sb(self) -> Any:
        return self.world.sandbox

    async def wait(
        self, after: int, contains: str | Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> dict[str, Any]:
        predicate = contains if callable(contains) else (lambda m: contains in m.get("text", ""))
        return await self.sb.wait_for_bot_message(
            self.user_id, after=after, predicate=predicate, timeout=timeout
        )

    async def say(self, text: str, expect: str) -> dict[str, Any]:
        sent = await self.sb.send_text(self.user_id, text, first_name=self.name)
        return await self.wait(sent["seq"], expect)

    def current(self, message: dict[str, Any]) -> dict[str, Any]:
        """The message as the chat shows it now (it may have been edited since)."""
        for m in self.sb.chat(self.user_id):
            if m["message_id"] == message["message_id"]:
                return m
        raise AssertionError(f"message {message['message_id']} is gone")

    @staticmethod
    def button(message: dict[str, Any], label: str) -> str:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        found = [b["callback_data"] for row in rows for b in row if label in b["text"]]
        labels = [b["text"] for row in rows for b in row]
        assert found, f"no button “{label}” on the message; it has {labels}"
        return found[0]

    async def press(self, message: dict[str, Any], label: str, expect: str) -> dict[str, Any]:
        message = self.current(message)
        before = self.sb.seq
        await self.sb.press(self.user_id, message["message_id"], self.button(message, label))
        return await self.wait(before, expect)

    def said(self, part: str) -> list[str]:
        return [
            m.get("text", "")
            for m in self.sb.bot_messages(self.user_id)
            if part in m.get("text", "")
        ]


@dataclass
class World:
    runtime: BotRuntime
    sandbox: Any
    served: Served
    clock: list[datetime]
    people: dict[int, Person] = field(default_factory=dict)

    def person(self, user_id: int, name: str) -> Person:
        return self.people.setdefault(user_id, Person(self, user_id, name))

    async def restart_bot(self) -> None:
        """Stop the bot (new Dispatcher and Bot next time) and start it again, same database.

        The runtime lets updates being handled finish first, as a graceful shutdown should; a
        kill in the middle is tests/faults' business.
        """
        await self.runtime.stop_bot()
        await self.runtime.start()
        await self.runtime.wait_ready()


@asynccontextmanager
async def sandbox_world(
    db: str,
    served: Served,
    data_dir: Path,
    *,
    clock: list[datetime],
    album_delay: float = 1.0,
    **settings: Any,
) -> AsyncIterator[World]:
    """The app's bot runtime in sandbox mode, served by ``served``, with its own clock."""
    runtime = BotRuntime(
        load_settings(
            bot_mode="sandbox",
            public_url=served.base_url,
            database_url=db,
            data_dir=data_dir,
            demo=False,
            **settings,
        ),
        clock=lambda: clock[0],
        album_delay=album_delay,
        polling_timeout=1,
    )
    app = FastAPI()
    runtime.install_routes(app)
    served.switch.app = app
    await runtime.start()
    await runtime.wait_ready(timeout=15)
    try:
        yield World(runtime, runtime.sandbox, served, clock)
    finally:
        await runtime.stop()
