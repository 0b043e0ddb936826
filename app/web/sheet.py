"""The officer's score sheet as the page shows it: rows in questionnaire order (field, criterion,
item), what is stored for each item, its files, the appraisers' requests, and progress.

Everything is read through the same services as the bot (:mod:`forms.progress`,
:mod:`scoring.explanations`), so the two channels show the same thing; a change made in the bot is
on the page at the next load, and the reverse.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.i18n import N_, Msg, UserError
from core.numbers import format_score
from forms.answers import LockedError, check_open, self_assessment_window
from forms.models import Assessment, Evidence, Period, PeriodStatus
from forms.outline import Outline, OutlineNode, outline
from forms.progress import Progress, compute, preview
from forms.queries import StoredAnswer, sheet_answers
from forms.rules import Rule, describe, parse_declared
from scoring.models import Review

ZERO = Decimal(0)


@dataclass
class Request_:
    """An appraiser's request for explanation on one item (round 1)."""

    review: Review
    due: datetime | None
    answered: bool
    text: str = ""
    proposed: Decimal | None = None
    file_ids: list[int] = field(default_factory=list)
    open: bool = True


@dataclass
class Row:
    kind: str  # field, criterion, item
    code: str
    title: str
    max_score: Decimal
    field_code: str
    depth: int
    score: Decimal | None = None
    item: OutlineNode | None = None
    section: str = "standard"


@dataclass
class SheetView:
    assessment: Assessment
    period: Period
    tree: Outline
    states: dict[str, StoredAnswer]
    progress: Progress
    rows: list[Row]
    files: dict[str, list[Evidence]]
    requests: dict[str, Request_]
    locked: Msg | None
    deadline: datetime

    @property
    def can_submit(self) -> bool:
        return (
            self.locked is None
            and not self.progress.unanswered
            and not (self.progress.missing_evidence)
        )


async def current_sheet_id(unit_id: int) -> int | None:
    """The unit's sheet in the newest open period, else its newest sheet (read-only)."""
    for query in (
        Assessment.filter(unit_id=unit_id, period__status=PeriodStatus.open),
        Assessment.filter(unit_id=unit_id),
    ):
        found = await query.order_by("-period__year", "-id").values_list("id", flat=True)
        if found:
            return int(found[0])
    return None


def group_scores(tree: Outline, states: dict[str, StoredAnswer]) -> dict[str, Decimal]:
    """Self score of every field and criterion, through the one roll-up (the bot's preview)."""
    scores, position = preview(tree, states).scores, tree.tree.position
    return {code: scores[position[code]] for code in tree.groups}


def build_rows(tree: Outline, states: dict[str, StoredAnswer]) -> list[Row]:
    """Fields, criteria and items in questionnaire order (groups before their first item)."""
    scores = group_scores(tree, states)
    rows: list[Row] = []
    shown: set[str] = set()
    for item in tree.items:
        chain = tree.breadcrumb(item.code)
        top = chain[0].code if chain else item.code
        for depth, group in enumerate(chain):
            if group.code in shown:
                continue
            shown.add(group.code)
            rows.append(
                Row(
                    kind="field" if depth == 0 else "criterion",
                    code=group.code,
                    title=group.title,
                    max_score=group.max_score,
                    field_code=top,
                    depth=depth,
                    score=scores.get(group.code),
                    section=group.section,
                )
            )
        state = states.get(item.code)
        rows.append(
            Row(
                kind="item",
                code=item.code,
                title=item.title,
                max_score=item.max_score,
                field_code=top,
                depth=len(chain),
                score=state.self_score if state else None,
                item=item,
                section=item.section,
            )
        )
    return rows


async def _files(assessment_id: int) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = defaultdict(list)
    rows = (
        await Evidence.filter(answer__assessment_id=assessment_id, removed_at=None)
        .prefetch_related("answer__node")
        .order_by("id")
    )
    for e in rows:
        out[e.answer.node.code].append(e)
    return out


async def _requests(assessment_id: int, period: Period, assessment: Assessment, now: datetime):
    reviews = await Review.filter(
        answer__assessment_id=assessment_id, round_no=1, explanation_requested=True
    ).prefetch_related("answer__node", "explanations__files")
    out: dict[str, Request_] = {}
    for r in reviews:
        due = r.explanation_due_at or period.explanation_due_at
        sent = [e for e in r.explanations if e.submitted_at is not None]
        latest = max(sent, key=lambda e: e.submitted_at) if sent else None
        is_open = (
            assessment.explanation_locked_at is None
            and period.published_at is None
            and (due is None or now < due)
        )
        out[r.answer.node.code] = Request_(
            review=r,
            due=due,
            answered=latest is not None,
            text=latest.text if latest else "",
            proposed=Decimal(latest.proposed_score)
            if latest and latest.proposed_score is not None
            else None,
            file_ids=sorted(f.id for f in latest.files) if latest else [],
            open=is_open,
        )
    return out


async def load_sheet(assessment_id: int, *, now: datetime, tz: ZoneInfo) -> SheetView:
    assessment = await Assessment.filter(id=assessment_id).select_related("period").first()
    assert assessment is not None
    period = assessment.period
    tree = await outline(assessment.criteria_set_id)  # type: ignore[attr-defined]
    states = await sheet_answers(assessment.id)
    window = self_assessment_window(period, assessment)
    progress = compute(assessment, tree, states, deadline=window.closes_at, now=now, tz=tz)
    locked: Msg | None = None
    try:
        check_open(period, assessment, now, as_admin=False, tz=tz)
    except LockedError as exc:
        locked = exc.msg
    return SheetView(
        assessment=assessment,
        period=period,
        tree=tree,
        states=states,
        progress=progress,
        rows=build_rows(tree, states),
        files=await _files(assessment.id),
        requests=await _requests(assessment.id, period, assessment, now),
        locked=locked,
        deadline=window.closes_at,
    )


# ----------------------------------------------------------------------------------------------
# The item form: what the inputs mean
# ----------------------------------------------------------------------------------------------


def input_kind(rule: Rule | None) -> str:
    """Which inputs an item gets, as the bot's buttons: radio, ticks, or a typed value."""
    if rule is None:
        return "none"
    if rule.type == "yes_no":
        return "yes_no"
    if rule.type == "levels":
        return "options"
    if rule.type == "deduction":
        return "violations" if rule.each is not None else "deduction_options"
    if rule.type == "checklist":
        return "checklist"
    return "text"


def _first(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def declared_from_form(rule: Rule, form: dict[str, Any]) -> dict[str, Any] | None:
    """The stored answer for the item's inputs, None when nothing was declared. Typed values go
    through :func:`forms.rules.parse_declared` (the bot's reader); the service evaluates it."""
    value = _first(form, "value")
    if value == "na" or _first(form, "na") == "1":
        return {"na": True}
    kind = input_kind(rule)
    if kind == "yes_no":
        return {"yes": value == "y"} if value in ("y", "n") else None
    if kind == "options":
        return {"option": value} if value else None
    if kind == "deduction_options":
        if value == "0":
            return {"option": None}
        return {"option": value} if value else None
    if kind == "checklist":
        checked = form.get("checked", [])
        if isinstance(checked, str):
            checked = [checked]
        return {"checked": [str(k) for k in checked if str(k)]}
    if kind in ("text", "violations"):
        return parse_declared(rule, value) if value else None
    return None


def form_values(rule: Rule | None, declared: dict[str, Any] | None) -> dict[str, Any]:
    """What the inputs show for a stored answer (the reverse of :func:`declared_from_form`)."""
    out: dict[str, Any] = {"value": "", "checked": [], "na": False}
    if rule is None or not declared:
        return out
    if declared.get("na"):
        out["na"] = True
        out["value"] = "na"
        return out
    kind = input_kind(rule)
    if kind == "yes_no":
        out["value"] = "y" if declared.get("yes") else "n"
    elif kind == "options":
        out["value"] = str(declared.get("option", ""))
    elif kind == "deduction_options":
        out["value"] = "0" if declared.get("option") is None else str(declared["option"])
    elif kind == "checklist":
        out["checked"] = [str(k) for k in declared.get("checked", [])]
    elif kind == "violations":
        out["value"] = str(declared.get("violations", ""))
    elif rule.type == "percent_tiers":
        if "percent" in declared:
            out["value"] = str(declared["percent"]).replace(".", ",")
        else:
            out["value"] = f"{declared.get('numerator')}/{declared.get('denominator')}".replace(
                ".", ","
            )
    elif rule.type == "count":
        out["value"] = str(declared.get("count", ""))
    elif rule.type == "points":
        out["value"] = str(declared.get("points", "")).replace(".", ",")
    return out


def posted_values(form: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the officer sent them, to show them again next to an error."""
    checked = form.get("checked", [])
    if isinstance(checked, str):
        checked = [checked]
    value = _first(form, "value")
    return {
        "value": value,
        "checked": [str(c) for c in checked],
        "na": value == "na" or _first(form, "na") == "1",
        "note": _first(form, "note"),
    }


def describe_state(item: OutlineNode, state: StoredAnswer | None, locale: str) -> str:
    if state is None or state.declared is None or item.rule is None:
        return ""
    try:
        return describe(item.rule, state.declared, locale)
    except (UserError, ValueError, KeyError, TypeError):  # a stale answer: show nothing
        return ""


def rule_lines(rule: Rule | None, locale: str, *, penalty: bool = False) -> list[str]:
    """How the item is scored, one short line per option or band ("90 < x ≤ 100: 2"); in the
    penalty section every amount is a deduction ("Khiển trách: −0,5")."""
    if rule is None:
        return []

    def n(value: Decimal) -> str:
        return format_score(value, locale)

    minus = "−" if penalty else ""
    if rule.type == "percent_tiers":
        out = []
        for t in rule.tiers:
            low = "≤" if t.low_inclusive else "<"
            high = "≤" if t.high_inclusive else "<"
            band = (
                f"x = {n(t.low)}%"
                if t.low == t.high
                else f"{n(t.low)}% {low} x {high} {n(t.high)}%"
            )
            out.append(f"{band}: {minus}{n(t.points)}")
        return out
    if rule.type in ("levels", "checklist"):
        sign = minus or ("+" if rule.type == "checklist" else "")
        return [f"{o.label}: {sign}{n(o.points)}" for o in rule.options]
    if penalty and rule.type == "count" and rule.each is not None:
        cap = rule.cap if rule.cap is not None else rule.max_score
        return [
            Msg(
                N_("{each} points deducted for each one, at most {cap} points deducted"),
                each=n(rule.each),
                cap=n(min(cap, rule.max_score)),
            ).render(locale)
        ]
    if rule.type == "deduction":
        if rule.each is not None:
            return [Msg(N_("−{each} per violation"), each=n(rule.each)).render(locale)]
        return [f"{o.label}: −{n(o.points)}" for o in rule.options]
    if rule.type == "count" and rule.each is not None:
        cap = rule.cap if rule.cap is not None else rule.max_score
        return [Msg(N_("{each} each, at most {cap}"), each=n(rule.each), cap=n(cap)).render(locale)]
    if rule.type == "points":
        step = rule.step if rule.step is not None else Decimal("0.01")
        return [Msg(N_("Points in steps of {step}"), step=n(step)).render(locale)]
    return []
