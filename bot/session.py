"""The bot's HTTP client: retries where Telegram asks for it, and notices blocked chats.

* 429 Too Many Requests: wait ``retry_after`` seconds (as Telegram says), then retry; every
  other call to the same chat waits out the same hold.
* Transient failures (network errors, 5xx): retry with exponential backoff.
* 403 Forbidden (the officer blocked the bot): record it on the officer through
  ``on_blocked`` and give up on that call (retrying cannot help).

``getUpdates`` is left alone: polling has its own backoff. A retried ``sendMessage`` whose first
attempt reached Telegram but whose answer was lost can show twice; a duplicate message is the
lesser evil next to a lost one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiohttp import ClientError

log = logging.getLogger("cchc.bot")

Sleep = Callable[[float], Awaitable[Any]]
OnBlocked = Callable[[int], Awaitable[Any]]

_retrying: ContextVar[bool] = ContextVar("cchc_bot_retrying", default=True)


@contextmanager
def no_retry() -> Iterator[None]:
    """Calls made inside fail at once (429, network) for a caller with its own retry policy,
    such as the scheduler's delivery ledger. A 403 is still recorded."""
    token = _retrying.set(False)
    try:
        yield
    finally:
        _retrying.reset(token)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        *,
        attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        max_retry_after: float = 120.0,
        on_blocked: OnBlocked | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.on_blocked = on_blocked
        self.sleep = sleep
        # chat id -> loop time until which Telegram asked this bot to hold its calls to it
        self._held_until: dict[object, float] = {}

    async def _respect_hold(self, chat: object) -> None:
        """Wait out a flood-control hold that another call to this chat received, so that
        during ``retry_after`` nothing at all goes to that chat, not just the refused call."""
        until = self._held_until.get(chat)
        if until is None:
            return
        wait = until - asyncio.get_running_loop().time()
        if wait > 0:
            await self.sleep(wait)
        elif self._held_until.get(chat) == until:
            del self._held_until[chat]

    def _hold(self, chat: object, seconds: float) -> float:
        until = max(asyncio.get_running_loop().time() + seconds, self._held_until.get(chat, 0.0))
        self._held_until[chat] = until
        return until

    def _served(self, chat: object, until: float) -> None:
        """The call that received the hold waited it out: nobody needs to wait for it now."""
        if self._held_until.get(chat) == until:
            del self._held_until[chat]

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        attempt = transient = 0
        attempts = self.attempts if _retrying.get() else 1
        chat = getattr(method, "chat_id", None)
        waited = False
        while True:
            attempt += 1
            if chat is not None and not waited:
                await self._respect_hold(chat)
            waited = False
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                until = self._hold(chat, exc.retry_after) if chat is not None else 0.0
                if attempt >= attempts or exc.retry_after > self.max_retry_after:
                    raise
                log.warning(
                    "%s: flood control, retrying in %s s", type(method).__name__, exc.retry_after
                )
                await self.sleep(exc.retry_after)
                if chat is not None:
                    self._served(chat, until)
                waited = True
            except (TelegramNetworkError, TelegramServerError) as exc:
                if attempt >= attempts:
                    raise
                transient += 1
                delay = min(self.max_delay, self.base_delay * 2 ** (transient - 1))
                delay *= 1 + random.random() * 0.2  # spread retries of many chats apart
                log.warning(
                    "%s failed (%s), retry %d in %.1f s",
                    type(method).__name__,
                    exc,
                    transient,
                    delay,
                )
                await self.sleep(delay)
            except TelegramForbiddenError:
                chat_id = getattr(method, "chat_id", None)
                if self.on_blocked is not None and isinstance(chat_id, int):
                    try:
                        await self.on_blocked(chat_id)
                    except Exception:  # recording must never hide the original error
                        log.exception("could not record blocked chat %s", chat_id)
                raise


class _NotPlain(Exception):
    """A value JSON cannot carry as it is (a file, a date): aiogram's form is needed."""


def _not_plain(value: object) -> object:
    raise _NotPlain


def json_body(bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
    """The call as a JSON body, or None when it holds a file, a date or anything else that
    aiogram's own form preparation must handle. Like aiogram's form: the bot's defaults
    (parse mode...) resolved, empty and false values left out."""
    fields: dict[str, Any] = {}
    for key, value in method.model_dump(warnings=False, exclude_none=True).items():
        if isinstance(value, Default):
            value = bot.default[value.name]
        if value:
            fields[key] = value
    try:
        return json.dumps(fields, default=_not_plain).encode()
    except (_NotPlain, TypeError):
        return None


@cache
def response_model(method_type: type[TelegramMethod[Any]]) -> Any:
    """``Response[<return type>]``, the pydantic generic model aiogram parses every answer
    with, kept alive here: pydantic caches generic models only weakly, and a collected one
    is rebuilt (5-10 ms of CPU each time, measured: about one answer in six under load).
    Holding it makes every later lookup a cache hit."""
    return Response[method_type.__returning__]  # type: ignore[name-defined]


@cache
def api_method(method_type: type[TelegramMethod[Any]]) -> str:
    """The Bot API name of a method: aiogram names its classes after them (SendMessage)."""
    name = method_type.__name__
    return name[0].lower() + name[1:]


class JsonBodySession(AiohttpSession):
    """Calls without files go out as a JSON body (the Bot API accepts one) instead of an
    urlencoded form; uploads keep aiogram's multipart form.

    Why: aiohttp percent-encodes a form in pure Python, byte by byte. An item card is a
    couple of kilobytes of Vietnamese text plus its keyboard, so encoding it cost about as
    much as everything else the bot does for an answer. ``json.dumps`` runs in C.
    """

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        response_model(type(method))
        body = json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=api_method(type(method)))
        try:
            async with session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=self.timeout if timeout is None else timeout,
            ) as resp:
                raw = await resp.text()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(
                method=method, message=f"{type(exc).__name__}: {exc}"
            ) from exc
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw)
        return cast(TelegramType, response.result)


def make_session(
    api_url: str, *, on_blocked: OnBlocked | None = None, timeout: float = 60.0
) -> AiohttpSession:
    """An aiohttp session for the given Bot API base URL, with the retry middleware."""
    api = TelegramAPIServer.from_base(api_url.rstrip("/"), is_local=False)
    session = JsonBodySession(api=api, timeout=timeout)
    session.middleware(RetryMiddleware(on_blocked=on_blocked))
    return session
