"""Locking at deadlines, the way the existing provincial software's cron job does, and
unlocking when a deadline moves.

* **Self-assessment**: a sheet not submitted by its deadline (the unit's extension, if any,
  else the period's) gets ``self_locked_at``; its status stays ``draft``, because the unit did
  not submit: appraisers see "locked, not submitted" (``scoring.appraisal`` treats a locked
  draft as closed), and the answer service refuses further changes.
* **Explanations**: once every explanation request of a sheet is past its due time the sheet
  gets ``explanation_locked_at``.
* **Deadline moved** (an approved extension, a later period deadline, a new explanation
  request): a lock that the new deadline makes premature is lifted, so "approval moves that
  unit's reminders and lock" holds whichever service recorded the approval.

Each change is a compare-and-set on the sheet, writes an audit event, and plans a ``locked``
notice for the unit's officers in the same transaction; the sender delivers it like any
reminder (exactly once, rate-limited, never in quiet hours).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from core.audit import record
from forms.answers import self_assessment_window
from forms.models import Assessment, AssessmentStatus, Period
from scheduler.config import SchedulerConfig
from scheduler.delivery import (
    LOCKED,
    assessment_subject,
    explanation_subject,
    officer_recipient,
    unit_officers,
)
from scheduler.digests import SCHEDULER
from scheduler.models import Reminder, ReminderStatus
from scheduler.planning import open_periods
from scheduler.policy import Policy
from scoring.models import Review

LOCK_OFFSET = "lock"


@dataclass
class LockReport:
    locked: list[int] = field(default_factory=list)
    unlocked: list[int] = field(default_factory=list)
    explanations_locked: list[int] = field(default_factory=list)
    explanations_unlocked: list[int] = field(default_factory=list)

    @property
    def changed(self) -> int:
        lists = (self.locked, self.unlocked, self.explanations_locked, self.explanations_unlocked)
        return sum(len(x) for x in lists)


async def autolock(now: datetime, config: SchedulerConfig, *, write: bool = True) -> LockReport:
    """Apply (or, with ``write=False``, only list) the locks and unlocks due at ``now``."""
    report = LockReport()
    for period in await open_periods():
        policy = Policy.from_json(period.reminder_policy)
        await _self_assessment(period, policy, now, config, report, write)
        await _explanations(period, policy, now, config, report, write)
    return report


@dataclass(frozen=True)
class _Lock:
    """One of the two locks of a sheet: its column, and how the audit and notices name it."""

    column: str
    when: str  # the key of the deadline in the audit event
    action: str
    lock_reason: str
    unlock_reason: str
    subject: Callable[[int], str]
    where: dict[str, Any]


_SELF = _Lock(
    "self_locked_at",
    "deadline",
    "assessment.autolock",
    "self-assessment deadline passed without submission",
    "the unit's deadline moved after the automatic lock",
    assessment_subject,
    {"status": AssessmentStatus.draft},
)
_EXPLANATIONS = _Lock(
    "explanation_locked_at",
    "due",
    "assessment.explanations_autolock",
    "explanation deadline passed",
    "an explanation request is due later than the lock",
    explanation_subject,
    {},
)


async def _self_assessment(
    period: Period,
    policy: Policy,
    now: datetime,
    config: SchedulerConfig,
    report: LockReport,
    write: bool,
) -> None:
    drafts = await Assessment.filter(
        period_id=period.id, status=AssessmentStatus.draft, submitted_at__isnull=True
    )
    to_lock: list[tuple[Assessment, datetime]] = []
    for sheet in drafts:
        deadline = self_assessment_window(period, sheet).closes_at
        if sheet.self_locked_at is None and deadline <= now:
            to_lock.append((sheet, deadline))
        elif sheet.self_locked_at is not None and deadline > now:
            if await Review.filter(answer__assessment_id=sheet.id).exists():
                continue  # appraisal has begun: only an administrator reopens (scoring.unlock)
            report.unlocked.append(sheet.id)
            if write:
                await _unlock(_SELF, sheet, deadline)
    await _lock(_SELF, to_lock, policy, now, config, report.locked, write)


async def _explanations(
    period: Period,
    policy: Policy,
    now: datetime,
    config: SchedulerConfig,
    report: LockReport,
    write: bool,
) -> None:
    rows = await Review.filter(
        explanation_requested=True, answer__assessment__period_id=period.id
    ).values("explanation_due_at", "answer__assessment_id")
    dues: dict[int, list[datetime | None]] = defaultdict(list)
    for row in rows:
        dues[int(row["answer__assessment_id"])].append(
            row["explanation_due_at"] or period.explanation_due_at
        )
    if not dues:
        return
    sheets = await Assessment.filter(id__in=sorted(dues))
    to_lock: list[tuple[Assessment, datetime]] = []
    for sheet in sheets:
        times = dues[sheet.id]
        if None in times:
            continue  # a request without a due time never locks by itself
        last: datetime = max(t for t in times if t is not None)
        if sheet.explanation_locked_at is None and last <= now:
            to_lock.append((sheet, last))
        elif sheet.explanation_locked_at is not None and last > now:
            report.explanations_unlocked.append(sheet.id)
            if write:
                await _unlock(_EXPLANATIONS, sheet, last)
    await _lock(_EXPLANATIONS, to_lock, policy, now, config, report.explanations_locked, write)


async def _lock(
    lock: _Lock,
    to_lock: list[tuple[Assessment, datetime]],
    policy: Policy,
    now: datetime,
    config: SchedulerConfig,
    locked: list[int],
    write: bool,
) -> None:
    if not to_lock:
        return
    people = await unit_officers(sorted({s.unit_id for s, _ in to_lock}))  # type: ignore[attr-defined]
    notify_at = policy.next_allowed(now, config.tz)
    for sheet, deadline in to_lock:
        if not write:
            locked.append(sheet.id)
            continue
        async with in_transaction():
            changed = await Assessment.filter(
                id=sheet.id, **lock.where, **{f"{lock.column}__isnull": True}
            ).update(**{lock.column: now})
            if not changed:
                continue
            await record(
                SCHEDULER,
                lock.action,
                "assessment",
                sheet.id,
                unit_id=sheet.unit_id,  # type: ignore[attr-defined]
                old={lock.column: None},
                new={lock.column: now, lock.when: deadline},
                reason=lock.lock_reason,
            )
            await _plan_notices(
                people.get(sheet.unit_id, []),  # type: ignore[attr-defined]
                lock.subject(sheet.id),
                deadline,
                notify_at,
            )
        locked.append(sheet.id)


async def _unlock(lock: _Lock, sheet: Assessment, deadline: datetime) -> None:
    was = getattr(sheet, lock.column)
    async with in_transaction():
        changed = await Assessment.filter(id=sheet.id, **lock.where, **{lock.column: was}).update(
            **{lock.column: None}
        )
        if changed:
            await record(
                SCHEDULER,
                lock.action.replace("lock", "unlock"),
                "assessment",
                sheet.id,
                unit_id=sheet.unit_id,  # type: ignore[attr-defined]
                old={lock.column: was},
                new={lock.column: None, lock.when: deadline},
                reason=lock.unlock_reason,
            )


async def _plan_notices(
    officers: list[dict[str, object]], subject: str, deadline: datetime, due_at: datetime
) -> None:
    rows = [
        Reminder(
            kind=LOCKED,
            recipient=officer_recipient(int(o["id"])),  # type: ignore[call-overload]
            chat_id=o["telegram_chat_id"],
            subject=subject,
            deadline_at=deadline,
            offset_key=LOCK_OFFSET,
            due_at=due_at,
            status=ReminderStatus.planned,
        )
        for o in officers
    ]
    if rows:
        await Reminder.bulk_create(rows, ignore_conflicts=True)
