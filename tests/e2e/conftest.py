"""End to end: the real aiogram bot, built by the app's runtime, talks to the sandbox Bot API
over real HTTP (:mod:`tests.bot.harness`), against the test database. One server runs for the
session and forwards to the current test's app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.bot.harness import Served, World, sandbox_world, serve
from tests.forms.conftest import NOW, sheet  # noqa: F401  (fixture used by the tests)


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[Served]:
    async with serve() as served:
        yield served


@pytest.fixture
async def world(
    db: str,
    served: Served,
    tmp_path: Path,
    sheet: dict,  # noqa: F811
) -> AsyncIterator[World]:
    clock = [NOW + timedelta(hours=1)]
    async with sandbox_world(
        db, served, tmp_path / "data", clock=clock, album_delay=0.3, max_upload_mb=1
    ) as world:
        yield world
