"""Submitting a score sheet: what still blocks it, and the submission itself.

After submission the self-assessment is read-only (the answer service refuses edits); only an
administrator can unlock one unit, with a reason (see the appraisal service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from core.models import Officer, OfficerRole
from core.timefmt import VIETNAM
from forms.answers import LockedError, NotAllowedError, check_open
from forms.evidence_policy import evidence_needed
from forms.models import Answer, Assessment, AssessmentStatus, Evidence
from forms.outline import outline


@dataclass(frozen=True)
class Blockers:
    """Item codes that keep a sheet from being submitted, in questionnaire order."""

    unanswered: list[str] = field(default_factory=list)
    missing_evidence: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.unanswered and not self.missing_evidence


class SubmissionBlockedError(UserError):
    def __init__(self, blockers: Blockers) -> None:
        super().__init__(
            Msg(
                N_(
                    "The score sheet cannot be submitted yet: {unanswered} item(s) unanswered and "
                    "{missing} item(s) lacking the required evidence."
                ),
                unanswered=len(blockers.unanswered),
                missing=len(blockers.missing_evidence),
            )
        )
        self.blockers = blockers


async def blockers(assessment_id: int) -> Blockers:
    """Unanswered self-assessed items, and answered ones whose required evidence is missing.

    Survey items are imported, never answered; not-applicable items need no evidence.
    """
    assessment = await Assessment.get(id=assessment_id)
    items = (await outline(assessment.criteria_set_id)).items  # type: ignore[attr-defined]
    answers = {a.node_id: a for a in await Answer.filter(assessment_id=assessment_id)}  # type: ignore[attr-defined]
    with_files = set(
        await Evidence.filter(answer__assessment_id=assessment_id, removed_at=None).values_list(
            "answer_id", flat=True
        )
    )
    unanswered: list[str] = []
    missing: list[str] = []
    for node in items:
        answer = answers.get(node.id)
        if answer is None or (answer.declared is None and not answer.not_applicable):
            unanswered.append(node.code)
        elif answer.id not in with_files and evidence_needed(
            required=node.evidence_required,
            when=node.evidence_when,
            rule=node.rule,
            answered=True,
            not_applicable=answer.not_applicable,
            score=None if answer.self_score is None else Decimal(answer.self_score),
        ):
            missing.append(node.code)
    return Blockers(unanswered, missing)


async def submit(
    actor: Actor, assessment_id: int, *, now: datetime, tz: ZoneInfo = VIETNAM
) -> Assessment:
    """Submit a complete sheet (draft → submitted) before its deadline.

    When the period requires the leader's approval, the unit's leader submits (their
    submission is the approval); a focal officer is told to ask the leader.
    """
    assessment = await Assessment.get_or_none(id=assessment_id).prefetch_related("period")
    if assessment is None:
        raise NotAllowedError(Msg(N_("This score sheet does not exist.")))
    if actor.kind != "officer":
        raise NotAllowedError(Msg(N_("Only the unit's officers submit its self-assessment.")))
    officer = await Officer.get_or_none(id=actor.id, active=True)
    if officer is None or officer.unit_id != assessment.unit_id:  # type: ignore[attr-defined]
        raise NotAllowedError(Msg(N_("You can only answer for your own unit.")))
    if assessment.status != AssessmentStatus.draft:
        raise LockedError(Msg(N_("The self-assessment has been submitted and is read-only now.")))
    check_open(assessment.period, assessment, now, as_admin=False, tz=tz)
    needs_leader = assessment.period.require_leader_approval
    if needs_leader and officer.role != OfficerRole.leader:
        raise NotAllowedError(
            Msg(
                N_(
                    "This period requires the unit leader's approval: the "
                    "leader submits the score sheet."
                )
            )
        )
    found = await blockers(assessment_id)
    if not found.empty:
        raise SubmissionBlockedError(found)
    async with in_transaction():
        changed = await Assessment.filter(id=assessment_id, status=AssessmentStatus.draft).update(
            status=AssessmentStatus.submitted,
            submitted_at=now,
            submitted_by_id=officer.id,
            self_locked_at=now,
            last_activity_at=now,
            **(
                {"leader_approved_at": now, "leader_approved_by_id": officer.id}
                if needs_leader
                else {}
            ),
        )
        if changed == 0:  # a colleague submitted a moment ago: same outcome, nothing to redo
            raise LockedError(
                Msg(N_("The self-assessment has been submitted and is read-only now."))
            )
        await record(
            actor,
            "assessment.submit",
            "assessment",
            assessment_id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
            old={"status": AssessmentStatus.draft},
            new={"status": AssessmentStatus.submitted, "submitted_at": now},
        )
    return await Assessment.get(id=assessment_id)
