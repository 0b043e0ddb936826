"""Real processes for the fault tests: the sandbox Bot API (``python -m bot.sandbox``) and the
service (``python -m app serve``), started, watched and killed by pid."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.app.helpers import CCHC


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


TOKEN = "123456:SANDBOX"


class SandboxProcess:
    """The sandbox in a process of its own: it outlives the service it talks to.

    :meth:`launch` returns at once (the URL is known: the port is chosen here), so the service
    can start meanwhile; its bot retries until the sandbox answers. :meth:`ready` waits for it.
    """

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"
        self.token = TOKEN
        self.log = log
        self.http = httpx.AsyncClient(base_url=self.url, timeout=60)

    @classmethod
    def launch(cls, folder: Path) -> SandboxProcess:
        log = folder / "sandbox.log"
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.sandbox", "--port", str(port), "--token", TOKEN],
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
        )
        return cls(proc, port, log)

    async def ready(self) -> SandboxProcess:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 60)
        if not line:
            await asyncio.to_thread(self.proc.wait, 5)
            raise AssertionError("the sandbox did not start:\n" + _tail(self.log))
        assert json.loads(line)["url"] == self.url
        return self

    async def stop(self) -> None:
        await self.http.aclose()
        if self.proc.poll() is None:
            self.proc.terminate()
            await asyncio.to_thread(self.proc.wait, 10)

    async def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, "/control/" + path, **kwargs)
        if response.status_code == 408:
            raise TimeoutError(response.json().get("error"))
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()

    async def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        return await self.control("POST", "send_text", json={"user_id": user_id, "text": text})

    async def press(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        body = {"user_id": user_id, "message_id": message_id, "data": data}
        return await self.control("POST", "press", json=body)

    async def wait_for_bot_message(
        self, user_id: int, after: int, timeout: float
    ) -> dict[str, Any] | None:
        """The first bot message or edit after ``after`` as it was then; None on timeout."""
        params = {"user_id": user_id, "after": after, "timeout": timeout}
        try:
            return await self.control("GET", "wait_for_bot_message", params=params)
        except TimeoutError:
            return None

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        return await self.control("GET", "calls", params={"method": method} if method else None)


class ServiceProcess:
    """``cchc serve`` as an operator runs it; :meth:`kill` is a SIGKILL, nothing graceful."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / f"serve-{self.starts}.log"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self.starts += 1
        self.proc = subprocess.Popen(
            [*CCHC, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    async def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as http:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise AssertionError("the service exited:\n" + _tail(self.log))
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the service did not become healthy:\n" + _tail(self.log))

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return _tail(self.log)


def service_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a service process: this test's database, nothing from the caller's
    CCHC_* settings (a developer's Redis or token must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    env.update(
        CCHC_DATABASE_URL=database_url,
        CCHC_DATA_DIR=str(data_dir),
        CCHC_DEMO="false",
        CCHC_SECRET_KEY="fault-tests-secret-key-0123456789abcdef",
        NO_COLOR="1",
    )
    env.update(extra)
    return env
