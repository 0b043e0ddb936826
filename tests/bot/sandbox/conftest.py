"""A real sandbox over real HTTP: uvicorn on a free port, aiogram's own Bot talking to it.

One server runs for the whole session and forwards to the current test's fresh ``Sandbox``, so
each test starts from an empty world without paying for a server start. Paths under ``/hook``
go to a tiny webhook receiver instead, standing in for the bot's own web server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox import Sandbox
from tests.bot.harness import on_free_port

TOKEN = "123456:SANDBOX-TEST"


@dataclass
class Receiver:
    """A webhook endpoint: records what Telegram (the sandbox) posts, answers as told."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers for the next requests, then 200
    reply: dict[str, Any] | None = None  # a Bot API call to put in the next 200 answer
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        self.requests.append(
            {
                "path": request.url.path,
                "secret": request.headers.get("x-telegram-bot-api-secret-token"),
                "update": await request.json(),
            }
        )
        self.arrived.set()
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200 and self.reply is not None:
            response: Response = JSONResponse(self.reply)
            self.reply = None
        else:
            response = Response(status_code=status)
        await response(scope, receive, send)

    async def wait(self, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.requests


class Switch:
    """The one ASGI app uvicorn serves: /hook/* to the receiver, the rest to the sandbox."""

    def __init__(self) -> None:
        self.sandbox: Sandbox | None = None
        self.receiver = Receiver()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/hook"):
            await self.receiver(scope, receive, send)
            return
        assert self.sandbox is not None
        await self.sandbox.app(scope, receive, send)


@dataclass
class Served:
    switch: Switch
    base_url: str


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[Served]:
    switch = Switch()
    async with on_free_port(switch) as base_url:
        yield Served(switch, base_url)


@pytest.fixture
async def sandbox(served: Served) -> AsyncIterator[Sandbox]:
    sb = Sandbox(token=TOKEN, webhook_retry_delays=(0.05, 0.05))
    served.switch.sandbox = sb
    served.switch.receiver = Receiver()
    yield sb
    await sb.aclose()


@pytest.fixture
def receiver(served: Served, sandbox: Sandbox) -> Receiver:
    return served.switch.receiver


def make_bot(base_url: str, token: str = TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


@pytest.fixture(scope="session")
async def bot(served: Served) -> AsyncIterator[Bot]:
    """The bot, as the project's bot builds it: aiogram, HTML by default, pointed at us."""
    instance = make_bot(served.base_url)
    yield instance
    await instance.session.close()


@pytest.fixture
def base_url(served: Served) -> str:
    return served.base_url
