"""What an operator's tools see: /healthz per component, /metrics moving with real work (an
answer saved through the service, reminders through the real sender, an export, a Telegram
update through the real bot), the metrics token, and JSON log lines from a real ``cchc serve``.

Counters are process-wide, so every check compares before and after.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from tortoise.context import TortoiseContext

from app.db import tortoise_config
from app.main import create_app
from app.ops import bot_health
from core.audit import Actor
from core.logs import Redactor, logging_config, make_formatter
from core.models import Channel
from core.notify import Unreachable
from core.settings import Settings, load_settings
from forms.answers import StaleAnswerError, record_answer
from scheduler.config import SchedulerConfig
from scheduler.ticker import Scheduler
from scoring import exports
from tests.app.helpers import CCHC, run
from tests.bot.harness import World, invite
from tests.e2e.conftest import served, world  # noqa: F401  (fixtures)
from tests.forms.conftest import NOW, sheet  # noqa: F401  (fixture used by the tests)
from tests.scheduler.conftest import FakeClock, FakeTelegram, build_world, local, make_scheduler
from tests.waiting import answering, until

TOKEN = "metrics-secret-4f1c"


def _settings(db: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db,
        "data_dir": tmp_path / "data",
        "bot_mode": "off",
        "demo": False,
    }
    return load_settings(**{**values, **overrides})


async def _get(app: FastAPI, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, **kwargs)


@pytest.fixture
async def app(db: str, tmp_path: Path) -> FastAPI:
    return create_app(_settings(db, tmp_path))


async def sample(app: FastAPI, name: str, **labels: str) -> float:
    """One sample of /metrics as Prometheus would scrape it (0 when the series is absent)."""
    response = await _get(app, "/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


# --- /healthz ------------------------------------------------------------------------------


@asynccontextmanager
async def _ticking(scheduler: Scheduler) -> AsyncIterator[None]:
    scheduler.start(first_tick_in=0)
    try:
        await until(lambda: scheduler.last_tick_at is not None, "the scheduler's first tick")
        yield
    finally:
        await scheduler.stop()


async def test_healthz_reports_the_database_the_bot_mode_and_the_leading_scheduler(
    db: str, tmp_path: Path
) -> None:
    first = create_app(_settings(db, tmp_path))
    second = create_app(_settings(db, tmp_path))  # another instance on the same database
    async with _ticking(first.state.scheduler), _ticking(second.state.scheduler):
        response = await _get(first, "/healthz")
        other = (await _get(second, "/healthz")).json()
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["bot"] == {
        "status": "off",
        "mode": "off",
        "note": "CCHC_BOT_MODE=off: no bot, notices dropped",
    }
    scheduler = body["scheduler"]
    assert scheduler["status"] == "ok" and scheduler["running"] is True
    assert scheduler["leader"] is True and scheduler["sending"] is False  # bot off
    ticked = datetime.fromisoformat(scheduler["last_tick_at"])
    assert ticked.utcoffset() is not None
    assert 0 <= scheduler["last_tick_age_seconds"] < 10
    # only one instance leads on PostgreSQL (advisory lock); SQLite is one instance by design
    assert other["scheduler"]["leader"] is db.startswith("sqlite")
    assert other["status"] == "ok"  # a follower is healthy


async def test_a_stopped_scheduler_or_an_unreachable_telegram_degrade_but_keep_200(
    db: str, tmp_path: Path
) -> None:
    with socket.socket() as s:  # a port nobody listens on: Telegram is "down"
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    settings = _settings(
        db,
        tmp_path,
        bot_mode="polling",
        telegram_token="123456:TEST-not-a-real-token",
        telegram_api_url=f"http://127.0.0.1:{dead}",
    )
    app = create_app(settings)
    bot = app.state.bot
    await bot.start()
    try:
        await until(lambda: bot.last_error is not None, "a failed getMe noted by the bot")
        response = await _get(app, "/healthz")
    finally:
        await bot.stop()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["bot"]["status"] == "degraded" and body["bot"]["mode"] == "polling"
    assert body["bot"]["started"] is True and body["bot"]["ready"] is False
    assert body["bot"]["last_contact_at"] is None
    assert body["bot"]["last_error"] == "TelegramNetworkError"
    assert "getMe" in body["bot"]["problem"]
    assert body["scheduler"]["status"] == "stopped"  # enabled but never started here
    assert "TEST-not-a-real-token" not in response.text


async def test_an_unreachable_database_answers_503_with_a_clear_body(
    app: FastAPI, tmp_path: Path
) -> None:
    # Only the kind of database under test: Tortoise binds the models' column conversions to
    # the dialect it was last initialised with, so a PostgreSQL context inside a SQLite run
    # would leave every later test reading SQLite rows the PostgreSQL way.
    if not os.environ.get("CCHC_TEST_DATABASE_URL"):
        folder = tmp_path / "not-a-database"  # a folder where the file should be
        folder.mkdir()
        url = f"sqlite://{folder}"
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"postgres://postgres@127.0.0.1:{s.getsockname()[1]}/gone"
    async with TortoiseContext() as ctx:  # this test's requests see only the broken database
        await ctx.init(config=tortoise_config(url))
        response = await _get(app, "/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"]["status"] == "unreachable"
    assert body["database"]["error"]  # the exception type, not a stack trace
    assert set(body) == {"status", "database", "bot", "scheduler"}


async def test_the_sandbox_bot_is_ready_and_counts_the_updates_it_handles(
    world: World,  # noqa: F811
    sheet: dict,  # noqa: F811
    tmp_path: Path,
    db: str,
) -> None:
    health = bot_health(world.runtime)
    assert health["status"] == "ok" and health["mode"] == "sandbox"
    assert health["ready"] is True and health["username"] == "cchc_sandbox_bot"
    assert "sandbox" in health["note"]
    assert 0 <= health["last_contact_age_seconds"] < 10 and health["last_error"] is None

    app = create_app(_settings(db, tmp_path))
    labels = {"update_type": "message", "outcome": "handled"}
    before = await sample(app, "cchc_updates_handled_total", **labels)
    person = world.person(700_001, "Lan")
    code = await invite(sheet["lan"].id)
    await person.say(f"/start {code}", "1.1.1. Ban hành kế hoạch")

    async def counted() -> bool:
        return await sample(app, "cchc_updates_handled_total", **labels) >= before + 1

    await until(counted, "the officer's /start counted as a handled update in /metrics")


# --- /metrics ------------------------------------------------------------------------------


async def test_an_answer_saved_through_the_service_counts_by_channel(
    app: FastAPI,
    sheet: dict,  # noqa: F811
) -> None:
    before = await sample(app, "cchc_answers_recorded_total", channel="bot")
    lan = sheet["lan"]
    a = sheet["assessment"]
    await record_answer(lan, a.id, "1.1.3", text="45/50", expected_version=0, now=NOW)
    await record_answer(lan, a.id, "1.1.3", note="Theo báo cáo quý", expected_version=1, now=NOW)
    with pytest.raises(StaleAnswerError):  # refused, not counted
        await record_answer(lan, a.id, "1.1.3", text="40/50", expected_version=1, now=NOW)
    assert await sample(app, "cchc_answers_recorded_total", channel="bot") == before + 2


async def test_reminders_sent_and_failed_through_the_real_sender(app: FastAPI, db: str) -> None:
    await build_world(units=3)
    clock = FakeClock(local(2026, 11, 24, 17, 0))  # the "-7d" reminder of three units is due
    telegram = FakeTelegram(clock)
    telegram.script = [Unreachable("chat not found")]  # the first recipient cannot be reached
    scheduler = make_scheduler(telegram, SchedulerConfig(worker="test"), clock)
    sent = await sample(app, "cchc_reminders_sent_total")
    failed = {"reason": "unreachable", "outcome": "final"}
    unreachable = await sample(app, "cchc_reminders_failed_total", **failed)
    report = await scheduler.tick()
    assert report.send.sent == 2 and report.send.failed == 1
    assert await sample(app, "cchc_reminders_sent_total") == sent + 2
    assert await sample(app, "cchc_reminders_failed_total", **failed) == unreachable + 1
    assert await sample(app, "cchc_scheduler_leader") == 1


async def test_an_export_is_timed_by_kind(
    app: FastAPI,
    sheet: dict,  # noqa: F811
) -> None:
    kind = {"kind": "consolidated"}
    before = await sample(app, "cchc_export_duration_seconds_count", **kind)
    seconds = await sample(app, "cchc_export_duration_seconds_sum", **kind)
    period_id = sheet["assessment"].period_id
    out = io.BytesIO()
    await exports.consolidated(Actor.system(Channel.cli, "test"), period_id, out, now=NOW)
    assert out.getvalue()[:2] == b"PK"
    assert await sample(app, "cchc_export_duration_seconds_count", **kind) == before + 1
    assert await sample(app, "cchc_export_duration_seconds_sum", **kind) > seconds


async def test_metrics_token_is_required_when_set(db: str, tmp_path: Path) -> None:
    app = create_app(_settings(db, tmp_path, metrics_token=TOKEN))
    assert (await _get(app, "/metrics")).status_code == 401
    wrong = await _get(app, "/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    right = await _get(app, "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert right.headers["content-type"] == CONTENT_TYPE_LATEST
    assert "cchc_answers_recorded_total" in right.text
    assert (await _get(app, "/healthz")).status_code == 200  # health stays open
    schema = (await _get(app, "/api/openapi.json")).json()
    assert "/metrics" not in schema["paths"]
    assert schema["paths"]["/healthz"]["get"]["tags"] == ["ops"]


async def test_http_requests_are_counted_by_route_template(app: FastAPI) -> None:
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    before = await sample(app, "cchc_http_requests_total", **labels)
    await _get(app, "/healthz")
    await _get(app, "/no/such/page")
    assert await sample(app, "cchc_http_requests_total", **labels) == before + 1
    assert await sample(app, "cchc_http_requests_total", route="unmatched", status="404") >= 1


# --- logs ----------------------------------------------------------------------------------


def _json_logger(secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter("json", secrets))
    logger = logging.getLogger("cchc.test.logs")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_log_lines_carry_time_level_logger_message_extras_and_exception() -> None:
    logger, stream = _json_logger(["123456:ABCdef-token"])
    logger.info("reminder %s sent", 42, extra={"reminder_id": 42, "unit": "SNV"})
    try:
        raise RuntimeError("token 123456:ABCdef-token rejected")
    except RuntimeError:
        logger.exception("bot call failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "reminder 42 sent" and first["level"] == "INFO"
    assert first["logger"] == "cchc.test.logs"
    assert first["reminder_id"] == 42 and first["unit"] == "SNV"
    assert datetime.fromisoformat(first["time"].replace("Z", "+00:00")).utcoffset() is not None
    assert first["time"].endswith("Z")
    assert second["level"] == "ERROR"
    assert "RuntimeError: token *** rejected" in second["exception"]
    assert "ABCdef" not in stream.getvalue()


def test_secrets_and_sign_in_tokens_are_masked() -> None:
    redact = Redactor(["s3cret-password"])
    assert redact("postgres://cchc:s3cret-password@db/cchc") == "postgres://cchc:***@db/cchc"
    assert redact("redis://:other-pass@r:6379/0") == "redis://:***@r:6379/0"
    assert redact('"GET /web/o/login?t=eyJ.abc&lang=vi HTTP/1.1"') == (
        '"GET /web/o/login?t=***&lang=vi HTTP/1.1"'
    )
    assert redact("POST /bot123456%3AAAH-x_y/getUpdates") == "POST /bot***/getUpdates"
    config = logging_config("json", "debug", secrets=["abcd1234", None])
    assert config["root"]["level"] == "DEBUG"
    assert config["formatters"]["default"]["secrets"] == ["abcd1234"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cchc_serve_writes_json_lines_uvicorn_access_included(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    port = _free_port()
    serve_env = {
        **env,
        "CCHC_LOG_FORMAT": "json",
        "CCHC_BOT_MODE": "off",
        "CCHC_SCHEDULER_ENABLED": "false",
        "CCHC_METRICS_TOKEN": TOKEN,
        "CCHC_SECRET_KEY": "k" * 40,
    }
    err = (tmp_path / "serve.err").open("w")
    proc = subprocess.Popen(
        [*CCHC, "serve", "--port", str(port)],
        env=serve_env,
        stdout=subprocess.DEVNULL,
        stderr=err,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = answering(proc, f"{base}/healthz", tmp_path / "serve.err")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        httpx.get(f"{base}/web/o/login?t=signed.sign-in.token", timeout=5)
        metrics = httpx.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        assert metrics.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        err.close()
    lines = [
        line
        for line in (tmp_path / "serve.err").read_text().splitlines()
        if line.startswith("{")  # the rest is the console's start-up banner
    ]
    entries = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    assert {(e["method"], e["path"], e["status"]) for e in access} >= {
        ("GET", "/healthz", 200),
        ("GET", "/metrics", 200),
    }
    login = next(e for e in access if e["path"].startswith("/web/o/login"))
    assert login["path"] == "/web/o/login?t=***"
    assert any(e["message"] == "Application startup complete." for e in entries)
    text = (tmp_path / "serve.err").read_text()
    assert "signed.sign-in.token" not in text and TOKEN not in text
