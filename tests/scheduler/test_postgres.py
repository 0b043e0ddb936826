"""Several instances on PostgreSQL: one leader by advisory lock, and even two senders working
at once never send the same reminder (SKIP LOCKED and compare-and-set claims)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from tortoise import connections

from scheduler.config import SchedulerConfig
from scheduler.leader import AdvisoryLockLeader
from scheduler.models import Reminder, ReminderStatus
from tests.scheduler.conftest import FakeClock, FakeTelegram, build_world, local, make_scheduler
from tests.waiting import until


@pytest.fixture
def postgres(db: str) -> str:
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip(
            "needs PostgreSQL (set CCHC_TEST_DATABASE_URL): SQLite runs a single instance, "
            "so there is no second scheduler to race with"
        )
    return db


async def test_two_instances_never_send_the_same_reminder(postgres: str) -> None:
    world = await build_world(units=30, focal_per_unit=2)
    clock = FakeClock(local(2026, 11, 24, 17, 0))
    telegram = FakeTelegram(clock)  # one Telegram, two senders
    await make_scheduler(telegram, SchedulerConfig(worker="plan"), clock).planner.plan(clock.now())
    assert await Reminder.filter(kind="self_assessment").count() == 60

    # small batches and no pacing, so the two claim loops interleave as much as possible
    configs = [
        SchedulerConfig(worker=name, rate_overall=3, rate_per_chat=100, concurrency=3)
        for name in ("instance-a", "instance-b")
    ]
    a, b = (make_scheduler(telegram, c, clock) for c in configs)
    reports = await asyncio.gather(a.sender.run(), b.sender.run())
    assert reports[0].sent > 0 and reports[1].sent > 0, "both instances took part"
    assert reports[0].sent + reports[1].sent == 60
    counts = Counter(s.notice.officer_id for s in telegram.sent)
    assert set(counts.values()) == {1}
    assert len(counts) == 2 * len(world.units)
    assert {r.status for r in await Reminder.filter(kind="self_assessment")} == {
        ReminderStatus.sent
    }


async def test_one_leader_at_a_time(postgres: str) -> None:
    first, second = AdvisoryLockLeader(postgres), AdvisoryLockLeader(postgres)
    try:
        assert await first.is_leader() is True
        assert await second.is_leader() is False
        assert await first.is_leader() is True  # still holds it, connection alive
        await first.release()
        assert await second.is_leader() is True
        # the leader's connection dies (killed on the server): the lock is freed and the
        # other instance takes over at its next tick
        pid = second._conn.get_server_pid()
        await connections.get("default").execute_query(f"SELECT pg_terminate_backend({pid})")
        await until(  # the server frees the lock as the backend exits
            first.is_leader, "the other instance taking over from the leader whose connection died"
        )
        assert await second.is_leader() is False  # it notices, reconnects, finds it taken
    finally:
        await first.release()
        await second.release()
