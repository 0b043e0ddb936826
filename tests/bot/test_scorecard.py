"""/bangdiem (/scorecard): the unit's "Bảng tự đánh giá, chấm điểm" as an Excel document."""

from __future__ import annotations

from io import BytesIO

from aiogram.methods import SendChatAction, SendDocument
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook

from core.models import AuditEvent, Channel, Officer, Unit, UnitGroup
from forms.answers import record_answer
from forms.models import Period
from tests.bot.harness import Chat, Harness, bound_chat, invite_code
from tests.forms.conftest import NOW


async def _ask(chat: Chat, text: str) -> SendDocument | None:
    """Send a command and return the document the bot sent back (None if it sent none)."""
    calls = len(chat.tg.calls)
    await chat._feed(message=chat._message(text=text))
    sent = [c for c in chat.tg.calls[calls:] if isinstance(c, SendDocument)]
    return sent[0] if sent else None


def _cells(document: BufferedInputFile) -> str:
    wb = load_workbook(BytesIO(document.data), read_only=True)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


async def test_the_officer_gets_the_units_scorecard(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await record_answer(
        sheet["lan"], sheet["assessment"].id, "1.1.2", text="có", expected_version=0, now=NOW
    )
    calls = len(harness.tg.calls)
    sent = await _ask(chat, "/bangdiem")
    assert sent is not None and int(sent.chat_id) == 501
    assert any(isinstance(c, SendChatAction) for c in harness.tg.calls[calls:])
    document = sent.document
    assert isinstance(document, BufferedInputFile)
    assert document.filename == "bang-tu-danh-gia-snv-2026.xlsx"
    assert sent.caption is not None
    assert sent.caption.startswith(
        "📊 Bảng tự đánh giá, chấm điểm của Sở Nội vụ — Đợt 2026, lập lúc 20/11/2026 10:00"
    )
    text = _cells(document)
    assert "Sở Nội vụ" in text and "Sở Tư pháp" not in text
    event = await AuditEvent.get(action="export.scorecard")
    assert (event.actor_type, event.actor_id, event.channel) == (
        "officer",
        sheet["lan"].id,
        Channel.bot,
    )
    assert event.entity_id == str(sheet["assessment"].id)

    # once the period is closed the unit still gets its (newest) scorecard
    await Period.filter(id=sheet["assessment"].period_id).update(status="closed")
    again = await _ask(chat, "/bangdiem")
    assert again is not None and again.document.filename == document.filename  # type: ignore[union-attr]


async def test_english_alias_and_language(harness: Harness, sheet: dict) -> None:
    await Officer.filter(id=sheet["hung"].id).update(locale="en")
    chat = await bound_chat(harness, sheet["hung"], 502)
    sent = await _ask(chat, "/scorecard")
    assert sent is not None and sent.caption is not None
    assert sent.caption.startswith("📊 Self-assessment and scoring table of Sở Nội vụ — Đợt 2026")


async def test_a_unit_without_a_score_sheet_is_told_so(harness: Harness, sheet: dict) -> None:
    group = await UnitGroup.create(code="XA", name="Khối xã", kind="commune")
    unit = await Unit.create(code="XA1", name="UBND xã Một", group=group)
    officer = await Officer.create(unit=unit, full_name="Vũ Thị Xã")
    chat = harness.chat(503, officer.full_name)
    await chat.say(f"/start {await invite_code(sheet['lan'], officer.id)}")
    assert await _ask(chat, "/bangdiem") is None
    assert "chưa có phiếu tự đánh giá" in chat.last.text
