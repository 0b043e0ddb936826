"""Numbers as officers type them and as documents print them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.numbers import NumberError, format_percent, format_score, parse_decimal, round_half_up


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0,5", "0.5"),
        ("0.5", "0.5"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        (" 2 ", "2"),
        ("1.234.567", "1234567"),
        ("+3", "3"),
        ("-1,25", "-1.25"),
        (",5", "0.5"),
    ],
)
def test_reads_vietnamese_and_plain_numbers(text: str, value: str) -> None:
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "NaN", "inf", "Infinity", "1,2,3", "--1", "1e5", "0x10", "1/2"]
)
def test_refuses_what_is_not_a_number(text: str) -> None:
    with pytest.raises(NumberError) as info:
        parse_decimal(text)
    assert info.value.render("vi") in (
        "Vui lòng nhập một số.",
        f"“{text.strip()}” không phải là một số.",
    )


def test_refuses_non_finite_values_of_any_type() -> None:
    for value in (float("nan"), float("inf"), Decimal("NaN"), True):
        with pytest.raises(NumberError):
            parse_decimal(value)  # type: ignore[arg-type]


def test_display_uses_decimal_comma_and_drops_trailing_zeros() -> None:
    assert format_score(Decimal("0.5000")) == "0,5"
    assert format_score(Decimal("1.0000")) == "1"
    assert format_score(Decimal("1234.5")) == "1.234,5"
    assert format_score(Decimal("0.25"), "en") == "0.25"
    assert format_score(None) == "–"
    assert format_percent(Decimal("89.445")) == "89,45%"  # half-up, not banker's rounding
    assert format_score(Decimal("102.5"), places=2) == "102,50"


def test_half_up_rounding_only_at_the_end() -> None:
    assert round_half_up(Decimal("81.325")) == Decimal("81.33")
    assert round_half_up(Decimal("81.324999")) == Decimal("81.32")


@given(
    st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=4,
        min_value=Decimal(-999),
        max_value=Decimal(999),
    )
)
def test_what_is_displayed_reads_back_to_the_same_number(value: Decimal) -> None:
    """Scores and percentages live below 1.000, where display and input never disagree."""
    shown = format_score(value)
    assert parse_decimal(shown) == value


def test_a_lone_dot_group_is_read_as_a_decimal_point() -> None:
    """ "1.234" could be either; officers type "0.5"-style decimals far more often than
    thousands in score fields, and several groups or a comma ("1.234,5") settle it."""
    assert parse_decimal("1.234") == Decimal("1.234")
    assert parse_decimal("1.234.000") == Decimal(1234000)


def test_huge_numbers_still_display() -> None:
    assert format_score(Decimal(10) ** 40).startswith("10.000.000")


@pytest.mark.parametrize("text", ["１", "٣", "३", "𝟓", "²", "½", "Ⅲ", "1 2", "5\u200b", "\u202e5"])
def test_only_digits_of_a_vietnamese_keyboard(text: str) -> None:
    with pytest.raises(NumberError) as info:
        parse_decimal(text)
    assert "không phải là một số" in info.value.render("vi")


def test_bounds_of_typed_numbers() -> None:
    with pytest.raises(NumberError) as info:
        parse_decimal("99999999999999999999")
    assert info.value.render("vi") == (
        "“99999999999999999999” là số quá lớn: phần nguyên có tối đa 15 chữ số."
    )
    with pytest.raises(NumberError) as info:
        parse_decimal("9" * 4301)
    assert len(info.value.render("vi")) < 120  # the echo is cut
    with pytest.raises(NumberError) as info:
        parse_decimal("1." + "1" * 21)
    assert "có quá 4 chữ số thập phân" in info.value.render("vi")
    assert parse_decimal("0,1234") == Decimal("0.1234")
    assert parse_decimal("0,50000") == Decimal("0.5")  # trailing zeros are not decimals kept
    assert parse_decimal("1 234,5") == Decimal("1234.5")  # a space groups thousands
    assert parse_decimal("999999999999999") == Decimal("999999999999999")
    # stored values already accepted are read as they are
    assert parse_decimal("0.123456", bounded=False) == Decimal("0.123456")
