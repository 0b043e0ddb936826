"""The secretariat's daily digest: which units are behind, posted at 08:00 local.

Back-office users have no Telegram chat, so a digest is not a message: at its time the sender
"posts" it by taking a snapshot of the units behind into an audit event (action
``reminder.digest``, the figures in ``new_value``) and marking the ledger row sent. The
back-office reads them with :func:`read_digests`; :func:`units_behind` gives the live figures.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from core.audit import Actor, record
from core.i18n import Msg
from core.models import AuditEvent, Channel, Unit
from forms.answers import self_assessment_window
from forms.models import Assessment, AssessmentStatus, Period
from forms.submission import blockers
from scheduler.delivery import SECRETARIAT, open_requests, parse_ref
from scheduler.messages import DIGEST
from scheduler.models import Reminder, ReminderStatus

ACTION = "reminder.digest"
SCHEDULER = Actor.system(Channel.scheduler, "scheduler")


@dataclass(frozen=True)
class BehindUnit:
    unit_id: int
    code: str
    name: str
    assessment_id: int
    deadline: datetime
    overdue_days: int  # 0 while the deadline is ahead
    locked: bool
    unanswered: int
    missing_evidence: int


@dataclass(frozen=True)
class ExplainingUnit:
    unit_id: int
    code: str
    name: str
    assessment_id: int
    open_requests: int
    due: datetime | None


@dataclass(frozen=True)
class Digest:
    period_id: int
    day: date
    posted_at: datetime | None  # None: planned, not posted yet
    behind: list[dict[str, Any]]
    explaining: list[dict[str, Any]]

    @property
    def summary(self) -> Msg:
        return Msg(DIGEST, behind=len(self.behind), explaining=len(self.explaining))


def digest_subject(period_id: int, day: date) -> str:
    return f"digest:{period_id}:{day.isoformat()}"


def digest_day_start(day: date, tz: tzinfo) -> datetime:
    """Midnight of the digest's local day (UTC): the ledger key's time for a digest, so that
    one day has one digest whatever the period's deadlines do meanwhile."""
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


async def units_behind(
    period: Period, now: datetime
) -> tuple[list[BehindUnit], list[ExplainingUnit]]:
    """Units that have not submitted, and units with explanation requests left unanswered."""
    sheets = await Assessment.filter(period_id=period.id).order_by("id")
    units = {u.id: u for u in await Unit.filter(id__in=[a.unit_id for a in sheets])}  # type: ignore[attr-defined]
    behind: list[BehindUnit] = []
    explaining: list[ExplainingUnit] = []
    for sheet in sheets:
        unit = units[sheet.unit_id]  # type: ignore[attr-defined]
        if sheet.status == AssessmentStatus.draft and sheet.submitted_at is None:
            deadline = self_assessment_window(period, sheet).closes_at
            found = await blockers(sheet.id)
            behind.append(
                BehindUnit(
                    unit.id,
                    unit.code,
                    unit.name,
                    sheet.id,
                    deadline,
                    max(0, math.ceil((now - deadline).total_seconds() / 86400)),
                    sheet.self_locked_at is not None,
                    len(found.unanswered),
                    len(found.missing_evidence),
                )
            )
        if sheet.explanation_locked_at is None and sheet.status != AssessmentStatus.draft:
            requests = await open_requests(sheet.id, period)
            if requests:
                dues = [r.due_at for r in requests if r.due_at is not None]
                explaining.append(
                    ExplainingUnit(
                        unit.id,
                        unit.code,
                        unit.name,
                        sheet.id,
                        len(requests),
                        min(dues, default=None),
                    )
                )
    return behind, explaining


async def anyone_behind(period: Period) -> bool:
    """Cheap check for planning: is there anything for a digest to list?"""
    if await Assessment.filter(
        period_id=period.id, status=AssessmentStatus.draft, submitted_at__isnull=True
    ).exists():
        return True
    return await Assessment.filter(
        period_id=period.id,
        explanation_locked_at__isnull=True,
        answers__reviews__explanation_requested=True,
    ).exists()


async def digest_snapshot(subject: str, now: datetime) -> tuple[int, dict[str, Any]] | None:
    """The figures a digest posts: its period and the units behind (reads only)."""
    _, period_id = parse_ref(subject)
    period = await Period.get_or_none(id=period_id) if period_id else None
    if period is None:
        return None
    behind, explaining = await units_behind(period, now)
    return period.id, {
        "day": subject.rsplit(":", 1)[-1],
        "behind": [asdict(b) for b in behind],
        "explaining": [asdict(e) for e in explaining],
    }


async def post_digest(period_id: int, snapshot: dict[str, Any]) -> None:
    """Keep the snapshot in the audit trail (inside the transaction that marks the row)."""
    await record(SCHEDULER, ACTION, "period", period_id, new=snapshot)


async def read_digests(period_id: int, *, limit: int = 14) -> list[Digest]:
    """The latest digests of a period, newest first, as the back-office shows them."""
    rows = (
        await Reminder.filter(recipient=SECRETARIAT, subject__startswith=f"digest:{period_id}:")
        .order_by("-due_at")
        .limit(limit)
    )
    events = (
        await AuditEvent.filter(action=ACTION, entity="period", entity_id=str(period_id))
        .order_by("-id")
        .limit(limit * 2)
    )
    by_day = {}
    for event in events:
        day = (event.new_value or {}).get("day")
        if day and day not in by_day:
            by_day[day] = event
    digests = []
    for row in rows:
        day = date.fromisoformat(row.subject.rsplit(":", 1)[-1])
        event = by_day.get(day.isoformat())
        posted = row.sent_at if row.status == ReminderStatus.sent else None
        value = event.new_value if event is not None else {}
        digests.append(
            Digest(
                period_id,
                day,
                posted,
                list(value.get("behind", [])),
                list(value.get("explaining", [])),
            )
        )
    return digests
