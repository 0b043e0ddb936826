"""A restart in the middle of delivery: claimed-but-unsent reminders are recovered after the
claim timeout, sent ones are never sent again, and the one window (Telegram accepted, the
commit did not happen) costs at most that one message, sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import Counter
from datetime import timedelta

import pytest

from core.notify import Notice
from scheduler.config import SchedulerConfig
from scheduler.models import Reminder, ReminderStatus
from tests.scheduler.conftest import (
    FakeClock,
    FakeTelegram,
    Sent,
    build_world,
    local,
    make_scheduler,
)
from tests.waiting import happens


class DyingTelegram(FakeTelegram):
    """Freezes the process at call number ``die_at``: after Telegram accepted the message
    (``accepted=True``, the documented window) or before it reached Telegram."""

    def __init__(self, clock: FakeClock, *, die_at: int, accepted: bool) -> None:
        super().__init__(clock)
        self.die_at = die_at
        self.accepted = accepted
        self.frozen = asyncio.Event()
        self.dead = False

    async def notify(self, notice: Notice) -> int | None:
        if not self.dead and self.calls + 1 == self.die_at:
            self.calls += 1
            if self.accepted:
                self.sent.append(Sent(notice, self.clock.now(), self.clock.monotonic()))
            self.dead = True
            self.frozen.set()
            await asyncio.Future()  # the process is gone: nothing after this line runs
        return await super().notify(notice)


async def crash_during_delivery(telegram: DyingTelegram, config: SchedulerConfig, clock) -> None:
    scheduler = make_scheduler(telegram, config, clock)
    tick = asyncio.create_task(scheduler.tick())
    await happens(telegram.frozen, f"delivery number {telegram.die_at} reaching the channel")
    tick.cancel()  # SIGKILL: no handler, no commit
    with contextlib.suppress(asyncio.CancelledError):
        await tick


@pytest.mark.parametrize("accepted", [True, False], ids=["after-accept", "before-send"])
async def test_a_restart_in_the_middle_of_delivery(db: str, accepted: bool) -> None:
    world = await build_world(units=10)
    officers = [o.id for unit in world.focal.values() for o in unit]
    clock = FakeClock(local(2026, 11, 24, 17, 0))
    config = SchedulerConfig(
        worker="first", concurrency=1, claim_timeout=timedelta(minutes=2), rate_overall=30
    )
    telegram = DyingTelegram(clock, die_at=4, accepted=accepted)
    await crash_during_delivery(telegram, config, clock)

    rows = await Reminder.filter(kind="self_assessment").order_by("due_at", "id")
    assert [r.status for r in rows].count(ReminderStatus.sent) == 3
    assert [r.status for r in rows].count(ReminderStatus.claimed) == 7  # left by the dead worker
    before = Counter(s.notice.officer_id for s in telegram.sent)

    # the service restarts a minute later: the dead worker's claims are not yet expired
    clock.advance(60)
    restarted = make_scheduler(telegram, dataclasses.replace(config, worker="second"), clock)
    assert (await restarted.tick()).send.sent == 0
    # after the claim timeout they are taken over and sent
    clock.advance(61)
    report = await restarted.tick()
    assert report.send.sent == 7

    received = Counter(s.notice.officer_id for s in telegram.sent)
    assert set(received) == set(officers), "no reminder is lost"
    duplicates = {o: n for o, n in received.items() if n > 1}
    if accepted:
        # exactly the message caught in the window, once more; nothing sent before it
        assert list(duplicates.values()) == [2]
        assert before[next(iter(duplicates))] == 1
    else:
        assert duplicates == {}
    assert {r.status for r in await Reminder.filter(kind="self_assessment")} == {
        ReminderStatus.sent
    }
    # reminders sent before the crash were not sent again
    first_three = [r for r in rows if r.status == ReminderStatus.sent]
    assert all(received[int(r.recipient.split(":")[1])] == 1 for r in first_three)


async def test_a_graceful_stop_finishes_the_deliveries_in_flight(db: str) -> None:
    await build_world(units=5)
    clock = FakeClock(local(2026, 11, 24, 17, 0))
    telegram = FakeTelegram(clock)
    config = SchedulerConfig(worker="graceful", concurrency=2)
    scheduler = make_scheduler(telegram, config, clock)
    original = telegram.notify

    async def notify(notice):
        scheduler._stopping = True  # stop() was called while this message was in flight
        return await original(notice)

    telegram.notify = notify  # type: ignore[method-assign]
    report = await scheduler.tick()
    rows = await Reminder.filter(kind="self_assessment")
    claimed_or_sent = {r.status for r in rows}
    assert ReminderStatus.claimed not in claimed_or_sent
    assert report.send.sent == len(telegram.sent) > 0
