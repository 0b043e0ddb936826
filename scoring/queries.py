"""The scoring package's named read queries: hand-written SQL the ORM cannot express well, run
through ``core.sql`` with ``?`` placeholders (the rule is in docs/data-access.md).

They only select data: which answers belong to a period or a sheet, and which score is the
reviewed one (round 2, else round 1). Every scoring rule stays in :mod:`forms.rollup`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise import connections

from core import sql

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
# The answer tokens per sheet of a period. SQLite walks the sheets in id order and each sheet's
# answers through the (assessment, node) index, so they arrive grouped; PostgreSQL hash-joins
# and would spill a hash aggregate of 150,000 strings to disk, so there the tokens are sorted
# by sheet first and grouped as they stream.
_TOKENS_SQLITE = (
    f"SELECT a.id AS aid, group_concat({_TOKEN}, ',') AS tokens FROM assessment a "
    f"JOIN answer an ON an.assessment_id = a.id {_REVIEWS}WHERE a.period_id = ? GROUP BY a.id"
)
_TOKENS_POSTGRES = (
    f"SELECT aid, string_agg(token, ',') AS tokens FROM (SELECT an.assessment_id AS aid, "
    f"{_TOKEN} AS token FROM answer an JOIN assessment a ON a.id = an.assessment_id "
    f"{_REVIEWS}WHERE a.period_id = ? ORDER BY an.assessment_id) t GROUP BY aid"
)
# Survey scores per sheet of a period, as tokens of the sheet's criteria nodes (matched by code)
# with no reviewed score; {agg} is the dialect's string aggregate.
_SURVEY = (
    "SELECT sa.id AS aid, {agg}(CAST(n.id AS TEXT) || ':' || "
    "COALESCE(CAST(ss.score AS TEXT), '') || '::', ',') AS tokens "
    "FROM survey_score ss JOIN assessment sa "
    "ON sa.unit_id = ss.unit_id AND sa.period_id = ss.period_id "
    "JOIN criteria_node n ON n.criteria_set_id = sa.criteria_set_id AND n.code = ss.node_code "
    "WHERE ss.period_id = ? GROUP BY sa.id"
)
# SHEETS: one row per sheet of a period in the given unit groups ({groups}: one "?" each), in
# the groups' unit order; {answers} is the answer-token subquery or nothing.
SHEETS = (
    "SELECT a.id AS assessment_id, a.unit_id, u.code AS unit_code, u.name AS unit_name, "
    "a.status, u.group_id, a.submitted_at, "
    "{answer_tokens} AS answers, sv.tokens AS survey "
    "FROM assessment a JOIN unit u ON u.id = a.unit_id "
    "{answers}LEFT JOIN ({survey}) sv ON sv.aid = a.id "
    "WHERE a.period_id = ? AND u.group_id IN ({groups}) "
    "ORDER BY u.sort_order, u.id"
)
# Every answer with its reviews (the workbooks), of a period or of one sheet.
_ANSWERS = (
    "SELECT an.assessment_id, an.node_id, an.declared, an.self_score, an.not_applicable, "
    "an.note, r1.appraised_score AS round1, r2.appraised_score AS round2, "
    "r1.comment AS comment1, r2.comment AS comment2 "
    f"FROM answer an JOIN assessment a ON a.id = an.assessment_id {_REVIEWS}"
)
PERIOD_ANSWERS = _ANSWERS + "WHERE a.period_id = ?"
SHEET_ANSWERS = _ANSWERS + "WHERE a.id = ?"
# Live evidence files per answer, of a period or of one sheet.
_FILES = (
    "SELECT an.assessment_id, an.node_id, COUNT(*) AS files "
    "FROM evidence e JOIN answer an ON an.id = e.answer_id "
    "JOIN assessment a ON a.id = an.assessment_id WHERE {where} AND e.removed_at IS NULL "
    "GROUP BY an.assessment_id, an.node_id"
)
PERIOD_FILES = _FILES.format(where="a.period_id = ?")
SHEET_FILES = _FILES.format(where="a.id = ?")


def _postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


async def sheets(period_id: int, group_ids: list[int], *, answers: bool) -> list[Mapping[str, Any]]:
    """SHEETS: a period's sheets in these unit groups, each with its survey tokens and, with
    ``answers``, its answer tokens, in one statement. Not the ORM: a province is 3,500 sheets
    × 45 items, and building 150,000 rows (let alone model instances) cost more than the whole
    statement and the roll-ups together (``bench/aggregate.py``); string aggregates keep it to
    one row per sheet."""
    postgres = _postgres()
    tokens = (_TOKENS_POSTGRES if postgres else _TOKENS_SQLITE) if answers else ""
    statement = SHEETS.format(
        answer_tokens="ans.tokens" if answers else "NULL",
        answers=f"LEFT JOIN ({tokens}) ans ON ans.aid = a.id " if answers else "",
        survey=_SURVEY.format(agg="string_agg" if postgres else "group_concat"),
        groups=", ".join("?" * len(group_ids)),
    )
    periods = [period_id] * (3 if answers else 2)
    return await sql.rows(statement, [*periods, *group_ids])


async def answers(
    period_id: int | None = None, *, sheet_id: int | None = None
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """PERIOD_ANSWERS and PERIOD_FILES (or SHEET_ANSWERS and SHEET_FILES with ``sheet_id``):
    every answer with both review rounds, and the live file count per answer. Not the ORM:
    the reviews of both rounds side by side per answer, for 150,000 answers of a province's
    workbook, without building model instances."""
    if sheet_id is not None:
        return await sql.rows(SHEET_ANSWERS, [sheet_id]), await sql.rows(SHEET_FILES, [sheet_id])
    return (
        await sql.rows(PERIOD_ANSWERS, [period_id]),
        await sql.rows(PERIOD_FILES, [period_id]),
    )
