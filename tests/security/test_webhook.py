"""Forged webhook calls: whoever finds the webhook's address cannot speak for Telegram. A call
without the secret header, with a wrong one, or with one that is almost right (a character
off, another case, extra spaces, the secret twice) is refused with 401 before its body is read,
and the update it carries (an officer's answer) is not processed. The real secret gets the same
update through, which shows the forged calls would have changed something."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.api.uploads import BodyLimit
from app.bot_runtime import BotRuntime
from core.models import Officer
from core.settings import load_settings
from forms.models import Answer
from tests.api.world import NOW, World
from tests.bot.harness import FakeTelegram
from tests.security.conftest import nothing_changes

SECRET = "s3cret-Token_123"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def hook(
    db: str, world: World, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeTelegram]]:
    settings = load_settings(
        bot_mode="webhook",
        telegram_token="42:TEST",
        webhook_secret=SECRET,
        database_url=db,
        data_dir=tmp_path,
        public_url="https://cchc.example.vn",
    )
    runtime = BotRuntime(settings, clock=lambda: NOW)
    app = FastAPI()
    app.add_middleware(BodyLimit, max_upload_mb=settings.max_upload_mb)  # as create_app does
    runtime.install_routes(app)
    await runtime.start()
    tg = FakeTelegram()
    runtime.bot.session = tg  # before the set-up task runs: no real network
    await runtime.wait_ready(timeout=5)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            yield client, tg
    finally:
        await runtime.stop()


def _press(update_id: int, data: str) -> dict:
    """Lan (Telegram user 900, bound) presses an answer button."""
    user = {"id": 900, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": user,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": 900, "type": "private"},
                "from": {"id": 42, "is_bot": True, "first_name": "CCHC"},
                "text": "1.1.2",
            },
        },
    }


async def test_forged_webhook_calls_are_refused_and_not_processed(
    hook: tuple[httpx.AsyncClient, FakeTelegram], world: World, tmp_path: Path
) -> None:
    client, tg = hook
    await Officer.filter(id=world.officers["lan"].id).update(
        telegram_user_id=900, telegram_chat_id=900
    )
    sheet = world.sheets["SNV"].id
    forged = [
        {},
        {HEADER: ""},
        {HEADER: "wrong"},
        {HEADER: SECRET[:-1]},
        {HEADER: SECRET + "4"},
        {HEADER: SECRET.lower()},
        {HEADER: f" {SECRET} "},
        {HEADER: f"{SECRET},{SECRET}"},
        {"X-Telegram-Bot-Api-Secret": SECRET},  # the right value under another name
        {"Authorization": f"Bearer {SECRET}"},
    ]
    async with nothing_changes(tmp_path):
        for i, headers in enumerate(forged, start=1):
            r = await client.post(
                "/telegram/webhook", json=_press(i, f"an:{sheet}:1.1.2:0:y"), headers=headers
            )
            assert r.status_code == 401, headers
            assert r.json() == {"ok": False, "error": "unauthorized"}
        # not even read: a body that is not JSON gets the same answer
        r = await client.post("/telegram/webhook", content=b"\x00garbage", headers=forged[2])
        assert r.status_code == 401
    assert not tg.said(900) and not tg.alerts

    r = await client.post(
        "/telegram/webhook", json=_press(99, f"an:{sheet}:1.1.2:0:y"), headers={HEADER: SECRET}
    )
    assert r.status_code == 200 and r.json() == {"ok": True}
    answer = await Answer.get(assessment_id=sheet, node__code="1.1.2")
    assert answer.declared == {"yes": True} and answer.version == 1


async def test_an_oversized_webhook_body_is_cut_off_while_it_streams(
    hook: tuple[httpx.AsyncClient, FakeTelegram], world: World, tmp_path: Path
) -> None:
    """Even with the right secret, a body past 1 MB is refused (413) as soon as it passes the
    limit: the rest is never read, and nothing is processed."""
    from app.api.uploads import SMALL_BODY as WEBHOOK_MAX_BYTES

    client, tg = hook
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        nonlocal consumed
        yield b'{"update_id": 1, "message": {"text": "'
        for _ in range(10_000):
            consumed += 64 * 1024
            yield b"x" * (64 * 1024)

    async with nothing_changes(tmp_path):
        r = await client.post("/telegram/webhook", content=endless(), headers={HEADER: SECRET})
        assert r.status_code == 413 and r.json() == {"ok": False, "error": "too large"}
        # announced too large: refused before reading a byte
        r = await client.post(
            "/telegram/webhook",
            content=b"{}",
            headers={HEADER: SECRET, "Content-Length": str(WEBHOOK_MAX_BYTES + 1)},
        )
        assert r.status_code == 413
    assert consumed < 2 * WEBHOOK_MAX_BYTES
    assert not tg.said(900)
