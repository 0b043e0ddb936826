"""Last resort: unknown commands and anything no other router understood."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.routers.common import Magic
from bot.texts import t


def router() -> Router:
    router = Router(name="fallback")
    router.message.register(on_unknown_command, Magic(F.text.startswith("/")))
    router.message.register(on_anything)
    router.callback_query.register(on_old_button)
    return router


async def on_unknown_command(message: Message, locale: str) -> None:
    await message.answer(t(locale, texts.UNKNOWN_COMMAND))


async def on_anything(message: Message, locale: str) -> None:
    await message.answer(t(locale, texts.TEXT_OUTSIDE_WALK))


async def on_old_button(cb: CallbackQuery) -> None:
    await cb.answer()
