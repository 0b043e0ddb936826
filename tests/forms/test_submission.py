"""Submitting: blockers are named, submission locks the sheet, leader approval is honoured."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import AuditEvent, Channel
from forms.answers import LockedError, NotAllowedError, record_answer
from forms.models import Answer, Assessment, AssessmentStatus, Evidence, Period
from forms.submission import SubmissionBlockedError, blockers, submit
from tests.forms.conftest import NOW

ANSWERS = {
    "1.1.1": "1",
    "1.1.2": "có",
    "1.1.3": "95%",
    "1.1.4": "không áp dụng",
    "1.1.5": "0,25",
    "1.2.1": "3",
    "2.1.1": "không vi phạm",
    "C.1": "1",
    "T.1": "0",
}

REQUIRED_EVIDENCE = ("1.1.1", "1.1.3", "C.1")


async def _answer_all(sheet: dict, skip: tuple[str, ...] = ()) -> None:
    for code, text in ANSWERS.items():
        if code not in skip:
            await record_answer(
                sheet["lan"], sheet["assessment"].id, code, text=text, expected_version=0, now=NOW
            )


async def _attach(sheet: dict, code: str) -> None:
    answer = await Answer.get(assessment_id=sheet["assessment"].id, node__code=code)
    await Evidence.create(
        answer=answer,
        sha256="0" * 64,
        size=10,
        original_name="kh.pdf",
        content_type="application/pdf",
        channel="bot",
    )


async def test_blockers_name_unanswered_items_and_missing_evidence(sheet: dict) -> None:
    await _answer_all(sheet, skip=("1.1.2", "C.1"))
    found = await blockers(sheet["assessment"].id)
    assert found.unanswered == ["1.1.2", "C.1"]
    assert found.missing_evidence == ["1.1.1", "1.1.3"]  # evidence required, none attached
    with pytest.raises(SubmissionBlockedError) as info:
        await submit(sheet["lan"], sheet["assessment"].id, now=NOW)
    assert "2" in info.value.render("vi")
    assert (await Assessment.get(id=sheet["assessment"].id)).status == AssessmentStatus.draft


async def test_submission_locks_the_sheet(sheet: dict) -> None:
    await _answer_all(sheet)
    for code in REQUIRED_EVIDENCE:
        await _attach(sheet, code)
    done = await submit(sheet["lan"], sheet["assessment"].id, now=NOW)
    assert done.status == AssessmentStatus.submitted and done.submitted_at is not None
    with pytest.raises(LockedError) as info:
        await record_answer(
            sheet["hung"], done.id, "1.1.2", text="không", expected_version=1, now=NOW
        )
    assert "chỉ còn xem" in info.value.render("vi")
    with pytest.raises(LockedError):
        await submit(sheet["hung"], done.id, now=NOW)  # a double submit changes nothing
    events = await AuditEvent.filter(action="assessment.submit").count()
    assert events == 1


async def test_not_applicable_items_need_no_evidence(sheet: dict) -> None:
    await _answer_all(sheet)
    found = await blockers(sheet["assessment"].id)
    assert "1.1.4" not in found.missing_evidence  # evidence not required and NA anyway
    assert found.unanswered == []


async def test_other_units_cannot_submit_and_deadline_applies(sheet: dict) -> None:
    await _answer_all(sheet)
    for code in REQUIRED_EVIDENCE:
        await _attach(sheet, code)
    with pytest.raises(NotAllowedError):
        await submit(sheet["other"], sheet["assessment"].id, now=NOW)
    with pytest.raises(LockedError):
        await submit(sheet["lan"], sheet["assessment"].id, now=NOW + timedelta(days=30))


async def test_leader_approval_when_the_period_requires_it(sheet: dict) -> None:
    await Period.all().update(require_leader_approval=True)
    await _answer_all(sheet)
    for code in REQUIRED_EVIDENCE:
        await _attach(sheet, code)
    with pytest.raises(NotAllowedError) as info:
        await submit(sheet["lan"], sheet["assessment"].id, now=NOW)
    assert "lãnh đạo" in info.value.render("vi").lower()
    done = await submit(sheet["leader"], sheet["assessment"].id, now=NOW)
    assert done.status == AssessmentStatus.submitted and done.leader_approved_at is not None
    event = await AuditEvent.filter(action="assessment.submit").first()
    assert event is not None and event.channel == Channel.bot
