"""Loading a score sheet once per update and turning it into messages with their buttons.

Handlers stay thin: they call a forms service, then ask this module for the text and the
keyboard that show the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot import keyboards, texts
from bot.queries import ChatOfficer
from bot.walk import first_open, next_code, prev_code
from core.i18n import Msg
from core.models import Officer
from forms.answers import LockedError, RecordedAnswer, check_open, self_assessment_window
from forms.models import Assessment, AssessmentStatus, PeriodStatus
from forms.outline import Outline, frozen_outline
from forms.progress import Progress, compute
from forms.queries import PeriodHead, SheetHead, StoredAnswer, UnitHead, sheet_answers, sheet_head


@dataclass
class Sheet:
    """One score sheet as the bot shows it, loaded with a few queries."""

    assessment: SheetHead
    period: PeriodHead
    unit: UnitHead
    tree: Outline
    states: dict[str, StoredAnswer]
    progress: Progress
    locked: Msg | None  # why answers cannot change now, or None when they can

    @property
    def id(self) -> int:
        return self.assessment.id

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.tree.items]

    @property
    def answered(self) -> set[str]:
        return {c for c, s in self.states.items() if s.answered}

    def state(self, code: str) -> StoredAnswer | None:
        return self.states.get(code)

    def next(self, code: str | None, only: bool) -> str | None:
        return next_code(self.codes, code, self.answered, only_unanswered=only)

    def prev(self, code: str, only: bool) -> str | None:
        return prev_code(self.codes, code, self.answered, only_unanswered=only)

    def start(self) -> str | None:
        return first_open(self.codes, self.answered)

    def resume(self, remembered: object) -> str | None:
        """Where "continue" goes: the item open before, unless it is answered and others are
        still waiting; then the first unanswered one."""
        if remembered in self.codes and not (
            remembered in self.answered and self.progress.unanswered
        ):
            return str(remembered)
        return self.start()


async def current_assessment_id(officer: Officer | ChatOfficer) -> int | None:
    """The unit's score sheet in the newest open period (None when nothing is open)."""
    found = (
        await Assessment.filter(unit_id=officer.unit_id, period__status=PeriodStatus.open)  # type: ignore[attr-defined]
        .order_by("-period__year", "-id")
        .limit(1)
        .values_list("id", flat=True)
    )
    return int(found[0]) if found else None


async def load_sheet(
    assessment_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    recorded: RecordedAnswer | None = None,
) -> Sheet | None:
    """The sheet with its questionnaire, answers and progress: two queries once the
    questionnaire is cached, none right after an answer (``recorded``: recording read the
    sheet, its period, unit and answers, and knows the one it wrote)."""
    if recorded is not None:
        head, states = recorded.sheet, recorded.answers
    else:
        head = await sheet_head(assessment_id)
        if head is None:
            return None
        states = await sheet_answers(head.id)
    tree = await frozen_outline(head.criteria_set_id, head.set_frozen_at)
    window = self_assessment_window(head.period, head)
    progress = compute(head, tree, states, deadline=window.closes_at, now=now, tz=tz)
    locked: Msg | None = None
    try:
        check_open(head.period, head, now, as_admin=False, tz=tz)
    except LockedError as exc:
        locked = exc.msg
    return Sheet(head, head.period, head.unit, tree, states, progress, locked)


def item_message(
    sheet: Sheet,
    code: str,
    locale: str,
    *,
    tz: ZoneInfo,
    only: bool = False,
    notice: str = "",
    ticks: list[str] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    item = sheet.tree.item(code)
    assert item is not None
    state = sheet.state(code)
    locked = sheet.locked is not None
    if locked and not notice and sheet.assessment.status == AssessmentStatus.draft:
        notice = "🔒 " + sheet.locked.render(locale)  # type: ignore[union-attr]
    text = texts.item_card(
        sheet.tree,
        item,
        state,
        sheet.progress,
        locale,
        tz=tz,
        locked=locked,
        submitted=sheet.assessment.status != AssessmentStatus.draft,
        only_unanswered=only,
        notice=notice,
        pending_ticks=ticks,
    )
    markup = keyboards.item_keyboard(
        sheet.id,
        item,
        state,
        locale,
        locked=locked,
        only_unanswered=only,
        pending_ticks=ticks,
    )
    return text, markup


def status_message(sheet: Sheet, locale: str, *, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    text = texts.status_text(
        sheet.progress,
        locale,
        unit=sheet.unit.name,
        period=sheet.period.name,
        submitted_at=sheet.assessment.submitted_at,
        tz=tz,
    )
    if sheet.locked is not None and sheet.assessment.submitted_at is None:
        text += "\n🔒 " + sheet.locked.render(locale)
    markup = keyboards.status_keyboard(
        sheet.id,
        locale,
        can_submit=sheet.locked is None
        and not sheet.progress.unanswered
        and not sheet.progress.missing_evidence,
    )
    return text, markup
