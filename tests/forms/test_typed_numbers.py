"""Issue 14 item 6: what an officer types for a number, read the same by chat, web and API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forms.rules import (
    DeclaredValueError,
    check_declared,
    describe,
    parse_declared,
    parse_rule,
)

COUNT = parse_rule("count", "each = 0,5; cap = 2", Decimal(2))
PERCENT = parse_rule("percent_tiers", "90 < x <= 100 = 2; 0 <= x <= 90 = 0", Decimal(2))
VIOLATIONS = parse_rule("deduction", "each = 0,5", Decimal(1))


@pytest.mark.parametrize(
    ("text", "count"),
    [("3 sáng kiến", 3), ("3 sang kien", 3), ("12 văn bản", 12)],
)
def test_a_count_typed_with_its_unit(text: str, count: int) -> None:
    assert parse_declared(COUNT, text) == {"count": count}


@pytest.mark.parametrize("text", ["3 nghìn", "2 triệu", "3 sáng kiến 4", "3 ١", "3 2"])
def test_a_count_with_an_ambiguous_word_is_refused(text: str) -> None:
    with pytest.raises(DeclaredValueError):
        parse_declared(COUNT, text)


def test_plausible_upper_bounds_per_rule_type() -> None:
    with pytest.raises(DeclaredValueError) as info:
        parse_declared(COUNT, "100001")
    assert info.value.render("vi") == "Số lượng không được lớn hơn 100.000."
    assert parse_declared(COUNT, "100000") == {"count": 100000}
    with pytest.raises(DeclaredValueError) as info:
        parse_declared(VIOLATIONS, "200000")
    assert info.value.render("vi") == "Số vi phạm không được lớn hơn 100.000."
    with pytest.raises(DeclaredValueError) as info:
        parse_declared(PERCENT, "5/2000000000")
    assert "không được lớn hơn 1.000.000.000" in info.value.render("vi")
    with pytest.raises(DeclaredValueError) as info:
        parse_declared(PERCENT, "95," + "1" * 21)
    assert "có quá 4 chữ số thập phân" in info.value.render("vi")


def test_values_sent_by_the_api_are_held_to_the_same_bounds() -> None:
    for value in (
        {"count": "99999999999999999999"},
        {"percent": "1.111111111111111111111"},
        {"count": 10**20},
        {"count": "１"},
    ):
        with pytest.raises(DeclaredValueError):
            check_declared(value)
    check_declared({"count": "3"})


def test_never_scientific_notation() -> None:
    shown = describe(COUNT, {"count": 10**20})
    assert "E+" not in shown and "e+" not in shown
