"""Updates per second through the bot's webhook: the full stack against a bare echo bot.

Both bots run behind the same FastAPI webhook route of the app (``BotRuntime.webhook``: secret
check, ``feed_webhook_update``) and reply over real HTTP to the same local Bot API stub (a
separate process, so its work is not counted). The updates are the same for both:

* **button presses**: an officer presses a level of item 1.1.1 on its card, carrying the answer
  version the card shows: officer lookup, FSM state, ``record_answer`` (unit, role, status and
  deadline checks, computed score, optimistic version, audit event, one transaction), the
  sheet reloaded for the card (the item needs evidence, so the walk stays on it), the FSM
  saved, then ``answerCallbackQuery`` and ``editMessageText`` with the new card;
* **text answers**: the officer types the level instead ("1", "2"): the same path with the
  typed value parsed, then ``sendMessage`` with the new card.

The echo bot answers a text with ``sendMessage`` and a press with ``answerCallbackQuery`` plus
``editMessageText``: the same Bot API calls, without the service and the database. Every chat
is a different unit (as in a province: one focal officer per unit writes at a time), each chat
sends its updates one after another, all chats at once.

Both bots run in rounds (three by default), the order alternating from round to round: in one
process, whichever runs first tends to be favoured, and the machine's speed drifts. The ratio
that counts is the median of the rounds' ratios; every round is printed.

Usage::

    .venv/bin/python bench/bot_throughput.py                 # SQLite in a temporary folder
    .venv/bin/python bench/bot_throughput.py --updates 4000 --chats 32
    .venv/bin/python bench/bot_throughput.py --postgres postgres://postgres@127.0.0.1:5432/postgres

The last line is one JSON object: the figures of the median round, every round's ratio, the
median ratio, the floors of issue 17 (full/echo >= 0.4 on SQLite, >= 0.3 on PostgreSQL, p99
per update <= 100 ms) and ``"met"``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

TARGETS = {"sqlite": 0.4, "postgres": 0.3}  # full/echo, median of the rounds
P99_MS = 100.0  # the full bot's p99 latency per update, median round
SECRET = "bench-secret-token"
TOKEN = "4242:BENCH"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
WARMUP = 120

# The local Bot API: answers every call at once with a well-formed result (run as a separate
# process so that its work is not counted in the bot's figures). Like Telegram, it takes a
# form or a JSON body (the bot sends JSON when a call carries no file).
STUB = textwrap.dedent(
    """
    import itertools, json, sys, time
    from urllib.parse import parse_qs
    import uvicorn

    ids = itertools.count(1000)
    ME = {"id": 4242, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}

    async def read(receive):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                return body

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = await read(receive)
        method = scope["path"].rsplit("/", 1)[-1].lower()
        headers = dict(scope["headers"])
        if headers.get(b"content-type", b"").startswith(b"application/json"):
            params = json.loads(body or b"{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if method == "sendmessage":
            chat = int(params.get("chat_id", 0))
            result = {"message_id": next(ids), "date": int(time.time()),
                      "chat": {"id": chat, "type": "private"}, "from": ME,
                      "text": params.get("text", "")}
        elif method == "getme":
            result = ME
        else:
            result = True
        payload = json.dumps({"ok": True, "result": result}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the Bot API stub did not start")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the Bot API stub did not open its port")


@dataclass
class Chat:
    user_id: int
    assessment_id: int
    card_id: int = 1
    version_111: int = 0
    # above every id the stub gives the bot's own messages: like Telegram, a message the
    # officer types after a card is newer than it (the walk refuses older ones)
    message_ids: itertools.count = field(default_factory=lambda: itertools.count(10**9))


async def build(chats: int) -> list[Chat]:
    """One group of units, one bound focal officer each, an open period with the test set."""
    from core.audit import Actor
    from core.models import Channel, Officer, Unit, UnitGroup
    from forms.criteria import import_draft
    from forms.criteria_workbook import read_workbook
    from forms.models import Assessment
    from forms.periods import GroupPlan, create_period
    from tests.factories import workbook_bytes

    system = Actor.system(Channel.cli, "bench")
    await import_draft(system, read_workbook(workbook_bytes()))
    group = await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    result = []
    for n in range(chats):
        unit = await Unit.create(code=f"U{n:03}", name=f"Đơn vị {n}", group=group)
        await Officer.create(
            unit=unit,
            full_name=f"Cán bộ {n}",
            telegram_user_id=900_000 + n,
            telegram_chat_id=900_000 + n,
        )
    await create_period(
        system,
        code="BENCH",
        name="Đợt thử tải",
        year=2026,
        opens_at=NOW - timedelta(days=5),
        closes_at=NOW + timedelta(days=5),
        groups=[GroupPlan("SO", "TEST-1")],
    )
    for n in range(chats):
        unit = await Unit.get(code=f"U{n:03}")
        assessment = await Assessment.get(unit=unit)
        result.append(Chat(900_000 + n, assessment.id))
    return result


def _message(chat: Chat, text: str, update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": next(chat.message_ids),
            "date": int(time.time()),
            "chat": {"id": chat.user_id, "type": "private"},
            "from": {"id": chat.user_id, "is_bot": False, "first_name": "Cán bộ"},
            "text": text,
        },
    }


def _press(chat: Chat, data: str, update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": {"id": chat.user_id, "is_bot": False, "first_name": "Cán bộ"},
            "chat_instance": "bench",
            "data": data,
            "message": {
                "message_id": chat.card_id,
                "date": int(time.time()),
                "chat": {"id": chat.user_id, "type": "private"},
                "from": {"id": 4242, "is_bot": True, "first_name": "Bench"},
                "text": "card",
            },
        },
    }


class Load:
    """The same sequence of updates per chat, for either bot."""

    def __init__(self, chats: list[Chat]) -> None:
        self.chats = chats
        self.update_ids = itertools.count(1)

    def next_update(self, chat: Chat, step: int) -> dict[str, Any]:
        """Presses on even steps (the first one opens the card), typed levels on odd ones;
        every update changes the answer, so each one is a write."""
        option = "1" if step % 4 in (0, 1) else "2"
        version = chat.version_111
        chat.version_111 += 1  # each update is saved: the card then shows the next version
        if step % 2 == 1:
            return _message(chat, option, next(self.update_ids))
        data = f"an:{chat.assessment_id}:1.1.1:{version}:{option}"
        return _press(chat, data, next(self.update_ids))


async def run_phase(
    client: httpx.AsyncClient, load: Load, per_chat: int, *, start_step: int = 0
) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def one_chat(chat: Chat) -> None:
        for step in range(start_step, start_step + per_chat):
            update = load.next_update(chat, step)
            t = time.perf_counter()
            response = await client.post(
                "/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            latencies.append(time.perf_counter() - t)
            if response.status_code != 200:
                raise RuntimeError(f"webhook answered {response.status_code}: {response.text}")

    t0 = time.perf_counter()
    await asyncio.gather(*(one_chat(c) for c in load.chats))
    return time.perf_counter() - t0, latencies


def _cpu() -> float:
    """CPU seconds of this process (all threads: the SQLite worker too), not of the stub."""
    return time.process_time()


def echo_dispatcher() -> Any:
    from aiogram import Dispatcher, F
    from aiogram.types import CallbackQuery, Message

    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dp.callback_query()
    async def echo_press(cb: CallbackQuery) -> None:
        await cb.answer()
        if cb.message is not None:
            await cb.message.edit_text(cb.data or "")  # type: ignore[union-attr]

    return dp


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(
    db_url: str, data_dir: Path, updates: int, chats_n: int, rounds_n: int
) -> dict[str, Any]:
    from fastapi import FastAPI

    from app.bot_runtime import BotRuntime
    from core.heap import freeze_startup_objects
    from core.settings import load_settings

    port = _free_port()
    stub = subprocess.Popen([sys.executable, "-c", STUB, str(port)])
    try:
        await _wait_port(port, stub)
        settings = load_settings(
            bot_mode="webhook",
            telegram_token=TOKEN,
            webhook_secret=SECRET,
            telegram_api_url=f"http://127.0.0.1:{port}",
            database_url=db_url,
            data_dir=data_dir,
            public_url="https://bench.invalid",
        )
        chats = await build(chats_n)
        runtime = BotRuntime(settings, clock=lambda: NOW + timedelta(hours=1))
        app = FastAPI()
        runtime.install_routes(app)
        await runtime.start()
        await runtime.wait_ready()
        freeze_startup_objects()  # as the app does once started (app/main.py, core/heap.py)
        full_dp = runtime.dp
        per_chat = max(2, updates // chats_n)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            rounds: list[dict[str, Any]] = []
            echo_dp = echo_dispatcher()
            for number in range(rounds_n):
                # the order alternates: whichever runs first in a fresh process is favoured
                order = [("echo", echo_dp), ("full", full_dp)]
                figures: dict[str, Any] = {}
                for name, dp in order if number % 2 == 0 else order[::-1]:
                    runtime.dp = dp
                    load = Load(chats)
                    for chat in chats:
                        chat.version_111 = await _version_of_111(chat)
                    warm = max(2, WARMUP // chats_n)
                    await run_phase(client, load, warm)
                    cpu = _cpu()
                    elapsed, latencies = await run_phase(client, load, per_chat, start_step=warm)
                    cpu = _cpu() - cpu
                    figures[name] = {
                        "updates": len(latencies),
                        "seconds": round(elapsed, 3),
                        "updates_per_s": round(len(latencies) / elapsed, 1),
                        "cpu_ms_per_update": round(cpu / len(latencies) * 1000, 3),
                        "p50_ms": round(statistics.median(latencies) * 1000, 2),
                        "p99_ms": round(_pct(latencies, 0.99) * 1000, 2),
                    }
                figures["ratio"] = round(
                    figures["full"]["updates_per_s"] / figures["echo"]["updates_per_s"], 3
                )
                rounds.append(figures)
            runtime.dp = full_dp
        await runtime.stop()
        return {"rounds": rounds, "saved_answers": await _check_saved(chats)}
    finally:
        stub.terminate()
        stub.wait(timeout=10)


async def _version_of_111(chat: Chat) -> int:
    from forms.models import Answer

    answer = await Answer.filter(assessment_id=chat.assessment_id, node__code="1.1.1").first()
    return answer.version if answer else 0


async def _check_saved(chats: list[Chat]) -> int:
    """Every press was saved (no stale refusal): the stored versions match the bench's."""
    from forms.models import Answer

    total = 0
    for chat in chats:
        answer = await Answer.get(assessment_id=chat.assessment_id, node__code="1.1.1")
        if answer.version != chat.version_111:
            raise RuntimeError(
                f"chat {chat.user_id}: version {answer.version}, expected {chat.version_111}"
            )
        total += await Answer.filter(assessment_id=chat.assessment_id).count()
    return total


async def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=2000, help="measured updates per bot")
    parser.add_argument("--chats", type=int, default=16, help="chats (units) writing at once")
    parser.add_argument("--postgres", help="a PostgreSQL server URL to run against instead")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of both bots; the median ratio counts"
    )
    args = parser.parse_args()

    import logging

    logging.basicConfig(level=logging.ERROR)
    from app.db import database, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.postgres:
            parts = urlsplit(args.postgres.replace("postgresql://", "postgres://", 1))
            name = f"cchc_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin_url = urlunsplit(parts)
            url = urlunsplit(parts._replace(path=f"/{name}"))
            await _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
            dialect = "postgres"
        else:
            url, dialect, admin_url, name = f"sqlite://{folder}/bench.sqlite3", "sqlite", "", ""
        try:
            await upgrade(url)
            async with database(url):
                result = await measure(
                    url, folder / "data", args.updates, args.chats, max(1, args.rounds)
                )
        finally:
            if args.postgres:
                await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    rounds = result["rounds"]
    ratio = statistics.median(r["ratio"] for r in rounds)
    middle = min(rounds, key=lambda r: abs(r["ratio"] - ratio))  # the round with that ratio
    echo, full = middle["echo"], middle["full"]
    target = TARGETS[dialect]
    met = ratio >= target and full["p99_ms"] <= P99_MS
    print(f"database: {dialect}; chats at once: {args.chats}; rounds: {len(rounds)}")
    for number, r in enumerate(rounds):
        for name in ("echo", "full"):
            f = r[name]
            print(
                f"round {number + 1} {name:>4}: {f['updates']} updates in {f['seconds']} s = "
                f"{f['updates_per_s']} updates/s; latency p50 {f['p50_ms']} ms, "
                f"p99 {f['p99_ms']} ms; CPU {f['cpu_ms_per_update']} ms per update"
            )
        print(f"round {number + 1} ratio full/echo: {r['ratio']}")
    cpu_ratio = round(
        statistics.median(
            r["echo"]["cpu_ms_per_update"] / r["full"]["cpu_ms_per_update"] for r in rounds
        ),
        3,
    )
    print(
        f"ratio full/echo, median of the rounds: {ratio} (target >= {target}, p99 <= {P99_MS} ms)"
    )
    print(
        f"CPU per update, median round: echo {echo['cpu_ms_per_update']} ms, full "
        f"{full['cpu_ms_per_update']} ms (CPU ratio, median: {cpu_ratio}; less sensitive to "
        "other load on the machine)"
    )
    print(
        json.dumps(
            {
                "bench": "bot_throughput",
                "database": dialect,
                "chats": args.chats,
                "echo": echo,
                "full": full,
                "ratio": ratio,
                "round_ratios": [r["ratio"] for r in rounds],
                "cpu_ratio": cpu_ratio,
                "saved_answers": result["saved_answers"],
                "target": {"ratio": target, "p99_ms": P99_MS},
                "met": met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
