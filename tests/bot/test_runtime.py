"""Running modes and plumbing: the webhook route, the sandbox's demo people, the FSM storage,
retries on 429 and network errors, a blocked bot recorded on the officer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import GetUpdates, SendMessage
from fastapi import FastAPI

from app.bot_runtime import BotRuntime, demo_personas
from bot.commands import bot_commands
from bot.deps import BotDeps
from bot.session import RetryMiddleware, no_retry
from bot.storage import TortoiseStorage
from core.invites import bind, normalize_code
from core.models import Officer
from core.settings import load_settings
from forms.models import CriteriaSet
from tests.bot.harness import BOT_USER, FakeTelegram
from tests.forms.conftest import NOW


async def test_webhook_is_registered_with_the_secret_and_handles_updates(
    db: str, sheet: dict, tmp_path: Path
) -> None:
    settings = load_settings(
        bot_mode="webhook",
        telegram_token="42:TEST",
        webhook_secret="s3cret-token",
        database_url=db,
        data_dir=tmp_path,
        public_url="https://cchc.example.vn",
    )
    runtime = BotRuntime(settings, clock=lambda: NOW)
    app = FastAPI()
    runtime.install_routes(app)
    await runtime.start()
    tg = FakeTelegram()
    runtime.bot.session = tg  # before the set-up task runs: no real network in this test
    await runtime.wait_ready(timeout=5)
    try:
        hook = next(c for c in tg.calls if type(c).__name__ == "SetWebhook")
        assert hook.url == "https://cchc.example.vn/telegram/webhook"  # type: ignore[attr-defined]
        assert hook.secret_token == "s3cret-token"  # type: ignore[attr-defined]
        assert set(hook.allowed_updates) == {"message", "callback_query", "my_chat_member"}  # type: ignore[attr-defined]
        commands = [c for c in tg.calls if type(c).__name__ == "SetMyCommands"]
        assert {c.language_code for c in commands} == {None, "vi", "en"}  # type: ignore[attr-defined]
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "xin chào",
                "chat": {"id": 900, "type": "private"},
                "from": {"id": 900, "is_bot": False, "first_name": "A"},
            },
        }
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            # (forged calls without the secret: tests/security/test_webhook.py)
            ok = await client.post(
                "/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
            )
            assert ok.status_code == 200
        assert "chưa được liên kết" in tg.last(900).text
    finally:
        await runtime.stop()


async def test_sandbox_offers_demo_officers_with_fresh_invites(db: str, sheet: dict) -> None:
    settings = load_settings(database_url=db, demo=True)
    assert await demo_personas(settings) == []  # real (non-sample) data is never offered
    await CriteriaSet.all().update(is_sample=True)
    personas = await demo_personas(settings)
    names = [p["name"] for p in personas]
    assert names == [
        "Nguyễn Thị Lan (cán bộ đầu mối, Sở Nội vụ)",
        "Phạm Quang Minh (lãnh đạo, Sở Nội vụ)",
        "Lê Văn Khác (cán bộ đầu mối, Sở Tư pháp)",
    ]
    lan = personas[0]
    assert lan["hint"].startswith("/start ")
    await bind(
        normalize_code(lan["hint"].removeprefix("/start ")),
        telegram_user_id=lan["user_id"],
        chat_id=lan["user_id"],
        username=None,
        now=NOW,
    )
    again = await demo_personas(settings)
    assert again[0]["hint"] == "/tieptuc"
    assert not await demo_personas(load_settings(database_url=db, demo=False))


async def test_conversation_state_lives_in_the_database(db: str) -> None:
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    first = TortoiseStorage()
    await first.set_state(key, "Walk:item")
    await first.set_data(key, {"a": 1, "item": "1.1.3", "ver": 2})
    second = TortoiseStorage()  # a restarted process
    assert await second.get_state(key) == "Walk:item"
    assert await second.get_data(key) == {"a": 1, "item": "1.1.3", "ver": 2}
    other_bot = StorageKey(bot_id=2, chat_id=5, user_id=5)  # a new token, same conversation
    assert await second.get_state(other_bot) == "Walk:item"
    assert await second.get_state(StorageKey(bot_id=1, chat_id=6, user_id=6)) is None
    await asyncio.gather(*(second.update_data(key, {"n": n}) for n in range(5)))
    assert (await second.get_data(key))["item"] == "1.1.3"


async def test_instances_sharing_conversations_see_each_others_writes(db: str) -> None:
    """Two instances behind one webhook: the data read along with the state serves only the
    update (task) that read it; any later read, in another update, sees the other instance's
    write."""
    key = StorageKey(bot_id=1, chat_id=7, user_id=7)
    one, two = TortoiseStorage(), TortoiseStorage()
    await one.save(key, "Walk:item", {"item": "1.1.1", "ver": 1})

    async def one_update() -> tuple[str | None, dict]:
        return await one.get_state(key), await one.get_data(key)

    assert await asyncio.create_task(one_update()) == ("Walk:item", {"item": "1.1.1", "ver": 1})
    assert await one.get_state(key) == "Walk:item"  # read here, this task's data unread
    await two.save(key, "Walk:note", {"item": "1.1.2", "ver": 3})
    assert await asyncio.create_task(one_update()) == ("Walk:note", {"item": "1.1.2", "ver": 3})
    assert await asyncio.create_task(one.get_data(key)) == {"item": "1.1.2", "ver": 3}


class Flaky:
    """make_request that fails as told, then succeeds."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self, bot: Any, method: Any) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def _send() -> SendMessage:
    return SendMessage(chat_id=77, text="x")


async def test_retries_after_429_and_transient_errors() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    method = _send()
    retry = RetryMiddleware(sleep=sleep, base_delay=0.5)
    flaky = Flaky(
        [
            TelegramRetryAfter(method, "Too Many Requests: retry after 3", retry_after=3),
            TelegramNetworkError(method, "connection reset"),
            TelegramServerError(method, "Bad Gateway"),
        ]
    )
    assert await retry(flaky, None, method) == "ok"  # type: ignore[arg-type]
    assert flaky.calls == 4
    assert slept[0] == 3  # exactly what Telegram asked
    assert 0.5 <= slept[1] <= 0.6 and 1.0 <= slept[2] <= 1.2  # exponential backoff
    # polling has its own backoff; and a caller with its own ledger gets the error at once
    polling = Flaky([TelegramNetworkError(method, "down")])
    with pytest.raises(TelegramNetworkError):
        await retry(polling, None, GetUpdates())  # type: ignore[arg-type]
    with no_retry(), pytest.raises(TelegramRetryAfter):
        await retry(Flaky([TelegramRetryAfter(method, "x", retry_after=1)]), None, method)  # type: ignore[arg-type]
    giving_up = Flaky([TelegramNetworkError(method, "down")] * 9)
    with pytest.raises(TelegramNetworkError):
        await retry(giving_up, None, method)  # type: ignore[arg-type]
    assert giving_up.calls == 5


async def test_a_blocked_bot_is_recorded_on_the_officer(db: str, sheet: dict) -> None:
    from bot.notifier import mark_blocked

    await Officer.filter(id=sheet["lan"].id).update(telegram_chat_id=77, telegram_user_id=77)
    retry = RetryMiddleware(on_blocked=lambda chat_id: mark_blocked(chat_id, NOW))
    method = _send()
    with pytest.raises(TelegramForbiddenError):
        await retry(Flaky([TelegramForbiddenError(method, "blocked")]), None, method)  # type: ignore[arg-type]
    assert (await Officer.get(id=sheet["lan"].id)).bot_blocked_at == NOW


def test_commands_in_both_languages() -> None:
    vi = {c.command: c.description for c in bot_commands("vi")}
    en = {c.command: c.description for c in bot_commands("en")}
    assert vi["guiphieu"] == "Gửi phiếu tự đánh giá" and en["submit"] == "Submit the score sheet"
    assert len(vi) == len(en) and BOT_USER.username


async def test_single_process_storage_commits_before_returning_and_groups_writers(
    db: str,
) -> None:
    from bot.models import BotState

    key = StorageKey(bot_id=1, chat_id=8, user_id=8)
    cached = TortoiseStorage(cache=True)
    await cached.save(key, "Walk:item", {"item": "1.1.1", "ver": 4})
    # in the database as soon as the write returns: a SIGKILL now loses nothing
    assert (await BotState.get()).data == {"item": "1.1.1", "ver": 4}
    restarted = TortoiseStorage(cache=True)
    assert await restarted.get_state(key) == "Walk:item"
    assert await restarted.get_data(key) == {"item": "1.1.1", "ver": 4}

    # forty conversations writing at once share a few transactions, and all are stored
    keys = [StorageKey(bot_id=1, chat_id=100 + n, user_id=100 + n) for n in range(40)]
    before = cached.commits
    await asyncio.gather(*(cached.save(k, "Walk:item", {"n": k.chat_id}) for k in keys))
    assert 1 <= cached.commits - before < 40
    assert await BotState.all().count() == 41
    await cached.close()


async def test_single_process_storage_survives_its_rows_changed_behind_it(db: str) -> None:
    """Someone clears the table (a restore, a shell) or writes a chat's row first: the next
    write of the conversation is stored all the same, and nothing else is lost."""
    from bot.models import BotState

    key, other = StorageKey(bot_id=1, chat_id=9, user_id=9), StorageKey(1, 10, 10)
    cached = TortoiseStorage(cache=True)
    await cached.save(key, "Walk:item", {"item": "1.1.1", "ver": 1})
    await BotState.all().delete()
    await cached.save(key, "Walk:item", {"item": "1.1.2", "ver": 2})
    assert (await BotState.get(key="fsm:9:9")).data == {"item": "1.1.2", "ver": 2}
    await cached.get_state(other)  # a new chat, known to this process as having no row yet
    await BotState.create(key="fsm:10:10", state=None, data={"x": 1})
    await cached.save(other, "Walk:note", {"item": "2.1.1"})
    await cached.save(key, "Walk:item", {"item": "1.1.3", "ver": 3})
    stored = {r.key: (r.state, r.data) for r in await BotState.all()}
    assert stored == {
        "fsm:9:9": ("Walk:item", {"item": "1.1.3", "ver": 3}),
        "fsm:10:10": ("Walk:note", {"item": "2.1.1"}),
    }


def test_redis_storage_when_configured() -> None:
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.dispatcher import build_dispatcher
    from bot.storage import make_storage
    from core.files import FileStore

    storage = make_storage("redis://127.0.0.1:6399/0")  # nothing connects until first use
    assert isinstance(storage, RedisStorage)
    dp = build_dispatcher(BotDeps(files=FileStore(Path("/tmp"))), storage)
    assert type(dp.fsm.events_isolation).__name__ == "RedisEventIsolation"
    assert isinstance(make_storage(None, single_process=True), TortoiseStorage)


async def test_a_flood_hold_on_a_chat_holds_every_call_to_that_chat() -> None:
    """Telegram's 429 asks the bot to leave that chat alone for ``retry_after`` seconds: a
    second call to the same chat made meanwhile waits too; other chats are not held."""
    sent: dict[int, list[float]] = {}
    loop = asyncio.get_running_loop()
    refused = asyncio.Event()

    async def telegram(_bot: object, method: SendMessage) -> str:
        if method.chat_id == 1 and not refused.is_set():
            refused.set()
            raise TelegramRetryAfter(method, "Too Many Requests: retry after 1", retry_after=1)
        sent.setdefault(int(method.chat_id), []).append(loop.time())
        return "ok"

    retry = RetryMiddleware()
    start = loop.time()
    first = asyncio.create_task(retry(telegram, None, SendMessage(chat_id=1, text="a")))  # type: ignore[arg-type]
    await refused.wait()  # the first call has been refused and holds chat 1
    second = retry(telegram, None, SendMessage(chat_id=1, text="b"))  # type: ignore[arg-type]
    other = retry(telegram, None, SendMessage(chat_id=2, text="c"))  # type: ignore[arg-type]
    await asyncio.gather(first, second, other)
    assert sent[2][0] - start < 0.5  # another chat goes on at once
    assert len(sent[1]) == 2 and min(sent[1]) - start >= 0.95  # nothing to chat 1 meanwhile


async def test_a_stop_waits_for_the_updates_in_hand() -> None:
    """The runtime's drain: an update being handled holds the stop until it is done."""
    from bot.dispatcher import InFlight

    in_flight = InFlight()
    started, release = asyncio.Event(), asyncio.Event()

    async def handler(event: object, data: dict[str, Any]) -> str:
        started.set()
        await release.wait()
        return "done"

    task = asyncio.create_task(in_flight(handler, None, {}))  # type: ignore[arg-type]
    await started.wait()
    assert not await in_flight.drained(0.01)
    release.set()
    assert await in_flight.drained(5)
    assert await task == "done"
