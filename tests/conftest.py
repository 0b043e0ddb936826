"""Test database: a real SQLite file, or a scratch PostgreSQL database when
``CCHC_TEST_DATABASE_URL`` names a server. Migrations are applied exactly as in production."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tortoise import Tortoise, connections

from app.db import database, upgrade
from tests.databases import scratch_database


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(tmp_path_factory.mktemp("db")) as url:
        yield url


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
