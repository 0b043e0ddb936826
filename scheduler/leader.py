"""Which instance runs the scheduler when several serve the same database.

On PostgreSQL the leader is whoever holds a session-level advisory lock
(``pg_try_advisory_lock``) on a connection of its own, outside Tortoise's pool (a pooled
connection would hand the lock to whichever request borrows it next). The lock lives as long as
that connection: if the leader dies or its connection drops, the server releases the lock and
another instance takes it at its next tick. Each tick the leader checks its connection is
alive before working.

On SQLite there is one instance by construction (one file, one process), so it always leads.

Leadership only keeps the instances from doing the same work twice; correctness does not
depend on it: claims in the ledger are compare-and-set (and ``SKIP LOCKED`` on PostgreSQL), so
even two instances that both believe they lead never send the same reminder.
"""

from __future__ import annotations

import logging
import zlib
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("cchc.scheduler")

# a fixed 63-bit key for this application's scheduler lock
LOCK_KEY = zlib.crc32(b"cchc.scheduler.leader") << 16 | 0x5C


class Leadership(Protocol):
    async def is_leader(self) -> bool: ...

    async def release(self) -> None: ...


class AlwaysLeader:
    """A single instance (SQLite, tests)."""

    async def is_leader(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def asyncpg_dsn(database_url: str) -> str:
    """Tortoise's URL (``postgres://``, ``asyncpg://``, maybe with pool options) as a plain
    libpq DSN asyncpg accepts."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(scheme="postgresql", query=""))


class AdvisoryLockLeader:
    """Leadership by ``pg_try_advisory_lock`` on a dedicated asyncpg connection."""

    def __init__(self, database_url: str, *, key: int = LOCK_KEY) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.key = key
        self._conn: Any = None
        self._held = False

    async def is_leader(self) -> bool:
        import asyncpg

        if self._held:
            try:
                await self._conn.fetchval("SELECT 1", timeout=10)
                return True
            except Exception as exc:  # any failure of that connection means the lock is gone
                log.warning("scheduler leadership lost: %s", exc)
                await self._drop()
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self.dsn, timeout=10)
            self._held = bool(
                await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key)
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            log.warning("scheduler leadership: cannot reach the database: %s", exc)
            await self._drop()
            return False
        if self._held:
            log.info("this instance now leads the scheduler")
        return self._held

    async def release(self) -> None:
        """Give the lock back (on shutdown) so another instance takes over at once."""
        if self._conn is not None and self._held and not self._conn.is_closed():
            try:
                await self._conn.fetchval("SELECT pg_advisory_unlock($1)", self.key)
            except Exception as exc:  # closing releases it anyway
                log.warning("scheduler leadership: unlock failed: %s", exc)
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=5)
            except Exception:
                conn.terminate()


def leadership_for(database_url: str) -> Leadership:
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return AdvisoryLockLeader(database_url)
    return AlwaysLeader()
