"""Asking for more time (/giahan, /extend): the new date, the reason, a confirmation, then
:func:`forms.extensions.request_extension`. The secretariat decides in the back-office; the
decision reaches the officer as a notice (:func:`forms.extensions.tell_decision`)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.cards import current_assessment_id
from bot.conversation import Conversation
from bot.deps import BotDeps
from bot.queries import ChatOfficer
from bot.routers.common import TypedText, bound_router
from bot.texts import t
from core.audit import Actor
from core.i18n import UserError
from core.timefmt import format_date, format_datetime
from forms.extensions import (
    ExtensionWindow,
    clean_reason,
    extension_window,
    parse_day,
    request_extension,
)


def router() -> Router:
    router = bound_router("extension")
    router.message.register(on_extend, Command("extend", "giahan"))
    router.message.register(on_cancel_command, StateFilter(Extend), Command("cancel", "huy"))
    router.message.register(on_date, StateFilter(Extend.date), TypedText())
    router.message.register(on_reason, StateFilter(Extend.reason, Extend.confirm), TypedText())
    router.callback_query.register(on_send, keyboards.ExtendCb.filter(F.d == "send"))
    router.callback_query.register(on_cancel, keyboards.ExtendCb.filter(F.d == "cancel"))
    return router


class Extend(StatesGroup):
    date = State()  # the next text is the date asked for
    reason = State()  # the next text is the reason
    confirm = State()  # the request waits for "send" (a new text replaces the reason)


def _without_request(data: dict[str, Any]) -> dict[str, Any]:
    """The conversation's data without this dialogue's keys (all start with "g")."""
    return {k: v for k, v in data.items() if not k.startswith("g")}


async def _end(convo: Conversation) -> None:
    await convo.save(None, _without_request(await convo.state.get_data()))


def _warn(exc: UserError, locale: str) -> str:
    return "⚠️ " + escape(exc.render(locale))


async def _window(
    actor: Actor, data: dict[str, Any], deps: BotDeps
) -> ExtensionWindow | UserError | None:
    sheet_id = data.get("ga")
    if not isinstance(sheet_id, int):
        return None
    try:
        return await extension_window(actor, sheet_id, now=deps.now(), tz=deps.tz)
    except UserError as exc:
        return exc


async def on_extend(
    message: Message,
    officer: ChatOfficer,
    actor: Actor,
    locale: str,
    convo: Conversation,
    deps: BotDeps,
) -> None:
    sheet_id = await current_assessment_id(officer)
    if sheet_id is None:
        await message.answer(t(locale, texts.NO_SHEET))
        return
    try:
        window = await extension_window(actor, sheet_id, now=deps.now(), tz=deps.tz)
    except UserError as exc:
        await _end(convo)
        await message.answer(_warn(exc, locale))
        return
    data = _without_request(await convo.state.get_data())
    data["ga"] = window.assessment_id
    await convo.save(Extend.date, data)
    await message.answer(
        t(
            locale,
            texts.EXTEND_START,
            unit=escape(window.unit_name),
            deadline=format_datetime(window.deadline, deps.tz),
            latest=format_date(window.latest, deps.tz),
        )
    )


async def on_cancel_command(message: Message, locale: str, convo: Conversation) -> None:
    await _end(convo)
    await message.answer(t(locale, texts.EXTEND_CANCELLED))


async def on_date(
    message: Message, actor: Actor, locale: str, convo: Conversation, deps: BotDeps
) -> None:
    data = await convo.state.get_data()
    window = await _window(actor, data, deps)
    if not isinstance(window, ExtensionWindow):  # the sheet was submitted meanwhile, ...
        await _end(convo)
        if window is not None:
            await message.answer(_warn(window, locale))
        return
    try:
        until = parse_day(message.text or "", deps.tz)
        window.check_until(until, deps.now(), deps.tz)
    except UserError as exc:  # stay: the officer types the date again (or /cancel)
        await message.reply(_warn(exc, locale))
        return
    data["gu"] = until.isoformat()
    await convo.save(Extend.reason, data)
    await message.answer(t(locale, texts.EXTEND_REASON, until=format_datetime(until, deps.tz)))


async def on_reason(
    message: Message, actor: Actor, locale: str, convo: Conversation, deps: BotDeps
) -> None:
    data = await convo.state.get_data()
    window = await _window(actor, data, deps)
    if not isinstance(window, ExtensionWindow) or not isinstance(data.get("gu"), str):
        await _end(convo)
        if isinstance(window, UserError):
            await message.answer(_warn(window, locale))
        return
    try:
        reason = clean_reason(message.text or "")
    except UserError as exc:
        await message.reply(_warn(exc, locale))
        return
    until = datetime.fromisoformat(data["gu"])
    data["gr"] = reason
    await convo.save(Extend.confirm, data)
    await message.answer(
        t(
            locale,
            texts.EXTEND_CONFIRM,
            unit=escape(window.unit_name),
            deadline=format_datetime(window.deadline, deps.tz),
            until=format_datetime(until, deps.tz),
            reason=escape(reason),
        ),
        reply_markup=keyboards.extension_confirm_keyboard(window.assessment_id, locale),
    )


async def on_send(
    cb: CallbackQuery,
    callback_data: keyboards.ExtendCb,
    actor: Actor,
    locale: str,
    convo: Conversation,
    deps: BotDeps,
) -> None:
    data = await convo.state.get_data()
    until_text, reason = data.get("gu"), data.get("gr")
    if data.get("ga") != callback_data.a or not isinstance(until_text, str) or not reason:
        await cb.answer()  # an old button: this request was already sent or cancelled
        return
    message = cb.message if isinstance(cb.message, Message) else None
    now = deps.now()
    try:
        window = await extension_window(actor, callback_data.a, now=now, tz=deps.tz)
        request = await request_extension(
            actor,
            callback_data.a,
            reason=str(reason),
            until=datetime.fromisoformat(until_text),
            now=now,
            tz=deps.tz,
        )
    except UserError as exc:
        await cb.answer(exc.render(locale)[:190], show_alert=True)
        await _end(convo)
        if message is not None:
            await message.edit_text(_warn(exc, locale))
        return
    await cb.answer()
    await _end(convo)
    if message is not None:
        await message.edit_text(
            t(
                locale,
                texts.EXTEND_SENT,
                until=format_datetime(request.requested_until, deps.tz),
                when=format_datetime(now, deps.tz),
                deadline=format_datetime(window.deadline, deps.tz),
            )
        )


async def on_cancel(cb: CallbackQuery, locale: str, convo: Conversation) -> None:
    await cb.answer()
    await _end(convo)
    if isinstance(cb.message, Message):
        await cb.message.edit_text(t(locale, texts.EXTEND_CANCELLED))
