"""The annex of a decision, read from Word and Excel into a checked criteria set."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forms.annex import AnnexReading, read_annex
from forms.annex_import import annex_draft, resolve
from forms.criteria_rows import CriteriaImportError
from tests.forms.annexes import EXCEL_ROWS, excel_annex, word_annex

INFO = {"code": "SO-2026", "name": "Bộ chỉ số CCHC các sở năm 2026", "unit_kind": "department"}


def _tree(reading: AnnexReading) -> list[tuple[str, str, str, str, str | None, str]]:
    return [
        (
            i.code,
            i.level,
            i.section,
            str(i.max_score),
            i.reading.rule_type if i.reading else None,
            i.reading.params if i.reading else "",
        )
        for i in reading.items
    ]


def test_word_annex_reads_hierarchy_maxima_and_rules_exactly() -> None:
    reading = read_annex(word_annex())
    assert _tree(reading) == [
        ("1", "field", "standard", "4", None, ""),
        ("1.1", "criterion", "standard", "2", None, ""),
        ("1.1.1", "item", "standard", "1", "levels",
         "Ban hành kịp thời = 1; Ban hành không kịp thời = 0,5; Không ban hành = 0"),
        ("1.1.2", "item", "standard", "1", "percent_tiers",
         "90 < x <= 100 = 1; 70 <= x <= 90 = 0,5; 0 <= x < 70 = 0"),
        ("1.2", "criterion", "standard", "2", None, ""),
        ("1.2.1", "item", "standard", "1", "levels",
         "Đủ số lượng, đúng thời hạn = 1; Không đủ số lượng hoặc không đúng thời hạn = 0"),
        ("1.2.2", "item", "standard", "1", "points", ""),
        ("X", "field", "survey", "3", None, ""),
        ("X.1", "item", "survey", "3", "survey", ""),
        ("C", "field", "bonus", "1", None, ""),
        ("C.1", "item", "bonus", "1", "count", "each = 0,5"),
        ("T", "field", "penalty", "2", None, ""),
        ("T.1", "item", "penalty", "2", "count", "each = 0,5"),
    ]  # fmt: skip
    assert reading.total_max == Decimal(7)
    assert len(reading.recognised) == 7 and reading.unresolved == []
    by_code = {i.code: i for i in reading.items}
    assert by_code["1.1.1"].evidence == "Kế hoạch CCHC năm"
    assert by_code["1.1.2"].evidence == ""  # continuation of the merged cell, not a copy
    assert by_code["1.1"].printed_number == "1" and by_code["1.1.1"].printed_number == "a)"
    draft = annex_draft(reading, INFO)
    assert draft.total_max == Decimal(7)
    assert (draft.bonus_cap, draft.penalty_cap) == (Decimal(1), Decimal(2))
    assert [n.code for n in draft.nodes] == [i.code for i in reading.items]
    assert draft.nodes[2].guidance.startswith("Ban hành kịp thời: 1\n")


def test_excel_annex_without_diacritics_in_the_header() -> None:
    reading = read_annex(excel_annex())
    assert _tree(reading) == [
        ("1", "field", "standard", "3", None, ""),
        ("1.1", "criterion", "standard", "3", None, ""),
        ("1.1.1", "item", "standard", "1", "yes_no", ""),
        ("1.1.2", "item", "standard", "2", "percent_tiers",
         "90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0"),
        ("2", "field", "standard", "2", None, ""),
        ("2.1", "criterion", "standard", "2", None, ""),
        ("2.1.1", "item", "standard", "0.5", "yes_no", ""),
        ("2.1.2", "item", "standard", "1.5", "deduction", "each = 0,25"),
    ]  # fmt: skip
    assert reading.total_max == Decimal(5)
    draft = annex_draft(reading, {**INFO, "code": "BNV-2026"})
    assert sum(1 for n in draft.nodes if n.level == "item") == 4


@pytest.mark.parametrize("build", [word_annex, excel_annex])
def test_the_same_table_in_both_formats_gives_the_same_rules(build: object) -> None:
    rows: list[tuple[str, str, object, str, bool]] = [
        ("I", "CÔNG TÁC CHỈ ĐẠO", "1", "", True),
        ("1", "Kế hoạch", "1", "", False),
        ("1.1", "Ban hành kế hoạch", "1", "Đạt 100% kế hoạch: 1; Dưới 100%: 0", False),
    ]
    if build is word_annex:
        reading = read_annex(word_annex([(r[0], r[1], str(r[2]), r[3], "", r[4]) for r in rows]))
    else:
        reading = read_annex(excel_annex(rows))
    assert _tree(reading)[2] == (
        "1.1.1", "item", "standard", "1", "percent_tiers",
        "100 <= x <= 100 = 1; 0 <= x < 100 = 0",
    )  # fmt: skip


def test_unrecognised_items_block_the_import_until_resolved() -> None:
    rows = list(EXCEL_ROWS)
    rows[2] = ("1.1.1", "Ban hành kế hoạch CCHC", 1, "Đánh giá theo thực tế", False)
    rows[3] = ("1.1.2", "Tỷ lệ hoàn thành kế hoạch", 2, "Trên 90%: 2; Dưới 70%: 0", False)
    reading = read_annex(excel_annex(rows))
    assert [i.code for i in reading.unresolved] == ["1.1.1", "1.1.2"]
    assert len(reading.recognised) == 2
    with pytest.raises(CriteriaImportError) as caught:
        annex_draft(reading, INFO)
    text = caught.value.render("vi")
    assert "1.1.1 “Ban hành kế hoạch CCHC” (văn bản ghi “Đánh giá theo thực tế”)" in text
    assert "không nhận ra" in text
    assert "từ 70% đến 90%" in text  # the gap, named

    half = resolve(reading, {"1.1.1": ("yes_no", ""), "1.1.2": ("percent_tiers", "x > 90 = 2")})
    assert [i.code for i in half.unresolved] == ["1.1.2"]
    with pytest.raises(CriteriaImportError):
        annex_draft(half, INFO)

    done = resolve(half, {"1.1.2": ("percent_tiers", "x > 90 = 2; 70 <= x <= 90 = 1; x < 70 = 0")})
    assert done.unresolved == []
    draft = annex_draft(done, INFO)
    assert [n.rule_type for n in draft.nodes if n.level == "item"][:2] == [
        "yes_no",
        "percent_tiers",
    ]


def test_a_file_without_the_annex_table_is_refused_with_the_columns_it_needs() -> None:
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Họ tên", "Đơn vị"])
    buf = BytesIO()
    wb.save(buf)
    with pytest.raises(CriteriaImportError) as caught:
        read_annex(buf.getvalue())
    assert "Điểm tối đa" in caught.value.render("vi")
    with pytest.raises(CriteriaImportError) as caught:
        read_annex(b"not a zip at all")
    assert "Word" in caught.value.render("vi")


def test_part_headings_above_the_fields_are_not_nodes() -> None:
    rows = [
        ("A", "ĐIỂM TỰ ĐÁNH GIÁ", "2", "", "", True),
        ("I", "CÔNG TÁC CHỈ ĐẠO", "2", "", "", True),
        ("1", "Kế hoạch CCHC", "2", "", "", False),
        ("1.1", "Ban hành kế hoạch", "1", "Có: 1; Không: 0", "", False),
        ("1.2", "Thực hiện kế hoạch", "1", "Đạt 100%: 1; Dưới 100%: 0", "", False),
        ("B", "ĐIỂM THƯỞNG", "1", "", "", True),
        ("1", "Sáng kiến được công nhận", "1", "Mỗi sáng kiến được 0,5 điểm", "", False),
        ("", "Phần thứ ba. ĐIỂM TRỪ", "1", "", "", True),
        ("1", "Bị phê bình", "1", "Bị phê bình bằng văn bản: trừ 1 điểm", "", False),
    ]
    reading = read_annex(word_annex(rows))
    assert [(i.code, i.level, i.section, i.reading.rule_type if i.reading else None)
            for i in reading.items] == [
        ("1", "field", "standard", None),
        ("1.1", "criterion", "standard", None),
        ("1.1.1", "item", "standard", "yes_no"),
        ("1.1.2", "item", "standard", "percent_tiers"),
        ("C", "field", "bonus", None),
        ("C.1", "item", "bonus", "count"),
        ("T", "field", "penalty", None),
        ("T.1", "item", "penalty", "yes_no"),
    ]  # fmt: skip


def test_bad_set_details_are_named_without_a_sheet_position() -> None:
    with pytest.raises(CriteriaImportError) as caught:
        annex_draft(read_annex(excel_annex()), {**INFO, "code": "SỞ NỘI VỤ"})
    lines = caught.value.render("vi").splitlines()
    assert len(lines) == 2 and lines[1].startswith(
        "- Mã “SỞ NỘI VỤ” chỉ được gồm chữ cái không dấu"
    )
    assert "Thông tin" not in lines[1]


def test_unnumbered_bold_rows_are_fields_in_excel() -> None:
    rows: list[tuple[str, str, object, str, bool]] = [
        ("", "Công tác chỉ đạo, điều hành", 2, "", True),  # bold, not in capitals
        ("1", "Kế hoạch CCHC", 2, "", False),
        ("1.1", "Ban hành kế hoạch", 2, "", False),
        ("", "Ban hành đúng hạn", 2, "", False),  # plain rows: the item's options
        ("", "Ban hành muộn", 1, "", False),
        ("", "Không ban hành", 0, "", False),
    ]
    rows_all = [*rows, ("", "Cải cách thủ tục hành chính", 3, "", True),
                ("1", "Công khai TTHC", 3, "", False),
                ("1.1", "Công khai đầy đủ", 3, "Đạt/Không đạt", False)]  # fmt: skip
    reading = read_annex(excel_annex(rows_all))
    assert [(i.code, i.level, i.reading.params if i.reading else "") for i in reading.items] == [
        ("1", "field", ""),
        ("1.1", "criterion", ""),
        ("1.1.1", "item", "Ban hành đúng hạn = 2; Ban hành muộn = 1; Không ban hành = 0"),
        ("2", "field", ""),
        ("2.1", "criterion", ""),
        ("2.1.1", "item", ""),
    ]


def test_word_automatic_numbering_gives_the_hierarchy() -> None:
    """Numbered with Word's list button, the STT column holds no text at all."""
    from tests.forms.annexes import with_word_lists

    rows = [
        ("#5:0#", "CÔNG TÁC CHỈ ĐẠO", "2", "", "", True),
        ("#6:0#", "Kế hoạch CCHC", "2", "", "", False),
        ("#7:0#", "Ban hành kế hoạch", "1", "", "", False),
        ("", "#1:0#Ban hành kịp thời", "1", "", "", False),  # bulleted option lines
        ("", "#1:0#Không ban hành", "0", "", "", False),
        ("#7:0#", "Thực hiện kế hoạch", "1", "Đạt 100%: 1; Dưới 100%: 0", "", False),
        ("#5:0#", "CẢI CÁCH TTHC", "1", "", "", True),
        ("#6:0#", "Công khai TTHC", "1", "", "", False),
        ("#7:0#", "Công khai đầy đủ", "1", "Có: 1; Không: 0", "", False),
    ]
    data = word_annex(rows)
    reading = read_annex(with_word_lists(data))
    assert reading.items[2].reading is not None
    assert reading.items[2].reading.params == "Ban hành kịp thời = 1; Không ban hành = 0"
    assert [(i.code, i.level, i.printed_number) for i in reading.items] == [
        ("1", "field", "1."),
        ("1.1", "criterion", "1."),
        ("1.1.1", "item", "1."),
        ("1.1.2", "item", "2."),
        ("2", "field", "2."),
        ("2.1", "criterion", "2."),
        ("2.1.1", "item", "3."),
    ]


def test_a_two_row_header_is_read() -> None:
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["TT", "Lĩnh vực/Tiêu chí", "Điểm", None, "Hướng dẫn chấm điểm"])
    ws.merge_cells("C1:D1")
    ws.append([None, None, "Tối đa", "Tự chấm", None])
    ws.append(["1", "CÔNG TÁC CHỈ ĐẠO", 1, None, None])
    ws.append(["1.1", "Kế hoạch", 1, None, None])
    ws.append(["1.1.1", "Ban hành kế hoạch", 1, None, "Có: 1; Không: 0"])
    buf = BytesIO()
    wb.save(buf)
    reading = read_annex(buf.getvalue())
    assert [(i.code, str(i.max_score)) for i in reading.items] == [
        ("1", "1"),
        ("1.1", "1"),
        ("1.1.1", "1"),
    ]
    assert reading.unresolved == []
