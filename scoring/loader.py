"""Reading a period's score sheets: the one loader behind the results table, the published
snapshot and the workbooks.

:func:`load_period` reads a period's unit groups (each with its criteria outline and bands)
through the ORM, and one row per score sheet through the named query
:func:`scoring.queries.sheets`. The results table takes each sheet's answers as short text
tokens packed in that row (``answers=True``); the workbooks take every answer with its declared
value, notes, reviews and files instead (``details=True``, :func:`scoring.queries.answers`).
Survey scores always come packed in the sheet's row. Every scoring rule stays in
:mod:`forms.rollup`.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from core import sql
from forms.models import Period, PeriodGroup
from forms.outline import Outline, outline_of
from forms.rollup import Band
from scoring import queries
from scoring.workbooks.model import AnswerRow, to_decimal


def parse_token(token: str) -> tuple[int, str | None, bool, str | None]:
    """(node id, self score text, not applicable, reviewed score text) of one answer token."""
    node, own, na, reviewed = token.split(":")
    return int(node), own or None, na == "n", reviewed or None


@dataclass(slots=True)
class SheetRow:
    """One score sheet of the period as :func:`scoring.queries.sheets` reads it; read-only by
    convention (not frozen: a province builds 3,500 of them per results table, and a frozen
    dataclass's ``__init__`` costs three times as much)."""

    assessment_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    status: str
    group_id: int
    submitted_at: datetime | None
    answers: str | None  # answer tokens (only when loaded with answers=True)
    survey: str | None  # survey tokens

    def survey_scores(self, criteria: Outline) -> dict[str, Decimal]:
        """The survey points by item code."""
        found: dict[str, Decimal] = {}
        for token in self.survey.split(",") if self.survey else ():
            node_id, score, _na, _reviewed = parse_token(token)
            node = criteria.by_id.get(node_id)
            if node is not None and score is not None:
                found[node.code] = Decimal(score)
        return found


@dataclass(frozen=True)
class GroupLink:
    """A unit group of the period: its criteria outline, its bands and its sheets."""

    id: int
    code: str
    name: str
    criteria: Outline
    bands: list[Band]
    sheets: list[SheetRow]


@dataclass(frozen=True)
class LoadedPeriod:
    period: Period
    groups: list[GroupLink]
    # every answer by sheet and item code (only when loaded with details=True)
    answers: dict[int, dict[str, AnswerRow]]

    def sheets(self) -> Iterator[tuple[GroupLink, SheetRow]]:
        for group in self.groups:
            for sheet in group.sheets:
                yield group, sheet


def bands_of(raw: Sequence[Any]) -> list[Band]:
    return [Band(str(b["label"]), Decimal(str(b["min_index"]))) for b in raw]


async def load_period(
    period: Period,
    group_ids: list[int] | None = None,
    *,
    answers: bool = False,
    details: bool = False,
) -> LoadedPeriod:
    """A period's unit groups (in their order) with their sheets: answer tokens with
    ``answers`` (the results table), every answer row with ``details`` (the workbooks)."""
    links = await PeriodGroup.filter(period_id=period.id).select_related(
        "unit_group", "criteria_set"
    )
    links = [lk for lk in links if group_ids is None or lk.unit_group.id in group_ids]
    links.sort(key=lambda lk: (lk.unit_group.sort_order, lk.unit_group.id))
    sheets: dict[int, list[SheetRow]] = {lk.unit_group.id: [] for lk in links}
    if links:
        for row in await queries.sheets(period.id, list(sheets), answers=answers):
            sheets[row["group_id"]].append(
                SheetRow(
                    row["assessment_id"],
                    row["unit_id"],
                    row["unit_code"],
                    row["unit_name"],
                    str(row["status"]),
                    row["group_id"],
                    sql.as_datetime(row["submitted_at"]),
                    row["answers"],
                    row["survey"],
                )
            )
    groups = [
        GroupLink(
            lk.unit_group.id,
            lk.unit_group.code,
            lk.unit_group.name,
            await outline_of(lk.criteria_set),
            bands_of(lk.bands),
            sheets[lk.unit_group.id],
        )
        for lk in links
    ]
    found: dict[int, dict[str, AnswerRow]] = {}
    if details and groups:
        codes = {n.id: n.code for g in groups for n in g.criteria.nodes}
        with _collector_paused():
            found = answer_rows(*await queries.answers(period.id), codes)
    return LoadedPeriod(period, groups, found)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a province's answers are read (restored as it was).

    The read builds about half a million short-lived, acyclic containers at once (the
    driver's rows, their mappings, the 150,000 answers); every 25 % of growth triggers a full
    collection that walks all of them again, which cost the consolidated workbook about 0.4 s
    of CPU at 3,500 units (``bench/export.py``) for nothing to collect. Paused, the survivors
    are examined once afterwards. The collector is process-wide: other requests served while
    the statement runs (a second or so) only have their cycles collected a little later, and
    of two overlapping pauses (two exports at once) the first to end turns it back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def answer_rows(
    rows: list[Mapping[str, Any]], file_rows: list[Mapping[str, Any]], node_codes: dict[int, str]
) -> dict[int, dict[str, AnswerRow]]:
    """Answers with their reviews and live evidence counts (:func:`scoring.queries.answers`),
    by sheet and item code. A province's workbook reads 150,000 of them with few distinct
    scores and notes, so each distinct score text (SQLite returns text) becomes a Decimal
    once, and equal notes and comments share one string."""
    files = {(r["assessment_id"], r["node_id"]): int(r["files"]) for r in file_rows}
    out: dict[int, dict[str, AnswerRow]] = defaultdict(dict)
    texts: dict[str, str] = {"": ""}
    numbers: dict[Any, Decimal | None] = {None: None}

    def number(raw: Any) -> Decimal | None:
        value = to_decimal(raw)
        if isinstance(raw, str):
            numbers[raw] = value
        return value

    code_of, files_of, text = node_codes.get, files.get, texts.setdefault
    for row in rows:
        code = code_of(row["node_id"])
        if code is None:
            continue
        aid = row["assessment_id"]
        own, round1, round2 = row["self_score"], row["round1"], row["round2"]
        note, comment1, comment2 = row["note"] or "", row["comment1"] or "", row["comment2"] or ""
        out[aid][code] = AnswerRow(
            row["declared"],
            numbers[own] if own in numbers else number(own),
            bool(row["not_applicable"]),
            text(note, note),
            numbers[round1] if round1 in numbers else number(round1),
            numbers[round2] if round2 in numbers else number(round2),
            text(comment1, comment1),
            text(comment2, comment2),
            files_of((aid, row["node_id"]), 0),
        )
    return out
