"""Tortoise configuration and migrations for every floor's tables.

All tables live in one Tortoise app, ``cchc``, so foreign keys across floors are plain; the
module list names them as strings, which keeps imports pointing down. Schema changes go through
Tortoise's own migrations in ``app/migrations`` (never ``generate_schemas``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import Tortoise, connections

MODEL_MODULES = [
    "core.models",
    "forms.models",
    "scoring.models",
    "scheduler.models",
    "bot.models",
]
APP_LABEL = "cchc"
# SQLite runs in WAL mode (Tortoise's default). NORMAL syncs the log at checkpoints instead of
# at every commit: a committed answer survives a crash or kill of the service, and the file is
# never corrupted, but the last commits before a power cut or OS crash may roll back. One disk
# flush per answer was the largest single cost of the bot on SQLite. ``?synchronous=FULL`` in
# CCHC_DATABASE_URL restores a flush per commit (docs/configuration.md).
SQLITE_SYNCHRONOUS = "NORMAL"


def tortoise_config(database_url: str) -> dict[str, Any]:
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite://") and "synchronous=" not in url:
        url += ("&" if "?" in url else "?") + f"synchronous={SQLITE_SYNCHRONOUS}"
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

    async with TortoiseContext():
        await migrate(config=tortoise_config(database_url), progress=progress)
    return applied


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[None]:
    """Open the ORM for a command or a test session and close it afterwards.

    The global fallback makes the context visible to every task of the loop (pytest fixtures
    and tests run in different tasks); the web app uses ``RegisterTortoise`` instead.
    """
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def ping() -> None:
    """Raise if the database does not answer a trivial query."""
    await connections.get("default").execute_query("SELECT 1")
