"""Binding with an invite code, help, language; and what an unbound person is told."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot import keyboards, texts
from bot.conversation import Conversation
from bot.deps import BotDeps
from bot.queries import ChatOfficer
from bot.routers.common import Bound, Magic
from bot.texts import t
from core.i18n import gettext
from core.invites import InviteError, bind, looks_like_code
from core.models import Officer, Unit
from forms.evidence import size_text


def router() -> Router:
    router = Router(name="start")
    router.message.register(on_start, CommandStart())
    router.message.register(on_help, Command("help", "huongdan", "trogiup"))
    router.message.register(on_language, Command("language", "ngonngu", "lang"))
    router.callback_query.register(on_language_chosen, keyboards.LangCb.filter())
    router.my_chat_member.register(on_blocked_or_back)
    return router


def unbound() -> Router:
    """What an account that is not bound yet is told (after /start, which binds it)."""
    router = Router(name="unbound")
    router.message.filter(~Bound())
    router.callback_query.filter(~Bound())
    router.message.register(on_code_typed, Magic(F.text.func(looks_like_code)))
    router.message.register(on_unbound_message)
    router.callback_query.register(on_unbound_press)
    return router


def not_bound_text() -> str:
    """Vietnamese first, then English for anyone testing from abroad."""
    return t("vi", texts.NOT_BOUND) + "\n\n—\n" + t("en", texts.NOT_BOUND)


async def _bind_and_greet(message: Message, code: str, convo: Conversation) -> None:
    user = message.from_user
    assert user is not None
    try:
        officer = await bind(
            code,
            telegram_user_id=user.id,
            chat_id=message.chat.id,
            username=user.username,
            full_name=user.full_name,
            now=convo.deps.now(),
            tz=convo.deps.tz,
        )
    except InviteError as exc:
        await message.answer(escape(exc.render("vi")))
        return
    convo.officer, convo.locale = officer, officer.locale or "vi"
    unit = await Unit.get(id=officer.unit_id)  # type: ignore[attr-defined]
    name, unit_name = escape(officer.full_name), escape(unit.name)
    await convo.say(convo.t(texts.WELCOME, name=name, unit=unit_name))
    await convo.state.set_data({})
    convo.forget()
    await convo.resume()


async def on_start(message: Message, command: CommandObject, convo: Conversation) -> None:
    code = (command.args or "").strip()
    if code:
        await _bind_and_greet(message, code, convo)
        return
    officer = convo.officer
    if officer is None:
        await message.answer(not_bound_text())
        return
    unit = await Unit.get(id=officer.unit_id)  # type: ignore[attr-defined]
    name, unit_name = escape(officer.full_name), escape(unit.name)
    await convo.say(convo.t(texts.WELCOME_BACK, name=name, unit=unit_name))
    await convo.resume()


async def on_help(message: Message, locale: str, deps: BotDeps) -> None:
    await message.answer(t(locale, texts.HELP, limit=size_text(deps.max_bytes, locale)))


async def on_language(message: Message, officer: ChatOfficer | None) -> None:
    if officer is None:
        await message.answer(not_bound_text())
        return
    # both languages, Vietnamese first, whatever the reader's language: the officer may not
    # read the current one (and the English prompt must not say its line twice)
    await message.answer(
        gettext(texts.LANGUAGE_PROMPT, "vi") + " / " + gettext(texts.LANGUAGE_PROMPT, "en"),
        reply_markup=keyboards.language_keyboard(),
    )


async def on_language_chosen(
    cb: CallbackQuery, callback_data: keyboards.LangCb, officer: ChatOfficer | None
) -> None:
    if officer is None:
        await cb.answer()
        return
    lang = callback_data.lang if callback_data.lang in ("vi", "en") else "vi"
    await Officer.filter(id=officer.id).update(locale=lang)
    done = t(lang, texts.LANGUAGE_SET)
    await cb.answer(done)
    if cb.message is not None and isinstance(cb.message, Message):
        await cb.message.edit_text(done)


async def on_blocked_or_back(update: ChatMemberUpdated, deps: BotDeps) -> None:
    """Telegram says the person blocked the bot ("kicked") or started it again."""
    if update.chat.type != "private":
        return
    blocked = update.new_chat_member.status == "kicked"
    await Officer.filter(telegram_user_id=update.from_user.id).update(
        bot_blocked_at=deps.now() if blocked else None
    )


async def on_code_typed(message: Message, convo: Conversation) -> None:
    """Someone pasted their code without /start: that is what they meant."""
    await _bind_and_greet(message, message.text or "", convo)


async def on_unbound_message(message: Message) -> None:
    await message.answer(not_bound_text())


async def on_unbound_press(cb: CallbackQuery) -> None:
    await cb.answer(t("vi", texts.NOT_BOUND)[:190], show_alert=True)
