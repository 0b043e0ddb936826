"""Handler-level tests: the real dispatcher and handlers, a recorded fake Telegram.

``FakeTelegram`` is an aiogram session that answers every Bot API call in memory, keeps what
the bot said per chat (messages are edited in place, as a phone shows them) and serves
uploaded files. ``Chat`` plays an officer: types, presses buttons, sends files.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
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

from bot.deps import BotDeps
from bot.dispatcher import build_dispatcher
from bot.sandbox.htmltext import TEXT_LIMIT, parse_html, utf16_len
from core.audit import Actor
from core.files import FileStore
from core.invites import create_invite
from core.models import Channel
from tests.forms.conftest import NOW, sheet  # noqa: F401  (the fixture is used by the tests)

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


@pytest.fixture
async def harness(
    sheet: dict,  # noqa: F811
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Harness]:
    tg = FakeTelegram()
    bot = Bot(TOKEN, session=tg, default=DefaultBotProperties(parse_mode="HTML"))
    clock = [NOW]
    deps = BotDeps(
        files=FileStore(data_dir), max_bytes=64 * 1024, clock=lambda: clock[0], album_delay=0.05
    )
    dp = build_dispatcher(deps)
    caplog.set_level(logging.INFO, logger="cchc.bot")
    # one counter for both sides, as in a Telegram chat (the bot compares message ids)
    yield Harness(dp, bot, tg, deps, clock, message_ids=tg._ids)
    failures = [r for r in caplog.records if r.name == "cchc.bot" and r.levelno >= logging.ERROR]
    assert not failures, (
        "a handler failed: "
        + failures[0].getMessage()
        + "\n"
        + str(failures[0].exc_info[1] if failures[0].exc_info else "")
    )


async def invite_code(actor: Actor, officer_id: int) -> str:
    issued = await create_invite(Actor.system(Channel.cli, "test"), officer_id, now=NOW)
    return issued.code


async def bound_chat(harness: Harness, actor: Actor, user_id: int) -> Chat:
    """An officer who has already bound their account with an invite."""
    chat = harness.chat(user_id, actor.name)
    await chat.say(f"/start {await invite_code(actor, actor.id)}")  # type: ignore[arg-type]
    return chat
