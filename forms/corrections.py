"""An administrator's correction of a unit's self-assessment answer, with a mandatory reason.

The change itself goes through :func:`forms.answers.record_answer_in_sheet`, the one path of the
bot and the web form (same rule evaluation, version check and lock rules: an administrator may
correct after submission or the deadline, never after publication). What is added here is what
makes a correction accountable: only administrators, a reason that cannot be left out, and an
audit event of its own action (``answer.correct``) carrying that reason, so the audit trail can
list every correction apart from the officers' own answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.audit import Actor
from core.auth import NotFound, require_admin
from core.i18n import N_, Msg, UserError
from core.models import AuditEvent, Unit
from core.timefmt import VIETNAM
from forms.answers import RecordedAnswer, record_answer_in_sheet
from forms.models import Answer, Assessment, CriteriaNode, Period

REASON_MAX = 1000
HISTORY_SHOWN = 20


@dataclass(frozen=True)
class CorrectionContext:
    """What an administrator looks at before correcting: the answer, its item, sheet, unit and
    period, and its latest changes (audit events, newest first)."""

    answer: Answer
    node: CriteriaNode
    assessment: Assessment
    unit: Unit
    period: Period
    history: list[AuditEvent]


def checked_reason(reason: str | None) -> str:
    """The reason, trimmed; refused when empty or longer than :data:`REASON_MAX`."""
    text = (reason or "").strip()
    if not text:
        raise UserError(
            Msg(N_("Reason for the correction: write why the answer is corrected; it is kept."))
        )
    if len(text) > REASON_MAX:
        raise UserError(
            Msg(
                N_("Reason for the correction: at most {n} characters (now {count})."),
                n=REASON_MAX,
                count=len(text),
            )
        )
    return text


async def correction_context(actor: Actor, answer_id: int) -> CorrectionContext:
    """The answer and everything the correction page shows (administrators only)."""
    await require_admin(actor)
    answer = await Answer.get_or_none(id=answer_id).prefetch_related(
        "node", "assessment__unit", "assessment__period"
    )
    if answer is None:
        raise NotFound(Msg(N_("There is no answer with the id {id}."), id=answer_id))
    history = (
        await AuditEvent.filter(entity="answer", entity_id=str(answer.id))
        .order_by("-id")
        .limit(HISTORY_SHOWN)
    )
    return CorrectionContext(
        answer,
        answer.node,
        answer.assessment,
        answer.assessment.unit,
        answer.assessment.period,
        list(history),
    )


async def correct_item(
    actor: Actor,
    assessment_id: int,
    code: str,
    *,
    expected_version: int,
    reason: str | None,
    now: datetime,
    declared: dict[str, Any] | None = None,
    text: str | None = None,
    note: str | None = None,
    tz: ZoneInfo = VIETNAM,
) -> RecordedAnswer:
    """Correct the declared value (or the typed ``text``) and/or note of one item of a sheet
    (the web form's and the JSON API's correction); the reason is checked before anything is
    read of the sheet, so a refused correction changes nothing."""
    await require_admin(actor)
    return await record_answer_in_sheet(
        actor,
        assessment_id,
        code,
        expected_version=expected_version,
        now=now,
        declared=declared,
        text=text,
        note=note,
        tz=tz,
        reason=checked_reason(reason),
        action="answer.correct",
    )
