"""Real headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright,
against the app served by uvicorn on a free port in the tests' own event loop (so the pages
read the test database). Never ``playwright install``: the browser is the system's."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.waiting import serving

CHROMIUM = os.environ.get("CCHC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def browser_missing() -> str | None:
    if shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (Debian package chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


@dataclass
class Served:
    app: FastAPI
    base: str


async def serve(app: FastAPI, port: int) -> AsyncIterator[Served]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await serving(server, task)
    try:
        yield Served(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def launch() -> tuple[Any, Any]:
    """Playwright and one browser; ``launch`` gives it a fresh, temporary profile
    (user-data-dir) of its own, removed when the browser closes."""
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    browser = await pw.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
    )
    return pw, browser


skip_without_browser = pytest.mark.skipif(
    browser_missing() is not None, reason=browser_missing() or ""
)
