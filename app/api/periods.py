"""Periods: deadlines, bands, index options, publication; their results and survey scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from app.api.deps import CurrentActor, Id, Now, OptionalId, SettingsDep
from app.api.errors import ApiRoute
from app.api.schemas import (
    BandsIn,
    GroupResultsOut,
    IndexOptions,
    PeriodCreate,
    PeriodOut,
    PeriodUpdate,
    PublishIn,
    PublishOut,
    SurveyImportOut,
    SurveyScoreOut,
)
from app.api.uploads import read_upload
from app.web.files import workbook_download
from core.auth import require_role
from forms.models import Period, PeriodGroup
from forms.periods import (
    DEFAULT_BANDS,
    GroupPlan,
    create_period,
    get_period,
    set_group_bands,
    update_period,
)
from scoring import results as results_service
from scoring import survey as survey_service
from scoring.results import dec

router = APIRouter(route_class=ApiRoute, prefix="/periods", tags=["periods"])


async def period_out(period: Period) -> PeriodOut:
    links = await PeriodGroup.filter(period_id=period.id).prefetch_related(
        "unit_group", "criteria_set"
    )
    links.sort(key=lambda lk: (lk.unit_group.sort_order, lk.unit_group.id))
    return PeriodOut.of(
        period,
        index_options=period.index_options or {},
        reminder_policy=period.reminder_policy or {},
        groups=[
            {
                "unit_group_id": lk.unit_group.id,
                "group_code": lk.unit_group.code,
                "group_name": lk.unit_group.name,
                "criteria_set_id": lk.criteria_set.id,
                "criteria_set_code": lk.criteria_set.code,
                "criteria_set_version": lk.criteria_set.version,
                "bands": [
                    {"label": b["label"], "min_index": dec(Decimal(str(b["min_index"])))}
                    for b in lk.bands
                ],
            }
            for lk in links
        ],
    )


def _options(options: IndexOptions | None) -> dict[str, Any] | None:
    """The options sent; a null cap means "the criteria set's cap", a null switch is ignored."""
    if options is None:
        return None
    return {
        k: v
        for k, v in options.model_dump(exclude_unset=True).items()
        if v is not None or k in ("bonus_cap", "penalty_cap")
    }


@router.get("", response_model=list[PeriodOut])
async def list_periods(actor: CurrentActor) -> list[PeriodOut]:
    await require_role(actor)
    return [await period_out(p) for p in await Period.all()]


@router.post("", response_model=PeriodOut, status_code=201)
async def create(body: PeriodCreate, actor: CurrentActor) -> PeriodOut:
    """Create a period: one draft score sheet per active unit of its groups; the criteria sets
    it uses are frozen."""
    period = await create_period(
        actor,
        code=body.code,
        name=body.name,
        year=body.year,
        opens_at=body.self_assessment_opens_at,
        closes_at=body.self_assessment_closes_at,
        explanation_due_at=body.explanation_due_at,
        appraisal_round1_due_at=body.appraisal_round1_due_at,
        appraisal_round2_due_at=body.appraisal_round2_due_at,
        publication_due_at=body.publication_due_at,
        status=body.status,  # type: ignore[arg-type]
        groups=[
            GroupPlan(
                g.group_code,
                g.criteria_set_code,
                [b.model_dump() for b in g.bands] if g.bands else list(DEFAULT_BANDS),
            )
            for g in body.groups
        ],
        index_options=_options(body.index_options),
        reminder_policy=body.reminder_policy,
        require_leader_approval=body.require_leader_approval,
    )
    return await period_out(period)


@router.get("/{period_id}", response_model=PeriodOut)
async def get(period_id: Id, actor: CurrentActor) -> PeriodOut:
    await require_role(actor)
    return await period_out(await get_period(period_id))


@router.patch("/{period_id}", response_model=PeriodOut)
async def update(period_id: Id, body: PeriodUpdate, actor: CurrentActor, now: Now) -> PeriodOut:
    """Change deadlines, status (draft → open ⇄ closed), index options, reminder policy or
    leader approval; only the fields sent change. Refused after publication (409)."""
    changes = body.model_dump(exclude_unset=True)
    if "index_options" in changes:
        changes["index_options"] = _options(body.index_options) or {}
    period = await update_period(actor, period_id, changes, now=now)
    return await period_out(period)


@router.put("/{period_id}/groups/{group_id}/bands", response_model=PeriodOut)
async def put_bands(period_id: Id, group_id: Id, body: BandsIn, actor: CurrentActor) -> PeriodOut:
    """Replace one unit group's classification bands (label and inclusive lower bound)."""
    await set_group_bands(actor, period_id, group_id, [b.model_dump() for b in body.bands])
    return await period_out(await get_period(period_id))


@router.post("/{period_id}/publish", response_model=PublishOut)
async def publish(period_id: Id, body: PublishIn, actor: CurrentActor, now: Now) -> PublishOut:
    """Freeze the results as a snapshot; every sheet becomes final and later reads return the
    snapshot. Unfinished sheets refuse publication (409) unless `force` with a `reason`."""
    outcome = await results_service.publish(actor, period_id, now=now, **body.model_dump())
    return PublishOut(
        period=await period_out(outcome.period),
        groups=outcome.groups,
        units=outcome.units,
        not_appraised=outcome.not_appraised,
    )


@router.get("/{period_id}/results", response_model=list[GroupResultsOut])
async def results(
    period_id: Id, actor: CurrentActor, group_id: OptionalId = None
) -> list[GroupResultsOut]:
    """Per unit group and unit: self and appraised points of every field, survey, bonus,
    penalty, total, index, rank and band, and the gap per field. Live before publication, the
    frozen snapshot after."""
    tables = await results_service.results(actor, period_id, group_id=group_id)
    return [GroupResultsOut.model_validate(t) for t in tables]


@router.get("/{period_id}/survey-scores", response_model=list[SurveyScoreOut])
async def survey_scores(
    period_id: Id, actor: CurrentActor, unit_id: OptionalId = None
) -> list[SurveyScoreOut]:
    rows = await survey_service.list_scores(actor, period_id, unit_id=unit_id)
    return [SurveyScoreOut.model_validate(r) for r in rows]


@router.get("/{period_id}/survey-template.xlsx", response_class=Response)
async def survey_template(period_id: Id, actor: CurrentActor) -> Response:
    """The survey workbook of the period: its units, survey items and stored scores."""
    data = await survey_service.template(actor, period_id)
    return workbook_download(data, "diem-dieu-tra-xhh.xlsx")


@router.post("/{period_id}/survey-scores/import", response_model=SurveyImportOut)
async def import_survey(
    settings: SettingsDep,
    period_id: Id,
    actor: CurrentActor,
    now: Now,
    file: Annotated[UploadFile, File()],
) -> SurveyImportOut:
    """Import survey scores: every problem listed (422), nothing imported unless there are
    none; an empty cell keeps the stored score. Refused after publication (409)."""
    data = await read_upload(file, settings.max_upload_mb)
    summary = await survey_service.import_scores(
        actor, period_id, data, now=now, source_name=(file.filename or "").replace("\x00", "")
    )
    return SurveyImportOut(
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        units=summary.units,
    )
