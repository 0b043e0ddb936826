"""Roll-up, index, ranking and classification, checked against worked examples by hand.

Each example writes its small criteria set out in full, so a reader can redo the arithmetic on
paper; the property tests then check the invariants over random sets and scores.
"""

from __future__ import annotations

import random
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.numbers import round_half_up
from forms.rollup import (
    DEFAULT_BANDS,
    SCALE,
    Band,
    CriteriaTree,
    ItemScore,
    Node,
    RollupOptions,
    UnitRollup,
    classify,
    competition_rank,
    rank_rounded,
    rank_within_groups,
    roll_up,
    scaled,
    validate_bands,
)

D = Decimal
NA = "NA"  # marker in score tables below: the item is not applicable (không áp dụng)


def node(code: str, max_score: str, section: str = "standard", level: str | None = None) -> Node:
    """A node whose parent and level follow from its code: "1" field, "1.2" criterion, …

    In survey, bonus and penalty groups ("X", "C", "T") a dotted code is an item directly under
    the group, as those sections are printed.
    """
    parent = code.rsplit(".", 1)[0] if "." in code else None
    if level is None:
        depth = code.count(".")
        if section != "standard" and depth == 1:
            level = "item"
        else:
            level = ("field", "criterion", "item")[depth]
    return Node(code, parent, level, section, D(max_score))  # type: ignore[arg-type]


def scores(**by_code: str | None) -> dict[str, ItemScore]:
    """Score table keyed by code with "_" for "." (1_1_1 → "1.1.1"); NA marks not applicable."""
    table: dict[str, ItemScore] = {}
    for key, value in by_code.items():
        code = key.replace("_", ".")
        if value == NA:
            table[code] = ItemScore(None, not_applicable=True)
        else:
            table[code] = ItemScore(None if value is None else D(value))
    return table


def full_standard_100() -> list[Node]:
    """A 100-point standard part: two fields of 60 and 40, one criterion each, two items each."""
    return [
        node("1", "60"),
        node("1.1", "60"),
        node("1.1.1", "30"),
        node("1.1.2", "30"),
        node("2", "40"),
        node("2.1", "40"),
        node("2.1.1", "20"),
        node("2.1.2", "20"),
    ]


# --------------------------------------------------------------------------------------------
# Items, criteria, fields
# --------------------------------------------------------------------------------------------


def test_item_above_its_max_is_clamped_and_negative_counts_zero() -> None:
    nodes = [node("1", "10"), node("1.1", "10"), node("1.1.1", "2"), node("1.1.2", "8")]
    result = roll_up(nodes, scores(**{"1_1_1": "2.5", "1_1_2": "-1"}))
    assert result.nodes["1.1.1"].score == D("2")
    assert result.nodes["1.1.2"].score == D("0")
    assert result.nodes["1.1"].score == D("2")
    assert result.standard == D("2")
    # The set's maximum is 10 (field max), so 2 points is 20%.
    assert result.applicable_max == D("10")
    assert result.index == D("20")


def test_a_group_is_measured_against_what_its_children_can_reach() -> None:
    # A criterion printed as 5 whose items only add up to 3 (an authoring slip, or items not
    # all listed yet): its applicable maximum is 3, so a unit is not marked down for points no
    # question can award.
    nodes = [node("1", "5"), node("1.1", "5"), node("1.1.1", "1"), node("1.1.2", "2")]
    result = roll_up(nodes, scores(**{"1_1_1": "1", "1_1_2": "2"}))
    assert result.nodes["1.1"].max_score == D("5")
    assert result.nodes["1.1"].applicable_max == D("3")
    assert result.applicable_max == D("3")
    assert result.index == D("100")


def test_criterion_and_field_sums_are_capped_at_their_max() -> None:
    # Items add up to more than the criterion allows (6 > 5), and criteria to more than the
    # field allows (5 + 4 > 8): each level keeps at most its own maximum.
    nodes = [
        node("1", "8"),
        node("1.1", "5"),
        node("1.1.1", "2"),
        node("1.1.2", "2"),
        node("1.1.3", "2"),
        node("1.2", "4"),
        node("1.2.1", "4"),
    ]
    result = roll_up(nodes, scores(**{"1_1_1": "2", "1_1_2": "2", "1_1_3": "2", "1_2_1": "4"}))
    assert result.nodes["1.1"].score == D("5")
    assert result.nodes["1.1"].applicable_max == D("5")
    assert result.nodes["1.2"].score == D("4")
    assert result.nodes["1"].score == D("8")
    assert result.nodes["1"].applicable_max == D("8")
    assert result.total == D("8")
    assert result.index == D("100")


def test_unanswered_items_count_zero_against_the_full_max() -> None:
    nodes = [node("1", "10"), node("1.1", "10"), node("1.1.1", "4"), node("1.1.2", "6")]
    # 1.1.1 answered, 1.1.2 absent from the mapping.
    missing = roll_up(nodes, scores(**{"1_1_1": "4"}))
    # 1.1.2 present but not answered yet (score None).
    unanswered = roll_up(nodes, scores(**{"1_1_1": "4", "1_1_2": None}))
    for result in (missing, unanswered):
        assert result.nodes["1.1.2"].score == D("0")
        assert result.nodes["1.1.2"].applicable_max == D("6")
        assert result.nodes["1.1.2"].not_applicable is False
        assert result.total == D("4")
        assert result.applicable_max == D("10")
        assert result.index == D("40")
    nothing = roll_up(nodes, {})
    assert nothing.total == D("0")
    assert nothing.index == D("0")


def test_not_applicable_item_changes_the_index_but_not_the_points() -> None:
    """Thanh Hóa 2023, Ban Dân tộc: 68.32 points published as 81.33% (applicable max 84)."""
    nodes = [
        node("1", "50"),
        node("1.1", "50"),
        node("1.1.1", "50"),
        node("2", "50"),
        node("2.1", "34"),
        node("2.1.1", "34"),
        node("2.2", "16"),
        node("2.2.1", "16"),
    ]
    answered = {"1_1_1": "40", "2_1_1": "28.32"}
    all_applicable = roll_up(nodes, scores(**answered, **{"2_2_1": "0"}))
    with_na = roll_up(nodes, scores(**answered, **{"2_2_1": NA}))

    assert all_applicable.total == with_na.total == D("68.32")
    assert all_applicable.applicable_max == D("100")
    assert all_applicable.index == D("68.32")

    assert with_na.applicable_max == D("84")
    assert round_half_up(with_na.index) == D("81.33")
    # The index itself is not rounded: 68.32 / 84 = 81.3333…
    assert with_na.index != D("81.33")
    assert D("81.3333333333") < with_na.index < D("81.3333333334")

    # The NA criterion disappears from its field's denominator, and is itself NA.
    assert with_na.nodes["2.2.1"].not_applicable
    assert with_na.nodes["2.2"].not_applicable
    assert with_na.nodes["2.2"].applicable_max == D("0")
    assert with_na.nodes["2.2"].index is None
    assert with_na.nodes["2"].applicable_max == D("34")
    assert with_na.nodes["2"].not_applicable is False
    assert with_na.nodes["2"].max_score == D("50")
    assert round_half_up(with_na.nodes["2"].index) == D("83.29")  # 28.32 / 34


def test_all_na_criterion_is_not_applicable_and_ignores_any_score_given() -> None:
    nodes = [
        node("1", "10"),
        node("1.1", "4"),
        node("1.1.1", "2"),
        node("1.1.2", "2"),
        node("1.2", "6"),
        node("1.2.1", "6"),
    ]
    table = scores(**{"1_1_1": NA, "1_1_2": NA, "1_2_1": "3"})
    # An NA item carrying a stale score must not add points the denominator no longer counts.
    table["1.1.1"] = ItemScore(D("2"), not_applicable=True)
    result = roll_up(nodes, table)
    crit = result.nodes["1.1"]
    assert crit.not_applicable is True
    assert crit.score == D("0")
    assert crit.applicable_max == D("0")
    assert crit.index is None
    assert result.nodes["1.1.1"].score == D("0")
    assert result.nodes["1"].applicable_max == D("6")
    assert result.total == D("3")
    assert result.index == D("50")


def test_index_is_none_when_nothing_is_applicable() -> None:
    nodes = [node("1", "10"), node("1.1", "10"), node("1.1.1", "4"), node("1.1.2", "6")]
    result = roll_up(nodes, scores(**{"1_1_1": NA, "1_1_2": NA}))
    assert result.applicable_max == D("0")
    assert result.index is None
    assert result.nodes["1"].not_applicable is True
    assert result.nodes["1"].index is None
    assert result.field_indexes() == {"1": None}
    # An empty criteria set (or one with only a bonus group) has no denominator either.
    assert roll_up([], {}).index is None
    bonus_only = [node("C", "5", "bonus"), node("C.1", "5", "bonus")]
    only_bonus = roll_up(bonus_only, scores(**{"C_1": "2"}))
    assert only_bonus.total == D("2")
    assert only_bonus.index is None


def test_leaf_criterion_is_scored_directly() -> None:
    # Some sets score at criterion level (as many TC as TCTP); a node without children is
    # scored from the mapping whatever its level.
    nodes = [node("1", "10"), node("1.1", "4"), node("1.2", "6"), node("1.2.1", "6")]
    result = roll_up(nodes, scores(**{"1_1": "5", "1_2_1": "3"}))
    assert result.nodes["1.1"].score == D("4")
    assert result.total == D("7")


def test_scores_for_unknown_or_group_codes_are_ignored() -> None:
    nodes = [node("1", "10"), node("1.1", "10"), node("1.1.1", "10")]
    result = roll_up(nodes, scores(**{"1_1_1": "3", "9_9_9": "5", "1_1": "10"}))
    assert result.total == D("3")


# --------------------------------------------------------------------------------------------
# Survey, bonus, penalty, totals
# --------------------------------------------------------------------------------------------


def test_survey_points_are_added_and_their_max_is_in_the_denominator() -> None:
    """Provinces 2024: 68 points appraised + 32 points measured by the survey."""
    nodes = [
        node("1", "68"),
        node("1.1", "68"),
        node("1.1.1", "68"),
        node("X", "32", "survey"),
        node("X.1", "20", "survey"),
        node("X.2", "12", "survey"),
    ]
    result = roll_up(nodes, scores(**{"1_1_1": "60", "X_1": "15.5", "X_2": "9.75"}))
    assert result.standard == D("60")
    assert result.survey == D("25.25")
    assert result.total == D("85.25")
    assert result.applicable_max == D("100")
    assert result.index == D("85.25")
    # Survey results not imported yet: 0 points, but still out of 100.
    pending = roll_up(nodes, scores(**{"1_1_1": "60", "X_1": None}))
    assert pending.survey == D("0")
    assert pending.applicable_max == D("100")
    assert pending.index == D("60")
    # Survey fields are not standard fields.
    assert result.field_scores() == {"1": D("60")}


def test_unit_not_surveyed_falls_back_to_self_score_converted_to_100() -> None:
    nodes = [node("1", "70"), node("1.1", "70"), node("X", "30", "survey")]
    result = roll_up(nodes, scores(**{"1_1": "63", "X": NA}))
    assert result.applicable_max == D("70")
    assert result.index == D("90")


def test_bonus_takes_the_total_above_100() -> None:
    """Tiền Giang 2020: Cục Thuế 102,50 points; huyện Chợ Gạo 100,14."""
    nodes = [
        *full_standard_100(),
        node("C", "5", "bonus"),
        node("C.1", "3", "bonus"),
        node("C.2", "2", "bonus"),
    ]
    full = {"1_1_1": "30", "1_1_2": "30", "2_1_1": "20", "2_1_2": "20"}
    cuc_thue = roll_up(nodes, scores(**full, **{"C_1": "2.5"}))
    assert cuc_thue.standard == D("100")
    assert cuc_thue.bonus == D("2.5")
    assert cuc_thue.total == D("102.50")
    assert cuc_thue.applicable_max == D("100")  # the bonus never enters the denominator
    assert cuc_thue.index == D("102.5")
    assert classify(cuc_thue.index) == "Tốt"

    cho_gao = roll_up(nodes, scores(**{**full, "2_1_2": "19.64", "C_2": "0.5"}))
    assert cho_gao.total == D("100.14")
    assert round_half_up(cho_gao.index) == D("100.14")


def test_cap_index_at_100_on_and_off() -> None:
    nodes = [*full_standard_100(), node("C", "5", "bonus"), node("C.1", "5", "bonus")]
    table = scores(**{"1_1_1": "30", "1_1_2": "30", "2_1_1": "20", "2_1_2": "20", "C_1": "2.5"})
    uncapped = roll_up(nodes, table, RollupOptions(cap_index_at_100=False))
    capped = roll_up(nodes, table, RollupOptions(cap_index_at_100=True))
    assert uncapped.index == D("102.5")
    assert capped.index == D("100")
    # Capping the index never hides the points: the total is still published as 102,50.
    assert capped.total == D("102.5")
    # Below 100 the option changes nothing.
    table["1.1.1"] = ItemScore(D("20"))
    assert roll_up(nodes, table, RollupOptions(cap_index_at_100=True)).index == D("92.5")


def test_bonus_above_its_cap() -> None:
    nodes = [
        node("1", "10"),
        node("1.1", "10"),
        node("C", "5", "bonus"),
        node("C.1", "3", "bonus"),
        node("C.2", "3", "bonus"),
        node("C.3", "3", "bonus"),
    ]
    table = scores(**{"1_1": "10", "C_1": "3", "C_2": "3", "C_3": "0.5"})
    # 6.5 bonus points earned; the group's maximum of 5 is the default cap.
    default = roll_up(nodes, table)
    assert default.nodes["C"].score == D("5")
    assert default.bonus == D("5")
    assert default.total == D("15")
    # A tighter period cap wins.
    assert roll_up(nodes, table, RollupOptions(bonus_cap=D("4"))).bonus == D("4")
    assert roll_up(nodes, table, RollupOptions(bonus_cap=D("0"))).bonus == D("0")
    # A looser period cap replaces the group's printed maximum (the campaign setting wins);
    # the group row still shows its points against its own maximum.
    loose = roll_up(nodes, table, RollupOptions(bonus_cap=D("10")))
    assert loose.bonus == D("6.5")
    assert loose.nodes["C"].score == D("5")
    # Each item is still clamped to its own maximum before the section cap.
    over = roll_up(nodes, scores(**{"C_1": "9"}), RollupOptions(bonus_cap=D("10")))
    assert over.bonus == D("3")


def test_penalty_is_subtracted() -> None:
    nodes = [
        *full_standard_100(),
        node("T", "5", "penalty"),
        node("T.1", "2", "penalty"),
        node("T.2", "3", "penalty"),
    ]
    table = scores(
        **{"1_1_1": "30", "1_1_2": "25", "2_1_1": "20", "2_1_2": "15", "T_1": "1", "T_2": "0.5"}
    )
    result = roll_up(nodes, table)
    assert result.standard == D("90")
    assert result.penalty == D("1.5")
    assert result.total == D("88.5")
    assert result.index == D("88.5")
    assert classify(result.index) == "Khá"  # the penalty dropped the unit out of "Tốt"
    # No penalty row answered: nothing subtracted.
    del table["T.1"], table["T.2"]
    assert roll_up(nodes, table).total == D("90")


def test_penalty_is_capped() -> None:
    nodes = [
        node("1", "10"),
        node("1.1", "10"),
        node("T", "2", "penalty"),
        node("T.1", "2", "penalty"),
        node("T.2", "2", "penalty"),
    ]
    table = scores(**{"1_1": "9", "T_1": "2", "T_2": "1.5"})
    result = roll_up(nodes, table)
    assert result.penalty == D("2")
    assert result.total == D("7")
    tighter = roll_up(nodes, table, RollupOptions(penalty_cap=D("1")))
    assert tighter.penalty == D("1")
    assert tighter.total == D("8")


def test_total_is_floored_at_zero() -> None:
    nodes = [node("1", "10"), node("1.1", "10"), node("T", "5", "penalty")]
    result = roll_up(nodes, scores(**{"1_1": "1", "T": "3"}))
    assert result.penalty == D("3")
    assert result.total == D("0")
    assert result.index == D("0")


def test_bonus_in_index_off_keeps_bonus_and_penalty_in_the_total_only() -> None:
    nodes = [
        node("1", "40"),
        node("1.1", "40"),
        node("X", "10", "survey"),
        node("C", "5", "bonus"),
        node("T", "5", "penalty"),
    ]
    table = scores(**{"1_1": "36", "X": "8", "C": "4", "T": "1"})
    on = roll_up(nodes, table)
    off = roll_up(nodes, table, RollupOptions(bonus_in_index=False))
    assert on.total == off.total == D("47")
    assert on.index == D("94")  # 47 / 50
    assert off.index == D("88")  # (36 + 8) / 50
    assert off.bonus == D("4")
    assert off.penalty == D("1")


# --------------------------------------------------------------------------------------------
# Per-field views, the tree, inputs
# --------------------------------------------------------------------------------------------


def test_field_scores_and_indexes_follow_the_set_order() -> None:
    nodes = [
        node("2", "40"),
        node("2.1", "40"),
        node("1", "60"),
        node("1.1", "60"),
        node("X", "10", "survey"),
        node("C", "5", "bonus"),
    ]
    result = roll_up(nodes, scores(**{"1_1": "45", "2_1": "30", "X": "5", "C": "1"}))
    assert list(result.field_scores().items()) == [("2", D("30")), ("1", D("45"))]
    assert result.field_indexes() == {"2": D("75"), "1": D("75")}
    assert list(result.nodes) == ["2", "2.1", "1", "1.1", "X", "C"]


def test_tree_and_node_list_give_the_same_result() -> None:
    nodes = [*full_standard_100(), node("C", "5", "bonus"), node("C.1", "5", "bonus")]
    table = scores(**{"1_1_1": "12.25", "2_1_2": NA, "C_1": "1"})
    tree = CriteriaTree(nodes)
    assert roll_up(tree, table) == roll_up(nodes, table) == roll_up(tuple(nodes), table)
    assert tree.standard_fields == ("1", "2")
    assert tree.section_max("bonus") == D("5")


def test_result_does_not_depend_on_the_callers_decimal_context() -> None:
    nodes = [node("1", "84"), node("1.1", "84")]
    table = scores(**{"1_1": "68.32"})
    expected = roll_up(nodes, table)
    with localcontext() as ctx:
        ctx.prec = 3
        assert roll_up(nodes, table) == expected


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ([node("1", "1"), node("1", "2")], "Duplicate node code"),
        ([node("1", "1"), node("2.1", "1")], "unknown parent"),
        (
            [node("1", "2"), node("1.1", "2"), Node("1.1.1", "1.1", "criterion", "standard", D(1))],
            "cannot sit under",
        ),
        ([node("1", "2"), node("1.1", "2", "bonus")], "section"),
        ([node("1", "-1")], "negative"),
        ([Node("1", None, "criterion", "standard", D(1))], "must be a field"),
        ([Node("1", None, "field", "extra", D(1))], "unknown section"),  # type: ignore[arg-type]
        ([Node("1", None, "group", "standard", D(1))], "unknown level"),  # type: ignore[arg-type]
        ([Node("1", None, "field", "standard", D("NaN"))], "finite"),
    ],
)
def test_malformed_criteria_sets_are_refused(nodes: list[Node], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CriteriaTree(nodes)


def test_float_scores_and_bad_caps_are_refused() -> None:
    with pytest.raises(TypeError):
        ItemScore(0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ItemScore(D("Infinity"))
    with pytest.raises(ValueError):
        RollupOptions(bonus_cap=D("-1"))
    with pytest.raises(ValueError):
        RollupOptions(penalty_cap=2)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------


def test_equal_values_share_a_rank_and_the_next_is_skipped() -> None:
    ranks = competition_rank(
        {"a": D("91.2"), "b": D("95"), "c": D("91.20"), "d": D("80"), "e": D("95.00")}
    )
    assert ranks == {"a": 3, "b": 1, "c": 3, "d": 5, "e": 1}
    assert list(ranks) == ["a", "b", "c", "d", "e"]


def test_values_tie_after_half_up_rounding() -> None:
    # 89.445 rounds half-up to 89.45 (not to 89.44 as banker's rounding would).
    assert competition_rank({"a": D("89.445"), "b": D("89.45"), "c": D("89.444")}) == {
        "a": 1,
        "b": 1,
        "c": 3,
    }
    assert competition_rank({"a": D("89.444"), "b": D("89.445")}) == {"a": 2, "b": 1}
    # An unrounded index that only looks equal when printed ties as well.
    assert competition_rank({"a": D(6832) / D(84), "b": D("81.33")}) == {"a": 1, "b": 1}


def test_none_is_unranked_and_takes_no_place() -> None:
    assert competition_rank({"a": D("90"), "b": None, "c": D("80"), "d": D("80")}) == {
        "a": 1,
        "b": None,
        "c": 2,
        "d": 2,
    }
    assert competition_rank({"a": None}) == {"a": None}
    assert competition_rank({}) == {}


def test_non_numbers_cannot_be_ranked() -> None:
    with pytest.raises(ValueError, match="finite"):
        competition_rank({"a": D("NaN")})
    with pytest.raises(ValueError, match="finite"):
        competition_rank({"a": 90.5})  # type: ignore[dict-item]


def test_ranks_are_computed_separately_per_group() -> None:
    rows = [
        ("Sở Nội vụ", "sở", D("92.10")),
        ("UBND xã A", "xã", D("85.00")),
        ("Sở Tài chính", "sở", D("88.5")),
        ("UBND xã B", "xã", D("93.7")),
        ("Sở Y tế", "sở", D("92.1")),
        ("Ban Dân tộc", "sở", None),
        ("Cục Thuế", "ngành dọc", D("70")),
    ]
    assert rank_within_groups(rows) == {
        "Sở Nội vụ": 1,
        "UBND xã A": 2,
        "Sở Tài chính": 3,
        "UBND xã B": 1,
        "Sở Y tế": 1,
        "Ban Dân tộc": None,
        "Cục Thuế": 1,
    }
    assert rank_within_groups([]) == {}
    with pytest.raises(ValueError, match="more than once"):
        rank_within_groups([("a", 1, D(1)), ("a", 2, D(2))])


def test_publication_pipeline_rank_and_classify_from_rollups() -> None:
    nodes = [node("1", "84"), node("1.1", "84")]
    units = {
        "Ban Dân tộc": roll_up(nodes, scores(**{"1_1": "68.32"})),  # 81.333…
        "Sở A": roll_up(nodes, scores(**{"1_1": "75.6"})),  # 90
        "Sở B": roll_up(nodes, scores(**{"1_1": "75.596"})),  # 89.9952… → 90.00
        "Sở C": roll_up(nodes, {"1.1": ItemScore(None, not_applicable=True)}),  # not ranked
    }
    ranks = competition_rank({unit: r.index for unit, r in units.items()})
    assert ranks == {"Ban Dân tộc": 3, "Sở A": 1, "Sở B": 1, "Sở C": None}
    bands = {unit: classify(r.index) for unit, r in units.items()}
    assert bands == {"Ban Dân tộc": "Khá", "Sở A": "Tốt", "Sở B": "Tốt", "Sở C": None}


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "label"),
    [
        ("100", "Tốt"),
        ("102.5", "Tốt"),
        ("90.00", "Tốt"),
        ("89.995", "Tốt"),  # printed 90,00
        ("89.994", "Khá"),  # printed 89,99
        ("80", "Khá"),
        ("79.995", "Khá"),
        ("79.994", "Trung bình"),
        ("65", "Trung bình"),
        ("64.99", "Yếu"),
        ("0", "Yếu"),
    ],
)
def test_classify_at_the_default_band_edges(index: str, label: str) -> None:
    assert classify(D(index)) == label


def test_classify_none_is_none() -> None:
    assert classify(None) is None


def test_classify_with_custom_bands() -> None:
    # Nam Định 2020, districts: Nhóm I ≥ 80%, Nhóm II 70–<80%; no band below 70.
    nam_dinh = [Band("Nhóm II", D(70)), Band("Nhóm I", D(80))]  # any order
    assert classify(D("80"), nam_dinh) == "Nhóm I"
    assert classify(D("79.999"), nam_dinh) == "Nhóm I"
    assert classify(D("79.99"), nam_dinh) == "Nhóm II"
    assert classify(D("69.99"), nam_dinh) is None
    # Tây Ninh 2022: "tốt" strictly above 80%, written as 80.01 on the 2-decimal scale.
    tay_ninh = [Band("Tốt", D("80.01")), Band("Khá", D(60)), Band("Kém", D(0))]
    assert classify(D("80"), tay_ninh) == "Khá"
    assert classify(D("80.005"), tay_ninh) == "Tốt"
    assert classify(D("59.99"), tay_ninh) == "Kém"


def test_validate_bands_accepts_the_defaults() -> None:
    assert validate_bands(DEFAULT_BANDS) == []
    assert validate_bands([Band("Nhóm B", D(80)), Band("Nhóm A", D(90)), Band("C", D(0))]) == []


def test_validate_bands_reports_each_problem() -> None:
    assert validate_bands([]) == ["No classification bands are defined."]

    duplicates = validate_bands(
        [Band("Tốt", D(90)), Band("Tốt", D(80)), Band("Khá", D("90.00")), Band("Yếu", D(0))]
    )
    assert len(duplicates) == 2
    assert "Label “Tốt” is used by more than one band." in duplicates
    assert any("Threshold 90.00 is used by more than one band" in p for p in duplicates)

    no_floor = validate_bands([Band("Nhóm I", D(80)), Band("Nhóm II", D(70))])
    assert no_floor == ["No band starts at 0, so an index below 70 would have no classification."]

    odd = validate_bands([Band(" ", D(0)), Band("Tốt", D("89.995")), Band("X", D("NaN"))])
    assert "A band has no label." in odd
    assert any("89.995 has more than 2 decimals" in p for p in odd)
    assert any("not a number" in p for p in odd)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=20, places=2)
raw_scores = st.one_of(
    st.none(), st.decimals(min_value=-5, max_value=30, places=3), st.just(NA), st.just("missing")
)


@st.composite
def criteria_sets(draw: st.DrawFn) -> tuple[list[Node], dict[str, ItemScore]]:
    """A random set (standard fields, optional survey/bonus/penalty groups) and its scores."""
    nodes: list[Node] = []
    for f in range(1, draw(st.integers(1, 3)) + 1):
        nodes.append(Node(str(f), None, "field", "standard", draw(amounts)))
        for c in range(1, draw(st.integers(0, 3)) + 1):
            code = f"{f}.{c}"
            if draw(st.booleans()):  # a criterion with items
                nodes.append(Node(code, str(f), "criterion", "standard", draw(amounts)))
                for i in range(1, draw(st.integers(0, 3)) + 1):
                    nodes.append(Node(f"{code}.{i}", code, "item", "standard", draw(amounts)))
            else:  # an item directly under the field
                nodes.append(Node(code, str(f), "item", "standard", draw(amounts)))
    for section, group in (("survey", "X"), ("bonus", "C"), ("penalty", "T")):
        if draw(st.booleans()):
            nodes.append(Node(group, None, "field", section, draw(amounts)))  # type: ignore[arg-type]
            for i in range(1, draw(st.integers(0, 3)) + 1):
                nodes.append(Node(f"{group}.{i}", group, "item", section, draw(amounts)))  # type: ignore[arg-type]
    parents = {n.parent for n in nodes}
    leaves = [n.code for n in nodes if n.code not in parents]
    table: dict[str, ItemScore] = {}
    for code in leaves:
        value = draw(raw_scores)
        if value == NA:
            table[code] = ItemScore(None, not_applicable=True)
        elif value != "missing":
            table[code] = ItemScore(value)
    return nodes, table


options_strategy = st.builds(
    RollupOptions,
    bonus_cap=st.one_of(st.none(), amounts),
    penalty_cap=st.one_of(st.none(), amounts),
    cap_index_at_100=st.booleans(),
    bonus_in_index=st.booleans(),
)


def _section_max(nodes: list[Node], section: str) -> Decimal:
    return sum((n.max_score for n in nodes if n.section == section and n.parent is None), D(0))


@settings(max_examples=300)
@given(criteria_sets(), options_strategy)
def test_rollup_invariants(case: tuple, options: RollupOptions) -> None:
    nodes, table = case
    result = roll_up(nodes, table, options)
    for r in result.nodes.values():
        assert D(0) <= r.score <= r.applicable_max <= r.max_score
        assert (r.index is None) == (r.applicable_max == 0)
        if r.not_applicable:
            assert r.applicable_max == 0
    bonus_cap = _section_max(nodes, "bonus") if options.bonus_cap is None else options.bonus_cap
    penalty_cap = (
        _section_max(nodes, "penalty") if options.penalty_cap is None else options.penalty_cap
    )
    assert D(0) <= result.bonus <= bonus_cap
    assert D(0) <= result.penalty <= penalty_cap
    max_total = _section_max(nodes, "standard") + _section_max(nodes, "survey")
    assert result.standard + result.survey <= result.applicable_max <= max_total
    assert D(0) <= result.total <= max_total + bonus_cap
    assert result.total == max(
        result.standard + result.survey + result.bonus - result.penalty, D(0)
    )
    assert (result.index is None) == (result.applicable_max == 0)
    if result.index is not None:
        assert result.index >= 0
        if options.cap_index_at_100 or not options.bonus_in_index or result.bonus == 0:
            assert result.index <= 100
    assert sum(result.field_scores().values(), D(0)) == result.standard


@settings(max_examples=150)
@given(criteria_sets(), st.data())
def test_raising_a_standard_item_never_lowers_the_total(case: tuple, data: st.DataObject) -> None:
    nodes, table = case
    parents = {n.parent for n in nodes}
    items = [n for n in nodes if n.section == "standard" and n.code not in parents]
    if not items:
        return
    item = data.draw(st.sampled_from(items))
    before = roll_up(nodes, table)
    old = table.get(item.code)
    if old is not None and old.not_applicable:
        return
    raised = dict(table)
    raised[item.code] = ItemScore(data.draw(st.decimals(min_value=0, max_value=30, places=2)))
    if old is not None and old.score is not None and raised[item.code].score < old.score:
        return
    after = roll_up(nodes, raised)
    assert after.total >= before.total
    assert after.applicable_max == before.applicable_max
    # Declaring it not applicable never increases the denominator.
    dropped = dict(table)
    dropped[item.code] = ItemScore(None, not_applicable=True)
    assert roll_up(nodes, dropped).applicable_max <= before.applicable_max


@settings(max_examples=100)
@given(criteria_sets(), options_strategy)
def test_tree_is_only_a_cache(case: tuple, options: RollupOptions) -> None:
    nodes, table = case
    assert roll_up(CriteriaTree(nodes), table, options) == roll_up(nodes, table, options)
    assert isinstance(roll_up(nodes, table, options), UnitRollup)


indexes = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=110, places=3),
    st.sampled_from([D("89.445"), D("89.45"), D("89.444"), D("90"), D("89.995")]),
)
index_tables = st.dictionaries(st.integers(0, 60), indexes, max_size=40)


@given(index_tables, st.randoms(use_true_random=False))
def test_rank_is_permutation_invariant(
    values: dict[int, Decimal | None], rnd: random.Random
) -> None:
    items = list(values.items())
    rnd.shuffle(items)
    assert competition_rank(dict(items)) == competition_rank(values)


@given(index_tables)
def test_rank_is_one_plus_count_of_strictly_greater_rounded(
    values: dict[int, Decimal | None],
) -> None:
    ranks = competition_rank(values)
    assert ranks.keys() == values.keys()
    rounded = {k: round_half_up(v) for k, v in values.items() if v is not None}
    for k, v in values.items():
        if v is None:
            assert ranks[k] is None
        else:
            assert ranks[k] == 1 + sum(1 for other in rounded.values() if other > rounded[k])
    if rounded:
        assert min(r for r in ranks.values() if r is not None) == 1
        assert max(r for r in ranks.values() if r is not None) <= len(rounded)


@given(index_tables)
def test_ranking_indexes_rounded_beforehand_gives_the_same_ranks(
    values: dict[int, Decimal | None],
) -> None:
    rounded = {k: None if v is None else round_half_up(v) for k, v in values.items()}
    assert rank_rounded(rounded) == competition_rank(values)
    assert list(rank_rounded(rounded)) == list(values)


@given(st.lists(st.tuples(st.integers(0, 3), indexes), max_size=40))
def test_group_ranks_equal_ranking_each_group_alone(rows: list[tuple[int, Decimal | None]]) -> None:
    tagged = [(unit, group, value) for unit, (group, value) in enumerate(rows)]
    ranks = rank_within_groups(tagged)
    for group in {g for _, g, _ in tagged}:
        alone = competition_rank({u: v for u, g, v in tagged if g == group})
        assert {u: ranks[u] for u in alone} == alone


_ORDER = {label: rank for rank, label in enumerate(b.label for b in DEFAULT_BANDS)}


@given(
    st.decimals(min_value=0, max_value=110, places=4),
    st.decimals(min_value=0, max_value=110, places=4),
)
def test_classify_is_monotone_and_agrees_with_the_printed_index(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert _ORDER[classify(low)] >= _ORDER[classify(high)]  # type: ignore[index]
    assert classify(low) == classify(round_half_up(low))


@settings(max_examples=200)
@given(criteria_sets(), options_strategy)
def test_a_roll_up_in_ints_of_ten_thousandths_gives_the_same_figures(
    case: tuple, options: RollupOptions
) -> None:
    """The results table adds ints of 1/10,000 points (stored scores have 4 decimals); the
    figures must be those of the same roll-up in Decimal points."""
    nodes, table = case
    tree = CriteriaTree(nodes)
    try:
        units = tree.units(options, SCALE)
    except ValueError:  # a maximum or cap with more decimals: the table uses Decimal points
        return
    values: list = [0] * len(tree)
    na = []
    for i in tree.leaves:
        entry = table.get(tree.codes[i])
        if entry is None:
            continue
        if entry.not_applicable:
            na.append(i)
            continue
        n = None if entry.score is None else scaled(entry.score)
        if entry.score is not None and n is None:
            return
        values[i] = units.clamp(i, n)
    fast = tree.run(values, options, na, SCALE)
    exact = roll_up(tree, table, options)
    assert fast.nodes == exact.nodes
    for name in ("standard", "survey", "bonus", "penalty", "total", "applicable_max"):
        assert units.points(getattr(fast, name)) == getattr(exact, name)
    assert fast.index == exact.index
