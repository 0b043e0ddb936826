"""The walk: one item at a time, answered by buttons or typed values, with navigation.

Every answer goes through :func:`forms.answers.record_answer` with the version the officer saw,
so a press on an outdated card is refused and the card shows what is stored now and who set it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.cards import Sheet, sheet_outline
from bot.deps import BotDeps
from bot.fit import TEXT_LIMIT, clip
from bot.routers.common import (
    RouterSpec,
    TypedText,
    Walk,
    reload,
    resume_walk,
    send_or_edit,
    sent_at_open_card,
    sheet_id_for,
    show_item,
)
from bot.texts import t
from core.audit import Actor
from core.echo import echo
from core.i18n import UserError
from core.models import Officer
from forms.answers import RecordedAnswer, StaleAnswerError, record_answer, record_answer_in_sheet
from forms.models import Answer
from forms.outline import OutlineNode
from forms.progress import AnswerState

router = RouterSpec("walk", bound=True)
# The handlers of nearly every update (an answer pressed or typed, a move to another item),
# registered ahead of the other routers so that an answer does not travel through all of them
# first. Safe: their buttons are the walk's own, and their typed text is read only in the
# walk's states and never starts with "/", which no earlier router claims.
answers = RouterSpec("walk-answers", bound=True)


def declared_from_button(item: OutlineNode, value: str) -> dict[str, Any]:
    if value == "na":
        return {"na": True}
    rule = item.rule
    assert rule is not None
    if rule.type == "yes_no":
        return {"yes": value == "y"}
    if rule.type == "deduction" and value == "0":
        return {"option": None}
    return {"option": value}


def saved_notice(sheet: Sheet, code: str, locale: str) -> str:
    item = sheet.tree.item(code)
    state = sheet.state(code)
    assert item is not None and state is not None
    return texts.answered_line(item, state, locale)


def needs_files(sheet: Sheet, code: str) -> bool:
    item, state = sheet.tree.item(code), sheet.state(code)
    return bool(item and state and state.files == 0 and item.needs_evidence(state))


async def advance(
    *,
    bot: Bot,
    chat_id: int,
    state: FSMContext,
    deps: BotDeps,
    locale: str,
    sheet_id: int,
    code: str,
    edit: Message | None,
    recorded: RecordedAnswer,
) -> None:
    """After a saved answer: stay when the item still needs its evidence, else go on."""
    sheet = await reload(sheet_id, deps, recorded)
    assert sheet is not None
    notice = saved_notice(sheet, code, locale)
    data = await state.get_data()
    if needs_files(sheet, code):
        await show_item(
            bot=bot,
            chat_id=chat_id,
            state=state,
            deps=deps,
            locale=locale,
            sheet=sheet,
            code=code,
            data=data,
            edit=edit,
            notice=notice,
        )
        return
    only = bool(data.get("only"))
    target = sheet.next(code, only)
    if target is None and sheet.progress.unanswered:
        target = sheet.progress.unanswered[0]
    if target is None:
        await show_item(
            bot=bot,
            chat_id=chat_id,
            state=state,
            deps=deps,
            locale=locale,
            sheet=sheet,
            code=code,
            data=data,
            edit=edit,
            notice=notice + "\n\n" + t(locale, texts.ALL_ANSWERED),
        )
        return
    await show_item(
        bot=bot,
        chat_id=chat_id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=target,
        data=data,
        edit=edit,
        notice=notice,
    )


async def _refresh_with_notice(
    cb: CallbackQuery,
    sheet_id: int,
    code: str,
    notice: str,
    *,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
    locale: str,
) -> None:
    sheet = await reload(sheet_id, deps)
    if sheet is None or sheet.tree.item(code) is None:
        return
    message = cb.message if isinstance(cb.message, Message) else None
    await show_item(
        bot=bot,
        chat_id=cb.from_user.id if message is None else message.chat.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=code,
        edit=message,
        notice=notice,
    )


@answers.callback_query(keyboards.AnswerCb.filter())
async def on_answer_button(
    cb: CallbackQuery,
    callback_data: keyboards.AnswerCb,
    actor: Actor,
    locale: str,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
) -> None:
    a, code = callback_data.a, callback_data.i
    tree = await sheet_outline(a, deps.outlines, deps.sheet_sets)
    item = tree.item(code) if tree else None
    if item is None:
        await cb.answer()
        return
    await _save_press(
        cb,
        a,
        item,
        declared_from_button(item, callback_data.x),
        callback_data.v,
        actor=actor,
        locale=locale,
        bot=bot,
        state=state,
        deps=deps,
    )


async def _save_press(
    cb: CallbackQuery,
    a: int,
    item: OutlineNode,
    declared: dict[str, Any],
    version: int,
    *,
    actor: Actor,
    locale: str,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
) -> None:
    """Save an answer given by buttons; on refusal (stale view, lock) show why on the card."""
    try:
        recorded = await record_answer_in_sheet(
            actor,
            a,
            item.code,
            declared=declared,
            expected_version=version,
            now=deps.now(),
            tz=deps.tz,
        )
    except UserError as exc:
        text = exc.render(locale)
        await cb.answer(text[:190], show_alert=True)
        await state.update_data(ticks=None)
        await _refresh_with_notice(
            cb, a, item.code, "⚠️ " + text, bot=bot, state=state, deps=deps, locale=locale
        )
        return
    await cb.answer(texts.answer_text(item, _state_of(recorded.answer), locale)[:190])
    # the next card (advance -> show_item) stores the conversation once, ticks cleared
    message = cb.message if isinstance(cb.message, Message) else None
    await advance(
        bot=bot,
        chat_id=message.chat.id if message else cb.from_user.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet_id=a,
        code=item.code,
        edit=message,
        recorded=recorded,
    )


def _state_of(answer: Answer) -> AnswerState:
    return AnswerState(
        answer.version,
        answer.declared,
        answer.self_score,
        answer.not_applicable,
        answer.note,
        0,
        "",
        None,
    )


@answers.callback_query(keyboards.TickCb.filter())
async def on_tick(
    cb: CallbackQuery,
    callback_data: keyboards.TickCb,
    actor: Actor,
    locale: str,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
) -> None:
    a, code = callback_data.a, callback_data.i
    sheet = await reload(a, deps)
    item = sheet.tree.item(code) if sheet else None
    message = cb.message if isinstance(cb.message, Message) else None
    if sheet is None or item is None or item.rule is None or message is None:
        await cb.answer()
        return
    data = await state.get_data()
    pending = data.get("ticks") or {}
    if pending.get("i") == code and pending.get("k") is not None:
        ticks = list(pending["k"])
    else:
        current = sheet.state(code)
        ticks = list((current.declared or {}).get("checked", [])) if current else []
    if sheet.locked is not None:
        text = sheet.locked.render(locale)
        await cb.answer(text[:190], show_alert=True)
        await _refresh_with_notice(
            cb, a, code, "🔒 " + text, bot=bot, state=state, deps=deps, locale=locale
        )
        return
    if callback_data.k != "ok":
        if callback_data.k in ticks:
            ticks.remove(callback_data.k)
        else:
            ticks.append(callback_data.k)
        order = [o.key for o in item.rule.options]
        ticks.sort(key=lambda k: order.index(k) if k in order else len(order))
        await cb.answer()
        await show_item(
            bot=bot,
            chat_id=message.chat.id,
            state=state,
            deps=deps,
            locale=locale,
            sheet=sheet,
            code=code,
            data=data,
            edit=message,
            ticks=ticks,
        )
        return
    await _save_press(
        cb,
        a,
        item,
        {"checked": ticks},
        callback_data.v,
        actor=actor,
        locale=locale,
        bot=bot,
        state=state,
        deps=deps,
    )


@answers.callback_query(keyboards.NavCb.filter())
async def on_nav(
    cb: CallbackQuery,
    callback_data: keyboards.NavCb,
    locale: str,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
) -> None:
    a, code = callback_data.a, callback_data.i
    sheet = await reload(a, deps)
    message = cb.message if isinstance(cb.message, Message) else None
    if sheet is None or sheet.tree.item(code) is None or message is None:
        await cb.answer()
        return
    data = await state.get_data()
    only = bool(data.get("only"))
    target: str | None = code
    if callback_data.d == "next":
        target = sheet.next(code, only)
        if target is None:
            await cb.answer(t(locale, texts.END_OF_LIST)[:190], show_alert=True)
            return
    elif callback_data.d == "prev":
        target = sheet.prev(code, only)
        if target is None:
            await cb.answer(t(locale, texts.START_OF_LIST)[:190])
            return
    await cb.answer()
    await show_item(
        bot=bot,
        chat_id=message.chat.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=target,
        data=data,
        edit=None if callback_data.d == "open" else message,
    )


@router.callback_query(keyboards.ItemCb.filter(F.d == "only"))
async def on_toggle_only(
    cb: CallbackQuery,
    callback_data: keyboards.ItemCb,
    locale: str,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
) -> None:
    sheet = await reload(callback_data.a, deps)
    message = cb.message if isinstance(cb.message, Message) else None
    await cb.answer()
    if sheet is None or message is None:
        return
    data = await state.get_data()
    only = not bool(data.get("only"))
    code = callback_data.i
    if only and code in sheet.answered:
        code = sheet.next(code, True) or code
    await show_item(
        bot=bot,
        chat_id=message.chat.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=code,
        data=data,
        edit=message,
        only=only,
    )


@router.callback_query(keyboards.ItemCb.filter(F.d == "note"))
async def on_note_button(
    cb: CallbackQuery,
    callback_data: keyboards.ItemCb,
    locale: str,
    state: FSMContext,
    deps: BotDeps,
) -> None:
    sheet = await reload(callback_data.a, deps)
    await cb.answer()
    if sheet is None or cb.message is None:
        return
    current = sheet.state(callback_data.i)
    await state.set_state(Walk.note)
    await state.update_data(a=sheet.id, item=callback_data.i, ver=current.version if current else 0)
    await cb.message.answer(t(locale, texts.NOTE_PROMPT, code=callback_data.i))


@router.callback_query(keyboards.ItemCb.filter(F.d == "fullnote"))
async def on_full_note(
    cb: CallbackQuery, callback_data: keyboards.ItemCb, locale: str, deps: BotDeps
) -> None:
    """The whole note, which the card shows shortened, as a message of its own."""
    sheet = await reload(callback_data.a, deps)
    await cb.answer()
    if sheet is None or cb.message is None:
        return
    current = sheet.state(callback_data.i)
    note = current.note if current else ""
    head = t(locale, texts.NOTE_FULL, code=escape(callback_data.i))
    # half the limit in characters: even a note of emoji (two units each) fits
    body = clip(note, TEXT_LIMIT // 2 - len(head) - 2) if note else "–"
    await cb.message.answer(f"{head}\n{escape(body)}")


@router.callback_query(keyboards.ListCb.filter())
async def on_list(
    cb: CallbackQuery, callback_data: keyboards.ListCb, locale: str, bot: Bot, deps: BotDeps
) -> None:
    sheet = await reload(callback_data.a, deps)
    message = cb.message if isinstance(cb.message, Message) else None
    await cb.answer()
    if sheet is None or message is None:
        return
    text, markup = _list_view(sheet, callback_data.f, locale)
    await send_or_edit(bot, message.chat.id, text, markup, edit=message)


def _list_view(sheet: Sheet, group_code: str, locale: str) -> tuple[str, Any]:
    """Fields; a field's criteria (when it has several); a field's or criterion's items."""
    tree = sheet.tree
    group = tree.groups.get(group_code) if group_code else None
    if group is None:
        return (
            t(locale, texts.CHOOSE_FIELD),
            keyboards.fields_keyboard(sheet.id, tree, sheet.progress, locale),
        )
    if group.parent_code not in tree.groups and len(tree.criteria_of(group.code)) > 1:
        return (
            t(
                locale,
                texts.CHOOSE_CRITERION,
                code=escape(group.code),
                title=escape(clip(group.title, texts.TITLE_CHARS)),
            ),
            keyboards.criteria_keyboard(sheet.id, tree, group.code, sheet.answered, locale),
        )
    return (
        t(
            locale,
            texts.CHOOSE_ITEM,
            code=escape(group.code),
            title=escape(clip(group.title, texts.TITLE_CHARS)),
        ),
        keyboards.group_items_keyboard(sheet.id, tree, group.code, sheet.answered, locale),
    )


# --- commands ----------------------------------------------------------------------------------


async def _sheet_or_say(
    message: Message, officer: Officer, state: FSMContext, deps: BotDeps, locale: str
) -> tuple[Sheet | None, dict[str, Any]]:
    data = await state.get_data()
    sheet_id = await sheet_id_for(officer, state, data)
    sheet = await reload(sheet_id, deps) if sheet_id else None
    if sheet is None or not sheet.codes:
        await message.answer(t(locale, texts.NO_SHEET))
        return None, data
    return sheet, data


@router.message(Command("continue", "tieptuc", "next"))
async def on_continue(
    message: Message, officer: Officer, locale: str, bot: Bot, state: FSMContext, deps: BotDeps
) -> None:
    await resume_walk(
        bot=bot, chat_id=message.chat.id, officer=officer, state=state, deps=deps, locale=locale
    )


@router.message(Command("unanswered", "chuatraloi"))
async def on_unanswered(
    message: Message, officer: Officer, locale: str, bot: Bot, state: FSMContext, deps: BotDeps
) -> None:
    sheet, data = await _sheet_or_say(message, officer, state, deps, locale)
    if sheet is None:
        return
    if not sheet.progress.unanswered:
        await message.answer(t(locale, texts.ALL_ANSWERED))
        return
    await show_item(
        bot=bot,
        chat_id=message.chat.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=sheet.progress.unanswered[0],
        data=data,
        only=True,
    )


@router.message(Command("list", "danhsach"))
async def on_list_command(
    message: Message, officer: Officer, locale: str, state: FSMContext, deps: BotDeps
) -> None:
    sheet, _data = await _sheet_or_say(message, officer, state, deps, locale)
    if sheet is None:
        return
    text, markup = _list_view(sheet, "", locale)
    await message.answer(text, reply_markup=markup)


@router.message(Command("cancel", "huy"))
async def on_cancel(
    message: Message, officer: Officer, locale: str, bot: Bot, state: FSMContext, deps: BotDeps
) -> None:
    data = await state.get_data()
    data = {k: v for k, v in data.items() if not k.startswith("x")}
    sheet_id = await sheet_id_for(officer, state, data)
    sheet = await reload(sheet_id, deps) if sheet_id else None
    code = data.get("item")
    if sheet is None or code not in sheet.codes:
        await state.set_state(None)
        await state.set_data(data)
        await message.answer(t(locale, texts.CANCELLED))
        return
    await show_item(
        bot=bot,
        chat_id=message.chat.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=code,
        data=data,
        notice=t(locale, texts.CANCELLED),
    )


# --- typed values and notes ----------------------------------------------------------------


@answers.message(Walk.note, TypedText())
async def on_note_text(
    message: Message, actor: Actor, locale: str, bot: Bot, state: FSMContext, deps: BotDeps
) -> None:
    data = await state.get_data()
    a, code, version = data.get("a"), data.get("item"), int(data.get("ver") or 0)
    if not isinstance(a, int) or not isinstance(code, str):
        await state.set_state(None)
        await message.answer(t(locale, texts.TEXT_OUTSIDE_WALK))
        return
    notice = t(locale, texts.NOTE_SAVED, code=code)
    try:
        await record_answer(
            actor,
            a,
            code,
            note=message.text or "",
            expected_version=version,
            now=deps.now(),
            tz=deps.tz,
        )
    except UserError as exc:
        notice = "⚠️ " + escape(exc.render(locale))
    sheet = await reload(a, deps)
    assert sheet is not None
    await show_item(
        bot=bot,
        chat_id=message.chat.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=code,
        data=data,
        notice=notice,
    )


@answers.message(Walk.item, TypedText())
async def on_typed_answer(
    message: Message, actor: Actor, locale: str, bot: Bot, state: FSMContext, deps: BotDeps
) -> None:
    data = await state.get_data()
    a, code, version = data.get("a"), data.get("item"), int(data.get("ver") or 0)
    if not isinstance(a, int) or not isinstance(code, str):
        await message.answer(t(locale, texts.TEXT_OUTSIDE_WALK))
        return
    typed = escape(echo(message.text or ""))
    if not await sent_at_open_card(
        message,
        data,
        a,
        code,
        too_early=t(locale, texts.TYPED_BEFORE_CARD, text=typed),
        lost=t(locale, texts.TYPED_NOT_SAVED, text=typed),
        bot=bot,
        state=state,
        deps=deps,
        locale=locale,
    ):
        return
    try:
        recorded = await record_answer_in_sheet(
            actor,
            a,
            code,
            text=message.text or "",
            expected_version=version,
            now=deps.now(),
            tz=deps.tz,
        )
    except UserError as exc:
        if await _moved_on(a, code, version, actor):
            # this officer answered the remembered item since: the process died after saving
            # that answer and before remembering the next card, so this value was meant for a
            # card the conversation has lost; show where the sheet is instead of misreading it
            sheet = await reload(a, deps)
            assert sheet is not None
            await show_item(
                bot=bot,
                chat_id=message.chat.id,
                state=state,
                deps=deps,
                locale=locale,
                sheet=sheet,
                code=sheet.resume(code) or code,
                data=data,
                notice=t(locale, texts.TYPED_NOT_SAVED, text=typed),
            )
        elif isinstance(exc, StaleAnswerError):
            sheet = await reload(a, deps)
            assert sheet is not None
            await show_item(
                bot=bot,
                chat_id=message.chat.id,
                state=state,
                deps=deps,
                locale=locale,
                sheet=sheet,
                code=code,
                data=data,
                notice="⚠️ " + escape(exc.render(locale)),
            )
        else:
            await message.reply("⚠️ " + escape(exc.render(locale)))
        return
    await advance(
        bot=bot,
        chat_id=message.chat.id,
        state=state,
        deps=deps,
        locale=locale,
        sheet_id=a,
        code=code,
        edit=None,
        recorded=recorded,
    )


async def _moved_on(sheet_id: int, code: str, version: int, actor: Actor) -> bool:
    """The remembered item was answered by this officer after the version remembered."""
    found = await Answer.filter(assessment_id=sheet_id, node__code=code).values_list(
        "version", "updated_by_officer_id"
    )
    return bool(found) and found[0][0] > version and found[0][1] == actor.id


@router.message(TypedText())
async def on_text_elsewhere(message: Message, locale: str) -> None:
    await message.answer(t(locale, texts.TEXT_OUTSIDE_WALK))
