"""Who is writing: the officer bound to this Telegram account, their language and actor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from core.audit import Actor
from core.i18n import normalize_locale
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
            officer = await Officer.get_or_none(telegram_user_id=user.id, active=True)
        if officer is not None:
            changes: dict[str, Any] = {}
            if officer.bot_blocked_at is not None:
                changes["bot_blocked_at"] = None
            if chat is not None and chat.type == "private" and officer.telegram_chat_id != chat.id:
                changes["telegram_chat_id"] = chat.id
            if changes:
                await Officer.filter(id=officer.id).update(**changes)
                for key, value in changes.items():
                    setattr(officer, key, value)
            data["locale"] = normalize_locale(officer.locale)
            data["actor"] = Actor("officer", officer.id, officer.full_name, Channel.bot)
        else:
            # Not bound yet: Vietnamese, the service's language, whatever the phone's language.
            data["locale"] = normalize_locale(None)
            data["actor"] = None
        data["officer"] = officer
        return await handler(event, data)
