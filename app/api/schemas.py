"""Request and response bodies of the JSON API.

Scores, maxima, indices and caps are **strings** holding exact decimals with a point ("0.5",
"12", "85.53"), never binary floats: the service computes in decimal and a JSON number would
lose that. Inputs accept a string ("0,5" or "0.5") or a JSON number. Times are ISO 8601 with an
offset; inputs must carry one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    AliasPath,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
)

from core.i18n import N_
from core.models import Channel, OfficerRole, UnitKind, UserRole
from forms.models import AssessmentStatus, ExtensionStatus, PeriodStatus
from scoring.results import dec

T = TypeVar("T")

Score = Annotated[
    str,
    BeforeValidator(lambda v: dec(v) if isinstance(v, Decimal) else v),
    Field(pattern=r"^-?\d+(\.\d+)?$", examples=["0.5"], description="Exact decimal."),
]
ScoreIn = Annotated[
    str | float,
    Field(
        examples=["0,5"],
        description="A number, or text with a decimal comma or point.",
    ),
]
Text = Annotated[str, Field(max_length=4000)]


def _plausible(value: datetime) -> datetime:
    """Dates the service can store and convert to UTC: years 2000 to 2200."""
    if not 2000 <= value.year <= 2200:
        raise ValueError(N_("a date between the years 2000 and 2200 is expected."))
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
Code = Annotated[str, Field(min_length=1, max_length=32)]
NO_NUL = r"^[^\x00]*$"  # for query and path text


class Out(BaseModel):
    """A response read from a service's object: its attributes of the same names."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, obj: Any, **computed: Any) -> Self:
        """The attributes of ``obj``, and ``computed`` for the fields it does not hold."""
        names = cls.model_fields.keys() - computed.keys()
        return cls.model_validate({**{n: getattr(obj, n) for n in names}, **computed})


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(N_("the text contains a NUL character, which cannot be stored."))
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k)
            _no_nul(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _no_nul(v)
    return value


class In(BaseModel):
    """A request body. Text with NUL characters is refused up front: PostgreSQL cannot store
    them, and no person types one."""

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _no_nul(value)


class Page(BaseModel, Generic[T]):
    total: int
    limit: int
    offset: int
    items: list[T]


# --- auth and users ---------------------------------------------------------------------------


class LoginIn(In):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    name: Annotated[str, Field(max_length=255, description="A label for the token.")] = ""


class UserOut(Out):
    id: int
    username: str
    full_name: str
    email: str
    role: UserRole
    active: bool
    locale: str
    created_at: datetime
    last_login_at: datetime | None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserOut


class SessionOut(BaseModel):
    expires_at: datetime
    user: UserOut
    csrf_token: str = Field(
        description="Send as `X-CSRF-Token` with every write made with the session cookie."
    )


class CsrfOut(BaseModel):
    csrf_token: str = Field(
        description="Send as `X-CSRF-Token` with every write made with the session cookie."
    )


class TokenInfo(Out):
    id: int
    kind: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class UserCreate(In):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    role: UserRole
    full_name: Annotated[str, Field(max_length=255)] = ""
    email: Annotated[str, Field(max_length=255)] = ""


class UserUpdate(In):
    role: UserRole | None = None
    active: bool | None = None
    full_name: Annotated[str | None, Field(max_length=255)] = None
    email: Annotated[str | None, Field(max_length=255)] = None
    password: Annotated[str | None, Field(min_length=1, max_length=1024)] = None
    locale: Literal["vi", "en"] | None = None


# --- units and people -------------------------------------------------------------------------


class UnitGroupOut(Out):
    id: int
    code: str
    name: str
    kind: UnitKind
    sort_order: int


class UnitOut(Out):
    id: int
    code: str
    name: str
    group_id: int
    address: str
    active: bool
    sort_order: int


UnitCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,32}$")]


class UnitIn(In):
    group_code: UnitCode
    group_name: Annotated[str, Field(min_length=1, max_length=255)]
    group_kind: UnitKind = UnitKind.other
    code: UnitCode
    name: Annotated[str, Field(min_length=1, max_length=255)]
    address: Annotated[str, Field(max_length=255)] = ""


class ImportOut(BaseModel):
    groups_created: int = 0
    groups_updated: int = 0
    units_created: int = 0
    units_updated: int = 0
    officers_created: int = 0
    officers_updated: int = 0


class OfficerOut(Out):
    id: int
    unit_id: int
    full_name: str
    position: str
    role: OfficerRole
    phone: str
    email: str
    locale: str
    active: bool
    telegram_bound: Annotated[bool, BeforeValidator(lambda user_id: user_id is not None)] = Field(
        validation_alias="telegram_user_id"
    )
    telegram_username: str | None
    bound_at: datetime | None


class OfficerIn(In):
    unit_code: Code
    full_name: Annotated[str, Field(min_length=1, max_length=255)]
    position: Annotated[str, Field(max_length=255)] = ""
    role: OfficerRole = OfficerRole.focal
    phone: Annotated[str, Field(max_length=32)] = ""
    email: Annotated[str, Field(max_length=255)] = ""


class InviteIn(In):
    days: Annotated[int, Field(ge=1, le=365)] = 14


class InviteOut(BaseModel):
    officer_id: int
    code: str = Field(description="Shown once; only its hash is stored.")
    pretty: str
    expires_at: datetime


# --- criteria sets ----------------------------------------------------------------------------


class CriteriaSetOut(Out):
    id: int
    code: str
    version: int
    name: str
    unit_kind: str
    document_number: str
    issue_date: date | None
    issuing_body: str
    total_max: Score
    bonus_cap: Score
    penalty_cap: Score
    is_sample: bool
    frozen_at: datetime | None


class NodeOut(Out):
    code: str
    parent_code: str | None
    level: str
    section: str
    position: int
    title: str
    max_score: Score
    rule_type: str | None
    rule_params: str
    guidance: str
    evidence: str
    evidence_required: bool
    evidence_when: str = Field(
        default="points",
        description="When required evidence is required: “points” (only for an answer that "
        "claims points or declares a violation) or “always” (docs/criteria-template.md).",
    )
    appraising_agency: str
    na_allowed: bool


class CriteriaSetDetail(CriteriaSetOut):
    nodes: list[NodeOut]


# --- periods ----------------------------------------------------------------------------------


class BandIn(In):
    label: Annotated[str, Field(min_length=1, max_length=64)]
    min_index: ScoreIn


class BandOut(BaseModel):
    label: str
    min_index: Score


class GroupPlanIn(In):
    group_code: Code
    criteria_set_code: Code
    bands: list[BandIn] | None = Field(
        default=None, max_length=20, description="Default: Tốt ≥ 90, Khá ≥ 80, Trung bình ≥ 65."
    )


class IndexOptions(In):
    model_config = ConfigDict(extra="forbid")
    cap_index_at_100: bool | None = None
    bonus_in_index: bool | None = None
    bonus_cap: ScoreIn | None = Field(default=None, description="null: the criteria set's cap.")
    penalty_cap: ScoreIn | None = None
    rank_unsubmitted_last: bool | None = Field(
        default=None, description="Rank units that never submitted after the others."
    )


class PeriodCreate(In):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=255)]
    year: Annotated[int, Field(ge=2000, le=2100)]
    self_assessment_opens_at: Moment
    self_assessment_closes_at: Moment
    explanation_due_at: Moment | None = None
    appraisal_round1_due_at: Moment | None = None
    appraisal_round2_due_at: Moment | None = None
    publication_due_at: Moment | None = None
    status: Literal["draft", "open"] = "open"
    groups: Annotated[list[GroupPlanIn], Field(min_length=1, max_length=50)]
    index_options: IndexOptions | None = None
    reminder_policy: dict[str, Any] | None = None
    require_leader_approval: bool = False


class PeriodUpdate(In):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str | None, Field(min_length=1, max_length=255)] = None
    status: Literal["draft", "open", "closed"] | None = None
    self_assessment_opens_at: Moment | None = None
    self_assessment_closes_at: Moment | None = None
    explanation_due_at: Moment | None = None
    appraisal_round1_due_at: Moment | None = None
    appraisal_round2_due_at: Moment | None = None
    publication_due_at: Moment | None = None
    index_options: IndexOptions | None = None
    reminder_policy: dict[str, Any] | None = None
    require_leader_approval: bool | None = None


class PeriodGroupOut(BaseModel):
    unit_group_id: int
    group_code: str
    group_name: str
    criteria_set_id: int
    criteria_set_code: str
    criteria_set_version: int
    bands: list[BandOut]


class PeriodOut(Out):
    id: int
    code: str
    name: str
    year: int
    status: PeriodStatus
    self_assessment_opens_at: datetime
    self_assessment_closes_at: datetime
    explanation_due_at: datetime | None
    appraisal_round1_due_at: datetime | None
    appraisal_round2_due_at: datetime | None
    publication_due_at: datetime | None
    published_at: datetime | None
    index_options: dict[str, Any]
    reminder_policy: dict[str, Any]
    require_leader_approval: bool
    groups: list[PeriodGroupOut]


class BandsIn(In):
    bands: Annotated[list[BandIn], Field(min_length=1, max_length=20)]


class PublishIn(In):
    force: bool = Field(default=False, description="Publish although some sheets are unfinished.")
    reason: Annotated[str, Field(max_length=4000)] = ""


class PublishOut(BaseModel):
    period: PeriodOut
    groups: int
    units: int
    not_appraised: list[str]


# --- assessments, items, reviews --------------------------------------------------------------


class ProgressOut(Out):
    items: int
    answered: int
    with_evidence: int
    reviewed: int
    explanations_pending: int


class AssessmentOut(Out):
    id: int
    period_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    criteria_set_id: int
    status: AssessmentStatus
    deadline: datetime = Field(
        description="The unit's self-assessment deadline (extension included)."
    )
    deadline_extended_to: datetime | None
    submitted_at: datetime | None
    self_locked_at: datetime | None
    explanation_locked_at: datetime | None
    last_activity_at: datetime | None
    progress: ProgressOut


class UnlockIn(In):
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    until: Moment | None = Field(
        default=None, description="A new deadline for this unit (needed if the period's passed)."
    )


class DeadlineIn(In):
    until: Moment | None = Field(description="null: back to the period's deadline.")
    reason: Annotated[str, Field(min_length=1, max_length=4000)]


class EvidenceOut(Out):
    id: int
    original_name: str
    size: int
    content_type: str
    page_ref: str
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def download_url(self) -> str:
        return f"/api/v1/evidence/{self.id}/download"


class ReviewOut(Out):
    id: int
    round_no: int
    accepted: bool
    appraised_score: Score | None
    comment: str
    explanation_requested: bool
    explanation_due_at: datetime | None
    reviewer_id: int | None
    version: int
    updated_at: datetime


class ExplanationOut(Out):
    id: int
    review_id: int
    text: str
    proposed_score: Score | None
    officer_id: int | None
    channel: str
    submitted_at: datetime | None
    evidence_ids: list[int]


class ItemOut(Out):
    assessment_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    code: str
    title: str
    section: str
    max_score: Score
    rule_type: str | None
    declared: Any = Field(description="The declared fact as stored (shape depends on the rule).")
    declared_text: str = Field(description="The declared fact in words, in the request's language.")
    self_score: Score | None
    not_applicable: bool
    note: str
    answer_version: int
    appraised_score: Score | None = Field(
        description="Round 2 if set, else round 1, else the self score."
    )
    evidence: list[EvidenceOut]
    round1: ReviewOut | None
    round2: ReviewOut | None
    explanation: ExplanationOut | None


class AnswerIn(In):
    expected_version: Annotated[int, Field(ge=0)]
    text: Annotated[str | None, Field(max_length=1000)] = Field(
        default=None, description="The declared fact as an officer would type it."
    )
    declared: dict[str, Any] | None = None
    # a transport bound only: the note's own limit (2,000 characters) is the service's, so the
    # API refuses an over-long note with the same sentence as the chat and the web form
    note: Annotated[str | None, Field(max_length=100_000)] = None
    reason: Annotated[str | None, Field(max_length=100_000)] = Field(
        default=None,
        description="Why the answer is corrected (required, at most 1,000 characters); it is "
        "kept in the audit trail with the correction.",
    )


class AnswerOut(Out):
    id: int
    assessment_id: int
    item: str
    declared: Any
    self_score: Score | None
    not_applicable: bool
    note: str
    version: int


class AcceptIn(In):
    expected_version: Annotated[
        int, Field(ge=0, description="Round-1 review version seen (0: none).")
    ]
    comment: Text = ""


class AdjustIn(In):
    expected_version: Annotated[int, Field(ge=0)]
    score: ScoreIn
    comment: Annotated[str, Field(min_length=1, max_length=4000)]


class ExplanationRequestIn(In):
    expected_version: Annotated[int, Field(ge=0)]
    comment: Annotated[str, Field(min_length=1, max_length=4000)]
    due_at: Moment | None = Field(
        default=None, description="Default: the period's explanation deadline."
    )
    score: ScoreIn | None = Field(default=None, description="An optional provisional score.")


class Round2In(In):
    expected_version: Annotated[
        int, Field(ge=0, description="Round-2 review version seen (0: none).")
    ]
    score: ScoreIn
    comment: Text = ""


class ExtensionRequestOut(Out):
    id: int
    assessment_id: int
    unit_id: int = Field(validation_alias=AliasPath("assessment", "unit_id"))
    reason: str
    requested_until: datetime
    requested_by: int | None = Field(validation_alias="requested_by_id")
    status: ExtensionStatus
    decided_by: int | None = Field(validation_alias="decided_by_id")
    decided_at: datetime | None
    decision_note: str
    created_at: datetime


class ExtensionDecisionIn(In):
    approve: bool
    note: Text = ""
    until: Moment | None = Field(default=None, description="Default: the date asked.")


# --- appraisers, survey, results --------------------------------------------------------------


class AssignmentIn(In):
    user_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    criteria_set_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    node_code: Code


class AssignmentOut(Out):
    id: int
    user_id: int
    criteria_set_id: int
    node_code: str


class UnitAssignmentIn(In):
    user_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    criteria_set_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    unit_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    node_code: Annotated[str, Field(max_length=32)] = Field(
        default="",
        description="A field or criterion of the unit's set; empty: every item of the unit.",
    )


class UnitAssignmentOut(Out):
    id: int
    user_id: int
    unit_id: int
    criteria_set_id: int
    node_code: str = Field(description="Empty: every item of the unit.")


class SurveyScoreOut(Out):
    unit_id: int
    node_code: str
    score: Score
    source: str
    imported_at: datetime


class SurveyImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    units: int


class FieldResultOut(BaseModel):
    code: str
    title: str
    max_score: Score
    self: Score
    appraised: Score
    gap: Score = Field(description="Appraised minus self (negative: the unit over-scored).")
    self_index: Score | None
    appraised_index: Score | None


class FiguresOut(BaseModel):
    standard: Score
    survey: Score
    bonus: Score
    penalty: Score
    total: Score
    applicable_max: Score
    index: Score | None = Field(description="Rounded half-up to 2 decimals, as ranked.")
    index_exact: Score | None
    rank: int | None
    band: str | None


class UnitResultOut(BaseModel):
    unit_id: int
    unit_code: str
    unit_name: str
    assessment_id: int
    status: str
    submitted: bool = Field(
        default=True, description="False: never submitted (chưa nộp), listed apart."
    )
    fields: list[FieldResultOut]
    self: FiguresOut
    appraised: FiguresOut


class GroupResultsOut(BaseModel):
    period_id: int
    unit_group_id: int
    group_code: str
    group_name: str
    criteria_set_id: int
    criteria_set_code: str
    bands: list[BandOut]
    published: bool
    published_at: datetime | None
    rank_unsubmitted_last: bool = False
    units: list[UnitResultOut]


# --- audit ------------------------------------------------------------------------------------


class AuditEventOut(Out):
    id: int
    at: datetime
    actor_type: str
    actor_id: int | None
    actor_name: str
    channel: Channel
    action: str
    entity: str
    entity_id: str
    unit_id: int | None
    old_value: Any
    new_value: Any
    reason: str
