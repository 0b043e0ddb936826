"""The committed migrations build the schema the models describe, on both databases."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from app.db import tortoise_config, upgrade
from tests.app.helpers import CCHC, run
from tests.databases import run_apart, scratch_database

MIGRATIONS = Path(__file__).resolve().parents[2] / "app" / "migrations"


async def test_models_and_migrations_agree(db: str) -> None:
    detector = MigrationAutodetector(Tortoise.apps, tortoise_config(db)["apps"])
    writers = await detector.changes()
    assert [w.name for w in writers] == [], (
        "a model changed without a migration: run makemigrations"
    )


async def test_upgrade_twice_applies_nothing_the_second_time(db: str) -> None:
    assert await upgrade(db) == []


def test_model_docstrings_have_no_semicolons(db: str) -> None:
    """Tortoise 1.1 puts the docstring into a SQL comment and SQLite's script splitter breaks
    on ";" inside it; a clear failure here beats an obscure one during `cchc db upgrade`."""
    offenders = [
        name for name, model in Tortoise.apps["cchc"].items() if ";" in (model.__doc__ or "")
    ]
    assert offenders == []


def test_two_upgrades_at_once_apply_each_migration_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two hosts (or a unit started twice) running ``cchc db upgrade`` on a new database at
    the same moment: both finish, and every migration is applied exactly once."""
    folder = tmp_path_factory.mktemp("race")
    with scratch_database(folder) as url:
        env = {**os.environ, "CCHC_DATABASE_URL": url, "CCHC_DATA_DIR": str(folder / "d")}
        procs = [
            subprocess.Popen(
                [*CCHC, "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert run(env, "db", "upgrade").returncode == 0
        applied = run_apart(_applied(url))
    names = sorted(p.name.removesuffix(".py") for p in MIGRATIONS.glob("0*.py"))
    assert applied == names  # each once, none twice


async def _applied(url: str) -> list[str]:
    """The migrations recorded as applied, read with the bare driver (the test session's own
    ORM stays as it is)."""
    query = "SELECT name FROM tortoise_migrations WHERE app = 'cchc' ORDER BY name"
    if url.startswith("sqlite://"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            return [row[0] for row in conn.execute(query)]
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [row["name"] for row in await conn.fetch(query)]
    finally:
        await conn.close()
