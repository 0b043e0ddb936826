"""The one workbook writer: user text is written as text whatever it starts with, formulas carry
their cached result, and names of sheets, files and zip folders are always valid."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from zipfile import ZipFile

import pytest
from openpyxl import load_workbook

from core.xlsx import Book, Formula, Link, clean_text, is_risky, quote_sheet, roman, sheet_title
from scoring.workbooks.paths import ascii_slug, path_part

FORMULA_LIKE = [
    '=HYPERLINK("http://evil.example/x","Bấm")',
    "+1",
    "@SUM(1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
    "=",
]


def _written(
    values: list[object], styles: tuple[str | None, ...] | None = None, *, twice: bool = False
) -> bytes:
    buf = BytesIO()
    book = Book(buf)
    sheet = book.sheet("Thử", widths=[20] * len(values))
    row_styles = sheet.styles(*styles) if styles else None
    sheet.row(values, row_styles)
    if twice:
        sheet.row(values, row_styles)
    book.close()
    return buf.getvalue()


@pytest.mark.parametrize("styled", [False, True])
def test_formula_like_text_stays_text(styled: bool) -> None:
    styles = tuple("text" for _ in FORMULA_LIKE) if styled else None
    # written twice: the second time each text comes from the writer's cache of cleaned texts
    data = _written(list(FORMULA_LIKE), styles, twice=True)
    ws = load_workbook(BytesIO(data))["Thử"]
    for cell, text in zip([*ws[1], *ws[2]], FORMULA_LIKE * 2, strict=True):
        assert cell.data_type == "s", text
        assert cell.value == clean_text(text)  # a carriage return is read back as a line feed
        # the apostrophe prefix: editing the cell in Excel keeps it text
        assert cell.quotePrefix is is_risky(text), text
    # in the file itself: strings, no <f> element anywhere
    with ZipFile(BytesIO(data)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and xml.count('t="s"') == 2 * len(FORMULA_LIKE)


def test_plain_text_has_no_prefix_and_formulas_are_only_built_by_code() -> None:
    data = _written(
        ["Sở Nội vụ", Formula("=SUM(1,2)", 3), Decimal("0.25"), 3, Formula('=IF(1,"Tốt")', "Tốt")],
        ("text",) * 5,
    )
    ws = load_workbook(BytesIO(data))["Thử"]
    plain, formula, score, count, band = ws[1]
    assert plain.value == "Sở Nội vụ" and not plain.quotePrefix
    assert formula.data_type == "f" and formula.value == "=SUM(1,2)"
    assert score.data_type == "n" and score.value == 0.25
    assert count.value == 3 and band.data_type == "f"
    # a viewer that never recalculates reads the result the service computed
    cached = load_workbook(BytesIO(data), data_only=True)["Thử"]
    assert [c.value for c in cached[1]] == ["Sở Nội vụ", 3, 0.25, 3, "Tốt"]


def test_links_show_text_and_keep_risky_names_as_text() -> None:
    data = _written(
        [Link("=cmd|' /C calc'!A0", "https://x.example/api/v1/evidence/7/download")], ("link",)
    )
    cell = load_workbook(BytesIO(data))["Thử"]["A1"]
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"
    assert cell.hyperlink.target == "https://x.example/api/v1/evidence/7/download"
    assert cell.quotePrefix is True


def test_characters_xml_cannot_carry_are_dropped_not_fatal() -> None:
    assert clean_text("Báo cáo\x00\x07 năm\x1f") == "Báo cáo năm"
    assert clean_text("dòng 1\ndòng 2\tcột") == "dòng 1\ndòng 2\tcột"
    assert len(clean_text("x" * 40_000)) == 32_767
    data = _written(["Tệp\x01 lạ.pdf"], ("text",))
    assert load_workbook(BytesIO(data))["Thử"]["A1"].value == "Tệp lạ.pdf"


def test_names() -> None:
    taken: set[str] = set()
    assert sheet_title("Ma trận [SO]: a/b?", taken) == "Ma trận SO a b"
    assert sheet_title("Ma trận SO a b", taken) == "Ma trận SO a b (2)"
    assert len(sheet_title("x" * 50)) == 31
    assert quote_sheet("Ma trận O'Neil") == "'Ma trận O''Neil'"
    assert ascii_slug("Sở Nội vụ - Đợt 2026") == "so-noi-vu-dot-2026"
    assert ascii_slug("###") == "x"
    assert path_part('a/b\\c:d*e?"f<g>|h') == "a_b_c_d_e__f_g__h"
    assert path_part("..hidden. ") == "hidden"
    assert path_part("CON.txt") == "_CON.txt"
    long = path_part("Báo cáo " * 30 + ".pdf", limit=40)
    assert len(long) <= 40 and long.endswith(".pdf")
    assert [roman(n) for n in (1, 4, 9, 14, 40)] == ["I", "IV", "IX", "XIV", "XL"]
