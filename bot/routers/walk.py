"""The walk: one item at a time, answered by buttons or typed values, with navigation.

Every answer goes through :func:`forms.answers.record_answer` with the version the officer saw,
so a press on an outdated card is refused and the card shows what is stored now and who set it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.cards import Sheet
from bot.conversation import Conversation, Walk
from bot.fit import TEXT_LIMIT, clip
from bot.routers.common import TypedText, bound_router
from bot.steps import after_answer, declared_from_button, toggled
from core.audit import Actor
from core.echo import echo
from core.i18n import UserError
from forms.answers import RecordedAnswer, StaleAnswerError, record_answer, record_answer_in_sheet
from forms.models import Answer
from forms.outline import OutlineNode


def answers() -> Router:
    """The handlers of nearly every update (an answer pressed or typed, a move to another
    item), included ahead of the other routers so that an answer does not travel through all
    of them first. Safe: their buttons are the walk's own, and their typed text is read only
    in the walk's states and never starts with "/", which no earlier router claims."""
    router = bound_router("walk-answers")
    router.callback_query.register(on_answer_button, keyboards.AnswerCb.filter())
    router.callback_query.register(on_tick, keyboards.TickCb.filter())
    router.callback_query.register(on_nav, keyboards.NavCb.filter())
    router.message.register(on_note_text, StateFilter(Walk.note), TypedText())
    router.message.register(on_typed_answer, StateFilter(Walk.item), TypedText())
    return router


def router() -> Router:
    """The rest of the walk: tools, the jump list, commands, and typed text elsewhere."""
    router = bound_router("walk")
    item_tool = keyboards.ItemCb.filter
    router.callback_query.register(on_toggle_only, item_tool(F.d == "only"))
    router.callback_query.register(on_note_button, item_tool(F.d == "note"))
    router.callback_query.register(on_full_note, item_tool(F.d == "fullnote"))
    router.callback_query.register(on_list, keyboards.ListCb.filter())
    router.message.register(on_continue, Command("continue", "tieptuc", "next"))
    router.message.register(on_unanswered, Command("unanswered", "chuatraloi"))
    router.message.register(on_list_command, Command("list", "danhsach"))
    router.message.register(on_cancel, Command("cancel", "huy"))
    router.message.register(on_text_elsewhere, TypedText())
    return router


async def advance(convo: Conversation, sheet_id: int, code: str, recorded: RecordedAnswer) -> None:
    """After a saved answer: the card :func:`bot.steps.after_answer` decides."""
    sheet = await convo.sheet(sheet_id, recorded)
    assert sheet is not None
    only = bool((await convo.data()).get("only"))
    target, notice = after_answer(sheet, code, only, convo.locale)
    await convo.show(target, sheet=sheet, notice=notice)


async def _refresh_with_notice(convo: Conversation, sheet_id: int, code: str, notice: str) -> None:
    sheet = await convo.sheet(sheet_id)
    if sheet is not None and sheet.tree.item(code) is not None:
        await convo.show(code, sheet=sheet, notice=notice)


async def on_answer_button(
    cb: CallbackQuery, callback_data: keyboards.AnswerCb, convo: Conversation
) -> None:
    declared = partial(declared_from_button, value=callback_data.x)
    await _save_press(cb, convo, callback_data.a, callback_data.i, declared, callback_data.v)


async def _save_press(
    cb: CallbackQuery,
    convo: Conversation,
    a: int,
    code: str,
    declared: dict[str, Any] | Callable[[OutlineNode], dict[str, Any]],
    version: int,
) -> None:
    """Save an answer given by buttons; on refusal (stale view, lock, an item the sheet does
    not have) show why on the card."""
    assert convo.actor is not None
    deps = convo.deps
    try:
        recorded = await record_answer_in_sheet(
            convo.actor,
            a,
            code,
            declared=declared,
            expected_version=version,
            now=deps.now(),
            tz=deps.tz,
        )
    except UserError as exc:
        text = exc.render(convo.locale)
        await cb.answer(text[:190], show_alert=True)
        await convo.state.update_data(ticks=None)
        convo.forget()
        await _refresh_with_notice(convo, a, code, "⚠️ " + text)
        return
    answer = texts.answer_text(recorded.item, recorded.answer, convo.locale)
    await cb.answer(answer[:190])
    # the next card (advance -> show) stores the conversation once, ticks cleared
    await advance(convo, a, code, recorded)


async def on_tick(cb: CallbackQuery, callback_data: keyboards.TickCb, convo: Conversation) -> None:
    a, code = callback_data.a, callback_data.i
    sheet = await convo.sheet(a)
    item = sheet.tree.item(code) if sheet else None
    if sheet is None or item is None or item.rule is None or convo.pressed is None:
        await cb.answer()
        return
    pending = (await convo.data()).get("ticks") or {}
    if pending.get("i") == code and pending.get("k") is not None:
        ticks = list(pending["k"])
    else:
        current = sheet.state(code)
        ticks = list((current.declared or {}).get("checked", [])) if current else []
    if sheet.locked is not None:
        text = sheet.locked.render(convo.locale)
        await cb.answer(text[:190], show_alert=True)
        await _refresh_with_notice(convo, a, code, "🔒 " + text)
        return
    if callback_data.k != "ok":
        ticks = toggled(ticks, callback_data.k, [o.key for o in item.rule.options])
        await cb.answer()
        await convo.show(code, sheet=sheet, ticks=ticks)
        return
    await _save_press(cb, convo, a, code, {"checked": ticks}, callback_data.v)


async def on_nav(cb: CallbackQuery, callback_data: keyboards.NavCb, convo: Conversation) -> None:
    a, code = callback_data.a, callback_data.i
    sheet = await convo.sheet(a)
    if sheet is None or sheet.tree.item(code) is None or convo.pressed is None:
        await cb.answer()
        return
    only = bool((await convo.data()).get("only"))
    target: str | None = code
    if callback_data.d == "next":
        target = sheet.next(code, only)
        if target is None:
            await cb.answer(convo.t(texts.END_OF_LIST)[:190], show_alert=True)
            return
    elif callback_data.d == "prev":
        target = sheet.prev(code, only)
        if target is None:
            await cb.answer(convo.t(texts.START_OF_LIST)[:190])
            return
    await cb.answer()
    await convo.show(target, sheet=sheet, edit=callback_data.d != "open")


async def on_toggle_only(
    cb: CallbackQuery, callback_data: keyboards.ItemCb, convo: Conversation
) -> None:
    sheet = await convo.sheet(callback_data.a)
    await cb.answer()
    if sheet is None or convo.pressed is None:
        return
    only = not bool((await convo.data()).get("only"))
    code = callback_data.i
    if only and code in sheet.answered:
        code = sheet.next(code, True) or code
    await convo.show(code, sheet=sheet, only=only)


async def on_note_button(
    cb: CallbackQuery, callback_data: keyboards.ItemCb, convo: Conversation
) -> None:
    sheet = await convo.sheet(callback_data.a)
    await cb.answer()
    if sheet is None or cb.message is None:
        return
    current = sheet.state(callback_data.i)
    data = await convo.data()
    data.update(a=sheet.id, item=callback_data.i, ver=current.version if current else 0)
    await convo.save(Walk.note, data)
    await convo.say(convo.t(texts.NOTE_PROMPT, code=callback_data.i), edit=False)


async def on_full_note(
    cb: CallbackQuery, callback_data: keyboards.ItemCb, convo: Conversation
) -> None:
    """The whole note, which the card shows shortened, as a message of its own."""
    sheet = await convo.sheet(callback_data.a)
    await cb.answer()
    if sheet is None or cb.message is None:
        return
    current = sheet.state(callback_data.i)
    note = current.note if current else ""
    head = convo.t(texts.NOTE_FULL, code=escape(callback_data.i))
    # half the limit in characters: even a note of emoji (two units each) fits
    body = clip(note, TEXT_LIMIT // 2 - len(head) - 2) if note else "–"
    await convo.say(f"{head}\n{escape(body)}", edit=False)


async def on_list(cb: CallbackQuery, callback_data: keyboards.ListCb, convo: Conversation) -> None:
    sheet = await convo.sheet(callback_data.a)
    await cb.answer()
    if sheet is not None and convo.pressed is not None:
        await convo.say(*_list_view(sheet, callback_data.f, convo.locale))


def _list_view(sheet: Sheet, group_code: str, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    """Fields; a field's criteria (when it has several); a field's or criterion's items."""
    tree = sheet.tree
    group = tree.groups.get(group_code) if group_code else None
    if group is None:
        return (
            texts.t(locale, texts.CHOOSE_FIELD),
            keyboards.fields_keyboard(sheet.id, tree, sheet.progress, locale),
        )
    title = escape(clip(group.title, texts.TITLE_CHARS))
    if group.parent_code not in tree.groups and len(tree.criteria_of(group.code)) > 1:
        return (
            texts.t(locale, texts.CHOOSE_CRITERION, code=escape(group.code), title=title),
            keyboards.criteria_keyboard(sheet.id, tree, group.code, sheet.answered, locale),
        )
    return (
        texts.t(locale, texts.CHOOSE_ITEM, code=escape(group.code), title=title),
        keyboards.group_items_keyboard(sheet.id, tree, group.code, sheet.answered, locale),
    )


# --- commands ----------------------------------------------------------------------------------


async def _sheet_or_say(convo: Conversation) -> Sheet | None:
    sheet = await convo.sheet()
    if sheet is None or not sheet.codes:
        await convo.say(convo.t(texts.NO_SHEET))
        return None
    return sheet


async def on_continue(message: Message, convo: Conversation) -> None:
    await convo.resume()


async def on_unanswered(message: Message, convo: Conversation) -> None:
    sheet = await _sheet_or_say(convo)
    if sheet is None:
        return
    if not sheet.progress.unanswered:
        await convo.say(convo.t(texts.ALL_ANSWERED))
        return
    await convo.show(sheet.progress.unanswered[0], sheet=sheet, only=True)


async def on_list_command(message: Message, convo: Conversation) -> None:
    sheet = await _sheet_or_say(convo)
    if sheet is not None:
        await convo.say(*_list_view(sheet, "", convo.locale))


async def on_cancel(message: Message, convo: Conversation) -> None:
    data = await convo.data()
    for key in [k for k in data if k.startswith("x")]:
        del data[key]
    sheet = await convo.sheet()
    code = data.get("item")
    if sheet is None or code not in sheet.codes:
        await convo.save(None, data)
        await convo.say(convo.t(texts.CANCELLED))
        return
    await convo.show(code, sheet=sheet, notice=convo.t(texts.CANCELLED))


# --- typed values and notes ----------------------------------------------------------------


async def on_note_text(message: Message, actor: Actor, convo: Conversation) -> None:
    data = await convo.data()
    a, code, version = data.get("a"), data.get("item"), int(data.get("ver") or 0)
    if not isinstance(a, int) or not isinstance(code, str):
        await convo.state.set_state(None)
        await convo.say(convo.t(texts.TEXT_OUTSIDE_WALK))
        return
    notice = convo.t(texts.NOTE_SAVED, code=code)
    try:
        await record_answer(
            actor,
            a,
            code,
            note=message.text or "",
            expected_version=version,
            now=convo.deps.now(),
            tz=convo.deps.tz,
        )
    except UserError as exc:
        notice = "⚠️ " + escape(exc.render(convo.locale))
    await convo.show(code, sheet=await convo.sheet(a), notice=notice)


async def on_typed_answer(message: Message, actor: Actor, convo: Conversation) -> None:
    data = await convo.data()
    a, code, version = data.get("a"), data.get("item"), int(data.get("ver") or 0)
    if not isinstance(a, int) or not isinstance(code, str):
        await convo.say(convo.t(texts.TEXT_OUTSIDE_WALK))
        return
    typed = escape(echo(message.text or ""))
    lost = convo.t(texts.TYPED_NOT_SAVED, text=typed)
    too_early = convo.t(texts.TYPED_BEFORE_CARD, text=typed)
    if not await convo.sent_at_open_card(message, a, code, too_early=too_early, lost=lost):
        return
    try:
        recorded = await record_answer_in_sheet(
            actor,
            a,
            code,
            text=message.text or "",
            expected_version=version,
            now=convo.deps.now(),
            tz=convo.deps.tz,
        )
    except UserError as exc:
        warning = "⚠️ " + escape(exc.render(convo.locale))
        if await _moved_on(a, code, version, actor):
            # this officer answered the remembered item since: the process died after saving
            # that answer and before remembering the next card, so this value was meant for a
            # card the conversation has lost; show where the sheet is instead of misreading it
            sheet = await convo.sheet(a)
            assert sheet is not None
            await convo.show(sheet.resume(code) or code, sheet=sheet, notice=lost)
        elif isinstance(exc, StaleAnswerError):
            await convo.show(code, sheet=await convo.sheet(a), notice=warning)
        else:
            await message.reply(warning)
        return
    await advance(convo, a, code, recorded)


async def _moved_on(sheet_id: int, code: str, version: int, actor: Actor) -> bool:
    """The remembered item was answered by this officer after the version remembered."""
    found = await Answer.filter(assessment_id=sheet_id, node__code=code).values_list(
        "version", "updated_by_officer_id"
    )
    return bool(found) and found[0][0] > version and found[0][1] == actor.id


async def on_text_elsewhere(message: Message, convo: Conversation) -> None:
    await convo.say(convo.t(texts.TEXT_OUTSIDE_WALK))
