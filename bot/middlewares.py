"""Who is writing: the officer bound to this Telegram account, their language and actor; and
how many updates the bot handled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update, User

from bot.queries import chat_officer
from core.audit import Actor
from core.i18n import normalize_locale
from core.metrics import UPDATES_HANDLED
from core.models import Channel, Officer


class OfficerMiddleware(BaseMiddleware):
    """Puts ``officer`` (or None), ``locale`` and ``actor`` into the handler data.

    An officer who had blocked the bot and writes again is reachable again; a changed chat id
    is remembered so that notices reach the right chat.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        officer = None
        if user is not None:
            officer = await chat_officer(user.id)
        if officer is not None:
            changes: dict[str, Any] = {}
            if officer.bot_blocked_at is not None:
                changes["bot_blocked_at"] = None
            if chat is not None and chat.type == "private" and officer.telegram_chat_id != chat.id:
                changes["telegram_chat_id"] = chat.id
            if changes:
                await Officer.filter(id=officer.id).update(**changes)
                officer = replace(officer, **changes)
            data["locale"] = normalize_locale(officer.locale)
            data["actor"] = Actor(
                "officer",
                officer.id,
                officer.full_name,
                Channel.bot,
                unit_id=officer.unit_id,
            )
        else:
            # Not bound yet: Vietnamese, the service's language, whatever the phone's language.
            data["locale"] = normalize_locale(None)
            data["actor"] = None
        data["officer"] = officer
        return await handler(event, data)


class UpdateMetricsMiddleware(BaseMiddleware):
    """Counts every update by type and outcome: ``handled``, ``unhandled`` (no handler
    matched) or ``error`` (a handler raised; the error handler then tells the person).

    An outer middleware of ``dp.update``, registered after aiogram's own, so it sits inside the
    errors middleware and sees a handler's exception before it is turned into a reply.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            kind = event.event_type if isinstance(event, Update) else type(event).__name__
        except Exception:  # an update type aiogram does not know
            kind = "unknown"
        try:
            result = await handler(event, data)
        except Exception:
            self._counter(kind, "error").inc()
            raise
        self._counter(kind, "unhandled" if result is UNHANDLED else "handled").inc()
        return result

    def _counter(self, kind: str, outcome: str) -> Any:
        """The counter of one label pair, looked up once (``labels()`` takes a lock)."""
        counters: dict[tuple[str, str], Any] = self.__dict__.setdefault("_counters", {})
        counter = counters.get((kind, outcome))
        if counter is None:
            counter = counters[kind, outcome] = UPDATES_HANDLED.labels(
                update_type=kind, outcome=outcome
            )
        return counter
