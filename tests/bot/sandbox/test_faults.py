"""Fault injection over HTTP, for tests that run the sandbox in another process."""

from __future__ import annotations

import time

import httpx
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError

from bot.sandbox import Sandbox

OFFICER = 6_101


async def test_delays_hold_calls_and_lost_ones_have_no_effect(
    sandbox: Sandbox, bot: Bot, base_url: str
) -> None:
    await sandbox.send_text(OFFICER, "/start")  # the bot may write now
    async with httpx.AsyncClient(base_url=base_url) as http:
        queued = await http.post(
            "/control/delays", json={"method": "sendMessage", "delays": [0.5], "served": False}
        )
        assert queued.json() == {"method": "sendMessage", "queued": 1}
        bad = await http.post("/control/delays", json={"method": "sendMessage", "delays": "x"})
        assert bad.status_code == 400

        began = time.monotonic()
        with pytest.raises(TelegramServerError, match="Gateway Timeout"):
            await bot.send_message(OFFICER, "mất trên đường")
        assert time.monotonic() - began >= 0.5
        assert sandbox.bot_messages(OFFICER) == []  # lost on the way: nothing in the chat

        # held longer than the bot waits, then performed all the same
        sandbox.inject_delays("sendMessage", [1.0], served=True)
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(OFFICER, "đến muộn", request_timeout=0.3)
        await sandbox.wait_for_call("sendMessage", count=2, timeout=3)
        assert [m["text"] for m in sandbox.bot_messages(OFFICER)] == ["đến muộn"]
        assert [c.get("delayed") for c in sandbox.calls("sendMessage")] == [0.5, 1.0]

        # a new poller shows in /control/info
        polls = (await http.get("/control/info")).json()["polls"]
        await bot.get_updates(timeout=0)
        assert (await http.get("/control/info")).json()["polls"] == polls + 1
