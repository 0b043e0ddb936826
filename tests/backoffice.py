"""The back office in-process, one for the API, web and security tests: one app (built once
per session, without its lifespan: the test database is already open), a controllable clock,
a recording notifier, the evidence store, the small province of :mod:`tests.api.world`, and
httpx clients over ASGI for the pages and for the JSON API.

For the browser tests, the same app served by uvicorn in the tests' loop, in a headless
Chromium. The app, the server and the browser are session fixtures of the root conftest (one of
each however many folders use them); the per-test fixtures here are imported by the conftests
of tests/api, tests/web and tests/security.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api.deps import get_now
from app.main import create_app
from core.files import FileStore
from core.notify import RecordingNotifier
from core.settings import load_settings
from tests.api.world import NOW, World, build_world
from tests.web.browser import Served

SECRET = "web-test-secret"  # signs the pages' sessions and sign-in links
API = "http://test/api/v1"
PAGES = "http://test"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now


def build_app(data_dir: Path) -> FastAPI:
    """Uploads are limited to 1 MB, so the size limits are cheap to test."""
    settings = load_settings(
        database_url=f"sqlite://{data_dir / 'unused.sqlite3'}",
        data_dir=data_dir,
        bot_mode="off",
        secret_key=SECRET,
        max_upload_mb=1,
    )
    return create_app(settings)


@pytest.fixture(scope="session")
def api_app(backoffice_app: FastAPI) -> FastAPI:
    """The app, by the name the API tests know it."""
    return backoffice_app


@pytest.fixture(scope="session")
def web_app(backoffice_app: FastAPI) -> FastAPI:
    """The app, by the name the web and security tests know it."""
    return backoffice_app


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def notifier(backoffice_app: FastAPI) -> RecordingNotifier:
    recording = RecordingNotifier()
    backoffice_app.state.notifier = recording
    return recording


@pytest.fixture
def store(backoffice_app: FastAPI) -> FileStore:
    return FileStore(Path(backoffice_app.state.settings.data_dir))


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


async def _client(app: FastAPI, clock: Clock, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app, which reads the test's clock until the test ends."""
    app.dependency_overrides[get_now] = lambda: clock.now
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
            yield c
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
async def api_client(
    backoffice_app: FastAPI, db: str, clock: Clock, notifier: RecordingNotifier
) -> AsyncIterator[httpx.AsyncClient]:
    """The JSON API (paths relative to /api/v1)."""
    async for c in _client(backoffice_app, clock, API):
        yield c


@pytest.fixture
async def web_client(
    backoffice_app: FastAPI, db: str, clock: Clock, notifier: RecordingNotifier
) -> AsyncIterator[httpx.AsyncClient]:
    """The pages (absolute paths)."""
    async for c in _client(backoffice_app, clock, PAGES):
        yield c


# --- the real browser --------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Remember each phase's report on the test, so fixtures know whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def served(backoffice_served: Served) -> Served:
    return backoffice_served


@pytest.fixture
async def pages(
    request: pytest.FixtureRequest,
    chromium: Any,
    backoffice_served: Served,
    db: str,
    clock: Clock,
    notifier: RecordingNotifier,
    tmp_path: Path,
) -> AsyncIterator[Any]:
    """``await pages(width=1280)`` opens a page in a fresh browser context (own cookies) on the
    served app. When the test fails, every open page is saved as a screenshot in the test's
    tmp dir (the path is printed in the report)."""
    app = backoffice_served.app
    app.dependency_overrides[get_now] = lambda: clock.now
    contexts: list[Any] = []
    opened: list[Any] = []

    async def open_page(width: int = 1280, height: int = 900) -> Any:
        context = await chromium.new_context(
            base_url=backoffice_served.base,
            viewport={"width": width, "height": height},
            locale="vi-VN",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = await context.new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        opened.append(page)
        return page

    try:
        yield open_page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            for i, page in enumerate(opened):
                shot = tmp_path / f"failure-{i}.png"
                try:
                    await page.screenshot(path=str(shot), full_page=True)
                    print(f"screenshot of the failing page: {shot}")
                except Exception as exc:  # the page may be gone; the failure itself matters
                    print(f"no screenshot: {exc}")
        for context in contexts:
            await context.close()
        app.dependency_overrides.clear()
