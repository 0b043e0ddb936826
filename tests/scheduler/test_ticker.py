"""The ticker: APScheduler in the service's loop, passes back to back during a backlog,
leadership, and the dry run."""

from __future__ import annotations

import asyncio

from forms.models import Assessment
from scheduler.config import SchedulerConfig
from scheduler.digests import read_digests
from scheduler.dry_run import dry_run
from scheduler.models import Reminder, ReminderStatus
from scheduler.ticker import Scheduler
from tests.scheduler.conftest import (
    DEADLINE,
    FakeClock,
    FakeTelegram,
    World,
    build_world,
    local,
    make_scheduler,
)
from tests.waiting import happens, within


class Follower:
    async def is_leader(self) -> bool:
        return False

    async def release(self) -> None:
        return None


async def test_apscheduler_ticks_in_the_service_loop(
    world: World, config: SchedulerConfig, clock: FakeClock, telegram: FakeTelegram
) -> None:
    delivered = asyncio.Event()
    original = telegram.notify

    async def notify(notice):
        result = await original(notice)
        if len(telegram.sent) == 3:
            delivered.set()
        return result

    telegram.notify = notify  # type: ignore[method-assign]
    scheduler = make_scheduler(telegram, config, clock)
    scheduler.start(first_tick_in=0)
    try:
        await happens(delivered, "APScheduler's first tick delivering the 3 due reminders")
    finally:
        await scheduler.stop()
    await scheduler.stop()  # stopping twice is harmless
    assert sorted(telegram.officers) == sorted(o[0].id for o in world.focal.values())


async def test_a_follower_does_nothing(
    world: World, config: SchedulerConfig, clock: FakeClock, telegram: FakeTelegram
) -> None:
    scheduler = make_scheduler(telegram, config, clock, leader=Follower())
    report = await scheduler.tick()
    assert report.leader is False
    assert not await Reminder.exists() and telegram.sent == []


async def test_a_long_backlog_keeps_planning_and_locking_on_time(db: str) -> None:
    await build_world(units=12)
    clock = FakeClock(local(2026, 11, 24, 17, 0))
    telegram = FakeTelegram(clock)
    original = telegram.notify
    released = asyncio.Event()

    async def held(notice):  # a slow channel: the first delivery outlasts several ticks
        await released.wait()
        return await original(notice)

    telegram.notify = held  # type: ignore[method-assign]
    config = SchedulerConfig(worker="backlog", tick_seconds=0.05, concurrency=1)
    scheduler = make_scheduler(telegram, config, clock)
    passes = 0
    planned_twice_more = asyncio.Event()
    plan = scheduler.planner.plan

    async def counting(now, **kwargs):
        nonlocal passes
        passes += 1
        if passes == 3:
            planned_twice_more.set()
        return await plan(now, **kwargs)

    scheduler.planner.plan = counting  # type: ignore[method-assign]
    job = asyncio.create_task(scheduler._job())
    try:
        await asyncio.sleep(0)  # the job starts
        await scheduler._job()  # APScheduler's next firing while the first drains: returns at once
        assert not job.done()
        await happens(
            planned_twice_more, "planning again on later ticks while a delivery was in flight"
        )
        released.set()
        await within(10, job, "the backlog drained once the channel answered")
    finally:
        job.cancel()
    assert len(telegram.sent) == 12


async def test_without_a_channel_reminders_wait_in_the_ledger(
    world: World, config: SchedulerConfig, clock: FakeClock
) -> None:
    from core.notify import NullNotifier

    scheduler = make_scheduler(NullNotifier(), config, clock)
    await scheduler.tick()
    await scheduler._job()
    assert {r.status for r in await Reminder.exclude(kind="digest")} == {ReminderStatus.planned}


async def test_the_dry_run_says_what_would_be_sent_and_changes_nothing(
    world: World, config: SchedulerConfig
) -> None:
    now = local(2026, 11, 24, 17, 0)
    result = await dry_run(now, config)
    sends = result.to_send
    assert len(sends) == 3
    first = sends[0]
    assert first.render("vi") == "7 ngày trước hạn tự đánh giá 01/12/2026 17:00"
    assert first.officer_name.startswith("Cán bộ")
    assert first.message is not None and "9 tiêu chí" in first.message.render("vi")
    assert not first.in_ledger
    digest = [i for i in result.items if i.kind == "digest"]
    assert [d.action for d in digest] == ["post"]
    assert not await Reminder.exists()  # nothing written

    # at the deadline it lists the locks it would apply, still writing nothing
    at_deadline = await dry_run(DEADLINE, config)
    assert sorted(at_deadline.would_lock) == sorted(s.id for s in world.sheets.values())
    assert all(s.self_locked_at is None for s in await Assessment.all())


async def test_the_secretariat_digest_is_posted_for_the_back_office(
    world: World, scheduler: Scheduler, clock: FakeClock
) -> None:
    clock.set(local(2026, 11, 25, 8, 0))
    report = await scheduler.tick()
    assert report.send.posted == 1
    digests = await read_digests(world.period.id)
    assert len(digests) == 1
    digest = digests[0]
    assert digest.posted_at == clock.now()
    assert [b["code"] for b in digest.behind] == ["U1", "U2", "U3"]
    assert digest.behind[0]["unanswered"] == 9 and digest.behind[0]["overdue_days"] == 0
    assert digest.summary.render("vi") == (
        "Tổng hợp hằng ngày: 3 đơn vị chưa gửi phiếu tự đánh giá và 0 đơn vị còn đề nghị "
        "giải trình chưa trả lời."
    )
    # the same day, no second digest
    clock.advance(3600)
    assert (await scheduler.tick()).send.posted == 0


async def test_settings_build_the_production_wiring() -> None:
    from core.settings import load_settings
    from scheduler.leader import AdvisoryLockLeader, AlwaysLeader
    from scheduler.limiter import MemoryLimiter, RedisLimiter

    settings = load_settings(database_url="sqlite://x.db", scheduler_rate_overall=12)
    sqlite = Scheduler.from_settings(settings, FakeTelegram(None))  # type: ignore[arg-type]
    assert isinstance(sqlite.leader, AlwaysLeader) and isinstance(sqlite.limiter, MemoryLimiter)
    assert sqlite.config.rate_overall == 12
    pg = Scheduler.from_settings(
        load_settings(
            database_url="postgres://u@h:5432/db?minsize=2", redis_url="redis://127.0.0.1:6379/0"
        ),
        FakeTelegram(None),  # type: ignore[arg-type]
    )
    assert isinstance(pg.leader, AdvisoryLockLeader) and isinstance(pg.limiter, RedisLimiter)
    assert pg.leader.dsn == "postgresql://u@h:5432/db"
    await pg.stop()
    await sqlite.stop()
