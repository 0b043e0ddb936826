"""Last resort: unknown commands and anything no other router understood."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.routers.common import RouterSpec
from bot.texts import t

router = RouterSpec("fallback")

UNKNOWN_COMMAND = texts.UNKNOWN_COMMAND


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message, locale: str) -> None:
    await message.answer(t(locale, UNKNOWN_COMMAND))


@router.message()
async def on_anything(message: Message, locale: str) -> None:
    await message.answer(t(locale, texts.TEXT_OUTSIDE_WALK))


@router.callback_query()
async def on_old_button(cb: CallbackQuery) -> None:
    await cb.answer()
