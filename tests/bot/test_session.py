"""The bot's request bodies: a call without files goes out as JSON, and the one-pass dump
sends exactly what aiogram's value-by-value preparation would (defaults resolved, nothing
empty); calls holding a file or a date still get aiogram's own preparation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.methods import (
    AnswerCallbackQuery,
    BanChatMember,
    EditMessageText,
    SendDocument,
    SendMessage,
    SetMyCommands,
)
from aiogram.types import BotCommand, BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import BytesPayload, FormData, JsonPayload

from bot.session import JsonBodySession

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Có", callback_data="an:1:1.1.1:3:y")],
        [InlineKeyboardButton(text="Không áp dụng", callback_data="an:1:1.1.1:3:na")],
    ]
)


@pytest.fixture
async def bot() -> Any:
    session = JsonBodySession()
    bot = Bot("42:TEST", session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield bot
    await session.close()


def _slow(session: JsonBodySession, bot: Bot, method: Any) -> dict[str, Any]:
    """What aiogram's own preparation sends for a call without files."""
    files: dict[str, Any] = {}
    fields = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        if prepared:
            fields[key] = prepared
    assert not files
    return fields


def _sent(payload: Any) -> dict[str, Any]:
    assert isinstance(payload, BytesPayload | JsonPayload)
    assert payload.content_type == "application/json"
    return json.loads(payload._value)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "method",
    [
        SendMessage(chat_id=7, text="<b>1.1.1.</b> Thẻ chấm điểm", reply_markup=KEYBOARD),
        EditMessageText(chat_id=7, message_id=9, text="Đã lưu", reply_markup=KEYBOARD),
        EditMessageText(chat_id=7, message_id=9, text="Không còn nút"),
        AnswerCallbackQuery(callback_query_id="5", text="Đã lưu", show_alert=False),
        AnswerCallbackQuery(callback_query_id="5", text="Không được", show_alert=True),
        SetMyCommands(commands=[BotCommand(command="tieptuc", description="Tiếp tục")]),
    ],
    ids=["send", "edit", "edit-no-keyboard", "answer", "alert", "commands"],
)
async def test_one_pass_body_is_what_aiogram_would_send(bot: Bot, method: Any) -> None:
    session: JsonBodySession = bot.session  # type: ignore[assignment]
    body = _sent(session.build_form_data(bot, method))
    assert body == _slow(session, bot, method)
    if isinstance(method, SendMessage | EditMessageText):
        assert body["parse_mode"] == "HTML"  # the bot's default, resolved


async def test_a_date_gets_aiogram_preparation(bot: Bot) -> None:
    session: JsonBodySession = bot.session  # type: ignore[assignment]
    until = datetime(2026, 12, 1, tzinfo=UTC)
    method = BanChatMember(chat_id=7, user_id=8, until_date=until)
    body = _sent(session.build_form_data(bot, method))
    assert body["until_date"] == str(round(until.timestamp()))


async def test_a_file_goes_as_a_multipart_form(bot: Bot) -> None:
    session: JsonBodySession = bot.session  # type: ignore[assignment]
    method = SendDocument(chat_id=7, document=BufferedInputFile(b"%PDF-1.4", "bien-ban.pdf"))
    assert isinstance(session.build_form_data(bot, method), FormData)
