"""Delivery: what the officer reads, the marks in the ledger, failures, 429 storms, limits."""

from __future__ import annotations

import itertools
from datetime import timedelta

from core.models import AuditEvent, Officer
from core.notify import DeliveryError, RetryAfter, Unreachable
from forms.models import Assessment, AssessmentStatus
from scheduler.config import SchedulerConfig
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


async def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in await Reminder.exclude(kind="digest"):
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    return counts


async def test_a_reminder_says_what_is_missing_and_where_to_continue(
    world: World, scheduler: Scheduler, telegram: FakeTelegram
) -> None:
    report = await scheduler.tick()
    assert report.send.sent == 3 and len(telegram.sent) == 3
    notice = next(s.notice for s in telegram.sent if s.notice.officer_id == world.focal["U1"][0].id)
    assert notice.kind == "reminder"
    assert notice.payload == {"assessment_id": world.sheets["U1"].id, "item": "1.1.1"}
    assert notice.msg.render("vi") == (
        "Nhắc việc: hạn tự đánh giá Chỉ số CCHC của Sở số 1 là 01/12/2026 17:00. Còn 9 tiêu chí "
        "thành phần chưa trả lời."  # no "0 tiêu chí thiếu tài liệu" (issue 14 item 5)
    )
    rows = await Reminder.filter(kind="self_assessment")
    assert {r.status for r in rows} == {ReminderStatus.sent}
    assert all(r.message_id and r.sent_at == scheduler.clock() for r in rows)
    # the next tick finds nothing new to send
    again = await scheduler.tick()
    assert again.send.sent == 0 and len(telegram.sent) == 3


async def test_a_unit_that_submits_after_planning_is_not_reminded(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    await scheduler.planner.plan(clock.now())
    await Assessment.filter(id=world.sheets["U2"].id).update(
        status=AssessmentStatus.submitted, submitted_at=clock.now()
    )
    await Assessment.filter(id=world.sheets["U3"].id).update(
        deadline_extended_to=DEADLINE + timedelta(days=10)
    )
    report = await scheduler.sender.run()
    assert telegram.officers == [world.focal["U1"][0].id]
    assert report.skipped == 2
    reasons = sorted(r.last_error for r in await Reminder.filter(status=ReminderStatus.skipped))
    assert reasons == [
        "the deadline moved to 11/12/2026 17:00",
        "the unit has submitted its self-assessment",
    ]


async def test_nothing_is_sent_in_quiet_hours(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    await scheduler.planner.plan(clock.now())
    clock.set(local(2026, 11, 24, 21, 30))  # the sender was busy (or down) until 21:30
    report = await scheduler.sender.run()
    assert report.postponed == 3 and telegram.sent == []
    rows = await Reminder.filter(kind="self_assessment")
    assert {r.next_attempt_at for r in rows} == {local(2026, 11, 25, 7, 0)}
    clock.set(local(2026, 11, 25, 7, 0))
    assert (await scheduler.sender.run()).sent == 3


async def test_a_blocked_bot_is_recorded_for_the_progress_board(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.script = [Unreachable("Forbidden: bot was blocked by the user", blocked=True)]
    telegram.script += [None, None]
    report = await scheduler.tick()
    assert report.send.blocked == 1 and report.send.sent == 2
    blocked = await Reminder.get(status=ReminderStatus.blocked)
    officer = await Officer.get(id=int(blocked.recipient.split(":")[1]))
    assert officer.bot_blocked_at == clock.now()
    assert await AuditEvent.filter(action="officer.bot_blocked", entity_id=str(officer.id)).exists()
    # later reminders to that officer are not even tried
    clock.set(local(2026, 11, 28, 17, 0))
    calls = telegram.calls
    report = await scheduler.tick()
    assert telegram.calls == calls + 2 and report.send.sent == 2


async def test_failures_are_retried_with_backoff_then_marked_failed(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.fail_with = DeliveryError("502 Bad Gateway")
    await scheduler.tick()
    rows = await Reminder.filter(kind="self_assessment")
    assert {(r.status, r.attempts) for r in rows} == {(ReminderStatus.planned, 1)}
    assert {r.next_attempt_at for r in rows} == {clock.now() + timedelta(seconds=60)}
    # a retry more than a tick away ends the run; one a second away is waited for
    clock.advance(59)
    first_retry = clock.now() + timedelta(seconds=1)
    assert (await scheduler.sender.run()).retried == 3
    rows = await Reminder.filter(kind="self_assessment")
    assert {(r.status, r.attempts) for r in rows} == {(ReminderStatus.planned, 2)}
    assert {r.next_attempt_at for r in rows} == {first_retry + timedelta(seconds=120)}
    clock.advance(120)
    report = await scheduler.sender.run()
    assert report.failed == 3  # max_attempts = 3
    assert await statuses() == {"failed": 3}
    errors = {r.last_error for r in await Reminder.filter(kind="self_assessment")}
    assert errors == {"delivery error: 502 Bad Gateway"}


async def test_a_storm_of_429s_is_respected_and_loses_nothing(db: str) -> None:
    world = await build_world(units=20)
    clock = FakeClock(local(2026, 11, 24, 17, 0))
    telegram = FakeTelegram(clock)
    # for a while every other call is refused with a retry_after of 1 to 4 seconds
    telegram.script = [RetryAfter(1 + i % 4) if i % 2 == 0 else None for i in range(30)]
    config = SchedulerConfig(worker="storm", rate_overall=30, max_attempts=2)
    scheduler = make_scheduler(telegram, config, clock)
    grants: list[float] = []  # when the limiter let a message go
    pauses: list[tuple[float, float]] = []
    original = telegram.notify
    try_acquire = scheduler.limiter.try_acquire

    async def noting(chat: str) -> float:
        wait = await try_acquire(chat)
        if wait == 0:
            grants.append(clock.monotonic())
        return wait

    async def notify(notice):  # note every pause Telegram asked for
        try:
            return await original(notice)
        except RetryAfter as exc:
            pauses.append((clock.monotonic(), clock.monotonic() + exc.retry_after))
            raise

    scheduler.limiter.try_acquire = noting  # type: ignore[method-assign]
    telegram.notify = notify  # type: ignore[method-assign]
    for _ in range(60):
        await scheduler.tick()
        if len(telegram.sent) == 20:
            break
        clock.advance(1)
    assert len(pauses) == 15
    # every officer got exactly one reminder, none lost, none counted as a failed attempt
    assert sorted(telegram.officers) == sorted(o.id for u in world.focal.values() for o in u)
    assert await statuses() == {"sent": 20}
    assert {r.attempts for r in await Reminder.filter(kind="self_assessment")} == {1}
    # nothing was let through while a retry_after was running
    for began, ends in pauses:
        assert not [t for t in grants if began < t < ends]


async def test_the_limiter_keeps_both_limits(db: str) -> None:
    world = await build_world(units=40)
    clock = FakeClock(local(2026, 11, 24, 17, 0))
    telegram = FakeTelegram(clock)
    config = SchedulerConfig(worker="pace", rate_overall=10, rate_per_chat=1, burst_seconds=0.2)
    scheduler = make_scheduler(telegram, config, clock)
    await scheduler.planner.plan(clock.now())
    # one chat also gets several lock notices at once: the per-chat limit must space them
    officer = world.focal["U1"][0]
    for n in range(3):
        await Reminder.create(
            kind="locked",
            recipient=f"officer:{officer.id}",
            chat_id=officer.telegram_chat_id,
            subject=f"assessment:{world.sheets['U1'].id}",
            deadline_at=DEADLINE + timedelta(days=n),
            offset_key="lock",
            due_at=clock.now(),
        )
    await Assessment.filter(id=world.sheets["U1"].id).update(self_locked_at=clock.now())
    grants: list[tuple[str, float]] = []  # when the limiter let a message go, per chat
    try_acquire = scheduler.limiter.try_acquire

    async def noting(chat: str) -> float:
        wait = await try_acquire(chat)
        if wait == 0:
            grants.append((chat, clock.monotonic()))
        return wait

    scheduler.limiter.try_acquire = noting  # type: ignore[method-assign]
    report = await scheduler.sender.run()
    assert report.sent == 43 and len(grants) == 43
    times = sorted(t for _, t in grants)
    # overall: never more than rate × window + burst in any window
    for i, start in enumerate(times):
        in_window = [t for t in times[i:] if t < start + 1.0]
        assert len(in_window) <= 10 + 2
    per_chat = sorted(t for chat, t in grants if chat == str(officer.telegram_chat_id))
    assert len(per_chat) == 4
    assert all(b - a >= 0.999 for a, b in itertools.pairwise(per_chat))
    assert times[-1] - times[0] >= (43 - 2) / 10 - 0.01


async def test_after_downtime_a_planned_reminder_past_the_cutoff_is_skipped(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    await scheduler.planner.plan(clock.now())  # planned at 24/11 17:00, then the service died
    clock.set(local(2026, 11, 25, 8, 0))  # back 15 hours later, the stale cutoff is 12
    report = await scheduler.sender.run()
    assert telegram.sent == [] and report.skipped == 3
    reasons = {r.last_error for r in await Reminder.filter(kind="self_assessment")}
    assert reasons == {"stale: due at 24/11/2026 17:00, more than 12 hour(s) ago"}
