"""The one place where routers, middlewares, storage and dependencies come together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import ErrorEvent, TelegramObject

from bot.conversation import ConversationMiddleware
from bot.deps import BotDeps
from bot.middlewares import OfficerMiddleware, UpdateMetricsMiddleware
from bot.routers import (
    evidence,
    explain,
    extension,
    fallback,
    scorecard,
    start,
    status,
    submit,
    walk,
)
from bot.storage import TortoiseStorage
from bot.texts import ERROR, t

log = logging.getLogger("cchc.bot")


class InFlight(BaseMiddleware):
    """Counts the updates being handled, so that a stop can wait for them to finish
    (:meth:`drained`) before the session and the storage close under them."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.count += 1
        self.idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if not self.count:
                self.idle.set()

    async def drained(self, timeout: float) -> bool:
        """Wait until no update is being handled (at most ``timeout`` seconds)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), timeout)
        return self.idle.is_set()


def build_dispatcher(deps: BotDeps, storage: BaseStorage | None = None) -> Dispatcher:
    """The dispatcher with fresh routers (a router belongs to one dispatcher; a restart or a
    test builds another). Its ``in_flight`` (:class:`InFlight`) tells when updates are done."""
    storage = storage or TortoiseStorage()
    # one update at a time per chat, so a quick second message sees the state the first left
    isolation = (
        storage.create_isolation() if isinstance(storage, RedisStorage) else SimpleEventIsolation()
    )
    in_flight = InFlight()
    dp = Dispatcher(storage=storage, events_isolation=isolation, deps=deps, in_flight=in_flight)
    dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(UpdateMetricsMiddleware())
    officers, conversations = OfficerMiddleware(), ConversationMiddleware()
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(officers)
        observer.outer_middleware(conversations)
    # order matters: the walk's answers first (the usual update; see walk.answers), binding,
    # then what unbound people are told, then the features, the rest of the walk (which reads
    # other typed text) near the end, the fallback last
    dp.include_routers(
        walk.answers(),
        start.router(),
        start.unbound(),
        status.router(),
        submit.router(),
        explain.router(),
        scorecard.router(),
        extension.router(),
        evidence.router(),
        walk.router(),
        fallback.router(),
    )
    dp.errors.register(_on_error)
    return dp


async def _on_error(event: ErrorEvent, **data: Any) -> bool:
    """Log the failure and tell the person, in one sentence, never with a stack trace."""
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    locale = data.get("locale") or "vi"
    bot = data.get("bot")
    update = event.update
    chat_id = None
    if update.message is not None:
        chat_id = update.message.chat.id
    elif update.callback_query is not None and update.callback_query.message is not None:
        chat_id = update.callback_query.message.chat.id
    if bot is not None and chat_id is not None:
        try:
            await bot.send_message(chat_id, t(locale, ERROR))
        except Exception:  # the error path must not raise again
            log.warning("could not report the error to chat %s", chat_id)
    return True
