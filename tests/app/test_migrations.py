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


def test_model_docstrings_have_no_semicolons(db: str) -> None:
    """Tortoise 1.1 puts the docstring into a SQL comment and SQLite's script splitter breaks
    on ";" inside it; a clear failure here beats an obscure one during `cchc db upgrade`."""
    offenders = [
        name for name, model in Tortoise.apps["cchc"].items() if ";" in (model.__doc__ or "")
    ]
    assert offenders == []
