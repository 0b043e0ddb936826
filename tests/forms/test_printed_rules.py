"""The printed scoring text of real decisions, read into rules: one row per phrasing.

Every row is a phrasing seen in published PAR criteria sets (Bộ Nội vụ's and provinces'); the
expected parameters are the canonical cell a secretary would otherwise have typed by hand, so a
row fails whenever the reader's boundaries, points or rule type differ from what the text says.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from forms.printed_rules import read_printed_rule
from forms.rule_words import describe_rule

T3 = "90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0"

# (printed text, item maximum, section, rule type, canonical parameters)
RECOGNISED: list[tuple[str, str, str, str, str]] = [
    # --- percent tiers -----------------------------------------------------------------------
    ("Thực hiện trên 90% kế hoạch: 2; Thực hiện từ 70% - 90%: 1; Dưới 70%: 0", "2", "standard",
     "percent_tiers", T3),
    ("Trên 90%: 2 điểm; Từ 70% đến 90%: 1 điểm; Dưới 70%: 0 điểm", "2", "standard",
     "percent_tiers", T3),
    ("> 90 = 2; ≥ 70 = 1; < 70 = 0", "2", "standard", "percent_tiers", T3),
    ("> 90% = 2; >= 70% = 1; < 70% = 0", "2", "standard", "percent_tiers", T3),
    ("x > 90 = 2; x >= 70 = 1; x < 70 = 0", "2", "standard", "percent_tiers", T3),
    (T3, "2", "standard", "percent_tiers", T3),
    ("- Trên 90%: 2 điểm\n- Từ 70% - 90%: 1 điểm\n- Dưới 70%: 0 điểm", "2", "standard",
     "percent_tiers", T3),
    ("Đạt trên 90% được 2 điểm; đạt từ 70% đến 90% được 1 điểm; dưới 70% không được điểm: 0",
     "2", "standard", "percent_tiers", T3),
    ("Tỷ lệ trên 90%: 2đ; tỷ lệ từ 70%-90%: 1đ; tỷ lệ dưới 70%: 0đ", "2", "standard",
     "percent_tiers", T3),
    ("Trên 90% => 2; 70% - 90% => 1; dưới 70% => 0", "2", "standard", "percent_tiers", T3),
    ("Cách tính điểm:\nTrên 90%: 2\nTừ 70% đến 90%: 1\nDưới 70%: 0", "2", "standard",
     "percent_tiers", T3),
    ("Đạt 100% kế hoạch: 2 điểm\nTừ 80% đến dưới 100%: 1 điểm\nDưới 80%: 0 điểm", "2",
     "standard", "percent_tiers",
     "100 <= x <= 100 = 2; 80 <= x < 100 = 1; 0 <= x < 80 = 0"),
    ("100%: 1; từ 80% đến dưới 100%: 0,5; dưới 80%: 0", "1", "standard", "percent_tiers",
     "100 <= x <= 100 = 1; 80 <= x < 100 = 0,5; 0 <= x < 80 = 0"),
    ("Hoàn thành 100%: 1; Chưa đạt 100%: 0", "1", "standard", "percent_tiers",
     "100 <= x <= 100 = 1; 0 <= x < 100 = 0"),
    ("Từ 90% trở lên: 1; Từ 70% đến dưới 90%: 0,5; Dưới 70%: 0", "1", "standard",
     "percent_tiers", "90 <= x <= 100 = 1; 70 <= x < 90 = 0,5; 0 <= x < 70 = 0"),
    ("Đạt từ 90% trở lên: 1 điểm; Đạt từ 70% đến dưới 90%: 0,5 điểm; Đạt dưới 70%: 0 điểm",
     "1", "standard", "percent_tiers",
     "90 <= x <= 100 = 1; 70 <= x < 90 = 0,5; 0 <= x < 70 = 0"),
    ("Trên 80%: 1; trên 50% đến 80%: 0,5; từ 50% trở xuống: 0", "1", "standard",
     "percent_tiers", "80 < x <= 100 = 1; 50 < x <= 80 = 0,5; 0 <= x <= 50 = 0"),
    ("Từ 95% trở lên: 1,5; Từ 85% đến dưới 95%: 1; Từ 75% đến dưới 85%: 0,5; Dưới 75%: 0",
     "1,5", "standard", "percent_tiers",
     "95 <= x <= 100 = 1,5; 85 <= x < 95 = 1; 75 <= x < 85 = 0,5; 0 <= x < 75 = 0"),
    ("Không dưới 95%: 1; từ 80% đến dưới 95%: 0,5; dưới 80%: 0", "1", "standard",
     "percent_tiers", "95 <= x <= 100 = 1; 80 <= x < 95 = 0,5; 0 <= x < 80 = 0"),
    ("Ít nhất 90%: 1; dưới 90%: 0", "1", "standard", "percent_tiers",
     "90 <= x <= 100 = 1; 0 <= x < 90 = 0"),
    ("Lớn hơn 90%: 1; Nhỏ hơn hoặc bằng 90%: 0", "1", "standard", "percent_tiers",
     "90 < x <= 100 = 1; 0 <= x <= 90 = 0"),
    ("Lớn hơn hoặc bằng 80%: 1; Nhỏ hơn 80%: 0", "1", "standard", "percent_tiers",
     "80 <= x <= 100 = 1; 0 <= x < 80 = 0"),
    ("Trên 70% đến dưới 90%: 0,5; Từ 90%: 1; Không quá 70%: 0", "1", "standard",
     "percent_tiers", "70 < x < 90 = 0,5; 90 <= x <= 100 = 1; 0 <= x <= 70 = 0"),
    ("Đạt 100%: 0,5; Từ 50% - dưới 100%: 0,25; Dưới 50%: 0", "0,5", "standard",
     "percent_tiers", "100 <= x <= 100 = 0,5; 50 <= x < 100 = 0,25; 0 <= x < 50 = 0"),
    ("Từ 70 đến 90%: 1; trên 90%: 2; dưới 70%: 0", "2", "standard", "percent_tiers",
     "70 <= x <= 90 = 1; 90 < x <= 100 = 2; 0 <= x < 70 = 0"),
    ("Trên 90,5%: 1; Từ 50,5% đến 90,5%: 0,5; Dưới 50,5%: 0", "1", "standard",
     "percent_tiers", "90,5 < x <= 100 = 1; 50,5 <= x <= 90,5 = 0,5; 0 <= x < 50,5 = 0"),
    ("2 điểm: đạt trên 90%; 1 điểm: đạt từ 70% đến 90%; 0 điểm: dưới 70%", "2", "standard",
     "percent_tiers", T3),
    ("Vượt 90%: 2; 70% – 90%: 1; Dưới 70%: 0", "2", "standard", "percent_tiers", T3),
    ("≥ 95% = 1\n≥ 80% = 0,5\n< 80% = 0", "1", "standard", "percent_tiers",
     "95 <= x <= 100 = 1; 80 <= x < 95 = 0,5; 0 <= x < 80 = 0"),
    ("100% = 1; < 100% = 0", "1", "standard", "percent_tiers",
     "100 <= x <= 100 = 1; 0 <= x < 100 = 0"),
    ("Tren 90%: 2; tu 70% den 90%: 1; duoi 70%: 0", "2", "standard", "percent_tiers", T3),
    # --- levels and checklists -----------------------------------------------------------------
    ("Ban hành kịp thời: 1; Ban hành không kịp thời: 0,5; Không ban hành: 0", "1", "standard",
     "levels", "Ban hành kịp thời = 1; Ban hành không kịp thời = 0,5; Không ban hành = 0"),
    ("Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0", "1", "standard",
     "levels", "Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0"),
    ("- Ban hành trước ngày 31/01: 1 điểm\n- Ban hành sau ngày 31/01: 0,5 điểm\n"
     "- Không ban hành: 0 điểm", "1", "standard", "levels",
     "Ban hành trước ngày 31/01 = 1; Ban hành sau ngày 31/01 = 0,5; Không ban hành = 0"),
    ("Thực hiện đầy đủ, đúng thời gian: 1 điểm. Thực hiện không đầy đủ hoặc không đúng thời "
     "gian: 0,5 điểm. Không thực hiện: 0 điểm", "1", "standard", "levels",
     "Thực hiện đầy đủ, đúng thời gian = 1; Thực hiện không đầy đủ hoặc không đúng thời gian"
     " = 0,5; Không thực hiện = 0"),
    ("a) Hoàn thành: 0,5\nb) Không hoàn thành: 0", "0,5", "standard", "levels",
     "Hoàn thành = 0,5; Không hoàn thành = 0"),
    ("Tốt: 2; Khá: 1,5; Trung bình: 1; Yếu: 0", "2", "standard", "levels",
     "Tốt = 2; Khá = 1,5; Trung bình = 1; Yếu = 0"),
    ("Có kiểm tra và xử lý kết quả kiểm tra: 1 điểm; Có kiểm tra nhưng không xử lý: 0,5 điểm; "
     "Không kiểm tra: 0 điểm", "1", "standard", "levels",
     "Có kiểm tra và xử lý kết quả kiểm tra = 1; Có kiểm tra nhưng không xử lý = 0,5; "
     "Không kiểm tra = 0"),
    ("1 điểm nếu ban hành đúng hạn; 0 điểm nếu không ban hành", "1", "standard", "levels",
     "ban hành đúng hạn = 1; không ban hành = 0"),
    ("Đúng hạn: 0,5 đ; Quá hạn: 0,25 đ; Không báo cáo: 0 đ", "0,5", "standard", "levels",
     "Đúng hạn = 0,5; Quá hạn = 0,25; Không báo cáo = 0"),
    ("Cấp tỉnh: 0,25; Cấp huyện: 0,25; Cấp xã: 0,25", "0,75", "standard", "checklist",
     "Cấp tỉnh = 0,25; Cấp huyện = 0,25; Cấp xã = 0,25"),
    ("Công khai trên Cổng thông tin điện tử: 0,5 điểm\nNiêm yết tại trụ sở: 0,5 điểm", "1",
     "standard", "checklist",
     "Công khai trên Cổng thông tin điện tử = 0,5; Niêm yết tại trụ sở = 0,5"),
    ("Thực hiện đầy đủ: được điểm tối đa; Thực hiện chưa đầy đủ: 0,5; Không thực hiện: không "
     "chấm điểm", "1", "standard", "levels",
     "Thực hiện đầy đủ = 1; Thực hiện chưa đầy đủ = 0,5; Không thực hiện = 0"),
    ("Trên 90%: điểm tối đa; từ 70% đến 90%: 1; dưới 70%: không tính điểm", "2", "standard",
     "percent_tiers", T3),
    # --- yes / no -----------------------------------------------------------------------------
    ("Có: 1; Không: 0", "1", "standard", "yes_no", ""),
    ("Có: 0,5 điểm; Không: 0 điểm", "0,5", "standard", "yes_no", ""),
    ("Đạt: 1; Không đạt: 0", "1", "standard", "yes_no", ""),
    ("Đạt yêu cầu: 1; Không đạt yêu cầu: 0", "1", "standard", "yes_no", ""),
    ("Đạt/Không đạt", "1", "standard", "yes_no", ""),
    ("Có/Không", "0,5", "standard", "yes_no", ""),
    ("Có = 1; Không = 0", "1", "standard", "yes_no", ""),
    ("Thực hiện: 1; Không thực hiện: 0", "1", "standard", "yes_no", ""),
    # --- per-unit counts ------------------------------------------------------------------------
    ("Mỗi sáng kiến được công nhận được 0,5 điểm, tối đa 2 điểm", "2", "standard", "count",
     "each = 0,5"),
    ("Mỗi mô hình, sáng kiến được cộng 0,5 điểm (tối đa không quá 1 điểm)", "1", "bonus",
     "count", "each = 0,5"),
    ("Mỗi văn bản được tính 0,25 điểm, tối đa 1 điểm", "1", "standard", "count", "each = 0,25"),
    ("0,5 điểm/sáng kiến, tối đa 2 điểm", "2", "bonus", "count", "each = 0,5"),
    ("Được 0,25 điểm cho mỗi giải thưởng, tối đa 0,5 điểm", "0,5", "bonus", "count",
     "each = 0,25"),
    ("Mỗi đơn vị đạt được 0,2 điểm", "1", "standard", "count", "each = 0,2"),
    # --- deductions ---------------------------------------------------------------------------
    ("Trừ 0,5 điểm cho mỗi văn bản ban hành trái pháp luật", "1", "standard", "deduction",
     "each = 0,5"),
    ("Mỗi văn bản bị phát hiện trái pháp luật trừ 0,25 điểm", "1", "standard", "deduction",
     "each = 0,25"),
    ("Bị trừ 0,5 điểm/văn bản chậm xử lý", "1", "standard", "deduction", "each = 0,5"),
    ("Mỗi hồ sơ trễ hạn bị trừ 0,1 điểm", "0,5", "standard", "deduction", "each = 0,1"),
    ("Vi phạm nhẹ: trừ 0,5 điểm; Vi phạm nghiêm trọng: trừ 1 điểm", "1", "standard",
     "deduction", "Vi phạm nhẹ = 0,5; Vi phạm nghiêm trọng = 1"),
    ("Vi phạm lần 1: trừ 50% số điểm; Vi phạm từ lần 2: trừ 100% số điểm", "1", "standard",
     "deduction", "Vi phạm lần 1 = 0,5; Vi phạm từ lần 2 = 1"),
    # --- penalty and bonus sections ---------------------------------------------------------------
    ("Mỗi văn bản bị cơ quan có thẩm quyền kết luận trái pháp luật bị trừ 0,5 điểm", "2",
     "penalty", "count", "each = 0,5"),
    ("Trừ 1 điểm cho mỗi vụ việc vi phạm", "3", "penalty", "count", "each = 1"),
    ("Bị phê bình bằng văn bản: trừ 1 điểm", "1", "penalty", "yes_no", ""),
    ("Khiển trách: trừ 0,5 điểm; Cảnh cáo: trừ 1 điểm", "1", "penalty", "levels",
     "Không vi phạm = 0; Khiển trách = 0,5; Cảnh cáo = 1"),
    ("Được UBND tỉnh khen thưởng: 1 điểm", "1", "bonus", "yes_no", ""),
    ("Bằng khen của Thủ tướng: 1; Bằng khen của Bộ: 0,5", "1", "bonus", "levels",
     "Không có = 0; Bằng khen của Thủ tướng = 1; Bằng khen của Bộ = 0,5"),
    # --- points range ---------------------------------------------------------------------------
    ("Chấm từ 0 đến 2 điểm", "2", "standard", "points", ""),
    ("Tùy theo mức độ hoàn thành, chấm điểm từ 0 - 1 điểm", "1", "standard", "points", ""),
    ("Chấm từ 0 đến 1,25 điểm, bước 0,25", "1,25", "standard", "points", "step = 0,25"),
    ("Hội đồng thẩm định chấm từ 0 đến 1 điểm, lẻ đến 0,25", "1", "standard", "points",
     "step = 0,25"),
    ("0 - 2 điểm", "2", "standard", "points", ""),
    # --- survey ---------------------------------------------------------------------------------
    ("Điểm điều tra xã hội học", "3", "survey", "survey", ""),
    ("", "2", "survey", "survey", ""),
]  # fmt: skip

# (printed text, item maximum, section, a word of the reason, both locales)
UNRESOLVED: list[tuple[str, str, str, str, str]] = [
    ("Trên 90%: 2; dưới 70%: 0", "2", "standard", "từ 70% đến 90%", "between 70% and 90%"),
    ("Trên 90%: 2; từ 70% đến 95%: 1; dưới 70%: 0", "2", "standard", "trùng", "overlap"),
    ("Trên 90%: 3; từ 70% đến 90%: 1; dưới 70%: 0", "2", "standard", "3", "3 points"),
    ("Ban hành kịp thời: 1,5; Không ban hành: 0", "1", "standard", "1,5", "1.5"),
    ("Có: 2; Không: 0", "1", "standard", "Có", "yes"),
    ("Đánh giá theo thực tế triển khai tại đơn vị", "1", "standard", "không nhận ra",
     "not recognised"),
    ("", "1", "standard", "chưa có", "no scoring text"),
    ("Mỗi sáng kiến được 0,5 điểm, tối đa 2 điểm", "1", "bonus", "tối đa", "caps"),
    ("Chấm từ 0 đến 2 điểm", "1", "standard", "từ 0 đến 2", "from 0 to 2"),
    ("Trên 90%: 1; Ban hành đúng hạn: 0,5; Không ban hành: 0", "1", "standard", "tỷ lệ",
     "percentage"),
    ("Ban hành đúng hạn: 1; Ban hành muộn", "1", "standard", "Ban hành muộn", "gives no points"),
    ("Thực hiện tốt: 1", "1", "standard", "hai", "two"),
    ("Ban hành kịp thời: 0,5; Ban hành muộn: 0,25", "1", "standard", "0,5", "0.5"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "max_score", "section", "rule_type", "params"), RECOGNISED)
def test_printed_phrasing_is_read_exactly(
    text: str, max_score: str, section: str, rule_type: str, params: str
) -> None:
    reading = read_printed_rule(text, Decimal(max_score.replace(",", ".")), section)
    assert [p.render("en") for p in reading.problems] == []
    assert reading.recognised
    assert (reading.rule_type, reading.params) == (rule_type, params)


@pytest.mark.parametrize(("text", "max_score", "section", "vi", "en"), UNRESOLVED)
def test_unclear_text_is_refused_with_the_reason(
    text: str, max_score: str, section: str, vi: str, en: str
) -> None:
    reading = read_printed_rule(text, Decimal(max_score.replace(",", ".")), section)
    assert not reading.recognised
    assert reading.rule is None
    assert any(vi in p.render("vi") for p in reading.problems), reading.problems
    assert any(en in p.render("en") for p in reading.problems), reading.problems


def test_at_least_sixty_distinct_phrasings() -> None:
    texts = {row[0] for row in RECOGNISED} | {row[0] for row in UNRESOLVED}
    assert len(texts) >= 60


def test_boundaries_follow_the_words() -> None:
    """ "từ" includes its bound, "trên" and "dưới" exclude theirs: 90% exactly earns 1 here."""
    from forms.rules import evaluate

    reading = read_printed_rule("Trên 90%: 2; Từ 70% đến 90%: 1; Dưới 70%: 0", Decimal(2))
    assert reading.rule is not None
    scores = {v: evaluate(reading.rule, {"percent": v}) for v in ("90", "90.01", "70", "69.99")}
    assert scores == {
        "90": Decimal(1),
        "90.01": Decimal(2),
        "70": Decimal(1),
        "69.99": Decimal(0),
    }


def test_recognised_rules_are_shown_back_in_plain_vietnamese() -> None:
    reading = read_printed_rule("Trên 90%: 2; Từ 70% - 90%: 1; Dưới 70%: 0", Decimal(2))
    assert reading.rule is not None
    assert describe_rule(reading.rule, "vi") == (
        "Theo tỷ lệ: trên 90%: 2 điểm; từ 70% đến 90%: 1 điểm; dưới 70%: 0 điểm"
    )
    assert describe_rule(reading.rule, "en") == (
        "By percentage: above 90%: 2 points; from 70% to 90%: 1 points; below 70%: 0 points"
    )
    count = read_printed_rule("Mỗi sáng kiến được 0,5 điểm, tối đa 2 điểm", Decimal(2), "bonus")
    assert count.rule is not None
    assert describe_rule(count.rule, "vi") == "Mỗi đơn vị được 0,5 điểm, tối đa 2 điểm"


def test_a_huge_cell_is_refused_quickly() -> None:
    """A pasted page (or a hostile file) must not stall the import: it is refused at once."""
    import time

    started = time.perf_counter()
    for text in ("mỗi " + "văn bản " * 20_000, "Trên 90%" + " x" * 1_500 + ": 2", "a" * 2_990):
        reading = read_printed_rule(text, Decimal(2))
        assert not reading.recognised
    assert time.perf_counter() - started < 2
    assert "3000" in read_printed_rule("x" * 5000, Decimal(1)).problems[0].render("en")
