"""The secretariat's progress board: one row per unit of a period, in a handful of grouped
queries whatever the number of units (a thin adapter over :func:`scoring.appraisal.progress_of`
that adds what the board needs and the services do not offer in bulk: items lacking their
required evidence, officers who blocked the bot, overdue sheets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.models import Officer, given
from forms.answers import self_assessment_window
from forms.evidence_policy import evidence_needed
from forms.models import Answer, Assessment, AssessmentStatus, Evidence
from forms.outline import outline
from scoring.appraisal import progress_of


@dataclass
class BoardRow:
    assessment_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    group_id: int
    status: str
    items: int
    answered: int
    missing_evidence: int
    reviewed: int
    explanations_pending: int
    submitted_at: datetime | None
    last_activity_at: datetime | None
    deadline: datetime
    overdue: bool
    blocked: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.items) if self.items else 0


async def board(period_id: int, *, now: datetime, group_id: int | None = None) -> list[BoardRow]:
    query = Assessment.filter(period_id=period_id, **given(unit__group_id=group_id))
    sheets = await query.prefetch_related("unit", "period").order_by(
        "unit__group_id", "unit__sort_order", "unit_id"
    )
    if not sheets:
        return []
    counts = await progress_of(sheets)
    ids = [a.id for a in sheets]
    set_ids = {a.criteria_set_id for a in sheets}  # type: ignore[attr-defined]
    nodes = {n.id: n for s in set_ids for n in (await outline(s)).items if n.evidence_required}
    required = set(nodes)
    missing: dict[int, int] = {}
    if required:
        answers = await Answer.filter(
            assessment_id__in=ids,
            node_id__in=required,
            declared__not_isnull=True,
            not_applicable=False,
        ).values_list("id", "assessment_id", "node_id", "self_score")
        with_files = set(
            await Evidence.filter(
                answer_id__in=[a for a, *_ in answers], removed_at__isnull=True
            ).values_list("answer_id", flat=True)
        )
        for answer_id, assessment_id, node_id, score in answers:
            node = nodes[node_id]
            # the same rule as the officer's progress and the submission check
            needed = evidence_needed(
                required=True,
                when=node.evidence_when,
                rule=node.rule,
                answered=True,
                not_applicable=False,
                score=None if score is None else Decimal(score),
            )
            if needed and answer_id not in with_files:
                missing[assessment_id] = missing.get(assessment_id, 0) + 1
    blocked: dict[int, list[str]] = {}
    for unit_id, name in await Officer.filter(
        unit_id__in=[a.unit_id for a in sheets],  # type: ignore[attr-defined]
        active=True,
        bot_blocked_at__not_isnull=True,
    ).values_list("unit_id", "full_name"):
        blocked.setdefault(unit_id, []).append(name)
    rows = []
    for a in sheets:
        c = counts[a.id]
        deadline = self_assessment_window(a.period, a).closes_at
        rows.append(
            BoardRow(
                assessment_id=a.id,
                unit_id=a.unit.id,
                unit_code=a.unit.code,
                unit_name=a.unit.name,
                group_id=a.unit.group_id,  # type: ignore[attr-defined]
                status=str(getattr(a.status, "value", a.status)),
                items=c.items,
                answered=c.answered,
                missing_evidence=missing.get(a.id, 0),
                reviewed=c.reviewed,
                explanations_pending=c.explanations_pending,
                submitted_at=a.submitted_at,
                last_activity_at=c.last_activity_at,
                deadline=deadline,
                overdue=a.status == AssessmentStatus.draft and now >= deadline,
                blocked=blocked.get(a.unit.id, []),
            )
        )
    return rows
