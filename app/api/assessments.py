"""Score sheets, their items (answers, evidence, reviews, explanations), the appraisal actions,
unlocking and per-unit deadlines, extension requests, appraiser assignments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from app.api.deps import (
    CurrentActor,
    Files,
    Id,
    Limit,
    Locale,
    NotifierDep,
    Now,
    Offset,
    OptionalId,
    Tz,
)
from app.api.errors import ApiRoute
from app.api.schemas import (
    NO_NUL,
    AcceptIn,
    AdjustIn,
    AnswerIn,
    AnswerOut,
    AssessmentOut,
    AssignmentIn,
    AssignmentOut,
    DeadlineIn,
    ExplanationRequestIn,
    ExtensionDecisionIn,
    ExtensionRequestOut,
    ItemOut,
    Page,
    Round2In,
    UnitAssignmentIn,
    UnitAssignmentOut,
    UnlockIn,
)
from app.web.files import file_response
from core.audit import Actor
from core.auth import NotFound, require_role
from core.i18n import N_, Msg
from core.models import given
from forms.answers import self_assessment_window
from forms.corrections import correct_item
from forms.extensions import tell_decision
from forms.models import (
    Assessment,
    AssessmentStatus,
    ExtensionRequest,
    ExtensionStatus,
)
from forms.periods import decide_extension, extend_deadline
from scoring import appraisal
from scoring.assignments import (
    assign,
    assign_unit,
    list_assignments,
    list_unit_assignments,
    unassign,
    unassign_unit,
)

router = APIRouter(route_class=ApiRoute, tags=["assessments"])

ItemCode = Annotated[
    str,
    Path(min_length=1, max_length=32, pattern=NO_NUL, description='Item code, e.g. "1.1.3".'),
]
UnderCode = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=32,
        pattern=NO_NUL,
        description="Only items under this field or criterion.",
    ),
]


# --- conversions ------------------------------------------------------------------------------


async def assessments_out(rows: list[Assessment]) -> list[AssessmentOut]:
    progress = await appraisal.progress_of(rows)
    return [
        AssessmentOut.of(
            a,
            unit_code=a.unit.code,
            unit_name=a.unit.name,
            deadline=self_assessment_window(a.period, a).closes_at,
            progress=progress[a.id],
            last_activity_at=progress[a.id].last_activity_at,
        )
        for a in rows
    ]


async def _one(assessment_id: int) -> AssessmentOut:
    a = await Assessment.get(id=assessment_id).prefetch_related("unit", "period")
    return (await assessments_out([a]))[0]


async def _item(actor: CurrentActor, assessment_id: int, code: str, locale: str) -> ItemOut:
    _total, views = await appraisal.item_views(
        actor, assessment_id=assessment_id, under=code, locale=locale, limit=1
    )
    if not views:
        raise NotFound(Msg(N_("There is no item “{code}” in this criteria set."), code=code))
    return ItemOut.model_validate(views[0])


async def _item_page(
    actor: Actor, limit: int, offset: int, locale: str, **filters: Any
) -> Page[ItemOut]:
    total, views = await appraisal.item_views(
        actor, limit=limit, offset=offset, locale=locale, **filters
    )
    return Page[ItemOut](total=total, limit=limit, offset=offset, items=views)


# --- score sheets -----------------------------------------------------------------------------


@router.get("/assessments", response_model=Page[AssessmentOut])
async def list_assessments(
    actor: CurrentActor,
    period_id: OptionalId = None,
    unit_id: OptionalId = None,
    status: Annotated[AssessmentStatus | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AssessmentOut]:
    """Score sheets with their status and progress (every back-office role)."""
    await require_role(actor)
    query = Assessment.filter(**given(period_id=period_id, unit_id=unit_id, status=status))
    total = await query.count()
    rows = (
        await query.order_by("period_id", "unit__sort_order", "unit_id")
        .offset(offset)
        .limit(limit)
        .prefetch_related("unit", "period")
    )
    return Page(total=total, limit=limit, offset=offset, items=await assessments_out(rows))


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut)
async def get_assessment(assessment_id: Id, actor: CurrentActor) -> AssessmentOut:
    await appraisal.visible_assessment(actor, assessment_id)
    return await _one(assessment_id)


@router.get("/assessments/{assessment_id}/items", response_model=Page[ItemOut])
async def sheet_items(
    assessment_id: Id,
    actor: CurrentActor,
    locale: Locale,
    under: UnderCode = None,
    pending_only: bool = False,
    limit: Limit = 500,
    offset: Offset = 0,
) -> Page[ItemOut]:
    """The sheet's items the caller may see (appraisers: their fields) with the declared
    value, self score, note, evidence, reviews and explanation."""
    return await _item_page(
        actor,
        limit,
        offset,
        locale,
        assessment_id=assessment_id,
        under=under,
        pending_only=pending_only,
    )


@router.get("/appraisal/items", response_model=Page[ItemOut])
async def worklist(
    actor: CurrentActor,
    locale: Locale,
    now: Now,
    period_id: Annotated[int, Query(ge=1, le=2_147_483_647)],
    unit_id: OptionalId = None,
    under: UnderCode = None,
    pending_only: bool = False,
    ready_only: Annotated[
        bool, Query(description="Only sheets whose self-assessment is closed.")
    ] = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ItemOut]:
    """The appraiser's worklist: the items of the fields assigned to them, across all units
    of the period (administrators and viewers: every item)."""
    return await _item_page(
        actor,
        limit,
        offset,
        locale,
        period_id=period_id,
        unit_id=unit_id,
        under=under,
        pending_only=pending_only,
        ready_only=ready_only,
        now=now,
    )


@router.put("/assessments/{assessment_id}/answers/{item}", response_model=AnswerOut)
async def correct_answer(
    assessment_id: Id, item: ItemCode, body: AnswerIn, actor: CurrentActor, now: Now, tz: Tz
) -> AnswerOut:
    """An administrator corrects a self-assessment answer, giving the reason (also after the
    lock, never after publication); the audit trail keeps it as a correction, as the web form's.
    Appraisers cannot change self scores: they set appraised scores."""
    recorded = await correct_item(actor, assessment_id, item, **body.model_dump(), now=now, tz=tz)
    return AnswerOut.of(recorded.answer, assessment_id=assessment_id, item=item)


@router.post("/assessments/{assessment_id}/items/{item}/accept", response_model=ItemOut)
async def accept(
    assessment_id: Id,
    item: ItemCode,
    body: AcceptIn,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    locale: Locale,
) -> ItemOut:
    """Round 1: accept the self score."""
    await appraisal.accept(actor, assessment_id, item, **body.model_dump(), now=now, tz=tz)
    return await _item(actor, assessment_id, item, locale)


@router.post("/assessments/{assessment_id}/items/{item}/adjust", response_model=ItemOut)
async def adjust(
    assessment_id: Id,
    item: ItemCode,
    body: AdjustIn,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    locale: Locale,
) -> ItemOut:
    """Round 1: set an appraised score; the comment is mandatory."""
    await appraisal.adjust(actor, assessment_id, item, **body.model_dump(), now=now, tz=tz)
    return await _item(actor, assessment_id, item, locale)


@router.post(
    "/assessments/{assessment_id}/items/{item}/explanation-request", response_model=ItemOut
)
async def request_explanation(
    assessment_id: Id,
    item: ItemCode,
    body: ExplanationRequestIn,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    locale: Locale,
    notifier: NotifierDep,
) -> ItemOut:
    """Round 1: ask the unit to explain by a due date; its focal officers are told in the bot."""
    await appraisal.request_explanation(
        actor, assessment_id, item, **body.model_dump(), now=now, notifier=notifier, tz=tz
    )
    return await _item(actor, assessment_id, item, locale)


@router.post("/assessments/{assessment_id}/items/{item}/round2", response_model=ItemOut)
async def round2(
    assessment_id: Id,
    item: ItemCode,
    body: Round2In,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    locale: Locale,
) -> ItemOut:
    """Round 2: the final appraised score after the unit's explanation (or its due date)."""
    await appraisal.round2(actor, assessment_id, item, **body.model_dump(), now=now, tz=tz)
    return await _item(actor, assessment_id, item, locale)


@router.post("/assessments/{assessment_id}/unlock", response_model=AssessmentOut)
async def unlock(
    assessment_id: Id,
    body: UnlockIn,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    notifier: NotifierDep,
) -> AssessmentOut:
    """An administrator reopens one unit's self-assessment with a reason (before appraisal)."""
    await appraisal.unlock(
        actor, assessment_id, **body.model_dump(), now=now, notifier=notifier, tz=tz
    )
    return await _one(assessment_id)


@router.put("/assessments/{assessment_id}/deadline", response_model=AssessmentOut)
async def set_deadline(
    assessment_id: Id, body: DeadlineIn, actor: CurrentActor, now: Now, tz: Tz
) -> AssessmentOut:
    """Give one unit its own self-assessment deadline (null: the period's again)."""
    await extend_deadline(actor, assessment_id, **body.model_dump(), now=now, tz=tz)
    return await _one(assessment_id)


@router.get("/evidence/{evidence_id}/download", response_class=Response)
async def download(evidence_id: Id, actor: CurrentActor, files: Files) -> Response:
    """The evidence file, for those who may see that unit's item."""
    evidence = await appraisal.evidence_for_download(actor, evidence_id)
    return await file_response(files, evidence, download=True)


# --- reviews and explanations as lists --------------------------------------------------------


@router.get("/reviews", response_model=Page[ItemOut])
async def reviews(
    actor: CurrentActor,
    locale: Locale,
    period_id: Annotated[int, Query(ge=1, le=2_147_483_647)],
    unit_id: OptionalId = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ItemOut]:
    """Reviewed items of a period the caller may see, with both rounds and the explanation."""
    return await _item_page(
        actor, limit, offset, locale, period_id=period_id, unit_id=unit_id, state="reviewed"
    )


@router.get("/explanations", response_model=Page[ItemOut])
async def explanations(
    actor: CurrentActor,
    locale: Locale,
    period_id: Annotated[int, Query(ge=1, le=2_147_483_647)],
    unit_id: OptionalId = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ItemOut]:
    """Items whose unit has sent an explanation, with the request and the round-2 score."""
    return await _item_page(
        actor, limit, offset, locale, period_id=period_id, unit_id=unit_id, state="explained"
    )


# --- extension requests -----------------------------------------------------------------------


@router.get("/extension-requests", response_model=list[ExtensionRequestOut])
async def extension_requests(
    actor: CurrentActor,
    period_id: OptionalId = None,
    status: Annotated[ExtensionStatus | None, Query()] = None,
) -> list[ExtensionRequestOut]:
    """Units' requests for more time (administrators and viewers)."""
    from core.models import UserRole

    await require_role(actor, UserRole.admin, UserRole.viewer)
    query = ExtensionRequest.filter(**given(assessment__period_id=period_id, status=status))
    return [
        ExtensionRequestOut.model_validate(r)
        for r in await query.order_by("id").prefetch_related("assessment")
    ]


@router.post("/extension-requests/{request_id}/decision", response_model=ExtensionRequestOut)
async def decide(
    request_id: Id,
    body: ExtensionDecisionIn,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    notifier: NotifierDep,
) -> ExtensionRequestOut:
    """Approve (moving that unit's deadline) or refuse (with a reason) a request; the officer
    who asked is told in the bot."""
    await decide_extension(actor, request_id, **body.model_dump(), now=now, tz=tz)
    await tell_decision(notifier, request_id, tz=tz)
    return ExtensionRequestOut.model_validate(
        await ExtensionRequest.get(id=request_id).prefetch_related("assessment")
    )


# --- appraiser assignments --------------------------------------------------------------------


@router.get("/assignments", response_model=list[AssignmentOut], tags=["appraisers"])
async def assignments(
    actor: CurrentActor, user_id: OptionalId = None, criteria_set_id: OptionalId = None
) -> list[AssignmentOut]:
    rows = await list_assignments(actor, user_id=user_id, criteria_set_id=criteria_set_id)
    return [AssignmentOut.model_validate(r) for r in rows]


@router.post("/assignments", response_model=AssignmentOut, status_code=201, tags=["appraisers"])
async def create_assignment(body: AssignmentIn, actor: CurrentActor) -> AssignmentOut:
    """Make an appraiser responsible for a field or criterion (administrators)."""
    r = await assign(actor, body.user_id, body.criteria_set_id, body.node_code)
    return AssignmentOut.model_validate(r)


@router.delete("/assignments/{assignment_id}", status_code=204, tags=["appraisers"])
async def delete_assignment(assignment_id: Id, actor: CurrentActor) -> Response:
    await unassign(actor, assignment_id)
    return Response(status_code=204)


@router.get("/unit-assignments", response_model=list[UnitAssignmentOut], tags=["appraisers"])
async def unit_assignments(
    actor: CurrentActor, criteria_set_id: OptionalId = None
) -> list[UnitAssignmentOut]:
    """Who appraises what in one unit only (in addition to the whole-set assignments)."""
    rows = await list_unit_assignments(actor, criteria_set_id=criteria_set_id)
    return [UnitAssignmentOut.model_validate(r) for r in rows]


@router.post(
    "/unit-assignments", response_model=UnitAssignmentOut, status_code=201, tags=["appraisers"]
)
async def create_unit_assignment(body: UnitAssignmentIn, actor: CurrentActor) -> UnitAssignmentOut:
    """Make an appraiser responsible for one unit: every item, or those under a field or
    criterion (administrators)."""
    r = await assign_unit(actor, body.user_id, body.criteria_set_id, body.unit_id, body.node_code)
    return UnitAssignmentOut.model_validate(r)


@router.delete("/unit-assignments/{assignment_id}", status_code=204, tags=["appraisers"])
async def delete_unit_assignment(assignment_id: Id, actor: CurrentActor) -> Response:
    await unassign_unit(actor, assignment_id)
    return Response(status_code=204)
