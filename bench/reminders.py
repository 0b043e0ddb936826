"""Reminders at Telegram's limits: 10,000 officers with a reminder due, sent through the real
scheduler (APScheduler ticker, ledger claims, limiter, sender) in a child process, against a
local Bot API server that enforces an overall and a per-chat limit and answers 429 beyond them.

Two runs on the same seeded database:

1. **steady**: the sender drains the backlog. Printed: the rate the server accepted, its ratio
   to the limit (the baseline of this benchmark, target ≥ 0.95), duplicates (target 0), lost
   (target 0), 429s received;
2. **kill**: the ledger is reset and the sender is killed with SIGKILL once, when about half the
   messages are through, and started again at once. It takes over the dead sender's claims
   after the claim timeout. Targets: nothing lost; duplicates only inside the documented window
   (Telegram accepted, the commit did not happen), at most one per kill.

The server's limits are token buckets: ``--rate`` messages a second overall with bursts of up to
``--server-burst`` seconds' worth, and ``--per-chat`` a second per chat with a burst of one.
Messages are counted per chat, so a duplicate or a loss is seen by the receiving side, not by the
sender's own bookkeeping. The last line is one JSON object: figures, targets and ``"met"``.

Usage::

    .venv/bin/python bench/reminders.py                 # 10,000 officers at 30 msg/s (~12 min)
    .venv/bin/python bench/reminders.py --officers 3000 --rate 100   # quicker, CPU-bound sooner
    .venv/bin/python bench/reminders.py --officers 2000 --client-rate 40   # the sender too fast:
                                                                  # the server's 429s are honoured
    .venv/bin/python bench/reminders.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from aiohttp import web

from app.db import database, upgrade
from core.audit import Actor
from core.models import Channel, Officer, Unit, UnitGroup
from core.notify import DeliveryError, Notice, RetryAfter, Unreachable
from forms.models import CriteriaNode, CriteriaSet, NodeLevel
from forms.periods import GroupPlan, create_period
from scheduler.config import SchedulerConfig
from scheduler.leader import leadership_for
from scheduler.models import Reminder, ReminderStatus
from scheduler.ticker import Scheduler

TOKEN = "123456:bench"
OFFICERS_PER_UNIT = 4
FIRST_CHAT = 7_000_000_000
SYSTEM = Actor.system(Channel.cli, "bench")


# -- the Bot API side -----------------------------------------------------------------------------


class Bucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now

    def wait(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class LimitedBotApi:
    """``sendMessage`` with Telegram's flood control: a 429 with ``retry_after`` (whole seconds,
    as Telegram sends it) whenever the overall or the chat's bucket is empty."""

    def __init__(self, rate: float, per_chat: float, burst_seconds: float) -> None:
        self.rate, self.per_chat, self.burst = rate, per_chat, burst_seconds
        self.reset()

    def reset(self) -> None:
        now = time.monotonic()
        self.overall = Bucket(self.rate, max(1.0, self.rate * self.burst), now)
        self.chats: dict[int, Bucket] = {}
        self.accepted: Counter[int] = Counter()
        self.times: list[float] = []
        self.too_many = 0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        data = await request.json()
        chat = int(data["chat_id"])
        now = time.monotonic()
        bucket = self.chats.get(chat) or Bucket(self.per_chat, 1.0, now)
        self.chats[chat] = bucket
        wait = max(self.overall.wait(now), bucket.wait(now))
        if wait > 0:
            self.too_many += 1
            retry = max(1, math.ceil(wait))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                },
                status=429,
            )
        self.overall.take()
        bucket.take()
        self.accepted[chat] += 1
        self.times.append(now)
        message = {
            "message_id": len(self.times),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "text": data.get("text", ""),
        }
        return web.json_response({"ok": True, "result": message})

    @property
    def total(self) -> int:
        return len(self.times)

    def stalls(self, longer_than: float = 0.2) -> tuple[int, float]:
        """Gaps between accepted messages longer than ``longer_than`` seconds: how many, and
        the seconds lost in them (where the sender, not the limit, set the pace)."""
        gaps = [b - a for a, b in zip(self.times, self.times[1:], strict=False)]
        long = [g for g in gaps if g > longer_than]
        return len(long), sum(g - 1 / self.rate for g in long)

    def achieved_rate(self) -> float:
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])


async def serve(api: LimitedBotApi) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


# -- the bot's side: a small Notifier over HTTP ---------------------------------------------------


class HttpNotifier:
    """What the bot's notifier does, minus aiogram: render, post ``sendMessage``, map errors."""

    def __init__(self, api_url: str, chats: dict[int, int]) -> None:
        self.url = f"{api_url}/bot{TOKEN}/sendMessage"
        self.chats = chats
        self.client = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=32))

    async def notify(self, notice: Notice) -> int | None:
        chat = self.chats.get(notice.officer_id)
        if chat is None:
            raise Unreachable("not bound")
        body: dict[str, Any] = {"chat_id": chat, "text": notice.msg.render("vi")}
        if notice.payload:
            button = {"text": "▶ Tiếp tục", "callback_data": json.dumps(notice.payload)[:64]}
            body["reply_markup"] = {"inline_keyboard": [[button]]}
        try:
            response = await self.client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise DeliveryError(str(exc)) from exc
        answer = response.json()
        if answer.get("ok"):
            return int(answer["result"]["message_id"])
        if response.status_code == 429:
            raise RetryAfter(float(answer["parameters"]["retry_after"]))
        if response.status_code == 403:
            raise Unreachable(answer.get("description", "forbidden"), blocked=True)
        raise DeliveryError(f"{response.status_code} {answer.get('description', '')}")

    async def close(self) -> None:
        await self.client.aclose()


# -- seeding --------------------------------------------------------------------------------------


async def seed(officers: int) -> None:
    """A criteria set of five items, units of four focal officers each, all bound to the bot,
    and an open period whose deadline is seven days away: every officer's "-7d" is due."""
    cset = await CriteriaSet.create(code="BENCH", name="Bench", total_max=Decimal(5))
    nodes = [
        CriteriaNode(
            criteria_set=cset,
            code=code,
            parent_code=parent,
            level=level,
            position=i,
            title=code,
            max_score=Decimal(5 if level != NodeLevel.item else 1),
            rule_type="yes_no" if level == NodeLevel.item else None,
        )
        for i, (code, parent, level) in enumerate(
            [("1", None, NodeLevel.field), ("1.1", "1", NodeLevel.criterion)]
            + [(f"1.1.{k}", "1.1", NodeLevel.item) for k in range(1, 6)]
        )
    ]
    await CriteriaNode.bulk_create(nodes)
    group = await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    units = math.ceil(officers / OFFICERS_PER_UNIT)
    await Unit.bulk_create(
        [Unit(code=f"U{n:05d}", name=f"Đơn vị {n}", group=group) for n in range(units)],
        batch_size=1000,
    )
    unit_ids = [u for u in await Unit.all().order_by("id").values_list("id", flat=True)]
    now = datetime.now(UTC)
    await Officer.bulk_create(
        [
            Officer(
                unit_id=unit_ids[i // OFFICERS_PER_UNIT],
                full_name=f"Cán bộ {i}",
                telegram_user_id=FIRST_CHAT + i,
                telegram_chat_id=FIRST_CHAT + i,
                bound_at=now,
            )
            for i in range(officers)
        ],
        batch_size=1000,
    )
    period = await create_period(
        SYSTEM,
        code="BENCH",
        name="Bench",
        year=now.year,
        opens_at=now - timedelta(days=30),
        closes_at=now + timedelta(days=7) - timedelta(minutes=5),
        groups=[GroupPlan("SO", "BENCH")],
    )
    # the benchmark runs at any hour: no quiet hours, weekends allowed
    period.reminder_policy = {**period.reminder_policy, "quiet_hours": None, "weekends": True}
    await period.save()


# -- the sender process ---------------------------------------------------------------------------


async def worker(args: argparse.Namespace) -> None:
    async with database(args.database_url):
        chats = dict(await Officer.all().values_list("id", "telegram_chat_id"))
        notifier = HttpNotifier(args.api, chats)
        config = SchedulerConfig(
            tick_seconds=args.tick,
            rate_overall=args.client_rate or args.rate,
            rate_per_chat=args.per_chat,
            claim_timeout=timedelta(seconds=args.claim_timeout),
            concurrency=args.concurrency,
        )
        scheduler = Scheduler(notifier, config, leader=leadership_for(args.database_url))
        scheduler.start(first_tick_in=0)
        try:
            await asyncio.sleep(1)
            while (
                await Reminder.filter(
                    status__in=[ReminderStatus.planned, ReminderStatus.claimed]
                ).exists()
                or not await Reminder.exists()
            ):
                await asyncio.sleep(0.5)
        finally:
            await scheduler.stop()
            await notifier.close()


def start_worker(args: argparse.Namespace, api_url: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--database-url",
        args.database_url,
        "--api",
        api_url,
        "--rate",
        str(args.rate),
        "--client-rate",
        str(args.client_rate or args.rate),
        "--per-chat",
        str(args.per_chat),
        "--claim-timeout",
        str(args.claim_timeout),
        "--concurrency",
        str(args.concurrency),
        "--tick",
        str(args.tick),
    ]
    return subprocess.Popen(command)


async def wait_for(process: subprocess.Popen[bytes], until: Any = None) -> None:
    while process.poll() is None:
        if until is not None and until():
            return
        await asyncio.sleep(0.01)


async def outcome(api: LimitedBotApi, officers: int) -> dict[str, Any]:
    expected = set(range(FIRST_CHAT, FIRST_CHAT + officers))
    received = set(api.accepted)
    statuses = Counter(
        s.value
        for s in await Reminder.filter(kind="self_assessment").values_list("status", flat=True)
    )
    return {
        "accepted": api.total,
        "achieved_per_s": round(api.achieved_rate(), 2),
        "duplicates": sum(n - 1 for n in api.accepted.values() if n > 1),
        "lost": len(expected - received),
        "unexpected": len(received - expected),
        "429s": api.too_many,
        "stalls_over_200ms": api.stalls()[0],
        "stalled_seconds": round(api.stalls()[1], 2),
        "ledger": dict(statuses),
    }


# -- the benchmark --------------------------------------------------------------------------------


def scratch_url(args: argparse.Namespace, folder: Path) -> tuple[str, str | None]:
    if not args.database_url:
        return f"sqlite://{folder / 'bench.sqlite3'}", None
    parts = urlsplit(args.database_url.replace("postgresql://", "postgres://", 1))
    name = f"cchc_bench_{uuid.uuid4().hex[:8]}"
    return urlunsplit(parts._replace(path=f"/{name}")), urlunsplit(parts)


async def pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="cchc-bench-"))
    url, admin = scratch_url(args, folder)
    if admin:
        await pg_admin(admin, f'CREATE DATABASE "{urlsplit(url).path.lstrip("/")}"')
    args.database_url = url
    api = LimitedBotApi(args.rate, args.per_chat, args.server_burst)
    runner, api_url = await serve(api)
    try:
        await upgrade(url)
        async with database(url):
            started = time.perf_counter()
            await seed(args.officers)
            print(f"seeded {args.officers} officers in {time.perf_counter() - started:.1f} s")

            print(f"steady run: limit {args.rate:g}/s overall, {args.per_chat:g}/s per chat")
            started = time.perf_counter()
            process = start_worker(args, api_url)
            await wait_for(process)
            steady = await outcome(api, args.officers)
            steady["seconds"] = round(time.perf_counter() - started, 1)
            steady["ratio"] = round(steady["achieved_per_s"] / args.rate, 3)
            print(
                f"  accepted {steady['accepted']} at {steady['achieved_per_s']}/s = "
                f"{steady['ratio']} × the limit; duplicates {steady['duplicates']}, "
                f"lost {steady['lost']}, 429s {steady['429s']}"
            )

            await Reminder.all().delete()
            api.reset()
            print("kill run: SIGKILL once at half way, restart at once")
            started = time.perf_counter()
            process = start_worker(args, api_url)
            await wait_for(process, until=lambda: api.total >= args.officers // 2)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            at_kill = api.total
            claimed = await Reminder.filter(status=ReminderStatus.claimed).count()
            process = start_worker(args, api_url)
            await wait_for(process)
            killed = await outcome(api, args.officers)
            killed["seconds"] = round(time.perf_counter() - started, 1)
            killed["killed_after"] = at_kill
            killed["claims_left_by_the_dead_sender"] = claimed
            print(
                f"  killed after {at_kill} messages with {claimed} claims in flight; "
                f"duplicates {killed['duplicates']}, lost {killed['lost']}, "
                f"429s {killed['429s']}"
            )
    finally:
        await runner.cleanup()
        if admin:
            await pg_admin(admin, f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}"')
    met = (
        steady["ratio"] >= 0.95
        and steady["duplicates"] == 0
        and steady["lost"] == 0
        and killed["lost"] == 0
        and killed["duplicates"] <= 1
    )
    return {
        "bench": "reminders",
        "officers": args.officers,
        "database": "postgresql" if admin else "sqlite",
        "limit_per_s": args.rate,
        "sender_limit_per_s": args.client_rate or args.rate,
        "per_chat_per_s": args.per_chat,
        "steady": steady,
        "kill": killed,
        "target": {"ratio": 0.95, "duplicates": 0, "lost": 0, "kill_duplicates_max": 1},
        "met": met,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0, help="overall limit, messages/s")
    parser.add_argument("--per-chat", type=float, default=1.0, help="per-chat limit, messages/s")
    parser.add_argument(
        "--client-rate",
        type=float,
        default=0.0,
        help="the sender's own limit (default: the server's); set it higher to see 429s honoured",
    )
    parser.add_argument("--server-burst", type=float, default=1.0, help="seconds of burst")
    parser.add_argument("--claim-timeout", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--tick", type=float, default=30.0)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server (default SQLite)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args))
        return
    result = asyncio.run(bench(args))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
