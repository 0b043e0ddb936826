"""Progress (/status) and the summary by field (/summary)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.cards import Sheet, status_message
from bot.conversation import Conversation
from bot.routers.common import bound_router
from core.timefmt import format_datetime


def router() -> Router:
    router = bound_router("status")
    router.message.register(on_status, Command("status", "tiendo"))
    router.message.register(on_summary, Command("summary", "tonghop"))
    router.message.register(on_web, Command("web"))
    shown = {"status", "summary", "continue", "resume"}
    router.callback_query.register(on_menu, keyboards.MenuCb.filter(F.d.in_(shown)))
    return router


def summary_message(sheet: Sheet, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    markup = keyboards.summary_keyboard(sheet.id, sheet.tree, sheet.progress, locale)
    return texts.summary_text(sheet.progress, locale), markup


async def on_status(message: Message, convo: Conversation) -> None:
    sheet = await convo.sheet()
    if sheet is None:
        await convo.say(convo.t(texts.NO_SHEET))
        return
    await convo.say(*status_message(sheet, convo.locale, tz=convo.deps.tz))


async def on_summary(message: Message, convo: Conversation) -> None:
    sheet = await convo.sheet()
    if sheet is None:
        await convo.say(convo.t(texts.NO_SHEET))
        return
    await convo.say(*summary_message(sheet, convo.locale))


async def on_web(message: Message, convo: Conversation) -> None:
    """A one-time link that signs the officer in to the web form (the same answers)."""
    deps = convo.deps
    if deps.web_link is None or convo.officer is None:
        await convo.say(convo.t(texts.WEB_UNAVAILABLE))
        return
    url, expires_at = await deps.web_link(convo.officer.id, deps.now())
    when = format_datetime(expires_at, deps.tz)
    await convo.say(convo.t(texts.WEB_LINK, url=escape(url), when=when))


async def on_menu(cb: CallbackQuery, callback_data: keyboards.MenuCb, convo: Conversation) -> None:
    await cb.answer()
    sheet = await convo.sheet(callback_data.a)
    if sheet is None or convo.pressed is None:
        return
    if callback_data.d == "status":
        await convo.say(*status_message(sheet, convo.locale, tz=convo.deps.tz))
    elif callback_data.d == "summary":
        await convo.say(*summary_message(sheet, convo.locale))
    else:
        code = sheet.resume((await convo.data()).get("item"))
        if code is not None:
            await convo.show(code, sheet=sheet, edit=callback_data.d == "continue")
