"""Reading a period's score sheets: the one loader behind the results table, the published
snapshot and the workbooks, with its named read queries (portable SQLite/PostgreSQL).

:func:`load_period` reads a period's unit groups (each with its criteria outline and bands)
and one row per score sheet (:data:`SHEETS`). The results table takes each sheet's answers as
short text tokens packed in that row (``answers=True``): a province is 3,500 sheets × 45 items,
and building 150,000 driver rows (let alone ORM objects) cost more than the whole statement and
the roll-ups together (``bench/aggregate.py``). The workbooks take every answer with its
declared value, notes, reviews and files instead (``details=True``, :data:`ANSWERS` and
:data:`FILES`). Survey scores always come packed in the sheet's row.

**What SQL does.** It only selects data: which answers belong to the period, and which score is
the reviewed one (round 2, else round 1). Every scoring rule stays in :mod:`forms.rollup`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise import connections

from forms.models import Period, PeriodGroup
from forms.outline import Outline, outline_of
from forms.rollup import Band
from scoring.workbooks.model import AnswerRow, to_decimal

# Every answer of a sheet travels as one token "node id:self score:n when not applicable:reviewed
# score", the sheet's tokens joined by ",". Score texts are exact decimals, which contain neither
# separator. The reviewed score (round 2, else round 1) is left out when it equals the self score
# of an applicable answer, which then applies anyway, so most tokens repeat and are decoded
# once. (On a not-applicable answer any reviewed score is kept: it makes the item applicable.)
_TOKEN = (
    "CAST(an.node_id AS TEXT) || ':' || COALESCE(CAST(an.self_score AS TEXT), '') || CASE "
    "WHEN an.not_applicable THEN ':n:' || COALESCE(CAST(COALESCE(r2.appraised_score, "
    "r1.appraised_score) AS TEXT), '') ELSE '::' || COALESCE(CAST(NULLIF(COALESCE("
    "r2.appraised_score, r1.appraised_score), an.self_score) AS TEXT), '') END"
)
_REVIEWS = (
    "LEFT JOIN review r1 ON r1.answer_id = an.id AND r1.round_no = 1 "
    "LEFT JOIN review r2 ON r2.answer_id = an.id AND r2.round_no = 2 "
)
# Every answer with its reviews (the workbooks); callers add the WHERE.
ANSWERS = (
    "SELECT an.assessment_id, an.node_id, an.declared, an.self_score, an.not_applicable, "
    "an.note, r1.appraised_score, r2.appraised_score, r1.comment, r2.comment "
    f"FROM answer an JOIN assessment a ON a.id = an.assessment_id {_REVIEWS}"
)
# Live evidence files per answer; callers add the WHERE before the GROUP BY.
FILES = (
    "SELECT an.assessment_id, an.node_id, COUNT(*) "
    "FROM evidence e JOIN answer an ON an.id = e.answer_id "
    "JOIN assessment a ON a.id = an.assessment_id "
)


def marks(dialect: str, n: int) -> list[str]:
    """Parameter placeholders of the connection's dialect."""
    return [f"${i}" for i in range(1, n + 1)] if dialect == "postgres" else ["?"] * n


def sheets_sql(dialect: str, groups: int, *, answers: bool) -> tuple[str, int]:
    """SHEETS: one row per sheet of a period in the given unit groups, in the groups' unit
    order (:class:`SheetRow`'s fields). Returns the statement and how many times it takes the
    period id before the group ids (SQLite's "?" are positional).

    Survey scores come as tokens of the sheet's criteria nodes (matched by code) with no
    reviewed score. The answer tokens (``answers``) differ per database only in how each
    reaches grouped rows cheaply: SQLite walks the sheets in id order and each sheet's answers
    through the (assessment, node) index, so they arrive grouped; PostgreSQL hash-joins and
    would spill a hash aggregate of 150,000 strings to disk, so the tokens are sorted by sheet
    first and grouped as they stream.
    """
    postgres = dialect == "postgres"
    p = marks(dialect, 1 + groups)
    period, group_in = p[0], ", ".join(p[1:])
    joined = "string_agg" if postgres else "group_concat"
    tokens = ""
    if not answers:
        pass
    elif postgres:
        tokens = (
            f"SELECT aid, string_agg(token, ',') AS tokens FROM (SELECT an.assessment_id AS "
            f"aid, {_TOKEN} AS token FROM answer an JOIN assessment a ON a.id = an.assessment_id "
            f"{_REVIEWS}WHERE a.period_id = {period} ORDER BY an.assessment_id) t GROUP BY aid"
        )
    else:
        tokens = (
            f"SELECT a.id AS aid, group_concat({_TOKEN}, ',') AS tokens FROM assessment a "
            f"JOIN answer an ON an.assessment_id = a.id {_REVIEWS}"
            f"WHERE a.period_id = {period} GROUP BY a.id"
        )
    survey = (
        f"SELECT sa.id AS aid, {joined}(CAST(n.id AS TEXT) || ':' || "
        "COALESCE(CAST(ss.score AS TEXT), '') || '::', ',') AS tokens "
        "FROM survey_score ss JOIN assessment sa "
        "ON sa.unit_id = ss.unit_id AND sa.period_id = ss.period_id "
        "JOIN criteria_node n ON n.criteria_set_id = sa.criteria_set_id AND n.code = ss.node_code "
        f"WHERE ss.period_id = {period} GROUP BY sa.id"
    )
    sql = (
        "SELECT a.id, a.unit_id, u.code, u.name, a.status, u.group_id, a.submitted_at, "
        f"{'ans.tokens' if tokens else 'NULL'}, sv.tokens "
        "FROM assessment a JOIN unit u ON u.id = a.unit_id "
        f"{f'LEFT JOIN ({tokens}) ans ON ans.aid = a.id ' if tokens else ''}"
        f"LEFT JOIN ({survey}) sv ON sv.aid = a.id "
        f"WHERE a.period_id = {period} AND u.group_id IN ({group_in}) "
        "ORDER BY u.sort_order, u.id"
    )
    return sql, 1 if postgres else 3 if answers else 2


def parse_token(token: str) -> tuple[int, str | None, bool, str | None]:
    """(node id, self score text, not applicable, reviewed score text) of one answer token."""
    node, own, na, reviewed = token.split(":")
    return int(node), own or None, na == "n", reviewed or None


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One score sheet of the period as :func:`sheets_sql` reads it."""

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
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    if links:
        sql, repeats = sheets_sql(dialect, len(sheets), answers=answers)
        _, rows = await conn.execute_query(sql, [*[period.id] * repeats, *sheets])
        for row in rows:
            aid, unit_id, code, name, status, gid, sent, tokens, survey = tuple(row)
            if isinstance(sent, str):  # SQLite via raw SQL
                sent = datetime.fromisoformat(sent)
            sheets[gid].append(
                SheetRow(aid, unit_id, code, name, str(status), gid, sent, tokens, survey)
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
        found = await answer_rows(f"a.period_id = {marks(dialect, 1)[0]}", [period.id], codes)
    return LoadedPeriod(period, groups, found)


async def answer_rows(
    where: str, params: list[Any], node_codes: dict[int, str]
) -> dict[int, dict[str, AnswerRow]]:
    """ANSWERS and FILES: answers with their reviews and live evidence counts, by sheet and
    item code."""
    conn = connections.get("default")
    _, file_rows = await conn.execute_query(
        FILES + f"WHERE {where} AND e.removed_at IS NULL GROUP BY an.assessment_id, an.node_id",
        params,
    )
    files = {(r[0], r[1]): int(r[2]) for r in (tuple(x) for x in file_rows)}
    _, rows = await conn.execute_query(ANSWERS + f"WHERE {where}", params)
    out: dict[int, dict[str, AnswerRow]] = defaultdict(dict)
    notes: dict[str, str] = {"": ""}  # share the (mostly empty) strings
    for row in rows:
        aid, node_id, declared, self_raw, na, note, r1, r2, c1, c2 = tuple(row)
        code = node_codes.get(node_id)
        if code is None:
            continue
        out[aid][code] = AnswerRow(
            declared,
            to_decimal(self_raw),
            bool(na),
            notes.setdefault(note or "", note or ""),
            to_decimal(r1),
            to_decimal(r2),
            notes.setdefault(c1 or "", c1 or ""),
            notes.setdefault(c2 or "", c2 or ""),
            files.get((aid, node_id), 0),
        )
    return out
