"""The units workbook as docs/units-template.md shows it (later rows of a group leave its kind
empty), and text longer than the database takes refused with its column named."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook

from core.models import UnitKind
from core.units_workbook import (
    OFFICER_HEADERS,
    SHEET_OFFICERS,
    SHEET_UNITS,
    UNIT_HEADERS,
    UnitsImportError,
    read_units_workbook,
)


def _workbook(units: list[list[str]], officers: list[list[str]] = ()) -> bytes:  # type: ignore[assignment]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_UNITS
    ws.append(UNIT_HEADERS)
    for row in units:
        ws.append(row)
    wo = wb.create_sheet(SHEET_OFFICERS)
    wo.append(OFFICER_HEADERS)
    for row in officers:
        wo.append(row)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_later_rows_of_a_group_may_leave_its_kind_empty() -> None:
    data = _workbook(
        [
            ["SO", "Khối sở, ban, ngành", "Sở, ban, ngành", "SNV", "Sở Nội vụ", ""],
            ["SO", "", "", "STP", "Sở Tư pháp", ""],
            ["XA", "Khối xã", "", "X-001", "UBND xã An Bình", ""],
            ["XA", "", "UBND cấp xã", "X-002", "UBND xã Bình An", ""],
            ["KH", "Khác", "", "K-1", "Ban khác", ""],
        ]
    )
    units, _ = read_units_workbook(data)
    assert [(u.code, u.group_kind) for u in units] == [
        ("SNV", UnitKind.department),
        ("STP", UnitKind.department),
        ("X-001", UnitKind.commune),
        ("X-002", UnitKind.commune),
        ("K-1", UnitKind.other),
    ]


def test_two_kinds_for_one_group_are_still_refused() -> None:
    data = _workbook(
        [
            ["SO", "Khối sở", "Sở, ban, ngành", "SNV", "Sở Nội vụ", ""],
            ["SO", "", "UBND cấp xã", "STP", "Sở Tư pháp", ""],
        ]
    )
    with pytest.raises(UnitsImportError) as caught:
        read_units_workbook(data)
    assert [p.render("vi") for p in caught.value.problems] == [
        "Đơn vị, dòng 3, cột C: Khối “SO” được ghi hai loại khối khác nhau trong tệp."
    ]


def test_text_longer_than_the_database_takes_is_refused_naming_the_column() -> None:
    long = "ả" * 256
    data = _workbook(
        [["SO", long, "", "SNV", long, long]],
        [["SNV", long, long, "", "", "a" * 250 + "@x.vn"]],
    )
    with pytest.raises(UnitsImportError) as caught:
        read_units_workbook(data)
    lines = [p.render("vi") for p in caught.value.problems]
    assert lines == [
        "Đơn vị, dòng 2, cột B: Ô tên khối có 256 ký tự; chỉ chấp nhận tối đa 255 ký tự.",
        "Đơn vị, dòng 2, cột E: Ô tên đơn vị có 256 ký tự; chỉ chấp nhận tối đa 255 ký tự.",
        "Đơn vị, dòng 2, cột F: Ô địa chỉ có 256 ký tự; chỉ chấp nhận tối đa 255 ký tự.",
        "Cán bộ, dòng 2, cột B: Ô họ và tên có 256 ký tự; chỉ chấp nhận tối đa 255 ký tự.",
        "Cán bộ, dòng 2, cột C: Ô chức vụ có 256 ký tự; chỉ chấp nhận tối đa 255 ký tự.",
    ]  # the 255-character e-mail address is accepted
