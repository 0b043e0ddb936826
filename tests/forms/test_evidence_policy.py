"""Issue 14 item 4: evidence is required where points are claimed, or where the workbook says.

An officer who declares 0 initiatives (bonus) or "no violation" has nothing to prove and must
not be blocked from submitting until a filler file is attached.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from forms.answers import record_answer
from forms.criteria_rows import CriteriaImportError
from forms.criteria_workbook import export_bytes, read_workbook
from forms.evidence_policy import evidence_needed
from forms.rules import parse_rule
from forms.submission import blockers
from tests.factories import ROWS, workbook_bytes
from tests.forms.conftest import NOW

COUNT = parse_rule("count", "each = 1; cap = 2", Decimal(2))
DEDUCT = parse_rule("deduction", "each = 0,5", Decimal(1))


def _needed(rule, score: str | None, *, when: str = "points", na: bool = False) -> bool:
    return evidence_needed(
        required=True,
        when=when,
        rule=rule,
        answered=True,
        not_applicable=na,
        score=None if score is None else Decimal(score),
    )


def test_proof_is_needed_for_what_earns_points() -> None:
    assert not _needed(COUNT, "0")  # 0 initiatives declared
    assert _needed(COUNT, "1")
    assert not _needed(DEDUCT, "1")  # no violation: the full score, nothing to prove
    assert _needed(DEDUCT, "0.5")  # a declared violation needs its proof
    assert not _needed(COUNT, None, na=True)
    assert _needed(COUNT, "0", when="always")
    assert not evidence_needed(
        required=False,
        when="always",
        rule=COUNT,
        answered=True,
        not_applicable=False,
        score=Decimal(2),
    )


async def test_submission_blockers_follow_the_answer(sheet: dict) -> None:
    a = sheet["assessment"].id
    await record_answer(sheet["hung"], a, "C.1", text="0", expected_version=0, now=NOW)
    assert "C.1" not in (await blockers(a)).missing_evidence
    await record_answer(sheet["hung"], a, "C.1", text="2 sáng kiến", expected_version=1, now=NOW)
    assert "C.1" in (await blockers(a)).missing_evidence


def _with_when(value: str) -> list[tuple[str, ...]]:
    rows = []
    for row in ROWS:
        cells = list(row) + [""] * (12 - len(row))
        rows.append((*cells, value if row[0] == "C.1" else ""))
    return rows


def test_the_workbook_column_is_read_checked_and_written_back() -> None:
    draft = read_workbook(workbook_bytes(_with_when("Luôn luôn")))
    by_code = {n.code: n for n in draft.nodes}
    assert by_code["C.1"].evidence_when == "always"
    assert by_code["1.1.1"].evidence_when == "points"  # empty means the default
    again = read_workbook(export_bytes(draft))
    assert {n.code: n.evidence_when for n in again.nodes}["C.1"] == "always"
    with pytest.raises(CriteriaImportError) as refused:
        read_workbook(workbook_bytes(_with_when("đôi khi")))
    text = refused.value.render("vi")
    assert "cột M" in text and "“Có điểm” hoặc “Luôn luôn”" in text and "đôi khi" in text
