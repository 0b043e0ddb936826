"""Evidence in chat: documents and photos, albums with one reply, limits, listing, removal."""

from __future__ import annotations

from core.models import AuditEvent
from forms.models import Evidence
from tests.bot import samples
from tests.bot.harness import Harness, bound_chat


async def test_an_album_is_kept_whole_with_one_reply(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    files = [
        (samples.pdf("a"), "ke-hoach.pdf"),
        (samples.docx(), "quyet-dinh.docx"),
        (samples.ods(), "so-lieu.ods"),
        (samples.EXE, "virus.pdf"),
    ]
    for data, name in files:
        await chat.send_file(
            data, name, album="g1", caption="mục II" if name == "ke-hoach.pdf" else None
        )
    reply = await chat.wait_for("Đã lưu 3 tệp cho tiêu chí 1.1.1")
    assert "ke-hoach.pdf, quyet-dinh.docx, so-lieu.ods" in reply.text
    assert (
        "Không lưu:" in reply.text and "“virus.pdf” không thuộc loại được chấp nhận" in reply.text
    )
    assert len([t for t in chat.texts() if "Đã lưu" in t]) == 1
    rows = await Evidence.filter(removed_at=None).order_by("id")
    assert [r.original_name for r in rows] == ["ke-hoach.pdf", "quyet-dinh.docx", "so-lieu.ods"]
    assert rows[0].page_ref == "mục II" and rows[2].content_type.endswith("spreadsheet")


async def test_too_large_is_refused_before_downloading(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await chat.send_file(samples.PDF, "scan.pdf", size=5 * 1024 * 1024)
    assert "“scan.pdf” có dung lượng 5,0 MB, vượt giới hạn 64 KB" in chat.last.text
    assert not any(type(c).__name__ == "GetFile" for c in harness.tg.calls)
    assert await Evidence.all().count() == 0


async def test_duplicates_listing_and_removal(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await chat.send_file(samples.PNG, "anh.png", photo=True)
    await chat.send_file(samples.PNG, "anh.png", photo=True)
    assert "Đã có từ trước (cùng nội dung)" in chat.last.text
    await chat.send_file(samples.xlsx(), "bang.xlsx")
    listing = await chat.press(chat.last.button("Tệp (2)"))
    assert "Tài liệu kiểm chứng của tiêu chí 1.1.1" in listing.text and "bang.xlsx" in listing.text
    listing = await chat.press(listing.button("Gỡ bang.xlsx"))
    assert harness.tg.alerts[-1] == "🗑 Đã gỡ “bang.xlsx” khỏi tiêu chí 1.1.1."
    assert "bang.xlsx" not in listing.text
    assert await Evidence.filter(removed_at=None).count() == 1
    assert await AuditEvent.filter(action="evidence.remove").count() == 1


async def test_files_need_an_open_item(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await chat.say("/tiendo")
    await harness.dp.storage.set_state(  # no item open (e.g. the state was cleared)
        _key(harness, 501), None
    )
    await chat.send_file(samples.PDF, "x.pdf")
    assert "hãy mở tiêu chí trước" in chat.last.text


def _key(harness: Harness, user_id: int):
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=harness.bot.id, chat_id=user_id, user_id=user_id)
