"""SQLite for Tortoise, with short statements run on the event loop's own thread.

Why: aiosqlite runs every statement on a worker thread and hands the result back through the
event loop. For the indexed one-row statements on an officer's hot path (``core.sql``) that
hand-off costs about fifteen times the statement itself (about 55 µs of CPU against 4 µs), and
an answer in the bot makes about a dozen of them (``bench/bot_throughput.py``).

So two kinds of statement run inline, on the loop's thread, under the same connection lock the
ORM uses: the hand-written ones of ``core.sql`` (short by construction: primary keys and
indexed columns) and a transaction's ``BEGIN``/``COMMIT``/``ROLLBACK``. Everything the ORM
builds keeps the worker thread, so a large query (an export, the province's results) never
stalls the loop.

A lock held by another process (``cchc backup``, a second tool on the same file) must not
stall the loop either: while inline statements run, SQLite's busy timeout is zero and "database
is locked" is retried on the loop (sleeping between attempts) until the connection's own busy
timeout has passed; then it is raised as the worker thread would have raised it. Before a
statement goes to the worker thread again the busy timeout is restored, so there SQLite waits
for the lock itself, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from tortoise.backends.base.client import (
    ConnectionWrapper,
    NestedTransactionContext,
    TransactionContext,
)
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

log = logging.getLogger("cchc.db")
T = TypeVar("T")
Rows = tuple[list[str], list[tuple[Any, ...]]]
_FIRST_RETRY = 0.002  # seconds; doubled up to _LONGEST_RETRY while the lock is held elsewhere
_LONGEST_RETRY = 0.05
CHECKPOINT_INTERVAL = 1.0  # seconds between looks at the log's size
CHECKPOINT_BYTES = 4 * 1024 * 1024  # SQLite's own trigger: 1,000 pages of 4 KiB
_NO_WAIT = "_cchc_busy_timeout_zero"  # set on the connection while its busy timeout is 0


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


class _Restoring(ConnectionWrapper[aiosqlite.Connection]):
    """The lock for a statement on the worker thread: SQLite waits for another process's
    lock itself there (its busy timeout, restored here if inline statements had set it to
    zero)."""

    async def __aenter__(self) -> aiosqlite.Connection:
        connection = await super().__aenter__()
        if getattr(connection, _NO_WAIT, False):
            timeout = int(self.client.busy_timeout * 1000)  # type: ignore[attr-defined]
            connection._conn.execute(f"PRAGMA busy_timeout = {timeout}").close()
            setattr(connection, _NO_WAIT, False)
        return connection


def _fetch(raw: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Rows:
    cursor = raw.cursor()
    cursor.row_factory = None  # plain tuples, not the ORM's sqlite3.Row
    try:
        cursor.execute(sql, params)
        found = cursor.fetchall()
        description = cursor.description
        return ([d[0] for d in description] if description else []), found
    finally:
        cursor.close()


def _change(raw: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cursor = raw.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


class _Inline:
    """Inline execution, shared by the client and its transactions."""

    _connection: aiosqlite.Connection | None
    _lock: asyncio.Lock
    busy_timeout: float

    def acquire_connection(self) -> ConnectionWrapper[aiosqlite.Connection]:
        """For the ORM's statements, on the worker thread."""
        return _Restoring(self._lock, self)  # type: ignore[arg-type]

    async def _inline(self, work: Callable[..., T], *args: Any) -> T:
        lock = self._lock
        await lock.acquire()  # no suspension when free: the usual case
        try:
            connection = self._connection
            if connection is None:  # the client before its first statement
                await self.create_connection(with_db=True)  # type: ignore[attr-defined]
                connection = self._connection
                assert connection is not None
            return await _run(connection, self.busy_timeout, work, *args)
        finally:
            lock.release()

    async def fetch_inline(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Column names and rows (plain tuples) of one short statement."""
        return await self._inline(_fetch, sql, params)

    async def execute_inline(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one short INSERT, UPDATE or DELETE; return how many rows it changed."""
        return await self._inline(_change, sql, params)


async def _run(
    connection: aiosqlite.Connection, timeout: float, work: Callable[..., T], *args: Any
) -> T:
    """``work(raw connection, *args)`` on the loop's thread, with another process's lock
    waited for on the loop."""
    raw = connection._conn
    if not getattr(connection, _NO_WAIT, False):
        # left at zero until a statement goes to the worker thread again (_Restoring): the
        # bot's hot path runs only inline statements, so it never pays for switching
        raw.execute("PRAGMA busy_timeout = 0").close()
        setattr(connection, _NO_WAIT, True)
    deadline: float | None = None
    delay = _FIRST_RETRY
    while True:
        try:
            return work(raw, *args)
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise OperationalError(exc) from exc
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + timeout
            if now >= deadline:
                raise OperationalError(exc) from exc
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, _LONGEST_RETRY)


async def _checkpoints(path: str) -> None:
    """Copy the write-ahead log into the database file from a thread of its own.

    Why: SQLite checkpoints inside the COMMIT that fills the log past 1,000 pages, and a
    checkpoint syncs the disk: with statements on the loop's thread that held up every update
    in flight for milliseconds, about once per hundred answers. Here a separate connection
    runs a PASSIVE checkpoint (it never waits for, nor blocks, readers and writers) on a worker
    thread whenever the log has grown past the same size.
    """
    wal = f"{path}-wal"
    while True:
        await asyncio.sleep(CHECKPOINT_INTERVAL)
        try:
            if os.stat(wal).st_size < CHECKPOINT_BYTES:
                continue
            await asyncio.to_thread(_checkpoint, path)
        except (OSError, sqlite3.Error) as exc:  # tried again at the next interval
            log.warning("SQLite checkpoint failed: %s", exc)


def _checkpoint(path: str) -> None:
    connection = sqlite3.connect(path, timeout=1.0)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
    finally:
        connection.close()


class InlineSqliteClient(_Inline, SqliteClient):
    """Tortoise's SQLite client; the connection may be used from the loop's thread too."""

    busy_timeout = 5.0  # seconds: sqlite3's default, which the worker thread also uses

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        # as SqliteClient.create_connection, plus check_same_thread=False: the worker thread
        # and the loop's thread use the connection in turn, never at once (the client's lock)
        self._connection = await aiosqlite.connect(
            self.filename, isolation_level=None, check_same_thread=False
        )
        self._connection._conn.row_factory = sqlite3.Row
        for pragma, val in self.pragmas.items():
            cursor = await self._connection.execute(f"PRAGMA {pragma}={val}")
            await cursor.close()
        await self._post_connect()
        mode = (await self._connection.execute_fetchall("PRAGMA journal_mode"))[0][0]
        if str(mode).lower() == "wal" and self.filename != ":memory:":
            # checkpoints off the loop's thread (see _checkpoints)
            await self._connection.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = asyncio.create_task(
                _checkpoints(self.filename), name="sqlite-checkpoints"
            )

    async def close(self) -> None:
        task, self._checkpointer = getattr(self, "_checkpointer", None), None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().close()  # the last connection to close checkpoints what is left

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(InlineTransactionWrapper(self), self._lock)


class InlineTransactionWrapper(_Inline, SqliteTransactionWrapper):
    """A transaction whose ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` run inline."""

    def __init__(self, connection: SqliteClient) -> None:
        super().__init__(connection)
        self.busy_timeout = getattr(connection, "busy_timeout", InlineSqliteClient.busy_timeout)

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(InlineTransactionWrapper(self))

    async def _own(self, work: Callable[[sqlite3.Connection], object]) -> None:
        # the transaction's context already holds the client's lock: no second acquire
        assert self._connection is not None
        await _run(self._connection, self.busy_timeout, work)

    async def begin(self) -> None:
        try:
            # as Tortoise does: end whatever was left open, then start this transaction
            await self._own(lambda raw: (raw.commit(), raw.execute("BEGIN").close()))
        except OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    async def rollback(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        await self._own(sqlite3.Connection.rollback)
        self._finalized = True

    async def commit(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        await self._own(sqlite3.Connection.commit)
        self._finalized = True


client_class = InlineSqliteClient
