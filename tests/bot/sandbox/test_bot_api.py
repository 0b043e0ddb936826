"""The Bot API as aiogram sees it: what the project's bot will rely on end to end."""

from __future__ import annotations

import asyncio
import io
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.sandbox import Sandbox
from tests.bot.sandbox.conftest import TOKEN, make_bot

OFFICER = 5_001
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


async def drain(bot: Bot) -> list:
    """Everything pending, confirmed, as a polling bot would."""
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


async def test_get_me_describes_the_bot(sandbox: Sandbox, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "cchc_sandbox_bot")


async def test_bot_cannot_write_first_then_answers_with_a_keyboard(
    sandbox: Sandbox, bot: Bot
) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(OFFICER, "Xin chào")

    sent = await sandbox.send_text(OFFICER, "/start ABC123", first_name="Lan")
    [update] = await drain(bot)
    assert update.message.text == "/start ABC123"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")
    assert update.message.from_user.id == update.message.chat.id == OFFICER

    reply = await bot.send_message(
        OFFICER,
        "<b>Chào</b> chị Lan &amp; đồng nghiệp",
        reply_markup=keyboard(("Bắt đầu", "go"), ("Để sau", "later")),
    )
    assert reply.text == "Chào chị Lan & đồng nghiệp"
    assert reply.entities[0].type == "bold" and reply.entities[0].length == 4
    assert reply.message_id == sent["message_id"] + 1
    assert reply.from_user.is_bot and reply.chat.id == OFFICER

    seen = await sandbox.wait_for_bot_message(OFFICER, after=sent["seq"], timeout=2)
    assert seen["text"] == reply.text
    assert seen["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "later"
    assert [m["from"]["is_bot"] for m in sandbox.chat(OFFICER)] == [False, True]


async def test_bad_html_and_empty_text_fail_like_telegram(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "sở"'):
        await bot.send_message(OFFICER, "Đơn vị <Sở Nội vụ>")
    with pytest.raises(TelegramBadRequest, match="Can't find end tag corresponding to start tag"):
        await bot.send_message(OFFICER, "<b>đậm")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(OFFICER, "")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(OFFICER, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(OFFICER, "x", reply_markup=keyboard(("x", "d" * 65)))
    assert sandbox.bot_messages(OFFICER) == []


async def test_missing_chat_id_answers_with_telegram_wording(
    sandbox: Sandbox, base_url: str
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/bot{TOKEN}/sendMessage", data={"text": "hi"}) as resp,
    ):
        assert resp.status == 400
        assert await resp.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: chat_id is empty",
        }
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url}/bot{TOKEN}/sendSticker") as unknown,
        http.get(f"{base_url}/bot{TOKEN}/noSuchMethod") as nonsense,
        http.get(f"{base_url}/bot{TOKEN}/getme") as lower_case,
    ):
        assert unknown.status == nonsense.status == 404
        assert (await nonsense.json())["description"] == "Not Found: method not found"
        assert (await lower_case.json())["result"]["username"] == "cchc_sandbox_bot"


async def test_json_bodies_are_understood_too(sandbox: Sandbox, base_url: str) -> None:
    await sandbox.send_text(OFFICER, "/start")
    body = {
        "chat_id": OFFICER,
        "text": "123",
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/bot{TOKEN}/sendMessage", json=body) as resp,
    ):
        result = (await resp.json())["result"]
    assert result["text"] == "123" and result["reply_markup"] == body["reply_markup"]


async def test_edits_happen_in_place_and_are_observable(sandbox: Sandbox, bot: Bot) -> None:
    start = await sandbox.send_text(OFFICER, "/start")
    card = await bot.send_message(OFFICER, "Tiêu chí 1.1", reply_markup=keyboard(("Có", "yes")))
    first = await sandbox.wait_for_bot_message(OFFICER, after=start["seq"])

    await bot.edit_message_text(
        "Tiêu chí 1.1 — <i>đã trả lời</i>",
        chat_id=OFFICER,
        message_id=card.message_id,
        reply_markup=keyboard(("Sửa", "edit")),
    )
    edited = await sandbox.wait_for_bot_message(OFFICER, after=first["seq"], timeout=2)
    assert edited["message_id"] == card.message_id and "edit_date" in edited
    assert edited["text"] == "Tiêu chí 1.1 — đã trả lời"

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Tiêu chí 1.1 — <i>đã trả lời</i>",
            chat_id=OFFICER,
            message_id=card.message_id,
            reply_markup=keyboard(("Sửa", "edit")),
        )
    await bot.edit_message_reply_markup(chat_id=OFFICER, message_id=card.message_id)
    [user_msg, bot_msg] = sandbox.chat(OFFICER)
    assert bot_msg["text"] == "Tiêu chí 1.1 — đã trả lời" and "reply_markup" not in bot_msg

    assert await bot.delete_message(OFFICER, card.message_id)
    assert [m["message_id"] for m in sandbox.chat(OFFICER)] == [user_msg["message_id"]]
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=OFFICER, message_id=card.message_id)


async def test_button_press_arrives_through_get_updates(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    await drain(bot)
    card = await bot.send_message(OFFICER, "Chọn mức", reply_markup=keyboard(("Đúng hạn", "lv:1")))
    with pytest.raises(LookupError):
        await sandbox.press(OFFICER, card.message_id, "lv:9")  # no such button on the card

    await sandbox.press(OFFICER, card.message_id, "lv:1")
    [update] = await drain(bot)
    query = update.callback_query
    assert query.data == "lv:1" and query.from_user.id == OFFICER
    assert query.message.message_id == card.message_id and query.message.text == "Chọn mức"

    assert await bot.answer_callback_query(query.id, text="Đã lưu")
    assert await bot.answer_callback_query(query.id)  # twice is accepted, as a late answer is
    answers = sandbox.callback_answers(OFFICER)
    assert [a["text"] for a in answers] == ["Đã lưu", None] and answers[0]["data"] == "lv:1"
    assert await drain(bot) == []


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    sandbox: Sandbox, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await sandbox.wait_until(lambda: any("ok" not in c for c in sandbox.calls("getUpdates")))
    started = time.monotonic()
    await sandbox.send_text(OFFICER, "xin chào")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 1.5
    assert [u.message.text for u in updates] == ["xin chào"]


async def test_reply_keyboards_change_the_input_area(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Nộp phiếu")]], resize_keyboard=True
    )
    shown = await bot.send_message(OFFICER, "Chọn việc", reply_markup=markup)
    assert shown.reply_markup is None  # only inline keyboards belong to a message
    assert sandbox.reply_keyboard(OFFICER)["keyboard"] == [[{"text": "Nộp phiếu"}]]
    await bot.send_message(OFFICER, "Xong", reply_markup=ReplyKeyboardRemove())
    assert sandbox.reply_keyboard(OFFICER) is None


async def test_document_round_trip_keeps_the_bytes(sandbox: Sandbox, bot: Bot) -> None:
    content = b"%PDF-1.4 minh chung " + bytes(range(256))
    await sandbox.send_document(
        OFFICER, "Kế hoạch CCHC.pdf", content, "application/pdf", caption="Minh chứng 1.1"
    )
    [update] = await drain(bot)
    doc = update.message.document
    assert (doc.file_name, doc.mime_type, doc.file_size) == (
        "Kế hoạch CCHC.pdf",
        "application/pdf",
        len(content),
    )
    assert update.message.caption == "Minh chứng 1.1"

    file = await bot.get_file(doc.file_id)
    downloaded = await bot.download_file(file.file_path)
    assert isinstance(downloaded, io.BytesIO) and downloaded.getvalue() == content

    again = await sandbox.send_document(OFFICER, "copy.pdf", content, "application/pdf")
    assert again["document"]["file_unique_id"] == doc.file_unique_id
    assert again["document"]["file_id"] != doc.file_id
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_bot_uploads_documents_and_photos(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    workbook = b"PK\x03\x04 fake xlsx bytes"
    sent = await bot.send_document(
        OFFICER,
        BufferedInputFile(workbook, "Bảng điểm.xlsx"),
        caption="<i>Kết quả tự chấm</i>",
    )
    assert sent.document.file_name == "Bảng điểm.xlsx"
    assert sent.document.mime_type.endswith("spreadsheetml.sheet")
    assert sent.caption == "Kết quả tự chấm" and sent.caption_entities[0].type == "italic"
    call = sandbox.calls("sendDocument")[-1]
    assert [f["filename"] for f in call["files"].values()] == ["Bảng điểm.xlsx"]
    file = await bot.get_file(sent.document.file_id)
    assert (await bot.download_file(file.file_path)).getvalue() == workbook

    photo = await bot.send_photo(OFFICER, BufferedInputFile(PNG_1x1, "chart.png"))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1, 1)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(OFFICER, BufferedInputFile(b"not an image", "x.png"))
    resent = await bot.send_document(OFFICER, sent.document.file_id)
    assert resent.document.file_unique_id == sent.document.file_unique_id
    kinds = ["document" if "document" in m else "photo" for m in sandbox.bot_messages(OFFICER)]
    assert kinds == ["document", "photo", "document"]


async def test_album_shares_one_media_group_id(sandbox: Sandbox, bot: Bot) -> None:
    sent = await sandbox.send_album(
        OFFICER,
        [
            ("a.pdf", b"%PDF a", "application/pdf"),
            ("b.docx", b"PK b", "application/msword"),
            ("c.pdf", b"%PDF c", "application/pdf"),
        ],
        caption="Minh chứng tiêu chí 2",
    )
    updates = await drain(bot)
    groups = {u.message.media_group_id for u in updates}
    assert len(updates) == 3 and len(groups) == 1 and None not in groups
    assert [u.message.document.file_name for u in updates] == ["a.pdf", "b.docx", "c.pdf"]
    assert [u.message.caption for u in updates] == ["Minh chứng tiêu chí 2", None, None]
    assert [m["message_id"] for m in sent] == [u.message.message_id for u in updates]

    await sandbox.send_photo(OFFICER, PNG_1x1, caption="Ảnh chụp")
    [photo] = await drain(bot)
    assert photo.message.photo[-1].file_size == len(PNG_1x1)
    assert photo.message.media_group_id is None


async def test_commands_are_kept_per_language_and_scope(sandbox: Sandbox, bot: Bot) -> None:
    vi = [
        BotCommand(command="start", description="Bắt đầu"),
        BotCommand(command="nop", description="Nộp phiếu"),
    ]
    en = [BotCommand(command="start", description="Start")]
    assert await bot.set_my_commands(vi)
    assert await bot.set_my_commands(vi[:1], language_code="vi")
    assert await bot.set_my_commands(en, scope=BotCommandScopeAllPrivateChats(), language_code="en")

    assert [c.command for c in await bot.get_my_commands()] == ["start", "nop"]
    english = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
    assert [c.description for c in english] == ["Start"]
    assert await bot.get_my_commands(language_code="en") == []
    assert set(sandbox.commands) == {"", "vi"}
    assert sandbox.commands["vi"] == [{"command": "start", "description": "Bắt đầu"}]

    await sandbox.send_text(OFFICER, "/start", language_code="en")
    assert sandbox.effective_commands(OFFICER) == [{"command": "start", "description": "Start"}]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Nộp", description="x")])
    assert await bot.delete_my_commands(language_code="vi")
    assert set(sandbox.commands) == {""}


async def test_wrong_token_is_unauthorized(sandbox: Sandbox, base_url: str) -> None:
    intruder = make_bot(base_url, token="654321:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()


async def test_blocked_person_makes_sends_forbidden(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    await drain(bot)
    sandbox.set_blocked(OFFICER, True)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(OFFICER, "Nhắc hạn nộp phiếu")
    [update] = await drain(bot)
    assert update.my_chat_member.new_chat_member.status == "kicked"
    assert update.my_chat_member.from_user.id == OFFICER

    await sandbox.send_text(OFFICER, "/start")  # writing again restarts the bot
    statuses = [
        u.my_chat_member.new_chat_member.status for u in await drain(bot) if u.my_chat_member
    ]
    assert statuses == ["member"]
    assert (await bot.send_message(OFFICER, "Chào lại")).text == "Chào lại"


async def test_injected_failures_surface_as_aiogram_errors(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    sandbox.inject_failures(
        "sendMessage",
        [(429, "Too Many Requests: retry after 1", 1), (500, "Internal Server Error", None)],
    )
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(OFFICER, "một")
    assert flood.value.retry_after == 1
    with pytest.raises(TelegramServerError):
        await bot.send_message(OFFICER, "hai")
    assert (await bot.send_message(OFFICER, "ba")).text == "ba"
    outcomes = [(c["ok"], c.get("error_code")) for c in sandbox.calls("sendmessage")]
    assert outcomes == [(False, 429), (False, 500), (True, None)]
    assert [m["text"] for m in sandbox.bot_messages(OFFICER)] == ["ba"]


async def test_chat_action_and_get_chat(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start", first_name="Minh", username="minh_snv")
    assert await bot.send_chat_action(OFFICER, "typing")
    chat = await bot.get_chat("@minh_snv")
    assert (chat.id, chat.type, chat.first_name) == (OFFICER, "private", "Minh")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(OFFICER, "dancing")


async def test_commands_and_links_in_bot_text_become_entities(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    sent = await bot.send_message(
        OFFICER, "Gõ /help, xem https://snv.gov.vn hoặc <code>/start</code>"
    )
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bot_command", 3, 5),
        ("url", 14, 18),
        ("code", 38, 6),
    ]


async def test_reset_forgets_people_but_the_bot_carries_on(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.send_text(OFFICER, "/start")
    [before] = await drain(bot)
    sandbox.reset()
    assert sandbox.chat(OFFICER) == [] and sandbox.calls() == []
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(OFFICER, "còn đó không?")
    await sandbox.send_text(OFFICER, "/start")
    [after] = await drain(bot)  # update ids keep growing, so the bot's offset still works
    assert after.update_id > before.update_id and after.message.message_id == 1
