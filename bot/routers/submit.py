"""Submitting the score sheet: what still blocks it, confirmation, the leader's approval."""

from __future__ import annotations

import logging
from html import escape

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.cards import Sheet
from bot.conversation import Conversation
from bot.queries import ChatOfficer
from bot.routers.common import bound_router
from bot.texts import n, t
from core.audit import Actor
from core.i18n import UserError
from core.models import Officer, OfficerRole
from core.timefmt import format_datetime
from forms.submission import SubmissionBlockedError, blockers, submit

log = logging.getLogger("cchc.bot")


def router() -> Router:
    router = bound_router("submit")
    router.message.register(on_submit_command, Command("submit", "guiphieu"))
    menu = keyboards.MenuCb.filter
    router.callback_query.register(on_submit_button, menu(F.d == "submit"))
    router.callback_query.register(on_confirm, menu(F.d == "confirm"))
    router.callback_query.register(on_cancel_submit, menu(F.d == "cancel"))
    router.callback_query.register(on_tell_leader, menu(F.d == "leader"))
    return router


async def _ask(
    sheet: Sheet, officer: ChatOfficer, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer to "submit": what blocks it, the leader rule, or the confirmation."""
    if sheet.locked is not None:
        return "🔒 " + sheet.locked.render(locale), None
    found = await blockers(sheet.id)
    if not found.empty:
        lines = ["⚠️ " + t(locale, texts.SUBMIT_BLOCKED)]
        for msgid, codes in (
            (texts.SUBMIT_UNANSWERED, found.unanswered),
            (texts.SUBMIT_MISSING, found.missing_evidence),
        ):
            if codes:
                lines.append(t(locale, msgid, count=len(codes), codes=texts.codes_text(codes)))
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


async def on_submit_command(message: Message, officer: ChatOfficer, convo: Conversation) -> None:
    sheet = await convo.sheet()
    if sheet is None:
        await convo.say(convo.t(texts.NO_SHEET))
        return
    await convo.say(*await _ask(sheet, officer, convo.locale))


async def on_submit_button(
    cb: CallbackQuery, callback_data: keyboards.MenuCb, officer: ChatOfficer, convo: Conversation
) -> None:
    await cb.answer()
    sheet = await convo.sheet(callback_data.a)
    if sheet is None or cb.message is None:
        return
    await convo.say(*await _ask(sheet, officer, convo.locale), edit=False)


async def on_confirm(
    cb: CallbackQuery, callback_data: keyboards.MenuCb, actor: Actor, convo: Conversation
) -> None:
    locale, deps = convo.locale, convo.deps
    try:
        assessment = await submit(actor, callback_data.a, now=deps.now(), tz=deps.tz)
    except UserError as exc:  # a blocked sheet: the alert says why, the message stays
        await cb.answer(exc.render(locale)[:190], show_alert=True)
        if not isinstance(exc, SubmissionBlockedError) and convo.pressed is not None:
            await convo.say("⚠️ " + escape(exc.render(locale)))
        return
    await cb.answer()
    sheet = await convo.sheet(assessment.id)
    assert sheet is not None
    text = t(
        locale,
        texts.SUBMIT_DONE,
        unit=sheet.unit.name,
        when=format_datetime(assessment.submitted_at, deps.tz),
        score=n(sheet.progress.self_score, locale),
    )
    if convo.pressed is not None:
        await convo.say(text)


async def on_cancel_submit(cb: CallbackQuery, convo: Conversation) -> None:
    await cb.answer()
    if convo.pressed is not None:
        await convo.say(convo.t(texts.SUBMIT_CANCELLED))


async def on_tell_leader(
    cb: CallbackQuery, callback_data: keyboards.MenuCb, officer: ChatOfficer, convo: Conversation
) -> None:
    sheet = await convo.sheet(callback_data.a)
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
        name, unit = escape(officer.full_name), escape(sheet.unit.name)
        try:
            await convo.bot.send_message(
                leader.telegram_chat_id,  # type: ignore[arg-type]
                t(lang, texts.LEADER_REQUEST, name=name, unit=unit),
                reply_markup=keyboards.leader_submit_keyboard(sheet.id, lang),
            )
            told.append(leader.full_name)
        except TelegramAPIError as exc:
            log.info("could not reach leader %s: %s", leader.id, exc)
    await cb.answer()
    text = (
        convo.t(texts.LEADER_ASKED, names=escape(", ".join(told)))
        if told
        else convo.t(texts.LEADER_NONE)
    )
    if cb.message is not None:
        await convo.say(text, edit=False)
