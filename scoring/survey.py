"""Survey scores (điểm điều tra xã hội học) per unit and survey item of a period.

They are never self-assessed: the secretariat imports them from the survey results with the
workbook of :mod:`scoring.survey_workbook`. An import is all or nothing; each unit whose scores
change gets one audit event with the old and new values. Nothing changes after publication.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import BinaryIO

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import require_admin, require_role
from core.i18n import N_, Msg, UserError
from core.models import Unit, given
from core.numbers import NumberError, parse_decimal
from core.sheets import Problem
from forms.answers import LockedError
from forms.models import Assessment, NodeLevel, Period, Section
from forms.outline import outline
from forms.periods import get_period
from scoring.models import SurveyScore
from scoring.survey_workbook import (
    SurveyImportError,
    SurveyItem,
    SurveyUnit,
    check_rows,
    read_rows,
    rows_as_text,
    template_bytes,
)


@dataclass(frozen=True)
class SurveyImportSummary:
    created: int
    updated: int
    unchanged: int
    units: int


@dataclass(frozen=True)
class PreviewCell:
    """One score of a previewed row: what is stored now and what the file says (None: the
    cell is empty, the stored score stays)."""

    code: str
    stored: Decimal | None
    given: str

    @property
    def changes(self) -> bool:
        if not self.given:
            return False
        try:
            return self.stored is None or parse_decimal(self.given) != self.stored
        except NumberError:
            return True


@dataclass(frozen=True)
class PreviewRow:
    """A data row of the uploaded sheet as the secretariat checks it before importing."""

    row: int
    unit_code: str
    unit_name: str
    cells: list[PreviewCell]
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class SurveyPreview:
    """Every row of the file and every problem; ``rows_text`` is what a confirmation posts
    back to :func:`import_rows`, which checks it all again."""

    items: list[SurveyItem]
    rows: list[PreviewRow]
    problems: list[Problem]
    rows_text: list[tuple[int, tuple[str, ...]]]

    @property
    def importable(self) -> bool:
        return not self.problems and any(c.given for r in self.rows for c in r.cells)


async def _open_period(period_id: int) -> Period:
    """The period whose survey scores may still change (not published)."""
    period = await get_period(period_id)
    if period.published_at is not None:
        raise LockedError(Msg(N_("The results are published; nothing can be changed.")))
    return period


async def _layout(period: Period) -> tuple[list[SurveyItem], list[SurveyUnit]]:
    """The period's survey columns (in questionnaire order) and its units with their scores."""
    sheets = await Assessment.filter(period_id=period.id).values("unit_id", "criteria_set_id")
    items: dict[str, SurveyItem] = {}
    per_set: dict[int, dict[str, Decimal]] = {}
    for set_id in sorted({s["criteria_set_id"] for s in sheets}):
        for n in (await outline(set_id)).nodes:
            if n.level != NodeLevel.item or n.section != Section.survey:
                continue
            per_set.setdefault(set_id, {})[n.code] = n.max_score
            old = items.get(n.code)
            # The same code in two sets is one column; each unit is checked against its own set.
            if old is None or n.max_score > old.max_score:
                items[n.code] = SurveyItem(n.code, n.title, n.max_score)
    stored: dict[int, dict[str, Decimal]] = {}
    for s in await SurveyScore.filter(period_id=period.id):
        stored.setdefault(s.unit_id, {})[s.node_code] = Decimal(s.score)  # type: ignore[attr-defined]
    set_of_unit = {s["unit_id"]: s["criteria_set_id"] for s in sheets}
    units = await Unit.filter(id__in=list(set_of_unit)).order_by("sort_order", "id")
    return list(items.values()), [
        SurveyUnit(u.id, u.code, u.name, per_set.get(set_of_unit[u.id], {}), stored.get(u.id, {}))
        for u in units
    ]


async def template(actor: Actor, period_id: int) -> bytes:
    """The workbook to fill in for a period (administrators)."""
    await require_admin(actor)
    items, units = await _layout(await get_period(period_id))
    return template_bytes(items, units)


async def list_scores(
    actor: Actor, period_id: int, *, unit_id: int | None = None
) -> list[SurveyScore]:
    await require_role(actor)
    await get_period(period_id)
    query = SurveyScore.filter(period_id=period_id, **given(unit_id=unit_id))
    return await query.order_by("unit_id", "node_code")


async def preview_scores(actor: Actor, period_id: int, source: bytes | BinaryIO) -> SurveyPreview:
    """What an import of this workbook would do, row by row, with every problem; nothing is
    stored. File-level problems (not a workbook, no sheet) still raise, as the import does."""
    await require_admin(actor)
    period = await _open_period(period_id)
    items, units = await _layout(period)
    rows = rows_as_text(read_rows(source))
    problems: list[Problem] = []
    try:
        check_rows(rows, {i.code: i for i in items}, {u.code: u for u in units})
    except SurveyImportError as exc:
        problems = exc.problems
    by_code = {u.code: u for u in units}
    header = rows[0][1] if rows else ()
    codes = list(header[2:])
    out: list[PreviewRow] = []
    for number, cells in rows[1:]:
        unit = by_code.get(cells[0] if cells else "")
        out.append(
            PreviewRow(
                number,
                cells[0] if cells else "",
                unit.name if unit else (cells[1] if len(cells) > 1 else ""),
                [
                    PreviewCell(
                        code,
                        unit.scores.get(code) if unit else None,
                        cells[k + 2] if k + 2 < len(cells) else "",
                    )
                    for k, code in enumerate(codes)
                ],
                [p for p in problems if p.row == number],
            )
        )
    shown = {i.code: i for i in items}
    columns = [shown.get(code) or SurveyItem(code, "", Decimal(0)) for code in codes]
    return SurveyPreview(columns, out, problems, rows)


async def import_scores(
    actor: Actor,
    period_id: int,
    source: bytes | BinaryIO,
    *,
    now: datetime,
    source_name: str = "",
) -> SurveyImportSummary:
    """Check the whole workbook and store its scores, or store nothing and list every problem."""
    await require_admin(actor)
    await get_period(period_id)
    return await import_rows(actor, period_id, read_rows(source), now=now, source_name=source_name)


async def import_rows(
    actor: Actor,
    period_id: int,
    rows: Iterable[tuple[int, tuple[object, ...]]],
    *,
    now: datetime,
    source_name: str = "",
) -> SurveyImportSummary:
    """Check rows read from a workbook (or confirmed from a preview) and store their scores,
    or store nothing and list every problem: the state may have changed since the preview."""
    await require_admin(actor)
    period = await _open_period(period_id)
    items, units = await _layout(period)
    values = check_rows(rows, {i.code: i for i in items}, {u.code: u for u in units})
    if not values:
        raise UserError(Msg(N_("The workbook has no score to import.")))
    existing = {
        (s.unit_id, s.node_code): s  # type: ignore[attr-defined]
        for s in await SurveyScore.filter(period_id=period.id)
    }
    created: list[SurveyScore] = []
    updated: list[SurveyScore] = []
    unchanged = 0
    changes: dict[int, tuple[dict[str, Decimal | None], dict[str, Decimal]]] = {}
    source_name = (source_name or "")[:255]
    for v in values:
        row = existing.get((v.unit_id, v.node_code))
        if row is not None and Decimal(row.score) == v.score:
            unchanged += 1
            continue
        old, new = changes.setdefault(v.unit_id, ({}, {}))
        old[v.node_code] = Decimal(row.score) if row is not None else None
        new[v.node_code] = v.score
        if row is None:
            created.append(
                SurveyScore(
                    period_id=period.id,
                    unit_id=v.unit_id,
                    node_code=v.node_code,
                    score=v.score,
                    source=source_name,
                )
            )
        else:
            row.score = v.score
            row.source = source_name
            row.imported_at = now
            updated.append(row)
    async with in_transaction():
        if created:
            await SurveyScore.bulk_create(created, batch_size=1000)
        if updated:
            await SurveyScore.bulk_update(
                updated, fields=["score", "source", "imported_at"], batch_size=1000
            )
        for unit_id, (old, new) in changes.items():
            await record(
                actor,
                "survey.import",
                "survey_score",
                f"{period.id}:{unit_id}",
                unit_id=unit_id,
                old=old,
                new=new,
                reason=source_name,
            )
    return SurveyImportSummary(len(created), len(updated), unchanged, len(changes))
