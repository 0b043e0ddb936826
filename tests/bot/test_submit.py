"""Submission in chat: what blocks it, confirmation, read-only afterwards, leader approval."""

from __future__ import annotations

from forms.answers import record_answer
from forms.models import Assessment, AssessmentStatus, Period
from tests.bot import samples
from tests.bot.harness import Harness, bound_chat
from tests.forms.conftest import NOW

ALL = {
    "1.1.1": "1",
    "1.1.2": "có",
    "1.1.3": "95",
    "1.1.4": "1,2,3",
    "1.1.5": "0",
    "1.2.1": "2",
    "2.1.1": "0",
    "C.1": "0",
    "T.1": "0",
}


async def _answer_all(sheet: dict, except_: tuple[str, ...] = ()) -> None:
    for code, text in ALL.items():
        if code not in except_:
            await record_answer(
                sheet["hung"], sheet["assessment"].id, code, text=text, expected_version=0, now=NOW
            )


async def test_blockers_are_listed_with_a_way_to_them(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await _answer_all(sheet, except_=("2.1.1",))
    said = await chat.say("/guiphieu")
    assert "Chưa gửi được phiếu tự đánh giá" in said.text
    assert "Tiêu chí chưa trả lời (1): 2.1.1" in said.text
    # C.1 declares 0 initiatives: nothing earns points, so nothing to prove (issue 14 item 4)
    assert "Tiêu chí thiếu tài liệu kiểm chứng bắt buộc (2): 1.1.1, 1.1.3" in said.text
    card = await chat.press(said.button("Đến tiêu chí 2.1.1"))
    assert "2.1.1. Vi phạm kỷ luật hành chính" in card.text


async def _complete(harness: Harness, sheet: dict, chat) -> None:
    await _answer_all(sheet)
    for code in ("1.1.1", "1.1.3", "C.1"):
        card = await chat.say("/danhsach")
        if code == "C.1":
            card = await chat.press(card.button("C. ĐIỂM CỘNG"))  # one group: items at once
        else:
            card = await chat.press(card.button("1. CÔNG TÁC"))
            assert "Chọn tiêu chí" in card.text
            card = await chat.press(card.button("1.1. Kế hoạch CCHC năm (5/5)"))
        card = await chat.press(card.button(code))
        await chat.send_file(samples.pdf(code), f"{code}.pdf")


async def test_submit_then_everything_is_read_only(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await _complete(harness, sheet, chat)
    status = await chat.say("/tiendo")
    assert "Đã trả lời tất cả tiêu chí: có thể gửi phiếu tự đánh giá." in status.text
    confirm = await chat.press(status.button("Gửi phiếu tự đánh giá"))
    assert "Gửi phiếu tự đánh giá của Sở Nội vụ?" in confirm.text
    assert "Sau khi gửi, không sửa được câu trả lời nữa" in confirm.text
    cancelled = await chat.press(confirm.button("Hủy"))
    assert "Chưa gửi phiếu" in cancelled.text
    confirm = await chat.say("/guiphieu")
    done = await chat.press(confirm.button("Đồng ý gửi"))
    assert "Đã gửi phiếu tự đánh giá của Sở Nội vụ lúc 20/11/2026 10:00" in done.text
    assessment = await Assessment.get(id=sheet["assessment"].id)
    assert assessment.status == AssessmentStatus.submitted
    # an edit attempt after submission: refused with a clear sentence
    said = await chat.say("/tieptuc")
    assert "Phiếu đã gửi: chỉ xem, không sửa được." in said.text
    assert not [b for b, _ in said.buttons() if b in ("Có", "Không")]
    refused = await chat.say("không")
    assert "Phiếu tự đánh giá đã được gửi nên chỉ còn xem, không sửa được." in refused.text
    await chat.send_file(samples.pdf("late"), "bo-sung.pdf")
    assert "đã được gửi" in chat.last.text
    again = await chat.say("/guiphieu")
    assert "đã được gửi" in again.text


async def test_leader_approval_when_the_period_requires_it(harness: Harness, sheet: dict) -> None:
    await Period.all().update(require_leader_approval=True)
    chat = await bound_chat(harness, sheet["lan"], 501)
    leader = await bound_chat(harness, sheet["leader"], 601)
    await _complete(harness, sheet, chat)
    said = await chat.say("/guiphieu")
    assert "yêu cầu lãnh đạo đơn vị phê duyệt" in said.text
    await chat.press(said.button("Báo lãnh đạo"))
    assert "Đã báo lãnh đạo phê duyệt và gửi phiếu: Phạm Quang Minh." in chat.last.text
    request = leader.last
    assert "Nguyễn Thị Lan báo phiếu tự đánh giá của Sở Nội vụ đã hoàn thành" in request.text
    confirm = await leader.press(request.button("Gửi phiếu"))
    done = await leader.press(confirm.button("Đồng ý gửi"))
    assert "Đã gửi phiếu tự đánh giá" in done.text
    assessment = await Assessment.get(id=sheet["assessment"].id)
    assert assessment.leader_approved_by_id == sheet["leader"].id  # type: ignore[attr-defined]
