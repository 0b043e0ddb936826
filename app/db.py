"""Tortoise configuration and migrations for every floor's tables.

All tables live in one Tortoise app, ``cchc``, so foreign keys across floors are plain; the
module list names them as strings, which keeps imports pointing down. Schema changes go through
Tortoise's own migrations in ``app/migrations`` (never ``generate_schemas``).
"""

from __future__ import annotations

import asyncio
import fcntl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tortoise import Tortoise, connections

MODEL_MODULES = [
    "core.models",
    "forms.models",
    "scoring.models",
    "scheduler.models",
    "bot.models",
]
APP_LABEL = "cchc"
MIGRATION_LOCK_KEY = zlib.crc32(b"cchc.migrations")
# SQLite runs in WAL mode (Tortoise's default). NORMAL syncs the log at checkpoints instead of
# at every commit: a committed answer survives a crash or kill of the service, and the file is
# never corrupted, but the last commits before a power cut or OS crash may roll back. One disk
# flush per answer was the largest single cost of the bot on SQLite. ``?synchronous=FULL`` in
# CCHC_DATABASE_URL restores a flush per commit (docs/configuration.md).
SQLITE_SYNCHRONOUS = "NORMAL"
# Another process holding the SQLite file's write lock (``cchc backup``, an administrator's
# shell) is waited for up to this long, in milliseconds, by SQLite itself on aiosqlite's worker
# thread (the event loop runs on meanwhile); only then does the statement fail.
SQLITE_BUSY_TIMEOUT_MS = 5000


def tortoise_config(database_url: str) -> dict[str, Any]:
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite://"):
        # Tortoise's SQLite client sends every other URL parameter as a PRAGMA
        for pragma, value in (
            ("synchronous", SQLITE_SYNCHRONOUS),
            ("busy_timeout", SQLITE_BUSY_TIMEOUT_MS),
        ):
            if f"{pragma}=" not in url:
                url += ("&" if "?" in url else "?") + f"{pragma}={value}"
    return {
        "connections": {"default": url},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "app.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def upgrade(database_url: str) -> list[str]:
    """Apply pending migrations; returns the names applied (empty when up to date)."""
    from tortoise.context import TortoiseContext
    from tortoise.migrations.api import migrate

    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")

    async with _one_migrator(database_url), TortoiseContext():
        await migrate(config=tortoise_config(database_url), progress=progress)
    return applied


@asynccontextmanager
async def _one_migrator(database_url: str) -> AsyncIterator[None]:
    """One ``cchc db upgrade`` at a time per database (two hosts, or a unit started twice):
    the second waits for the first, then finds nothing left to apply. Without it both see a
    migration as pending and the slower fails half-way ("table already exists").

    PostgreSQL: a session advisory lock on a connection of its own (released when it closes,
    also if the process dies). SQLite: an exclusive ``flock`` on a file beside the database.
    """
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://").split("?")[0]
        if not path or path == ":memory:":
            yield
            return
        lock_path = Path(path + ".migrate-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as handle:
            await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    import asyncpg

    parts = urlsplit(database_url)
    dsn = urlunsplit(parts._replace(scheme="postgresql", query=""))
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield
    finally:
        await conn.close()  # ends the session, and with it the lock


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[None]:
    """Open the ORM for a command or a test session and close it afterwards.

    The ORM's context is the caller's: tasks started inside it (and, with pytest-asyncio,
    the tests using a fixture that opened it) see it; the web app uses ``RegisterTortoise``.
    """
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def ping() -> None:
    """Raise if the database does not answer a trivial query."""
    await connections.get("default").execute_query("SELECT 1")
