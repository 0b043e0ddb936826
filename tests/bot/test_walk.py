"""The walk in chat: binding, every rule type answered, scores shown at once, navigation."""

from __future__ import annotations

from decimal import Decimal

from core.models import Officer
from forms.models import Answer
from tests.bot import samples
from tests.bot.harness import Harness, bound_chat, invite_code


async def _stored(sheet: dict) -> dict[str, Answer]:
    answers = await Answer.filter(assessment_id=sheet["assessment"].id).prefetch_related("node")
    return {a.node.code: a for a in answers}


async def test_an_unbound_person_is_told_how_to_get_an_invite(harness: Harness) -> None:
    chat = harness.chat(900)
    said = await chat.say("xin chào")
    assert "chưa được liên kết" in said.text and "/start ABCD-EFGH-JKMN" in said.text
    said = await chat.say("/start SAIMA-KHONG-CO")
    assert "không phải là mã mời" in said.text or "không đúng" in said.text
    assert await Officer.filter(telegram_user_id=900).count() == 0


async def test_binding_by_deep_link_or_pasted_code(harness: Harness, sheet: dict) -> None:
    code = await invite_code(sheet["lan"], sheet["lan"].id)
    chat = harness.chat(501)
    await chat.say(code.lower())  # pasted without /start, in lower case
    welcome, card = chat.texts()[-2:]
    assert "Chào mừng Nguyễn Thị Lan" in welcome and "Sở Nội vụ" in welcome
    assert "<b>1.1.1. Ban hành kế hoạch CCHC năm</b>" in card
    assert "1. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC › 1.1. Kế hoạch CCHC năm" in card
    assert "Điểm tối đa: 1" in card
    assert "Tài liệu kiểm chứng (bắt buộc khi có điểm): Kế hoạch CCHC" in card
    assert "đã trả lời 0/9" in card and "hạn chót 25/11/2026 10:00 (còn 5 ngày)" in card
    # the same code again, from another account: refused, nothing bound
    other = harness.chat(777)
    said = await other.say(f"/start {code}")
    assert "đã được dùng" in said.text
    assert (await Officer.get(id=sheet["lan"].id)).telegram_user_id == 501


async def test_every_rule_type_answered_in_chat(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    # 1.1.1 levels, evidence required: the card stays and asks for the file
    card = await chat.press(chat.last.button("Ban hành muộn"))
    assert "Ban hành muộn → 0,5/1 điểm" in card.text and "bắt buộc có tài liệu" in card.text
    assert "Ban hành muộn → 0,5/1 điểm" in harness.tg.alerts[-1]
    await chat.send_file(samples.pdf("kh"), "Kế hoạch CCHC 2026.pdf")
    card = chat.last
    assert "Đã lưu 1 tệp cho tiêu chí 1.1.1: Kế hoạch CCHC 2026.pdf" in card.text
    assert "📎 Đã gửi 1 tệp" in card.text and "bắt buộc có tài liệu" not in card.text
    card = await chat.press(card.button("Tiếp"))
    # 1.1.2 yes/no: answered by button, the walk moves on and says what was saved
    assert "<b>1.1.2." in card.text
    card = await chat.press(card.button("Có"))
    assert "✅ <b>1.1.2." in card.text and "Có → 1/1 điểm" in card.text
    assert "<b>1.1.3. Mức độ thực hiện kế hoạch</b>" in card.text
    assert "90% &lt; x ≤ 100%: 2 điểm" in card.text and "Gõ tỷ lệ" in card.text
    # 1.1.3 percent tiers, typed as a fraction
    card = await chat.say("45/50")
    assert "45/50 (90%) → 1/2 điểm" in card.text and "<b>1.1.3." in card.text  # needs a file
    await chat.send_file(samples.xlsx(), "bao-cao.xlsx")
    card = await chat.press(chat.last.button("Tiếp"))
    # 1.1.4 checklist: tick two entries, then Done; not-applicable is offered
    assert "Không áp dụng" in [label for label, _ in card.buttons()]
    card = await chat.press(card.button("Cấp tỉnh"))
    card = await chat.press(card.button("Cấp xã"))
    assert "Đang đánh dấu 2 nội dung → 0,5 điểm" in card.text
    card = await chat.press(card.button("Xong"))
    assert "Cấp tỉnh; Cấp xã → 0,5/0,75 điểm" in card.text
    # 1.1.5 points with a decimal comma, 1.2.1 count, 2.1.1 deduction by level
    card = await chat.say("0,25")
    assert "0,25 → 0,25/0,25 điểm" in card.text
    card = await chat.say("3")
    assert "3 → 1,5/2 điểm" in card.text
    card = await chat.press(card.button("Vi phạm nhẹ"))
    assert "Vi phạm nhẹ → 0,5/1 điểm" in card.text
    # bonus C.1 (count, evidence required) and penalty T.1
    card = await chat.say("1")
    assert "1 → 1/2 điểm" in card.text
    await chat.send_file(samples.PNG, "bang-khen.png", photo=True)
    card = await chat.press(chat.last.button("Tiếp"))
    card = await chat.say("0")
    assert "Đã trả lời tất cả tiêu chí" in card.text
    stored = await _stored(sheet)
    assert {code: a.self_score for code, a in stored.items()} == {
        "1.1.1": Decimal("0.5"),
        "1.1.2": Decimal(1),
        "1.1.3": Decimal(1),
        "1.1.4": Decimal("0.5"),
        "1.1.5": Decimal("0.25"),
        "1.2.1": Decimal("1.5"),
        "2.1.1": Decimal("0.5"),
        "C.1": Decimal(1),
        "T.1": Decimal(0),
    }
    assert stored["1.1.3"].declared == {"numerator": "45", "denominator": "50"}
    assert stored["1.1.4"].declared == {"checked": ["1", "3"]}


async def test_a_value_the_rule_refuses_changes_nothing(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await chat.press(chat.last.button("Bỏ qua"))
    await chat.press(chat.last.button("Bỏ qua"))  # now on 1.1.3 (percent)
    said = await chat.say("120%")
    assert "không được lớn hơn 100%" in said.text or "100%" in said.text
    said = await chat.say("khoảng chín mươi")
    assert "không phải là tỉ lệ" in said.text or "95" in said.text
    assert await Answer.all().count() == 0


async def test_an_answer_button_for_an_item_the_sheet_lacks_is_refused(
    harness: Harness, sheet: dict
) -> None:
    """A hand-made button (or one from a card of a set since replaced) naming an item the
    sheet's criteria set does not have: the officer is told so, and nothing is stored."""
    from bot.keyboards import AnswerCb

    chat = await bound_chat(harness, sheet["lan"], 501)
    forged = AnswerCb(a=sheet["assessment"].id, i="9.9.9", v=0, x="y").pack()
    await chat.press(forged)
    assert "9.9.9" in harness.tg.alerts[-1]
    assert await Answer.all().count() == 0


async def test_a_stale_card_shows_the_current_value_and_who_set_it(
    harness: Harness, sheet: dict
) -> None:
    from forms.answers import record_answer
    from tests.forms.conftest import NOW

    chat = await bound_chat(harness, sheet["lan"], 501)
    card = await chat.press(chat.last.button("Bỏ qua"))  # Lan looks at 1.1.2
    # meanwhile Hùng answers 1.1.2 in the web form
    await record_answer(
        sheet["hung"], sheet["assessment"].id, "1.1.2", text="không", expected_version=0, now=NOW
    )
    card = await chat.press(card.button("Có"), on=card)
    assert "Trần Văn Hùng" in harness.tg.alerts[-1]
    assert "“Không”" in card.text and "Trần Văn Hùng" in card.text
    assert "Không → 0/1 điểm" in card.text  # the card now shows what is stored
    stored = await _stored(sheet)
    assert stored["1.1.2"].declared == {"yes": False} and stored["1.1.2"].version == 1
    # pressing again on the refreshed card is an informed decision: it is saved
    await chat.press(card.button("Có"))
    assert (await _stored(sheet))["1.1.2"].declared == {"yes": True}


async def test_navigation_list_jump_and_only_unanswered(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    first = chat.last
    card = await chat.press(first.button("Bỏ qua"))
    assert "<b>1.1.2." in card.text and card.message_id == first.message_id  # edited in place
    card = await chat.press(card.button("Trước"))
    assert "<b>1.1.1." in card.text
    said = await chat.press(card.button("Trước"))
    assert harness.tg.alerts[-1] == "Đây là tiêu chí đầu tiên."
    listing = await chat.press(said.button("Danh sách"))
    assert "Chọn lĩnh vực" in listing.text
    labels = [label for label, _ in listing.buttons()]
    assert labels[0].startswith("1. CÔNG TÁC") and labels[0].endswith("(0/6)")
    listing = await chat.press(listing.button("2. KỶ LUẬT"))
    card = await chat.press(listing.button("2.1.1"))
    assert "<b>2.1.1. Vi phạm kỷ luật hành chính</b>" in card.text
    await chat.press(card.button("Không vi phạm"))  # answered: 2.1.1 → next is C.1
    said = await chat.say("/chuatraloi")
    assert "<b>1.1.1." in said.text and "Đang xem các tiêu chí chưa trả lời" in said.text
    await chat.press(said.button("Bỏ qua"))
    await chat.press(chat.last.button("Bỏ qua"))
    await chat.press(chat.last.button("Bỏ qua"))
    await chat.press(chat.last.button("Bỏ qua"))
    card = await chat.press(chat.last.button("Bỏ qua"))
    assert "<b>1.2.1." in card.text
    card = await chat.press(card.button("Bỏ qua"))
    assert "<b>C.1." in card.text  # 2.1.1 answered: skipped


async def test_a_note_per_item(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    prompt = await chat.press(chat.last.button("Ghi chú"))
    assert "Gõ ghi chú hoặc giải trình cho tiêu chí 1.1.1" in prompt.text
    card = await chat.say("Kế hoạch ban hành ngày 20/12, trễ 5 ngày do chờ ý kiến Sở Tài chính")
    assert "Đã lưu ghi chú cho tiêu chí 1.1.1" in card.text
    assert "📝 Ghi chú: Kế hoạch ban hành ngày 20/12" in card.text
    answer = (await _stored(sheet))["1.1.1"]
    assert answer.note.startswith("Kế hoạch ban hành") and answer.declared is None
    # the note does not make the item answered, and typing again answers the item
    card = await chat.say("2")
    assert "Ban hành muộn → 0,5/1 điểm" in card.text


async def test_language_switch_and_help(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    help_text = await chat.say("/help")
    assert "bấm biểu tượng ghim 📎" in help_text.text and "tối đa 64 KB" in help_text.text
    said = await chat.say("/ngonngu")
    said = await chat.press(said.button("English"))
    assert said.text == "The bot now speaks English."
    assert (await Officer.get(id=sheet["lan"].id)).locale == "en"
    card = await chat.say("/continue")
    assert "Maximum score: 1" in card.text
    assert "Evidence (required when points are claimed)" in card.text
    assert "deadline 25/11/2026 10:00 (5 day(s) left)" in card.text


async def test_a_one_time_link_to_the_web_form(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    assert "chưa có biểu mẫu trên web" in (await chat.say("/web")).text

    async def issue(officer_id: int, now):
        assert officer_id == sheet["lan"].id
        from datetime import timedelta

        return f"https://cchc.example.vn/web/o/login?t=abc&o={officer_id}", now + timedelta(
            minutes=15
        )

    harness.deps.web_link = issue
    said = await chat.say("/web")
    assert "https://cchc.example.vn/web/o/login?t=abc&amp;o=1" in said.text  # HTML-escaped
    assert "chỉ dùng một lần và đến 20/11/2026 10:15" in said.text


async def test_after_the_deadline_the_card_says_why_and_offers_no_answers(
    harness: Harness, sheet: dict
) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    harness.advance(days=6)
    card = await chat.say("/tieptuc")
    assert "🔒 Đã quá hạn tự đánh giá (25/11/2026 10:00)." in card.text
    assert "(đã quá hạn 1 ngày)" in card.text and "Phiếu đã gửi" not in card.text
    assert not [b for b, _ in card.buttons() if b.startswith("Ban hành")]
    refused = await chat.say("1")
    assert refused.text == "⚠️ Đã quá hạn tự đánh giá (25/11/2026 10:00)."
    assert await Answer.all().count() == 0
