"""Planning: write into the ledger the reminders that are due now, once.

Every tick, for every open period, the planner works out each series (one recipient, one
subject, one deadline) and inserts the **latest** reminder of it that is already due, unless
the ledger has it. Uniqueness of (recipient, subject, deadline, offset) makes this idempotent:
planning twice, or on two instances, never plans twice. Nothing is planned ahead of time, so a
unit that submits or gets an extension simply stops producing rows (rows planned for the old
deadline are skipped at sending).

Who gets what:

* ``self_assessment``: the focal officers of every unit that has not submitted, before the
  deadline (its own extended one, if any) and daily after it;
* ``escalation``: the unit leaders of those units, daily from the first overdue day;
* ``explanation``: the focal officers of units with explanation requests left unanswered,
  before the requests' due time (explanations lock at it, so nothing after);
* ``digest``: the secretariat, at 08:00 local, while any unit is behind;
* ``published`` and ``round2``: every officer of the unit (focal and leader), once, when the
  period's results are published and when round 2 of the unit's appraisal is finished
  (:mod:`scheduler.outcomes`).

Only officers who have connected the bot and not blocked it are planned for. A series whose
latest due reminder is older than the stale cutoff (the service was down) is recorded as
skipped, not sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.i18n import Msg
from core.models import OfficerRole
from forms.models import Assessment, AssessmentStatus, Period, PeriodStatus
from scheduler import messages as m
from scheduler.config import SchedulerConfig
from scheduler.delivery import (
    DIGEST,
    ESCALATION,
    EXPLANATION,
    SECRETARIAT,
    SELF,
    assessment_subject,
    explanation_subject,
    officer_recipient,
    unit_officers,
)
from scheduler.digests import anyone_behind, digest_day_start, digest_subject
from scheduler.ledger import Ledger, key_of
from scheduler.models import Reminder, ReminderStatus
from scheduler.outcomes import (
    PUBLISHED,
    PUBLISHED_OFFSET,
    ROUND2,
    ROUND2_OFFSET,
    published_subject,
    round2_subject,
)
from scheduler.policy import (
    Policy,
    Slot,
    escalation_slots,
    explanation_slots,
    latest_due,
    self_assessment_slots,
)
from scoring.models import Explanation, Review

DIGEST_OFFSET = "digest"
_KNOWN_MAX = 200_000


@dataclass
class PlanReport:
    planned: int = 0
    stale: int = 0
    rows: list[Reminder] = field(default_factory=list)  # new rows (all of them on a dry run)


async def open_periods() -> list[Period]:
    return list(await Period.filter(status=PeriodStatus.open, published_at__isnull=True))


class Planner:
    """Keeps the keys it has already seen in memory, so a steady-state tick asks the database
    only about reminders that just became due."""

    def __init__(self, config: SchedulerConfig, ledger: Ledger | None = None) -> None:
        self.config = config
        self.ledger = ledger or Ledger(config.worker)
        self._known: set[tuple[str, str, float, str]] = set()

    async def plan(self, now: datetime, *, write: bool = True) -> PlanReport:
        rows: list[Reminder] = []
        for period in await open_periods():
            policy = Policy.from_json(period.reminder_policy)
            rows += await self._self_assessment(period, policy, now)
            rows += await self._explanations(period, policy, now)
            rows += await self._digest(period, policy, now)
            rows += await self._round2(period, now)
        rows += await self._published(now)
        fresh = [r for r in rows if _norm(r) not in self._known]
        present = await self.ledger.existing(key_of(r) for r in fresh)
        new = [r for r in fresh if _norm(r) not in present]
        report = PlanReport(rows=new)
        report.stale = sum(1 for r in new if r.status == ReminderStatus.skipped)
        report.planned = len(new) - report.stale
        if not write:
            return report
        await self.ledger.insert(new)
        if len(self._known) > _KNOWN_MAX:
            self._known.clear()
        self._known.update(_norm(r) for r in fresh)
        return report

    def _row(
        self,
        kind: str,
        officer: dict[str, object],
        subject: str,
        deadline: datetime,
        slot: Slot,
        now: datetime,
    ) -> Reminder | None:
        """The ledger row for one recipient's due slot, or None when this planner has already
        seen that key (no model is built: a steady-state tick stays cheap)."""
        recipient = officer_recipient(int(officer["id"]))  # type: ignore[call-overload]
        if (recipient, subject, deadline.timestamp(), slot.key) in self._known:
            return None
        stale = now - slot.due_at > self.config.stale_after
        reason = ""
        if stale:
            hours = m.hours(self.config.stale_after)
            due = slot.due_at.astimezone(self.config.tz).strftime("%d/%m/%Y %H:%M")
            reason = Msg(m.SKIP_STALE, due=due, hours=hours).render("en")
        return Reminder(
            kind=kind,
            recipient=recipient,
            chat_id=officer["telegram_chat_id"],
            subject=subject,
            deadline_at=deadline,
            offset_key=slot.key,
            due_at=slot.due_at,
            status=ReminderStatus.skipped if stale else ReminderStatus.planned,
            last_error=reason,
        )

    async def _self_assessment(
        self, period: Period, policy: Policy, now: datetime
    ) -> list[Reminder]:
        if now < period.self_assessment_opens_at:
            return []
        sheets = await Assessment.filter(
            period_id=period.id, status=AssessmentStatus.draft, submitted_at__isnull=True
        ).values("id", "unit_id", "deadline_extended_to")
        tz = self.config.tz
        series: dict[datetime, tuple[Slot | None, Slot | None]] = {}
        due_sheets: list[tuple[dict[str, Any], datetime, Slot | None, Slot | None]] = []
        for sheet in sheets:
            # as forms.answers.self_assessment_window: the unit's extension, else the period's
            deadline = sheet["deadline_extended_to"] or period.self_assessment_closes_at
            if deadline not in series:
                mine = self_assessment_slots(
                    policy, deadline, tz, opens_at=period.self_assessment_opens_at
                )
                leader = escalation_slots(policy, deadline, tz)
                series[deadline] = (
                    latest_due(mine, now, deadline),
                    latest_due(leader, now, deadline),
                )
            focal, escalate = series[deadline]
            if focal or escalate:
                due_sheets.append((sheet, deadline, focal, escalate))
        if not due_sheets:
            return []
        people = await unit_officers(sorted({int(s["unit_id"]) for s, *_ in due_sheets}))
        rows: list[Reminder | None] = []
        for sheet, deadline, focal, escalate in due_sheets:
            subject = assessment_subject(int(sheet["id"]))
            for officer in people.get(int(sheet["unit_id"]), []):
                if officer["role"] == OfficerRole.leader:
                    if escalate is not None:
                        rows.append(
                            self._row(ESCALATION, officer, subject, deadline, escalate, now)
                        )
                elif focal is not None:
                    rows.append(self._row(SELF, officer, subject, deadline, focal, now))
        return [r for r in rows if r is not None]

    async def _explanations(self, period: Period, policy: Policy, now: datetime) -> list[Reminder]:
        reviews = await Review.filter(
            explanation_requested=True,
            answer__assessment__period_id=period.id,
            answer__assessment__explanation_locked_at__isnull=True,
        ).values("id", "explanation_due_at", "updated_at", "answer__assessment_id")
        if not reviews:
            return []
        answered = set(
            await Explanation.filter(
                review_id__in=[r["id"] for r in reviews], submitted_at__not_isnull=True
            ).values_list("review_id", flat=True)
        )
        groups: dict[tuple[int, datetime], datetime] = {}
        for review in reviews:
            due = review["explanation_due_at"] or period.explanation_due_at
            if review["id"] in answered or due is None or due <= now:
                continue
            key = (int(review["answer__assessment_id"]), due)
            asked = review["updated_at"]
            groups[key] = min(groups.get(key, asked), asked)
        if not groups:
            return []
        sheets = {a.id: a for a in await Assessment.filter(id__in=sorted({k[0] for k in groups}))}
        people = await unit_officers(
            sorted({a.unit_id for a in sheets.values()}),  # type: ignore[attr-defined]
            roles=(OfficerRole.focal,),
        )
        rows: list[Reminder | None] = []
        by_unit: dict[int, list[dict[str, object]]] = defaultdict(list, people)
        for (sheet_id, due), asked in sorted(groups.items()):
            slot = latest_due(
                explanation_slots(policy, due, self.config.tz, not_before=asked), now, due
            )
            if slot is None:
                continue
            subject = explanation_subject(sheet_id)
            for officer in by_unit[sheets[sheet_id].unit_id]:  # type: ignore[attr-defined]
                rows.append(self._row(EXPLANATION, officer, subject, due, slot, now))
        return [r for r in rows if r is not None]

    async def _digest(self, period: Period, policy: Policy, now: datetime) -> list[Reminder]:
        if now < period.self_assessment_opens_at:
            return []
        today = now.astimezone(self.config.tz).date()
        due = policy.digest_at(today, self.config.tz)
        if due is None or due > now:
            return []
        subject = digest_subject(period.id, today)
        row = Reminder(
            kind=DIGEST,
            recipient=SECRETARIAT,
            subject=subject,
            # The day, not the period's deadline: the ledger's unique key then holds one digest
            # per day even when the deadline moves after it was planned.
            deadline_at=digest_day_start(today, self.config.tz),
            offset_key=DIGEST_OFFSET,
            due_at=due,
            status=ReminderStatus.planned,
        )
        if _norm(row) in self._known or not await anyone_behind(period):
            return []
        return [row]

    async def _to_officers(
        self,
        kind: str,
        sheets: dict[int, tuple[int, datetime]],
        subject: Callable[[int], str],
        offset: str,
        now: datetime,
        *,
        due_when_settled: bool,
    ) -> list[Reminder]:
        """One row per officer of each sheet's unit, focal officers and leaders alike (sheet id
        → (unit id, settled at)). The moment the outcome was settled is the row's deadline (its
        identity). It is due then (``due_when_settled``: a publication, never later than now)
        or now, when the planner first sees it (round 2: a sheet may be appraised, and so become
        due, days after its round-2 score, which must not make the notice stale)."""
        if not sheets:
            return []
        people = await unit_officers(sorted({unit for unit, _ in sheets.values()}))
        rows: list[Reminder | None] = []
        for sheet_id, (unit_id, settled) in sorted(sheets.items()):
            slot = Slot(offset, min(settled, now) if due_when_settled else now, False)
            for officer in people.get(unit_id, []):
                rows.append(self._row(kind, officer, subject(sheet_id), settled, slot, now))
        return [r for r in rows if r is not None]

    async def _published(self, now: datetime) -> list[Reminder]:
        """Periods published within the stale cutoff: every unit's officers hear the result."""
        rows: list[Reminder] = []
        for period in await Period.filter(
            published_at__gte=now - self.config.stale_after, published_at__lte=now
        ):
            assert period.published_at is not None
            sheets = {
                int(s["id"]): (int(s["unit_id"]), period.published_at)
                for s in await Assessment.filter(period_id=period.id).values("id", "unit_id")
            }
            rows += await self._to_officers(
                PUBLISHED, sheets, published_subject, PUBLISHED_OFFSET, now, due_when_settled=True
            )
        return rows

    async def _round2(self, period: Period, now: datetime) -> list[Reminder]:
        """Sheets appraised again after round 2: settled at their latest round-2 score."""
        settled: dict[int, tuple[int, datetime]] = {}
        for sheet_id, unit_id, at in await Review.filter(
            round_no=2,
            answer__assessment__period_id=period.id,
            answer__assessment__status=AssessmentStatus.appraised,
        ).values_list("answer__assessment_id", "answer__assessment__unit_id", "updated_at"):
            known = settled.get(sheet_id)
            if known is None or at > known[1]:
                settled[int(sheet_id)] = (int(unit_id), at)
        return await self._to_officers(
            ROUND2, settled, round2_subject, ROUND2_OFFSET, now, due_when_settled=False
        )


def _norm(row: Reminder) -> tuple[str, str, float, str]:
    return (row.recipient, row.subject, row.deadline_at.timestamp(), row.offset_key)
