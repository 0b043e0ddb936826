"""The FastAPI application and its lifespan: settings and services are built once here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi_offline import FastAPIOffline
from tortoise.contrib.fastapi import RegisterTortoise

from app import db
from app.api import api_router
from app.api.uploads import BodyLimit
from app.bot_runtime import BotRuntime
from app.ops import install as install_ops
from app.outage import DatabaseOutageMiddleware
from app.pages import home_page
from app.web import install as install_web
from core.heap import freeze_startup_objects
from core.notify import NullNotifier
from core.settings import BotMode, Settings, load_settings
from scheduler.ticker import Scheduler

log = logging.getLogger("cchc")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    bot = BotRuntime(settings)
    # The database is the source of truth for reminders; the scheduler only ticks, in this
    # loop, and sends through the bot (it never imports it).
    # With the bot off nobody can be reached: reminders then wait in the ledger instead of
    # being marked failed, while planning and auto-lock go on.
    scheduler = Scheduler.from_settings(
        settings, bot.notifier if bot.mode is not BotMode.off else NullNotifier()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.prepare_dirs()
        async with RegisterTortoise(app, config=db.tortoise_config(settings.database_url)):
            await bot.start()
            if settings.scheduler_enabled:
                scheduler.start()
            freeze_startup_objects()  # core/heap.py says why
            try:
                yield
            finally:
                await scheduler.stop()
                await bot.stop()

    # FastAPIOffline: FastAPI whose /api/docs (Swagger UI) and /redoc load their scripts and
    # styles from the service itself, so they work on a network without internet.
    app = FastAPIOffline(
        title="cchc — Chỉ số cải cách hành chính",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        static_url="/api/docs/assets",
    )
    app.state.settings = settings
    app.add_middleware(DatabaseOutageMiddleware, locale=settings.locale)
    app.add_middleware(BodyLimit, max_upload_mb=settings.max_upload_mb)
    app.state.bot = bot
    app.state.scheduler = scheduler
    app.state.notifier = bot.notifier
    app.include_router(api_router)
    bot.install_routes(app)
    install_web(app)

    # /healthz, /metrics and HTTP request metrics (docs/observability.md)
    install_ops(app, settings, bot, scheduler)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(await home_page(settings))

    return app
