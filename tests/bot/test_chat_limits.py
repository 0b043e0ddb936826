"""Issue 14, items 2, 3 and 5 in the chat: long notes, /tiendo, deductions shown as deductions.

The fake Telegram of conftest refuses a message over 4,096 units or a button with over 64 bytes
of data, as Telegram does; a refused message fails the test through the harness.
"""

from __future__ import annotations

from bot import keyboards
from forms.answers import record_answer
from forms.models import Answer
from forms.notes import NOTE_MAX_CHARS
from tests.bot import samples
from tests.bot.harness import Harness, bound_chat
from tests.bot.test_submit import _answer_all
from tests.forms.conftest import NOW


async def test_a_note_at_the_limit_keeps_the_item_openable(harness: Harness, sheet: dict) -> None:
    note = "🙂 Giải trình: " + "ả" * (NOTE_MAX_CHARS - 20) + " hết."
    assert len(note) <= NOTE_MAX_CHARS
    chat = await bound_chat(harness, sheet["lan"], 501)
    card = await chat.press(chat.last.button("Ghi chú"))
    card = await chat.say(note)
    assert "Đã lưu ghi chú cho tiêu chí 1.1.1" in card.text
    assert "(ghi chú đã được rút gọn: bấm “📄 Xem đủ ghi chú” để xem toàn bộ)" in card.text
    assert " hết." not in card.text  # shortened on the card
    # the item opens from the list, from the next item with "◀ Trước", and after /huy
    listing = await chat.say("/danhsach")
    listing = await chat.press(listing.button("1. CÔNG TÁC"))
    listing = await chat.press(listing.button("1.1. Kế hoạch"))
    card = await chat.press(listing.button("1.1.1"))
    assert "<b>1.1.1." in card.text
    card = await chat.press(card.button("Bỏ qua"))
    card = await chat.press(card.button("Trước"))
    assert "<b>1.1.1." in card.text
    await chat.press(card.button("Ghi chú"))
    card = await chat.say("/huy")
    assert "<b>1.1.1." in card.text
    # the whole note is one tap away
    full = await chat.press(card.button("Xem đủ ghi chú"))
    assert full.text.startswith("📝 Ghi chú của tiêu chí 1.1.1:")
    assert note in full.text


async def test_a_note_saved_before_the_limit_still_opens(harness: Harness, sheet: dict) -> None:
    """Notes of up to 4,000 characters were accepted before: their cards must still open."""
    chat = await bound_chat(harness, sheet["lan"], 501)
    await record_answer(
        sheet["lan"], sheet["assessment"].id, "1.1.1", note="x", expected_version=0, now=NOW
    )
    await Answer.all().update(note="🙂" * 5000)
    card = await chat.say("/tieptuc")
    assert "<b>1.1.1." in card.text and "🙂" * 10 in card.text
    full = await chat.press(card.button("Xem đủ ghi chú"))
    assert "🙂" * 100 in full.text and full.text.endswith("…")


async def test_the_web_form_limit_is_refused_with_the_same_message(sheet: dict) -> None:
    """The service refuses for every channel; the chat shows the same sentence."""
    import pytest

    from forms.notes import NoteError

    with pytest.raises(NoteError) as refused:
        await record_answer(
            sheet["hung"],
            sheet["assessment"].id,
            "1.1.1",
            note="a" * 4000,
            expected_version=0,
            now=NOW,
        )
    assert refused.value.render("vi") == (
        "Ghi chú quá dài: 4.000 ký tự, chỉ được tối đa 2.000 ký tự."
    )
    with pytest.raises(NoteError) as refused:
        await record_answer(
            sheet["hung"],
            sheet["assessment"].id,
            "1.1.1",
            note="ghi chú\x00ẩn",
            expected_version=0,
            now=NOW,
        )
    assert "ký tự điều khiển" in refused.value.render("vi")
    assert await Answer.all().count() == 0


async def test_progress_never_says_submit_beside_missing_evidence(
    harness: Harness, sheet: dict
) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await _answer_all(sheet)
    status = await chat.say("/tiendo")
    assert "Tiêu chí còn thiếu tài liệu kiểm chứng bắt buộc: 1.1.1, 1.1.3" in status.text
    assert "có thể gửi phiếu" not in status.text
    assert "chỉ gửi được phiếu tự đánh giá khi đã đính kèm đủ tài liệu" in status.text
    assert not [b for b, _ in status.buttons() if "Gửi phiếu" in b]


async def test_penalty_items_read_as_deductions(harness: Harness, sheet: dict) -> None:
    sheet_id = sheet["assessment"].id
    chat = await bound_chat(harness, sheet["lan"], 501)
    card = await chat.press(keyboards.NavCb(a=sheet_id, i="T.1", d="go").pack())
    assert "Điểm trừ tối đa: 1" in card.text
    assert "trừ 0,5 điểm cho mỗi trường hợp, trừ tối đa 1 điểm" in card.text
    card = await chat.say("3")
    assert "Trả lời: 3 → trừ 1 điểm (Điểm trừ tối đa 1)" in card.text
    assert "1/1 điểm" not in card.text
    summary = await chat.say("/tonghop")
    assert "0/0 đã trả lời" not in summary.text
    assert "1/1 đã trả lời · trừ 1 điểm (Điểm trừ tối đa 1)" in summary.text
    for label, _ in summary.buttons():
        assert len(label) <= 64
    # a count typed with what it counts is read as the count
    card = await chat.press(keyboards.NavCb(a=sheet_id, i="C.1", d="go").pack())
    card = await chat.say("2 sáng kiến")
    stored = await Answer.get(assessment_id=sheet_id, node__code="C.1")
    assert stored.declared == {"count": 2}
    await chat.send_file(samples.pdf("C.1"), "C.1.pdf")


def test_a_single_value_band_reads_as_one_value() -> None:
    from decimal import Decimal

    from bot.texts import scoring_text
    from forms.rules import parse_rule

    rule = parse_rule("percent_tiers", "100 <= x <= 100 = 2; 0 <= x < 100 = 0", Decimal(2))
    text = scoring_text(rule, "vi")
    assert "x = 100%: 2 điểm" in text and "100% ≤ x ≤ 100%" not in text


async def test_language_prompt_once_per_language_and_cancel_in_the_menu(
    harness: Harness, sheet: dict
) -> None:
    from bot.commands import bot_commands

    chat = await bound_chat(harness, sheet["lan"], 501)
    said = await chat.say("/ngonngu")
    await chat.press(said.button("English"))
    said = await chat.say("/language")
    assert said.text == "Chọn ngôn ngữ: / Choose your language:"
    assert "huy" in {c.command for c in bot_commands("vi")}
    assert "cancel" in {c.command for c in bot_commands("en")}


async def test_names_and_titles_with_markup_characters_are_shown_as_typed(
    harness: Harness, sheet: dict
) -> None:
    """ "<" or "&" in a unit name or a criterion title must not break Telegram's HTML."""
    from datetime import UTC, datetime

    from core.models import Unit
    from forms.models import CriteriaNode, CriteriaSet

    await Unit.filter(code="SNV").update(name="Sở Văn hóa, Thể thao & Du lịch <thử>")
    await CriteriaNode.filter(code="1.1").update(title="Tỷ lệ hồ sơ trễ hạn < 5% & <b>")
    await CriteriaSet.all().update(frozen_at=datetime.now(UTC))  # a fresh outline
    chat = await bound_chat(harness, sheet["lan"], 501)
    assert "Sở Văn hóa, Thể thao &amp; Du lịch &lt;thử&gt;" in chat.texts()[0]
    listing = await chat.say("/danhsach")
    listing = await chat.press(listing.button("1. CÔNG TÁC"))
    listing = await chat.press(listing.button("1.1. Tỷ lệ"))
    assert "1.1. Tỷ lệ hồ sơ trễ hạn &lt; 5% &amp; &lt;b&gt;" in listing.text


async def test_many_files_with_long_names_still_list(harness: Harness, sheet: dict) -> None:
    from forms.evidence import attach_evidence

    await record_answer(
        sheet["lan"], sheet["assessment"].id, "1.1.1", text="1", expected_version=0, now=NOW
    )
    for i in range(45):
        await attach_evidence(
            sheet["lan"],
            sheet["assessment"].id,
            "1.1.1",
            data=samples.pdf(f"tệp {i}"),
            name=f"{i:02d}-" + "bao-cao-ket-qua-" * 12 + ".pdf",
            files=harness.deps.files,
            max_bytes=harness.deps.max_bytes,
            now=NOW,
            page_ref="trang 3, mục II " * 20,
        )
    chat = await bound_chat(harness, sheet["lan"], 501)
    card = await chat.press(keyboards.NavCb(a=sheet["assessment"].id, i="1.1.1", d="go").pack())
    listing = await chat.press(card.button("Tệp (45)"))
    assert "Tài liệu kiểm chứng của tiêu chí 1.1.1:" in listing.text
    assert "tệp khác: xem đủ trên phiếu web (/web)." in listing.text


def test_long_lists_of_item_codes_are_counted_not_spelled_out() -> None:
    from bot.texts import codes_text

    codes = [f"{i}.{j}.{k}" for i in range(1, 5) for j in range(1, 6) for k in range(1, 6)]
    text = codes_text(codes)
    assert text.startswith("1.1.1, 1.1.2") and text.endswith(", … (+70)")
    assert codes_text(["1.1.1", "C.1"]) == "1.1.1, C.1"


async def test_refusals_quoting_markup_characters_reach_the_officer(
    harness: Harness, sheet: dict
) -> None:
    """A refusal quotes what was typed; "<" in it must not break Telegram's HTML."""
    from tests.bot.test_explain import _request

    stranger = harness.chat(777)
    said = await stranger.say("/start <b>&")
    assert SYSTEM_FAILURE not in said.text and "&lt;b&gt;&amp;" in said.text
    chat = await bound_chat(harness, sheet["lan"], 501)
    review = await _request(sheet)
    from bot.keyboards import ExplainCb

    prompt = await chat.press(ExplainCb(r=review.id, d="open").pack())
    assert "Gõ nội dung giải trình" in prompt.text
    await chat.say("Giải trình")
    said = await chat.say("<b>1" + "9" * 100)
    assert SYSTEM_FAILURE not in said.text and "&lt;b&gt;1" in said.text
    assert "9" * 41 not in said.text


SYSTEM_FAILURE = "Hệ thống gặp sự cố"


def test_penalty_levels_read_as_deductions() -> None:
    from decimal import Decimal

    from bot.keyboards import item_keyboard
    from bot.texts import scoring_text
    from forms.outline import OutlineNode
    from forms.rules import parse_rule

    rule = parse_rule("levels", "Khiển trách = 0,5; Cảnh cáo = 1", Decimal(1))
    item = OutlineNode(
        id=1,
        code="T.2",
        title="Cán bộ bị kỷ luật",
        parent_code="T",
        level="item",
        section="penalty",
        position=1,
        max_score=Decimal(1),
        rule=rule,
        guidance="",
        evidence="",
        evidence_required=True,
        na_allowed=False,
    )
    labels = [
        b.text
        for row in item_keyboard(
            1, item, None, "vi", locked=False, only_unanswered=False
        ).inline_keyboard
        for b in row
    ]
    assert "Khiển trách (−0,5)" in labels and "Khiển trách (0,5)" not in labels
    text = scoring_text(rule, "vi", penalty=True)
    assert text == "Khiển trách: trừ 0,5 điểm; Cảnh cáo: trừ 1 điểm (Điểm trừ tối đa 1)"
