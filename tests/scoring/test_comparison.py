"""A period's results beside the previous period's (scoring/comparison.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoring.comparison import compare_results


def _unit(
    code: str, index: str, rank: int, fields: dict[str, tuple[str, str]], **extra: str
) -> dict[str, Any]:
    return {
        "unit_code": code,
        "unit_name": f"Sở {code}",
        "fields": [
            {"code": c, "title": title, "appraised": points}
            for c, (title, points) in fields.items()
        ],
        "appraised": {"index": index, "rank": rank, "applicable_max": "50", **extra},
    }


def _table(*units: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"units": list(units)}]


def test_index_rank_and_the_fields_that_moved_it_most() -> None:
    last_year = _table(
        _unit("SNV", "80.00", 2, {"1": ("Công tác chỉ đạo", "10"), "2": ("Cải cách TTHC", "20"),
                                  "3": ("Cải cách tổ chức", "10")}),
        _unit("STP", "90.00", 1, {"1": ("Công tác chỉ đạo", "15")}),
    )  # fmt: skip
    # This year field 2 was renumbered 3 and kept its wording; a penalty appeared.
    this_year = _table(
        _unit("SNV", "86.00", 1, {"1": ("Công tác chỉ đạo", "14"), "2": ("Cải cách tổ chức", "9"),
                                  "3": ("Cải cách TTHC", "21")}, penalty="1"),
        _unit("SXD", "70.00", 2, {"1": ("Công tác chỉ đạo", "5")}),
    )  # fmt: skip
    result = compare_results(this_year, last_year)
    snv = result["SNV"]
    assert (snv.index, snv.rank, snv.previous_index, snv.previous_rank) == (
        Decimal("86.00"), 1, Decimal("80.00"), 2,
    )  # fmt: skip
    assert snv.index_change == Decimal("6.00")
    assert [(m.code, m.title, m.change) for m in snv.moves] == [
        ("1", "Công tác chỉ đạo", Decimal(8)),  # 4 points of 50 applicable
        ("2", "Cải cách tổ chức", Decimal(-2)),
        ("3", "Cải cách TTHC", Decimal(2)),
    ]
    assert [m.code for m in compare_results(this_year, last_year, top=4)["SNV"].moves] == [
        "1", "2", "3", "T",
    ]  # fmt: skip
    newcomer = result["SXD"]
    assert (newcomer.previous_index, newcomer.previous_rank, newcomer.moves) == (None, None, ())
    assert newcomer.index_change is None and "STP" not in result
