"""Units and officers workbook: all or nothing, every problem listed, re-import is harmless."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.audit import Actor
from core.models import Channel, Officer, OfficerRole, Unit, UnitGroup, UnitKind
from core.units import import_units
from core.units_workbook import (
    SHEET_OFFICERS,
    SHEET_UNITS,
    UnitsImportError,
    read_units_workbook,
    template_bytes,
)

ACTOR = Actor.system(Channel.cli, "test")

UNITS = [
    ("SO", "Khối sở, ban, ngành", "Sở, ban, ngành", "SNV", "Sở Nội vụ", "Số 1 đường Hùng Vương"),
    ("SO", "Khối sở, ban, ngành", "Sở, ban, ngành", "STP", "Sở Tư pháp", ""),
    ("XA", "Khối UBND xã, phường", "UBND cấp xã", "XA-AP", "UBND xã An Phú", ""),
]
OFFICERS = [
    ("SNV", "Nguyễn Thị Lan", "Chuyên viên", "Đầu mối", "0912 345 678", "lan@example.gov.vn"),
    ("SNV", "Trần Văn Hùng", "Giám đốc Sở", "Lãnh đạo", "", ""),
    ("XA-AP", "Lê Minh Tâm", "Công chức Văn phòng", "Đầu mối", "", ""),
]


def _workbook(units: list[tuple[str, ...]], officers: list[tuple[str, ...]]) -> bytes:
    wb = load_workbook(BytesIO(template_bytes()))
    for row in units:
        wb[SHEET_UNITS].append(list(row))
    for row in officers:
        wb[SHEET_OFFICERS].append(list(row))
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_import_creates_groups_units_and_officers(db: str) -> None:
    units, officers = read_units_workbook(_workbook(UNITS, OFFICERS))
    summary = await import_units(ACTOR, units, officers)
    assert (summary.groups_created, summary.units_created, summary.officers_created) == (2, 3, 3)
    xa = await UnitGroup.get(code="XA")
    assert xa.kind == UnitKind.commune
    leader = await Officer.get(full_name="Trần Văn Hùng").prefetch_related("unit")
    assert leader.role == OfficerRole.leader and leader.unit.code == "SNV"


async def test_reimport_changes_only_what_changed(db: str) -> None:
    units, officers = read_units_workbook(_workbook(UNITS, OFFICERS))
    await import_units(ACTOR, units, officers)
    renamed = [*UNITS[:2], (*UNITS[2][:4], "UBND phường An Phú", "")]
    units, officers = read_units_workbook(_workbook(renamed, OFFICERS))
    summary = await import_units(ACTOR, units, officers)
    assert (summary.units_created, summary.units_updated, summary.officers_created) == (0, 1, 0)
    assert (await Unit.get(code="XA-AP")).name == "UBND phường An Phú"
    assert await Officer.all().count() == 3


async def test_bad_rows_are_all_listed_and_nothing_is_stored(db: str) -> None:
    units = [
        *UNITS,
        ("SO", "Khối sở, ban, ngành", "Sở, ban, ngành", "SNV", "Trùng mã", ""),
        ("SO", "", "Ngân hàng", "BAD CODE!", "", ""),
    ]
    officers = [
        *OFFICERS,
        ("NOPE", "Người lạ", "", "Đầu mối", "", ""),
        ("SNV", "Phạm Thu", "", "Thư ký", "abc", "not-an-email"),
    ]
    with pytest.raises(UnitsImportError) as info:
        read_units_workbook(_workbook(units, officers))
    text = info.value.render("en")
    for fragment in (
        "duplicated",
        "BAD CODE!",
        "Ngân hàng",
        "unit name is empty",
        "NOPE",
        "Thư ký",
        "not a phone number",
        "not an e-mail address",
    ):
        assert fragment in text, fragment
    assert "row 5, column D" in text  # the duplicate SNV
    assert await Unit.all().count() == 0


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    with pytest.raises(UnitsImportError) as info:
        read_units_workbook(b"\x00\x01 garbage")
    assert "not a valid Excel workbook" in info.value.render("en")


async def test_group_rename_is_applied_and_names_compare_in_one_unicode_form(db: str) -> None:
    units, officers = read_units_workbook(_workbook(UNITS, OFFICERS))
    await import_units(ACTOR, units, officers)
    renamed = [("SO", "Khối cơ quan chuyên môn", *row[2:]) for row in UNITS[:2]]
    decomposed = [(OFFICERS[0][0], unicodedata.normalize("NFD", OFFICERS[0][1]), *OFFICERS[0][2:])]
    units, officers = read_units_workbook(_workbook(renamed, decomposed))
    summary = await import_units(ACTOR, units, officers)
    assert summary.groups_updated == 1 and summary.officers_created == 0
    assert (await UnitGroup.get(code="SO")).name == "Khối cơ quan chuyên môn"


def test_an_officer_listed_twice_is_reported() -> None:
    with pytest.raises(UnitsImportError) as info:
        read_units_workbook(_workbook(UNITS, [*OFFICERS, OFFICERS[0]]))
    assert "listed twice (also in row 2)" in info.value.render("en")
