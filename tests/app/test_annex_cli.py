"""``cchc criteria import`` with the decision's annex as printed: a real process and database."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from tests.app.helpers import run
from tests.forms.annexes import EXCEL_ROWS, excel_annex, word_annex


def test_word_annex_is_imported_and_the_count_printed(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    annex = tmp_path / "qd-phu-luc.docx"
    annex.write_bytes(word_annex())
    checked = run(env, "criteria", "import", str(annex), "--code", "SO-2026", "--check")
    assert checked.returncode == 0, checked.stderr
    assert "Nhận diện được 7/7 tiêu chí thành phần của phụ lục." in checked.stdout
    assert "1.1.2  Mức độ thực hiện kế hoạch: Theo tỷ lệ: trên 90%: 1 điểm; " in checked.stdout
    assert "SO-2026" not in run(env, "criteria", "show", "SO-2026").stdout  # --check stores nothing

    imported = run(
        env,
        "criteria",
        "import",
        str(annex),
        "--code",
        "SO-2026",
        "--name",
        "Bộ chỉ số CCHC các sở năm 2026",
        "--unit-kind",
        "department",
    )
    assert imported.returncode == 0, imported.stderr
    assert "Đã nhập SO-2026 v1: 13 dòng, 7 tiêu chí thành phần." in imported.stdout
    assert "1.1.1  Ban hành kế hoạch CCHC năm: Chọn một mức: Ban hành kịp thời: 1 điểm" in (
        imported.stdout
    )
    shown = run(env, "criteria", "show", "SO-2026").stdout
    assert "1.1.2  Mức độ thực hiện kế hoạch" in shown
    assert "90 < x <= 100 = 1; 70 <= x <= 90 = 0,5; 0 <= x < 70 = 0" in shown


def test_unresolved_annex_imports_nothing_and_writes_a_workbook_to_finish(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    rows = list(EXCEL_ROWS)
    rows[3] = ("1.1.2", "Tỷ lệ hoàn thành kế hoạch", 2, "Trên 90%: 2; Dưới 70%: 0", False)
    annex = tmp_path / "phu-luc.xlsx"
    annex.write_bytes(excel_annex(rows))
    out = tmp_path / "hoan-thien.xlsx"
    result = run(
        env,
        "criteria",
        "import",
        str(annex),
        "--code",
        "BNV-2026",
        "--workbook",
        str(out),
        "--lang",
        "en",
    )
    assert result.returncode == 1
    assert "Recognised 3 of 4 items of the annex." in result.stdout
    assert "Item 1.1.2 “Tỷ lệ hoàn thành kế hoạch” (printed “Trên 90%: 2; Dưới 70%: 0”)" in (
        result.stderr
    )
    assert "No tier covers the values between 70% and 90%." in result.stderr
    assert "BNV-2026" not in run(env, "criteria", "show", "BNV-2026").stdout

    sheet = load_workbook(out)["Bộ chỉ số"]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells["1.1.2"][5].value in (None, "")  # left for the secretariat to choose
    assert cells["1.1.2"][7].value == "Trên 90%: 2; Dưới 70%: 0"
    assert cells["2.1.2"][5].value == "deduction" and cells["2.1.2"][6].value == "each = 0,25"
    cells["1.1.2"][5].value = "percent_tiers"
    cells["1.1.2"][6].value = "x > 90 = 2; 70 <= x <= 90 = 1; x < 70 = 0"
    info = load_workbook(out)["Thông tin"]
    assert info["B2"].value == "BNV-2026"
    sheet.parent["Thông tin"]["B3"] = "Bộ chỉ số CCHC năm 2026"
    sheet.parent.save(out)
    finished = run(env, "criteria", "import", str(out))
    assert finished.returncode == 0, finished.stderr
    assert "Đã nhập BNV-2026 v1" in finished.stdout


def test_copy_diff_and_carry_over_from_the_command_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    old = tmp_path / "2025.xlsx"
    old.write_bytes(excel_annex())
    assert run(env, "criteria", "import", str(old), "--code", "Y-2025").returncode == 0
    copied = run(env, "criteria", "copy", "Y-2025", "Y-2026", "--name", "Bộ chỉ số năm 2026")
    assert copied.returncode == 0, copied.stderr
    assert "Đã sao chép: Y-2026 v1" in copied.stdout
    same = run(env, "criteria", "diff", "Y-2025", "Y-2026")
    assert "Không có khác biệt" in same.stdout

    rows = list(EXCEL_ROWS)
    rows[3] = ("1.1.2", "Tỷ lệ hoàn thành kế hoạch", 2, "> 95 = 2; ≥ 70 = 1; < 70 = 0", False)
    new = tmp_path / "2026.xlsx"
    new.write_bytes(excel_annex(rows))
    assert run(env, "criteria", "import", str(new), "--code", "Y-2026").returncode == 0
    diff = run(env, "criteria", "diff", "Y-2025", "Y-2026")
    assert diff.returncode == 0, diff.stderr
    assert "đổi cách tính điểm" in diff.stdout
    assert "trên 90%: 2 điểm" in diff.stdout and "trên 95%: 2 điểm" in diff.stdout
    missing = run(env, "--lang", "en", "criteria", "diff", "Y-2025", "KHONG-CO")
    assert missing.returncode == 1
    assert "There is no criteria set with the code “KHONG-CO”." in missing.stderr

    unknown = run(env, "period", "carry-over", "P1999", "P2027", "--name", "Đợt 2027",
                  "--year", "2027")  # fmt: skip
    assert unknown.returncode == 1
    assert "Không có đợt đánh giá nào có mã “P1999”." in unknown.stderr
