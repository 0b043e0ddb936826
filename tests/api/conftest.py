"""The API in-process: the app without its lifespan (the test database is already open), a
controllable clock, a recording notifier and the small province of :mod:`tests.api.world`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.api.deps import get_now
from app.main import create_app
from core.files import FileStore
from core.notify import RecordingNotifier
from core.settings import load_settings
from tests.api.world import NOW, World, build_world


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now


@pytest.fixture(scope="session")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    data_dir = tmp_path_factory.mktemp("api-data")
    settings = load_settings(
        database_url=f"sqlite://{data_dir / 'unused.sqlite3'}", data_dir=data_dir, bot_mode="off"
    )
    return create_app(settings)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def notifier(api_app: FastAPI) -> RecordingNotifier:
    recording = RecordingNotifier()
    api_app.state.notifier = recording
    return recording


@pytest.fixture
def store(api_app: FastAPI) -> FileStore:
    return FileStore(Path(api_app.state.settings.data_dir))


@pytest.fixture
async def client(
    api_app: FastAPI, db: str, clock: Clock, notifier: RecordingNotifier
) -> AsyncIterator[httpx.AsyncClient]:
    api_app.dependency_overrides[get_now] = lambda: clock.now
    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as c:
        yield c
    api_app.dependency_overrides.clear()


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()
