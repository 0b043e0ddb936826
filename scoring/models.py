"""What it adds up to: appraisers' reviews and the units' explanations, assignments, survey
scores, published snapshots."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

SCORE = {"max_digits": 10, "decimal_places": 4}


class Review(Model):
    """An appraiser's verdict on one answer in one round (1 or 2)."""

    id = fields.IntField(primary_key=True)
    answer = fields.ForeignKeyField("cchc.Answer", related_name="reviews", on_delete=fields.CASCADE)
    round_no = fields.SmallIntField()
    accepted = fields.BooleanField(default=False)
    appraised_score = fields.DecimalField(**SCORE, null=True)
    comment = fields.TextField(default="")
    explanation_requested = fields.BooleanField(default=False)
    explanation_due_at = fields.DatetimeField(null=True)
    reviewer = fields.ForeignKeyField(
        "cchc.BackofficeUser", related_name="reviews", null=True, on_delete=fields.SET_NULL
    )
    version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "review"
        unique_together = (("answer", "round_no"),)


class Explanation(Model):
    """The unit's answer (giải trình bổ sung) to a request: text, a proposed score, files."""

    id = fields.IntField(primary_key=True)
    review = fields.ForeignKeyField(
        "cchc.Review", related_name="explanations", on_delete=fields.CASCADE
    )
    text = fields.TextField(default="")
    proposed_score = fields.DecimalField(**SCORE, null=True)
    officer = fields.ForeignKeyField(
        "cchc.Officer", related_name="explanations", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharField(max_length=16, default="")
    files = fields.ManyToManyField(
        "cchc.Evidence", related_name="explanations", through="explanation_evidence"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    submitted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "explanation"


class AppraiserAssignment(Model):
    """An appraiser is responsible for a field (or a criterion) of a criteria set."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField(
        "cchc.BackofficeUser", related_name="assignments", on_delete=fields.CASCADE
    )
    criteria_set = fields.ForeignKeyField(
        "cchc.CriteriaSet", related_name="assignments", on_delete=fields.CASCADE
    )
    node_code = fields.CharField(max_length=32)

    class Meta:
        table = "appraiser_assignment"
        unique_together = (("user", "criteria_set", "node_code"),)


class AppraiserUnitAssignment(Model):
    """An appraiser is responsible for the items of one unit: all of them (empty
    ``node_code``), or those under a field or criterion of the unit's criteria set. Kept beside
    :class:`AppraiserAssignment` (whole sets) rather than as a nullable unit there, so the older
    table's unique constraint stays as it is on both databases."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField(
        "cchc.BackofficeUser", related_name="unit_assignments", on_delete=fields.CASCADE
    )
    unit = fields.ForeignKeyField(
        "cchc.Unit", related_name="appraiser_assignments", on_delete=fields.CASCADE
    )
    criteria_set = fields.ForeignKeyField(
        "cchc.CriteriaSet", related_name="unit_assignments", on_delete=fields.CASCADE
    )
    node_code = fields.CharField(max_length=32, default="")

    class Meta:
        table = "appraiser_unit_assignment"
        unique_together = (("user", "unit", "criteria_set", "node_code"),)


class SurveyScore(Model):
    """Imported sociological survey points of one unit for one survey item."""

    id = fields.IntField(primary_key=True)
    period = fields.ForeignKeyField(
        "cchc.Period", related_name="survey_scores", on_delete=fields.CASCADE
    )
    unit = fields.ForeignKeyField(
        "cchc.Unit", related_name="survey_scores", on_delete=fields.CASCADE
    )
    node_code = fields.CharField(max_length=32)
    score = fields.DecimalField(**SCORE)
    source = fields.CharField(max_length=255, default="")
    imported_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_score"
        unique_together = (("period", "unit", "node_code"),)


class ResultSnapshot(Model):
    """Results of one unit group frozen at publication, later reads return this."""

    id = fields.IntField(primary_key=True)
    period = fields.ForeignKeyField(
        "cchc.Period", related_name="snapshots", on_delete=fields.CASCADE
    )
    unit_group = fields.ForeignKeyField(
        "cchc.UnitGroup", related_name="snapshots", on_delete=fields.RESTRICT
    )
    data = fields.JSONField()
    published_at = fields.DatetimeField(auto_now_add=True)
    published_by = fields.CharField(max_length=255, default="")

    class Meta:
        table = "result_snapshot"
        unique_together = (("period", "unit_group"),)
