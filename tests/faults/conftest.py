"""Fault tests share the end-to-end set-up (:mod:`tests.bot.harness`): the real aiogram bot
built by the app's runtime, talking to the sandbox Bot API over real HTTP. Tests that kill
processes build their own (:mod:`tests.faults.procs`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.bot.harness import Served, World, sandbox_world
from tests.e2e.conftest import served, world  # noqa: F401  (fixtures)
from tests.forms.conftest import sheet  # noqa: F401  (fixture used by ``world``)


@pytest.fixture
async def bare_world(db: str, served: Served, tmp_path: Path) -> AsyncIterator[World]:  # noqa: F811
    """The bot in sandbox mode on an empty database (the test brings its own data)."""
    async with sandbox_world(db, served, tmp_path / "data", clock=[datetime.now(UTC)]) as bare:
        yield bare
