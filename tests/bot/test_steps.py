"""What the walk decides after an answer (bot/steps.py), without Telegram: the card a channel
shows next and the line it says above it."""

from __future__ import annotations

from bot.cards import load_sheet
from bot.steps import after_answer, toggled
from core.timefmt import VIETNAM
from forms.answers import record_answer_in_sheet
from tests.forms.conftest import NOW


async def _answer(sheet: dict, code: str, **declared: object) -> None:
    await record_answer_in_sheet(
        sheet["lan"],
        sheet["assessment"].id,
        code,
        declared=declared,
        expected_version=0,
        now=NOW,
        tz=VIETNAM,
    )


async def test_after_an_answer_the_walk_stays_for_evidence_or_moves_on(sheet: dict) -> None:
    await _answer(sheet, "1.1.2", yes=True)
    loaded = await load_sheet(sheet["assessment"].id, now=NOW, tz=VIETNAM)
    assert loaded is not None
    code, notice = after_answer(loaded, "1.1.2", False, "vi")
    assert code == "1.1.3" and notice.startswith("✅ <b>1.1.2.") and "Có → 1/1 điểm" in notice
    # only unanswered items: the next one still open
    assert after_answer(loaded, "1.1.2", True, "vi")[0] == "1.1.3"

    # a level with points needs its evidence file: the walk stays on the item
    levels = loaded.tree.item("1.1.1")
    assert levels is not None and levels.rule is not None
    late = next(o for o in levels.rule.options if "muộn" in o.label)
    await _answer(sheet, "1.1.1", option=late.key)
    loaded = await load_sheet(sheet["assessment"].id, now=NOW, tz=VIETNAM)
    assert loaded is not None
    code, notice = after_answer(loaded, "1.1.1", False, "vi")
    assert code == "1.1.1" and "Ban hành muộn → 0,5/1 điểm" in notice


def test_ticks_toggle_in_the_rules_order() -> None:
    assert toggled([], "3", ["1", "2", "3"]) == ["3"]
    assert toggled(["3"], "1", ["1", "2", "3"]) == ["1", "3"]
    assert toggled(["1", "3"], "1", ["1", "2", "3"]) == ["3"]
