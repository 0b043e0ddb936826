"""The appraisal loop in chat: a request per item, answered with text, a score and files."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.notifier import BotNotifier
from core.i18n import Msg
from core.models import Officer
from core.notify import Notice, Unreachable
from forms.answers import record_answer
from forms.models import Answer, Assessment, AssessmentStatus
from scoring.models import Explanation, Review
from tests.bot import samples
from tests.bot.harness import Harness, bound_chat
from tests.forms.conftest import NOW


async def _request(sheet: dict) -> Review:
    await record_answer(
        sheet["lan"], sheet["assessment"].id, "1.1.3", text="95%", expected_version=0, now=NOW
    )
    await Assessment.filter(id=sheet["assessment"].id).update(
        status=AssessmentStatus.explanation_requested
    )
    answer = await Answer.get(assessment_id=sheet["assessment"].id)
    return await Review.create(
        answer=answer,
        round_no=1,
        appraised_score=Decimal(1),
        comment="Chưa đủ tài liệu kiểm chứng: thiếu báo cáo quý IV.",
        explanation_requested=True,
        explanation_due_at=NOW + timedelta(days=3),
    )


async def test_explanation_requested_then_answered(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    review = await _request(sheet)
    notifier = BotNotifier(harness.bot, harness.deps)
    message_id = await notifier.notify(
        Notice(
            sheet["lan"].id,
            "explanation_requested",
            Msg("Explanation requested"),
            {"review_id": review.id, "assessment_id": sheet["assessment"].id, "item": "1.1.3"},
        )
    )
    request = chat.last
    assert request.message_id == message_id
    assert "Đề nghị giải trình — tiêu chí 1.1.3. Mức độ thực hiện kế hoạch" in request.text
    assert "Điểm tự đánh giá: 2 · Điểm thẩm định: 1" in request.text
    assert "Ý kiến thẩm định: Chưa đủ tài liệu kiểm chứng: thiếu báo cáo quý IV." in request.text
    assert "Hạn giải trình: 23/11/2026 10:00 (còn 3 ngày)" in request.text
    prompt = await chat.press(request.button("Giải trình"))
    assert "Gõ nội dung giải trình cho tiêu chí 1.1.3" in prompt.text
    said = await chat.say("Báo cáo quý IV đã ban hành ngày 15/12, gửi kèm.")
    assert "Đề xuất mức điểm từ 0 đến 2" in said.text
    said = await chat.say("3")
    assert "Điểm đề xuất phải từ 0 đến 2." in said.text
    said = await chat.say("1,5")
    assert "Gửi tệp minh chứng kèm theo" in said.text
    await chat.send_file(samples.pdf("q4"), "bao-cao-quy-IV.pdf")
    assert "Số tệp kèm theo giải trình: 1." in chat.last.text
    sent = await chat.press(chat.last.button("Gửi giải trình"))
    assert "Đã gửi giải trình tiêu chí 1.1.3 tới Tổ thẩm định" in sent.text
    explanation = await Explanation.get(review_id=review.id).prefetch_related("files")
    assert explanation.text.startswith("Báo cáo quý IV")
    assert explanation.proposed_score == Decimal("1.5")
    assert [f.original_name for f in explanation.files] == ["bao-cao-quy-IV.pdf"]
    none_left = await chat.say("/giaitrinh")
    assert "không có yêu cầu giải trình nào" in none_left.text


async def test_a_notice_to_someone_unreachable(harness: Harness, sheet: dict) -> None:
    notifier = BotNotifier(harness.bot, harness.deps)
    notice = Notice(sheet["hung"].id, "reminder", Msg("Reminder"), {})
    with pytest.raises(Unreachable):  # never bound
        await notifier.notify(notice)
    chat = await bound_chat(harness, sheet["hung"], 502)
    harness.tg.blocked.add(chat.user_id)
    with pytest.raises(Unreachable) as info:
        await notifier.notify(notice)
    assert info.value.blocked
    assert (await Officer.get(id=sheet["hung"].id)).bot_blocked_at == NOW
    # writing to the bot again makes the officer reachable again
    harness.tg.blocked.clear()
    await chat.say("/tiendo")
    assert (await Officer.get(id=sheet["hung"].id)).bot_blocked_at is None


async def test_a_reminder_leads_back_to_the_walk(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    notifier = BotNotifier(harness.bot, harness.deps)
    await notifier.notify(
        Notice(
            sheet["lan"].id,
            "reminder",
            Msg("Self-assessment is due in {n} day(s).", n=3),
            {"assessment_id": sheet["assessment"].id, "item": "1.1.3"},
        )
    )
    reminder = chat.last
    card = await chat.press(reminder.button("Đến tiêu chí 1.1.3"))
    assert "1.1.3. Mức độ thực hiện kế hoạch" in card.text
    card = await chat.press(reminder.button("Tiếp tục"), on=reminder)
    assert "Điểm tối đa" in card.text
    assert reminder.edits == 0  # the cards came as new messages: the reminder stays readable
