"""/giahan (/extend) in chat: the date, the reason, a confirmation, one pending request; the
secretariat's decision reaches the officer through the bot's notifier."""

from __future__ import annotations

from bot import keyboards
from bot.commands import bot_commands
from bot.notifier import BotNotifier
from core.models import Officer
from forms.extensions import parse_day, tell_decision
from forms.models import Assessment, AssessmentStatus, ExtensionRequest, ExtensionStatus
from forms.periods import decide_extension
from tests.bot.harness import Harness, bound_chat
from tests.forms.conftest import NOW, SYSTEM


async def test_asking_for_an_extension_step_by_step(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    start = await chat.say("/giahan")
    assert "Đề nghị gia hạn tự đánh giá — Sở Nội vụ" in start.text
    assert "Hạn tự đánh giá hiện tại: 25/11/2026 10:00." in start.text
    assert "chậm nhất 25/12/2026" in start.text

    # a wrong date is explained and asked again
    said = await chat.say("ngày mai")
    assert "“ngày mai” không phải là ngày" in said.text
    said = await chat.say("24/11/2026")
    assert "phải sau hạn tự đánh giá hiện tại (25/11/2026 10:00)" in said.text
    said = await chat.say("30/11/2026")
    assert said.text.startswith("Đề nghị gia hạn đến: 30/11/2026 23:59.")
    assert "lý do đề nghị gia hạn" in said.text

    confirm = await chat.say("Chờ số liệu <Cục Thống kê> & Sở Tài chính")
    assert "Gửi đề nghị gia hạn này đến Sở Nội vụ?" in confirm.text
    assert "Lý do: Chờ số liệu &lt;Cục Thống kê&gt; &amp; Sở Tài chính" in confirm.text
    assert "Đề nghị gia hạn đến: 30/11/2026 23:59" in confirm.text
    # typing again replaces the reason
    confirm = await chat.say("Chờ số liệu của Cục Thống kê")
    assert "Lý do: Chờ số liệu của Cục Thống kê" in confirm.text
    sent = await chat.press(confirm.button("Gửi đề nghị"))
    assert sent.text.startswith("✅ Đã gửi Sở Nội vụ đề nghị gia hạn đến 30/11/2026 23:59 lúc")
    assert "hạn tự đánh giá hiện tại (25/11/2026 10:00) vẫn được áp dụng" in sent.text

    request = await ExtensionRequest.get(assessment_id=sheet["assessment"].id)
    assert request.reason == "Chờ số liệu của Cục Thống kê"
    assert request.requested_until == parse_day("30/11/2026")
    assert request.requested_by_id == sheet["lan"].id  # type: ignore[attr-defined]

    # the old button does nothing more; a second request waits for the first
    assert not sent.buttons()
    await chat.press(keyboards.ExtendCb(a=sheet["assessment"].id, d="send").pack(), on=sent)
    assert await ExtensionRequest.all().count() == 1
    again = await chat.say("/giahan")
    assert "Đơn vị đã đề nghị gia hạn đến ngày 30/11/2026" in again.text

    # after the dialogue, typed text is no longer read as a date or a reason
    said = await chat.say("01/12/2026")
    assert "gia hạn" not in said.text

    # the secretariat approves: the deadline moves and the officer is told here
    await decide_extension(SYSTEM, request.id, approve=True, note="Đồng ý", now=NOW)
    reached = await tell_decision(BotNotifier(harness.bot, harness.deps), request.id)
    assert reached == 1
    told = chat.last
    assert told.text == (
        "✅ Sở Nội vụ đã phê duyệt đề nghị gia hạn của Sở Nội vụ: hạn tự đánh giá mới là "
        "30/11/2026 23:59. Ghi chú: Đồng ý"
    )
    assert told.buttons()  # a way back to the sheet
    assert (await Assessment.get(id=sheet["assessment"].id)).deadline_extended_to == parse_day(
        "30/11/2026"
    )
    status = await chat.say("/tiendo")
    assert "30/11/2026 23:59" in status.text


async def test_cancelling_by_command_or_button(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await chat.say("/giahan")
    said = await chat.say("/huy")
    assert said.text == "Đã hủy, chưa gửi đề nghị gia hạn."
    said = await chat.say("30/11/2026")  # no longer read as the date asked for
    assert "Đề nghị gia hạn đến" not in said.text

    await chat.say("/giahan")
    await chat.say("30/11/2026")
    confirm = await chat.say("Lý do")
    cancelled = await chat.press(confirm.button("Hủy"))
    assert cancelled.text == "Đã hủy, chưa gửi đề nghị gia hạn."
    assert await ExtensionRequest.all().count() == 0


async def test_english_and_a_submitted_sheet(harness: Harness, sheet: dict) -> None:
    await Officer.filter(id=sheet["hung"].id).update(locale="en")
    chat = await bound_chat(harness, sheet["hung"], 502)
    start = await chat.say("/extend")
    assert "Request an extension of the self-assessment deadline — Sở Nội vụ" in start.text
    await chat.say("30/11/2026")
    confirm = await chat.say("Waiting for data")
    sent = await chat.press(confirm.button("Send the request"))
    assert "was sent to the secretariat" in sent.text

    # the secretariat refuses: the reason reaches the officer in their language
    request = await ExtensionRequest.get(assessment_id=sheet["assessment"].id)
    await decide_extension(SYSTEM, request.id, approve=False, note="Không đủ căn cứ", now=NOW)
    await tell_decision(BotNotifier(harness.bot, harness.deps), request.id)
    assert chat.last.text == (
        "❌ The secretariat refused the extension asked for by Sở Nội vụ (until 30/11/2026). "
        "Reason: Không đủ căn cứ. The self-assessment deadline stays 25/11/2026 10:00."
    )
    assert (await ExtensionRequest.get(id=request.id)).status == ExtensionStatus.refused

    await Assessment.filter(id=sheet["assessment"].id).update(
        status=AssessmentStatus.submitted, submitted_at=NOW
    )
    said = await chat.say("/extend")
    assert "already submitted; an extension is no longer needed" in said.text


async def test_the_command_is_in_the_menu_and_the_help(harness: Harness, sheet: dict) -> None:
    vi = {c.command: c.description for c in bot_commands("vi")}
    en = {c.command: c.description for c in bot_commands("en")}
    assert vi["giahan"] == "Đề nghị gia hạn tự đánh giá" and "extend" in en
    assert vi["bangdiem"].startswith("Tải Bảng tự đánh giá, chấm điểm") and "scorecard" in en
    chat = await bound_chat(harness, sheet["lan"], 501)
    help_text = (await chat.say("/help")).text
    assert "Lệnh /bangdiem gửi Bảng tự đánh giá, chấm điểm" in help_text
    assert "Lệnh /giahan để đề nghị Sở Nội vụ gia hạn tự đánh giá" in help_text
