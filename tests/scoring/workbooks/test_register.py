"""The evidence register of a unit and the zip of its evidence, arranged by field and item."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.models import AuditEvent
from forms.answers import NotAllowedError
from forms.models import Evidence
from scoring import exports
from scoring.models import Explanation
from tests.scoring.workbooks.conftest import PUBLIC_URL, RISKY_NAME, Province, cells

GENERATED = datetime(2026, 11, 22, 2, 30, tzinfo=UTC)
ROOT = "TLKC SNV 2026"
FIELD_1 = f"{ROOT}/1. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC"


async def _register(province: Province, unit: str, actor_name: str = "admin") -> bytes:
    w = province.world
    buf = BytesIO()
    await exports.register(
        w.actor(actor_name),
        w.period.id,
        w.sheets[unit].unit_id,  # type: ignore[attr-defined]
        buf,
        now=GENERATED,
        public_url=PUBLIC_URL,
        files=province.store,
    )
    return buf.getvalue()


async def _zip(province: Province, unit: str, actor_name: str = "admin") -> bytes:
    w = province.world
    export = await exports.evidence_zip(
        w.actor(actor_name),
        w.period.id,
        w.sheets[unit].unit_id,  # type: ignore[attr-defined]
        now=GENERATED,
        public_url=PUBLIC_URL,
        files=province.store,
    )
    assert export.filename == f"tlkc-{unit.lower()}-2026.zip"
    return b"".join([chunk async for chunk in export.chunks])


async def test_register_lists_every_file(province: Province) -> None:
    explanation = await Explanation.get(
        review__answer__assessment_id=province.world.sheets["SNV"].id
    )
    await explanation.files.add(await Evidence.get(original_name="Kế hoạch.pdf"))
    ws = load_workbook(BytesIO(await _register(province, "SNV"))).active
    assert ws.title == "Danh mục TLKC"
    assert ws["A4"].value == "DANH MỤC TÀI LIỆU KIỂM CHỨNG"
    assert ws["A6"].value == "Gồm 5 tệp. Số liệu lập lúc 22/11/2026 09:30."
    assert cells(ws, 7) == [
        "STT",
        "Mã tiêu chí",
        "Tiêu chí thành phần",
        "Tên tệp",
        "Trang, mục",
        "Dung lượng (byte)",
        "Mã SHA-256",
        "Người tải lên",
        "Thời điểm tải lên",
        "Nộp kèm",
        "Vị trí trong tệp nén",
        "Tải về",
    ]
    assert ws.freeze_panes == "A8" and ws.print_title_rows == "$7:$7"
    assert cells(ws, 8)[:2] == ["I", "1. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC"]
    files = [r for r in ws.iter_rows(min_row=8) if isinstance(r[0].value, int)]
    assert [r[1].value for r in files] == ["1.1.1", "1.1.1", "1.1.1", "1.1.3", "C.1"]
    risky = files[1]
    assert risky[3].value == RISKY_NAME and risky[3].data_type == "s" and risky[3].quotePrefix
    assert risky[4].value == "tr. 3"
    evidence = await Evidence.get(id=province.risky_evidence.id)
    assert risky[5].value == evidence.size and risky[5].number_format == "#,##0"
    assert risky[6].value == evidence.sha256 == hashlib.sha256(b"%PDF-1.4 risky").hexdigest()
    assert risky[8].number_format == "dd/mm/yyyy hh:mm"
    assert risky[9].value == "Tự đánh giá"
    assert risky[10].value.startswith(f"{FIELD_1}/1.1.1/=HYPERLINK(")
    assert risky[11].value == "Tải về"
    assert risky[11].hyperlink.target == f"{PUBLIC_URL}/api/v1/evidence/{evidence.id}/download"
    assert files[4][10].value == f"{ROOT}/C. ĐIỂM CỘNG/C.1/TLKC C.1.pdf"
    assert [r[9].value for r in files] == [
        "Tự đánh giá",
        "Tự đánh giá",
        "Giải trình",
        "Tự đánh giá",
        "Tự đánh giá",
    ]
    assert await AuditEvent.filter(action="export.register").count() == 1


async def test_zip_is_arranged_by_field_and_item(province: Province) -> None:
    data = await _zip(province, "SNV")
    with zipfile.ZipFile(BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == f"{ROOT}/Danh mục tài liệu kiểm chứng SNV 2026.xlsx"
        assert set(names[1:]) == {
            f"{FIELD_1}/1.1.1/TLKC 1.1.1.pdf",
            f"{FIELD_1}/1.1.1/=HYPERLINK(_http___evil.example_x_,_Bấm vào đây_)",
            f"{FIELD_1}/1.1.1/Kế hoạch.pdf",
            f"{FIELD_1}/1.1.3/TLKC 1.1.3.pdf",
            f"{ROOT}/C. ĐIỂM CỘNG/C.1/TLKC C.1.pdf",
        }
        assert z.read(f"{FIELD_1}/1.1.1/Kế hoạch.pdf") == b"%PDF-1.4 second"
        register = load_workbook(BytesIO(z.read(names[0]))).active
        places = [r[10] for r in register.iter_rows(min_row=8, values_only=True) if r[10]]
        assert set(places) == set(names[1:])  # the register says where each file is
    assert await AuditEvent.filter(action="export.evidence_zip").count() == 1


async def test_same_names_and_missing_files(province: Province) -> None:
    w = province.world
    # two files with the same name in one item, one of them lost from the store
    answer_id = province.risky_evidence.answer_id  # type: ignore[attr-defined]
    stored = await province.store.put(b"another plan")
    await Evidence.create(
        answer_id=answer_id,
        sha256=stored.sha256,
        size=stored.size,
        original_name="Kế hoạch.pdf",
        content_type="application/pdf",
    )
    lost = "0" * 64
    await Evidence.create(
        answer_id=answer_id, sha256=lost, size=5, original_name="Mất.pdf", content_type="x/y"
    )
    await Evidence.create(  # removed files are not listed
        answer_id=answer_id,
        sha256=lost,
        size=5,
        original_name="Đã gỡ.pdf",
        content_type="x/y",
        removed_at=GENERATED,
    )
    with zipfile.ZipFile(BytesIO(await _zip(province, "SNV"))) as z:
        names = z.namelist()
        assert f"{FIELD_1}/1.1.1/Kế hoạch (2).pdf" in names
        assert z.read(f"{FIELD_1}/1.1.1/Kế hoạch (2).pdf") == b"another plan"
        note = z.read(f"{FIELD_1}/1.1.1/Mất.pdf.missing.txt").decode()
        assert "bị thiếu hoặc hỏng" in note and lost in note
        assert not any("Đã gỡ" in n for n in names)
    assert w  # the world stays as built


async def test_who_may_export_evidence(province: Province, tmp_path: Path) -> None:
    w = province.world
    # the appraiser of fields 2, C and T sees only the bonus file of SNV
    ws = load_workbook(BytesIO(await _register(province, "SNV", "td2"))).active
    assert [r[1] for r in ws.iter_rows(min_row=8, values_only=True) if isinstance(r[0], int)] == [
        "C.1"
    ]
    with zipfile.ZipFile(BytesIO(await _zip(province, "SNV", "td2"))) as z:
        assert [n for n in z.namelist() if n.endswith(".pdf")] == [
            f"{ROOT}/C. ĐIỂM CỘNG/C.1/TLKC C.1.pdf"
        ]
    # officers get their scorecard, not the register
    with pytest.raises(NotAllowedError):
        await exports.register(
            w.officers["lan"],
            w.period.id,
            w.sheets["SNV"].unit_id,  # type: ignore[attr-defined]
            tmp_path / "x.xlsx",
            now=GENERATED,
            public_url=PUBLIC_URL,
        )
    # a unit without evidence
    ws = load_workbook(BytesIO(await _register(province, "SYT", "viewer"))).active
    assert ws["A6"].value.startswith("Gồm 0 tệp.")
    assert "Đơn vị chưa nộp tài liệu kiểm chứng nào." in [c.value for c in ws[8]]
