"""Deciding, at the moment of sending, whether a reminder still makes sense, and what it says.

The ledger row was planned earlier; since then the unit may have submitted, its deadline may
have moved (an approved extension), the officer may have left or blocked the bot, or the clock
may be in quiet hours. :func:`decide` looks at the database as it is now and returns what to do;
the sender and the dry run share it, so ``cchc remind --dry-run`` shows exactly what a tick
would do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from core.i18n import Msg
from core.models import Officer, OfficerRole, Unit
from core.notify import Notice
from core.timefmt import format_datetime
from forms.answers import self_assessment_window
from forms.models import Assessment, AssessmentStatus, Period
from forms.submission import Blockers, blockers
from scheduler import messages as m
from scheduler.config import SchedulerConfig
from scheduler.models import Reminder, ReminderStatus
from scheduler.outcomes import (
    PUBLISHED,
    ROUND2,
    WHY_PUBLISHED,
    WHY_ROUND2,
    published_text,
    round2_text,
)
from scheduler.policy import Policy
from scoring.models import Explanation, Review
from scoring.publication import UnitOutcome, published_outcomes, round2_outcomes

Action = Literal["send", "skip", "block", "wait", "post"]

# reminder kinds in the ledger
SELF = "self_assessment"
ESCALATION = "escalation"
EXPLANATION = "explanation"
LOCKED = "locked"
DIGEST = "digest"
SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: Msg  # why (sent) or why not (skipped, blocked, postponed)
    notice: Notice | None = None
    chat: str | None = None  # the limiter's key
    not_before: datetime | None = None  # for "wait"
    officer_id: int | None = None

    @property
    def status(self) -> ReminderStatus:
        return {
            "skip": ReminderStatus.skipped,
            "block": ReminderStatus.blocked,
        }.get(self.action, ReminderStatus.planned)


def officer_recipient(officer_id: int) -> str:
    return f"officer:{officer_id}"


def assessment_subject(assessment_id: int) -> str:
    return f"assessment:{assessment_id}"


def explanation_subject(assessment_id: int) -> str:
    return f"explanation:{assessment_id}"


def parse_ref(text: str) -> tuple[str, int | None]:
    """ "assessment:7" → ("assessment", 7); anything malformed gives None as the id."""
    kind, _, rest = text.partition(":")
    head = rest.split(":", 1)[0]
    return kind, int(head) if head.isdigit() else None


@dataclass(frozen=True)
class OpenRequest:
    review_id: int
    item: str
    position: int
    due_at: datetime | None


@dataclass
class Context:
    """Lookups cached for one sending run (a few seconds to a tick): periods, units, what each
    sheet still lacks. Officers and sheets are read once per claimed batch (:meth:`prefetch`,
    two queries for the whole batch, just after the claim) so that during delivery the
    database is free for the marks: the shorter the time between the channel's acceptance and
    the commit, the fewer messages a crash can catch in that window."""

    config: SchedulerConfig
    _periods: dict[int, tuple[Period, Policy]] = field(default_factory=dict)
    _units: dict[int, str] = field(default_factory=dict)
    _blockers: dict[int, Blockers] = field(default_factory=dict)
    _requests: dict[int, list[OpenRequest]] = field(default_factory=dict)
    _officers: dict[int, Officer | None] = field(default_factory=dict)
    _sheets: dict[int, Assessment | None] = field(default_factory=dict)
    _outcomes: dict[int, dict[int, UnitOutcome]] = field(default_factory=dict)

    async def prefetch(self, reminders: list[Reminder]) -> None:
        """Load the officers and sheets of a freshly claimed batch (replacing older copies)."""
        officer_ids = {parse_ref(r.recipient)[1] for r in reminders} - {None}
        sheet_ids = {parse_ref(r.subject)[1] for r in reminders if r.kind != DIGEST} - {None}
        found_officers = {o.id: o for o in await Officer.filter(id__in=list(officer_ids))}
        found_sheets = {a.id: a for a in await Assessment.filter(id__in=list(sheet_ids))}
        for i in officer_ids:
            self._officers[i] = found_officers.get(i)  # type: ignore[index]
        for i in sheet_ids:
            self._sheets[i] = found_sheets.get(i)  # type: ignore[index]

    async def officer(self, officer_id: int) -> Officer | None:
        if officer_id not in self._officers:
            self._officers[officer_id] = await Officer.get_or_none(id=officer_id)
        return self._officers[officer_id]

    async def assessment(self, assessment_id: int) -> Assessment | None:
        if assessment_id not in self._sheets:
            self._sheets[assessment_id] = await Assessment.get_or_none(id=assessment_id)
        return self._sheets[assessment_id]

    def forget_officer(self, officer_id: int) -> None:
        self._officers.pop(officer_id, None)

    async def period(self, period_id: int) -> tuple[Period, Policy]:
        found = self._periods.get(period_id)
        if found is None:
            period = await Period.get(id=period_id)
            found = (period, Policy.from_json(period.reminder_policy))
            self._periods[period_id] = found
        return found

    async def outcome(self, period_id: int, unit_id: int) -> UnitOutcome | None:
        """A unit's published result; the period's snapshot is read once per run."""
        if period_id not in self._outcomes:
            self._outcomes[period_id] = await published_outcomes(period_id)
        return self._outcomes[period_id].get(unit_id)

    async def unit_name(self, unit_id: int) -> str:
        if unit_id not in self._units:
            unit = await Unit.get_or_none(id=unit_id)
            self._units[unit_id] = unit.name if unit else f"#{unit_id}"
        return self._units[unit_id]

    async def blockers(self, assessment_id: int) -> Blockers:
        if assessment_id not in self._blockers:
            self._blockers[assessment_id] = await blockers(assessment_id)
        return self._blockers[assessment_id]

    async def open_requests(self, assessment: Assessment, period: Period) -> list[OpenRequest]:
        if assessment.id not in self._requests:
            self._requests[assessment.id] = await open_requests(assessment.id, period)
        return self._requests[assessment.id]


async def open_requests(assessment_id: int, period: Period) -> list[OpenRequest]:
    """Explanation requests of one sheet still waiting for the unit's answer, item order."""
    rows = await Review.filter(
        answer__assessment_id=assessment_id, explanation_requested=True
    ).values("id", "explanation_due_at", "answer__node__code", "answer__node__position")
    if not rows:
        return []
    answered = set(
        await Explanation.filter(
            review_id__in=[r["id"] for r in rows], submitted_at__not_isnull=True
        ).values_list("review_id", flat=True)
    )
    found = [
        OpenRequest(
            r["id"],
            r["answer__node__code"],
            r["answer__node__position"],
            r["explanation_due_at"] or period.explanation_due_at,
        )
        for r in rows
        if r["id"] not in answered
    ]
    return sorted(found, key=lambda r: r.position)


def _skip(msgid: str, **params: object) -> Decision:
    return Decision("skip", Msg(msgid, **params))


async def decide(reminder: Reminder, now: datetime, ctx: Context) -> Decision:
    """What to do with ``reminder`` at ``now`` (see the module docstring)."""
    config = ctx.config
    tz = config.tz
    if reminder.kind == DIGEST:
        return Decision("post", Msg(m.WHY_DIGEST))
    reference = max(reminder.due_at, reminder.next_attempt_at or reminder.due_at)
    if now - reference > config.stale_after:
        return _skip(
            m.SKIP_STALE,
            due=format_datetime(reference, tz),
            hours=m.hours(config.stale_after),
        )
    who, officer_id = parse_ref(reminder.recipient)
    what, assessment_id = parse_ref(reminder.subject)
    officer = await ctx.officer(officer_id) if who == "officer" and officer_id else None
    assessment = await ctx.assessment(assessment_id) if assessment_id else None
    if assessment is None:
        return _skip(m.SKIP_GONE)
    if officer is None or not officer.active or officer.unit_id != assessment.unit_id:  # type: ignore[attr-defined]
        return _skip(m.SKIP_OFFICER_GONE)
    period, policy = await ctx.period(assessment.period_id)  # type: ignore[attr-defined]
    unit = await ctx.unit_name(assessment.unit_id)  # type: ignore[attr-defined]
    deadline_text = format_datetime(reminder.deadline_at, tz)
    payload: dict[str, object] = {"assessment_id": assessment.id}

    if reminder.kind in (SELF, ESCALATION):
        if assessment.status != AssessmentStatus.draft or assessment.submitted_at is not None:
            return _skip(m.SKIP_SUBMITTED)
        deadline = self_assessment_window(period, assessment).closes_at
        if deadline != reminder.deadline_at:
            return _skip(m.SKIP_DEADLINE_MOVED, deadline=format_datetime(deadline, tz))
        overdue = reminder.offset_key.startswith("+")
        if not overdue and now >= deadline:
            return _skip(m.SKIP_DEADLINE_PASSED, deadline=deadline_text)
        found = await ctx.blockers(assessment.id)
        first = (found.unanswered or found.missing_evidence or [None])[0]
        if first is not None:
            payload["item"] = first
        counts = {"todo": m.todo(len(found.unanswered), len(found.missing_evidence))}
        days = _days(reminder.offset_key)
        offset = m.duration(reminder.offset_key)
        if reminder.kind == ESCALATION:
            kind = "escalation"
            text = Msg(m.ESCALATION, unit=unit, deadline=deadline_text, days=days, **counts)
            why = Msg(m.WHY_ESCALATION, offset=offset, deadline=deadline_text)
        elif overdue:
            kind = "reminder"
            text = Msg(m.SELF_OVERDUE, unit=unit, deadline=deadline_text, days=days, **counts)
            why = Msg(m.WHY_AFTER, offset=offset, deadline=deadline_text)
        else:
            kind = "reminder"
            text = (
                Msg(m.SELF_READY, unit=unit, deadline=deadline_text)
                if found.empty
                else Msg(m.SELF_BEFORE, unit=unit, deadline=deadline_text, **counts)
            )
            why = Msg(m.WHY_BEFORE, offset=offset, deadline=deadline_text)
    elif reminder.kind == EXPLANATION:
        if assessment.explanation_locked_at is not None or now >= reminder.deadline_at:
            return _skip(m.SKIP_DEADLINE_PASSED, deadline=deadline_text)
        requests = [
            r
            for r in await ctx.open_requests(assessment, period)
            if r.due_at == reminder.deadline_at
        ]
        if not requests:
            return _skip(m.SKIP_NO_REQUEST)
        payload.update(review_id=requests[0].review_id, item=requests[0].item)
        offset = m.duration(reminder.offset_key)
        kind = "reminder"
        text = Msg(m.EXPLANATION_BEFORE, count=len(requests), unit=unit, deadline=deadline_text)
        why = Msg(m.WHY_EXPLANATION, offset=offset, deadline=deadline_text)
    elif reminder.kind == LOCKED:
        kind = "locked"
        if what == "explanation":
            if assessment.explanation_locked_at is None:
                return _skip(m.SKIP_NOT_LOCKED)
            text = Msg(m.LOCKED_EXPLANATION, unit=unit, deadline=deadline_text)
            why = Msg(m.WHY_LOCKED_EXPLANATION, deadline=deadline_text)
        else:
            if assessment.self_locked_at is None or assessment.status != AssessmentStatus.draft:
                return _skip(m.SKIP_NOT_LOCKED)
            found = await ctx.blockers(assessment.id)
            text = Msg(
                m.LOCKED_SELF,
                unit=unit,
                deadline=deadline_text,
                todo=m.todo(len(found.unanswered), len(found.missing_evidence)),
            )
            why = Msg(m.WHY_LOCKED_SELF, deadline=deadline_text)
    elif reminder.kind == PUBLISHED:
        outcome = await ctx.outcome(assessment.period_id, assessment.unit_id)  # type: ignore[attr-defined]
        if outcome is None:
            return _skip(m.SKIP_GONE)
        kind, payload = PUBLISHED, {}  # the period is over: no button back into the sheet
        text = published_text(outcome, f"{config.public_url}/web/o/scorecard.xlsx")
        why = Msg(WHY_PUBLISHED)
    elif reminder.kind == ROUND2:
        items = await round2_outcomes(assessment.id)
        if not items:
            return _skip(m.SKIP_GONE)
        kind = ROUND2
        payload["item"] = items[0].code
        text = round2_text(unit, items)
        why = Msg(WHY_ROUND2)
    else:
        return _skip(m.SKIP_GONE)

    if officer.bot_blocked_at is not None:
        return Decision("block", Msg(m.SKIP_BLOCKED), officer_id=officer.id)
    if officer.telegram_chat_id is None:
        return _skip(m.SKIP_NOT_BOUND)
    if policy.is_quiet(now, tz):
        later = policy.next_allowed(now, tz)
        return Decision(
            "wait", Msg(m.WAIT_QUIET, when=format_datetime(later, tz)), not_before=later
        )
    if reminder.attempts and reminder.last_error:
        why = Msg(m.WHY_RETRY, attempt=reminder.attempts + 1, error=reminder.last_error)
    return Decision(
        "send",
        why,
        notice=Notice(officer.id, kind, text, payload),
        chat=str(officer.telegram_chat_id),
        officer_id=officer.id,
    )


def _days(offset_key: str) -> int:
    try:
        return int(offset_key[1:-1]) if offset_key.endswith("d") else 0
    except ValueError:
        return 0


async def unit_officers(
    unit_ids: list[int], roles: tuple[OfficerRole, ...] | None = None
) -> dict[int, list[dict[str, object]]]:
    """Active officers reachable in the bot (bound, not blocked), by unit."""
    by_unit: dict[int, list[dict[str, object]]] = defaultdict(list)
    for i in range(0, len(unit_ids), 500):
        query = Officer.filter(
            unit_id__in=unit_ids[i : i + 500],
            active=True,
            telegram_chat_id__not_isnull=True,
            bot_blocked_at__isnull=True,
        )
        if roles:
            query = query.filter(role__in=list(roles))
        for row in await query.values("id", "unit_id", "role", "telegram_chat_id"):
            by_unit[int(row["unit_id"])].append(row)
    return by_unit
