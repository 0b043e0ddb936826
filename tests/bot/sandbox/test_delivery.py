"""How updates reach a bot: aiogram's own polling loop, and a webhook with its secret."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.sandbox import Sandbox
from tests.bot.sandbox.conftest import Receiver

OFFICER = 6_001


def demo_router() -> Router:
    """A miniature of the project's bot: /start CODE, a card, a button that edits the card."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Có", callback_data="ans:yes")]]
        )
        await message.answer(f"Mã mời <code>{command.args}</code> hợp lệ.", reply_markup=markup)

    @router.callback_query(F.data.startswith("ans:"))
    async def answer(query: CallbackQuery) -> None:
        await query.message.edit_text("Đã ghi nhận: <b>Có</b>")
        await query.answer("Đã lưu")

    return router


async def test_aiogram_polling_drives_a_conversation(sandbox: Sandbox, bot: Bot) -> None:
    dp = Dispatcher()
    dp.include_router(demo_router())
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=10)
    )
    try:
        sent = await sandbox.send_text(OFFICER, "/start MOI-42")
        card = await sandbox.wait_for_bot_message(OFFICER, after=sent["seq"], timeout=5)
        assert card["text"] == "Mã mời MOI-42 hợp lệ."
        assert card["entities"] == [{"type": "code", "offset": 7, "length": 6}]

        await sandbox.press(OFFICER, card["message_id"], "ans:yes")
        edited = await sandbox.wait_for_bot_message(OFFICER, after=card["seq"], timeout=5)
        assert edited["message_id"] == card["message_id"]
        assert edited["text"] == "Đã ghi nhận: Có" and "reply_markup" not in edited
        await sandbox.wait_until(lambda: bool(sandbox.callback_answers(OFFICER)), timeout=5)
        assert sandbox.callback_answers(OFFICER)[0]["text"] == "Đã lưu"
        allowed = sandbox.calls("getUpdates")[-1]["params"]["allowed_updates"]
        assert set(allowed) == {"message", "callback_query"}
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    # the server lets go of the held long poll as soon as aiogram hangs up, not after 10 s
    await sandbox.wait_until(lambda: all("ok" in c for c in sandbox.calls("getUpdates")), timeout=2)


async def test_a_second_poller_terminates_the_first(sandbox: Sandbox, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await sandbox.wait_until(lambda: len(sandbox.calls("getUpdates")) == 1)
    second = asyncio.create_task(bot.get_updates(timeout=10))
    await sandbox.wait_until(lambda: len(sandbox.calls("getUpdates")) == 2)
    await sandbox.send_text(OFFICER, "xin chào")
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 3)
    assert [u.message.text for u in await asyncio.wait_for(second, 3)] == ["xin chào"]


async def test_webhook_delivers_with_secret_and_retries(
    sandbox: Sandbox, bot: Bot, receiver: Receiver, base_url: str
) -> None:
    receiver.statuses = [500]  # the bot's server fails once; Telegram tries again
    assert await bot.set_webhook(
        f"{base_url}/hook/tg", secret_token="s3cret-Token_1", allowed_updates=["message"]
    )
    info = await bot.get_webhook_info()
    assert info.url == f"{base_url}/hook/tg" and info.allowed_updates == ["message"]
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()

    await sandbox.send_text(OFFICER, "/start")
    first, second = await receiver.wait(2)
    assert first["update"] == second["update"]
    assert second["secret"] == "s3cret-Token_1" and second["path"] == "/hook/tg"
    assert second["update"]["message"]["text"] == "/start"
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0 and "500" in info.last_error_message


async def test_webhook_answer_may_carry_a_method(
    sandbox: Sandbox, bot: Bot, receiver: Receiver, base_url: str
) -> None:
    await bot.set_webhook(f"{base_url}/hook/tg")
    receiver.reply = {
        "method": "sendMessage",
        "chat_id": OFFICER,
        "text": "Chào <b>anh</b>",
        "parse_mode": "HTML",
    }
    sent = await sandbox.send_text(OFFICER, "/start")
    answer = await sandbox.wait_for_bot_message(OFFICER, after=sent["seq"], timeout=5)
    assert answer["text"] == "Chào anh"

    assert await bot.delete_webhook()
    await sandbox.send_text(OFFICER, "còn đó không?")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["còn đó không?"]
    assert len(receiver.requests) == 1
