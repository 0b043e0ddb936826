"""A unit asks for more time (đề nghị gia hạn tự đánh giá); the unit is told the decision.

The secretariat decides with :func:`forms.periods.decide_extension` (which moves the unit's
deadline through :func:`forms.periods.extend_deadline`; the scheduler then re-plans that unit's
reminders and lifts a lock the new deadline makes premature). This module is the unit's side
and the notice that follows a decision.

The rules of a request (decided here; docs/bot.md tells the officers):

* an active officer of the sheet's own unit asks (focal officer or leader), for a sheet of an
  open, unpublished period;
* the sheet is not submitted; a sheet locked because its deadline passed may still ask within
  :data:`LATE_DAYS` days after that deadline (the days the scheduler keeps reminding the unit
  and telling it to ask for an extension), later only the secretariat can move the deadline;
* one pending request per sheet: a second is refused while the first waits, so the
  secretariat never decides on a date that changed under their eyes; once decided, the unit
  may ask again;
* a reason is required (at most :data:`MAX_REASON` characters);
* the date asked is after the current deadline (the unit's extension, else the period's) and
  in the future, and at most :data:`MAX_DAYS` days after the current deadline. A date typed
  alone (dd/mm/yyyy) means the end of that day (23:59), as in the back-office forms.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import Conflict, NotFound, require_role
from core.i18n import N_, Msg, UserError
from core.models import Officer, OfficerRole, Unit, UserRole, given
from core.notify import DeliveryError, Notice, Notifier, Unreachable
from core.timefmt import VIETNAM, format_date, format_datetime
from forms.answers import LockedError, NotAllowedError, self_assessment_window
from forms.models import (
    Assessment,
    AssessmentStatus,
    ExtensionRequest,
    ExtensionStatus,
    Period,
    PeriodStatus,
)

log = logging.getLogger("cchc.forms")

LATE_DAYS = 5  # a locked, unsubmitted sheet may still ask this many days after its deadline
MAX_DAYS = 30  # the date asked is at most this many days after the current deadline
MAX_REASON = 1000
END_OF_DAY = time(23, 59)

_DAY = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")


def parse_day(text: str, tz: ZoneInfo = VIETNAM) -> datetime:
    """``30/11/2026`` (also ``30-11-2026``, ``30.11.2026``, ``1/12/2026``) as the end of that
    day in local time."""
    found = _DAY.match(text or "")
    day: date | None = None
    if found:
        d, m, y = (int(x) for x in found.groups())
        try:
            day = date(y, m, d)
        except ValueError:
            day = None
    if day is None:
        raise UserError(
            Msg(
                N_("“{value}” is not a date; write it as dd/mm/yyyy, for example {example}."),
                value=(text or "").strip()[:40],
                example="30/11/2026",
            )
        )
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


@dataclass(frozen=True)
class ExtensionWindow:
    """What an officer may ask for on one sheet, right now."""

    assessment_id: int
    unit_id: int
    unit_name: str
    period_name: str
    deadline: datetime  # the current deadline: the unit's extension, else the period's
    latest: datetime  # the latest date that may be asked for

    def check_until(self, until: datetime, now: datetime, tz: ZoneInfo = VIETNAM) -> None:
        if until <= self.deadline:
            raise UserError(
                Msg(
                    N_(
                        "The date asked for ({when}) must be after the current self-assessment "
                        "deadline ({deadline})."
                    ),
                    when=format_datetime(until, tz),
                    deadline=format_datetime(self.deadline, tz),
                )
            )
        if until <= now:
            raise UserError(
                Msg(
                    N_("The date asked for ({when}) must be in the future."),
                    when=format_datetime(until, tz),
                )
            )
        if until > self.latest:
            raise UserError(
                Msg(
                    N_(
                        "An extension is at most {days} days after the current deadline: "
                        "ask for {latest} at the latest."
                    ),
                    days=MAX_DAYS,
                    latest=format_date(self.latest, tz),
                )
            )


def clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise UserError(Msg(N_("Please give the reason for the extension.")))
    if len(reason) > MAX_REASON:
        raise UserError(
            Msg(N_("The reason is too long (at most {max} characters)."), max=MAX_REASON)
        )
    return reason


async def _officer_of(actor: Actor, assessment: Assessment) -> Officer:
    if actor.kind != "officer":
        raise NotAllowedError(Msg(N_("Only an officer of the unit can ask for an extension.")))
    officer = await Officer.get_or_none(id=actor.id, active=True)
    if officer is None or officer.unit_id != assessment.unit_id:  # type: ignore[attr-defined]
        raise NotAllowedError(Msg(N_("You can only ask for an extension for your own unit.")))
    return officer


def _pending_error(pending: ExtensionRequest, tz: ZoneInfo) -> Conflict:
    return Conflict(
        Msg(
            N_(
                "Your unit already asked for an extension until {until} (sent {when}); wait "
                "for the secretariat's decision before asking again."
            ),
            until=format_date(pending.requested_until, tz),
            when=format_datetime(pending.created_at, tz),
        )
    )


async def extension_window(
    actor: Actor, assessment_id: int, *, now: datetime, tz: ZoneInfo = VIETNAM
) -> ExtensionWindow:
    """Check that ``actor`` may ask for an extension of this sheet now (everything but the
    date and the reason) and say what may be asked for; raise the reason otherwise."""
    assessment = await Assessment.filter(id=assessment_id).select_related("period", "unit").first()
    if assessment is None:
        raise NotFound(Msg(N_("This score sheet does not exist.")))
    await _officer_of(actor, assessment)
    period: Period = assessment.period
    if period.published_at is not None or period.status == PeriodStatus.published:
        raise LockedError(Msg(N_("The results are published; nothing can be changed.")))
    if period.status != PeriodStatus.open:
        raise LockedError(Msg(N_("This period is not open for self-assessment.")))
    if assessment.status != AssessmentStatus.draft or assessment.submitted_at is not None:
        raise LockedError(
            Msg(N_("The score sheet is already submitted; an extension is no longer needed."))
        )
    deadline = self_assessment_window(period, assessment).closes_at
    if now > deadline + timedelta(days=LATE_DAYS):
        raise LockedError(
            Msg(
                N_(
                    "The self-assessment deadline ({when}) passed more than {days} days ago; "
                    "an extension can no longer be asked for here. Please contact the "
                    "secretariat directly."
                ),
                when=format_datetime(deadline, tz),
                days=LATE_DAYS,
            )
        )
    pending = (
        await ExtensionRequest.filter(assessment_id=assessment.id, status=ExtensionStatus.pending)
        .order_by("id")
        .first()
    )
    if pending is not None:
        raise _pending_error(pending, tz)
    latest_day = (deadline + timedelta(days=MAX_DAYS)).astimezone(tz).date()
    return ExtensionWindow(
        assessment_id=assessment.id,
        unit_id=assessment.unit.id,
        unit_name=assessment.unit.name,
        period_name=period.name,
        deadline=deadline,
        latest=datetime.combine(latest_day, END_OF_DAY, tzinfo=tz),
    )


async def request_extension(
    actor: Actor,
    assessment_id: int,
    *,
    reason: str,
    until: datetime,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> ExtensionRequest:
    """Record an officer's request for a later self-assessment deadline (see the module's
    rules), audited as ``extension.request``. Nothing moves until the secretariat approves."""
    reason = clean_reason(reason)
    async with in_transaction():
        # Serialise requests of one sheet (PostgreSQL row lock; SQLite writes one at a time),
        # so two officers of a unit pressing at once leave one pending request, not two.
        locked = await Assessment.filter(id=assessment_id).select_for_update().first()
        if locked is None:
            raise NotFound(Msg(N_("This score sheet does not exist.")))
        window = await extension_window(actor, assessment_id, now=now, tz=tz)
        window.check_until(until, now, tz)
        request = await ExtensionRequest.create(
            assessment_id=assessment_id,
            reason=reason,
            requested_until=until,
            requested_by_id=actor.id,
            status=ExtensionStatus.pending,
            created_at=now,  # the service's clock, as in the audit event and the messages
        )
        await record(
            actor,
            "extension.request",
            "extension_request",
            request.id,
            unit_id=window.unit_id,
            new={
                "assessment_id": assessment_id,
                "requested_until": until,
                "current_deadline": window.deadline,
            },
            reason=reason,
        )
    return request


# --- the back-office's list --------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionView:
    """One request as the secretariat's page shows it."""

    id: int
    assessment_id: int
    unit_code: str
    unit_name: str
    status: str
    deadline: datetime  # the unit's current deadline
    requested_until: datetime
    reason: str
    requested_by: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    decision_note: str


async def list_extensions(
    actor: Actor, *, period_id: int, status: ExtensionStatus | None = None, limit: int = 200
) -> list[ExtensionView]:
    """Requests of a period, oldest pending first, newest decided first (administrators and
    viewers, as the JSON API's list)."""
    await require_role(actor, UserRole.admin, UserRole.viewer)
    query = ExtensionRequest.filter(assessment__period_id=period_id, **given(status=status))
    if status == ExtensionStatus.pending:
        order: tuple[str, ...] = ("id",)  # the oldest waits longest: first
    elif status is None:
        order = ("-id",)
    else:
        order = ("-decided_at", "-id")
    rows = (
        await query.order_by(*order)
        .limit(limit)
        .prefetch_related("assessment__period", "assessment__unit", "requested_by", "decided_by")
    )
    out = []
    for r in rows:
        a = r.assessment
        out.append(
            ExtensionView(
                id=r.id,
                assessment_id=a.id,
                unit_code=a.unit.code,
                unit_name=a.unit.name,
                status=ExtensionStatus(r.status).value,
                deadline=self_assessment_window(a.period, a).closes_at,
                requested_until=r.requested_until,
                reason=r.reason,
                requested_by=r.requested_by.full_name if r.requested_by else "",
                created_at=r.created_at,
                decided_at=r.decided_at,
                decided_by=(r.decided_by.full_name or r.decided_by.username)
                if r.decided_by
                else "",
                decision_note=r.decision_note,
            )
        )
    return out


async def pending_count(period_id: int) -> int:
    return await ExtensionRequest.filter(
        assessment__period_id=period_id, status=ExtensionStatus.pending
    ).count()


# --- telling the unit ------------------------------------------------------------------------


def decision_msg(request: ExtensionRequest, *, unit: str, deadline: datetime, tz: ZoneInfo) -> Msg:
    """What the unit reads once the secretariat decided (``deadline``: the one now in force)."""
    note = (request.decision_note or "").strip()
    if request.status == ExtensionStatus.approved:
        if note:
            return Msg(
                N_(
                    "✅ The secretariat approved the extension asked for by {unit}: the new "
                    "self-assessment deadline is {when}. Note: {note}"
                ),
                unit=unit,
                when=format_datetime(deadline, tz),
                note=note,
            )
        return Msg(
            N_(
                "✅ The secretariat approved the extension asked for by {unit}: the new "
                "self-assessment deadline is {when}."
            ),
            unit=unit,
            when=format_datetime(deadline, tz),
        )
    return Msg(
        N_(
            "❌ The secretariat refused the extension asked for by {unit} (until {asked}). "
            "Reason: {note}. The self-assessment deadline stays {when}."
        ),
        unit=unit,
        asked=format_date(request.requested_until, tz),
        note=note,
        when=format_datetime(deadline, tz),
    )


async def tell_decision(notifier: Notifier, request_id: int, *, tz: ZoneInfo = VIETNAM) -> int:
    """Tell the officer who asked (or, if they have left, the unit's focal officers) what the
    secretariat decided; returns how many were reached. Delivery problems are logged, never
    raised: the decision is already saved and audited."""
    request = await ExtensionRequest.get_or_none(id=request_id).prefetch_related(
        "assessment__period", "assessment__unit"
    )
    if request is None or request.status == ExtensionStatus.pending:
        return 0
    assessment = request.assessment
    unit: Unit = assessment.unit
    deadline = self_assessment_window(assessment.period, assessment).closes_at
    msg = decision_msg(request, unit=unit.name, deadline=deadline, tz=tz)
    asker = request.requested_by_id  # type: ignore[attr-defined]
    recipients = await Officer.filter(id=asker, active=True).values_list("id", flat=True)
    if not recipients:
        recipients = await Officer.filter(
            unit_id=unit.id, active=True, role=OfficerRole.focal
        ).values_list("id", flat=True)
    payload = {"assessment_id": assessment.id, "extension_request_id": request.id}
    return await notify_officers(notifier, recipients, "extension_decided", msg, payload)


async def notify_officers(
    notifier: Notifier, officer_ids: Iterable[object], kind: str, msg: Msg, payload: dict[str, Any]
) -> int:
    """Send one notice to each officer; returns how many were reached. Delivery problems are
    logged, never raised: the change the notice reports is already saved and audited."""
    reached = 0
    for officer_id in officer_ids:
        try:
            await notifier.notify(Notice(int(officer_id), kind, msg, payload))  # type: ignore[call-overload]
            reached += 1
        except (Unreachable, DeliveryError) as exc:
            log.info("notice %s to officer %s not delivered: %s", kind, officer_id, exc)
        except Exception:  # a broken channel must not turn a saved change into an error
            log.exception("notice %s to officer %s failed", kind, officer_id)
    return reached
