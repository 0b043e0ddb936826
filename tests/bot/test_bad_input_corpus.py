"""The bad-input corpus (tests/bad_input.py) typed into the officer's chat.

Every bad number is typed at a percent item, a count item and a points item, and every bad
text is sent as a note. Each must get a refusal in the chat that fits Telegram's limits (the
fake Telegram of conftest refuses what Telegram refuses), quotes at most a few dozen characters
of what was typed, never "Hệ thống gặp sự cố", and leaves every answer row as it was.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from bot import keyboards
from bot.sandbox.htmltext import TEXT_LIMIT, parse_html, utf16_len
from core.echo import ECHO_CHARS
from forms.models import Answer
from forms.notes import NOTE_MAX_CHARS
from tests.bad_input import BAD_NUMBERS, BAD_TEXTS
from tests.bot.harness import Chat, Harness, Said, bound_chat

SYSTEM_FAILURE = "Hệ thống gặp sự cố"

# Telegram never delivers an empty message, so "" cannot be typed in a chat.
TYPED_NUMBERS = [value for value in BAD_NUMBERS if value]

# The items of the test set (tests/factories.py) that read a typed number.
NUMBER_ITEMS = {"1.1.3": "percent_tiers", "1.2.1": "count", "1.1.5": "points"}


async def _rows() -> list[dict[str, Any]]:
    return await Answer.all().order_by("id").values("id", "declared", "note", "version")


def _assert_refusal_fits(said: Said, typed: str) -> None:
    """Within Telegram's limit, no system failure, and what was typed quoted back cut."""
    plain, _ = parse_html(said.text)
    assert utf16_len(plain) <= TEXT_LIMIT
    assert SYSTEM_FAILURE not in said.text
    if len(typed) > ECHO_CHARS:
        assert typed[: ECHO_CHARS + 1] not in plain


async def _open(chat: Chat, sheet_id: int, code: str) -> Said:
    card = await chat.say("/tieptuc")
    return await chat.press(keyboards.NavCb(a=sheet_id, i=code, d="go").pack(), on=card)


@pytest.mark.parametrize("code", list(NUMBER_ITEMS))
async def test_every_bad_number_is_refused_in_chat(
    harness: Harness, sheet: dict, code: str
) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    card = await _open(chat, sheet["assessment"].id, code)
    assert f"{code}." in card.text
    before = await _rows()
    for typed in TYPED_NUMBERS:
        said = await chat.say(typed)
        assert said.text.startswith("⚠️"), f"{NUMBER_ITEMS[code]} {typed[:20]!r}: {said.text}"
        _assert_refusal_fits(said, typed)
        assert await _rows() == before, f"{typed[:20]!r} changed an answer"


async def test_long_typed_answers_are_echoed_cut_not_whole(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    await _open(chat, sheet["assessment"].id, "1.1.3")
    said = await chat.say("9" * 4000)
    assert "quá lớn" in said.text
    assert "E+" not in said.text
    assert "…" in said.text and "9" * (ECHO_CHARS + 1) not in said.text
    said = await chat.say("a" * 4096)
    assert "không phải là một tỷ lệ phần trăm" in said.text
    assert "a" * (ECHO_CHARS + 1) not in said.text


def _refused_note(text: str) -> bool:
    stored = unicodedata.normalize("NFC", text).strip()
    return (
        len(stored) > NOTE_MAX_CHARS
        or any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in stored)
        or any(c in stored for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    )


async def test_every_bad_text_as_a_note(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    sheet_id = sheet["assessment"].id
    card = await _open(chat, sheet_id, "1.1.2")
    for text in BAD_TEXTS:
        prompt = await chat.press(card.button("Ghi chú"), on=card)
        assert "Gõ ghi chú hoặc giải trình cho tiêu chí 1.1.2" in prompt.text
        before = await _rows()
        said = await chat.say(text)
        if _refused_note(text):
            _assert_refusal_fits(said, text)
            assert "⚠️" in said.text and "Ghi chú" in said.text, said.text[:200]
            assert await _rows() == before, f"{text[:20]!r} changed an answer"
        else:
            assert SYSTEM_FAILURE not in said.text
            assert "Đã lưu ghi chú" in said.text
            stored = await Answer.get(assessment_id=sheet_id, node__code="1.1.2")
            assert stored.note == unicodedata.normalize("NFC", text).strip()
        card = said


async def test_the_note_limit_is_refused_not_cut(harness: Harness, sheet: dict) -> None:
    chat = await bound_chat(harness, sheet["lan"], 501)
    card = await _open(chat, sheet["assessment"].id, "1.1.2")
    await chat.press(card.button("Ghi chú"), on=card)
    said = await chat.say("ả" * (NOTE_MAX_CHARS + 1))
    assert "Ghi chú quá dài: 2.001 ký tự, chỉ được tối đa 2.000 ký tự." in said.text
    assert not await Answer.filter(note__not="").exists()
