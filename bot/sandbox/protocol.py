"""What every Bot API method handler shares: the error answer, the call being served, and the
registry of handlers by method name."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from aiogram import methods
from aiogram.methods.base import TelegramMethod

from bot.sandbox.files import Upload

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox


class ApiError(Exception):
    """A Bot API error answer: HTTP status == error_code, Telegram's description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Call:
    """One API call being served: its uploaded files, and whether its client is still there."""

    uploads: dict[str, Upload] = field(default_factory=dict)
    gone: asyncio.Event | None = None  # set when the HTTP client went away (long polling)


Handler = Callable[["Sandbox", Any, Call], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def handles(*models: type[TelegramMethod[Any]]) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for model in models:
            HANDLERS[model.__api_method__.lower()] = func
        return func

    return register


@cache
def method_models() -> dict[str, type[TelegramMethod[Any]]]:
    """Every Bot API method aiogram knows, by lower-case name (method names are case-blind)."""
    found: dict[str, type[TelegramMethod[Any]]] = {}
    for name in dir(methods):
        obj = getattr(methods, name)
        if isinstance(obj, type) and issubclass(obj, TelegramMethod) and obj is not TelegramMethod:
            api_name = obj.__dict__.get("__api_method__")
            if isinstance(api_name, str):
                found[api_name.lower()] = obj
    return found
