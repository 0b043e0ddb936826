"""The web pages in-process (httpx over ASGI, no lifespan: the test database is already open),
with a controllable clock and the small province of :mod:`tests.api.world`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api.deps import get_now
from app.main import create_app
from app.web.sessions import issue_officer_link
from core.files import FileStore
from core.models import Officer
from core.notify import RecordingNotifier
from core.settings import load_settings
from tests.api.world import NOW, PASSWORD, World, build_world
from tests.web.browser import Served, browser_missing, free_port, launch, serve

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture(scope="session")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    data_dir = tmp_path_factory.mktemp("web-data")
    settings = load_settings(
        database_url=f"sqlite://{data_dir / 'unused.sqlite3'}",
        data_dir=data_dir,
        bot_mode="off",
        secret_key="web-test-secret",
        max_upload_mb=1,
    )
    return create_app(settings)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def notifier(web_app: FastAPI) -> RecordingNotifier:
    recording = RecordingNotifier()
    web_app.state.notifier = recording
    return recording


@pytest.fixture
def store(web_app: FastAPI) -> FileStore:
    return FileStore(Path(web_app.state.settings.data_dir))


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


@pytest.fixture
async def client(
    web_app: FastAPI, db: str, clock: Clock, notifier: RecordingNotifier
) -> AsyncIterator[httpx.AsyncClient]:
    web_app.dependency_overrides[get_now] = lambda: clock.now
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    web_app.dependency_overrides.clear()


async def officer_link(web_app: FastAPI, world: World, name: str, now: datetime = NOW) -> str:
    """The path of a fresh sign-in link, as the bot's /web command sends it."""
    officer = await Officer.get(id=world.officers[name].id)
    link = await issue_officer_link(web_app.state.settings, officer.id, now=now)
    return link.url.removeprefix(web_app.state.settings.public_url)


async def sign_in_officer(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, name: str
) -> httpx.Response:
    path = await officer_link(web_app, world, name)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    token = path.split("t=", 1)[1]
    return await client.post("/web/o/login", data={"t": token, "csrf": csrf_of(page.text)})


async def sign_in_staff(client: httpx.AsyncClient, username: str) -> httpx.Response:
    page = await client.get("/web/login")
    return await client.post(
        "/web/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text)},
    )


# --- the real browser --------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Remember each phase's report on the test, so fixtures know whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
async def served(web_app: FastAPI) -> AsyncIterator[Served]:
    async for s in serve(web_app, free_port()):
        yield s


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    pw, chromium = await launch()
    try:
        yield chromium
    finally:
        await chromium.close()
        await pw.stop()


@pytest.fixture
async def pages(
    request: pytest.FixtureRequest,
    browser: Any,
    served: Served,
    db: str,
    clock: Clock,
    notifier: RecordingNotifier,
    tmp_path: Path,
) -> AsyncIterator[Any]:
    """``await pages(width=1280)`` opens a page in a fresh browser context (own cookies) on the
    served app. When the test fails, every open page is saved as a screenshot in the test's
    tmp dir (the path is printed in the report)."""
    served.app.dependency_overrides[get_now] = lambda: clock.now
    contexts: list[Any] = []
    opened: list[Any] = []

    async def open_page(width: int = 1280, height: int = 900) -> Any:
        context = await browser.new_context(
            base_url=served.base, viewport={"width": width, "height": height}, locale="vi-VN"
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
        served.app.dependency_overrides.clear()
