"""Progress of a score sheet: answered/total, score so far, missing evidence, deadline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from core.files import FileStore
from forms.answers import record_answer
from forms.evidence import attach_evidence
from forms.progress import outline, progress
from tests.bot import samples
from tests.forms.conftest import NOW


async def _answer(sheet: dict, code: str, text: str) -> None:
    await record_answer(
        sheet["lan"], sheet["assessment"].id, code, text=text, expected_version=0, now=NOW
    )


async def test_empty_sheet(sheet: dict) -> None:
    p = await progress(sheet["assessment"].id, now=NOW)
    # 9 self-assessed items: 6 in field 1, 1 in field 2, bonus C.1, penalty T.1 (not survey X.1)
    assert (p.answered, p.total) == (0, 9)
    assert p.self_score == 0 and p.missing_evidence == []
    assert p.unanswered[0] == "1.1.1" and "X.1" not in p.unanswered
    assert p.deadline_text == "25/11/2026 10:00"  # 03:00 UTC + 5 days, shown in Hà Nội time
    assert p.days_left == 5 and p.remaining.render("vi") == "còn 5 ngày"
    assert [f.code for f in p.fields] == ["1", "2", "C", "T"]


async def test_scores_are_capped_and_bonus_penalty_applied(sheet: dict, data_dir: Path) -> None:
    await _answer(sheet, "1.1.1", "1")  # 1 (evidence required, none yet)
    await _answer(sheet, "1.1.2", "có")  # 1
    await _answer(sheet, "1.1.3", "95%")  # 2 (evidence required)
    await _answer(sheet, "1.2.1", "9")  # 9 × 0,5 capped at 2
    await _answer(sheet, "C.1", "1")  # bonus 1 (evidence required)
    await _answer(sheet, "T.1", "1")  # penalty 0,5
    await attach_evidence(
        sheet["lan"],
        sheet["assessment"].id,
        "1.1.3",
        data=samples.PDF,
        name="bc.pdf",
        files=FileStore(data_dir),
        max_bytes=10**6,
        now=NOW,
    )
    p = await progress(sheet["assessment"].id, now=NOW)
    assert (p.answered, p.total) == (6, 9)
    assert p.self_score == Decimal("6.5")  # 1 + 1 + 2 + 2 + bonus 1 − penalty 0,5
    assert p.missing_evidence == ["1.1.1", "C.1"]
    field1 = p.fields[0]
    assert (field1.answered, field1.total, field1.score) == (4, 6, Decimal(6))
    assert field1.unanswered == ["1.1.4", "1.1.5"] and field1.missing_evidence == ["1.1.1"]


async def test_not_applicable_needs_no_evidence_and_deadline_counts_days(sheet: dict) -> None:
    await _answer(sheet, "1.1.4", "không áp dụng")
    p = await progress(sheet["assessment"].id, now=NOW + timedelta(days=5, hours=-1))
    assert p.answered == 1 and p.missing_evidence == []
    assert p.days_left == 0 and p.remaining.render("vi") == "hạn chót là hôm nay"
    # an hour past the deadline on the same day: locked, so never "due today" (issue 14 item 5)
    p = await progress(sheet["assessment"].id, now=NOW + timedelta(days=5, hours=1))
    assert p.days_left == 0 and p.remaining.render("vi") == "đã hết hạn"
    late = await progress(sheet["assessment"].id, now=NOW + timedelta(days=8))
    assert late.remaining.render("vi") == "đã quá hạn 3 ngày"
    assert late.remaining.render("en") == "3 day(s) overdue"


async def test_outline_gives_breadcrumbs(sheet: dict) -> None:
    tree = await outline(sheet["assessment"].criteria_set_id)
    assert [g.code for g in tree.breadcrumb("1.2.1")] == ["1", "1.2"]
    assert [c.code for c in tree.criteria_of("1")] == ["1.1", "1.2"]
    assert tree.item("X.1") is None  # survey items are not self-assessed
