"""Rows read by the hand-written SQL of the hot path (``core.sql``) become the same model
instances an ORM query returns: same values and types (dates, decimals, JSON, enums, nulls),
and they save like ORM-loaded ones."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tortoise import Model

from core import sql
from core.models import Officer, Unit
from forms.answers import record_answer
from forms.models import Answer, Assessment, CriteriaNode, Period
from tests.forms.conftest import NOW


def _values(obj: Model) -> dict[str, Any]:
    meta = obj._meta
    return {name: getattr(obj, name) for name in meta.fields_db_projection}


def _same(orm: Model, raw: Model) -> None:
    assert type(raw) is type(orm)
    orm_values, raw_values = _values(orm), _values(raw)
    assert raw_values == orm_values
    for name, value in orm_values.items():
        assert type(raw_values[name]) is type(value), name
    for flag in ("_partial", "_saved_in_db", "_custom_generated_pk"):
        assert getattr(raw, flag) == getattr(orm, flag), flag


async def test_instances_match_the_orm(sheet: dict[str, Any]) -> None:
    assessment: Assessment = sheet["assessment"]
    await record_answer(
        sheet["lan"],
        assessment.id,
        "1.1.1",
        declared={"option": "1"},
        note="ghi chú",
        expected_version=0,
        now=NOW,
    )
    await Assessment.filter(id=assessment.id).update(
        deadline_extended_to=NOW + timedelta(days=9), last_activity_at=NOW
    )
    cases: list[tuple[type[Model], int]] = [
        (Assessment, assessment.id),
        (Period, assessment.period_id),  # type: ignore[attr-defined]
        (Unit, assessment.unit_id),  # type: ignore[attr-defined]
        (Officer, sheet["lan"].id),
        (Answer, (await Answer.get(assessment_id=assessment.id)).id),
        (CriteriaNode, (await CriteriaNode.filter(code="1.1.1").first()).id),  # type: ignore[union-attr]
    ]
    for model, id_ in cases:
        orm = await model.get(id=id_)
        raw = await sql.get(model, "id = ?", [id_])
        assert raw is not None
        _same(orm, raw)


async def test_an_instance_read_by_hand_saves_like_an_orm_one(sheet: dict[str, Any]) -> None:
    assessment: Assessment = sheet["assessment"]
    answer = await record_answer(
        sheet["lan"], assessment.id, "1.1.1", declared={"option": "1"}, expected_version=0, now=NOW
    )
    raw = await sql.get(Answer, "id = ?", [answer.id])
    assert raw is not None and raw.self_score is not None
    raw.note = "sửa tay"
    await raw.save(update_fields=["note"])
    stored = await Answer.get(id=answer.id)
    assert stored.note == "sửa tay"
    assert stored.self_score == raw.self_score
    assert isinstance(stored.self_score, Decimal)


async def test_joined_rows_split_per_model_and_outer_joins_give_none(
    sheet: dict[str, Any],
) -> None:
    assessment: Assessment = sheet["assessment"]
    found = await sql.joined(
        {"a": Assessment, "p": Period, "x": Answer},
        "assessment a JOIN period p ON p.id = a.period_id "
        "LEFT JOIN answer x ON x.assessment_id = a.id WHERE a.id = ?",
        [assessment.id],
        extra="p.code AS period_code",
    )
    assert found is not None
    parts, row = found
    assert parts["x"] is None  # nothing answered yet
    _same(await Assessment.get(id=assessment.id), parts["a"])
    _same(await Period.get(id=assessment.period_id), parts["p"])  # type: ignore[attr-defined]
    assert row["period_code"] == "P2026"
