"""One update's conversation in a Telegram chat: who writes, the sheet, the card on screen.

Handlers get it as ``convo`` (:class:`ConversationMiddleware`) and say what to show
(``await convo.show(code, notice=...)``); which card comes next and what it says is decided by
the pure rules of :mod:`bot.walk` (``after_answer``, navigation) and the texts of
:mod:`bot.cards`. This class is the Telegram side only: inline keyboards, a press edits the
card it came from, everything else gets a new message. Another messenger would bring its own
presenter over the same rules (docs/bot.md, "Another messenger").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject

from bot import texts
from bot.cards import Sheet, current_assessment_id, item_message, load_sheet
from bot.deps import BotDeps
from bot.queries import ChatOfficer
from bot.texts import t
from core.audit import Actor
from core.models import Officer
from forms.answers import RecordedAnswer

log = logging.getLogger("cchc.bot")


class Walk(StatesGroup):
    item = State()  # an item card is open: typed text answers it, files attach to it
    note = State()  # the next text is the item's note


@dataclass
class Conversation:
    """The officer (None before binding), the chat and its remembered state for one update."""

    bot: Bot
    chat_id: int
    state: FSMContext
    deps: BotDeps
    locale: str
    officer: ChatOfficer | Officer | None = None
    actor: Actor | None = None
    pressed: Message | None = None  # the bot's message whose button was pressed: edited
    _data: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def t(self, msg: Any, **values: Any) -> str:
        return t(self.locale, msg, **values)

    async def data(self) -> dict[str, Any]:
        """The remembered state data, read once per update (the same dict until saved)."""
        if self._data is None:
            self._data = dict(await self.state.get_data())
        return self._data

    def forget(self) -> None:
        """Read the state again next time (a reply sent later, after other updates)."""
        self._data = None

    async def save(self, new_state: State | None, data: dict[str, Any]) -> None:
        """State and data in one write when the storage can (the database storage can)."""
        self._data = data
        save = getattr(self.state.storage, "save", None)
        if save is not None:
            await save(self.state.key, new_state, data)
        else:
            await self.state.set_state(new_state)
            await self.state.set_data(data)

    async def sheet(
        self, sheet_id: int | None = None, recorded: RecordedAnswer | None = None
    ) -> Sheet | None:
        """A sheet as it is now (by default the one this conversation works on: the unit's
        sheet in the open period, else the one remembered, e.g. explaining after the period
        closed); after an answer, with what recording it read and wrote."""
        if sheet_id is None:
            sheet_id = await self.sheet_id()
            if sheet_id is None:
                return None
        deps = self.deps
        return await load_sheet(sheet_id, now=deps.now(), tz=deps.tz, recorded=recorded)

    async def sheet_id(self) -> int | None:
        current = await current_assessment_id(self.officer) if self.officer else None
        if current is not None:
            return current
        remembered = (await self.data()).get("a")
        return remembered if isinstance(remembered, int) else None

    async def say(
        self, text: str, markup: InlineKeyboardMarkup | None = None, *, edit: bool | None = None
    ) -> int:
        """Edit the pressed message (``edit`` None: when there is one), falling back to a
        new message; return the message id."""
        target = self.pressed if edit is not False else None
        if target is not None:
            try:
                await target.edit_text(text, reply_markup=markup)
                return target.message_id
            except TelegramBadRequest as exc:
                if "not modified" in str(exc).lower():
                    return target.message_id
                log.info("could not edit message %s (%s); sending anew", target.message_id, exc)
        sent = await self.bot.send_message(self.chat_id, text, reply_markup=markup)
        return sent.message_id

    async def show(
        self,
        code: str,
        *,
        sheet: Sheet | None = None,
        notice: str = "",
        ticks: list[str] | None = None,
        only: bool | None = None,
        edit: bool | None = None,
    ) -> int:
        """Show one item card and remember it as the open item (with the version shown)."""
        sheet = sheet or await self.sheet()
        assert sheet is not None
        data = dict(await self.data())
        if only is None:
            only = bool(data.get("only"))
        text, markup = item_message(
            sheet, code, self.locale, tz=self.deps.tz, only=only, notice=notice, ticks=ticks
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
        # with the card's message id. A typed value is filed under this item only when it is
        # newer than the card (walk.on_typed_answer); while the card is not known to be shown
        # (the process died or was stopped in between) a typed value could be meant for the
        # previous card, so it is refused and the card shown again, never filed under an item
        # the officer did not see. The same item shown again (after an answer that still needs
        # its files) is remembered once, after sending: until then the open card is the same
        # item's, and a value typed at it carries the older version, which record_answer
        # refuses as stale.
        if previous_item != (sheet.id, code) or not isinstance(previous_card, int):
            data["card"] = None
            await self.save(Walk.item, dict(data))
        data["card"] = await self.say(text, markup, edit=edit)
        await self.save(Walk.item, data)
        return data["card"]

    async def resume(self, *, edit: bool | None = False) -> None:
        """Show the item the officer was on (or the first unanswered one)."""
        sheet = await self.sheet()
        code = sheet.resume((await self.data()).get("item")) if sheet else None
        if sheet is None or code is None:
            await self.say(self.t(texts.NO_SHEET), edit=False)
            return
        await self.show(code, sheet=sheet, edit=edit)

    async def sent_at_open_card(
        self, message: Message, sheet_id: int, code: str, *, too_early: str, lost: str
    ) -> bool:
        """Whether what the officer sent (a typed value, a file) belongs to the item card on
        screen. One older than the card (a redelivery after a crash, or a send racing the
        card) gets the reply ``too_early``; one sent while the card may never have reached the
        officer (``card`` None: the process died between remembering and showing it) gets the
        card shown again with the notice ``lost``. Neither is filed under an item the officer
        had not seen."""
        card = (await self.data()).get("card", 0)  # 0: remembered before cards were
        if isinstance(card, int) and message.message_id < card:
            await message.reply(too_early)
            return False
        if card is None:
            sheet = await self.sheet(sheet_id)
            if sheet is not None and sheet.tree.item(code) is not None:
                await self.show(code, sheet=sheet, notice=lost)
            return False
        return True


class ConversationMiddleware(BaseMiddleware):
    """Puts ``convo`` into the handler data of messages and button presses (after the
    officer middleware, whose ``officer``, ``locale`` and ``actor`` it carries)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        pressed = None
        if isinstance(event, CallbackQuery):
            pressed = event.message if isinstance(event.message, Message) else None
            chat_id = pressed.chat.id if pressed is not None else event.from_user.id
        else:
            chat_id = data["event_chat"].id  # a message always has its chat
        data["convo"] = Conversation(
            bot=data["bot"],
            chat_id=chat_id,
            state=data["state"],
            deps=data["deps"],
            locale=data["locale"],
            officer=data.get("officer"),
            actor=data.get("actor"),
            pressed=pressed,
        )
        return await handler(event, data)
