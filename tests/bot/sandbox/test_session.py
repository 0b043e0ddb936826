"""The in-process session gives the same answers as HTTP, for the demo's own bot."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
from aiogram.types import BufferedInputFile

from bot.sandbox import Sandbox
from bot.sandbox.session import SandboxSession


async def test_in_process_bot_talks_to_the_sandbox_without_http() -> None:
    sandbox = Sandbox("777:LOCAL")
    bot = Bot("777:LOCAL", session=SandboxSession(sandbox))
    assert (await bot.get_me()).id == 777

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await sandbox.wait_until(lambda: bool(sandbox.calls("getUpdates")))
    await sandbox.send_document(8, "Minh chứng.pdf", b"%PDF in process", "application/pdf")
    [update] = await asyncio.wait_for(poll, 2)
    file = await bot.get_file(update.message.document.file_id)
    assert (await bot.download_file(file.file_path)).getvalue() == b"%PDF in process"

    sent = await bot.send_document(8, BufferedInputFile(b"xlsx", "Kết quả.xlsx"), caption="Đây")
    assert sent.document.file_name == "Kết quả.xlsx" and sent.caption == "Đây"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(9, "ai đó")
    with pytest.raises(TelegramUnauthorizedError):
        await Bot("1:OTHER", session=SandboxSession(sandbox)).get_me()
    await sandbox.aclose()
