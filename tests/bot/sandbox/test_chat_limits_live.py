"""Issue 14 items 1 and 2 over real HTTP: the project's bot, aiogram's own HTTP client and the
sandbox Bot API, which parses HTML and refuses a message over 4,096 units as Telegram does.

The officer types a 4,000-digit percentage and a note of 2,000 characters (emoji count two
units each); every answer must arrive, none may be "Hệ thống gặp sự cố", and the item with the
long note must still open, with the full note one tap away.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot

from bot import keyboards
from bot.deps import BotDeps
from bot.dispatcher import build_dispatcher
from bot.sandbox import Sandbox
from bot.sandbox.htmltext import TEXT_LIMIT, utf16_len
from core.files import FileStore
from forms.notes import NOTE_MAX_CHARS
from tests.bot.harness import invite_code
from tests.forms.conftest import NOW

OFFICER = 7_501
SYSTEM_FAILURE = "Hệ thống gặp sự cố"


class Conversation:
    """The officer types or presses in the sandbox; the bot polls and handles each update."""

    def __init__(self, sandbox: Sandbox, bot: Bot, dp: Any) -> None:
        self.sandbox, self.bot, self.dp = sandbox, bot, dp
        self.offset = 0

    async def _handle(self) -> None:
        updates = await self.bot.get_updates(offset=self.offset, timeout=0)
        for update in updates:
            self.offset = update.update_id + 1
            await self.dp.feed_update(self.bot, update)

    async def say(self, text: str) -> dict[str, Any]:
        await self.sandbox.send_text(OFFICER, text)
        await self._handle()
        return self.last()

    async def press(self, data: str, message_id: int) -> dict[str, Any]:
        await self.sandbox.press(OFFICER, message_id, data, strict=False)
        await self._handle()
        return self.last()

    def messages(self) -> list[dict[str, Any]]:
        chat = self.sandbox.state.chat(OFFICER)
        assert chat is not None
        return [m.view() for m in chat.messages.values() if m.by_bot and not m.deleted]

    def last(self) -> dict[str, Any]:
        return max(self.messages(), key=lambda m: m["seq"])


@pytest.fixture
async def talk(
    sandbox: Sandbox, bot: Bot, sheet: dict, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> Conversation:
    deps = BotDeps(files=FileStore(data_dir), max_bytes=64 * 1024, clock=lambda: NOW)
    caplog.set_level(logging.INFO, logger="cchc.bot")
    talk = Conversation(sandbox, bot, build_dispatcher(deps))
    await talk.say(f"/start {await invite_code(sheet['lan'], sheet['lan'].id)}")
    return talk


async def test_long_inputs_get_answers_that_telegram_accepts(
    talk: Conversation, sheet: dict, caplog: pytest.LogCaptureFixture
) -> None:
    sheet_id = sheet["assessment"].id
    card = talk.last()
    card = await talk.press(
        keyboards.NavCb(a=sheet_id, i="1.1.3", d="go").pack(), card["message_id"]
    )
    assert "1.1.3. Mức độ thực hiện kế hoạch" in card["text"]
    refused = await talk.say("9" * 4000)
    assert refused["text"].startswith("⚠️") and "quá lớn" in refused["text"]
    assert "E+" not in refused["text"] and "9" * 41 not in refused["text"]

    card = await talk.say("/tieptuc")
    await talk.press(
        keyboards.ItemCb(a=sheet_id, i=card_code(card), d="note").pack(), card["message_id"]
    )
    note = "🙂" * 100 + "ả" * (NOTE_MAX_CHARS - 100)
    card = await talk.say(note)
    assert "Đã lưu ghi chú" in card["text"]
    card = await talk.say("/tieptuc")
    assert "(ghi chú đã được rút gọn" in card["text"]
    full = await talk.press(
        keyboards.ItemCb(a=sheet_id, i=card_code(card), d="fullnote").pack(), card["message_id"]
    )
    assert note in full["text"]
    for message in talk.messages():
        assert utf16_len(message["text"]) <= TEXT_LIMIT
        assert SYSTEM_FAILURE not in message["text"]
    failures = [r for r in caplog.records if r.name == "cchc.bot" and r.levelno >= logging.ERROR]
    assert not failures, failures[0].getMessage()


def card_code(card: dict[str, Any]) -> str:
    """The item code of a card, from its bold title line ("1.1.1. Title")."""
    for entity in card.get("entities") or []:
        if entity["type"] == "bold":
            start = entity["offset"]
            title = card["text"].encode("utf-16-le")[2 * start : 2 * (start + entity["length"])]
            return title.decode("utf-16-le").split(". ", 1)[0]
    raise AssertionError("no item title on this card")
