"""The unit answers an explanation request: text, proposed score, files, before the due time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.i18n import UserError
from core.models import AuditEvent
from forms.answers import LockedError, NotAllowedError, record_answer
from forms.models import Answer, Evidence, Period
from scoring.explanations import answer_explanation, open_requests
from scoring.models import Explanation, Review
from tests.forms.conftest import NOW


async def _request(sheet: dict, code: str = "1.1.3", due_days: int = 3) -> Review:
    await record_answer(
        sheet["lan"], sheet["assessment"].id, code, text="95%", expected_version=0, now=NOW
    )
    answer = await Answer.get(assessment_id=sheet["assessment"].id, node__code=code)
    return await Review.create(
        answer=answer,
        round_no=1,
        appraised_score=Decimal(1),
        comment="Chưa đủ tài liệu kiểm chứng: thiếu báo cáo quý IV.",
        explanation_requested=True,
        explanation_due_at=NOW + timedelta(days=due_days),
    )


async def test_explanation_with_score_and_files_closes_the_request(sheet: dict) -> None:
    review = await _request(sheet)
    assert [r.id for r in await open_requests(sheet["assessment"].id)] == [review.id]
    answer = await Answer.get(id=review.answer_id)
    pdf = await Evidence.create(
        answer=answer,
        sha256="1" * 64,
        size=5,
        original_name="bc.pdf",
        content_type="application/pdf",
    )
    explanation = await answer_explanation(
        sheet["lan"],
        review.id,
        text="Bổ sung báo cáo quý IV đã ban hành.",
        proposed_score="1,5",
        evidence_ids=[pdf.id],
        now=NOW,
    )
    assert explanation.proposed_score == Decimal("1.5")
    assert [f.id for f in await explanation.files.all()] == [pdf.id]
    assert await open_requests(sheet["assessment"].id) == []
    again = await answer_explanation(
        sheet["hung"], review.id, text="Bản sửa lại.", proposed_score=None, now=NOW
    )
    assert again.id == explanation.id and again.proposed_score is None
    assert await Explanation.all().count() == 1
    assert await AuditEvent.filter(action="explanation.submit").count() == 2


@pytest.mark.parametrize(
    ("score", "fragment"),
    [("abc", "không phải là một số"), ("3", "từ 0 đến 2"), ("-1", "từ 0 đến 2")],
)
async def test_bad_proposed_scores_are_refused(sheet: dict, score: str, fragment: str) -> None:
    review = await _request(sheet)
    with pytest.raises(UserError) as info:
        await answer_explanation(
            sheet["lan"], review.id, text="Giải trình", proposed_score=score, now=NOW
        )
    assert fragment in info.value.render("vi")
    assert await Explanation.all().count() == 0


async def test_late_foreign_or_published_explanations_are_refused(sheet: dict) -> None:
    review = await _request(sheet, due_days=1)
    with pytest.raises(LockedError) as info:
        await answer_explanation(sheet["lan"], review.id, text="Muộn", now=NOW + timedelta(days=2))
    assert "hết thời hạn giải trình" in info.value.render("vi")
    with pytest.raises(NotAllowedError):
        await answer_explanation(sheet["other"], review.id, text="Không phải đơn vị mình", now=NOW)
    other_file = await Evidence.create(
        answer=await Answer.get(id=review.answer_id),
        sha256="2" * 64,
        size=1,
        original_name="x.pdf",
        content_type="application/pdf",
        removed_at=NOW,
    )
    with pytest.raises(NotAllowedError):
        await answer_explanation(
            sheet["lan"], review.id, text="Tệp đã xoá", evidence_ids=[other_file.id], now=NOW
        )
    await Period.all().update(published_at=NOW)
    with pytest.raises(LockedError):
        await answer_explanation(sheet["lan"], review.id, text="Sau công bố", now=NOW)
    assert await Explanation.all().count() == 0
