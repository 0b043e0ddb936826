"""Where a score sheet stands: answered items, self score so far, missing evidence, deadline.

What the bot shows on every item and in its status command, and what the web form shows at the
top of the page. Read-only; a handful of queries per call, and the criteria of a frozen set are
cached in memory (a set in use never changes).

The score so far is a preview: item scores summed and capped at every criterion and field
maximum, bonus and penalty each capped by the set's limits (or their section maximum), total
floored at 0. The published figures come from the roll-up in ``scoring``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from core import sql
from core.i18n import N_, Msg
from core.timefmt import VIETNAM, format_datetime
from forms.answers import self_assessment_window
from forms.criteria import node_rule
from forms.evidence_policy import WHEN_POINTS, evidence_needed
from forms.models import Assessment, CriteriaNode, CriteriaSet, Section
from forms.queries import sheet_answers
from forms.rules import Rule

ZERO = Decimal(0)
T = TypeVar("T")


@dataclass(frozen=True)
class ItemNode:
    """An item as the walk needs it, detached from the ORM (cached per frozen set)."""

    code: str
    title: str
    parent_code: str | None
    section: str
    position: int
    max_score: Decimal
    rule: Rule | None
    guidance: str
    evidence: str
    evidence_required: bool
    na_allowed: bool
    evidence_when: str = WHEN_POINTS

    def needs_evidence(self, state: AnswerState | None) -> bool:
        """Whether this answer needs a file (forms/evidence_policy.py): required items only
        where the answer claims points, unless the workbook says "always"."""
        return state is not None and evidence_needed(
            required=self.evidence_required,
            when=self.evidence_when,
            rule=self.rule,
            answered=state.answered,
            not_applicable=state.not_applicable,
            score=state.self_score,
        )


@dataclass(frozen=True)
class GroupNode:
    code: str
    title: str
    parent_code: str | None
    level: str
    section: str
    max_score: Decimal


@dataclass(frozen=True)
class SetOutline:
    """A criteria set's tree: groups (fields, criteria) and the self-assessed items in order."""

    set_id: int
    bonus_cap: Decimal
    penalty_cap: Decimal
    groups: dict[str, GroupNode]
    items: list[ItemNode]  # questionnaire order, survey items excluded

    def item(self, code: str) -> ItemNode | None:
        return self._by_code.get(code)

    @property
    def _by_code(self) -> dict[str, ItemNode]:
        cached = self.__dict__.get("_items_by_code")
        if cached is None:
            cached = {i.code: i for i in self.items}
            object.__setattr__(self, "_items_by_code", cached)
        return cached

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """A value derived from this outline, computed once per key: the outline is immutable,
        like the frozen criteria set it comes from, and the bot draws the same card parts and
        labels on every answer."""
        cache: dict[Hashable, Any] = self.__dict__.setdefault("_memo", {})
        try:
            return cache[key]  # type: ignore[no-any-return]
        except KeyError:
            value = cache[key] = make()
            return value

    def breadcrumb(self, code: str) -> list[GroupNode]:
        """Field first, then criterion: the groups above an item."""
        chain: list[GroupNode] = []
        item = self.item(code)
        parent = item.parent_code if item else None
        while parent is not None and parent in self.groups:
            chain.append(self.groups[parent])
            parent = self.groups[parent].parent_code
        return list(reversed(chain))

    def group_depth(self, code: str) -> int:
        depth, parent = 0, self.groups[code].parent_code
        while parent is not None and parent in self.groups and depth < 50:
            depth, parent = depth + 1, self.groups[parent].parent_code
        return depth

    @property
    def _tops(self) -> dict[str, str | None]:
        """Each item's field, computed once: the walk asks on every answer (the outline is
        immutable, like the frozen criteria set it comes from)."""
        cached = self.__dict__.get("_tops_by_item")
        if cached is None:
            cached = {}
            for item in self.items:
                chain = self.breadcrumb(item.code)
                cached[item.code] = chain[0].code if chain else None
            object.__setattr__(self, "_tops_by_item", cached)
        return cached

    def top_of(self, code: str) -> str | None:
        return self._tops.get(code)

    def fields(self) -> list[GroupNode]:
        """Top-level groups that hold at least one self-assessed item, in order."""
        tops: list[str] = []
        for item in self.items:
            top = self.top_of(item.code)
            if top is not None and top not in tops:
                tops.append(top)
        return [self.groups[t] for t in tops]

    def items_by_field(self) -> dict[str, list[str]]:
        """Item codes per field code, in questionnaire order."""
        cached = self.__dict__.get("_items_by_field")
        if cached is None:
            cached = defaultdict(list)
            for item in self.items:
                top = self.top_of(item.code)
                if top is not None:
                    cached[top].append(item.code)
            cached = dict(cached)
            object.__setattr__(self, "_items_by_field", cached)
        return cached

    def criteria_of(self, field_code: str) -> list[GroupNode]:
        seen: list[str] = []
        for item in self.items:
            chain = self.breadcrumb(item.code)
            if len(chain) >= 2 and chain[0].code == field_code and chain[1].code not in seen:
                seen.append(chain[1].code)
        return [self.groups[c] for c in seen]


_outlines: dict[tuple[int, object], SetOutline] = {}


async def outline(criteria_set_id: int, cache: dict[int, SetOutline] | None = None) -> SetOutline:
    """The set's tree. A frozen set never changes, so it is cached: in ``cache`` when the
    caller owns one (no query at all next time), else per (id, freezing time)."""
    if cache is not None and criteria_set_id in cache:
        return cache[criteria_set_id]
    cset = await CriteriaSet.get(id=criteria_set_id)
    key = (cset.id, cset.frozen_at)
    if cset.frozen_at is not None and key in _outlines:
        if cache is not None:
            cache[cset.id] = _outlines[key]
        return _outlines[key]
    nodes = await CriteriaNode.filter(criteria_set_id=cset.id).order_by("position")
    groups: dict[str, GroupNode] = {}
    items: list[ItemNode] = []
    for n in nodes:
        if n.level == "item":
            if n.section == Section.survey:
                continue
            items.append(
                ItemNode(
                    code=n.code,
                    title=n.title,
                    parent_code=n.parent_code,
                    section=str(n.section),
                    position=n.position,
                    max_score=Decimal(n.max_score),
                    rule=node_rule(n),
                    guidance=n.guidance,
                    evidence=n.evidence,
                    evidence_required=n.evidence_required,
                    na_allowed=n.na_allowed,
                    evidence_when=n.evidence_when,
                )
            )
        else:
            groups[n.code] = GroupNode(
                n.code, n.title, n.parent_code, str(n.level), str(n.section), Decimal(n.max_score)
            )
    result = SetOutline(cset.id, Decimal(cset.bonus_cap), Decimal(cset.penalty_cap), groups, items)
    if cset.frozen_at is not None:
        _outlines[key] = result
        if cache is not None:
            cache[cset.id] = result
    return result


@dataclass(frozen=True)
class AnswerState:
    """What is stored for one item, as the walk shows it."""

    version: int
    declared: dict | None
    self_score: Decimal | None
    not_applicable: bool
    note: str
    files: int
    updated_by: str
    updated_at: datetime | None

    @property
    def answered(self) -> bool:
        return self.declared is not None or self.not_applicable


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


async def answer_states(assessment_id: int) -> dict[str, AnswerState]:
    """Every stored answer of the sheet by item code, with its file count and author (one
    named query, ``forms.queries.sheet_answers``: the walk calls this on every answer)."""
    return {
        row["code"]: AnswerState(
            version=row["version"],
            declared=sql.as_json(row["declared"]),
            self_score=sql.as_decimal(row["self_score"]),
            not_applicable=bool(row["not_applicable"]),
            note=row["note"] or "",
            files=int(row["files"] or 0),
            updated_by=row["full_name"] or "",
            updated_at=sql.as_datetime(row["updated_at"]),
        )
        for row in await sheet_answers(assessment_id)
    }


def compute(
    assessment: Assessment,
    tree: SetOutline,
    states: dict[str, AnswerState],
    *,
    deadline: datetime,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> Progress:
    """Progress from already loaded data (the walk reuses what it loaded for the card)."""
    item_scores: dict[str, Decimal] = {}
    unanswered: list[str] = []
    missing: list[str] = []
    for item in tree.items:
        state = states.get(item.code)
        if state is None or not state.answered:
            unanswered.append(item.code)
            continue
        item_scores[item.code] = state.self_score or ZERO
        if state.files == 0 and item.needs_evidence(state):
            missing.append(item.code)

    group_scores: dict[str, Decimal] = defaultdict(lambda: ZERO)

    # children before parents: add each item up its chain, capping when a group is complete
    def group_total(code: str) -> Decimal:
        return min(group_scores[code], tree.groups[code].max_score)

    depth_order = tree.memo(
        "depth_order", lambda: sorted(tree.groups, key=lambda c: -tree.group_depth(c))
    )
    for item in tree.items:
        if item.parent_code in tree.groups:
            score = min(max(item_scores.get(item.code, ZERO), ZERO), item.max_score)
            group_scores[item.parent_code] += score
    for code in depth_order:
        parent = tree.groups[code].parent_code
        if parent in tree.groups:
            group_scores[parent] += group_total(code)

    fields: list[FieldProgress] = []
    by_section: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_field = tree.items_by_field()
    open_codes, missing_codes = set(unanswered), set(missing)
    for top in tree.fields():
        codes = by_field.get(top.code, [])
        score = group_total(top.code)
        by_section[top.section] += score
        fields.append(
            FieldProgress(
                code=top.code,
                title=top.title,
                section=top.section,
                answered=sum(1 for c in codes if c not in open_codes),
                total=len(codes),
                score=score,
                max_score=top.max_score,
                unanswered=[c for c in codes if c in open_codes],
                missing_evidence=[c for c in codes if c in missing_codes],
            )
        )
    # items sitting at the top level (no field above them) count in their section directly
    for item in tree.items:
        if item.parent_code not in tree.groups:
            by_section[item.section] += min(item_scores.get(item.code, ZERO), item.max_score)
    bonus_max = sum((f.max_score for f in fields if f.section == Section.bonus), ZERO)
    penalty_max = sum((f.max_score for f in fields if f.section == Section.penalty), ZERO)
    bonus = min(by_section[Section.bonus], tree.bonus_cap or bonus_max)
    penalty = min(by_section[Section.penalty], tree.penalty_cap or penalty_max)
    total = max(ZERO, by_section[Section.standard] + bonus - penalty)
    answered = len(tree.items) - len(unanswered)
    return Progress(
        assessment_id=assessment.id,
        status=str(assessment.status),
        answered=answered,
        total=len(tree.items),
        self_score=total,
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
    states = await answer_states(assessment_id)
    window = self_assessment_window(assessment.period, assessment)
    return compute(assessment, tree, states, deadline=window.closes_at, now=now, tz=tz)
