"""One unit's "Bảng tự đánh giá, chấm điểm" as its leader signs it."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.models import AuditEvent
from forms.answers import NotAllowedError
from scoring import exports
from tests.scoring.workbooks.conftest import PUBLIC_URL, RISKY_NAME, Province, cells

GENERATED = datetime(2026, 11, 22, 2, 30, tzinfo=UTC)


async def _card(province: Province, unit: str, actor: object, **kw: object) -> bytes:
    w = province.world
    buf = BytesIO()
    await exports.scorecard(
        actor,  # type: ignore[arg-type]
        w.period.id,
        w.sheets[unit].unit_id,  # type: ignore[attr-defined]
        buf,
        now=GENERATED,
        public_url=PUBLIC_URL,
        **kw,  # type: ignore[arg-type]
    )
    return buf.getvalue()


def _rows(ws) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """STT (Roman numeral or code) → row values, for the table body."""
    return {
        str(r[0]): list(r)
        for r in ws.iter_rows(min_row=10, values_only=True)
        if r[0] is not None and r[1] is not None
    }


async def test_layout_scores_links_and_signatures(province: Province) -> None:
    w = province.world
    data = await _card(province, "SNV", w.actor("viewer"))
    wb = load_workbook(BytesIO(data))
    ws = wb["Tự đánh giá"]
    # the parent body (the criteria set's issuing body) over the unit, the motto on the right
    assert ws["A1"].value == "UBND TỈNH THÁI NGUYÊN" and ws["A2"].value == "SỞ NỘI VỤ"
    assert ws["A2"].font.b and ws["C1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert ws["C2"].value == "Độc lập - Tự do - Hạnh phúc" and ws["C2"].font.u == "single"
    assert ws["A4"].value == "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026"
    assert ws["A5"].value == "Đơn vị: Sở Nội vụ — Đợt 2026"
    assert "2845/QĐ-UBND ngày 27/11/2019 của UBND tỉnh Thái Nguyên" in ws["A6"].value
    assert ws["A7"].value == (
        "Phiếu đã gửi lúc 20/11/2026 10:00, đang thẩm định. Số liệu lập lúc 22/11/2026 09:30."
    )
    assert cells(ws, 8) == [
        "STT",
        "Lĩnh vực / Tiêu chí / Tiêu chí thành phần",
        "Điểm tối đa",
        "Điểm tự đánh giá",
        "Điểm thẩm định",
        "Tài liệu kiểm chứng",
        "Giải trình / Ghi chú",
    ]
    assert ws.freeze_panes == "A10" and ws.print_title_rows == "$8:$9"
    assert ws.page_setup.orientation == "landscape" and (ws.page_setup.fitToWidth or 1) == 1

    rows = _rows(ws)
    # Roman numerals for the top-level sections, in capitals and bold
    assert [k for k in rows if k in ("I", "II", "III", "IV", "V")] == ["I", "II", "III", "IV", "V"]
    assert rows["I"][1:5] == ["CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC", 7, 5.75, 4.5]
    assert rows["III"][1] == "ĐIỀU TRA XÃ HỘI HỌC" and rows["IV"][1] == "ĐIỂM CỘNG"
    # penalty points read as deductions: a minus sign, and "Điểm trừ tối đa" for the maximum
    assert rows["V"][1] == "ĐIỂM TRỪ" and rows["V"][6].startswith("Điểm trừ tối đa: ")
    penalty = [r for r in ws.iter_rows(min_row=10) if str(r[0].value).startswith(("V", "T"))]
    assert penalty and all(
        c.number_format == "-#,##0.00;-#,##0.00;0.00" for r in penalty for c in r[2:5]
    )
    field_row = next(r for r in ws.iter_rows(min_row=10) if r[0].value == "I")
    assert field_row[1].font.b and field_row[3].number_format == "#,##0.00"
    assert rows["1.1"][1:5] == ["Kế hoạch CCHC năm", 5, 4.25, 3]
    # items: self score, appraised score once reviewed, not applicable spelled out
    assert rows["1.1.1"][2:5] == [1, 1, 0.5]
    # not appraised yet on a sheet being appraised: the appraised column shows the value the
    # totals count (the self score), in grey italics, and says so
    assert rows["1.1.2"][3:5] == [1, 1]
    assert "Chưa thẩm định: tạm tính theo điểm tự đánh giá." in rows["1.1.2"][6]
    unreviewed = next(r for r in ws.iter_rows(min_row=10) if r[0].value == "1.1.2")
    assert unreviewed[4].font.i and not unreviewed[3].font.i
    assert rows["1.1.4"][3:5] == ["Không áp dụng", 0.25]
    assert rows["X.1"][3:5] == [1.5, 1.5]
    notes = rows["1.1.1"][6]
    assert "Số liệu kê khai: Ban hành đúng hạn" in notes
    assert "Giải trình: Đã ban hành đúng hạn. (đề xuất 1 điểm)" in notes
    assert "Ý kiến thẩm định lần 2: Ban hành muộn" in notes
    assert rows["1.1.2"][6].startswith("Số liệu kê khai: Có\nGhi chú: +1")

    # evidence: one hyperlink per file, to the download address that checks rights
    item = next(r for r in ws.iter_rows(min_row=10) if r[0].value == "1.1.1")
    first = item[0].row
    links = [ws.cell(first + i, 6) for i in range(3)]
    assert [c.value for c in links] == [
        "TLKC 1.1.1.pdf",
        RISKY_NAME + " (trang, mục tr. 3)",
        "Kế hoạch.pdf",
    ]
    assert links[1].hyperlink.target == (
        f"{PUBLIC_URL}/api/v1/evidence/{province.risky_evidence.id}/download"
    )
    assert links[1].data_type == "s" and links[1].quotePrefix
    assert all(c.hyperlink and c.font.u == "single" for c in links)
    assert f"A{first}:A{first + 2}" in {str(r) for r in ws.merged_cells.ranges}

    # totals, index, band, the note about partial appraisal, and the signatures
    totals = {r[1]: r for r in ws.iter_rows(min_row=10, values_only=True) if r[0] is None and r[1]}
    assert totals["TỔNG ĐIỂM"][2:5] == (10, 9.25, 8)
    assert totals["Điểm tối đa áp dụng"][3:5] == (9.25, 10)
    assert totals["CHỈ SỐ CCHC (%)"][3:5] == (100, 80)
    assert totals["Xếp loại"][3:5] == ("Tốt", "Khá")
    text = [v for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str)]
    assert any(v.startswith("Ghi chú: điểm thẩm định in nghiêng, màu xám") for v in text)
    for words in ("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", "Nguyễn Thị Lan", "Phạm Quang Minh"):
        assert words in text
    assert "……………, ngày …… tháng …… năm ……" in text

    event = await AuditEvent.get(action="export.scorecard")
    assert event.unit_id == w.sheets["SNV"].unit_id  # type: ignore[attr-defined]


async def test_who_gets_which_scorecard(province: Province, tmp_path: Path) -> None:
    w = province.world
    # an officer: their own unit only
    own = load_workbook(BytesIO(await _card(province, "SNV", w.officers["lan"])))
    assert own.active["A5"].value.startswith("Đơn vị: Sở Nội vụ")
    with pytest.raises(NotAllowedError):
        await _card(province, "STP", w.officers["lan"])
    # an appraiser: every unit, only the items of their assignments (field 1 for td1)
    ws = load_workbook(BytesIO(await _card(province, "STP", w.actor("td1")))).active
    rows = _rows(ws)
    assert "I" in rows and "1.1.3" in rows and "2.1.1" not in rows and "C.1" not in rows
    # a draft sheet: not submitted, nothing appraised yet
    draft = load_workbook(BytesIO(await _card(province, "SYT", w.actor("admin")))).active
    assert draft["A7"].value.startswith("Phiếu chưa gửi (đang tự đánh giá).")
    assert all(r[4] is None for r in draft.iter_rows(min_row=10, values_only=True))
    assert "Chưa có tài liệu kiểm chứng bắt buộc." in _rows(draft)["1.1.1"][6]
    with pytest.raises(exports.NotFound):
        await exports.scorecard(
            w.actor("admin"),
            w.period.id,
            99999,
            tmp_path / "x.xlsx",
            now=GENERATED,
            public_url=PUBLIC_URL,
        )
