"""Two ``cchc serve`` processes in webhook mode share one PostgreSQL database, one Redis and one
evidence folder, behind a round-robin proxy (nginx's upstream in production). Officers walk their
score sheets with consecutive updates landing on alternate instances, so every step reads the
conversation state the other instance wrote. The scheduler leader sends the reminders that are
due, then dies by SIGKILL; the survivor takes the advisory lock, keeps answering, and sends the
reminders that fall due after the kill.

The leader is killed between deliveries (no update in flight, every due reminder recorded as
sent): that is the crash this checks loses and doubles nothing. A crash *during* a delivery may
repeat that one message, by design (docs/scheduler.md, "The one window").
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tortoise import connections

from core.audit import Actor
from core.invites import create_invite
from core.models import AuditEvent, Channel, Officer, Unit, UnitGroup
from forms.criteria import import_draft
from forms.criteria_workbook import read_workbook
from forms.models import Answer, Assessment
from forms.periods import GroupPlan, create_period, update_period
from scheduler.leader import LOCK_KEY
from scheduler.models import Reminder, ReminderStatus
from tests.bot.harness import Person
from tests.factories import workbook_bytes
from tests.production.cluster import Front, Instance, free_port, instance_env
from tests.waiting import explained, until

pytestmark = pytest.mark.skipif(
    not os.environ.get("CCHC_TEST_DATABASE_URL"),
    reason="several instances share one PostgreSQL database: set CCHC_TEST_DATABASE_URL "
    "(the CI's PostgreSQL pass does); SQLite serves one process",
)

REDIS_URL = os.environ.get("CCHC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = "424242:TWO-INSTANCES"
SYSTEM = Actor.system(Channel.cli, "test")
OFFICERS = 4
REMINDER = "Nhắc việc: hạn tự đánh giá"
FIRST_USER = 7_300_001
EXPECTED = {
    "1.1.1": Decimal(1),
    "1.1.2": Decimal(1),
    "1.1.3": Decimal(2),
    "1.1.4": Decimal("0.5"),
    "1.1.5": Decimal("0.25"),
}


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this run's own, removed afterwards (other runs may share the server)."""
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisDown

    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisDown, OSError):
        await client.aclose()
        pytest.skip(f"Redis is not reachable at {REDIS_URL}; several instances share it")
    prefix = f"cchc-test-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def _province(now: datetime) -> tuple[int, list[tuple[int, str]]]:
    """A period open since yesterday with one deadline in an hour, and ``OFFICERS`` units each
    with a focal officer and an invite code. Reminders: two hours and one minute before the
    deadline, at any hour (so the two-hour one is due at once)."""
    await import_draft(SYSTEM, read_workbook(workbook_bytes()))
    group = await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    officers = []
    for n in range(OFFICERS):
        unit = await Unit.create(code=f"S{n + 1}", name=f"Sở số {n + 1}", group=group)
        officers.append(await Officer.create(unit=unit, full_name=f"Cán bộ số {n + 1}"))
    period = await create_period(
        SYSTEM,
        code="P2026",
        name="Đợt 2026",
        year=2026,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=1),
        groups=[GroupPlan("SO", "TEST-1")],
        reminder_policy={"before": ["2h", "1m"], "quiet_hours": None, "weekends": True},
    )
    codes = [(o.id, (await create_invite(SYSTEM, o.id, now=now)).pretty) for o in officers]
    return period.id, codes


async def _lock_holders() -> list[int]:
    """Server processes holding the scheduler's advisory lock in this database (pg_locks
    splits the 64-bit key in two)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid = $1 AND objid = $2 AND objsubid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF],
    )
    return [int(r["pid"]) for r in rows]


def _pid(worker: str | None) -> int:
    """The process id in a ledger claim ("host:pid:suffix")."""
    assert worker, "a sent reminder names its sender"
    return int(worker.split(":")[1])


async def _sent_reminders() -> list[Reminder]:
    return await Reminder.filter(status=ReminderStatus.sent).order_by("id")


def _reminders_in_chat(sb: Any, user_id: int) -> list[dict[str, Any]]:
    return [m for m in sb.bot_messages(user_id) if m.get("text", "").startswith(REMINDER)]


async def test_two_instances_share_conversations_and_hand_over_reminders(
    db: str, tmp_path: Path, redis_prefix: str
) -> None:
    from bot.sandbox import Sandbox

    sb = Sandbox(TOKEN, "cchc_two_bot", webhook_retry_delays=(0.2, 0.5, 1.0))
    a = Instance("A", free_port(), tmp_path / "a.log")
    b = Instance("B", free_port(), tmp_path / "b.log")
    instances = {i.name: i for i in (a, b)}
    async with Front(sb, [a, b]) as front:
        env = instance_env(
            database_url=db,
            data_dir=str(tmp_path / "data"),  # one evidence folder for both
            redis_url=REDIS_URL,
            redis_prefix=redis_prefix,
            bot_mode="webhook",
            telegram_token=TOKEN,
            telegram_api_url=f"{front.url}/tg",
            webhook_secret=uuid.uuid4().hex,
            public_url=front.url,  # the proxy: Telegram knows one address for both
            secret_key=uuid.uuid4().hex * 2,
            demo="false",
            scheduler_tick_seconds="1",
        )
        try:
            await asyncio.gather(a.start(env), b.start(env))
            # the province is set up while the instances start (nobody is bound yet, so their
            # schedulers have nothing to send)
            period_id, codes = await _province(datetime.now(UTC))
            # each instance registers the webhook as the last step of its bot's set-up
            await sb.wait_for_call("setWebhook", count=2, timeout=90)
            await _run(sb, front, instances, period_id, codes)
        except BaseException:
            print("\n".join(i.log() for i in (a, b)))
            raise
        finally:
            await asyncio.gather(a.stop(), b.stop())


async def _run(
    sb: Any,
    front: Front,
    instances: dict[str, Instance],
    period_id: int,
    codes: list[tuple[int, str]],
) -> None:
    world = SimpleNamespace(sandbox=sb)
    people = [Person(world, FIRST_USER + n, f"Cán bộ {n + 1}") for n in range(OFFICERS)]  # type: ignore[arg-type]
    cards: list[dict[str, Any]] = []

    # Part 1: each officer binds and answers three items; the proxy alternates per update, so
    # consecutive steps of one officer go to different instances
    for person, (_officer_id, code) in zip(people, codes, strict=True):
        card = await person.say(f"/start {code}", "1.1.1. Ban hành kế hoạch")
        card = await person.press(card, "Ban hành đúng hạn", "Ban hành đúng hạn → 1/1 điểm")
        card = await person.press(card, "Tiếp", "1.1.2. Xác định đầy đủ")
        card = await person.press(card, "Có", "1.1.3. Mức độ thực hiện")
        card = await person.say("95%", "95% → 2/2 điểm")
        cards.append(card)
    proxy = front.proxy
    assert proxy.by("A") and proxy.by("B"), proxy.served
    assert abs(len(proxy.by("A")) - len(proxy.by("B"))) <= 1  # strictly alternating

    # the "2 hours before" reminder was due at once: the leader sends one to each officer
    await explained(
        sb.wait_until(
            lambda: all(len(_reminders_in_chat(sb, p.user_id)) == 1 for p in people), timeout=20
        ),
        "every officer's first reminder in their chat",
    )
    await until(lambda: _count_sent(OFFICERS), "the first reminders recorded as sent")
    first = await _sent_reminders()
    senders = {_pid(r.claimed_by) for r in first}
    assert len(senders) == 1, f"one leader sends: {[r.claimed_by for r in first]}"
    leader = next(i for i in instances.values() if i.pid in senders)
    survivor = next(i for i in instances.values() if i is not leader)
    holders = await _lock_holders()
    assert len(holders) == 1, holders

    # Kill the leader between deliveries: no update in flight at the proxy, nothing claimed
    await explained(
        sb.wait_until(lambda: not sb.state.updates, timeout=10),
        "the instances taking every pending update",
    )
    assert not await Reminder.filter(status=ReminderStatus.claimed).exists()
    served_before_kill = len(proxy.served)
    await leader.kill()

    # the server notices the dead connection and frees the lock; the survivor takes it
    await until(lambda: _lock_taken_over(holders[0]), "the survivor holding the lock", timeout=15)

    # The secretariat moves the deadline to a minute and a few seconds from now: the "2 hours
    # before" reminder of the new deadline is due at once, the "1 minute before" one seconds
    # later, both after the leader died
    new_deadline = datetime.now(UTC) + timedelta(seconds=65)
    await update_period(
        SYSTEM, period_id, {"self_assessment_closes_at": new_deadline}, now=datetime.now(UTC)
    )

    # Part 2: the officers go on through the proxy, which now finds only the survivor
    for person, card in zip(people, cards, strict=True):
        card = await person.press(card, "Tiếp", "1.1.4. Công khai kết quả")
        card = await person.say("1, 3", "Cấp tỉnh; Cấp xã → 0,5/0,75 điểm")
        await person.say("0,25", "0,25 → 0,25/0,25 điểm")
    after_kill = proxy.served[served_before_kill:]
    assert after_kill and {name for name, _u in after_kill} == {survivor.name}, after_kill

    # the survivor took the lock and sends both reminders of the new deadline to everyone
    await explained(
        sb.wait_until(
            lambda: all(len(_reminders_in_chat(sb, p.user_id)) == 3 for p in people), timeout=30
        ),
        "all three reminders in every officer's chat",
    )
    await until(lambda: _count_sent(3 * OFFICERS), "every reminder recorded as sent")
    assert len(await _lock_holders()) == 1
    assert survivor.running

    # Every answer once, with its value; each recorded by exactly one audited change
    for officer_id, _code in codes:
        officer = await Officer.get(id=officer_id)
        assessment = await Assessment.get(unit_id=officer.unit_id)  # type: ignore[attr-defined]
        answers = await Answer.filter(assessment_id=assessment.id).prefetch_related("node")
        assert {a.node.code: a.self_score for a in answers} == EXPECTED
        for answer in answers:
            changes = await AuditEvent.filter(
                action="answer.record", entity="answer", entity_id=str(answer.id)
            ).count()
            assert changes == 1, f"{answer.node.code} of officer {officer_id}: {changes} changes"

    # Every due reminder delivered exactly once: three per officer in the ledger, the same three
    # messages in each chat, the ones due after the kill sent by the survivor
    sent = await _sent_reminders()
    assert not await Reminder.exclude(status=ReminderStatus.sent).exists()
    for person, (officer_id, _code) in zip(people, codes, strict=True):
        mine = [r for r in sent if r.recipient == f"officer:{officer_id}"]
        old = {r.id for r in mine if r.deadline_at > new_deadline + timedelta(minutes=10)}
        by_key = sorted((r.id in old, r.offset_key) for r in mine)
        assert by_key == [(False, "-1m"), (False, "-2h"), (True, "-2h")], by_key
        in_chat = _reminders_in_chat(sb, person.user_id)
        assert sorted(m["message_id"] for m in in_chat) == sorted(r.message_id for r in mine)
        for reminder in mine:
            sender = leader if reminder.id in old else survivor
            assert _pid(reminder.claimed_by) == sender.pid, (reminder.offset_key, sender.name)


async def _lock_taken_over(old_holder: int) -> bool:
    holders = await _lock_holders()
    return len(holders) == 1 and holders[0] != old_holder


async def _count_sent(n: int) -> bool:
    return await Reminder.filter(status=ReminderStatus.sent).count() >= n
