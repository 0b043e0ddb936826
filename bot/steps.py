"""What the walk does next, decided from a loaded sheet: no Telegram, no database.

A channel (the Telegram conversation of :mod:`bot.conversation`, or another messenger) asks
these rules which card comes next and what to say above it, then shows it its own way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import texts
from bot.texts import t
from forms.outline import OutlineNode

if TYPE_CHECKING:
    from bot.cards import Sheet


def declared_from_button(item: OutlineNode, value: str) -> dict[str, Any]:
    """What a pressed answer button declares: y/n, an option key, "na", "0" (no violation)."""
    if value == "na":
        return {"na": True}
    rule = item.rule
    assert rule is not None
    if rule.type == "yes_no":
        return {"yes": value == "y"}
    if rule.type == "deduction" and value == "0":
        return {"option": None}
    return {"option": value}


def needs_files(sheet: Sheet, code: str) -> bool:
    item, state = sheet.tree.item(code), sheet.state(code)
    return bool(item and state and state.files == 0 and item.needs_evidence(state))


def after_answer(sheet: Sheet, code: str, only: bool, locale: str) -> tuple[str, str]:
    """(the item to show, the notice above it) after an answer to ``code`` was saved: stay
    while the item still needs its evidence, else the next item (only unanswered ones with
    ``only``), else the first unanswered one, else stay and say everything is answered."""
    item, state = sheet.tree.item(code), sheet.state(code)
    assert item is not None and state is not None
    notice = texts.answered_line(item, state, locale)
    if needs_files(sheet, code):
        return code, notice
    target = sheet.next(code, only) or next(iter(sheet.progress.unanswered), None)
    if target is None:
        return code, notice + "\n\n" + t(locale, texts.ALL_ANSWERED)
    return target, notice


def toggled(ticks: list[str], key: str, order: list[str]) -> list[str]:
    """A checklist's pending ticks with ``key`` ticked or unticked, in the rule's order."""
    ticks = [k for k in ticks if k != key] if key in ticks else [*ticks, key]
    return sorted(ticks, key=lambda k: order.index(k) if k in order else len(order))
