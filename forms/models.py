"""What is asked and who answers it: criteria sets, periods, assessments, answers, evidence,
extension requests. Appraisal's reviews and explanations are :mod:`scoring.models`."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

SCORE = {"max_digits": 10, "decimal_places": 4}


class NodeLevel(StrEnum):
    field = "field"  # lĩnh vực
    criterion = "criterion"  # tiêu chí
    item = "item"  # tiêu chí thành phần


class Section(StrEnum):
    standard = "standard"
    survey = "survey"  # điều tra xã hội học
    bonus = "bonus"  # điểm cộng
    penalty = "penalty"  # điểm trừ


class AssessmentStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_appraisal = "in_appraisal"
    explanation_requested = "explanation_requested"
    appraised = "appraised"
    final = "final"


class PeriodStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    published = "published"


class CriteriaSet(Model):
    """A questionnaire (bộ chỉ số), frozen once a period uses it, changes make a new version."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32)
    version = fields.IntField(default=1)
    name = fields.CharField(max_length=500)
    unit_kind = fields.CharField(max_length=16, default="other")
    document_number = fields.CharField(max_length=64, default="")  # e.g. 2845/QĐ-UBND
    issue_date = fields.DateField(null=True)
    issuing_body = fields.CharField(max_length=255, default="")
    total_max = fields.DecimalField(**SCORE)
    bonus_cap = fields.DecimalField(**SCORE, default=0)
    penalty_cap = fields.DecimalField(**SCORE, default=0)
    is_sample = fields.BooleanField(default=False)
    frozen_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "criteria_set"
        unique_together = (("code", "version"),)
        ordering = ["code", "version"]


class CriteriaNode(Model):
    id = fields.IntField(primary_key=True)
    criteria_set: fields.ForeignKeyRelation[CriteriaSet] = fields.ForeignKeyField(
        "cchc.CriteriaSet", related_name="nodes", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=32)
    parent_code = fields.CharField(max_length=32, null=True)
    level = fields.CharEnumField(NodeLevel, max_length=16)
    section = fields.CharEnumField(Section, max_length=16, default=Section.standard)
    position = fields.IntField()
    title = fields.TextField()
    max_score = fields.DecimalField(**SCORE)
    rule_type = fields.CharField(max_length=16, null=True)
    rule_params = fields.TextField(default="")
    guidance = fields.TextField(default="")
    evidence = fields.TextField(default="")
    evidence_required = fields.BooleanField(default=False)
    # "points": a file only when the answer claims points; "always": whatever the answer
    # (forms/evidence_policy.py)
    evidence_when = fields.CharField(max_length=16, default="points")
    appraising_agency = fields.CharField(max_length=255, default="")
    na_allowed = fields.BooleanField(default=False)

    class Meta:
        table = "criteria_node"
        unique_together = (("criteria_set", "code"),)
        ordering = ["criteria_set_id", "position"]


class Period(Model):
    """An assessment round (đợt đánh giá), usually one year."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=255)
    year = fields.IntField()
    status = fields.CharEnumField(PeriodStatus, max_length=16, default=PeriodStatus.draft)
    self_assessment_opens_at = fields.DatetimeField()
    self_assessment_closes_at = fields.DatetimeField()
    explanation_due_at = fields.DatetimeField(null=True)
    appraisal_round1_due_at = fields.DatetimeField(null=True)
    appraisal_round2_due_at = fields.DatetimeField(null=True)
    publication_due_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    reminder_policy = fields.JSONField(default=dict)
    index_options = fields.JSONField(default=dict)
    require_leader_approval = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "period"
        ordering = ["-year", "id"]


class PeriodGroup(Model):
    """Which criteria set and classification bands apply to one unit group in a period."""

    id = fields.IntField(primary_key=True)
    period: fields.ForeignKeyRelation[Period] = fields.ForeignKeyField(
        "cchc.Period", related_name="groups", on_delete=fields.CASCADE
    )
    unit_group: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "cchc.UnitGroup", related_name="period_links", on_delete=fields.RESTRICT
    )
    criteria_set: fields.ForeignKeyRelation[CriteriaSet] = fields.ForeignKeyField(
        "cchc.CriteriaSet", related_name="period_links", on_delete=fields.RESTRICT
    )
    bands = fields.JSONField(default=list)

    class Meta:
        table = "period_group"
        unique_together = (("period", "unit_group"),)


class Assessment(Model):
    """One unit's score sheet (phiếu chấm điểm) in one period."""

    id = fields.IntField(primary_key=True)
    period: fields.ForeignKeyRelation[Period] = fields.ForeignKeyField(
        "cchc.Period", related_name="assessments", on_delete=fields.RESTRICT
    )
    unit: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "cchc.Unit", related_name="assessments", on_delete=fields.RESTRICT
    )
    criteria_set: fields.ForeignKeyRelation[CriteriaSet] = fields.ForeignKeyField(
        "cchc.CriteriaSet", related_name="assessments", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(
        AssessmentStatus, max_length=32, default=AssessmentStatus.draft, db_index=True
    )
    deadline_extended_to = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    submitted_by = fields.ForeignKeyField(
        "cchc.Officer", related_name="submissions", null=True, on_delete=fields.SET_NULL
    )
    leader_approved_at = fields.DatetimeField(null=True)
    leader_approved_by = fields.ForeignKeyField(
        "cchc.Officer", related_name="approvals", null=True, on_delete=fields.SET_NULL
    )
    self_locked_at = fields.DatetimeField(null=True)
    explanation_locked_at = fields.DatetimeField(null=True)
    # Submission and appraisal; an answer keeps its own time (``Answer.updated_at``), and the
    # sheet's last activity is the later of the two (``scoring.appraisal.progress_of``).
    last_activity_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "assessment"
        unique_together = (("period", "unit"),)


class Answer(Model):
    """The declared fact for one item, the self score is always computed from it."""

    id = fields.IntField(primary_key=True)
    assessment: fields.ForeignKeyRelation[Assessment] = fields.ForeignKeyField(
        "cchc.Assessment", related_name="answers", on_delete=fields.CASCADE
    )
    node: fields.ForeignKeyRelation[CriteriaNode] = fields.ForeignKeyField(
        "cchc.CriteriaNode", related_name="answers", on_delete=fields.RESTRICT
    )
    declared = fields.JSONField(null=True)
    self_score = fields.DecimalField(**SCORE, null=True)
    not_applicable = fields.BooleanField(default=False)
    note = fields.TextField(default="")
    version = fields.IntField(default=0)
    updated_by_officer = fields.ForeignKeyField(
        "cchc.Officer", related_name="answers_changed", null=True, on_delete=fields.SET_NULL
    )
    updated_by_user = fields.ForeignKeyField(
        "cchc.BackofficeUser",
        related_name="answers_changed",
        null=True,
        on_delete=fields.SET_NULL,
    )
    channel = fields.CharField(max_length=16, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "answer"
        unique_together = (("assessment", "node"),)


class Evidence(Model):
    """A file attached to an answer or an explanation, the bytes live in the content store."""

    id = fields.IntField(primary_key=True)
    answer: fields.ForeignKeyRelation[Answer] = fields.ForeignKeyField(
        "cchc.Answer", related_name="evidence", on_delete=fields.CASCADE
    )
    sha256 = fields.CharField(max_length=64, db_index=True)
    size = fields.BigIntField()
    original_name = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=128)
    page_ref = fields.CharField(max_length=255, default="")
    uploaded_by_officer = fields.ForeignKeyField(
        "cchc.Officer", related_name="uploads", null=True, on_delete=fields.SET_NULL
    )
    uploaded_by_user = fields.ForeignKeyField(
        "cchc.BackofficeUser", related_name="uploads", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharField(max_length=16, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "evidence"
        # an answer's files are counted on every card the bot shows
        indexes = (("answer_id", "removed_at"),)


class ExtensionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class ExtensionRequest(Model):
    """A unit asks for more time, the secretariat approves (moving that unit's deadline) or not."""

    id = fields.IntField(primary_key=True)
    assessment: fields.ForeignKeyRelation[Assessment] = fields.ForeignKeyField(
        "cchc.Assessment", related_name="extension_requests", on_delete=fields.CASCADE
    )
    reason = fields.TextField()
    requested_until = fields.DatetimeField()
    requested_by = fields.ForeignKeyField(
        "cchc.Officer", related_name="extension_requests", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(ExtensionStatus, max_length=16, default=ExtensionStatus.pending)
    decided_by = fields.ForeignKeyField(
        "cchc.BackofficeUser",
        related_name="extension_decisions",
        null=True,
        on_delete=fields.SET_NULL,
    )
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "extension_request"
