"""``cchc serve`` refuses configurations that would lose or duplicate work, and an old schema;
with PostgreSQL it serves through several worker processes."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db import upgrade
from app.production import check_serve
from core.settings import load_settings
from tests.app.helpers import CCHC, run
from tests.databases import run_apart, scratch_database
from tests.production.cluster import free_port, instance_env
from tests.waiting import answering

SECRET = uuid.uuid4().hex * 2
PG = "postgres://cchc@db.example/cchc"


def _texts(msgs: list) -> list[str]:
    return [m.render("en") for m in msgs]


def test_several_workers_need_postgresql_and_the_webhook() -> None:
    sqlite = load_settings(database_url="sqlite:///tmp/x.sqlite3", bot_mode="off", demo=False)
    assert "need PostgreSQL" in " ".join(_texts(check_serve(sqlite, 2).problems))
    assert check_serve(sqlite.model_copy(update={"secret_key": SECRET}), 1).problems == []

    polling = load_settings(
        database_url=PG, telegram_token="1:T", secret_key=SECRET, redis_url="redis://r/0"
    )
    assert "CCHC_BOT_MODE=webhook" in " ".join(_texts(check_serve(polling, 3).problems))
    assert check_serve(polling, 1).problems == []

    sandbox = load_settings(database_url=PG, bot_mode="sandbox", secret_key=SECRET)
    assert "one worker" in " ".join(_texts(check_serve(sandbox, 2).problems))

    webhook = load_settings(
        database_url=PG,
        bot_mode="webhook",
        telegram_token="1:T",
        webhook_secret="s",
        public_url="https://cchc.example.gov.vn",
        secret_key=SECRET,
    )
    checks = check_serve(webhook, 4)
    assert checks.problems == []
    assert "CCHC_REDIS_URL" in " ".join(_texts(checks.warnings))  # limits not shared
    with_redis = webhook.model_copy(update={"redis_url": "redis://r/0"})
    assert check_serve(with_redis, 4).warnings == []


def test_the_development_secret_is_refused_outside_a_demo() -> None:
    demo = load_settings(bot_mode="sandbox")
    assert demo.uses_default_secret
    checks = check_serve(demo, 1)
    assert checks.problems == [] and "demo" in " ".join(_texts(checks.warnings))
    for real in (
        load_settings(bot_mode="sandbox", demo=False),
        load_settings(telegram_token="1:T"),  # a real bot: real officers
    ):
        assert "CCHC_SECRET_KEY" in " ".join(_texts(check_serve(real, 1).problems))


def test_telegram_webhooks_need_https() -> None:
    settings = load_settings(
        bot_mode="webhook",
        telegram_token="1:T",
        webhook_secret="s",
        public_url="http://cchc.example.gov.vn",
        secret_key=SECRET,
    )
    assert "https://" in " ".join(_texts(check_serve(settings, 1).problems))
    # a local Bot API server (or the sandbox) may call plain http
    local = settings.model_copy(update={"telegram_api_url": "http://127.0.0.1:8081"})
    assert check_serve(local, 1).problems == []


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[str]:
    with scratch_database(tmp_path) as url:
        yield url


def test_serve_refuses_before_listening(empty_db: str, tmp_path: Path) -> None:
    env = instance_env(database_url=empty_db, data_dir=str(tmp_path / "data"), bot_mode="off")
    port = str(free_port())

    # an unmigrated database: say which command to run
    refused = run(env, "serve", "--port", port)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "cchc db upgrade" in refused.stderr and "cchc.0001_initial" in refused.stderr

    # a dangerous configuration: one sentence per problem, in Vietnamese by default
    refused = run({**env, "CCHC_DEMO": "false"}, "serve", "--port", port, "--workers", "2")
    assert refused.returncode == 2
    assert "CCHC_SECRET_KEY vẫn là giá trị mặc định" in refused.stderr
    if empty_db.startswith("sqlite"):
        assert "Chạy nhiều tiến trình cần PostgreSQL" in refused.stderr
    english = run({**env, "CCHC_DEMO": "false"}, "--lang", "en", "serve", "--port", port)
    assert "CCHC_SECRET_KEY is still the development placeholder" in english.stderr


@pytest.mark.skipif(
    not os.environ.get("CCHC_TEST_DATABASE_URL"),
    reason="several worker processes need PostgreSQL (set CCHC_TEST_DATABASE_URL)",
)
def test_several_workers_serve_one_port(empty_db: str, tmp_path: Path) -> None:
    run_apart(upgrade(empty_db))
    env = instance_env(
        database_url=empty_db,
        data_dir=str(tmp_path / "data"),
        bot_mode="off",
        secret_key=SECRET,
        demo="false",
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*CCHC, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        answers = [answering(proc, url, log).status_code for _ in range(5)]
        assert answers == [200] * 5, log.read_text()
        workers = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        # uvicorn's supervisor runs the workers (and, on Linux, a resource tracker)
        assert len(workers) >= 2, log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert log.read_text().count("Application startup complete") == 2
