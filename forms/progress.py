"""Where a score sheet stands: answered items, self score so far, missing evidence, deadline.

What the bot shows on every item and in its status command, and what the web form shows at the
top of the page. Read-only; a handful of queries per call, and the criteria of a frozen set are
cached in memory (a set in use never changes).

The score so far is a preview through the same roll-up as the published figures
(:mod:`forms.rollup`): the unit's own scores, the set's bonus and penalty caps, no survey points
and no appraisal yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.i18n import N_, Msg
from core.timefmt import VIETNAM, format_datetime
from forms.answers import self_assessment_window
from forms.models import Assessment
from forms.outline import Outline, outline
from forms.queries import SheetHead, StoredAnswer, sheet_answers
from forms.rollup import RollupOptions, UnitRollup


@dataclass(frozen=True)
class FieldProgress:
    code: str
    title: str
    section: str
    answered: int
    total: int
    score: Decimal
    max_score: Decimal
    unanswered: list[str]
    missing_evidence: list[str]


@dataclass(frozen=True)
class Progress:
    assessment_id: int
    status: str
    answered: int
    total: int
    self_score: Decimal
    unanswered: list[str]
    missing_evidence: list[str]
    deadline: datetime
    days_left: int  # calendar days in local time; 0 = today, negative = overdue
    fields: list[FieldProgress] = field(default_factory=list)
    tz: ZoneInfo = VIETNAM
    closed: bool = False  # the deadline's moment has passed (or the sheet is locked by it)

    @property
    def deadline_text(self) -> str:
        return format_datetime(self.deadline, self.tz)

    @property
    def remaining(self) -> Msg:
        return remaining(self.days_left, passed=self.closed)


def remaining(days_left: int, *, passed: bool = False) -> Msg:
    """ "còn 5 ngày", "hạn chót là hôm nay", "đã quá hạn 2 ngày"; "đã hết hạn" when the
    deadline's hour has ``passed`` on its own day (never "due today" for what is closed)."""
    if passed and days_left >= 0:
        return Msg(N_("the deadline has passed"))
    if days_left > 0:
        return Msg(N_("{n} day(s) left"), n=days_left)
    if days_left == 0:
        return Msg(N_("due today"))
    return Msg(N_("{n} day(s) overdue"), n=-days_left)


def days_between(now: datetime, deadline: datetime, tz: ZoneInfo) -> int:
    """Calendar days from today to the deadline's day, in local time (as people count)."""
    return (deadline.astimezone(tz).date() - now.astimezone(tz).date()).days


def preview(tree: Outline, states: dict[str, StoredAnswer]) -> UnitRollup:
    """The unit's own scores so far through the one roll-up (:mod:`forms.rollup`): stored self
    scores, unanswered items at 0, the set's bonus and penalty caps, no survey points yet."""
    rollup = tree.tree
    values = rollup.blank()
    na: list[int] = []
    position = rollup.position
    for item in tree.items:
        state = states.get(item.code)
        if state is not None and state.answered:
            i = position[item.code]
            if state.not_applicable:
                na.append(i)
            else:
                values[i] = rollup.clamp(i, state.self_score)
    return rollup.run(values, RollupOptions(tree.bonus_cap, tree.penalty_cap), na)


def compute(
    assessment: Assessment | SheetHead,
    tree: Outline,
    states: dict[str, StoredAnswer],
    *,
    deadline: datetime,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> Progress:
    """Progress from already loaded data (the walk reuses what it loaded for the card)."""
    unanswered: list[str] = []
    missing: list[str] = []
    for item in tree.items:
        state = states.get(item.code)
        if state is None or not state.answered:
            unanswered.append(item.code)
        elif state.files == 0 and item.needs_evidence(state):
            missing.append(item.code)
    scores = preview(tree, states)
    position = tree.tree.position
    by_field = tree.items_by_field()
    open_codes, missing_codes = set(unanswered), set(missing)
    fields = [
        FieldProgress(
            code=top.code,
            title=top.title,
            section=top.section,
            answered=sum(1 for c in codes if c not in open_codes),
            total=len(codes),
            score=scores.scores[position[top.code]],
            max_score=top.max_score,
            unanswered=[c for c in codes if c in open_codes],
            missing_evidence=[c for c in codes if c in missing_codes],
        )
        for top in tree.fields()
        for codes in [by_field.get(top.code, [])]
    ]
    return Progress(
        assessment_id=assessment.id,
        status=str(assessment.status),
        answered=len(tree.items) - len(unanswered),
        total=len(tree.items),
        self_score=scores.total,
        unanswered=unanswered,
        missing_evidence=missing,
        deadline=deadline,
        days_left=days_between(now, deadline, tz),
        fields=fields,
        tz=tz,
        closed=now >= deadline or assessment.self_locked_at is not None,
    )


async def progress(assessment_id: int, *, now: datetime, tz: ZoneInfo = VIETNAM) -> Progress:
    """Where one score sheet stands now."""
    assessment = await Assessment.get(id=assessment_id).prefetch_related("period")
    tree = await outline(assessment.criteria_set_id)  # type: ignore[attr-defined]
    states = await sheet_answers(assessment_id)
    window = self_assessment_window(assessment.period, assessment)
    return compute(assessment, tree, states, deadline=window.closes_at, now=now, tz=tz)
