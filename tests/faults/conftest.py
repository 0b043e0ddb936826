"""Fault tests share the end-to-end set-up: the real aiogram bot built by the app's runtime,
talking to the sandbox Bot API over real HTTP. Tests that kill processes build their own
(:mod:`tests.faults.procs`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.bot_runtime import BotRuntime
from core.settings import load_settings
from tests.e2e.conftest import Served, World, served, world  # noqa: F401  (fixtures)
from tests.forms.conftest import sheet  # noqa: F401  (fixture used by ``world``)


@pytest.fixture
async def bare_world(db: str, served: Served, tmp_path: Path) -> AsyncIterator[World]:  # noqa: F811
    """The bot in sandbox mode on an empty database (the test brings its own data)."""
    settings = load_settings(
        bot_mode="sandbox",
        public_url=served.base_url,
        database_url=db,
        data_dir=tmp_path / "data",
        demo=False,
    )
    clock = [datetime.now(UTC)]
    runtime = BotRuntime(settings, clock=lambda: clock[0], polling_timeout=1)
    app = FastAPI()
    runtime.install_routes(app)
    served.switch.app = app
    await runtime.start()
    await runtime.wait_ready(timeout=15)
    try:
        yield World(runtime, runtime.sandbox, served, clock)
    finally:
        await runtime.stop()
