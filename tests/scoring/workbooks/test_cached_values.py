"""Every formula of every exported workbook carries its result: a phone or mail preview (or
openpyxl with ``data_only=True``), which never recalculates, shows the same figures as the
results API, and the same figures LibreOffice computes when it recalculates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from forms.models import Period
from scoring import exports
from scoring.results import results
from tests.scoring.workbooks.conftest import Province
from tests.scoring.workbooks.test_consolidated import (
    _assert_equal_to_service,
    _d,
    _formula_values,
    _matrix_fields,
)

GENERATED = datetime(2026, 11, 22, 2, 30, tzinfo=UTC)


async def _export(province: Province, path: Path) -> None:
    w = province.world
    await exports.consolidated(w.actor("admin"), w.period.id, path, now=GENERATED)


async def test_every_formula_of_the_consolidated_workbook_holds_the_results_api_figure(
    province: Province, tmp_path: Path
) -> None:
    w = province.world
    admin = w.actor("admin")
    for options in (
        None,
        {
            "cap_index_at_100": True,
            "bonus_in_index": False,
            "bonus_cap": "1.5",
            "penalty_cap": "0.5",
        },
    ):
        if options is not None:
            await Period.filter(id=w.period.id).update(index_options=options)
        path = tmp_path / f"{'b' if options else 'a'}.xlsx"
        await _export(province, path)
        tables = await results(admin, w.period.id)

        # no formula is left without its value: every unit here has applicable items, so even
        # the index, rank and band formulas have a result
        cached = _formula_values(path)
        assert len(cached) > 100
        empty = [key for key, value in cached.items() if value is None or value == ""]
        assert empty == []

        # the summary, read without recalculating, equals the results API, unit by unit
        assert _assert_equal_to_service(path, tables) == 6
        # and so do the field totals and component indexes of the matrix
        fields = _matrix_fields(path, "Ma trận SO")
        for unit in tables[0]["units"]:
            row = fields[unit["unit_code"]]
            f1, f2 = unit["fields"]
            assert (_d(row[7]), _d(row[8])) == (_d(f1["self"]), _d(f1["appraised"]))
            assert _d(row[10]) == _d(f1["appraised_index"])
            assert (_d(row[13]), _d(row[14])) == (_d(f2["self"]), _d(f2["appraised"]))
            assert _d(row[16]) == _d(f2["appraised_index"])


async def test_the_matrix_caps_bonus_and_penalty_as_the_summary_does(
    province: Province, tmp_path: Path
) -> None:
    """Commune X1 declared 3 initiatives (bonus worth more than the group's maximum): the
    matrix's bonus total is capped like the summary's and the results' (docs/scoring.md)."""
    w = province.world
    path = tmp_path / "a.xlsx"
    await _export(province, path)
    tables = await results(w.actor("admin"), w.period.id)
    x1 = next(u for u in tables[1]["units"] if u["unit_code"] == "X1")["appraised"]
    ws = load_workbook(path, data_only=True)["Ma trận XA"]
    formulas = load_workbook(path)["Ma trận XA"]
    header = [c.value for c in ws[4]]
    bonus_col = next(i for i, v in enumerate(header) if v and str(v).startswith("C."))
    row = next(r for r in ws.iter_rows(min_row=7) if r[1].value == "X1")
    # the block's total (self, appraised) sits two columns after the last bonus item pair
    totals = [c for c in row[bonus_col:] if formulas[c.coordinate].data_type == "f"][:2]
    assert all(formulas[c.coordinate].value.startswith("=MIN(") for c in totals)
    assert [_d(c.value) for c in totals] == [_d(x1["bonus"]), _d(x1["bonus"])]
    maximum = Decimal(str(header[bonus_col]).split("tối đa ")[1].rstrip(")").replace(",", "."))
    assert all(_d(c.value) <= maximum for c in totals)


async def test_the_progress_workbook_shows_its_shares_without_recalculation(
    province: Province, tmp_path: Path
) -> None:
    w = province.world
    path = tmp_path / "p.xlsx"
    export = await exports.progress_workbook(w.actor("viewer"), w.period.id, path, now=GENERATED)
    assert export.figures["units"] == 6 and export.figures["submitted"] == 4
    cached = _formula_values(path)
    assert cached and all(v not in (None, "") for v in cached.values())
    ws = load_workbook(path, data_only=True)["Tiến độ"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=6, values_only=True) if isinstance(r[0], int)}
    assert rows["SYT"][3:8] == ("Đang tự đánh giá", 2, 9, 22.22, 1)
    assert rows["SYT"][11] == "Chưa đến hạn" or rows["SYT"][11] == "Quá hạn, chưa gửi"
    assert rows["SNV"][11] == "Đúng hạn"
    totals = [r for r in ws.iter_rows(min_row=6, values_only=True) if r[2] == "Cộng khối"]
    assert [t[3] for t in totals] == ["2/3", "2/3"]
    departments = [r for r in rows.values() if r[1] in ("SNV", "STP", "SYT")]
    assert totals[0][4] == sum(r[4] for r in departments)
