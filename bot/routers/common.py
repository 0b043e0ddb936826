"""Shared pieces of the routers: states, the bound-officer filter, showing an item."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from magic_filter import MagicFilter

from bot import texts
from bot.cards import Sheet, current_assessment_id, item_message, load_sheet
from bot.deps import BotDeps
from bot.texts import t
from core.i18n import N_, Msg
from core.models import Officer
from forms.answers import RecordedAnswer
from forms.models import Assessment
from scoring.models import Review

log = logging.getLogger("cchc.bot")


class Walk(StatesGroup):
    item = State()  # an item card is open: typed text answers it, files attach to it
    note = State()  # the next text is the item's note


class Explain(StatesGroup):
    text = State()
    score = State()
    files = State()


class Bound(Filter):
    """Passes only for a Telegram account bound to an active officer."""

    async def __call__(self, event: TelegramObject, officer: Officer | None = None) -> bool:
        return officer is not None


class Unbound(Filter):
    async def __call__(self, event: TelegramObject, officer: Officer | None = None) -> bool:
        return officer is None


# Buttons whose first field is a score sheet's id (bot.keyboards: AnswerCb, TickCb, NavCb,
# ItemCb, ListCb, FileCb, MenuCb, ExtendCb), and the explanation button, whose first is a review.
_SHEET_BUTTONS = frozenset({"an", "tk", "nv", "it", "ls", "fl", "mn", "gh"})
_REVIEW_BUTTONS = frozenset({"ex"})
_MAX_ID = 2_147_483_647
_NOT_YOURS = Msg(N_("You can only answer for your own unit."))


class ForeignButton(Filter):
    """Passes for a button naming a score sheet or an explanation request that is not of the
    officer's own unit (or does not exist): a forged callback, since the buttons the bot draws
    always name the officer's own sheet. Without it, a hand-made ``nv:<id>:1.1.1:go`` would
    show another unit's answers, files and progress. Sheets and reviews never change unit, so
    the answer is cached per dispatcher."""

    async def __call__(
        self, event: TelegramObject, officer: Officer | None = None, deps: BotDeps | None = None
    ) -> bool:
        if officer is None or not isinstance(event, CallbackQuery) or not event.data:
            return False
        prefix, _, rest = event.data.partition(":")
        if prefix not in _SHEET_BUTTONS and prefix not in _REVIEW_BUTTONS:
            return False
        first = rest.split(":", 1)[0]
        if not first.isdigit():
            return False  # not a button of ours at all: nothing handles it
        key = (prefix in _REVIEW_BUTTONS, int(first))
        cache: dict[tuple[bool, int], int] = (
            deps.extra.setdefault("unit_of_button", {}) if deps is not None else {}  # type: ignore[assignment]
        )
        unit = cache.get(key)
        if unit is None:
            unit = await _unit_of(*key)
            if unit is not None:  # an id not (yet) in use is asked again next time
                if len(cache) > 100_000:
                    cache.clear()
                cache[key] = unit
        return unit != officer.unit_id  # type: ignore[attr-defined]


async def _unit_of(is_review: bool, id_: int) -> int | None:
    if id_ > _MAX_ID:
        return None
    if is_review:
        found = await Review.filter(id=id_).values_list("answer__assessment__unit_id", flat=True)
    else:
        found = await Assessment.filter(id=id_).values_list("unit_id", flat=True)
    return int(found[0]) if found else None


async def _refuse_foreign(cb: CallbackQuery, locale: str) -> None:
    await cb.answer(_NOT_YOURS.render(locale), show_alert=True)


class Magic(Filter):
    """A magic filter (``F.text & ...``) checked on the event loop.

    Why: aiogram calls a plain (synchronous) filter through ``asyncio.to_thread``, and a
    magic filter is one (so is a ``State`` given as a filter), so every check was a hand-off
    to a worker thread and back, several per update. :meth:`RouterSpec.build` wraps them.
    """

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


class TypedText(Filter):
    """A text message that is not a command: a typed answer, note, explanation or date.
    (``F.text & ~F.text.startswith("/")`` without the magic filter's interpretation: it is
    checked on nearly every message.)"""

    async def __call__(self, event: TelegramObject) -> bool:
        text = getattr(event, "text", None)
        return isinstance(text, str) and bool(text) and not text.startswith("/")


def _on_loop(filters: tuple[Any, ...]) -> tuple[Any, ...]:
    """The same filters, each checked on the loop: magic filters as :class:`Magic`, states
    (``Walk.item``, also a plain callable to aiogram) as aiogram's own ``StateFilter``."""
    return tuple(
        Magic(f) if isinstance(f, MagicFilter) else StateFilter(f) if isinstance(f, State) else f
        for f in filters
    )


class RouterSpec:
    """Handlers of one feature, registered with the usual decorators, built into a fresh
    :class:`aiogram.Router` per dispatcher (a router can belong to one dispatcher only, and a
    restart or a test builds a new dispatcher)."""

    def __init__(self, name: str, *, bound: bool | None = None) -> None:
        self.name = name
        self.bound = bound
        self.entries: list[tuple[str, tuple[Any, ...], Callable[..., Any]]] = []

    def _register(self, observer: str, filters: tuple[Any, ...]) -> Callable[..., Any]:
        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.entries.append((observer, filters, handler))
            return handler

        return decorator

    def message(self, *filters: Any) -> Callable[..., Any]:
        return self._register("message", filters)

    def callback_query(self, *filters: Any) -> Callable[..., Any]:
        return self._register("callback_query", filters)

    def my_chat_member(self, *filters: Any) -> Callable[..., Any]:
        return self._register("my_chat_member", filters)

    def build(self) -> Router:
        router = Router(name=self.name)
        if self.bound is not None:
            guard = Bound() if self.bound else Unbound()
            router.message.filter(guard)
            router.callback_query.filter(guard)
        if self.bound:
            router.callback_query.register(_refuse_foreign, ForeignButton())
        for observer, filters, handler in self.entries:
            getattr(router, observer).register(handler, *_on_loop(filters))
        return router


async def send_or_edit(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    edit: Message | None = None,
) -> int:
    """Edit ``edit`` in place when given (falling back to a new message); return the id."""
    if edit is not None:
        try:
            await edit.edit_text(text, reply_markup=markup)
            return edit.message_id
        except TelegramBadRequest as exc:
            if "not modified" in str(exc).lower():
                return edit.message_id
            log.info("could not edit message %s (%s); sending a new one", edit.message_id, exc)
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    return sent.message_id


async def sheet_id_for(officer: Officer, state: FSMContext, data: dict[str, Any]) -> int | None:
    """The sheet this conversation works on: the unit's sheet in the open period (a new
    period takes over), else the one remembered (e.g. explaining after the period closed)."""
    current = await current_assessment_id(officer)
    if current is not None:
        return current
    remembered = data.get("a")
    return remembered if isinstance(remembered, int) else None


async def show_item(
    *,
    bot: Bot,
    chat_id: int,
    state: FSMContext,
    deps: BotDeps,
    locale: str,
    sheet: Sheet,
    code: str,
    data: dict[str, Any] | None = None,
    edit: Message | None = None,
    notice: str = "",
    ticks: list[str] | None = None,
    only: bool | None = None,
) -> int:
    """Show one item card and remember it as the open item (with the version shown)."""
    data = dict(await state.get_data() if data is None else data)
    if only is None:
        only = bool(data.get("only"))
    text, markup = item_message(
        sheet, code, locale, tz=deps.tz, only=only, notice=notice, ticks=ticks
    )
    current = sheet.state(code)
    previous_item, previous_card = (data.get("a"), data.get("item")), data.get("card")
    data.update(
        a=sheet.id,
        item=code,
        ver=current.version if current else 0,
        only=only,
        ticks={"i": code, "k": ticks} if ticks is not None else None,
    )
    # A new item is remembered twice: before sending, as not yet shown ("card" None), then
    # with the card's message id. A typed value is filed under this item only when it is newer
    # than the card (walk.on_typed_answer); while the card is not known to be shown (the
    # process died or was stopped in between) a typed value could be meant for the previous
    # card, so it is refused and the card shown again, never filed under an item the officer
    # did not see. The same item shown again (after an answer that still needs its files) is
    # remembered once, after sending: until then the open card is the same item's, and a
    # value typed at it carries the older version, which record_answer refuses as stale.
    if previous_item != (sheet.id, code) or not isinstance(previous_card, int):
        data["card"] = None
        await save_state(state, Walk.item, data)
    message_id = await send_or_edit(bot, chat_id, text, markup, edit=edit)
    data["card"] = message_id
    await save_state(state, Walk.item, data)
    return message_id


async def sent_at_open_card(
    message: Message,
    data: dict[str, Any],
    sheet_id: int,
    code: str,
    *,
    too_early: str,
    lost: str,
    bot: Bot,
    state: FSMContext,
    deps: BotDeps,
    locale: str,
) -> bool:
    """Whether what the officer sent (a typed value, a file) belongs to the item card on
    screen. One older than the card (a redelivery after a crash, or a send racing the card)
    gets the reply ``too_early``; one sent while the card may never have reached the officer
    (``card`` None: the process died between remembering and showing it) gets the card shown
    again with the notice ``lost``. Neither is filed under an item the officer had not seen.
    """
    card = data.get("card", 0)  # 0: remembered before cards were (an older conversation)
    if isinstance(card, int) and message.message_id < card:
        await message.reply(too_early)
        return False
    if card is None:
        sheet = await reload(sheet_id, deps)
        if sheet is not None and sheet.tree.item(code) is not None:
            await show_item(
                bot=bot,
                chat_id=message.chat.id,
                state=state,
                deps=deps,
                locale=locale,
                sheet=sheet,
                code=code,
                data=data,
                notice=lost,
            )
        return False
    return True


async def resume_walk(
    *,
    bot: Bot,
    chat_id: int,
    officer: Officer,
    state: FSMContext,
    deps: BotDeps,
    locale: str,
) -> None:
    """Show the item the officer was on (or the first unanswered one) in a new message."""
    data = await state.get_data()
    sheet_id = await sheet_id_for(officer, state, data)
    sheet = await reload(sheet_id, deps) if sheet_id else None
    code = sheet.resume(data.get("item")) if sheet else None
    if sheet is None or code is None:
        await bot.send_message(chat_id, t(locale, texts.NO_SHEET))
        return
    await show_item(
        bot=bot,
        chat_id=chat_id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=code,
        data=data,
    )


async def reload(
    sheet_id: int, deps: BotDeps, recorded: RecordedAnswer | None = None
) -> Sheet | None:
    """The sheet as it is now; after an answer, with what recording it read and wrote."""
    header = (recorded.assessment, recorded.period, recorded.unit) if recorded else None
    return await load_sheet(
        sheet_id, now=deps.now(), tz=deps.tz, outlines=deps.outlines, header=header
    )


async def save_state(state: FSMContext, new_state: State | None, data: dict[str, Any]) -> None:
    """State and data in one write when the storage can (the database storage can)."""
    save = getattr(state.storage, "save", None)
    if save is not None:
        await save(state.key, new_state, data)
    else:
        await state.set_state(new_state)
        await state.set_data(data)
