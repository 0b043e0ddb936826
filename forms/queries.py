"""The forms package's named read queries: hand-written SQL the ORM cannot express well,
run through ``core.sql`` (the rule is in docs/data-access.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from core import sql
from forms.models import AssessmentStatus

# Every stored answer of a sheet with its item code, its live file count and the name of the
# officer who last changed it (the per-answer file count is a correlated count the ORM would
# fetch separately).
_ANSWER_COLUMNS = (
    "n.code, x.id AS answer_id, x.assessment_id, x.version, x.declared, x.self_score, "
    "x.not_applicable, x.note, x.updated_at, x.updated_by_officer_id, x.updated_by_user_id, "
    "x.channel, o.full_name, "
    "(SELECT COUNT(*) FROM evidence e WHERE e.answer_id = x.id AND e.removed_at IS NULL) AS files"
)
_ANSWER_NAMES = (
    " LEFT JOIN criteria_node n ON n.id = x.node_id"
    " LEFT JOIN officer o ON o.id = x.updated_by_officer_id"
)
SHEET_ANSWERS = (
    "SELECT " + _ANSWER_COLUMNS + " FROM answer x" + _ANSWER_NAMES + " WHERE x.assessment_id = ?"
)


async def sheet_answers(assessment_id: int) -> dict[str, StoredAnswer]:
    """Every stored answer of a sheet by item code, in one statement (the web form and the
    bot's cards read this whenever they show a sheet)."""
    return _answers(await sql.rows(SHEET_ANSWERS, [assessment_id]))


_HEAD_COLUMNS = (
    "SELECT a.id, a.unit_id, a.criteria_set_id, a.status, a.submitted_at, a.self_locked_at, "
    "a.deadline_extended_to, s.frozen_at AS set_frozen_at, "
    "p.id AS period_id, p.name AS period_name, p.published_at, p.self_assessment_opens_at, "
    "p.self_assessment_closes_at, p.require_leader_approval, u.name AS unit_name"
)
_HEAD_JOINS = (
    " FROM assessment a JOIN period p ON p.id = a.period_id JOIN unit u ON u.id = a.unit_id "
    "JOIN criteria_set s ON s.id = a.criteria_set_id"
)
SHEET_HEAD = _HEAD_COLUMNS + _HEAD_JOINS + " WHERE a.id = ?"
SHEET_WITH_ANSWERS = (
    _HEAD_COLUMNS
    + ", "
    + _ANSWER_COLUMNS
    + _HEAD_JOINS
    + " LEFT JOIN answer x ON x.assessment_id = a.id"
    + _ANSWER_NAMES
    + " WHERE a.id = ?"
)


@dataclass(frozen=True)
class PeriodHead:
    """What checking and showing an answer needs of the sheet's period (names as on
    :class:`forms.models.Period`, so the same checks take either)."""

    id: int
    name: str
    published_at: datetime | None
    self_assessment_opens_at: datetime
    self_assessment_closes_at: datetime
    require_leader_approval: bool


@dataclass(frozen=True)
class UnitHead:
    id: int
    name: str


@dataclass(frozen=True)
class SheetHead:
    """A score sheet with its period and unit as plain values, as of one statement: the bot
    reads it on every answer, where three ORM joins cost ten times the statement itself."""

    id: int
    unit_id: int
    criteria_set_id: int
    set_frozen_at: datetime | None  # the outline of a frozen set is cached under this
    status: AssessmentStatus
    submitted_at: datetime | None
    self_locked_at: datetime | None
    deadline_extended_to: datetime | None
    period: PeriodHead
    unit: UnitHead


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as stored (names as on :class:`forms.models.Answer`; the defaults are those
    of a row created before anyone answered), with what showing it needs: its live file
    count and the name of the officer who last changed it."""

    id: int
    assessment_id: int
    version: int = 0
    declared: Any = None
    self_score: Decimal | None = None
    not_applicable: bool = False
    note: str = ""
    updated_by_officer_id: int | None = None
    updated_by_user_id: int | None = None
    channel: str = ""  # where it was last changed (bot, web, api)
    updated_at: datetime | None = None
    files: int = 0
    updated_by: str = ""  # the officer's name; empty when a back-office user or nobody

    @property
    def answered(self) -> bool:
        return self.declared is not None or self.not_applicable


async def sheet_head(assessment_id: int) -> SheetHead | None:
    row = await sql.first(SHEET_HEAD, [assessment_id])
    return None if row is None else _head(row)


async def sheet_with_answers(
    assessment_id: int,
) -> tuple[SheetHead | None, dict[str, StoredAnswer]]:
    """The sheet with its period and unit and every stored answer by item code, in one
    statement: recording an answer reads them before it checks and writes, and the bot shows
    the sheet from them after the write without reading it again."""
    found = await sql.rows(SHEET_WITH_ANSWERS, [assessment_id])
    if not found:
        return None, {}
    return _head(found[0]), _answers(found)


def _answers(found: list[Mapping[str, Any]]) -> dict[str, StoredAnswer]:
    return {
        row["code"]: StoredAnswer(
            id=row["answer_id"],
            assessment_id=row["assessment_id"],
            version=row["version"],
            declared=sql.as_json(row["declared"]),
            self_score=sql.as_decimal(row["self_score"]),
            not_applicable=bool(row["not_applicable"]),
            note=row["note"] or "",
            updated_by_officer_id=row["updated_by_officer_id"],
            updated_by_user_id=row["updated_by_user_id"],
            channel=row["channel"] or "",
            updated_at=sql.as_datetime(row["updated_at"]),
            files=int(row["files"] or 0),
            updated_by=row["full_name"] or "",
        )
        for row in found
        if row["answer_id"] is not None
    }


def _head(row: Mapping[str, Any]) -> SheetHead:
    when = sql.as_datetime
    return SheetHead(
        id=row["id"],
        unit_id=row["unit_id"],
        criteria_set_id=row["criteria_set_id"],
        set_frozen_at=when(row["set_frozen_at"]),
        status=AssessmentStatus(row["status"]),
        submitted_at=when(row["submitted_at"]),
        self_locked_at=when(row["self_locked_at"]),
        deadline_extended_to=when(row["deadline_extended_to"]),
        period=PeriodHead(
            id=row["period_id"],
            name=row["period_name"],
            published_at=when(row["published_at"]),
            self_assessment_opens_at=when(row["self_assessment_opens_at"]),  # type: ignore[arg-type]
            self_assessment_closes_at=when(row["self_assessment_closes_at"]),  # type: ignore[arg-type]
            require_leader_approval=bool(row["require_leader_approval"]),
        ),
        unit=UnitHead(id=row["unit_id"], name=row["unit_name"]),
    )
