"""A unit's whole score sheet as the appraisal team reads it, and where to go next.

The sheet page shows the criteria tree of one unit's sheet with, per item, what the unit
declared and what the appraisers decided, the field subtotals, the total, the index and the
rank so far. It is a read model over :func:`scoring.appraisal.item_views` (so it shows exactly
the items the reader may see: appraisers their assigned fields, administrators and viewers
everything) and :func:`scoring.results.results` (so its figures are the results page's, never
computed a second way).

"Appraisal at speed" needs two small rules that live here as pure functions:
:func:`item_state` (the state an item is in, for filters and badges) and :func:`needs_decision`
(what "undecided" means when the page jumps to the next item: no round-1 review yet, or an
explanation request whose round 2 can be set now).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.audit import Actor
from core.auth import require_role
from core.i18n import N_
from core.models import given
from forms.models import Assessment, AssessmentStatus, NodeLevel, PeriodGroup
from forms.outline import outline
from scoring.appraisal import ItemView, get_assessment, item_views, visible_assessment
from scoring.assignments import items_under, scope_for
from scoring.models import AppraiserAssignment, AppraiserUnitAssignment
from scoring.results import results

UNREVIEWED = "unreviewed"
ACCEPTED = "accepted"
ADJUSTED = "adjusted"
ASKED = "asked"
ANSWERED = "answered"
ROUND2 = "round2"

# Filter values of the sheet page, in the order the page offers them, with their labels.
STATES: dict[str, str] = {
    UNREVIEWED: N_("Not reviewed"),
    ACCEPTED: N_("Accepted"),
    ADJUSTED: N_("Adjusted"),
    ASKED: N_("Explanation requested"),
    ANSWERED: N_("Explained by the unit"),
    ROUND2: N_("Round 2 done"),
}
ORDERS = ("unit", "item")  # next item of the same unit, or the same item in the next unit


def item_state(view: ItemView) -> str:
    """Where an item stands in the appraisal (one of :data:`STATES`)."""
    if view.round2 is not None:
        return ROUND2
    first = view.round1
    if first is None:
        return UNREVIEWED
    if first.explanation_requested:
        if view.explanation is not None and view.explanation.submitted_at is not None:
            return ANSWERED
        return ASKED
    return ACCEPTED if first.accepted else ADJUSTED


def needs_decision(view: ItemView, now: datetime) -> bool:
    """An item the appraiser can decide right now: never reviewed, or asked to explain and
    then explained (or left unexplained past its due time), with no round-2 score yet."""
    state = item_state(view)
    if state in (UNREVIEWED, ANSWERED):
        return True
    if state == ASKED and view.round1 is not None:
        due = view.round1.explanation_due_at
        return due is not None and now >= due
    return False


def bulk_acceptable(view: ItemView) -> bool:
    """An item "accept all" may take: no round-1 decision yet (its self score stands)."""
    return item_state(view) == UNREVIEWED and view.section != "survey"


@dataclass
class SheetRow:
    """One line of the tree: a field, a criterion or an item (``item`` set for items)."""

    code: str
    title: str
    level: str
    section: str
    max_score: Any
    field: str  # code of the top-level node above it (itself for a field)
    item: ItemView | None = None
    state: str = ""


@dataclass
class SheetView:
    assessment: Assessment
    rows: list[SheetRow]
    fields: list[dict[str, Any]]  # top-level nodes: code, title
    subtotals: dict[str, dict[str, Any]]  # field code -> the results page's field figures
    figures: dict[str, Any] | None  # the unit's row of the results (self, appraised, rank...)
    assignees: list[tuple[int, str]] = field(default_factory=list)  # appraisers of this set
    shown: int = 0  # items shown after the filters
    undecided: list[str] = field(default_factory=list)  # shown items needing a decision
    acceptable: list[str] = field(default_factory=list)  # shown items "accept all" may take
    acceptable_by_field: dict[str, list[str]] = field(default_factory=dict)
    may_review: bool = False  # the reader may decide (appraisers, administrators; not published)


async def _assigned_codes(set_id: int, user_id: int, unit_id: int) -> set[str]:
    """Items of one unit's sheet under a person's assignments: whole-set ones, and those made
    for this unit only (an empty node there means every item of the unit)."""
    roots = set(
        await AppraiserAssignment.filter(user_id=user_id, criteria_set_id=set_id).values_list(
            "node_code", flat=True
        )
    )
    unit_roots = set(
        await AppraiserUnitAssignment.filter(
            user_id=user_id, criteria_set_id=set_id, unit_id=unit_id
        ).values_list("node_code", flat=True)
    )
    nodes = (await outline(set_id)).nodes
    if "" in unit_roots:
        return {n.code for n in nodes if n.level == NodeLevel.item}
    roots |= unit_roots
    if not roots:
        return set()
    return items_under(nodes, roots)


async def unit_sheet(
    actor: Actor,
    assessment_id: int,
    *,
    now: datetime,
    field_code: str | None = None,
    state: str | None = None,
    assigned_to: int | None = None,
    locale: str = "vi",
) -> SheetView:
    """The sheet of one unit, filtered by field, item state and appraiser (``assigned_to``, a
    user id: the items under that person's assignments). Refuses (403/404) like the services
    it reads: a person who may not see the sheet never gets a partial one."""
    await require_role(actor)
    assessment = await visible_assessment(actor, assessment_id)
    await assessment.fetch_related("unit")
    set_id: int = assessment.criteria_set_id  # type: ignore[attr-defined]
    _total, views = await item_views(
        actor, assessment_id=assessment_id, limit=100_000, locale=locale
    )
    by_code = {v.code: v for v in views}
    tree = await outline(set_id)

    def top(code: str) -> str:
        return tree.root_of(code).code

    wanted: set[str] | None = None
    if assigned_to is not None:
        wanted = await _assigned_codes(set_id, assigned_to, assessment.unit_id)  # type: ignore[attr-defined]
    if state not in STATES:
        state = None
    kept: set[str] = set()
    for v in views:
        if field_code and top(v.code) != field_code:
            continue
        if wanted is not None and v.code not in wanted:
            continue
        if state is not None and item_state(v) != state:
            continue
        kept.add(v.code)
    # Ancestors of the kept items, so every item sits under its field and criterion lines.
    keep_groups = {group.code for c in kept for group in tree.breadcrumb(c)}
    rows: list[SheetRow] = []
    visible_fields: list[dict[str, Any]] = []
    seen_tops = {top(v.code) for v in views}
    for n in tree.nodes:
        if n.parent_code is None and n.code in seen_tops:
            visible_fields.append({"code": n.code, "title": n.title, "section": n.section})
        if n.level == NodeLevel.item:
            if n.code not in kept:
                continue
            view = by_code[n.code]
            rows.append(
                SheetRow(
                    n.code,
                    n.title,
                    "item",
                    n.section,
                    n.max_score,
                    top(n.code),
                    view,
                    item_state(view),
                )
            )
        elif n.code in keep_groups:
            rows.append(SheetRow(n.code, n.title, n.level, n.section, n.max_score, top(n.code)))
    items = [r.item for r in rows if r.item is not None]
    acceptable_by_field: dict[str, list[str]] = {}
    for r in rows:
        if r.item is not None and bulk_acceptable(r.item):
            acceptable_by_field.setdefault(r.field, []).append(r.code)
    figures = None
    subtotals: dict[str, dict[str, Any]] = {}
    group_id = assessment.unit.group_id  # type: ignore[attr-defined]
    for table in await results(actor, assessment.period_id, group_id=group_id):  # type: ignore[attr-defined]
        for unit in table["units"]:
            if unit["assessment_id"] == assessment.id:
                figures = unit
                subtotals = {f["code"]: f for f in unit["fields"]}
    assignments = [
        *await AppraiserAssignment.filter(criteria_set_id=set_id).prefetch_related("user"),
        *await AppraiserUnitAssignment.filter(
            criteria_set_id=set_id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
        ).prefetch_related("user"),
    ]
    assignees = [
        (row.user.id, row.user.full_name or row.user.username)
        for row in sorted(assignments, key=lambda row: row.user_id)  # type: ignore[attr-defined]
    ]
    return SheetView(
        assessment=assessment,
        rows=rows,
        fields=visible_fields,
        subtotals=subtotals,
        figures=figures,
        assignees=list(dict.fromkeys(assignees)),
        shown=len(items),
        undecided=[v.code for v in items if needs_decision(v, now)],
        acceptable=[v.code for v in items if bulk_acceptable(v)],
        acceptable_by_field=acceptable_by_field,
        may_review=(await scope_for(actor, set_id)).may_review
        and assessment.status != AssessmentStatus.final
        and assessment.period.published_at is None,
    )


async def next_undecided(
    actor: Actor,
    assessment_id: int,
    code: str,
    *,
    order: str,
    now: datetime,
) -> tuple[int, str] | None:
    """The (sheet, item) to decide after ``code``: the next undecided item of the same sheet in
    questionnaire order (``order="unit"``), or the same item in the next unit, in the units'
    order, whose self-assessment is closed (``order="item"``). Wraps around once; ``None`` when
    nothing the actor may decide is left."""
    if order == "item":
        assessment = await get_assessment(assessment_id)
        _total, views = await item_views(
            actor,
            period_id=assessment.period_id,  # type: ignore[attr-defined]
            under=code,
            ready_only=True,
            now=now,
            limit=100_000,
        )
        views = [v for v in views if v.code == code]
        found = _next_pending([(v.assessment_id, v) for v in views], assessment_id, now)
        return None if found is None else (found, code)
    _total, views = await item_views(actor, assessment_id=assessment_id, limit=100_000)
    found = _next_pending([(v.code, v) for v in views], code, now)
    return None if found is None else (assessment_id, found)


def _next_pending(keyed: list[tuple[Any, ItemView]], current: Any, now: datetime) -> Any:
    """The first key after ``current`` (wrapping around) whose item still needs a decision."""
    keys = [k for k, _v in keyed]
    pending = {k for k, v in keyed if needs_decision(v, now)}
    start = keys.index(current) + 1 if current in keys else 0
    return next((k for k in keys[start:] + keys[:start] if k in pending and k != current), None)


async def sheet_choices(period_id: int, group_id: int | None) -> tuple[list[Any], list[Assessment]]:
    """The unit groups of a period (in their order) and its sheets, those of one group when
    given, in the units' order: what the sheet page's unit picker offers."""
    links = await PeriodGroup.filter(period_id=period_id).prefetch_related("unit_group")
    groups = sorted((lk.unit_group for lk in links), key=lambda g: (g.sort_order, g.id))
    query = Assessment.filter(period_id=period_id, **given(unit__group_id=group_id))
    sheets = await query.prefetch_related("unit").order_by(
        "unit__group_id", "unit__sort_order", "unit_id"
    )
    return groups, sheets
