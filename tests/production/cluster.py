"""Several ``cchc serve`` processes as production runs them, for the multi-instance tests.

* :class:`Front` is what surrounds the instances in production, in the test's own event loop:
  the sandbox Bot API (standing in for Telegram, at ``/tg``) and a round-robin reverse proxy
  for the webhook (standing in for nginx's upstream of both instances, at
  ``/telegram/webhook``). It fails over to the next instance when one refuses the connection,
  as nginx's ``proxy_next_upstream error`` does, and records which instance took each update.
* :class:`Instance` is one real ``cchc serve`` process (``python -m app serve``), its output in
  a log file that a failing test prints.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from tests.waiting import serving

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    name: str
    port: int
    log_path: Path
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, env: dict[str, str]) -> None:
        log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            "serve",
            "--port",
            str(self.port),
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, the lock and connections die with the process."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if not self.running:
            return
        assert self.proc is not None
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.name} (port {self.port}) ---\n{text[-6000:]}"


@dataclass
class RoundRobin:
    """The webhook's upstream: each update to the next instance in turn."""

    instances: list[Instance]
    turn: int = 0
    down: set[str] = field(default_factory=set)
    # (instance name, update id) in the order the instances answered
    served: list[tuple[str, int]] = field(default_factory=list)
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))

    async def forward(self, request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k in ("content-type", SECRET_HEADER)}
        update_id = int(json.loads(body).get("update_id", -1))
        for _ in range(len(self.instances)):
            target = self.instances[self.turn % len(self.instances)]
            self.turn += 1
            if target.name in self.down:
                continue
            try:
                answer = await self.client.post(
                    target.url + WEBHOOK_PATH, content=body, headers=headers
                )
            except httpx.ConnectError:
                self.down.add(target.name)  # nginx marks it failed and asks the next one
                continue
            if answer.is_success:
                self.served.append((target.name, update_id))
            return Response(
                answer.content,
                answer.status_code,
                media_type=answer.headers.get("content-type"),
            )
        return Response(b"no upstream", status_code=502)

    def by(self, name: str) -> list[int]:
        return [u for n, u in self.served if n == name]


class Front:
    """The sandbox Bot API and the webhook proxy on one port of the test's event loop."""

    def __init__(self, sandbox: Any, instances: list[Instance]) -> None:
        self.sandbox = sandbox
        self.proxy = RoundRobin(instances)
        self.port = free_port()
        app = Starlette(
            routes=[
                Route(WEBHOOK_PATH, self.proxy.forward, methods=["POST"]),
                Mount("/tg", app=sandbox.app),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Front:
        self._task = asyncio.create_task(self.server.serve())
        await serving(self.server, self._task)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sandbox.aclose()
        await self.proxy.client.aclose()
        self.server.should_exit = True
        if self._task is not None:
            await self._task


def instance_env(**values: str) -> dict[str, str]:
    """The environment of an instance: this one without any CCHC_ setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    return {**env, **{f"CCHC_{k.upper()}": v for k, v in values.items()}}
