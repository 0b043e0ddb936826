"""What ``make run`` does, step by step: upgrade, demo, serve; then the service answers."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx

from tests.app.helpers import CCHC, run
from tests.waiting import answering


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_service_starts_with_demo_data_and_answers_healthz(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    demo = run(env, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "dữ liệu mẫu" in demo.stdout
    assert "không nạp" in run(env, "demo").stdout  # a second run leaves the data alone

    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [*CCHC, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        health = answering(proc, f"{base}/healthz", tmp_path / "serve.log")
        assert health.status_code == 200
        body = health.json()
        # the bot may still be connecting to its sandbox: "degraded" until then, never a 503
        assert body["status"] in ("ok", "degraded")
        assert body["database"]["status"] == "ok"
        assert body["bot"]["mode"] == "sandbox"
        assert body["scheduler"]["enabled"] is True
        home = httpx.get(base + "/", timeout=5)
        assert home.status_code == 200
        assert "Khối sở, ban, ngành" in home.text
        assert "dữ liệu mẫu" in home.text
        assert httpx.get(base + "/api/openapi.json", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
