"""Locks at deadlines, per-unit extensions, and the unit being told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.audit import Actor
from core.models import AuditEvent, Channel
from forms.answers import LockedError, record_answer
from forms.models import Answer, Assessment, AssessmentStatus, CriteriaNode
from scheduler.models import Reminder
from scheduler.ticker import Scheduler
from scoring.models import Review
from tests.scheduler.conftest import DEADLINE, FakeClock, FakeTelegram, World, local


async def test_self_assessment_locks_at_the_deadline_respecting_extensions(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    extended = DEADLINE + timedelta(days=3)
    await Assessment.filter(id=world.sheets["U1"].id).update(deadline_extended_to=extended)
    await Assessment.filter(id=world.sheets["U2"].id).update(
        status=AssessmentStatus.submitted, submitted_at=DEADLINE - timedelta(days=1)
    )
    clock.set(DEADLINE - timedelta(seconds=1))
    assert (await scheduler.tick()).locks.locked == []

    clock.set(DEADLINE)
    telegram.sent.clear()
    report = await scheduler.tick()
    assert report.locks.locked == [world.sheets["U3"].id]
    u3 = await world.sheet("U3")
    assert u3.self_locked_at == DEADLINE and u3.status == AssessmentStatus.draft
    assert (await world.sheet("U1")).self_locked_at is None  # its deadline is 3 days later
    assert (await world.sheet("U2")).self_locked_at is None  # submitted: nothing to lock
    event = await AuditEvent.get(action="assessment.autolock")
    assert (event.entity_id, event.channel, event.actor_name) == (
        str(u3.id),
        Channel.scheduler,
        "scheduler",
    )
    # the unit is told: its focal officer and its leader
    told = sorted(s.notice.officer_id for s in telegram.sent if s.notice.kind == "locked")
    assert told == sorted([world.focal["U3"][0].id, world.leaders["U3"].id])
    text = next(s.notice for s in telegram.sent if s.notice.kind == "locked").msg.render("vi")
    assert text.startswith("Đã hết hạn tự đánh giá của Sở số 3 (01/12/2026 17:00)")
    # the officer can no longer change the sheet
    officer = world.focal["U3"][0]
    with pytest.raises(LockedError):
        await record_answer(
            Actor("officer", officer.id, officer.full_name, Channel.bot),
            u3.id,
            "1.1.2",
            expected_version=0,
            declared={"value": True},
            now=clock.now(),
        )
    # locking again changes nothing and tells nobody twice
    again = await scheduler.tick()
    assert again.locks.locked == [] and again.send.sent == 0

    clock.set(extended)
    assert (await scheduler.tick()).locks.locked == [world.sheets["U1"].id]


async def test_an_extension_after_the_lock_reopens_the_sheet_and_moves_reminders(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    clock.set(DEADLINE)
    await scheduler.tick()
    assert (await world.sheet("U1")).self_locked_at is not None
    # the secretariat approves U1's extension request (another service writes the new date)
    new_deadline = local(2026, 12, 8, 17, 0)
    await Assessment.filter(id=world.sheets["U1"].id).update(deadline_extended_to=new_deadline)
    clock.set(local(2026, 12, 2, 9, 0))
    report = await scheduler.tick()
    assert report.locks.unlocked == [world.sheets["U1"].id]
    assert (await world.sheet("U1")).self_locked_at is None
    assert await AuditEvent.filter(action="assessment.autounlock").count() == 1
    # its reminders now follow the new deadline ("-7d" of 08/12 is 01/12 17:00)
    rows = await Reminder.filter(
        kind="self_assessment", subject=f"assessment:{world.sheets['U1'].id}"
    ).order_by("id")
    assert (rows[-1].offset_key, rows[-1].deadline_at) == ("-7d", new_deadline)
    # and the lock comes back at the new deadline
    clock.set(local(2026, 12, 8, 17, 0))
    assert world.sheets["U1"].id in (await scheduler.tick()).locks.locked


async def test_explanations_lock_at_their_due_time(
    world: World, scheduler: Scheduler, telegram: FakeTelegram, clock: FakeClock
) -> None:
    due = local(2027, 1, 15, 17, 0)
    sheet = world.sheets["U1"]
    await Assessment.filter(id=sheet.id).update(
        status=AssessmentStatus.explanation_requested, submitted_at=DEADLINE
    )
    node = await CriteriaNode.get(code="1.1.1")
    answer = await Answer.create(assessment_id=sheet.id, node=node)
    review = await Review.create(
        answer=answer, round_no=1, explanation_requested=True, explanation_due_at=due
    )
    clock.set(local(2027, 1, 12, 17, 0))
    telegram.sent.clear()
    await scheduler.tick()
    reminder = next(s.notice for s in telegram.sent if s.notice.kind == "reminder")
    assert reminder.payload == {"assessment_id": sheet.id, "review_id": review.id, "item": "1.1.1"}
    assert reminder.msg.render("vi") == (
        "Nhắc việc: Sở số 1 còn 1 đề nghị giải trình của Tổ thẩm định cần trả lời trước "
        "15/01/2027 17:00."
    )

    clock.set(due)
    telegram.sent.clear()
    report = await scheduler.tick()
    assert report.locks.explanations_locked == [sheet.id]
    assert (await world.sheet("U1")).explanation_locked_at == due
    assert [s.notice.kind for s in telegram.sent].count("locked") == 2  # focal and leader

    # the appraisal team asks again with a later due time: the lock is lifted
    node2 = await CriteriaNode.get(code="1.1.2")
    answer2 = await Answer.create(assessment_id=sheet.id, node=node2)
    await Review.create(
        answer=answer2,
        round_no=1,
        explanation_requested=True,
        explanation_due_at=due + timedelta(days=5),
    )
    clock.advance(3600)
    report = await scheduler.tick()
    assert report.locks.explanations_unlocked == [sheet.id]
    assert (await world.sheet("U1")).explanation_locked_at is None
