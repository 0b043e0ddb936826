"""The people's side over HTTP (/control) and the web chat page (/chat)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import Sandbox
from bot.sandbox.page import render
from bot.sandbox.server import DEFAULT_PERSONAS

OFFICER = 7_001


@pytest.fixture
async def http(sandbox: Sandbox, base_url: str) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client


async def test_chat_page_lists_personas_and_locks_down_scripts(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    async def officers() -> list[dict]:
        return [
            {"user_id": 42, "name": "Nguyễn Thị Lan — Sở Tư pháp", "hint": "/start LAN-7Q"},
            {"user_id": 43, "name": "<script>alert(1)</script>", "hint": "</script><b>"},
        ]

    sandbox.personas_provider = officers
    page = await http.get("/chat")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Nguyễn Thị Lan — Sở Tư pháp" in html and "LAN-7Q" in html
    assert "<script>alert(1)</script>" not in html and "</script><b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce and f'<script nonce="{nonce.group(1)}">' in html
    assert "innerHTML" not in html  # bot text is drawn as text nodes only
    assert (await http.get("/", follow_redirects=False)).headers["location"] == "chat"
    assert (await http.get("/control/personas")).json()[0]["user_id"] == 42


async def test_default_personas_when_the_app_gives_none(sandbox: Sandbox) -> None:
    html = render(sandbox, list(DEFAULT_PERSONAS), "n0nce")
    for n in (1, 2, 3):
        assert f"Người dùng thử {n}" in html
    assert "{{" not in html


async def test_control_drives_a_person_end_to_end(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    sent = await http.post("/control/send_text", json={"user_id": OFFICER, "text": "/start X"})
    assert sent.status_code == 200 and sent.json()["text"] == "/start X"
    me = sent.json()["from"]
    assert me["first_name"] == f"Người dùng {OFFICER}" and me["language_code"] == "vi"

    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Nộp", callback_data="submit")]]
    )
    waiting = asyncio.create_task(
        http.get(
            "/control/chat", params={"user_id": OFFICER, "since": sent.json()["seq"], "wait": 5}
        )
    )
    card = await bot.send_message(OFFICER, "Nộp phiếu?", reply_markup=markup)
    changes = (await asyncio.wait_for(waiting, 3)).json()
    assert [m["text"] for m in changes["messages"]] == ["Nộp phiếu?"]
    assert changes["seq"] == sandbox.seq and changes["blocked"] is False

    pressed = await http.post(
        "/control/press", json={"user_id": OFFICER, "message_id": card.message_id, "data": "submit"}
    )
    assert pressed.status_code == 200 and pressed.json()["data"] == "submit"
    missing = await http.post(
        "/control/press", json={"user_id": OFFICER, "message_id": card.message_id, "data": "nope"}
    )
    assert missing.status_code == 404 and "no button" in missing.json()["error"]
    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query.data for u in updates if u.callback_query] == ["submit"]
    await bot.answer_callback_query(updates[-1].callback_query.id, text="Đã nộp", show_alert=True)
    await bot.edit_message_text("Đã nộp phiếu", chat_id=OFFICER, message_id=card.message_id)
    after = await http.get("/control/chat", params={"user_id": OFFICER, "since": changes["seq"]})
    body = after.json()
    assert [m["text"] for m in body["messages"]] == ["Đã nộp phiếu"]
    assert body["answers"][0]["text"] == "Đã nộp" and body["answers"][0]["show_alert"] is True

    blocked = await http.post("/control/block", json={"user_id": OFFICER, "blocked": True})
    assert blocked.json() == {"user_id": OFFICER, "blocked": True}
    full = (await http.get("/control/chat", params={"user_id": OFFICER})).json()
    assert full["blocked"] is True and len(full["messages"]) == 2

    calls = (await http.get("/control/calls", params={"method": "editMessageText"})).json()
    assert calls[0]["params"]["text"] == "Đã nộp phiếu"


async def test_control_uploads_make_documents_albums_and_photos(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    files = [
        ("file", ("Báo cáo.pdf", b"%PDF-1 one", "application/pdf")),
        ("file", ("Phụ lục.pdf", b"%PDF-1 two", "application/pdf")),
    ]
    album = await http.post("/control/send_files", data={"user_id": str(OFFICER)}, files=files)
    assert album.status_code == 200, album.text
    groups = {m["media_group_id"] for m in album.json()}
    assert len(album.json()) == 2 and len(groups) == 1

    single = await http.post(
        "/control/send_document",
        data={"user_id": str(OFFICER), "caption": "Quyết định"},
        files={"file": ("QĐ.docx", b"PK docx", "application/vnd.test")},
    )
    doc = single.json()["document"]
    assert doc["mime_type"] == "application/vnd.test" and "media_group_id" not in single.json()
    download = await http.get(f"/control/file/{doc['file_id']}")
    assert download.content == b"PK docx"
    assert download.headers["content-disposition"].startswith("attachment")

    photo = await http.post(
        "/control/send_files",
        data={"user_id": str(OFFICER), "as_photos": "true"},
        files={"file": ("a.jpg", b"\xff\xd8\xff not really", "image/jpeg")},
    )
    assert "photo" in photo.json()[0]
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 4


async def test_control_waits_and_injects(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    sent = await sandbox.send_text(OFFICER, "/start")
    waiting = asyncio.create_task(
        http.get(
            "/control/wait_for_bot_message",
            params={"user_id": OFFICER, "after": sent["seq"], "timeout": 5},
        )
    )
    await bot.send_message(OFFICER, "Chào")
    assert (await asyncio.wait_for(waiting, 3)).json()["text"] == "Chào"
    late = await http.get(
        "/control/wait_for_bot_message",
        params={"user_id": OFFICER, "after": sandbox.seq, "timeout": 0},
    )
    assert late.status_code == 408

    queued = await http.post(
        "/control/failures",
        json={"method": "sendMessage", "failures": [[429, "Too Many Requests: retry after 2", 2]]},
    )
    assert queued.json()["queued"] == 1
    assert sandbox.state.next_failure("sendmessage") == (429, "Too Many Requests: retry after 2", 2)

    assert (await http.post("/control/reset")).status_code == 200
    assert sandbox.chat(OFFICER) == [] and sandbox.calls() == []
    bad = await http.post("/control/send_text", json={"user_id": "x", "text": "hi"})
    assert bad.status_code == 400
