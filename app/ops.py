"""What operators and their tools ask the service: ``/healthz``, ``/metrics`` and HTTP metrics.

``/healthz`` answers 200 whenever this instance can serve requests, that is whenever its
database answers; 503 only when it does not. The bot and the scheduler are reported
("degraded" overall) but do not turn the answer into a 503: a load balancer that took every
instance out of service because Telegram was unreachable would also take down the web form and
the API, which work without Telegram. Alerting on the bot or the scheduler is for the body of
``/healthz`` or for the metrics (see docs/observability.md).

``/metrics`` is the Prometheus text format of this process's default registry. It is meant for
the internal network; ``CCHC_METRICS_TOKEN`` additionally requires ``Authorization: Bearer``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import db
from app.bot_runtime import BotRuntime
from core.settings import BotMode, Settings
from scheduler.ticker import Scheduler

log = logging.getLogger("cchc")

DB_TIMEOUT = 5.0  # seconds a health check waits for the database
# A polling bot hears from the Bot API at least once per long poll (10 s at most); a minute of
# silence means it is not getting through.
BOT_SILENCE_SECONDS = 60.0
OK_STATES = {"ok", "off", "disabled"}

HTTP_REQUESTS = Counter(
    "cchc_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "cchc_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts), by method and route template.",
    ["method", "route"],
)


def _age(at: datetime | None) -> float | None:
    return None if at is None else round((datetime.now(UTC) - at).total_seconds(), 3)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds")


async def database_health() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(db.ping(), DB_TIMEOUT)
    except Exception as exc:  # the probe must answer, whatever the driver raises
        log.warning("health check: database unreachable: %s", exc)
        return {"status": "unreachable", "error": type(exc).__name__}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def bot_health(bot: BotRuntime) -> dict[str, Any]:
    if bot.mode is BotMode.off:
        return {
            "status": "off",
            "mode": "off",
            "note": "CCHC_BOT_MODE=off: no bot, notices dropped",
        }
    body: dict[str, Any] = {
        "mode": bot.mode.value,
        "started": bot.started,
        "ready": bot.ready,
        "username": bot.username,
        "last_contact_at": _iso(bot.last_contact_at),
        "last_contact_age_seconds": _age(bot.last_contact_at),
        "last_error": bot.last_error,
    }
    if bot.mode is BotMode.sandbox:
        body["note"] = "sandbox: the built-in test Bot API, not Telegram"
    problem = None
    if not bot.started:
        problem = "not started"
    elif not bot.ready:
        problem = "set-up (getMe) has not succeeded yet"
    elif bot.mode is not BotMode.webhook:
        age = _age(bot.last_contact_at)
        if not bot.polling:
            problem = "polling stopped"
        elif age is None or age > BOT_SILENCE_SECONDS:
            problem = f"no answer from the Bot API for more than {BOT_SILENCE_SECONDS:.0f} s"
    body["status"] = "ok" if problem is None else "degraded"
    if problem is not None:
        body["problem"] = problem
    return body


def scheduler_health(settings: Settings, scheduler: Scheduler) -> dict[str, Any]:
    if not settings.scheduler_enabled:
        return {"status": "disabled", "enabled": False}
    tick = scheduler.config.tick_seconds
    stale_after = 3 * tick + 30  # a few missed ticks, and a slow pass, before crying wolf
    last = scheduler.last_tick_at
    age = _age(last)
    body: dict[str, Any] = {
        "enabled": True,
        "running": scheduler.running,
        "leader": scheduler.is_leader,
        "sending": scheduler.can_send,
        "tick_seconds": tick,
        "stale_after_seconds": stale_after,
        "last_tick_at": _iso(last),
        "last_tick_age_seconds": age,
        "last_error": scheduler.last_error,
    }
    if not scheduler.running:
        body["status"] = "stopped"
    elif age is None:
        since = _age(scheduler.started_at)
        body["status"] = "starting" if since is not None and since <= stale_after else "stale"
    else:
        body["status"] = "ok" if age <= stale_after else "stale"
    return body


async def health(settings: Settings, bot: BotRuntime, scheduler: Scheduler) -> tuple[int, dict]:
    """The status code and body of ``/healthz``."""
    database = await database_health()
    body: dict[str, Any] = {
        "status": "ok",
        "database": database,
        "bot": bot_health(bot),
        "scheduler": scheduler_health(settings, scheduler),
    }
    if database["status"] != "ok":
        body["status"] = "error"
        return 503, body
    if any(body[part]["status"] not in OK_STATES for part in ("bot", "scheduler")):
        body["status"] = "degraded"
    return 200, body


def metrics_allowed(settings: Settings, request: Request) -> bool:
    """No token configured: open (keep /metrics on the internal network). Otherwise the
    ``Authorization: Bearer`` value must match, compared in constant time."""
    if not settings.metrics_token:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), settings.metrics_token.encode()
    )


class HttpMetrics:
    """Counts and times every HTTP request by its route template (``/api/v1/units/{id}``),
    never by its raw path, so the number of series stays bounded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        timed = False

        async def sending(message: Message) -> None:
            nonlocal status, timed
            if message["type"] == "http.response.start":
                status = message["status"]
                HTTP_DURATION.labels(scope["method"], _route(scope, status)).observe(
                    time.perf_counter() - started
                )
                timed = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _route(scope, status)
            if not timed:
                HTTP_DURATION.labels(scope["method"], route).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()


def _route(scope: Scope, status: int) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched" if status == 404 else "other"
    return scope.get("root_path", "") + path


def install(app: FastAPI, settings: Settings, bot: BotRuntime, scheduler: Scheduler) -> None:
    """Add ``/healthz``, ``/metrics`` and the HTTP metrics middleware to the app."""
    app.add_middleware(HttpMetrics)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> JSONResponse:
        """Per-component health: 200 while the database answers (``status`` "ok", or
        "degraded" when the bot or the scheduler is in trouble), 503 when it does not."""
        code, body = await health(settings, bot, scheduler)
        return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not metrics_allowed(settings, request):
            return JSONResponse(
                {"detail": "a valid bearer token is required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
