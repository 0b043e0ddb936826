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
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from tortoise.backends.base.client import ConnectionWrapper, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

T = TypeVar("T")
Rows = tuple[list[str], list[tuple[Any, ...]]]
_FIRST_RETRY = 0.002  # seconds; doubled up to _LONGEST_RETRY while the lock is held elsewhere
_LONGEST_RETRY = 0.05
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


class _Inline:
    """Inline execution, shared by the client and its transactions."""

    _connection: aiosqlite.Connection | None
    _lock: asyncio.Lock
    busy_timeout: float

    def acquire_connection(self) -> ConnectionWrapper[aiosqlite.Connection]:
        """For the ORM's statements, on the worker thread."""
        return _Restoring(self._lock, self)  # type: ignore[arg-type]

    async def _inline(self, work: Callable[[sqlite3.Connection], T]) -> T:
        async with ConnectionWrapper(self._lock, self) as connection:  # type: ignore[arg-type]
            return await _run(connection, work, self.busy_timeout)

    async def fetch_inline(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Column names and rows (plain tuples) of one short statement."""

        def work(raw: sqlite3.Connection) -> Rows:
            cursor = raw.cursor()
            cursor.row_factory = None
            try:
                cursor.execute(sql, params)
                found = cursor.fetchall()
                names = [d[0] for d in cursor.description] if cursor.description else []
                return names, found
            finally:
                cursor.close()

        return await self._inline(work)

    async def execute_inline(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one short INSERT, UPDATE or DELETE; return how many rows it changed."""

        def work(raw: sqlite3.Connection) -> int:
            cursor = raw.execute(sql, params)
            try:
                return cursor.rowcount
            finally:
                cursor.close()

        return await self._inline(work)


async def _run(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T], timeout: float
) -> T:
    """``work`` on the loop's thread, with another process's lock waited for on the loop."""
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
            return work(raw)
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

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(InlineTransactionWrapper(self), self._lock)


class InlineTransactionWrapper(_Inline, SqliteTransactionWrapper):
    """A transaction whose ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` run inline."""

    def __init__(self, connection: SqliteClient) -> None:
        super().__init__(connection)
        self.busy_timeout = getattr(connection, "busy_timeout", InlineSqliteClient.busy_timeout)

    def _in_transaction(self) -> TransactionContext:
        from tortoise.backends.base.client import NestedTransactionContext

        return NestedTransactionContext(InlineTransactionWrapper(self))

    async def _own(self, work: Callable[[sqlite3.Connection], object]) -> None:
        # the transaction's context already holds the client's lock: no second acquire
        assert self._connection is not None
        await _run(self._connection, work, self.busy_timeout)

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
