"""Test database: a real SQLite file, or a scratch PostgreSQL database when
``CCHC_TEST_DATABASE_URL`` names a server. Migrations are applied exactly as in production."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

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


# --- one back office for the api, web and security tests (tests/backoffice.py); imported when
# first used, so that other folders' runs do not load the whole app -----------------------------


@pytest.fixture(scope="session")
def backoffice_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.backoffice import build_app

    return build_app(tmp_path_factory.mktemp("backoffice-data"))


@pytest.fixture(scope="session")
async def backoffice_served(backoffice_app: Any, _migrated: str) -> AsyncIterator[Any]:
    """The back office served by uvicorn in the tests' loop, for a real browser. Started after
    the database is open, so that the server's task (and every request it serves) runs in the
    ORM's context, as the app's own lifespan would give it."""
    from tests.web.browser import free_port, serve

    async for served in serve(backoffice_app, free_port()):
        yield served


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium for the session (skips when it is not installed)."""
    from tests.web.browser import browser_missing, launch

    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    pw, browser = await launch()
    try:
        yield browser
    finally:
        await browser.close()
        await pw.stop()
