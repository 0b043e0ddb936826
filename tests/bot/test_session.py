"""The bot's request bodies: a call without files goes out as JSON with the bot's defaults
resolved and nothing empty, as aiogram's form would carry it; calls holding a file or a date
get aiogram's own form."""

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
    GetMe,
    SendDocument,
    SendMessage,
    SetMyCommands,
)
from aiogram.types import BotCommand, BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.session import api_method, json_body

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Có", callback_data="an:1:1.1.1:3:y")]]
)
BOT = Bot("42:TEST", default=DefaultBotProperties(parse_mode="HTML"))


def _body(method: Any) -> dict[str, Any]:
    body = json_body(BOT, method)
    assert body is not None
    return json.loads(body)  # type: ignore[no-any-return]


def test_a_card_goes_as_json_with_the_default_parse_mode() -> None:
    body = _body(SendMessage(chat_id=7, text="<b>1.1.1.</b> Thẻ", reply_markup=KEYBOARD))
    assert body == {
        "chat_id": 7,
        "text": "<b>1.1.1.</b> Thẻ",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Có", "callback_data": "an:1:1.1.1:3:y"}]]},
    }
    edit = _body(EditMessageText(chat_id=7, message_id=9, text="Đã lưu"))
    assert edit == {"chat_id": 7, "message_id": 9, "text": "Đã lưu", "parse_mode": "HTML"}


def test_false_and_empty_values_are_left_out() -> None:
    assert _body(AnswerCallbackQuery(callback_query_id="5", text="Đã lưu", show_alert=False)) == {
        "callback_query_id": "5",
        "text": "Đã lưu",
    }
    assert _body(AnswerCallbackQuery(callback_query_id="5", text="Không", show_alert=True))[
        "show_alert"
    ]
    commands = _body(SetMyCommands(commands=[BotCommand(command="tieptuc", description="Tiếp")]))
    assert commands == {"commands": [{"command": "tieptuc", "description": "Tiếp"}]}


@pytest.mark.parametrize(
    "method",
    [
        BanChatMember(chat_id=7, user_id=8, until_date=datetime(2026, 12, 1, tzinfo=UTC)),
        SendDocument(chat_id=7, document=BufferedInputFile(b"%PDF-1.4", "bien-ban.pdf")),
    ],
    ids=["date", "file"],
)
def test_a_file_or_a_date_gets_aiogram_form(method: Any) -> None:
    assert json_body(BOT, method) is None


def test_method_names_are_the_bot_api_names() -> None:
    assert api_method(SendMessage) == "sendMessage"
    assert api_method(AnswerCallbackQuery) == "answerCallbackQuery"
    assert api_method(GetMe) == "getMe"
    assert api_method(SetMyCommands) == "setMyCommands"
