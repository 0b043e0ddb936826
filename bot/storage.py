"""Conversation state that survives restarts: aiogram FSM storage in the database.

One :class:`bot.models.BotState` row per chat and user holds the state name and its data, so
a restarted process (or another instance behind the webhook) continues the conversation where
it was. With ``CCHC_REDIS_URL`` set, aiogram's own Redis storage is used instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from tortoise.exceptions import IntegrityError

from bot.models import BotState


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class TortoiseStorage(BaseStorage):
    """aiogram FSM storage over the ``bot_state`` table (SQLite or PostgreSQL)."""

    def __init__(self, key_builder: KeyBuilder | None = None) -> None:
        # The key leaves the bot id out: a new token for the same bot keeps conversations.
        self.key_builder = key_builder or DefaultKeyBuilder(prefix="fsm")

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        name = self._key(key)
        if await BotState.filter(key=name).update(**values):
            return
        try:
            await BotState.create(key=name, **values)
        except IntegrityError:  # created by a concurrent update of the same chat
            await BotState.filter(key=name).update(**values)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._upsert(key, state=_state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        row = await BotState.filter(key=self._key(key)).values_list("state", flat=True)
        return row[0] if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await BotState.filter(key=self._key(key)).values_list("data", flat=True)
        return dict(row[0]) if row and row[0] else {}

    async def close(self) -> None:
        """Nothing to close: the ORM connection belongs to the application."""


def make_storage(redis_url: str | None) -> BaseStorage:
    if redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(redis_url, key_builder=DefaultKeyBuilder(prefix="cchc-fsm"))
    return TortoiseStorage()
