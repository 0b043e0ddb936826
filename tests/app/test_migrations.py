"""The committed migrations build the schema the models describe, on both databases."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from app.db import tortoise_config, upgrade


async def test_models_and_migrations_agree(db: str) -> None:
    detector = MigrationAutodetector(Tortoise.apps, tortoise_config(db)["apps"])
    writers = await detector.changes()
    assert [w.name for w in writers] == [], (
        "a model changed without a migration: run makemigrations"
    )


async def test_upgrade_twice_applies_nothing_the_second_time(db: str) -> None:
    assert await upgrade(db) == []
