"""The consolidated workbook as the secretariat opens it: sheets, headings, formats and print
settings; and its formulas recalculated by LibreOffice equal the service's results."""

from __future__ import annotations

import asyncio
import gc
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zipfile import ZipFile

import pytest
from openpyxl import load_workbook

from core.auth import AccessDenied
from core.models import AuditEvent
from forms.models import Period
from scheduler.ledger import sent_per_sheet
from scheduler.models import Reminder, ReminderStatus
from scoring import exports
from scoring.models import SurveyScore
from scoring.results import publish, results
from tests.scoring.workbooks.conftest import RISKY_NAME, Province, cells

GENERATED = datetime(2026, 11, 22, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
DEDUCTION = "-#,##0.00;-#,##0.00;0.00"  # penalty points shown as deductions: "-1,00"
SUMMARY_HEADERS = [
    "STT",
    "Đơn vị",
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    "Điều tra XHH",
    "Điểm cộng",
    "Điểm trừ",
    "Tổng điểm",
    "Chỉ số (%)",
    "Xếp hạng",
    "Xếp loại",
    "Đã nộp phiếu",
]


async def _export(province: Province, path: Path, actor_name: str = "admin") -> exports.Export:
    w = province.world
    return await exports.consolidated(
        w.actor(actor_name), w.period.id, path, now=GENERATED, reminder_counts=sent_per_sheet
    )


def _recalculate(sources: list[Path], out: Path) -> None:
    """Open each workbook in LibreOffice headless, recalculate, save as .xlsx into ``out``."""
    assert SOFFICE is not None
    profile = out / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def _summary_rows(path: Path) -> dict[str, list[Any]]:
    """Unit name → its row of values on the summary sheet (cached values after a recalc)."""
    ws = load_workbook(path, data_only=True)["Tổng hợp"]
    out = {}
    for row in ws.iter_rows(min_row=7, values_only=True):
        if isinstance(row[0], int) and row[1]:
            out[row[1]] = list(row)
    return out


def _d(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(
        Decimal("0.0001")
    )


def _assert_equal_to_service(path: Path, tables: list[dict[str, Any]]) -> int:
    rows = _summary_rows(path)
    checked = 0
    for table in tables:
        for unit in table["units"]:
            row = rows[unit["unit_name"]]
            own, final = unit["self"], unit["appraised"]
            expected = [
                own["standard"],
                final["standard"],
                final["survey"],
                final["bonus"],
                final["penalty"],
                final["total"],
                final["index"],
            ]
            got = row[2:9]
            assert [_d(v) for v in got] == [_d(v) for v in expected], unit["unit_code"]
            # units that never submitted: unranked and without a band, as the service lists them
            assert row[9] == final["rank"], unit["unit_code"]
            assert (row[10] or None) == final["band"], unit["unit_code"]
            checked += 1
    return checked


def _formula_values(path: Path) -> dict[tuple[str, str], Any]:
    """(sheet, cell) → the cached value of every formula cell."""
    formulas = load_workbook(path)
    cached = load_workbook(path, data_only=True)
    return {
        (ws.title, c.coordinate): cached[ws.title][c.coordinate].value
        for ws in formulas.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) < 1e-9
    return (a or None) == (b or None)


def _matrix_fields(path: Path, sheet: str) -> dict[str, list[Any]]:
    ws = load_workbook(path, data_only=True)[sheet]
    return {row[1]: list(row) for row in ws.iter_rows(min_row=7, values_only=True) if row[1]}


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
async def test_recalculated_by_libreoffice_totals_indexes_and_ranks_equal_the_service(
    province: Province, tmp_path: Path
) -> None:
    w = province.world
    admin = w.actor("admin")
    src = tmp_path / "src"
    src.mkdir()
    # A: the period as it stands (two groups, survey, bonus above its cap, penalty, ties)
    await _export(province, src / "a.xlsx")
    tables_a = await results(admin, w.period.id)
    # B: other index options: index capped at 100, bonus outside the index, tighter caps
    await Period.filter(id=w.period.id).update(
        index_options={
            "cap_index_at_100": True,
            "bonus_in_index": False,
            "bonus_cap": "1.5",
            "penalty_cap": "0.5",
            "rank_unsubmitted_last": True,  # the second rank formula
        }
    )
    await _export(province, src / "b.xlsx")
    tables_b = await results(admin, w.period.id)
    # C: workbook A with one criterion score corrected by hand in the matrix
    wb = load_workbook(src / "a.xlsx")
    matrix = wb["Ma trận SO"]
    assert matrix["B7"].value == "SNV" and matrix["D4"].value.startswith("1. CÔNG TÁC")
    assert matrix["E6"].value == "Thẩm định" and matrix["E7"].value == 3
    matrix["E7"] = 5  # criterion 1.1 appraised 3 → 5
    wb.save(src / "c.xlsx")

    out = tmp_path / "out"
    out.mkdir()
    await asyncio.to_thread(_recalculate, [src / "a.xlsx", src / "b.xlsx", src / "c.xlsx"], out)

    assert _assert_equal_to_service(out / "a.xlsx", tables_a) == 6
    assert _assert_equal_to_service(out / "b.xlsx", tables_b) == 6
    # LibreOffice computes, in every formula cell, the value the service wrote as its cache
    for name in ("a.xlsx", "b.xlsx"):
        written = _formula_values(src / name)
        recalculated = load_workbook(out / name, data_only=True)
        assert len(written) > 100
        for (sheet, coord), value in written.items():
            again = recalculated[sheet][coord].value
            assert _same(again, value), (name, sheet, coord, value, again)
    # the options did change the figures, so B really tests them
    snv_a = next(u for u in tables_a[0]["units"] if u["unit_code"] == "SNV")["appraised"]
    snv_b = next(u for u in tables_b[0]["units"] if u["unit_code"] == "SNV")["appraised"]
    assert (snv_a["index"], snv_b["index"]) == ("80", "70")
    # equal indexes share a rank, the next is skipped; bands with quotes in their label work
    communes = _summary_rows(out / "a.xlsx")
    assert [communes[n][9] for n in ("UBND xã An Bình", "UBND phường Đông Hà")] == [1, 1]
    # X3 never submitted: listed unranked and without a band in A, ranked last in B
    assert communes["UBND xã Tân Lập"][9:12] == [None, None, "chưa nộp"]
    communes_b = _summary_rows(out / "b.xlsx")
    assert communes_b["UBND xã Tân Lập"][9] == 3

    # component indexes and field totals of the matrix equal the service's per-field figures
    fields = _matrix_fields(out / "a.xlsx", "Ma trận SO")
    for unit in tables_a[0]["units"]:
        row = fields[unit["unit_code"]]
        f1, f2 = unit["fields"]
        assert (_d(row[7]), _d(row[8])) == (_d(f1["self"]), _d(f1["appraised"]))
        assert _d(row[10]) == _d(f1["appraised_index"])
        assert (_d(row[13]), _d(row[14])) == (_d(f2["self"]), _d(f2["appraised"]))
        assert _d(row[16]) == _d(f2["appraised_index"])

    # the hand correction moved the field, the totals, the index, the rank and the band
    corrected = _summary_rows(out / "c.xlsx")["Sở Nội vụ"]
    assert _d(corrected[3]) == Decimal("7.5")  # MIN(7, 5 + 1,5) + 1
    assert _d(corrected[7]) == Decimal("10")
    assert _d(corrected[8]) == Decimal("100")
    assert corrected[9] == 1 and corrected[10] == "Tốt"
    assert _summary_rows(out / "c.xlsx")["Sở Tư pháp"][9] == 2


async def test_what_the_secretary_sees(province: Province, tmp_path: Path) -> None:
    w = province.world
    await Reminder.create(
        kind="self_assessment",
        recipient="officer:1",
        subject=f"assessment:{w.sheets['SYT'].id}",
        deadline_at=GENERATED,
        offset_key="-7d",
        due_at=GENERATED,
        status=ReminderStatus.sent,
    )
    await Reminder.create(
        kind="self_assessment",
        recipient="officer:1",
        subject=f"assessment:{w.sheets['SYT'].id}",
        deadline_at=GENERATED,
        offset_key="-2d",
        due_at=GENERATED,
        status=ReminderStatus.failed,
    )
    path = tmp_path / "tong-hop.xlsx"
    export = await _export(province, path)
    assert export.filename == "bang-tong-hop-chi-so-cchc-2026-p2026.xlsx"
    assert export.figures["units"] == 6
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Tổng hợp",
        "Ma trận SO",
        "Ma trận XA",
        "Chi tiết",
        "Tiến độ",
        "Biểu đồ",
    ]
    assert wb.properties.title == "Bảng tổng hợp kết quả Chỉ số CCHC năm 2026"

    # -- summary: title rows, headings, group headings, live formulas, formats, printing ------
    ws = wb["Tổng hợp"]
    assert ws["A1"].value == "BẢNG TỔNG HỢP KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026"
    assert ws["A2"].value == "Đợt đánh giá: Đợt 2026"
    assert ws["A3"].value.startswith("Số liệu lập lúc 22/11/2026 09:30.")
    assert "chưa được công bố" in ws["A3"].value
    assert cells(ws, 5) == SUMMARY_HEADERS
    assert all(c.font.b for c in ws[5])
    assert cells(ws, 7)[:2] == ["I", "KHỐI SỞ, BAN, NGÀNH"] and ws["B7"].font.b
    assert cells(ws, 11)[:2] == ["II", "KHỐI UBND CẤP XÃ"]
    snv = ws[8]
    assert [snv[0].value, snv[1].value] == [1, "Sở Nội vụ"]
    assert snv[11].value == "x"  # the sheet was submitted: the rank formulas count it
    for cell in snv[2:11]:
        assert isinstance(cell.value, str) and cell.value.startswith("="), cell.coordinate
    assert "'Ma trận SO'!" in snv[3].value
    assert snv[9].value == '=IF(I8="","",COUNTIFS(L$8:L$10,"x",I$8:I$10,">"&I8)+1)'
    assert '"Khá ""tốt"""' in ws["K12"].value  # a band label with quotes, escaped
    assert [snv[i].number_format for i in range(2, 8)] == [*["#,##0.00"] * 4, DEDUCTION, "#,##0.00"]
    assert snv[8].number_format == "0.00"
    assert ws.freeze_panes == "A7"
    assert ws.print_title_rows == "$5:$6"
    _assert_printing(ws)
    signature = [v for row in ws.iter_rows(min_row=15, values_only=True) for v in row if v]
    assert "NGƯỜI LẬP BIỂU" in signature and "THỦ TRƯỞNG CƠ QUAN" in signature

    # -- matrix ------------------------------------------------------------------------------
    m = wb["Ma trận SO"]
    assert m["A1"].value == "ĐIỂM THEO LĨNH VỰC, TIÊU CHÍ — KHỐI SỞ, BAN, NGÀNH"
    assert m["D4"].value == "1. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC (tối đa 7)"
    assert (m["D5"].value, m["F5"].value, m["H5"].value) == ("1.1 (5)", "1.2 (2)", "Lĩnh vực 1")
    assert [m.cell(6, c).value for c in range(4, 12)] == [
        "Tự ĐG",
        "Thẩm định",
        "Tự ĐG",
        "Thẩm định",
        "Tự ĐG",
        "Thẩm định",
        "Tối đa áp dụng",
        "Chỉ số thành phần (%)",
    ]
    assert "D4:K4" in {str(r) for r in m.merged_cells.ranges}
    assert m["E7"].value == 3 and m["E7"].number_format == "#,##0.00"
    assert m["I7"].value == "=MIN(7,SUM(E7,G7))"
    assert m["K7"].value == '=IF(J7=0,"",ROUND(I7*100/J7,2))' and m["K7"].font.b
    assert m.freeze_panes == "D7"
    assert m.print_title_rows == "$4:$6"
    _assert_printing(m)

    # -- details -----------------------------------------------------------------------------
    d = wb["Chi tiết"]
    assert cells(d, 4)[:8] == [
        "STT",
        "Khối",
        "Mã đơn vị",
        "Đơn vị",
        "Mã tiêu chí",
        "Tiêu chí thành phần",
        "Điểm tối đa",
        "Số liệu kê khai",
    ]
    assert cells(d, 4)[8:] == [
        "Điểm tự đánh giá",
        "Thẩm định lần 1",
        "Thẩm định lần 2",
        "Điểm cuối cùng",
        "Số TLKC",
        "Ghi chú",
        "Ý kiến thẩm định",
    ]
    assert d.auto_filter.ref == "A4:O64"
    assert d.freeze_panes == "A5"
    first = cells(d, 5)
    assert first[2:] == [
        "SNV",
        "Sở Nội vụ",
        "1.1.1",
        "Ban hành kế hoạch CCHC năm",
        1,
        "Ban hành đúng hạn",
        1,
        0,
        0.5,
        0.5,
        3,
        None,
        "Lần 1: Giải trình?\nLần 2: Ban hành muộn",
    ]
    na = cells(d, 8)
    assert na[4] == "1.1.4" and na[7] == "Không áp dụng" and na[8] is None and na[11] == 0.25
    notes = {row[4]: row[13] for row in d.iter_rows(min_row=5, max_row=14, values_only=True)}
    assert (notes["1.1.2"], notes["1.1.5"], notes["1.2.1"]) == ("+1", "@SUM(1)", "-2 quy chế")
    for row in d.iter_rows(min_row=5, max_row=14):
        if row[13].value:
            assert row[13].data_type == "s" and row[13].quotePrefix
    assert d["I5"].number_format == "#,##0.00"
    penalty_rows = [r for r in d.iter_rows(min_row=5) if r[4].value == "T.1"]
    assert penalty_rows and all(r[11].number_format == DEDUCTION for r in penalty_rows)

    # -- progress ----------------------------------------------------------------------------
    p = wb["Tiến độ"]
    assert cells(p, 4) == [
        "STT",
        "Mã đơn vị",
        "Đơn vị",
        "Trạng thái",
        "Đã trả lời",
        "Tổng số tiêu chí",
        "Tỷ lệ (%)",
        "Thiếu TLKC",
        "Tiêu chí thiếu TLKC",
        "Thời điểm gửi",
        "Số lần đã nhắc",
        "Cán bộ đã chặn bot",
    ]
    rows = {r[1]: r for r in p.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)}
    assert rows["SNV"][3] == "Đang thẩm định" and rows["SNV"][4:6] == (9, 9)
    assert rows["SNV"][9] == datetime(2026, 11, 20, 10, 0)  # 03:00 UTC, shown in local time
    assert rows["SYT"][3:10] == ("Đang tự đánh giá", 2, 9, 22.22, 1, "1.1.1", None)
    assert rows["SYT"][10] == 1  # only delivered reminders count
    # X3 has no file at all, but 50 % (1.1.3) and no initiative (C.1) earn no points, so
    # only 1.1.1 needs its evidence (forms.evidence_policy, as the officer's progress says)
    assert rows["X3"][11] == "Chủ tịch X3" and rows["X3"][7:9] == (1, "1.1.1")
    assert p["J6"].number_format == "dd/mm/yyyy hh:mm"

    # -- charts: one bar chart of the index per group ------------------------------------------
    with ZipFile(path) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2 and all('<c:barDir val="bar"/>' in c for c in charts)
    # value labels (at the bars' ends, the default) in a small font, bars on a fixed pitch:
    # they no longer overlap in LibreOffice
    assert all('<c:dLbls><c:numFmt formatCode="0.00"' in c and 'sz="800"' in c for c in charts)

    event = await AuditEvent.get(action="export.consolidated")
    assert event.entity_id == str(w.period.id) and event.new_value["units"] == 6


def _assert_printing(ws: Any) -> None:
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    # one page wide (1 is the file format's default, which XlsxWriter leaves out), any height
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.oddFooter.center.text == "Trang &P/&N"


async def test_appraisers_see_their_items_officers_nothing(
    province: Province, tmp_path: Path
) -> None:
    w = province.world
    await _export(province, tmp_path / "td1.xlsx", "td1")
    detail = load_workbook(tmp_path / "td1.xlsx")["Chi tiết"]
    codes = {r[4] for r in detail.iter_rows(min_row=5, values_only=True)}
    assert codes == {"1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.2.1"}  # field 1 only
    summary = _summary_rows(tmp_path / "td1.xlsx")
    assert len(summary) == 6  # the results table itself is for every back-office role
    with pytest.raises(AccessDenied):
        await exports.consolidated(
            w.officers["lan"], w.period.id, tmp_path / "x.xlsx", now=GENERATED
        )
    with pytest.raises(exports.NotFound):
        await exports.consolidated(w.actor("viewer"), 999, tmp_path / "x.xlsx", now=GENERATED)


async def test_an_appraisers_detail_includes_fields_assigned_in_one_unit(
    province: Province, tmp_path: Path
) -> None:
    """td1 appraises field 1 everywhere and, in the Sở Nội vụ only, field 2 as well: "Chi
    tiết" shows field 2's items for that unit and for no other."""
    from scoring.models import AppraiserUnitAssignment

    w = province.world
    snv = w.sheets["SNV"]
    await AppraiserUnitAssignment.create(
        user=w.users["td1"],
        unit_id=snv.unit_id,  # type: ignore[attr-defined]
        criteria_set_id=snv.criteria_set_id,  # type: ignore[attr-defined]
        node_code="2",
    )
    await _export(province, tmp_path / "td1.xlsx", "td1")
    detail = load_workbook(tmp_path / "td1.xlsx")["Chi tiết"]
    per_unit: dict[str, set[str]] = {}
    for r in detail.iter_rows(min_row=5, values_only=True):
        per_unit.setdefault(r[2], set()).add(r[4])
    field_1 = {"1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.2.1"}
    field_2 = per_unit["SNV"] - field_1
    assert field_2 and all(code.startswith("2.") for code in field_2)
    assert all(codes == field_1 for unit, codes in per_unit.items() if unit != "SNV")
    assert len(per_unit) == 6  # every unit of the period still has its field 1 rows


async def test_published_figures_are_checked_against_the_snapshot(
    province: Province, tmp_path: Path
) -> None:
    w = province.world
    await publish(w.actor("admin"), w.period.id, now=GENERATED, force=True, reason="thử")
    export = await _export(province, tmp_path / "a.xlsx")
    ws = load_workbook(tmp_path / "a.xlsx")["Tổng hợp"]
    assert ws["A3"].value.endswith("Kết quả đã công bố ngày 22/11/2026.")
    assert ws["A4"].value is None and "differs_from_published" not in export.figures
    # a change after publication is not hidden
    await SurveyScore.filter(unit_id=w.sheets["SNV"].unit_id).update(score=Decimal(2))  # type: ignore[attr-defined]
    export = await _export(province, tmp_path / "b.xlsx")
    ws = load_workbook(tmp_path / "b.xlsx")["Tổng hợp"]
    assert ws["A4"].value.startswith("Lưu ý: dữ liệu đã thay đổi sau khi công bố")
    # SNV's survey points changed, and with them STP's rank
    assert "SNV, STP" in ws["A4"].value
    assert export.figures["differs_from_published"] == ["SNV", "STP"]


async def test_the_cycle_collector_is_left_as_it_was(province: Province, tmp_path: Path) -> None:
    """The answers are read with Python's cycle collector paused (``bench/export.py``): a
    server left without it would keep every request's reference cycles."""
    assert gc.isenabled()
    await _export(province, tmp_path / "a.xlsx")
    assert gc.isenabled()
    gc.disable()  # whoever turned it off keeps it off
    try:
        await _export(province, tmp_path / "b.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_english_and_an_empty_period(province: Province, tmp_path: Path) -> None:
    w = province.world
    path = tmp_path / "en.xlsx"
    await exports.consolidated(w.actor("viewer"), w.period.id, path, now=GENERATED, locale="en")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Summary" and wb["Summary"]["I5"].value == "Index (%)"
    # a risky evidence name never reaches this workbook, but the scorecard test covers it
    assert RISKY_NAME


def test_a_set_without_survey_bonus_or_penalty_and_a_group_without_units(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from forms.outline import Outline, OutlineNode
    from forms.rollup import Band
    from scoring.workbooks.consolidated import (
        ConsolidatedInput,
        GroupEntry,
        UnitEntry,
        write_consolidated,
    )
    from scoring.workbooks.model import AnswerRow, PeriodInfo

    cset = Outline(
        1,
        "MINI",
        "Bộ chỉ số rút gọn",
        1,
        [
            OutlineNode(1, "1", None, "field", "standard", 1, "Lĩnh vực duy nhất", Decimal(4)),
            OutlineNode(2, "1.1", "1", "item", "standard", 2, "Tiêu chí một", Decimal(2)),
            OutlineNode(3, "1.2", "1", "item", "standard", 3, "Tiêu chí hai", Decimal(2)),
        ],
    )
    row = AnswerRow(None, Decimal("1.5"), False, "", None, None, "", "", 0)
    data = ConsolidatedInput(
        period=PeriodInfo(1, "P", "Đợt thử", 2026, "open", None),
        generated_at=GENERATED,
        tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        groups=[
            GroupEntry(
                1,
                "A" * 40,  # a long group code still makes a valid sheet name
                "Khối một",
                cset,
                [Band("Đạt", Decimal(0))],
                [UnitEntry(1, "U1", "Đơn vị một", 1, "draft", None, {"1.1": row})],
            ),
            GroupEntry(2, "B", "Khối trống", cset, [], []),
        ],
    )
    stats = write_consolidated(data, tmp_path / "mini.xlsx")
    assert stats.units == 1 and stats.detail_rows == 2
    wb = load_workbook(tmp_path / "mini.xlsx")
    assert wb.sheetnames[1] == "Ma trận " + "A" * 23 and len(wb.sheetnames[1]) == 31
    ws = wb["Tổng hợp"]
    assert round(ws.column_dimensions["B"].width) == 43  # 42 characters plus padding
    unit = cells(ws, 8)
    assert unit[4:7] == ["=0", "=0", "=0"]  # no survey, bonus or penalty in this set
    assert cells(ws, 9)[:2] == ["II", "KHỐI TRỐNG"] and ws["A10"].value is None
    assert len(wb["Biểu đồ"]._charts) == 1
