"""Conversation state that survives restarts: aiogram FSM storage in the database.

One :class:`bot.models.BotState` row per chat and user holds the state name and its data, so
a restarted process (or another instance behind the webhook) continues the conversation where
it was. With ``CCHC_REDIS_URL`` set, aiogram's own Redis storage is used instead.
"""

from __future__ import annotations

import asyncio
import logging
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
from tortoise.transactions import in_transaction

from bot.models import BotState
from bot.queries import conversation_row

log = logging.getLogger("cchc.bot")


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class TortoiseStorage(BaseStorage):
    """aiogram FSM storage over the ``bot_state`` table (SQLite or PostgreSQL).

    Default: every read and write goes to the database, so several instances behind a webhook
    (PostgreSQL) share conversations.

    ``cache=True`` is for a single process (SQLite): reads come from memory after the first,
    and writes are committed by group commit: a write returns once it is in the database, but
    the writes of every conversation that arrive while a commit is running are stored together
    in the next one, so a busy bot pays one disk sync for many conversations instead of one per
    update. A write is durable before the card it belongs to is shown: after a crash (even a
    SIGKILL) the officer's next typed value still answers the item on the screen.
    """

    def __init__(self, key_builder: KeyBuilder | None = None, *, cache: bool = False) -> None:
        # The key leaves the bot id out: a new token for the same bot keeps conversations.
        self.key_builder = key_builder or DefaultKeyBuilder(prefix="fsm")
        # With the cache: each chat's row as last written (or about to be), kept so that a
        # write is the model's own UPDATE of two columns, prepared once by the ORM.
        self.cache: dict[str, BotState] | None = {} if cache else None
        self._dirty: set[str] = set()
        # Without the cache: the row read with the state, for the same task's data read next.
        self._read: dict[str, tuple[asyncio.Task[Any] | None, dict[str, Any]]] = {}
        self._commit_lock = asyncio.Lock()
        self.commits = 0  # transactions that stored cached writes (tests see the grouping)

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def _row(self, name: str) -> tuple[str | None, dict[str, Any]]:
        if self.cache is None:
            return await conversation_row(name)
        row = await self._kept(name)
        return row.state, row.data

    async def _kept(self, name: str) -> BotState:
        """The chat's row, read once per process (a new, unsaved one for a new chat)."""
        cache = self.cache
        assert cache is not None
        row = cache.get(name)
        if row is None:
            found = await BotState.get_or_none(key=name)
            row = cache.setdefault(name, found or BotState(key=name, state=None, data={}))
        return row

    async def _write(self, name: str, **values: Any) -> None:
        if await BotState.filter(key=name).update(**values):
            return
        try:
            await BotState.create(key=name, **values)
        except IntegrityError:  # created by a concurrent update of the same chat
            await BotState.filter(key=name).update(**values)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        name = self._key(key)
        self._read.pop(name, None)
        if self.cache is None:
            await self._write(name, **values)
            return
        row = await self._kept(name)
        if "state" in values:
            row.state = values["state"]
        if "data" in values:
            row.data = dict(values["data"])
        self._dirty.add(name)
        async with self._commit_lock:
            # writers queue here; whoever gets the lock first stores everyone's pending writes
            if name in self._dirty:
                await self._commit_pending()

    async def _commit_pending(self) -> None:
        """Store every pending conversation in one transaction (the caller holds the lock)."""
        assert self.cache is not None or not self._dirty
        names, self._dirty = sorted(self._dirty), set()
        try:
            if len(names) == 1:
                # one statement is atomic by itself: no BEGIN/COMMIT round trips (the usual
                # case when chats do not write at the very same moment)
                await self._store(self.cache[names[0]])  # type: ignore[index]
            else:
                async with in_transaction():
                    for name in names:
                        await self._store(self.cache[name])  # type: ignore[index]
        except BaseException as exc:
            self._dirty.update(names)  # kept for the next write or close()
            if isinstance(exc, Exception):
                log.exception("could not store %d conversation states", len(names))
            raise
        self.commits += 1

    async def _store(self, row: BotState) -> None:
        try:
            if row.pk is None:
                await row.save()  # a new chat's first write
            else:
                await row.save(update_fields=("state", "data", "updated_at"), force_update=True)
        except IntegrityError:
            # created or deleted meanwhile by something else (a shell, a restore): by its key
            await self._write(row.key, state=row.state, data=row.data)
            row.pk = (await BotState.get(key=row.key)).pk

    async def flush(self) -> None:
        """Store whatever is still pending (left by a failed commit)."""
        async with self._commit_lock:
            if self._dirty:
                await self._commit_pending()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._upsert(key, state=_state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        name = self._key(key)
        state, data = await self._row(name)
        if self.cache is None:
            # aiogram reads the state as every update starts, and the handler then reads the
            # data: one statement serves both, in the task that read it and only once
            self._read[name] = (asyncio.current_task(), data)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        name = self._key(key)
        read = self._read.pop(name, None)
        if read is not None and read[0] is asyncio.current_task():
            return dict(read[1])
        return dict((await self._row(name))[1])

    async def save(self, key: StorageKey, state: StateType, data: Mapping[str, Any]) -> None:
        """State and data in one write."""
        await self._upsert(key, state=_state_name(state), data=dict(data))

    async def close(self) -> None:
        """Store what is pending (the app's ORM connection itself is closed by the app)."""
        await self.flush()


def make_storage(
    redis_url: str | None, *, single_process: bool = False, redis_prefix: str = "cchc"
) -> BaseStorage:
    """Redis when configured, else the database (cached in memory for a single process).

    Redis keys start with ``{redis_prefix}-fsm`` so deployments sharing a server stay apart."""
    if redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        key_builder = DefaultKeyBuilder(prefix=f"{redis_prefix}-fsm")
        return RedisStorage.from_url(redis_url, key_builder=key_builder)
    return TortoiseStorage(cache=single_process)
