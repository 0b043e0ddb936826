"""Recording an officer's answer: the one path the bot and the web form both take.

Every call checks who is acting, the unit, the assessment's status and deadline, and the
version the person was looking at; the self score is computed from the declared value by the
item's rule (nobody types points), and an audit event is written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from core.metrics import ANSWERS_RECORDED
from core.models import BackofficeUser, Officer, UserRole
from core.numbers import format_score
from core.timefmt import VIETNAM, format_datetime
from forms.models import Answer, Assessment, AssessmentStatus, Period
from forms.notes import check_note
from forms.outline import OutlineNode, frozen_outline
from forms.queries import PeriodHead, SheetHead, StoredAnswer, sheet_with_answers
from forms.rules import Rule, check_declared, describe, evaluate, parse_declared


class NotAllowedError(UserError):
    """The person may not do this (wrong unit, wrong role): maps to HTTP 403."""


class LockedError(UserError):
    """The assessment no longer accepts self-assessment changes: maps to HTTP 409."""


class StaleAnswerError(UserError):
    """Someone changed the answer since this person last saw it: maps to HTTP 409."""

    def __init__(self, msg: Msg, current: Answer | StoredAnswer | None) -> None:
        super().__init__(msg)
        self.current = current


@dataclass(frozen=True)
class RecordedAnswer:
    """An answer as stored, with the sheet, period and unit read to check it and the sheet's
    answers (this one as written): current as of the write, so a caller that shows the sheet
    next need not read it again."""

    answer: StoredAnswer
    sheet: SheetHead
    item: OutlineNode
    answers: dict[str, StoredAnswer]


@dataclass(frozen=True)
class Deadline:
    opens_at: datetime
    closes_at: datetime


def self_assessment_window(
    period: Period | PeriodHead, assessment: Assessment | SheetHead
) -> Deadline:
    """A per-unit extension replaces the period's closing time for that unit only."""
    closes = assessment.deadline_extended_to or period.self_assessment_closes_at
    return Deadline(period.self_assessment_opens_at, closes)


async def check_actor(actor: Actor, assessment: Assessment | SheetHead) -> bool:
    """Return whether the actor edits as an administrator (allowed after the lock).

    An officer's unit comes with the actor when the caller has just read the active officer
    (the bot's middleware, once per update); otherwise it is read here."""
    if actor.kind == "officer":
        unit_id = assessment.unit_id  # type: ignore[union-attr]
        if actor.unit_id is not None:
            member = actor.unit_id == unit_id
        else:
            member = await Officer.exists(id=actor.id, active=True, unit_id=unit_id)
        if not member:
            raise NotAllowedError(Msg(N_("You can only answer for your own unit.")))
        return False
    if actor.kind == "user":
        user = await BackofficeUser.get_or_none(id=actor.id, active=True)
        if user is None or user.role != UserRole.admin:
            raise NotAllowedError(
                Msg(
                    N_(
                        "Only the unit or an administrator can change a "
                        "self-assessment; appraisers set appraised scores."
                    )
                )
            )
        return True
    raise NotAllowedError(Msg(N_("This action needs a person, not the system.")))


def check_open(
    period: Period | PeriodHead,
    assessment: Assessment | SheetHead,
    now: datetime,
    *,
    as_admin: bool,
    tz: ZoneInfo,
) -> None:
    """Refuse self-assessment changes outside the window, after submission or publication."""
    if assessment.status == AssessmentStatus.final or period.published_at is not None:
        raise LockedError(Msg(N_("The results are published; nothing can be changed.")))
    if as_admin:
        return
    window = self_assessment_window(period, assessment)
    if assessment.status != AssessmentStatus.draft:
        raise LockedError(Msg(N_("The self-assessment has been submitted and is read-only now.")))
    if assessment.self_locked_at is not None or now >= window.closes_at:
        # locked by the deadline (the scheduler's auto-lock), not submitted
        raise LockedError(
            Msg(
                N_("The self-assessment deadline ({when}) has passed."),
                when=format_datetime(window.closes_at, tz),
            )
        )
    if now < window.opens_at:
        raise LockedError(
            Msg(N_("Self-assessment opens at {when}."), when=format_datetime(window.opens_at, tz))
        )


async def record_answer(
    actor: Actor,
    assessment_id: int,
    node_code: str,
    *,
    expected_version: int,
    now: datetime,
    declared: dict[str, Any] | None = None,
    text: str | None = None,
    note: str | None = None,
    tz: ZoneInfo = VIETNAM,
) -> StoredAnswer:
    """:func:`record_answer_in_sheet`, for callers that need only the stored answer."""
    recorded = await record_answer_in_sheet(
        actor,
        assessment_id,
        node_code,
        expected_version=expected_version,
        now=now,
        declared=declared,
        text=text,
        note=note,
        tz=tz,
    )
    return recorded.answer


async def record_answer_in_sheet(
    actor: Actor,
    assessment_id: int,
    node_code: str,
    *,
    expected_version: int,
    now: datetime,
    declared: dict[str, Any] | Callable[[OutlineNode], dict[str, Any]] | None = None,
    text: str | None = None,
    note: str | None = None,
    tz: ZoneInfo = VIETNAM,
    reason: str = "",
    action: str = "answer.record",
) -> RecordedAnswer:
    """Store a declared value (as a dict from buttons/forms, as a function of the item giving
    one, e.g. a pressed button read against the item's rule, or as typed ``text``) and/or a
    note.

    ``expected_version`` is the version the person saw (0 for an item never answered); if the
    stored version differs the change is refused and the current answer returned in the error,
    so nothing confirmed is silently overwritten.
    """
    # One statement reads the sheet, its period and unit, and its stored answers. The UPDATE
    # below applies only to the version read, so the "old" values audited are exactly the ones
    # replaced.
    head, stored = await sheet_with_answers(assessment_id)
    if head is None:
        raise NotAllowedError(Msg(N_("This score sheet does not exist.")))
    as_admin = await check_actor(actor, head)
    check_open(head.period, head, now, as_admin=as_admin, tz=tz)
    node = (await frozen_outline(head.criteria_set_id, head.set_frozen_at)).by_code.get(node_code)
    if node is None or node.level != "item":
        raise UserError(Msg(N_("There is no item “{code}” in this criteria set."), code=node_code))
    rule = node.rule
    assert rule is not None
    changes: dict[str, Any] = {}
    if callable(declared):
        declared = declared(node)
    if text is not None:
        declared = parse_declared(rule, text)
    elif declared is not None:
        check_declared(declared)
    if declared is not None:
        score = evaluate(rule, declared)
        changes.update(declared=declared, self_score=score, not_applicable=score is None)
    if note is not None:
        changes["note"] = check_note(note)
    if not changes:
        raise UserError(Msg(N_("Nothing to save.")))
    current = stored.get(node_code)
    if (current.version if current else 0) != expected_version:
        raise await _stale(current, rule)
    written = {
        "updated_by_officer_id": actor.id if actor.kind == "officer" else None,
        "updated_by_user_id": actor.id if actor.kind == "user" else None,
        "channel": actor.channel.value,
        **changes,
    }
    async with in_transaction():
        answer_id = current.id if current else (await answer_row(head.id, node.id)).id
        before = current or StoredAnswer(answer_id, head.id)  # a new row holds the defaults
        # only the columns whose value changes: the UPDATE's cost grows with each one
        fields = {k: v for k, v in written.items() if getattr(before, k) != v}
        updated = await Answer.filter(id=answer_id, version=expected_version).update(
            version=expected_version + 1, updated_at=now, **fields
        )
        if updated == 0:  # changed since it was read above
            raise await _stale(await Answer.get(id=answer_id), rule)
        # the row is now exactly the one read with these fields: no need to read it again
        answer = replace(
            before,
            version=expected_version + 1,
            updated_at=now,
            updated_by=actor.name if actor.kind == "officer" else "",
            **written,
        )
        await record(
            actor,
            action,
            "answer",
            answer.id,
            unit_id=head.unit_id,
            old=_snapshot(current),
            new=_snapshot(answer) | {"item": node_code},
            reason=reason,
        )
    ANSWERS_RECORDED.labels(channel=actor.channel.value).inc()
    return RecordedAnswer(answer, head, node, stored | {node_code: answer})


async def answer_row(assessment_id: int, node_id: int) -> Answer:
    """The item's answer row, created empty (version 0: never answered) when there is none
    yet: files may come before the answer, and appraisers review unanswered items too.

    The only place an answer row is created. ``ON CONFLICT DO NOTHING`` (``ignore_conflicts``)
    rather than catching the duplicate: a colleague may create the row at the same moment,
    and on PostgreSQL a failed INSERT would abort the caller's transaction.
    """
    answer = await Answer.get_or_none(assessment_id=assessment_id, node_id=node_id)
    if answer is None:
        await Answer.bulk_create(
            [Answer(assessment_id=assessment_id, node_id=node_id, version=0)],
            ignore_conflicts=True,
        )
        answer = await Answer.get(assessment_id=assessment_id, node_id=node_id)
    return answer


def _snapshot(answer: StoredAnswer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "declared": answer.declared,
        "self_score": answer.self_score,
        "not_applicable": answer.not_applicable,
        "note": answer.note,
        "version": answer.version,
    }


async def _stale(current: Answer | StoredAnswer | None, rule: Rule) -> StaleAnswerError:
    """Tell the person what is stored now and who set it, so they can decide again."""
    if current is None:
        return StaleAnswerError(Msg(N_("This answer was changed meanwhile; please reload.")), None)
    who = ""
    if current.updated_by_officer_id is not None:  # type: ignore[attr-defined]
        officer = await Officer.get_or_none(id=current.updated_by_officer_id)  # type: ignore[attr-defined]
        who = officer.full_name if officer else ""
    elif current.updated_by_user_id is not None:  # type: ignore[attr-defined]
        user = await BackofficeUser.get_or_none(id=current.updated_by_user_id)  # type: ignore[attr-defined]
        who = (user.full_name or user.username) if user else ""
    value = describe(rule, current.declared) if current.declared else "–"
    score = format_score(Decimal(current.self_score)) if current.self_score is not None else "–"
    return StaleAnswerError(
        Msg(
            N_(
                "Someone else changed this answer meanwhile: it is now “{value}” ({score} points), "
                "set by {who}. Your change was not saved; check and answer again."
            ),
            value=value,
            score=score,
            who=who or "?",
        ),
        current,
    )
