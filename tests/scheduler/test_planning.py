"""Planning puts exactly the due reminders in the ledger, once, for the people who have work."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from forms.models import Answer, Assessment, AssessmentStatus, CriteriaNode, Period
from scheduler.config import SchedulerConfig
from scheduler.models import Reminder, ReminderStatus
from scheduler.planning import Planner
from scoring.models import Review
from tests.scheduler.conftest import DEADLINE, World, build_world, local


async def ledger() -> list[tuple[str, str, str, str, str]]:
    rows = await Reminder.all().order_by("id")
    return sorted((r.kind, r.recipient, r.subject, r.offset_key, r.status.value) for r in rows)


def recipients(world: World, code: str, *, leader: bool = False) -> list[str]:
    if leader:
        return [f"officer:{world.leaders[code].id}"]
    return [f"officer:{o.id}" for o in world.focal[code]]


async def submit(world: World, code: str, at: datetime) -> None:
    await Assessment.filter(id=world.sheets[code].id).update(
        status=AssessmentStatus.submitted, submitted_at=at, self_locked_at=at
    )


@pytest.mark.parametrize(
    ("now", "offset", "kind"),
    [
        (local(2026, 11, 24, 16, 0), None, None),
        (local(2026, 11, 24, 17, 0), "-7d", "self_assessment"),
        (local(2026, 11, 28, 17, 5), "-3d", "self_assessment"),
        (local(2026, 12, 1, 15, 0), "-2h", "self_assessment"),
        (local(2026, 12, 1, 18, 0), None, None),
        (local(2026, 12, 2, 17, 0), "+1d", "self_assessment"),
    ],
)
async def test_the_latest_due_reminder_goes_to_focal_officers(
    world: World, config: SchedulerConfig, now: datetime, offset: str | None, kind: str | None
) -> None:
    report = await Planner(config).plan(now)
    rows = await ledger()
    if offset is None:
        assert [r for r in rows if r[0] != "digest"] == []
        return
    expected = [
        (kind, who, f"assessment:{world.sheets[code].id}", offset, "planned")
        for code in ("U1", "U2", "U3")
        for who in recipients(world, code)
    ]
    assert [r for r in rows if r[0] == kind] == sorted(expected)
    assert report.planned >= 3


async def test_planning_twice_plans_once(world: World, config: SchedulerConfig) -> None:
    now = local(2026, 11, 24, 17, 0)
    await Planner(config).plan(now)
    first = await ledger()
    await Planner(config).plan(now)  # a fresh instance: no memory, the database decides
    planner = Planner(config)
    await planner.plan(now + timedelta(minutes=1))
    again = await planner.plan(now + timedelta(minutes=2))
    assert await ledger() == first
    assert again.planned == 0


async def test_submitted_units_get_nothing(world: World, config: SchedulerConfig) -> None:
    await submit(world, "U2", local(2026, 11, 20, 9, 0))
    await Planner(config).plan(local(2026, 11, 24, 17, 0))
    subjects = {r[2] for r in await ledger() if r[0] == "self_assessment"}
    assert subjects == {f"assessment:{world.sheets[c].id}" for c in ("U1", "U3")}


async def test_leaders_are_escalated_from_the_first_overdue_day(
    world: World, config: SchedulerConfig
) -> None:
    await submit(world, "U1", local(2026, 11, 30, 9, 0))
    planner = Planner(config)
    await planner.plan(local(2026, 12, 1, 18, 0))
    assert not [r for r in await ledger() if r[0] == "escalation"]
    await planner.plan(local(2026, 12, 2, 17, 0))
    escalations = [r for r in await ledger() if r[0] == "escalation"]
    assert escalations == sorted(
        (
            "escalation",
            recipients(world, c, leader=True)[0],
            f"assessment:{world.sheets[c].id}",
            "+1d",
            "planned",
        )
        for c in ("U2", "U3")
    )


async def test_an_extension_moves_the_series(world: World, config: SchedulerConfig) -> None:
    extended = DEADLINE + timedelta(days=7)
    await Assessment.filter(id=world.sheets["U1"].id).update(deadline_extended_to=extended)
    planner = Planner(config)
    await planner.plan(local(2026, 12, 2, 17, 0))  # others are one day overdue
    rows = await Reminder.filter(subject=f"assessment:{world.sheets['U1'].id}")
    # U1's deadline is 08/12 17:00: on 02/12 its "-7d" (01/12 17:00) is the latest due
    assert {(r.offset_key, r.deadline_at) for r in rows} == {("-7d", extended)}
    others = await Reminder.filter(subject=f"assessment:{world.sheets['U2'].id}")
    assert {r.offset_key for r in others} == {"+1d"}


async def test_after_downtime_stale_reminders_are_recorded_as_skipped(
    world: World, config: SchedulerConfig
) -> None:
    # the service was down from before "-7d" (24/11 17:00) until 25/11 09:00: 16 hours late
    await Planner(config).plan(local(2026, 11, 25, 9, 0))
    rows = [r for r in await Reminder.all() if r.kind == "self_assessment"]
    assert {(r.offset_key, r.status) for r in rows} == {("-7d", ReminderStatus.skipped)}
    assert "stale" in rows[0].last_error
    # within the cutoff it is still worth sending
    await Reminder.all().delete()
    await Planner(config).plan(local(2026, 11, 25, 4, 0))
    assert {r.status for r in await Reminder.filter(kind="self_assessment")} == {
        ReminderStatus.planned
    }


async def test_only_officers_who_can_be_reached_are_planned(
    world: World, config: SchedulerConfig
) -> None:
    u1, u2 = world.focal["U1"][0], world.focal["U2"][0]
    u1.telegram_chat_id = None  # never connected the bot
    await u1.save()
    u2.bot_blocked_at = local(2026, 11, 1, 9, 0)
    await u2.save()
    await Planner(config).plan(local(2026, 11, 24, 17, 0))
    planned = {r[1] for r in await ledger() if r[0] == "self_assessment"}
    assert planned == set(recipients(world, "U3"))


async def test_explanation_reminders_for_open_requests_only(db: str) -> None:
    world = await build_world(units=2)
    config = SchedulerConfig(worker="t")
    due = local(2027, 1, 15, 17, 0)
    reviews = []
    for code in ("U1", "U2"):
        await Assessment.filter(id=world.sheets[code].id).update(
            status=AssessmentStatus.explanation_requested, submitted_at=DEADLINE
        )
        node = await CriteriaNode.get(code="1.1.1")
        answer = await Answer.create(assessment_id=world.sheets[code].id, node=node)
        reviews.append(
            await Review.create(
                answer=answer, round_no=1, explanation_requested=True, explanation_due_at=due
            )
        )
    # U2 has answered its request
    from scoring.models import Explanation

    await Explanation.create(review=reviews[1], text="Đã bổ sung", submitted_at=local(2027, 1, 5))
    await Planner(config).plan(local(2027, 1, 12, 17, 0))
    rows = await Reminder.filter(kind="explanation")
    assert [(r.subject, r.offset_key, r.deadline_at) for r in rows] == [
        (f"explanation:{world.sheets['U1'].id}", "-3d", due)
    ]


async def test_the_digest_is_planned_at_eight_while_units_are_behind(
    world: World, config: SchedulerConfig
) -> None:
    planner = Planner(config)
    await planner.plan(local(2026, 11, 24, 7, 59))
    assert not await Reminder.filter(kind="digest").exists()
    await planner.plan(local(2026, 11, 24, 8, 0))
    await planner.plan(local(2026, 11, 24, 9, 0))
    digests = await Reminder.filter(kind="digest")
    assert [(d.recipient, d.subject) for d in digests] == [
        ("secretariat", f"digest:{world.period.id}:2026-11-24")
    ]
    for code in ("U1", "U2", "U3"):
        await submit(world, code, local(2026, 11, 24, 10, 0))
    await planner.plan(local(2026, 11, 25, 8, 0))
    assert await Reminder.filter(kind="digest").count() == 1


async def test_moving_the_deadline_does_not_plan_a_second_digest_for_the_same_day(
    world: World, config: SchedulerConfig
) -> None:
    """The secretariat gets one digest a day, whatever happens to the period's deadline."""
    await Planner(config).plan(local(2026, 11, 24, 8, 0))
    await Period.filter(id=world.period.id).update(
        self_assessment_closes_at=DEADLINE + timedelta(days=3)
    )
    await Planner(config).plan(local(2026, 11, 24, 9, 0))
    digests = await Reminder.filter(kind="digest")
    assert [d.subject for d in digests] == [f"digest:{world.period.id}:2026-11-24"]
