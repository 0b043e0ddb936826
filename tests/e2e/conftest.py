"""End to end: the real aiogram bot, built by the app's runtime, talks to the sandbox Bot API
over real HTTP (uvicorn on a free port), against the test database.

One server runs for the session and forwards to the current test's app (the runtime's routes:
the sandbox mounted at /sandbox, or the webhook route). Waits return as soon as the bot acts
(the sandbox's own waits); nothing sleeps blindly.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from app.bot_runtime import BotRuntime
from core.audit import Actor
from core.invites import create_invite
from core.models import Channel
from core.settings import load_settings
from tests.forms.conftest import NOW, sheet  # noqa: F401  (fixture used by the tests)


class Switch:
    """The ASGI app uvicorn serves: whatever the current test installed."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "no app installed for this test"
        await self.app(scope, receive, send)


@dataclass
class Served:
    switch: Switch
    base_url: str


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[Served]:
    switch = Switch()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        switch, lifespan="off", log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:  # uvicorn has no startup event; a flag to poll
            await asyncio.sleep(0.01)
    yield Served(switch, f"http://127.0.0.1:{port}")
    server.should_exit = True
    await task
    sock.close()


@dataclass
class Person:
    """Someone in the sandbox's Telegram, chatting with the bot."""

    world: World
    user_id: int
    name: str

    @property
    def sb(self) -> Any:
        return self.world.sandbox

    async def wait(
        self, after: int, contains: str | Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> dict[str, Any]:
        predicate = contains if callable(contains) else (lambda m: contains in m.get("text", ""))
        return await self.sb.wait_for_bot_message(
            self.user_id, after=after, predicate=predicate, timeout=timeout
        )

    async def say(self, text: str, expect: str) -> dict[str, Any]:
        sent = await self.sb.send_text(self.user_id, text, first_name=self.name)
        return await self.wait(sent["seq"], expect)

    def current(self, message: dict[str, Any]) -> dict[str, Any]:
        """The message as the chat shows it now (it may have been edited since)."""
        for m in self.sb.chat(self.user_id):
            if m["message_id"] == message["message_id"]:
                return m
        raise AssertionError(f"message {message['message_id']} is gone")

    @staticmethod
    def button(message: dict[str, Any], label: str) -> str:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        found = [b["callback_data"] for row in rows for b in row if label in b["text"]]
        labels = [b["text"] for row in rows for b in row]
        assert found, f"no button “{label}” on the message; it has {labels}"
        return found[0]

    async def press(self, message: dict[str, Any], label: str, expect: str) -> dict[str, Any]:
        message = self.current(message)
        before = self.sb.seq
        await self.sb.press(self.user_id, message["message_id"], self.button(message, label))
        return await self.wait(before, expect)

    def said(self, part: str) -> list[str]:
        return [
            m.get("text", "")
            for m in self.sb.bot_messages(self.user_id)
            if part in m.get("text", "")
        ]


@dataclass
class World:
    runtime: BotRuntime
    sandbox: Any
    served: Served
    clock: list[datetime]
    people: dict[int, Person] = field(default_factory=dict)

    def person(self, user_id: int, name: str) -> Person:
        return self.people.setdefault(user_id, Person(self, user_id, name))

    async def restart_bot(self) -> None:
        """Stop the bot (new Dispatcher and Bot next time) and start it again, same database.

        The runtime lets updates being handled finish first, as a graceful shutdown should; a
        kill in the middle is tests/faults' business.
        """
        await self.runtime.stop_bot()
        await self.runtime.start()
        await self.runtime.wait_ready()


async def invite(officer_id: int) -> str:
    issued = await create_invite(Actor.system(Channel.cli, "test"), officer_id, now=NOW)
    return issued.pretty


@pytest.fixture
async def world(
    db: str,
    served: Served,
    tmp_path: Path,
    sheet: dict,  # noqa: F811
) -> AsyncIterator[World]:
    settings = load_settings(
        bot_mode="sandbox",
        public_url=served.base_url,
        database_url=db,
        data_dir=tmp_path / "data",
        max_upload_mb=1,
        demo=False,
    )
    clock = [NOW + timedelta(hours=1)]
    runtime = BotRuntime(settings, clock=lambda: clock[0], album_delay=0.3, polling_timeout=1)
    app = FastAPI()
    runtime.install_routes(app)
    served.switch.app = app
    await runtime.start()
    await runtime.wait_ready(timeout=15)
    try:
        yield World(runtime, runtime.sandbox, served, clock)
    finally:
        await runtime.stop()
