"""Scoring rules of one item: the officer declares a fact, the service computes the points.

Worked examples come from domain.md §3 (Cà Mau 1880/QĐ-UBND, the national checklist, the
mock-up's count and deduction rules). Every refusal is checked in Vietnamese and in English, and
hypothesis checks the promises the rest of the service relies on: a score is always within
[0, max], only DeclaredValueError escapes, and the parameters cell round-trips.
"""

from __future__ import annotations

import ast
import io
import re
import string
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from core.i18n import Msg
from forms.rules import (
    RULE_TYPES,
    DeclaredValueError,
    Option,
    Rule,
    RuleDefinitionError,
    Tier,
    describe,
    evaluate,
    format_params,
    parse_declared,
    parse_rule,
    validate_rule,
)

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
PROPERTY = settings(max_examples=200, deadline=None)
HUNDRED = D(100)

CA_MAU_111 = "Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0"
CA_MAU_114 = "90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0"
NATIONAL_CHECKLIST = (
    "100% cơ quan chuyên môn cấp tỉnh = 0,25; 100% UBND cấp huyện = 0,25; 100% UBND cấp xã = 0,25"
)
MOCKUP_DEDUCTION = "Vi phạm nhẹ = 50%; Vi phạm nghiêm trọng = 100%"


def both(msg: Msg) -> tuple[str, str]:
    return msg.render("vi"), msg.render("en")


def refusal(rule: Rule, value: Any) -> tuple[str, str]:
    with pytest.raises(DeclaredValueError) as caught:
        evaluate(rule, value)
    return both(caught.value.msg)


def typed_refusal(rule: Rule, text: str) -> tuple[str, str]:
    with pytest.raises(DeclaredValueError) as caught:
        parse_declared(rule, text)
    return both(caught.value.msg)


def rule_problems(
    rule_type: str, params: str | None, max_score: str, na: bool = False
) -> list[tuple[str, str]]:
    with pytest.raises(RuleDefinitionError) as caught:
        parse_rule(rule_type, params, D(max_score), na)
    return [both(p) for p in caught.value.problems]


def score(rule: Rule, text: str) -> Decimal | None:
    return evaluate(rule, parse_declared(rule, text))


# ---------------------------------------------------------------------------------------------
# Worked examples (domain.md §3)
# ---------------------------------------------------------------------------------------------


class TestWorkedExamples:
    def test_ca_mau_1_1_1_plan_issued_on_time_late_or_not(self) -> None:
        rule = parse_rule("levels", CA_MAU_111, D(1))
        assert [o.key for o in rule.options] == ["1", "2", "3"]
        assert score(rule, "1") == D(1)
        assert score(rule, "2") == D("0.5")
        assert score(rule, "3") == D(0)
        assert score(rule, "Ban hành muộn") == D("0.5")

    @pytest.mark.parametrize(
        ("percent", "points"),
        [
            ("100", "2"),
            ("90.01", "2"),
            ("95", "2"),
            ("90", "1"),
            ("70", "1"),
            ("80", "1"),
            ("69.99", "0"),
            ("0", "0"),
        ],
    )
    def test_ca_mau_1_1_4_tiers_by_completion_with_boundaries(
        self, percent: str, points: str
    ) -> None:
        rule = parse_rule("percent_tiers", CA_MAU_114, D(2))
        assert evaluate(rule, {"percent": percent}) == D(points)

    def test_ca_mau_1_1_4_shorthand_means_the_same_tiers(self) -> None:
        shorthand = parse_rule("percent_tiers", "x > 90 = 2; 70 ≤ x ≤ 90 = 1; x < 70 = 0", D(2))
        assert shorthand == parse_rule("percent_tiers", CA_MAU_114, D(2))

    def test_ca_mau_1_1_4_from_a_fraction(self) -> None:
        rule = parse_rule("percent_tiers", CA_MAU_114, D(2))
        assert score(rule, "45/50") == D(1)  # exactly 90%
        assert score(rule, "46 / 50") == D(2)
        assert score(rule, "34/50") == D(0)  # 68%

    def test_national_checklist_three_items_of_a_quarter(self) -> None:
        rule = parse_rule("checklist", NATIONAL_CHECKLIST, D("0.75"))
        assert score(rule, "1, 2, 3") == D("0.75")  # the unit's self-score
        assert score(rule, "1") == D("0.25")  # what the appraisal accepted
        assert score(rule, "không") == D(0)

    def test_count_half_a_point_per_rule_capped_at_two(self) -> None:
        rule = parse_rule("count", "Mỗi = 0,5; tối đa = 2", D(2))
        assert score(rule, "5") == D(2)
        assert score(rule, "4") == D(2)
        assert score(rule, "3") == D("1.5")
        assert score(rule, "0") == D(0)

    def test_mockup_deduction_light_half_serious_all(self) -> None:
        # "nghiêm trọng: 0 điểm" is the resulting score; written as a deduction it is 100%.
        rule = parse_rule("deduction", MOCKUP_DEDUCTION, D(1))
        assert score(rule, "Vi phạm nhẹ") == D("0.5")
        assert score(rule, "2") == D(0)
        assert score(rule, "không vi phạm") == D(1)
        assert evaluate(rule, {"violations": 0}) == D(1)

    def test_deduction_per_violation_floored_at_zero(self) -> None:
        rule = parse_rule("deduction", "each = 0,5", D("1.5"))
        assert evaluate(rule, {"violations": 0}) == D("1.5")
        assert evaluate(rule, {"violations": 2}) == D("0.5")
        assert evaluate(rule, {"violations": 3}) == D(0)
        assert evaluate(rule, {"violations": 10**30}) == D(0)

    @pytest.mark.parametrize("max_score", ["1", "0.5"])
    def test_yes_no_full_points_or_nothing(self, max_score: str) -> None:
        rule = parse_rule("yes_no", "", D(max_score))
        assert score(rule, "Có") == D(max_score)
        assert score(rule, "Không") == D(0)

    def test_not_applicable_scores_nothing(self) -> None:
        rule = parse_rule("yes_no", None, D(1), na_allowed=True)
        assert score(rule, "Không áp dụng") is None

    def test_points_with_a_step(self) -> None:
        rule = parse_rule("points", "bước = 0,25", D(1))
        assert score(rule, "0,75") == D("0.75")
        assert score(rule, "1") == D(1)

    def test_checklist_sum_above_max_is_clamped(self) -> None:
        rule = parse_rule("checklist", "A = 0,5; B = 0,5; C = 0,5", D(1))
        assert evaluate(rule, {"checked": ["1", "2", "3"]}) == D(1)


# ---------------------------------------------------------------------------------------------
# Reading the parameters cell
# ---------------------------------------------------------------------------------------------


class TestParseRule:
    def test_newlines_and_semicolons_separate_entries(self) -> None:
        text = "Ban hành đúng hạn = 1\nBan hành muộn = 0.5;\n\n Không ban hành=0 ;"
        assert parse_rule("levels", text, D(1)) == parse_rule("levels", CA_MAU_111, D(1))

    def test_label_value_written_with_a_colon_or_the_word_diem(self) -> None:
        rule = parse_rule("levels", "Đạt yêu cầu: 1; Không đạt yêu cầu: 0 điểm", D(1))
        assert [(o.label, o.points) for o in rule.options] == [
            ("Đạt yêu cầu", D(1)),
            ("Không đạt yêu cầu", D(0)),
        ]

    def test_labels_may_contain_equals_signs_and_colons(self) -> None:
        rule = parse_rule("levels", "Tỷ lệ = 100%: đạt = 1; Khác = 0", D(1))
        assert rule.options[0].label == "Tỷ lệ = 100%: đạt"

    def test_percent_of_max_is_stored_as_points(self) -> None:
        rule = parse_rule("deduction", MOCKUP_DEDUCTION, D("1.5"))
        assert [o.points for o in rule.options] == [D("0.75"), D("1.5")]
        assert format_params(rule) == "Vi phạm nhẹ = 0,75; Vi phạm nghiêm trọng = 1,5"

    @pytest.mark.parametrize(
        ("text", "tier"),
        [
            ("x > 90 = 2", Tier(D(90), False, D(100), True, D(2))),
            ("x >= 90 = 2", Tier(D(90), True, D(100), True, D(2))),
            ("x ≥ 90 = 2", Tier(D(90), True, D(100), True, D(2))),
            ("x < 70 = 0", Tier(D(0), True, D(70), False, D(0))),
            ("x <= 70 = 0", Tier(D(0), True, D(70), True, D(0))),
            ("X≤70=0", Tier(D(0), True, D(70), True, D(0))),
            ("70% ≤ x < 90,5% = 1", Tier(D(70), True, D("90.5"), False, D(1))),
        ],
    )
    def test_tier_forms(self, text: str, tier: Tier) -> None:
        from forms.rules import _parse_tier  # one entry alone would not cover 0..100

        assert _parse_tier(1, text, D(2)) == tier

    def test_count_keys_in_english_and_vietnamese(self) -> None:
        english = parse_rule("count", "each = 0.5; cap = 2", D(2))
        assert english == parse_rule("count", "mỗi = 0,5; tối đa = 2", D(2))
        assert english.each == D("0.5") and english.cap == D(2)
        # "Mới" is a typo for "Mỗi" seen in a real form.
        assert parse_rule("count", "Mới = 0,5", D(2)).cap is None

    def test_points_step_is_optional(self) -> None:
        assert parse_rule("points", "", D(1)).step is None
        assert parse_rule("points", "bước = 0,25", D(1)).step == D("0.25")
        assert parse_rule("points", "step=0.5", D(1)).step == D("0.5")

    def test_deduction_per_violation(self) -> None:
        rule = parse_rule("deduction", "mỗi = 0,25", D(1))
        assert rule.each == D("0.25") and rule.options == ()

    def test_survey_and_yes_no_take_nothing(self) -> None:
        assert parse_rule("survey", "", D(32)) == Rule("survey", D(32))
        assert parse_rule("yes_no", "  ", D(1), True) == Rule("yes_no", D(1), na_allowed=True)


#: (rule type, parameters, max, Vietnamese fragment, English fragment)
RULE_REFUSALS = [
    ("bogus", "", "1", "“bogus” không hợp lệ", "Unknown scoring rule type “bogus”"),
    (
        "levels",
        "Đúng hạn 1; Muộn = 0",
        "1",
        "Tham số thứ 1 “Đúng hạn 1”",
        "Entry 1 “Đúng hạn 1”: expected “label = points”",
    ),
    (
        "levels",
        "Đúng hạn = một; Muộn = 0",
        "1",
        "“một” không phải là một số",
        "“một” is not a number",
    ),
    ("yes_no", "", "-1", "Điểm tối đa không được âm", "maximum score must not be negative"),
    (
        "levels",
        "A = 1; B = -0,5",
        "1",
        "số điểm không được âm (-0,5)",
        "points must not be negative (-0.5)",
    ),
    (
        "levels",
        "A = 2; B = 0",
        "1",
        "2 điểm vượt quá điểm tối đa 1",
        "2 points is more than the maximum score 1",
    ),
    ("levels", "A = 0,5; B = 0", "1", "không thể đạt điểm tối đa", "the maximum cannot be reached"),
    ("levels", "Đạt = 1", "1", "cần ít nhất 2 phương án", "needs at least 2 options"),
    (
        "levels",
        "Đạt = 1; đạt = 0",
        "1",
        "Nội dung “đạt” xuất hiện nhiều hơn một lần",
        "The label “đạt” appears more than once",
    ),
    ("checklist", "", "1", "cần ít nhất 1 mục", "needs at least 1 item"),
    (
        "checklist",
        "A = 0,25; B = 0,25",
        "1",
        "chỉ được 0,5 điểm, thấp hơn điểm tối đa 1",
        "Ticking every item gives 0.5 points",
    ),
    (
        "checklist",
        "A = 1,5; B = 0",
        "1",
        "1,5 điểm vượt quá điểm tối đa 1",
        "1.5 points is more than the maximum score 1",
    ),
    (
        "percent_tiers",
        "x > 90 = 3; x <= 90 = 0",
        "2",
        "3 điểm vượt quá điểm tối đa 2",
        "3 points is more than the maximum score 2",
    ),
    (
        "percent_tiers",
        "x > 90 = 1; x <= 90 = 0",
        "2",
        "Mức cao nhất chỉ được 1 điểm",
        "The best tier gives 1 points",
    ),
    (
        "percent_tiers",
        "x > 90 = 2; x <= 90 = -1",
        "2",
        "số điểm không được âm (-1)",
        "points must not be negative (-1)",
    ),
    (
        "percent_tiers",
        "70 <= x <= 90 = 1; 90 <= x <= 100 = 2; x < 70 = 0",
        "2",
        "trùng nhau tại 90%",
        "overlap at 90%",
    ),
    (
        "percent_tiers",
        "70 <= x < 90 = 1; 90 < x <= 100 = 2; x < 70 = 0",
        "2",
        "Không có mức nào áp dụng cho tỷ lệ 90%",
        "No tier covers 90%",
    ),
    (
        "percent_tiers",
        "x > 90 = 2; x < 70 = 0",
        "2",
        "trong khoảng từ 70% đến 90%",
        "No tier covers the values between 70% and 90%",
    ),
    ("percent_tiers", "0 <= x < 100 = 2", "2", "tỷ lệ 100%", "No tier covers 100%"),
    ("percent_tiers", "0 < x <= 100 = 2", "2", "tỷ lệ 0%", "No tier covers 0%"),
    (
        "percent_tiers",
        "x < 69,5 = 0; x >= 70 = 2",
        "2",
        "từ 69,5% đến 70%",
        "between 69.5% and 70%",
    ),
    (
        "percent_tiers",
        "0 <= x <= 60 = 0; 50 <= x <= 100 = 2",
        "2",
        "trùng nhau trong khoảng từ 50% đến 60%",
        "overlap between 50% and 60%",
    ),
    ("percent_tiers", "0 <= x <= 120 = 2", "2", "nằm ngoài khoảng 0–100%", "goes outside 0–100%"),
    (
        "percent_tiers",
        "50 < x < 50 = 1; 0 <= x <= 100 = 2",
        "2",
        "Mức “50 < x < 50” không chứa giá trị nào",
        "Tier “50 < x < 50” contains no value",
    ),
    ("percent_tiers", "", "2", "Chưa khai báo các mức tỷ lệ", "percent tiers are missing"),
    (
        "percent_tiers",
        "x > 90 => 2",
        "2",
        "Tham số thứ 1 “x > 90 => 2”",
        "Entry 1 “x > 90 => 2”: expected a tier",
    ),
    ("percent_tiers", "90 < x <= 100", "2", "Tham số thứ 1", "expected a tier"),
    (
        "count",
        "each = 0,5; cap = 3",
        "2",
        "Mức trần 3 vượt quá điểm tối đa 2",
        "The cap 3 is more than the maximum score 2",
    ),
    (
        "count",
        "each = 0,5; cap = 1,5",
        "2",
        "Mức trần 1,5 thấp hơn điểm tối đa 2",
        "the maximum cannot be reached",
    ),
    (
        "count",
        "cap = 2",
        "2",
        "Chưa khai báo số điểm cho mỗi đơn vị đếm",
        "The points per unit are missing",
    ),
    ("count", "each = 0", "2", "phải lớn hơn 0 (đang là 0)", "must be more than 0 (it is 0)"),
    (
        "count",
        "mỗi = 0,5; thưởng = 1",
        "2",
        "Tham số thứ 2 “thưởng = 1”",
        "a count item takes “each”",
    ),
    (
        "count",
        "each = 0,5; mỗi = 1",
        "2",
        "Tham số “each” được khai báo nhiều hơn một lần",
        "The parameter “each” is given more than once",
    ),
    ("count", "each", "2", "Tham số thứ 1 “each”", "expected “name = number”"),
    ("points", "step = 0", "1", "Bước điểm phải lớn hơn 0", "The step must be more than 0"),
    ("points", "step = -0,25", "1", "(đang là -0,25)", "(it is -0.25)"),
    (
        "points",
        "step = 0,3",
        "1",
        "Điểm tối đa 1 không phải là bội số của bước điểm 0,3",
        "The maximum score 1 is not a multiple of the step 0.3",
    ),
    ("points", "", "0.125", "bội số của bước điểm 0,01", "multiple of the step 0.01"),
    ("points", "cap = 1", "1", "chỉ nhận tham số “bước”", "takes only “step”"),
    ("deduction", "each = 0,5; Vi phạm nhẹ = 50%", "1", "không dùng cả hai", "not both"),
    ("deduction", "", "1", "cần khai báo “mỗi = 0,5”", "needs either “each = 0.5”"),
    (
        "deduction",
        "cap = 1",
        "1",
        "chỉ nhận tham số “mỗi” hoặc danh sách các mức vi phạm",
        "a deduction item takes “each”",
    ),
    (
        "deduction",
        "each = 0",
        "1",
        "Số điểm trừ cho mỗi vi phạm phải lớn hơn 0",
        "points deducted per violation must be more than 0",
    ),
    (
        "deduction",
        "Vi phạm = 150%",
        "1",
        "1,5 điểm vượt quá điểm tối đa 1",
        "1.5 points is more than the maximum score 1",
    ),
    (
        "survey",
        "x = 1",
        "32",
        "điểm được nhập từ kết quả điều tra",
        "A survey item takes no parameters",
    ),
    (
        "yes_no",
        "Đạt = 1; Không đạt = 0",
        "1",
        "không có tham số",
        "A yes/no item takes no parameters",
    ),
]


class TestRuleRefusals:
    @pytest.mark.parametrize(("rule_type", "params", "max_score", "vi", "en"), RULE_REFUSALS)
    def test_refused_with_a_sentence_in_both_languages(
        self, rule_type: str, params: str, max_score: str, vi: str, en: str
    ) -> None:
        problems = rule_problems(rule_type, params, max_score)
        assert any(vi in v for v, _ in problems), problems
        assert any(en in e for _, e in problems), problems

    def test_unknown_type_lists_the_valid_ones(self) -> None:
        [(vi, en)] = rule_problems("tiers", "", "1")
        assert all(t in en and t in vi for t in RULE_TYPES)

    def test_all_problems_are_reported_at_once(self) -> None:
        problems = rule_problems("levels", "A = 2; B = -1; a = 0,5", "1")
        english = [e for _, e in problems]
        assert len(english) == 3
        assert "more than the maximum score" in english[0]
        assert "must not be negative" in english[1]
        assert "appears more than once" in english[2]

    def test_tier_problems_are_reported_together(self) -> None:
        english = [
            e
            for _, e in rule_problems(
                "percent_tiers",
                "x > 90 = 3; 70 <= x <= 90 = -1; x < 60 = 0; 55 <= x <= 58 = 0",
                "2",
            )
        ]
        assert any("3 points is more than" in e for e in english)
        assert any("must not be negative" in e for e in english)
        assert any("between 60% and 70%" in e for e in english)
        assert any("overlap between 55% and 58%" in e for e in english)

    def test_syntax_errors_hide_whole_rule_checks_that_they_would_distort(self) -> None:
        # The unreadable entry may well be the one worth 1 point: do not claim the maximum
        # cannot be reached, but still report what is wrong with the readable entries.
        english = [e for _, e in rule_problems("levels", "A = một; B = 2; C = 0", "1")]
        assert len(english) == 2
        assert "Entry 1" in english[0]
        assert "Option “B”: 2 points is more than" in english[1]

    def test_several_unreadable_entries_are_each_named(self) -> None:
        english = [e for _, e in rule_problems("percent_tiers", "x > 90 = 2; abc; x < = 1", "2")]
        assert [e.split(" “")[0] for e in english] == ["Entry 2", "Entry 3"]

    def test_the_exception_reads_as_sentences(self) -> None:
        with pytest.raises(RuleDefinitionError) as caught:
            parse_rule("levels", "A = 2; B = -1", D(1))
        assert str(caught.value).count("\n") == 1
        assert "điểm tối đa" in str(caught.value)
        assert "maximum score" in caught.value.render("en")

    def test_max_score_that_is_not_a_decimal(self) -> None:
        for bad in (D("NaN"), D("Infinity"), 1.5, "1"):
            with pytest.raises(RuleDefinitionError) as caught:
                parse_rule("yes_no", "", bad)  # type: ignore[arg-type]
            assert "Điểm tối đa không phải là một số" in str(caught.value)


class TestValidateHandBuiltRules:
    def test_sound_rule_has_no_problems(self) -> None:
        assert validate_rule(parse_rule("levels", CA_MAU_111, D(1))) == []

    def test_keys_must_be_positional(self) -> None:
        rule = Rule("levels", D(1), options=(Option("1", "A", D(1)), Option("3", "B", D(0))))
        [(vi, en)] = [both(p) for p in validate_rule(rule)]
        assert "has the key “3”" in en and "mã “3”" in vi

    def test_fields_a_type_does_not_use(self) -> None:
        rule = Rule("yes_no", D(1), options=(Option("1", "A", D(1)),), step=D(1))
        english = [p.render("en") for p in validate_rule(rule)]
        assert english == [
            "A “yes_no” rule does not use “options”.",
            "A “yes_no” rule does not use “step”.",
        ]

    def test_floats_and_nan_are_refused(self) -> None:
        rule = Rule("levels", D(1), options=(Option("1", "A", 1.0), Option("2", "B", D("NaN"))))  # type: ignore[arg-type]
        english = [p.render("en") for p in validate_rule(rule)]
        assert english == [
            "“options[1].points” must be a finite decimal number.",
            "“options[2].points” must be a finite decimal number.",
        ]

    @pytest.mark.parametrize("label", ["", " A", "A ", "A;B", "A\nB"])
    def test_labels_that_cannot_be_written_back(self, label: str) -> None:
        rule = Rule("levels", D(1), options=(Option("1", label, D(1)), Option("2", "B", D(0))))
        [(vi, en)] = [both(p) for p in validate_rule(rule)]
        assert "Option 1" in en and "Phương án thứ 1" in vi

    def test_deduction_labels_cannot_be_parameter_names(self) -> None:
        rule = Rule("deduction", D(1), options=(Option("1", "Mỗi", D(1)),))
        [(vi, en)] = [both(p) for p in validate_rule(rule)]
        assert "reserved" in en and "dành cho tên tham số" in vi

    def test_unknown_type(self) -> None:
        [msg] = validate_rule(Rule("stars", D(1)))
        assert "stars" in msg.render("en")


# ---------------------------------------------------------------------------------------------
# Writing the parameters cell
# ---------------------------------------------------------------------------------------------


class TestFormatParams:
    @pytest.mark.parametrize(
        ("rule_type", "params", "max_score", "written"),
        [
            ("levels", "A=1;B=0.50", "1", "A = 1; B = 0,5"),
            ("percent_tiers", "x > 90 = 2; 70 ≤ x ≤ 90 = 1; x < 70 = 0", "2", CA_MAU_114),
            ("checklist", NATIONAL_CHECKLIST, "0.75", NATIONAL_CHECKLIST),
            ("count", "mỗi = 0.5", "2", "each = 0,5"),
            ("count", "mỗi = 0.5; tối đa = 2.00", "2", "each = 0,5; cap = 2"),
            ("points", "", "1", ""),
            ("points", "bước = 0.25", "1", "step = 0,25"),
            (
                "deduction",
                "Vi phạm nhẹ = 50%; Vi phạm nghiêm trọng = 100%",
                "2",
                "Vi phạm nhẹ = 1; Vi phạm nghiêm trọng = 2",
            ),
            ("deduction", "each=0.5", "2", "each = 0,5"),
            ("yes_no", "", "1", ""),
            ("survey", "", "32", ""),
            ("levels", "A = 1234,5; B = 0", "1234.5", "A = 1234,5; B = 0"),
        ],
    )
    def test_canonical_text(
        self, rule_type: str, params: str, max_score: str, written: str
    ) -> None:
        rule = parse_rule(rule_type, params, D(max_score))
        assert format_params(rule) == written
        assert parse_rule(rule_type, written, D(max_score)) == rule


# ---------------------------------------------------------------------------------------------
# What an officer types
# ---------------------------------------------------------------------------------------------

YES_NO = parse_rule("yes_no", "", D(1), na_allowed=True)
LEVELS = parse_rule("levels", CA_MAU_111, D(1))
TIERS = parse_rule("percent_tiers", CA_MAU_114, D(2), na_allowed=True)
CHECKLIST = parse_rule("checklist", "Cấp tỉnh = 0,25; Cấp huyện = 0,25; Cấp xã = 0,25", D("0.75"))
COUNT = parse_rule("count", "each = 0,5", D(2))
POINTS = parse_rule("points", "step = 0,25", D(1))
POINTS_DEFAULT = parse_rule("points", "", D(1))
DEDUCT_EACH = parse_rule("deduction", "each = 0,5", D(2))
DEDUCT_LEVELS = parse_rule("deduction", MOCKUP_DEDUCTION, D(1))
SURVEY = parse_rule("survey", "", D(32))


class TestParseDeclared:
    @pytest.mark.parametrize(
        "text", ["có", "Có", "CÓ", "co", "c", "C", "yes", "Yes", "y", "đạt", "Có."]
    )
    def test_yes(self, text: str) -> None:
        assert parse_declared(YES_NO, text) == {"yes": True}

    @pytest.mark.parametrize(
        "text", ["không", "Không", "KHÔNG", "khong", "k", "K", "no", "ko", " không "]
    )
    def test_no(self, text: str) -> None:
        assert parse_declared(YES_NO, text) == {"yes": False}

    @pytest.mark.parametrize(
        "text",
        ["không áp dụng", "Không áp dụng", "KHONG AP DUNG", "KAD", "kad", "N/A", "n/a", "na", "NA"],
    )
    def test_not_applicable(self, text: str) -> None:
        assert parse_declared(YES_NO, text) == {"na": True}
        assert parse_declared(TIERS, text) == {"na": True}

    @pytest.mark.parametrize(
        ("text", "key"),
        [
            ("2", "2"),
            (" 2 ", "2"),
            ("02", "2"),
            ("2.", "2"),
            ("2)", "2"),
            ("Ban hành muộn", "2"),
            ("ban hành  MUỘN", "2"),
            ("ban hanh muon", "2"),
            ("Không ban hành", "3"),
        ],
    )
    def test_levels_by_number_or_label(self, text: str, key: str) -> None:
        assert parse_declared(LEVELS, text) == {"option": key}

    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("95", {"percent": "95"}),
            ("95%", {"percent": "95"}),
            ("95,5 %", {"percent": "95.5"}),
            ("95.50", {"percent": "95.5"}),
            ("45/50", {"numerator": "45", "denominator": "50"}),
            ("45 / 50", {"numerator": "45", "denominator": "50"}),
            ("1.234,5/2.000,5", {"numerator": "1234.5", "denominator": "2000.5"}),
            ("0", {"percent": "0"}),
            ("100", {"percent": "100"}),
        ],
    )
    def test_percent(self, text: str, value: dict[str, str]) -> None:
        assert parse_declared(TIERS, text) == value

    def test_grouped_counts_give_the_right_percentage(self) -> None:
        # "49.533/62.027 hồ sơ" (domain.md §8): whether the dots group thousands or not, both
        # sides are read alike, so the percentage (79,86%) and the tier are right.
        value = parse_declared(TIERS, "49.533/62.027")
        assert describe(TIERS, value).endswith("(79,86%)")
        assert evaluate(TIERS, value) == D(1)

    @pytest.mark.parametrize(
        ("text", "keys"),
        [
            ("1, 3", ["1", "3"]),
            ("1 3", ["1", "3"]),
            ("3,1", ["3", "1"]),
            ("1;3", ["1", "3"]),
            ("2", ["2"]),
            ("01, 0003", ["1", "3"]),
            ("Cấp tỉnh; cấp xã", ["1", "3"]),
            ("cap huyen", ["2"]),
            ("không", []),
            ("0", []),
            ("tất cả", ["1", "2", "3"]),
        ],
    )
    def test_checklist(self, text: str, keys: list[str]) -> None:
        assert parse_declared(CHECKLIST, text) == {"checked": keys}

    def test_checklist_order_does_not_matter(self) -> None:
        assert score(CHECKLIST, "3, 1") == score(CHECKLIST, "1, 3") == D("0.5")

    @pytest.mark.parametrize(("text", "count"), [("3", 3), ("3,0", 3), ("0", 0), (" 12 ", 12)])
    def test_count(self, text: str, count: int) -> None:
        assert parse_declared(COUNT, text) == {"count": count}

    @pytest.mark.parametrize(
        ("text", "points"),
        [
            ("0,5", "0.5"),
            ("0.5", "0.5"),
            ("0,50", "0.5"),
            ("1", "1"),
            ("0", "0"),
            ("0,75 điểm", "0.75"),
        ],
    )
    def test_points(self, text: str, points: str) -> None:
        assert parse_declared(POINTS, text) == {"points": points}

    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("2", {"violations": 2}),
            ("0", {"violations": 0}),
            ("không", {"violations": 0}),
            ("không vi phạm", {"violations": 0}),
        ],
    )
    def test_deduction_per_violation(self, text: str, value: dict[str, int]) -> None:
        assert parse_declared(DEDUCT_EACH, text) == value

    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("1", {"option": "1"}),
            ("Vi phạm nhẹ", {"option": "1"}),
            ("vi pham nghiem trong", {"option": "2"}),
            ("0", {"option": None}),
            ("không", {"option": None}),
            ("Không vi phạm", {"option": None}),
        ],
    )
    def test_deduction_by_level(self, text: str, value: dict[str, Any]) -> None:
        assert parse_declared(DEDUCT_LEVELS, text) == value

    def test_an_option_label_wins_over_fixed_words(self) -> None:
        rule = parse_rule(
            "levels", "Không áp dụng được = 0; Không áp dụng = 1; Tất cả = 1", D(1), na_allowed=True
        )
        assert parse_declared(rule, "không áp dụng") == {"option": "2"}
        assert parse_declared(rule, "KAD") == {"na": True}
        checklist = parse_rule("checklist", "Tất cả = 1; Một phần = 0,5", D(1))
        assert parse_declared(checklist, "tất cả") == {"checked": ["1"]}


#: (rule, typed text, Vietnamese fragment, English fragment)
TYPED_REFUSALS = [
    (COUNT, "abc", "“abc” không phải là một số", "“abc” is not a number"),
    (COUNT, "", "Vui lòng nhập câu trả lời", "Please enter an answer"),
    (COUNT, "   ", "Vui lòng nhập câu trả lời", "Please enter an answer"),
    (COUNT, "nan", "không phải là một số", "is not a number"),
    (COUNT, "Infinity", "không phải là một số", "is not a number"),
    (COUNT, "-1", "Số lượng không được âm", "The count cannot be negative"),
    (
        COUNT,
        "2,5",
        "Số lượng phải là số nguyên (đã nhập 2,5)",
        "The count must be a whole number (got 2.5)",
    ),
    (POINTS, "0,3", "phải là bội số của 0,25", "must be a multiple of 0.25"),
    (POINTS_DEFAULT, "0,125", "phải là bội số của 0,01", "must be a multiple of 0.01"),
    (
        POINTS,
        "1,5",
        "Số điểm 1,5 vượt quá điểm tối đa 1",
        "1.5 points is more than the maximum score 1",
    ),
    (POINTS, "-0,25", "Số điểm không được âm", "Points cannot be negative"),
    (POINTS, "1/2", "không phải là một số", "is not a number"),
    (TIERS, "-5", "Tỷ lệ phần trăm không được âm", "A percentage cannot be negative"),
    (
        TIERS,
        "101%",
        "không được vượt quá 100% (đã nhập 101%)",
        "cannot be more than 100% (got 101%)",
    ),
    (TIERS, "100,5", "(đã nhập 100,5%)", "(got 100.5%)"),
    (
        TIERS,
        "60/50",
        "số thứ nhất không được lớn hơn số thứ hai",
        "the first number cannot be larger than the second",
    ),
    (
        TIERS,
        "45/0",
        "số thứ hai (tổng số) không được bằng 0",
        "the second number (the total) cannot be 0",
    ),
    (TIERS, "0/0", "không được bằng 0", "cannot be 0"),
    (TIERS, "-1/5", "cả hai số đều không được âm", "neither number can be negative"),
    (TIERS, "abc", "“abc” không phải là một tỷ lệ phần trăm", "“abc” is not a percentage"),
    (TIERS, "1/2/3", "không phải là một tỷ lệ phần trăm", "is not a percentage"),
    (TIERS, "%", "không phải là một tỷ lệ phần trăm", "is not a percentage"),
    (LEVELS, "4", "không có phương án “4”", "There is no option “4”"),
    (LEVELS, "9" * 5000, "không có phương án", "There is no option"),
    (CHECKLIST, "1, " + "7" * 5000, "không có phương án", "There is no option"),
    (
        LEVELS,
        "Ban hành sớm",
        "“Ban hành sớm” không phải là một phương án",
        "reply with the option number (1–3)",
    ),
    (CHECKLIST, "1, 1", "Mục 1 được chọn nhiều hơn một lần", "Item 1 is ticked more than once"),
    (CHECKLIST, "1, 5", "không có phương án “5”", "There is no option “5”"),
    (
        CHECKLIST,
        "Cấp tỉnh; cấp trung ương",
        "“cấp trung ương” không phải là mục",
        "“cấp trung ương” does not name items",
    ),
    (
        YES_NO,
        "có lẽ",
        "“có lẽ” không phải là câu trả lời có/không",
        "“có lẽ” is not a yes/no answer",
    ),
    (
        LEVELS,
        "không áp dụng",
        "không được chọn “không áp dụng”",
        "cannot be marked “not applicable”",
    ),
    (DEDUCT_EACH, "1,5", "Số vi phạm phải là số nguyên", "violations must be a whole number"),
    (DEDUCT_EACH, "-1", "Số vi phạm không được âm", "violations cannot be negative"),
    (DEDUCT_EACH, "nhiều", "không phải là một số", "is not a number"),
    (DEDUCT_LEVELS, "3", "không có phương án “3”", "There is no option “3”"),
    (
        SURVEY,
        "32",
        "được nhập từ kết quả điều tra",
        "survey points are imported from the survey results",
    ),
    (SURVEY, "không áp dụng", "đơn vị không tự đánh giá", "units do not self-assess them"),
]


@pytest.mark.parametrize(("rule", "text", "vi", "en"), TYPED_REFUSALS)
def test_typed_refusals(rule: Rule, text: str, vi: str, en: str) -> None:
    got_vi, got_en = typed_refusal(rule, text)
    assert vi in got_vi
    assert en.casefold() in got_en.casefold()


# ---------------------------------------------------------------------------------------------
# Stored answers (web form, stale data)
# ---------------------------------------------------------------------------------------------

STALE = ("không phù hợp với tiêu chí thành phần này", "does not fit the item")

#: (rule, stored value, Vietnamese fragment, English fragment)
STORED_REFUSALS: list[tuple[Rule, Any, str, str]] = [
    (
        SURVEY,
        {},
        "Điểm điều tra xã hội học được nhập từ kết quả điều tra",
        "Survey points are imported from the survey results; units do not self-assess them.",
    ),
    (SURVEY, {"na": True}, "đơn vị không tự đánh giá", "units do not self-assess"),
    (YES_NO, "yes", *STALE),
    (YES_NO, None, *STALE),
    (YES_NO, ["yes"], *STALE),
    (YES_NO, {}, *STALE),
    (YES_NO, {"yes": "true"}, *STALE),
    (YES_NO, {"yes": 1}, *STALE),
    (YES_NO, {"yes": True, "note": "x"}, *STALE),
    (YES_NO, {"na": False}, *STALE),
    (YES_NO, {"na": 1}, *STALE),
    (YES_NO, {"na": True, "yes": True}, *STALE),
    (LEVELS, {"na": True}, "không được chọn “không áp dụng”", "cannot be marked"),
    (LEVELS, {"option": "9"}, "không có phương án “9”", "There is no option “9”"),
    (LEVELS, {"option": 2}, *STALE),
    (LEVELS, {"option": None}, *STALE),
    (LEVELS, {"checked": ["1"]}, *STALE),
    (TIERS, {"percent": "abc"}, "“abc” không phải là một số", "“abc” is not a number"),
    (TIERS, {"percent": ""}, "Vui lòng nhập một số", "Please enter a number"),
    (TIERS, {"percent": "NaN"}, "không phải là một số", "is not a number"),
    (TIERS, {"percent": "Infinity"}, "không phải là một số", "is not a number"),
    (TIERS, {"percent": float("nan")}, "không phải là một số", "is not a number"),
    (TIERS, {"percent": D("-Infinity")}, "không phải là một số", "is not a number"),
    (TIERS, {"percent": D("sNaN")}, "không phải là một số", "is not a number"),
    (TIERS, {"percent": "-1"}, "không được âm", "cannot be negative"),
    (TIERS, {"percent": "100.01"}, "(đã nhập 100,01%)", "(got 100.01%)"),
    (TIERS, {"numerator": "60", "denominator": "50"}, "không được lớn hơn", "cannot be larger"),
    (TIERS, {"numerator": "1", "denominator": "0"}, "không được bằng 0", "cannot be 0"),
    (TIERS, {"numerator": "-1", "denominator": "5"}, "không được âm", "negative"),
    (TIERS, {"numerator": "1"}, *STALE),
    (TIERS, {"percent": True}, *STALE),
    (TIERS, {"percent": [95]}, *STALE),
    (TIERS, {"percent": "95", "numerator": "1", "denominator": "2"}, *STALE),
    (
        CHECKLIST,
        {"checked": ["1", "1"]},
        "Mục 1 được chọn nhiều hơn một lần",
        "Item 1 is ticked more than once",
    ),
    (CHECKLIST, {"checked": ["4"]}, "không có phương án “4”", "There is no option “4”"),
    (CHECKLIST, {"checked": "1"}, *STALE),
    (CHECKLIST, {"checked": [1]}, *STALE),
    (CHECKLIST, {"checked": [["1"]]}, *STALE),
    (COUNT, {"count": 2.5}, "phải là số nguyên (đã nhập 2,5)", "whole number (got 2.5)"),
    (COUNT, {"count": "2,5"}, "phải là số nguyên", "whole number"),
    (COUNT, {"count": -1}, "không được âm", "cannot be negative"),
    (COUNT, {"count": True}, *STALE),
    (COUNT, {"count": None}, *STALE),
    (COUNT, {"count": "abc"}, "không phải là một số", "is not a number"),
    (POINTS, {"points": "0.3"}, "phải là bội số của 0,25", "must be a multiple of 0.25"),
    (POINTS, {"points": "1.5"}, "vượt quá điểm tối đa 1", "more than the maximum score 1"),
    (POINTS, {"points": "-0.25"}, "không được âm", "cannot be negative"),
    (POINTS, {"points": D("1E-999999")}, "bội số của 0,25", "multiple of 0.25"),
    (
        POINTS,
        {"points": D("1E+40")},
        "Số điểm > 999.999.999.999.999 vượt quá",
        "> 999,999,999,999,999 points is more",
    ),
    (
        TIERS,
        {"percent": D("1E+999999")},
        "(đã nhập > 999.999.999.999.999%)",
        "(got > 999,999,999,999,999%)",
    ),
    (
        TIERS,
        {"percent": "1" + "0" * 40},
        "(đã nhập > 999.999.999.999.999%)",
        "(got > 999,999,999,999,999%)",
    ),
    (COUNT, {"count": D("1.5E-999999")}, "(đã nhập ≈ 0)", "(got ≈ 0)"),
    (POINTS_DEFAULT, {"points": "0.001"}, "phải là bội số của 0,01", "must be a multiple of 0.01"),
    (DEDUCT_EACH, {"violations": -1}, "không được âm", "cannot be negative"),
    (DEDUCT_EACH, {"violations": 1.5}, "phải là số nguyên", "whole number"),
    (DEDUCT_EACH, {"option": "1"}, *STALE),
    (DEDUCT_LEVELS, {"violations": 2}, *STALE),
    (DEDUCT_LEVELS, {"option": "7"}, "không có phương án “7”", "There is no option “7”"),
    (DEDUCT_LEVELS, {"option": None, "violations": 0}, *STALE),
]


@pytest.mark.parametrize(("rule", "value", "vi", "en"), STORED_REFUSALS)
def test_stored_refusals(rule: Rule, value: Any, vi: str, en: str) -> None:
    got_vi, got_en = refusal(rule, value)
    assert vi in got_vi
    assert en.casefold() in got_en.casefold()


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (YES_NO, {"yes": True}, D(1)),
        (YES_NO, {"yes": False}, D(0)),
        (YES_NO, {"na": True}, None),
        (TIERS, {"percent": 95}, D(2)),
        (TIERS, {"percent": D("90")}, D(1)),
        (TIERS, {"percent": "95,5"}, D(2)),
        (TIERS, {"numerator": 1, "denominator": 3}, D(0)),
        (TIERS, {"numerator": "0", "denominator": "7"}, D(0)),
        (CHECKLIST, {"checked": []}, D(0)),
        (CHECKLIST, {"checked": ("3", "2")}, D("0.5")),
        (COUNT, {"count": 3}, D("1.5")),
        (COUNT, {"count": "3"}, D("1.5")),
        (COUNT, {"count": 10**100}, D(2)),
        (COUNT, {"count": D("1E+999999")}, D(2)),
        (POINTS, {"points": "0.75"}, D("0.75")),
        (POINTS, {"points": "0.750"}, D("0.75")),
        (DEDUCT_EACH, {"violations": 1}, D("1.5")),
        (DEDUCT_EACH, {"option": None}, D(2)),
        (DEDUCT_LEVELS, {"violations": 0}, D(1)),
        (DEDUCT_LEVELS, {"option": "1"}, D("0.5")),
    ],
)
def test_stored_values_that_score(
    rule: Rule, value: dict[str, Any], expected: Decimal | None
) -> None:
    assert evaluate(rule, value) == expected


# ---------------------------------------------------------------------------------------------
# Describing a declared value
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "vi", "en"),
    [
        (YES_NO, {"yes": True}, "Có", "Yes"),
        (YES_NO, {"yes": False}, "Không", "No"),
        (YES_NO, {"na": True}, "Không áp dụng", "Not applicable"),
        (LEVELS, {"option": "2"}, "Ban hành muộn", "Ban hành muộn"),
        (TIERS, {"percent": "95"}, "95%", "95%"),
        (TIERS, {"percent": "95.5"}, "95,5%", "95.5%"),
        (TIERS, {"numerator": "45", "denominator": "50"}, "45/50 (90%)", "45/50 (90%)"),
        (TIERS, {"numerator": "1", "denominator": "3"}, "1/3 (33,33%)", "1/3 (33.33%)"),
        (TIERS, {"numerator": "2", "denominator": "3"}, "2/3 (66,67%)", "2/3 (66.67%)"),
        (CHECKLIST, {"checked": ["3", "1"]}, "Cấp tỉnh; Cấp xã", "Cấp tỉnh; Cấp xã"),
        (CHECKLIST, {"checked": []}, "Không chọn mục nào", "No item ticked"),
        (COUNT, {"count": 3}, "3", "3"),
        (COUNT, {"count": 1234}, "1.234", "1,234"),
        (COUNT, {"count": 10**100}, "> 999.999.999.999.999", "> 999,999,999,999,999"),
        (POINTS, {"points": "0.5"}, "0,5", "0.5"),
        (DEDUCT_EACH, {"violations": 0}, "Không vi phạm", "No violation"),
        (DEDUCT_EACH, {"violations": 2}, "Số vi phạm: 2", "Violations: 2"),
        (DEDUCT_LEVELS, {"option": "2"}, "Vi phạm nghiêm trọng", "Vi phạm nghiêm trọng"),
        (DEDUCT_LEVELS, {"option": None}, "Không vi phạm", "No violation"),
    ],
)
def test_describe(rule: Rule, value: dict[str, Any], vi: str, en: str) -> None:
    assert describe(rule, value) == vi
    assert describe(rule, value, "en") == en


def test_describe_refuses_what_does_not_score() -> None:
    with pytest.raises(DeclaredValueError):
        describe(LEVELS, {"option": "9"})
    with pytest.raises(DeclaredValueError):
        describe(SURVEY, {})


# ---------------------------------------------------------------------------------------------
# Catalog: every message has a Vietnamese translation
# ---------------------------------------------------------------------------------------------


def _msgids_in_source() -> set[str]:
    tree = ast.parse((ROOT / "forms" / "rules.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_"
    }


def _catalog() -> dict[str, str]:
    data = (ROOT / "core" / "locales" / "vi" / "rules.po").read_bytes()
    catalog = read_po(io.BytesIO(data), locale="vi")
    return {m.id: m.string for m in catalog if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    source, catalog = _msgids_in_source(), _catalog()
    assert source - set(catalog) == set(), "untranslated"
    assert set(catalog) - source == set(), "stale entries in rules.po"
    for msgid in source:
        assert catalog[msgid] and catalog[msgid] != msgid, msgid
        assert _fields(catalog[msgid]) == _fields(msgid), msgid


def test_translations_use_the_official_vocabulary() -> None:
    text = " ".join(_catalog().values())
    for term in ("điểm tối đa", "không áp dụng", "tỷ lệ", "vi phạm", "tiêu chí thành phần"):
        assert term in text


def test_numbers_in_messages_follow_the_readers_locale() -> None:
    vi, en = refusal(POINTS, {"points": "0.3"})
    assert vi == "Số điểm phải là bội số của 0,25."
    assert en == "Points must be a multiple of 0.25."


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

LABEL_CHARS = "abcdeghiklmnoqstuvxyĐđăâêôơưáàảãạếềểễệốồổỗộớờởỡợúùủũụ ABC0123456789()-,.%=:<>/"
RESERVED = {"each", "moi", "cap", "toi da", "step", "buoc"}


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _ascii(text: str) -> str:
    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in bare if not unicodedata.combining(c)).casefold().split())


labels = (
    st.text(LABEL_CHARS, min_size=1, max_size=16)
    .map(str.strip)
    .filter(lambda s: bool(s) and _ascii(s) not in RESERVED)
)


def amounts(low: Decimal | int = 0, high: Decimal | int = 100) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=D(low), max_value=D(high), places=2, allow_nan=False, allow_infinity=False
    )


def _options(points: list[Decimal], names: list[str]) -> tuple[Option, ...]:
    return tuple(
        Option(str(i), name, p) for i, (name, p) in enumerate(zip(names, points, strict=True), 1)
    )


@st.composite
def levels_rules(draw: st.DrawFn, rule_type: str = "levels") -> Rule:
    max_score = draw(amounts())
    n = draw(st.integers(min_value=2, max_value=5))
    points = draw(st.lists(amounts(0, max_score), min_size=n, max_size=n))
    points[draw(st.integers(0, n - 1))] = max_score
    names = draw(st.lists(labels, min_size=n, max_size=n, unique_by=_fold))
    return Rule(rule_type, max_score, draw(st.booleans()), options=_options(points, names))


@st.composite
def checklist_rules(draw: st.DrawFn) -> Rule:
    n = draw(st.integers(min_value=1, max_value=5))
    points = draw(st.lists(amounts(0, 10), min_size=n, max_size=n))
    max_score = draw(amounts(max(points), sum(points)))
    names = draw(st.lists(labels, min_size=n, max_size=n, unique_by=_fold))
    return Rule("checklist", max_score, draw(st.booleans()), options=_options(points, names))


@st.composite
def tier_rules(draw: st.DrawFn) -> Rule:
    max_score = draw(amounts())
    cuts = sorted(draw(st.sets(amounts("0.01", "99.99"), max_size=4)))
    cut_goes_up = draw(st.lists(st.booleans(), min_size=len(cuts), max_size=len(cuts)))
    bounds = [D(0), *cuts, HUNDRED]
    n = len(bounds) - 1
    points = draw(st.lists(amounts(0, max_score), min_size=n, max_size=n))
    points[draw(st.integers(0, n - 1))] = max_score
    tiers = [
        Tier(
            bounds[i],
            i == 0 or cut_goes_up[i - 1],
            bounds[i + 1],
            i == n - 1 or not cut_goes_up[i],
            points[i],
        )
        for i in range(n)
    ]
    return Rule(
        "percent_tiers", max_score, draw(st.booleans()), tiers=tuple(draw(st.permutations(tiers)))
    )


@st.composite
def count_rules(draw: st.DrawFn) -> Rule:
    max_score = draw(amounts())
    cap = draw(st.sampled_from([None, max_score]))
    return Rule("count", max_score, draw(st.booleans()), each=draw(amounts("0.01")), cap=cap)


@st.composite
def points_rules(draw: st.DrawFn) -> Rule:
    step = draw(
        st.sampled_from(
            [None, D("0.01"), D("0.05"), D("0.1"), D("0.25"), D("0.5"), D(1), D("0.125")]
        )
    )
    k = draw(st.integers(min_value=0, max_value=400))
    return Rule("points", (step or D("0.01")) * k, draw(st.booleans()), step=step)


@st.composite
def deduction_rules(draw: st.DrawFn) -> Rule:
    max_score = draw(amounts())
    if draw(st.booleans()):
        return Rule("deduction", max_score, draw(st.booleans()), each=draw(amounts("0.01")))
    n = draw(st.integers(min_value=1, max_value=4))
    points = draw(st.lists(amounts(0, max_score), min_size=n, max_size=n))
    names = draw(st.lists(labels, min_size=n, max_size=n, unique_by=_fold))
    return Rule("deduction", max_score, draw(st.booleans()), options=_options(points, names))


plain_rules = st.builds(
    lambda t, m, na: Rule(t, m, na), st.sampled_from(["yes_no", "survey"]), amounts(), st.booleans()
)

valid_rules = st.one_of(
    plain_rules,
    levels_rules(),
    checklist_rules(),
    tier_rules(),
    count_rules(),
    points_rules(),
    deduction_rules(),
)


@PROPERTY
@given(valid_rules)
def test_generated_rules_are_valid(rule: Rule) -> None:
    assert validate_rule(rule) == []


@PROPERTY
@given(valid_rules)
def test_format_params_round_trips(rule: Rule) -> None:
    assert parse_rule(rule.type, format_params(rule), rule.max_score, rule.na_allowed) == rule


def _keys(rule: Rule) -> st.SearchStrategy[str]:
    return st.sampled_from([o.key for o in rule.options] or ["1"]) | st.text(max_size=3)


def _numbers() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(),
        st.integers(min_value=-5, max_value=200).map(str),
        st.integers(),
        st.floats(),
        amounts(-10, 200),
        st.text(max_size=6),
        st.booleans(),
        st.none(),
        st.sampled_from(
            [
                D("1E+999999"),
                D("-1E+999999"),
                D("1E-999999"),
                D("1.5E-40"),
                10**40,
                "9" * 40,
                "0." + "0" * 40 + "1",
            ]
        ),
    )


def declared_values(rule: Rule) -> st.SearchStrategy[Any]:
    keys, numbers = _keys(rule), _numbers()
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=4),
        keys,
        st.lists(keys, max_size=3),
    )
    return st.one_of(
        st.fixed_dictionaries({"yes": st.booleans() | scalars}),
        st.fixed_dictionaries({"na": st.booleans() | scalars}),
        st.fixed_dictionaries({"option": st.none() | keys | scalars}),
        st.fixed_dictionaries({"checked": st.lists(keys, max_size=6) | scalars}),
        st.fixed_dictionaries({"percent": numbers}),
        st.fixed_dictionaries({"numerator": numbers, "denominator": numbers}),
        st.fixed_dictionaries({"count": numbers}),
        st.fixed_dictionaries({"points": numbers}),
        st.fixed_dictionaries({"violations": numbers}),
        st.dictionaries(
            st.sampled_from(
                [
                    "yes",
                    "na",
                    "option",
                    "checked",
                    "percent",
                    "count",
                    "points",
                    "violations",
                    "numerator",
                    "x",
                ]
            ),
            scalars | numbers,
            max_size=3,
        ),
        scalars,
    )


def shaped_values(rule: Rule) -> st.SearchStrategy[dict[str, Any]]:
    """Answers of the right shape for this rule, mostly scoring, some just out of range."""
    keys = st.sampled_from([o.key for o in rule.options] or ["1"])
    whole = st.integers(min_value=-2, max_value=60)
    step = rule.step or D("0.01")
    by_type: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "yes_no": st.fixed_dictionaries({"yes": st.booleans()}),
        "levels": st.fixed_dictionaries({"option": keys}),
        "checklist": st.fixed_dictionaries({"checked": st.lists(keys, max_size=5)}),
        "percent_tiers": st.one_of(
            st.fixed_dictionaries({"percent": amounts(-1, 101).map(str)}),
            st.fixed_dictionaries({"percent": st.integers(0, 100) | amounts(0, 100)}),
            st.fixed_dictionaries({"numerator": whole.map(str), "denominator": whole.map(str)}),
        ),
        "count": st.fixed_dictionaries({"count": whole}),
        "points": st.one_of(
            st.fixed_dictionaries({"points": amounts(-1, rule.max_score + 1).map(str)}),
            st.fixed_dictionaries(
                {"points": st.integers(0, int(rule.max_score / step)).map(lambda k: str(k * step))}
            ),
        ),
        "deduction": st.one_of(
            st.fixed_dictionaries({"violations": whole}),
            st.fixed_dictionaries({"option": st.none() | keys}),
        ),
        "survey": st.fixed_dictionaries({"percent": whole}),
    }
    return by_type[rule.type] | st.just({"na": True})


def _assert_in_range(rule: Rule, value: Any) -> Decimal | None:
    try:
        result = evaluate(rule, value)
    except DeclaredValueError as exc:
        assert exc.render("vi") and exc.render("en")
        return None
    if result is None:
        assert rule.na_allowed and value == {"na": True}
    else:
        assert isinstance(result, Decimal)
        assert D(0) <= result <= rule.max_score
        assert describe(rule, value) and describe(rule, value, "en")
    return result


@PROPERTY
@given(st.data())
def test_evaluate_stays_within_zero_and_max(data: st.DataObject) -> None:
    rule = data.draw(valid_rules)
    _assert_in_range(rule, data.draw(shaped_values(rule) | declared_values(rule)))


def typed_texts(rule: Rule) -> st.SearchStrategy[str]:
    option_labels = [o.label for o in rule.options] or ["x"]
    number = st.one_of(
        amounts(-10, 200).map(str),
        st.integers(-3, 300).map(str),
        st.from_regex(r"\A[0-9]{1,4}([.,][0-9]{1,3})?\Z"),
    )
    return st.one_of(
        st.text(max_size=12),
        st.text("0123456789,.%/ -", max_size=10),
        number,
        number.map(lambda s: s + "%"),
        st.tuples(number, number).map("/".join),
        st.sampled_from(
            [
                "có",
                "Không",
                "KAD",
                "không áp dụng",
                "N/A",
                "tất cả",
                "k",
                "nan",
                "Infinity",
                "1, 3",
                "1 1",
                "",
            ]
        ),
        st.sampled_from(option_labels),
        st.sampled_from(option_labels).map(str.upper),
        st.lists(st.sampled_from(option_labels), max_size=3).map("; ".join),
    )


@PROPERTY
@given(st.data())
def test_parse_declared_gives_a_scoring_answer_or_a_sentence(data: st.DataObject) -> None:
    rule = data.draw(valid_rules)
    text = data.draw(typed_texts(rule))
    try:
        value = parse_declared(rule, text)
    except DeclaredValueError as exc:
        assert exc.render("vi") and exc.render("en")
        return
    assert rule.type != "survey"
    assert value == {"na": True} or D(0) <= evaluate(rule, value) <= rule.max_score  # type: ignore[operator]


@PROPERTY
@given(st.data())
def test_typing_an_options_label_chooses_it(data: st.DataObject) -> None:
    rule = data.draw(st.one_of(levels_rules(), checklist_rules(), deduction_rules()))
    named = [o for o in rule.options if re.search(r"[^\W\d_]", o.label)]
    if not named:
        return
    option = data.draw(st.sampled_from(named))
    value = parse_declared(rule, option.label)
    assert value == (
        {"checked": [option.key]} if rule.type == "checklist" else {"option": option.key}
    )


@PROPERTY
@given(count_rules(), st.integers(min_value=0, max_value=10**6))
def test_count_is_units_times_each_up_to_the_max(rule: Rule, units: int) -> None:
    assert rule.each is not None
    assert evaluate(rule, {"count": units}) == min(units * rule.each, rule.max_score)


@PROPERTY
@given(st.data())
def test_deduction_per_violation_never_goes_below_zero(data: st.DataObject) -> None:
    each = data.draw(amounts("0.01", 5))
    rule = Rule("deduction", data.draw(amounts()), each=each)
    violations = data.draw(st.integers(min_value=0, max_value=10**4))
    assert evaluate(rule, {"violations": violations}) == max(
        D(0), rule.max_score - violations * each
    )


@PROPERTY
@given(tier_rules(), amounts(0, 100) | st.integers(0, 100).map(D))
def test_every_percentage_falls_in_exactly_one_tier(rule: Rule, percent: Decimal) -> None:
    assert sum(t.contains(percent) for t in rule.tiers) == 1
    assert evaluate(rule, {"percent": str(percent)}) == next(
        t.points for t in rule.tiers if t.contains(percent)
    )


BOUNDS = [D(0), D(10), D(50), D(70), D(90), D(100)]
PROBES = [*BOUNDS, D(5), D(30), D(60), D(80), D(95)]  # the bounds and a point between each


@st.composite
def any_tiers(draw: st.DrawFn) -> tuple[Tier, ...]:
    n = draw(st.integers(min_value=1, max_value=4))
    return tuple(
        Tier(
            draw(st.sampled_from(BOUNDS)),
            draw(st.booleans()),
            draw(st.sampled_from(BOUNDS)),
            draw(st.booleans()),
            D(1),
        )
        for _ in range(n)
    )


@settings(max_examples=300, deadline=None)
@given(any_tiers())
def test_tier_checks_agree_with_a_brute_force_count(tiers: tuple[Tier, ...]) -> None:
    """The rule is accepted exactly when every value in 0..100 lies in exactly one tier."""
    problems = validate_rule(Rule("percent_tiers", D(1), tiers=tiers))
    exactly_once = all(sum(t.contains(p) for t in tiers) == 1 for p in PROBES)
    none_empty = not any(t.is_empty() for t in tiers)
    assert (problems == []) == (exactly_once and none_empty), [p.render("en") for p in problems]
