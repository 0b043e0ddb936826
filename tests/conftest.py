"""Test database: a real SQLite file, or a scratch PostgreSQL database when
``CCHC_TEST_DATABASE_URL`` names a server. Migrations are applied exactly as in production."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise import Tortoise, connections

from app.db import database, upgrade


def _scratch_postgres(server_url: str) -> tuple[str, str]:
    """Return (admin url, scratch db url) for a fresh database on the given server."""
    parts = urlsplit(server_url.replace("postgresql://", "postgres://", 1))
    name = f"cchc_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    return urlunsplit(parts), urlunsplit(parts._replace(path=f"/{name}"))


async def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("CCHC_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'cchc-test.sqlite3'}"
        return
    admin, url = _scratch_postgres(server)
    name = urlsplit(url).path.lstrip("/")
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def _migrated(database_url: str) -> AsyncIterator[str]:
    await upgrade(database_url)
    async with database(database_url):
        yield database_url


async def _wipe() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["cchc"].values()]
    tables += ["explanation_evidence"]
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f"DELETE FROM {t};" for t in tables)
            + "DELETE FROM sqlite_sequence;PRAGMA foreign_keys=ON;"
        )


@pytest.fixture
async def db(_migrated: str) -> AsyncIterator[str]:
    """An empty, migrated database for one test."""
    await _wipe()
    yield _migrated


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path
