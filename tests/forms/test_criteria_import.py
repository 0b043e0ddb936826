"""The criteria workbook: template, all-or-nothing import with every problem, round trip."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.audit import Actor
from core.models import AuditEvent, Channel
from forms.criteria import freeze, get_set, import_draft, load_draft
from forms.criteria_rows import SHEET_INFO, SHEET_NODES, CriteriaImportError
from forms.criteria_workbook import export_bytes, read_workbook, template_bytes
from forms.models import CriteriaNode, CriteriaSet
from tests.factories import ROWS, workbook_bytes

ACTOR = Actor.system(Channel.cli, "test")


def _replace(target: str, /, **changes: str) -> list[tuple[str, ...]]:
    """ROWS with one row's cells changed by column key."""
    keys = [
        "code",
        "level",
        "section",
        "title",
        "max_score",
        "rule_type",
        "rule_params",
        "guidance",
        "evidence",
        "evidence_required",
        "appraising_agency",
        "na_allowed",
    ]
    out = []
    for row in ROWS:
        if row[0] == target:
            cells = dict(zip(keys, row, strict=True))
            cells.update(changes)
            row = tuple(cells[k] for k in keys)
        out.append(row)
    return out


def test_template_has_annotated_sheets_and_rule_dropdown() -> None:
    wb = load_workbook(BytesIO(template_bytes()))
    assert {SHEET_INFO, SHEET_NODES, "Hướng dẫn"} <= set(wb.sheetnames)
    ws = wb[SHEET_NODES]
    assert [c.value for c in ws[1]][:5] == ["Mã", "Cấp", "Phần", "Nội dung", "Điểm tối đa"]
    rule_lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("percent_tiers" in f and "deduction" in f for f in rule_lists)
    assert ws["F1"].comment is not None and "yes_no" in ws["F1"].comment.text


def test_valid_workbook_reads_into_a_checked_tree() -> None:
    draft = read_workbook(workbook_bytes())
    codes = [n.code for n in draft.nodes]
    assert codes[:3] == ["1", "1.1", "1.1.1"]
    by_code = {n.code: n for n in draft.nodes}
    assert by_code["1.1.1"].parent_code == "1.1"
    assert by_code["X.1"].section == "survey"
    assert by_code["C.1"].parent_code == "C"
    assert by_code["1.1.4"].na_allowed is True
    assert draft.total_max == Decimal(10)
    assert draft.issue_date is not None and draft.issue_date.isoformat() == "2019-11-27"


async def test_import_then_export_then_import_gives_the_same_set(db: str) -> None:
    first = await import_draft(ACTOR, read_workbook(workbook_bytes()))
    original = await load_draft(first)
    await freeze(ACTOR, first)
    second = await import_draft(ACTOR, read_workbook(export_bytes(original)))
    assert second.version == 2, "a frozen set is never overwritten"
    again = await load_draft(second)
    assert again == original
    assert [n.rule for n in again.nodes] == [n.rule for n in original.nodes]


async def test_reimport_of_unfrozen_set_replaces_it(db: str) -> None:
    await import_draft(ACTOR, read_workbook(workbook_bytes()))
    changed = _replace("1.1.2", title="Xác định nhiệm vụ, kinh phí")
    cset = await import_draft(ACTOR, read_workbook(workbook_bytes(changed)))
    assert cset.version == 1
    assert await CriteriaSet.all().count() == 1
    node = await CriteriaNode.get(criteria_set=cset, code="1.1.2")
    assert node.title == "Xác định nhiệm vụ, kinh phí"
    actions = await AuditEvent.all().values_list("action", flat=True)
    assert actions == ["criteria_set.import", "criteria_set.replace"]


def _problems(data: bytes) -> list[str]:
    with pytest.raises(CriteriaImportError) as info:
        read_workbook(data)
    return [p.render("en") for p in info.value.problems]


def test_every_problem_is_listed_with_row_and_column() -> None:
    rows = list(ROWS)
    rows[3] = _replace("1.1.2", code="1.1.1")[3]  # duplicate code
    rows.append(
        (
            "9.9.9",
            "Tiêu chí thành phần",
            "Tự đánh giá",
            "Mồ côi",
            "1",
            "yes_no",
            "",
            "",
            "",
            "Không",
            "",
            "Không",
        )
    )  # orphan
    rows.append(("1.x", "Tiêu chí", "Tự đánh giá", "Sai mã", "1"))  # malformed code
    rows.append(
        (
            "2.1.2",
            "Tiêu chí thành phần",
            "Tự đánh giá",
            "Không rõ",
            "1",
            "magic",
            "",
            "",
            "",
            "Không",
            "",
            "Không",
        )
    )  # unknown rule
    rows.append(
        (
            "2.1.3",
            "Tiêu chí thành phần",
            "Tự đánh giá",
            "Âm",
            "-1",
            "yes_no",
            "",
            "",
            "",
            "Không",
            "",
            "Không",
        )
    )  # negative
    rows.append(
        (
            "2.1.4",
            "Tiêu chí thành phần",
            "Tự đánh giá",
            "Chồng lấn",
            "2",
            "percent_tiers",
            "80 <= x <= 100 = 2; 0 <= x <= 80 = 1",
            "",
            "",
            "Không",
            "",
            "Không",
        )
    )  # overlapping tiers
    rows.append(
        (
            "2.1.5",
            "Tiêu chí thành phần",
            "Tự đánh giá",
            "Hở",
            "2",
            "percent_tiers",
            "90 < x <= 100 = 2; 0 <= x < 90 = 0,5",
            "",
            "",
            "Không",
            "",
            "Không",
        )
    )
    problems = _problems(workbook_bytes(rows, info={"total_max": "12"}))
    text = "\n".join(problems)
    assert "row 5, column A" in text and "duplicated" in text
    assert "orphan" in text and "9.9" in text
    assert "“1.X” is malformed" in text
    assert "Unknown scoring rule “magic”" in text
    assert "cannot be negative" in text
    assert "overlap" in text.lower()
    assert "90" in text and (
        "gap" in text.lower() or "no tier" in text.lower() or "not covered" in text.lower()
    )
    # the fields no longer reach the declared total of 12
    assert any(p.startswith(SHEET_INFO) and "declared total maximum" in p for p in problems)
    assert len(problems) >= 10


def test_problems_are_in_vietnamese_by_default() -> None:
    rows = _replace("1.1.2", max_score="abc")
    with pytest.raises(CriteriaImportError) as info:
        read_workbook(workbook_bytes(rows))
    text = info.value.render("vi")
    assert "không phải là một số" in text
    assert "dòng 5, cột E" in text
    assert "không nhập" in text.lower()


def test_items_not_adding_up_to_criterion_is_refused() -> None:
    problems = _problems(
        workbook_bytes(
            _replace("1.1.5", max_score="0,5", rule_params="step = 0,25"), info={"total_max": "10"}
        )
    )
    assert any("“1.1”" in p and "5" in p and "add up to 5,25" in p for p in problems)


def test_not_an_excel_file_is_refused_clearly() -> None:
    problems = _problems(b"%PDF-1.4 this is not a workbook")
    assert problems == ["The file is not a valid Excel workbook (.xlsx)."]


async def test_a_refused_file_imports_nothing(db: str) -> None:
    rows = _replace("1.1.3", rule_params="90 < x <= 100 = 3")
    with pytest.raises(CriteriaImportError):
        await import_draft(ACTOR, read_workbook(workbook_bytes(rows)))
    assert await CriteriaSet.all().count() == 0
    assert await CriteriaNode.all().count() == 0


async def test_get_set_unknown_code_says_so(db: str) -> None:
    with pytest.raises(Exception) as info:
        await get_set("NOPE")
    assert "NOPE" in str(info.value)


def test_bonus_and_penalty_items_count_up_only() -> None:
    rows = _replace("C.1", rule_type="deduction", rule_params="each = 1")
    problems = _problems(workbook_bytes(rows))
    assert any("“deduction” cannot be used in the section “Điểm cộng”" in p for p in problems)


def test_rule_type_is_read_whatever_its_case() -> None:
    draft = read_workbook(workbook_bytes(_replace("1.1.2", rule_type="Yes_No")))
    assert next(n for n in draft.nodes if n.code == "1.1.2").rule_type == "yes_no"


def test_scores_finer_than_the_database_keeps_are_refused() -> None:
    problems = _problems(workbook_bytes(_replace("1.1.5", max_score="0,25001")))
    assert any("row 8, column E" in p and "more than 4 decimals" in p for p in problems)


def test_info_problems_point_at_the_row_actually_used() -> None:
    data = workbook_bytes(info={"total_max": "abc"})
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET_INFO]
    ws.insert_rows(2, amount=3)  # a secretary added notes above the values
    buf = BytesIO()
    wb.save(buf)
    problems = _problems(buf.getvalue())
    assert any(p.startswith(f"{SHEET_INFO}, row 11, column B") for p in problems), problems
