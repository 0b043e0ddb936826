"""The forms package's named read queries: hand-written SQL the ORM cannot express well,
run through ``core.sql`` (the rule is in docs/data-access.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import sql

SHEET_ANSWERS = (
    "SELECT n.code, a.version, a.declared, a.self_score, a.not_applicable, a.note, "
    "a.updated_at, o.full_name, "
    "(SELECT COUNT(*) FROM evidence e WHERE e.answer_id = a.id AND e.removed_at IS NULL) "
    "AS files "
    "FROM answer a JOIN criteria_node n ON n.id = a.node_id "
    "LEFT JOIN officer o ON o.id = a.updated_by_officer_id "
    "WHERE a.assessment_id = ?"
)


async def sheet_answers(assessment_id: int) -> list[Mapping[str, Any]]:
    """Every stored answer of a sheet with its item code, its live file count and the name of
    the officer who last changed it, in one statement: the bot reads this after every answer,
    and the per-answer file count is a correlated count the ORM would fetch separately."""
    return await sql.rows(SHEET_ANSWERS, [assessment_id])
