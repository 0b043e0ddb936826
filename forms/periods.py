"""Periods (đợt đánh giá): which set applies to which group, deadlines, and the score sheets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from core.models import Unit, UnitGroup
from forms.criteria import freeze, get_set
from forms.models import Assessment, Period, PeriodGroup, PeriodStatus

DEFAULT_BANDS: list[dict[str, object]] = [
    {"label": "Tốt", "min_index": "90"},
    {"label": "Khá", "min_index": "80"},
    {"label": "Trung bình", "min_index": "65"},
    {"label": "Yếu", "min_index": "0"},
]
DEFAULT_REMINDER_POLICY: dict[str, object] = {
    "before": ["7d", "3d", "1d", "2h"],
    "after_daily_days": 5,
    "escalate_after_days": 1,
    "digest_hour": 8,
    "quiet_hours": [21, 7],
    "weekends": True,
}
DEFAULT_INDEX_OPTIONS: dict[str, object] = {"cap_index_at_100": False, "bonus_in_index": True}


@dataclass(frozen=True)
class GroupPlan:
    group_code: str
    criteria_set_code: str
    bands: list[dict[str, object]] = field(default_factory=lambda: list(DEFAULT_BANDS))


def _check_bands(bands: list[dict[str, object]]) -> None:
    labels = [str(b.get("label", "")).strip() for b in bands]
    try:
        mins = [Decimal(str(b["min_index"])) for b in bands]
    except (KeyError, ArithmeticError):
        raise UserError(Msg(N_("Each band needs a label and a lower bound."))) from None
    if not bands or any(not x for x in labels) or len(set(labels)) != len(labels):
        raise UserError(Msg(N_("Bands need distinct, non-empty labels.")))
    if len(set(mins)) != len(mins) or min(mins) > 0:
        raise UserError(Msg(N_("Band lower bounds must differ and one of them must be 0.")))


async def create_period(
    actor: Actor,
    *,
    code: str,
    name: str,
    year: int,
    opens_at: datetime,
    closes_at: datetime,
    groups: list[GroupPlan],
    explanation_due_at: datetime | None = None,
    appraisal_round1_due_at: datetime | None = None,
    appraisal_round2_due_at: datetime | None = None,
    publication_due_at: datetime | None = None,
    status: PeriodStatus = PeriodStatus.open,
) -> Period:
    """Create a period and one draft score sheet per active unit of its groups.

    The criteria sets it uses are frozen here: from now on officers' answers refer to them.
    """
    if closes_at <= opens_at:
        raise UserError(Msg(N_("The self-assessment deadline must be after its opening.")))
    for plan in groups:
        _check_bands(plan.bands)
    async with in_transaction():
        if await Period.filter(code=code).exists():
            raise UserError(Msg(N_("The period code “{code}” is already used."), code=code))
        period = await Period.create(
            code=code,
            name=name,
            year=year,
            status=status,
            self_assessment_opens_at=opens_at,
            self_assessment_closes_at=closes_at,
            explanation_due_at=explanation_due_at,
            appraisal_round1_due_at=appraisal_round1_due_at,
            appraisal_round2_due_at=appraisal_round2_due_at,
            publication_due_at=publication_due_at,
            reminder_policy=dict(DEFAULT_REMINDER_POLICY),
            index_options=dict(DEFAULT_INDEX_OPTIONS),
        )
        sheets = 0
        for plan in groups:
            group = await UnitGroup.get_or_none(code=plan.group_code)
            if group is None:
                raise UserError(
                    Msg(N_("There is no unit group with the code “{code}”."), code=plan.group_code)
                )
            cset = await get_set(plan.criteria_set_code)
            await freeze(actor, cset)
            await PeriodGroup.create(
                period=period, unit_group=group, criteria_set=cset, bands=plan.bands
            )
            units = await Unit.filter(group=group, active=True)
            await Assessment.bulk_create(
                [Assessment(period=period, unit=u, criteria_set=cset) for u in units]
            )
            sheets += len(units)
        await record(
            actor,
            "period.create",
            "period",
            period.id,
            new={
                "code": code,
                "name": name,
                "opens_at": opens_at,
                "closes_at": closes_at,
                "groups": [p.group_code for p in groups],
                "assessments": sheets,
            },
        )
    return period
