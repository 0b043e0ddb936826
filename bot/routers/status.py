"""Progress (/status) and the summary by field (/summary)."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.cards import Sheet, status_message
from bot.deps import BotDeps
from bot.routers.common import RouterSpec, reload, send_or_edit, sheet_id_for, show_item
from bot.texts import t
from bot.walk import shorten
from core.models import Officer
from core.timefmt import format_datetime

router = RouterSpec("status", bound=True)


async def _sheet(officer: Officer, state: FSMContext, deps: BotDeps) -> Sheet | None:
    data = await state.get_data()
    sheet_id = await sheet_id_for(officer, state, data)
    return await reload(sheet_id, deps) if sheet_id else None


def summary_message(sheet: Sheet, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{f.code}. {shorten(f.title, 40)} ({f.answered}/{f.total})",
                callback_data=keyboards.ListCb(a=sheet.id, f=f.code).pack(),
            )
        ]
        for f in sheet.progress.fields
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=t(locale, texts.BTN_CONTINUE),
                callback_data=keyboards.MenuCb(a=sheet.id, d="continue").pack(),
            )
        ]
    )
    return texts.summary_text(sheet.progress, locale), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("status", "tiendo"))
async def on_status(
    message: Message, officer: Officer, locale: str, state: FSMContext, deps: BotDeps
) -> None:
    sheet = await _sheet(officer, state, deps)
    if sheet is None:
        await message.answer(t(locale, texts.NO_SHEET))
        return
    text, markup = status_message(sheet, locale, tz=deps.tz)
    await message.answer(text, reply_markup=markup)


@router.message(Command("summary", "tonghop"))
async def on_summary(
    message: Message, officer: Officer, locale: str, state: FSMContext, deps: BotDeps
) -> None:
    sheet = await _sheet(officer, state, deps)
    if sheet is None:
        await message.answer(t(locale, texts.NO_SHEET))
        return
    text, markup = summary_message(sheet, locale)
    await message.answer(text, reply_markup=markup)


@router.message(Command("web"))
async def on_web(message: Message, officer: Officer, locale: str, deps: BotDeps) -> None:
    """A one-time link that signs the officer in to the web form (the same answers)."""
    if deps.web_link is None:
        await message.answer(t(locale, texts.WEB_UNAVAILABLE))
        return
    url, expires_at = await deps.web_link(officer.id, deps.now())
    await message.answer(
        t(
            locale,
            texts.WEB_LINK,
            url=escape(url),
            when=format_datetime(expires_at, deps.tz),
        )
    )


@router.callback_query(
    keyboards.MenuCb.filter(F.d.in_({"status", "summary", "continue", "resume"}))
)
async def on_menu(
    cb: CallbackQuery,
    callback_data: keyboards.MenuCb,
    locale: str,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
) -> None:
    await cb.answer()
    sheet = await reload(callback_data.a, deps)
    message = cb.message if isinstance(cb.message, Message) else None
    if sheet is None or message is None:
        return
    if callback_data.d == "status":
        text, markup = status_message(sheet, locale, tz=deps.tz)
        await send_or_edit(bot, message.chat.id, text, markup, edit=message)
    elif callback_data.d == "summary":
        text, markup = summary_message(sheet, locale)
        await send_or_edit(bot, message.chat.id, text, markup, edit=message)
    else:
        data = await state.get_data()
        code = sheet.resume(data.get("item"))
        if code is not None:
            await show_item(
                bot=bot,
                chat_id=message.chat.id,
                state=state,
                deps=deps,
                locale=locale,
                sheet=sheet,
                code=code,
                data=data,
                edit=message if callback_data.d == "continue" else None,
            )
