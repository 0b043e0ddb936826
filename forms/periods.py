"""Periods (đợt đánh giá): which set applies to which group, deadlines, and the score sheets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import Conflict, NotFound, require_admin
from core.i18n import N_, Msg, UserError
from core.models import Unit, UnitGroup
from core.numbers import NumberError, parse_decimal
from core.timefmt import VIETNAM, format_datetime
from forms.criteria import freeze, get_set
from forms.models import (
    Assessment,
    AssessmentStatus,
    ExtensionRequest,
    ExtensionStatus,
    Period,
    PeriodGroup,
    PeriodStatus,
)

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
# Band bounds and caps are at most 1000 with 4 decimals: longer text is a key held down, and is
# refused before it is parsed (a number of thousands of digits is slow to convert).
MAX_NUMBER_TEXT = 32


@dataclass(frozen=True)
class GroupPlan:
    group_code: str
    criteria_set_code: str
    bands: list[dict[str, object]] = field(default_factory=lambda: list(DEFAULT_BANDS))


def band_bound(band: Mapping[str, object]) -> Decimal:
    """A band's lower bound as typed ("80,01" or "80.01", or a number), naming the band when
    it is missing or not a number."""
    label = str(band.get("label", "")).strip()
    raw = band.get("min_index")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise UserError(Msg(N_("The band “{label}” needs a lower bound."), label=label))
    if isinstance(raw, str) and len(raw) > MAX_NUMBER_TEXT:
        raise UserError(Msg(N_("The lower bound of the band “{label}” is too long."), label=label))
    try:
        return parse_decimal(raw)  # type: ignore[arg-type]
    except NumberError as exc:
        raise UserError(
            Msg(
                N_("The lower bound of the band “{label}”: {problem}"), label=label, problem=exc.msg
            )
        ) from None


def _check_bands(bands: list[dict[str, object]]) -> None:
    labels = [str(b.get("label", "")).strip() for b in bands]
    mins = [band_bound(b) for b in bands]
    if not bands or any(not x for x in labels) or len(set(labels)) != len(labels):
        raise UserError(Msg(N_("Bands need distinct, non-empty labels.")))
    if any(not m.is_finite() or m < 0 or m > 1000 for m in mins):
        raise UserError(Msg(N_("A band's lower bound is an index between 0 and 1000.")))
    if any(m != m.quantize(Decimal("0.01")) for m in mins):
        raise UserError(Msg(N_("A band's lower bound has at most 2 decimals.")))
    if len(set(mins)) != len(mins) or min(mins) > 0:
        raise UserError(Msg(N_("Band lower bounds must differ and one of them must be 0.")))


def _clean_bands(bands: list[dict[str, object]]) -> list[dict[str, object]]:
    """Bands as stored: label and lower bound as text, highest first."""
    _check_bands(bands)
    out = [{"label": str(b["label"]).strip(), "min_index": str(band_bound(b))} for b in bands]
    return sorted(out, key=lambda b: Decimal(str(b["min_index"])), reverse=True)


INDEX_OPTION_KEYS = (
    "cap_index_at_100",
    "bonus_in_index",
    "bonus_cap",
    "penalty_cap",
    "rank_unsubmitted_last",
)
# Switches of a period's results (true or false); rank_unsubmitted_last is off when absent.
_SWITCHES = ("cap_index_at_100", "bonus_in_index", "rank_unsubmitted_last")


def _refuse_unknown(given: Mapping[str, Any], known: tuple[str, ...], msgid: str) -> None:
    if unknown := sorted(set(given) - set(known)):
        raise UserError(Msg(msgid, names=", ".join(unknown), known=", ".join(known)))


def check_index_options(options: dict[str, Any]) -> dict[str, Any]:
    """Index options as stored: the two switches as booleans, the caps as text or absent."""
    _refuse_unknown(
        options, INDEX_OPTION_KEYS, N_("Unknown index option(s): {names}; use {known}.")
    )
    out = dict(DEFAULT_INDEX_OPTIONS)
    for key in _SWITCHES:
        if key in options:
            if not isinstance(options[key], bool):
                raise UserError(Msg(N_("The index option {name} is true or false."), name=key))
            out[key] = options[key]
    for key in ("bonus_cap", "penalty_cap"):
        value = options.get(key)
        if value in (None, ""):
            out.pop(key, None)
            continue
        try:
            if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
                raise NumberError(Msg(N_("Please enter a number.")))
            cap = parse_decimal(value)
        except NumberError:
            cap = Decimal(-1)
        if not cap.is_finite() or cap < 0 or cap > 1000 or cap != cap.quantize(Decimal("0.0001")):
            raise UserError(
                Msg(N_("The index option {name} is a number of points from 0 to 1000."), name=key)
            )
        out[key] = str(cap)
    return out


def check_reminder_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """A reminder policy as stored: the defaults, overridden by the known keys given."""
    known = tuple(DEFAULT_REMINDER_POLICY)
    _refuse_unknown(policy, known, N_("Unknown reminder setting(s): {names}; use {known}."))
    out = dict(DEFAULT_REMINDER_POLICY)
    out.update(policy)
    return out


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
    index_options: dict[str, Any] | None = None,
    reminder_policy: dict[str, Any] | None = None,
    require_leader_approval: bool = False,
) -> Period:
    """Create a period and one draft score sheet per active unit of its groups.

    The criteria sets it uses are frozen here: from now on officers' answers refer to them.
    """
    await require_admin(actor)
    if closes_at <= opens_at:
        raise UserError(Msg(N_("The self-assessment deadline must be after its opening.")))
    if status == PeriodStatus.published:
        raise UserError(Msg(N_("A period is published by publishing its results.")))
    code = code.strip()
    if not code or len(code) > 32 or not name.strip():
        raise UserError(Msg(N_("A period needs a code (up to 32 characters) and a name.")))
    if not groups:
        raise UserError(Msg(N_("A period needs at least one unit group.")))
    if len({p.group_code for p in groups}) != len(groups):
        raise UserError(Msg(N_("Each unit group can appear only once in a period.")))
    bands_by_group = [_clean_bands(plan.bands) for plan in groups]
    options = check_index_options(index_options or {})
    policy = check_reminder_policy(reminder_policy or {})
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
            reminder_policy=policy,
            index_options=options,
            require_leader_approval=require_leader_approval,
        )
        sheets = 0
        for plan, bands in zip(groups, bands_by_group, strict=True):
            group = await UnitGroup.get_or_none(code=plan.group_code)
            if group is None:
                raise UserError(
                    Msg(N_("There is no unit group with the code “{code}”."), code=plan.group_code)
                )
            cset = await get_set(plan.criteria_set_code)
            await freeze(actor, cset)
            await PeriodGroup.create(
                period=period, unit_group=group, criteria_set=cset, bands=bands
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
                "index_options": options,
            },
        )
    return period


DEADLINE_FIELDS = (
    "self_assessment_opens_at",
    "self_assessment_closes_at",
    "explanation_due_at",
    "appraisal_round1_due_at",
    "appraisal_round2_due_at",
    "publication_due_at",
)
_NULLABLE = frozenset(DEADLINE_FIELDS[2:])  # every deadline but the self-assessment's
_ALLOWED_STATUS = {
    PeriodStatus.draft: (PeriodStatus.open,),
    PeriodStatus.open: (PeriodStatus.closed,),
    PeriodStatus.closed: (PeriodStatus.open,),
}


async def get_period(period_id: int) -> Period:
    period = await Period.get_or_none(id=period_id)
    if period is None:
        raise NotFound(Msg(N_("There is no period with the id {id}."), id=period_id))
    return period


def _check_published(period: Period) -> None:
    if period.published_at is not None or period.status == PeriodStatus.published:
        from forms.answers import LockedError

        raise LockedError(Msg(N_("The results are published; nothing can be changed.")))


async def update_period(
    actor: Actor, period_id: int, changes: dict[str, Any], *, now: datetime
) -> Period:
    """Change a period's name, deadlines, status, index options, reminder policy or leader
    approval (administrators). Only the keys given change; every change is audited with the
    old and new value. Nothing changes after publication."""
    await require_admin(actor)
    period = await get_period(period_id)
    _check_published(period)
    allowed = {"name", "status", "index_options", "reminder_policy", "require_leader_approval"}
    unknown = sorted(set(changes) - allowed - set(DEADLINE_FIELDS))
    if unknown:
        raise UserError(
            Msg(N_("These settings cannot be changed: {names}."), names=", ".join(unknown))
        )
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None and key not in _NULLABLE:
            raise UserError(Msg(N_("The setting {name} cannot be empty."), name=key))
        if key == "name":
            value = str(value or "").strip()
            if not value:
                raise UserError(Msg(N_("A period needs a code (up to 32 characters) and a name.")))
        elif key == "status":
            try:
                value = PeriodStatus(value)
            except ValueError:
                raise UserError(
                    Msg(N_("Unknown period status “{value}”."), value=str(value))
                ) from None
            if value != period.status and value not in _ALLOWED_STATUS.get(period.status, ()):
                raise Conflict(
                    Msg(
                        N_("A period cannot go from “{old}” to “{new}”."),
                        old=PeriodStatus(period.status).value,
                        new=value.value,
                    )
                )
        elif key == "index_options":
            value = check_index_options({**_options_without_defaults(period), **(value or {})})
        elif key == "reminder_policy":
            value = check_reminder_policy({**(period.reminder_policy or {}), **(value or {})})
        elif key in ("self_assessment_opens_at", "self_assessment_closes_at") and value is None:
            raise UserError(Msg(N_("The self-assessment needs an opening and a deadline.")))
        if getattr(period, key) != value:
            values[key] = value
    opens = values.get("self_assessment_opens_at", period.self_assessment_opens_at)
    closes = values.get("self_assessment_closes_at", period.self_assessment_closes_at)
    if closes <= opens:
        raise UserError(Msg(N_("The self-assessment deadline must be after its opening.")))
    if not values:
        return period
    old = {k: getattr(period, k) for k in values}
    async with in_transaction():
        await Period.filter(id=period.id, published_at=None).update(**values)
        deadlines = {k: v for k, v in values.items() if k in DEADLINE_FIELDS}
        rest = {k: v for k, v in values.items() if k not in DEADLINE_FIELDS}
        if deadlines:
            await record(
                actor,
                "period.deadline",
                "period",
                period.id,
                old={k: old[k] for k in deadlines},
                new=deadlines,
            )
        if rest:
            await record(
                actor, "period.update", "period", period.id, old={k: old[k] for k in rest}, new=rest
            )
    return await Period.get(id=period.id)


def _options_without_defaults(period: Period) -> dict[str, Any]:
    return {k: v for k, v in (period.index_options or {}).items() if k in INDEX_OPTION_KEYS}


async def set_group_bands(
    actor: Actor, period_id: int, unit_group_id: int, bands: list[dict[str, object]]
) -> PeriodGroup:
    """Replace the classification bands of one unit group in a period (administrators)."""
    await require_admin(actor)
    period = await get_period(period_id)
    _check_published(period)
    link = await PeriodGroup.get_or_none(period_id=period.id, unit_group_id=unit_group_id)
    if link is None:
        raise NotFound(Msg(N_("The unit group {id} is not part of this period."), id=unit_group_id))
    cleaned = _clean_bands(bands)
    if cleaned == link.bands:
        return link
    async with in_transaction():
        old = link.bands
        await PeriodGroup.filter(id=link.id).update(bands=cleaned)
        await record(
            actor,
            "period.bands",
            "period_group",
            link.id,
            old={"unit_group_id": unit_group_id, "bands": old},
            new={"unit_group_id": unit_group_id, "bands": cleaned},
        )
    return await PeriodGroup.get(id=link.id)


async def extend_deadline(
    actor: Actor,
    assessment_id: int,
    *,
    until: datetime | None,
    reason: str,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> Assessment:
    """Move one unit's self-assessment deadline (``None`` returns it to the period's). A sheet
    that was locked only by the passing deadline opens again; a submitted one stays submitted
    (unlocking it is :func:`scoring.appraisal.unlock`)."""
    await require_admin(actor)
    assessment = await Assessment.get_or_none(id=assessment_id).prefetch_related("period")
    if assessment is None:
        raise NotFound(Msg(N_("There is no score sheet with the id {id}."), id=assessment_id))
    _check_published(assessment.period)
    reason = (reason or "").strip()
    if not reason:
        raise UserError(Msg(N_("Please give the reason for the new deadline.")))
    if until is not None and until <= now:
        raise UserError(
            Msg(
                N_("The new deadline ({when}) must be in the future."),
                when=format_datetime(until, tz),
            )
        )
    if assessment.status != AssessmentStatus.draft:
        raise Conflict(
            Msg(
                N_(
                    "This score sheet is already submitted; an administrator must unlock it "
                    "with a reason first."
                )
            )
        )
    values: dict[str, Any] = {"deadline_extended_to": until}
    if assessment.self_locked_at is not None and until is not None:
        values["self_locked_at"] = None
    old = {k: getattr(assessment, k) for k in values}
    async with in_transaction():
        await Assessment.filter(id=assessment.id).update(**values)
        await record(
            actor,
            "assessment.deadline",
            "assessment",
            assessment.id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
            old=old,
            new=values,
            reason=reason,
        )
    return await Assessment.get(id=assessment.id)


async def decide_extension(
    actor: Actor,
    request_id: int,
    *,
    approve: bool,
    note: str = "",
    until: datetime | None = None,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> ExtensionRequest:
    """Approve (moving that unit's deadline to the date asked, or ``until``) or refuse a unit's
    request for more time."""
    await require_admin(actor)
    request = await ExtensionRequest.get_or_none(id=request_id).prefetch_related(
        "assessment__period"
    )
    if request is None:
        raise NotFound(Msg(N_("There is no extension request with the id {id}."), id=request_id))
    if request.status != ExtensionStatus.pending:
        raise Conflict(Msg(N_("This request has already been decided.")))
    assessment = request.assessment
    _check_published(assessment.period)
    note = (note or "").strip()
    if not approve and not note:
        raise UserError(Msg(N_("Please say why the request is refused.")))
    async with in_transaction():
        changed = await ExtensionRequest.filter(
            id=request.id, status=ExtensionStatus.pending
        ).update(
            status=ExtensionStatus.approved if approve else ExtensionStatus.refused,
            decided_by_id=actor.id if actor.kind == "user" else None,
            decided_at=now,
            decision_note=note,
        )
        if changed == 0:
            raise Conflict(Msg(N_("This request has already been decided.")))
        await record(
            actor,
            "extension.decide",
            "extension_request",
            request.id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
            old={"status": ExtensionStatus.pending},
            new={"status": "approved" if approve else "refused", "note": note},
        )
        if approve:
            await extend_deadline(
                actor,
                assessment.id,
                until=until or request.requested_until,
                reason=note or request.reason,
                now=now,
                tz=tz,
            )
    return await ExtensionRequest.get(id=request.id)
