"""Last year's set against this year's: pairs, changes, and a copy to start from."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.audit import Actor
from core.i18n import UserError
from core.models import Channel
from forms.annex import read_annex
from forms.annex_import import annex_draft
from forms.criteria import freeze, get_set, import_draft, load_draft
from forms.criteria_copy import copy_set
from forms.criteria_diff import diff_sets
from forms.criteria_rows import CriteriaDraft
from tests.forms.annexes import EXCEL_ROWS, excel_annex

ACTOR = Actor.system(Channel.cli, "test")
INFO = {"name": "Bộ chỉ số CCHC", "unit_kind": "department"}


def _set(code: str, rows: list[tuple[str, str, object, str, bool]]) -> CriteriaDraft:
    return annex_draft(read_annex(excel_annex(rows)), {**INFO, "code": code})


def _this_year() -> list[tuple[str, str, object, str, bool]]:
    rows = list(EXCEL_ROWS)
    rows[2] = ("1.1.1", "Ban hành kế hoạch CCHC năm", 1, "Có: 1; Không: 0", False)
    rows[3] = ("1.1.2", "Tỷ lệ hoàn thành kế hoạch", 2, "> 95 = 2; ≥ 70 = 1; < 70 = 0", False)
    rows[6] = ("2.1.1", "Hồ sơ giải quyết trễ hạn", 1.5, "Mỗi hồ sơ trễ hạn bị trừ 0,25 điểm",
               False)  # fmt: skip
    rows[7] = ("2.1.2", "Số hóa hồ sơ, kết quả giải quyết TTHC", 0.5, "Có: 0,5; Không: 0", False)
    return rows


def test_diff_names_added_removed_renamed_renumbered_and_changed_rules() -> None:
    changes = diff_sets(_set("SO-2025", EXCEL_ROWS), _set("SO-2026", _this_year()))
    assert [(d.old.code if d.old else None, d.new.code if d.new else None, d.changes)
            for d in changes] == [
        ("1.1.1", "1.1.1", ("renamed",)),
        ("1.1.2", "1.1.2", ("rule",)),
        ("2.1.2", "2.1.1", ("renumbered",)),
        (None, "2.1.2", ("added",)),
        ("2.1.1", None, ("removed",)),
    ]  # fmt: skip
    assert diff_sets(_set("A", EXCEL_ROWS), _set("B", EXCEL_ROWS)) == []


async def test_copy_starts_a_new_set_from_last_year(db: str) -> None:
    await import_draft(ACTOR, _set("SO-2025", EXCEL_ROWS))
    await freeze(ACTOR, await get_set("SO-2025"))
    copy = await copy_set(ACTOR, "SO-2025", "SO-2026", "Bộ chỉ số CCHC các sở năm 2026")
    assert (copy.code, copy.version, copy.frozen_at) == ("SO-2026", 1, None)
    old, new = await load_draft(await get_set("SO-2025")), await load_draft(copy)
    assert diff_sets(old, new) == []
    assert new.name == "Bộ chỉ số CCHC các sở năm 2026" and new.total_max == Decimal(5)
    with pytest.raises(UserError) as caught:
        await copy_set(ACTOR, "SO-2025", "SO-2026", "Lần hai")
    assert "đã được dùng" in caught.value.render("vi")
    with pytest.raises(UserError) as caught:
        await copy_set(ACTOR, "SO-2025", "SỞ 2027", "Có dấu")
    assert "chữ không dấu" in caught.value.render("vi")


def test_a_stored_set_is_edited_through_the_review_rows() -> None:
    from forms.annex_import import resolve
    from forms.criteria_edit import apply_reading, reading_of
    from forms.criteria_rows import CriteriaImportError

    draft = _set("SO-2026", EXCEL_ROWS)
    reading = reading_of(draft)
    assert reading.unresolved == [] and len(reading.recognised) == 4
    changed = resolve(reading, {"1.1.2": ("percent_tiers", "x >= 80 = 2; x < 80 = 0")})
    edited = apply_reading(draft, changed)
    assert [(d.new.code, d.changes) for d in diff_sets(draft, edited) if d.new] == [
        ("1.1.2", ("rule",))
    ]
    assert next(n for n in edited.nodes if n.code == "1.1.2").rule_params == (
        "80 <= x <= 100 = 2; 0 <= x < 80 = 0"
    )
    gap = resolve(reading, {"1.1.2": ("percent_tiers", "x >= 80 = 2")})
    assert [i.code for i in gap.unresolved] == ["1.1.2"]
    wrong = resolve(reading, {"1.1.1": ("survey", "")})  # survey outside its section
    with pytest.raises(CriteriaImportError):
        apply_reading(draft, wrong)


def test_editing_rules_keeps_every_other_column() -> None:
    from forms.annex_import import resolve
    from forms.criteria_edit import apply_reading, reading_of
    from forms.criteria_workbook import read_workbook
    from tests.factories import workbook_bytes

    draft = read_workbook(workbook_bytes())
    edited = apply_reading(draft, resolve(reading_of(draft), {"1.1.2": ("yes_no", "")}))
    before = {n.code: n for n in draft.nodes}
    for node in edited.nodes:
        assert node == before[node.code] or node.code == "1.1.2"
    assert any(n.evidence_required for n in edited.nodes)
    assert any(n.na_allowed for n in edited.nodes)
