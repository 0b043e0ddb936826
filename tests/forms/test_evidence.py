"""Evidence files: type by content, size limit, duplicates, soft removal, locks, audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.files import FileStore
from core.models import AuditEvent
from forms.answers import LockedError, NotAllowedError, record_answer
from forms.evidence import (
    EvidenceError,
    attach_evidence,
    detect_type,
    item_files,
    remove_evidence,
)
from forms.models import Answer, Assessment, AssessmentStatus, Evidence
from forms.submission import blockers
from scoring.explanations import attach_explanation_file
from scoring.models import Review
from tests.bot import samples
from tests.forms.conftest import NOW

LIMIT = 1024 * 1024


@pytest.mark.parametrize(
    ("data", "ext"),
    [
        (samples.PDF, "pdf"),
        (samples.PNG, "png"),
        (samples.JPG, "jpg"),
        (samples.docx(), "docx"),
        (samples.xlsx(), "xlsx"),
        (samples.odt(), "odt"),
        (samples.ods(), "ods"),
        (samples.ole("WordDocument"), "doc"),
        (samples.ole("Workbook"), "xls"),
        (samples.EXE, None),
        (samples.docm(), None),
        (samples.plain_zip(), None),
        (samples.ole("PowerPoint Document"), None),
        (b"", None),
        (b"plain text, not a document", None),
    ],
)
def test_type_is_read_from_the_content(data: bytes, ext: str | None) -> None:
    kind = detect_type(data)
    assert (kind.ext if kind else None) == ext


async def _attach(sheet: dict, data: bytes, name: str, store: FileStore, **kw: object):
    return await attach_evidence(
        sheet["lan"],
        sheet["assessment"].id,
        kw.pop("item", "1.1.1"),  # type: ignore[arg-type]
        data=data,
        name=name,
        files=store,
        max_bytes=kw.pop("max_bytes", LIMIT),  # type: ignore[arg-type]
        now=kw.pop("now", NOW),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


async def test_files_before_the_answer_keep_the_item_unanswered(
    sheet: dict, data_dir: Path
) -> None:
    store = FileStore(data_dir)
    first = await _attach(
        sheet, samples.pdf("kế hoạch"), "Kế hoạch CCHC 2026.pdf", store, page_ref="trang 2"
    )
    assert not first.duplicate and first.evidence.content_type == "application/pdf"
    assert first.evidence.page_ref == "trang 2"
    assert await store.get(first.evidence.sha256) == samples.pdf("kế hoạch")
    answer = await Answer.get(assessment_id=sheet["assessment"].id)
    assert answer.declared is None and answer.version == 0
    assert "1.1.1" in (await blockers(sheet["assessment"].id)).unanswered
    # the answer still starts from version 0: files do not make the officer's view stale
    answered = await record_answer(
        sheet["lan"], sheet["assessment"].id, "1.1.1", text="1", expected_version=0, now=NOW
    )
    assert answered.self_score == Decimal(1)
    assert "1.1.1" not in (await blockers(sheet["assessment"].id)).missing_evidence


async def test_same_bytes_twice_are_one_file(sheet: dict, data_dir: Path) -> None:
    store = FileStore(data_dir)
    await _attach(sheet, samples.PNG, "anh1.png", store)
    again = await _attach(sheet, samples.PNG, "ảnh chụp lại.png", store)
    assert again.duplicate and again.evidence.original_name == "anh1.png"
    assert await Evidence.all().count() == 1
    # the same bytes on another item are that item's evidence too
    other = await _attach(sheet, samples.PNG, "anh1.png", store, item="1.1.3")
    assert not other.duplicate


async def test_too_large_and_wrong_types_store_nothing(sheet: dict, data_dir: Path) -> None:
    store = FileStore(data_dir)
    with pytest.raises(EvidenceError) as big:
        await _attach(sheet, samples.PDF + b"x" * 3000, "to.pdf", store, max_bytes=2048)
    assert "vượt giới hạn 2 KB" in big.value.render("vi")
    with pytest.raises(EvidenceError) as exe:
        await _attach(sheet, samples.EXE, "baocao.pdf", store)
    text = exe.value.render("vi")
    assert "baocao.pdf" in text and "không thuộc loại được chấp nhận" in text
    assert await Evidence.all().count() == 0
    assert not (data_dir / "evidence").exists()


async def test_removal_is_soft_and_audited(sheet: dict, data_dir: Path) -> None:
    store = FileStore(data_dir)
    attached = await _attach(sheet, samples.docx(), "quy-che.docx", store)
    await remove_evidence(sheet["lan"], attached.evidence.id, now=NOW)
    assert await item_files(sheet["assessment"].id, "1.1.1") == []
    row = await Evidence.get(id=attached.evidence.id)
    assert row.removed_at == NOW and store.exists(row.sha256)
    actions = await AuditEvent.filter(entity="evidence").values_list("action", flat=True)
    assert actions == ["evidence.attach", "evidence.remove"]
    # sending the removed file again attaches it again
    assert not (await _attach(sheet, samples.docx(), "quy-che.docx", store)).duplicate


async def test_other_units_and_submitted_sheets_are_refused(sheet: dict, data_dir: Path) -> None:
    store = FileStore(data_dir)
    with pytest.raises(NotAllowedError):
        await attach_evidence(
            sheet["other"],
            sheet["assessment"].id,
            "1.1.1",
            data=samples.PDF,
            name="x.pdf",
            files=store,
            max_bytes=LIMIT,
            now=NOW,
        )
    attached = await _attach(sheet, samples.PDF, "x.pdf", store)
    await Assessment.filter(id=sheet["assessment"].id).update(status=AssessmentStatus.submitted)
    with pytest.raises(LockedError):
        await _attach(sheet, samples.pdf("late"), "late.pdf", store)
    with pytest.raises(LockedError):
        await remove_evidence(sheet["lan"], attached.evidence.id, now=NOW)


async def test_files_for_an_explanation_while_it_is_open(sheet: dict, data_dir: Path) -> None:
    store = FileStore(data_dir)
    a = sheet["assessment"]
    await record_answer(sheet["lan"], a.id, "1.1.3", text="95", expected_version=0, now=NOW)
    await Assessment.filter(id=a.id).update(status=AssessmentStatus.explanation_requested)
    answer = await Answer.get(assessment_id=a.id)
    review = await Review.create(
        answer=answer,
        round_no=1,
        comment="Thiếu báo cáo quý IV",
        explanation_requested=True,
        explanation_due_at=NOW + timedelta(days=3),
    )
    attached = await attach_explanation_file(
        sheet["lan"],
        review.id,
        data=samples.xlsx(),
        name="bao-cao-quy-IV.xlsx",
        files=store,
        max_bytes=LIMIT,
        now=NOW,
    )
    assert attached.evidence.answer_id == answer.id  # type: ignore[attr-defined]
    with pytest.raises(LockedError) as late:
        await attach_explanation_file(
            sheet["lan"],
            review.id,
            data=samples.PDF,
            name="x.pdf",
            files=store,
            max_bytes=LIMIT,
            now=NOW + timedelta(days=4),
        )
    assert "23/11/2026 10:00" in late.value.render("vi")
