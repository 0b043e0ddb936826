"""Shared pieces of the routers: states, the bound-officer guard, filters checked on the loop."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, TelegramObject
from magic_filter import MagicFilter

from bot.deps import BotDeps
from bot.queries import ChatOfficer
from core.i18n import N_, Msg
from forms.models import Assessment
from scoring.models import Review


class Explain(StatesGroup):
    text = State()
    score = State()
    files = State()


class Bound(Filter):
    """Passes only for a Telegram account bound to an active officer."""

    async def __call__(self, event: TelegramObject, officer: ChatOfficer | None = None) -> bool:
        return officer is not None


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
    the answer is cached for the life of the bot (``deps.unit_of_button``)."""

    async def __call__(self, event: TelegramObject, officer: ChatOfficer, deps: BotDeps) -> bool:
        if not isinstance(event, CallbackQuery) or not event.data:
            return False
        prefix, _, rest = event.data.partition(":")
        if prefix not in _SHEET_BUTTONS and prefix not in _REVIEW_BUTTONS:
            return False
        first = rest.split(":", 1)[0]
        if not first.isdigit():
            return False  # not a button of ours at all: nothing handles it
        key = (prefix in _REVIEW_BUTTONS, int(first))
        cache = deps.unit_of_button
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


def bound_router(name: str) -> Router:
    """A router for bound officers only, refusing buttons that name another unit's sheet."""
    router = Router(name=name)
    router.message.filter(Bound())
    router.callback_query.filter(Bound())
    router.callback_query.register(_refuse_foreign, ForeignButton())
    return router


class Magic(Filter):
    """A magic filter (``F.document | F.photo``) checked on the event loop.

    Why: aiogram calls a plain (synchronous) filter through the executor, and a magic filter
    is one (so is a ``State`` given as a filter: use ``StateFilter``), so every check was a
    hand-off to a worker thread and back, several per update.
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
