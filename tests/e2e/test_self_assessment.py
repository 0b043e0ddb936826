"""An officer self-assesses a whole score sheet in the sandbox's Telegram, over real HTTP:
bind with an invite, answer every rule type, send evidence (an album, a file too large, a
program disguised as a PDF), survive a bot restart mid-walk, submit, and find the sheet
read-only afterwards."""

from __future__ import annotations

from decimal import Decimal

from core.models import Officer
from forms.models import Answer, Assessment, AssessmentStatus, Evidence
from tests.bot import samples
from tests.bot.harness import World, invite


async def _scores(sheet: dict) -> dict[str, Decimal | None]:
    rows = await Answer.filter(assessment_id=sheet["assessment"].id).prefetch_related("node")
    return {a.node.code: a.self_score for a in rows}


async def test_a_whole_self_assessment_in_chat(world: World, sheet: dict) -> None:
    sb = world.sandbox
    lan = world.person(880_001, "Lan")

    # commands are registered in both languages
    assert {c["command"] for c in sb.commands[""]} >= {"tieptuc", "guiphieu", "help"}
    assert {c["command"] for c in sb.commands["en"]} >= {"continue", "submit", "help"}

    # an unbound person is told what to do; then binds with the invite
    await lan.say("xin chào", "chưa được liên kết")
    card = await lan.say(f"/start {await invite(sheet['lan'].id)}", "1.1.1. Ban hành kế hoạch")
    assert (await Officer.get(id=sheet["lan"].id)).telegram_user_id == lan.user_id
    assert "đã trả lời 0/9" in card["text"] and "Điểm tối đa: 1" in card["text"]

    # 1.1.1 levels: the score shows at once; the item needs its evidence, so the card stays
    card = await lan.press(card, "Ban hành đúng hạn", "Ban hành đúng hạn → 1/1 điểm")
    assert "bắt buộc có tài liệu kiểm chứng" in card["text"]

    # an album of three files: all kept, one acknowledgement
    before = sb.seq
    await sb.send_album(
        lan.user_id,
        [
            ("ke-hoach.pdf", samples.pdf("ke hoach"), "application/pdf"),
            ("quyet-dinh.docx", samples.docx(), "application/octet-stream"),
            ("bang-tong-hop.xlsx", samples.xlsx(), "application/octet-stream"),
        ],
        caption="trang 2",
    )
    ack = await lan.wait(before, "Đã lưu 3 tệp cho tiêu chí 1.1.1")
    assert len(lan.said("Đã lưu")) == 1 and "📎 Đã gửi 3 tệp" in ack["text"]
    assert await Evidence.filter(removed_at=None).count() == 3

    # a file over the limit (1 MB here) and a program named .pdf are refused, nothing stored
    sent = await sb.send_document(
        lan.user_id, "scan-lon.pdf", samples.PDF + b"0" * 1_200_000, "application/pdf"
    )
    refused = await lan.wait(sent["seq"], "vượt giới hạn")
    assert "scan-lon.pdf" in refused["text"] and "1 MB" in refused["text"]
    sent = await sb.send_document(lan.user_id, "bao-cao.pdf", samples.EXE, "application/pdf")
    refused = await lan.wait(sent["seq"], "không thuộc loại được chấp nhận")
    assert "bao-cao.pdf" in refused["text"]
    assert await Evidence.filter(removed_at=None).count() == 3

    # 1.1.2 yes/no, 1.1.3 percent typed (needs evidence: a photo), then on
    card = await lan.press(ack, "Tiếp", "1.1.2. Xác định đầy đủ")
    card = await lan.press(card, "Có", "1.1.3. Mức độ thực hiện")
    assert "Có → 1/1 điểm" in card["text"]
    card = await lan.say("95%", "95% → 2/2 điểm")
    sent = await sb.send_photo(lan.user_id, samples.JPG)
    card = await lan.wait(sent["seq"], "Đã lưu 1 tệp cho tiêu chí 1.1.3")
    card = await lan.press(card, "Tiếp", "1.1.4. Công khai kết quả")
    checklist_card = card  # its buttons stay in the chat after the walk moves on

    # the bot restarts in the middle of the walk: new Dispatcher and Bot, same database
    await world.restart_bot()
    card = await lan.say("1, 3", "Cấp tỉnh; Cấp xã → 0,5/0,75 điểm")  # typed to item 1.1.4
    assert "1.1.5. Sáng kiến được áp dụng" in card["text"]

    card = await lan.say("0,25", "0,25 → 0,25/0,25 điểm")
    card = await lan.say("4", "4 → 2/2 điểm")  # 1.2.1 count, capped
    card = await lan.press(card, "Không vi phạm", "Không vi phạm → 1/1 điểm")
    card = await lan.say("1", "1 → 1/2 điểm")  # C.1 bonus, evidence required
    sent = await sb.send_document(
        lan.user_id, "bang-khen.pdf", samples.pdf("bk"), "application/pdf"
    )
    card = await lan.wait(sent["seq"], "Đã lưu 1 tệp cho tiêu chí C.1")
    card = await lan.press(card, "Tiếp", "T.1. Vi phạm trong giải quyết TTHC")
    done = await lan.say("0", "Đã trả lời tất cả tiêu chí")
    assert "đã trả lời 9/9" in done["text"]

    # submit: confirmation, then the sheet is submitted
    confirm = await lan.say("/guiphieu", "Gửi phiếu tự đánh giá của Sở Nội vụ?")
    assert "điểm tự đánh giá: 8,75" in confirm["text"]
    await lan.press(confirm, "Đồng ý gửi", "Đã gửi phiếu tự đánh giá của Sở Nội vụ")
    assessment = await Assessment.get(id=sheet["assessment"].id)
    assert assessment.status == AssessmentStatus.submitted

    # an edit after submission is refused, clearly, and changes nothing: a button still on
    # an old card, and a typed value
    scores = await _scores(sheet)
    refused = await lan.press(checklist_card, "Cấp huyện", "đã được gửi nên chỉ còn xem")
    assert "1.1.4. Công khai kết quả" in refused["text"]
    assert "đã được gửi" in sb.callback_answers(lan.user_id)[-1]["text"]
    assert "Cấp huyện" not in str(refused.get("reply_markup"))  # no answer buttons any more
    await lan.say("/tieptuc", "chỉ xem, không sửa được")
    await lan.say("1", "đã được gửi nên chỉ còn xem")
    assert await _scores(sheet) == scores
    assert scores == {
        "1.1.1": Decimal(1),
        "1.1.2": Decimal(1),
        "1.1.3": Decimal(2),
        "1.1.4": Decimal("0.5"),
        "1.1.5": Decimal("0.25"),
        "1.2.1": Decimal(2),
        "2.1.1": Decimal(1),
        "C.1": Decimal(1),
        "T.1": Decimal(0),
    }
