"""Submitting the score sheet: what still blocks it, confirmation, the leader's approval."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.cards import Sheet
from bot.deps import BotDeps
from bot.routers.common import RouterSpec, reload, send_or_edit, sheet_id_for
from bot.texts import n, t
from core.audit import Actor
from core.i18n import UserError
from core.models import Officer, OfficerRole
from core.timefmt import format_datetime
from forms.submission import SubmissionBlockedError, blockers, submit

log = logging.getLogger("cchc.bot")

router = RouterSpec("submit", bound=True)


async def _ask(
    sheet: Sheet, officer: Officer, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer to "submit": what blocks it, the leader rule, or the confirmation."""
    if sheet.locked is not None:
        return "🔒 " + sheet.locked.render(locale), None
    found = await blockers(sheet.id)
    if not found.empty:
        lines = ["⚠️ " + t(locale, texts.SUBMIT_BLOCKED)]
        if found.unanswered:
            lines.append(
                t(
                    locale,
                    texts.SUBMIT_UNANSWERED,
                    count=len(found.unanswered),
                    codes=texts.codes_text(found.unanswered),
                )
            )
        if found.missing_evidence:
            lines.append(
                t(
                    locale,
                    texts.SUBMIT_MISSING,
                    count=len(found.missing_evidence),
                    codes=texts.codes_text(found.missing_evidence),
                )
            )
        first = (found.unanswered or found.missing_evidence)[0]
        return "\n".join(lines), keyboards.blockers_keyboard(sheet.id, first, locale)
    if sheet.period.require_leader_approval and officer.role != OfficerRole.leader:
        return t(locale, texts.LEADER_NEEDED), keyboards.leader_keyboard(sheet.id, locale)
    text = t(
        locale,
        texts.SUBMIT_CONFIRM,
        unit=sheet.unit.name,
        total=sheet.progress.total,
        score=n(sheet.progress.self_score, locale),
    )
    return text, keyboards.submit_confirm_keyboard(sheet.id, locale)


@router.message(Command("submit", "guiphieu"))
async def on_submit_command(
    message: Message, officer: Officer, locale: str, state: FSMContext, deps: BotDeps
) -> None:
    data = await state.get_data()
    sheet_id = await sheet_id_for(officer, state, data)
    sheet = await reload(sheet_id, deps) if sheet_id else None
    if sheet is None:
        await message.answer(t(locale, texts.NO_SHEET))
        return
    text, markup = await _ask(sheet, officer, locale)
    await message.answer(text, reply_markup=markup)


@router.callback_query(keyboards.MenuCb.filter(F.d == "submit"))
async def on_submit_button(
    cb: CallbackQuery,
    callback_data: keyboards.MenuCb,
    officer: Officer,
    locale: str,
    bot: Bot,
    deps: BotDeps,
) -> None:
    await cb.answer()
    sheet = await reload(callback_data.a, deps)
    if sheet is None or cb.message is None:
        return
    text, markup = await _ask(sheet, officer, locale)
    await bot.send_message(cb.message.chat.id, text, reply_markup=markup)


@router.callback_query(keyboards.MenuCb.filter(F.d == "confirm"))
async def on_confirm(
    cb: CallbackQuery,
    callback_data: keyboards.MenuCb,
    actor: Actor,
    locale: str,
    bot: Bot,
    deps: BotDeps,
) -> None:
    message = cb.message if isinstance(cb.message, Message) else None
    try:
        assessment = await submit(actor, callback_data.a, now=deps.now(), tz=deps.tz)
    except SubmissionBlockedError as exc:
        await cb.answer(exc.render(locale)[:190], show_alert=True)
        return
    except UserError as exc:
        await cb.answer(exc.render(locale)[:190], show_alert=True)
        if message is not None:
            await send_or_edit(
                bot, message.chat.id, "⚠️ " + escape(exc.render(locale)), None, edit=message
            )
        return
    await cb.answer()
    sheet = await reload(assessment.id, deps)
    assert sheet is not None
    text = t(
        locale,
        texts.SUBMIT_DONE,
        unit=sheet.unit.name,
        when=format_datetime(assessment.submitted_at, deps.tz),
        score=n(sheet.progress.self_score, locale),
    )
    if message is not None:
        await send_or_edit(bot, message.chat.id, text, None, edit=message)


@router.callback_query(keyboards.MenuCb.filter(F.d == "cancel"))
async def on_cancel_submit(cb: CallbackQuery, locale: str, bot: Bot) -> None:
    await cb.answer()
    if isinstance(cb.message, Message):
        await send_or_edit(
            bot, cb.message.chat.id, t(locale, texts.SUBMIT_CANCELLED), None, edit=cb.message
        )


@router.callback_query(keyboards.MenuCb.filter(F.d == "leader"))
async def on_tell_leader(
    cb: CallbackQuery,
    callback_data: keyboards.MenuCb,
    officer: Officer,
    locale: str,
    bot: Bot,
    deps: BotDeps,
) -> None:
    sheet = await reload(callback_data.a, deps)
    if sheet is None or sheet.unit.id != officer.unit_id:  # type: ignore[attr-defined]
        await cb.answer()
        return
    leaders = await Officer.filter(
        unit_id=sheet.unit.id,
        role=OfficerRole.leader,
        active=True,
        telegram_chat_id__isnull=False,
        bot_blocked_at__isnull=True,
    )
    told: list[str] = []
    for leader in leaders:
        lang = leader.locale or "vi"
        try:
            await bot.send_message(
                leader.telegram_chat_id,  # type: ignore[arg-type]
                t(
                    lang,
                    texts.LEADER_REQUEST,
                    name=escape(officer.full_name),
                    unit=escape(sheet.unit.name),
                ),
                reply_markup=keyboards.leader_submit_keyboard(sheet.id, lang),
            )
            told.append(leader.full_name)
        except TelegramAPIError as exc:
            log.info("could not reach leader %s: %s", leader.id, exc)
    await cb.answer()
    text = (
        t(locale, texts.LEADER_ASKED, names=escape(", ".join(told)))
        if told
        else t(locale, texts.LEADER_NONE)
    )
    if cb.message is not None:
        await bot.send_message(cb.message.chat.id, text)
