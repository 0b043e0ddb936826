"""What a newcomer does: `make run` without a token, open /sandbox/chat, pick a demo officer,
press the suggested /start, and the bot (polling the sandbox inside the same server) answers
with the first item of the demo unit's score sheet. And what the secretariat does first:
`cchc officers invite` prints one-time codes with deep links."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import httpx

from tests.app.conftest import env  # noqa: F401  (a database of the kind under test)
from tests.app.helpers import CCHC, run
from tests.waiting import answering


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_demo_officer_self_assesses_in_the_browser_chat(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in env.items() if k not in ("CCHC_TELEGRAM_TOKEN", "CCHC_BOT_MODE")}
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "demo").returncode == 0
    _invite_command_prints_codes_and_links(env)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*CCHC, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}/sandbox"
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            page = answering(proc, "/chat", log_path, client=http)
            assert page.status_code == 200
            personas = http.get("/control/personas").json()
            focal = personas[0]
            assert "cán bộ đầu mối" in focal["name"] and focal["hint"].startswith("/start ")
            sent = http.post(
                "/control/send_text", json={"user_id": focal["user_id"], "text": focal["hint"]}
            ).json()
            seq, card = sent["seq"], None
            while card is None:
                reply = http.get(
                    "/control/wait_for_bot_message",
                    params={"user_id": focal["user_id"], "after": seq, "timeout": 20},
                )
                assert reply.status_code == 200, (reply.text, log_path.read_text()[-3000:])
                message = reply.json()
                seq = message["seq"]
                if "Điểm tối đa" in message.get("text", ""):
                    card = message
            assert "đã trả lời 0/" in card["text"]
            commands = http.get("/control/commands").json()
            assert any(c["command"] == "guiphieu" for c in commands[""])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _invite_command_prints_codes_and_links(environ: dict[str, str]) -> None:
    out = run(environ, "officers", "invite", "--unit", "SNV", "--days", "3", "--bot", "cchc_bot")
    assert out.returncode == 0, out.stderr
    codes = re.findall(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", out.stdout)
    links = re.findall(r"https://t\.me/cchc_bot\?start=([A-Z2-9]{12})", out.stdout)
    assert codes and [c.replace("-", "") for c in codes] == links
    assert "Mỗi mã dùng một lần" in out.stdout
    wrong = run(environ, "officers", "invite", "--unit", "KHONGCO")
    assert wrong.returncode == 1 and "Không có đơn vị nào có mã" in wrong.stderr
