"""Appraisal (thẩm định): round 1, explanation requests, round 2, status, unlock, and what
appraisers read.

Who may change which score when (domain.md §1.4), as enforced here:

* The **self score** belongs to the unit until its self-assessment locks (submission, or the
  deadline); afterwards only an administrator may edit it (:mod:`forms.answers`). Appraisers never
  change a self score: they set **appraised** scores, in reviews.
* **Round 1** (per item): accept the self score, adjust it (a score with a mandatory comment), or
  request an explanation (a mandatory comment, a due date, optionally a provisional score). It
  can be revised until the unit has answered the request or round 2 has started for the item.
* The unit answers a request with an explanation (:mod:`scoring.explanations`); it cannot touch
  the appraised score.
* **Round 2** exists only for items whose explanation was requested, once the unit has answered
  or the due time has passed: it sets the final appraised score (comment mandatory unless it
  grants exactly the score the unit proposed).
* Appraisal starts only when the self-assessment is closed (submitted, locked, or past the
  unit's deadline). Nothing changes after publication.

Appraisers act only on items under their assignments (:mod:`scoring.assignments`);
administrators act on every item. Every change is compare-and-set on the review's ``version``
(two appraisers cannot silently overwrite each other) and writes an audit event in its
transaction.

The sheet's status follows the reviews (:func:`refresh_status`): ``in_appraisal`` from the first
review, ``explanation_requested`` while any request awaits its round-2 score, ``appraised`` once
every self-assessed item has a round-1 review and no request is pending; ``final`` at publication.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import Conflict, NotFound, require_admin
from core.i18n import N_, Msg, UserError
from core.models import Officer, OfficerRole, Unit, given
from core.notify import Notifier
from core.numbers import NumberError, format_score, parse_decimal
from core.timefmt import VIETNAM, format_datetime
from forms.answers import LockedError, NotAllowedError, answer_row, self_assessment_window
from forms.extensions import notify_officers
from forms.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Evidence,
    NodeLevel,
    Period,
    Section,
)
from forms.outline import OutlineNode, outline
from forms.rules import describe
from scoring.assignments import Scope, items_under, scope_for
from scoring.models import Explanation, Review

MAX_COMMENT = 4000
_FOUR_PLACES = Decimal("0.0001")
# Statuses that reviews move between; draft (locked) may start appraisal, final never changes.
_APPRAISAL_STATUSES = (
    AssessmentStatus.submitted,
    AssessmentStatus.in_appraisal,
    AssessmentStatus.explanation_requested,
    AssessmentStatus.appraised,
)


# ----------------------------------------------------------------------------------------------
# Loading and checks
# ----------------------------------------------------------------------------------------------


@dataclass
class _Item:
    assessment: Assessment
    period: Period
    node: OutlineNode
    scope: Scope


async def get_assessment(assessment_id: int) -> Assessment:
    assessment = await Assessment.get_or_none(id=assessment_id).prefetch_related("period")
    if assessment is None:
        raise NotFound(Msg(N_("There is no score sheet with the id {id}."), id=assessment_id))
    return assessment


async def _reviewer_scope(actor: Actor, assessment: Assessment) -> Scope:
    scope = await scope_for(actor, assessment.criteria_set_id)  # type: ignore[attr-defined]
    if not scope.may_review:
        raise NotAllowedError(Msg(N_("Only appraisers and administrators set appraised scores.")))
    return scope


async def _load_item(
    actor: Actor, assessment_id: int, code: str, now: datetime, tz: ZoneInfo
) -> _Item:
    """The item to review, checked: visible to the actor, not a survey item, sheet open."""
    assessment = await get_assessment(assessment_id)
    scope = await _reviewer_scope(actor, assessment)
    node = (await outline(assessment.criteria_set_id)).by_code.get(code)  # type: ignore[attr-defined]
    if node is None or node.level != NodeLevel.item:
        raise NotFound(Msg(N_("There is no item “{code}” in this criteria set."), code=code))
    if node.section == Section.survey:
        raise UserError(
            Msg(N_("Survey items are imported from the survey results, not appraised."))
        )
    if not scope.sees_item(node.code, assessment.unit_id):  # type: ignore[attr-defined]
        raise NotAllowedError(
            Msg(N_("The item “{code}” is not in the fields assigned to you."), code=node.code)
        )
    _check_sheet_open(assessment.period, assessment, now, tz)
    return _Item(assessment, assessment.period, node, scope)


def self_assessment_closed(period: Period, assessment: Assessment, now: datetime) -> bool:
    """Submitted, locked (deadline job or admin), or past the unit's own deadline."""
    if assessment.status != AssessmentStatus.draft or assessment.self_locked_at is not None:
        return True
    return now >= self_assessment_window(period, assessment).closes_at


def _check_not_published(period: Period, assessment: Assessment) -> None:
    if period.published_at is not None or assessment.status == AssessmentStatus.final:
        raise LockedError(Msg(N_("The results are published; nothing can be changed.")))


def _check_sheet_open(period: Period, assessment: Assessment, now: datetime, tz: ZoneInfo) -> None:
    """Appraisal may change this sheet now: not published, self-assessment closed."""
    _check_not_published(period, assessment)
    if not self_assessment_closed(period, assessment, now):
        closes = self_assessment_window(period, assessment).closes_at
        raise Conflict(
            Msg(
                N_(
                    "The unit is still self-assessing (until {when}); appraisal starts after "
                    "submission or the deadline."
                ),
                when=format_datetime(closes, tz),
            )
        )


def parse_score(value: object, maximum: Decimal, what: str = N_("The score")) -> Decimal:
    """A score typed or sent by an appraiser: a number in [0, max] with at most 4 decimals."""
    try:
        score = parse_decimal(value)  # type: ignore[arg-type]
    except NumberError as exc:
        raise UserError(exc.msg) from None
    if score < 0 or score > maximum:
        raise UserError(
            Msg(
                N_("{what} must be between 0 and {max}."),
                what=Msg(what),
                max=format_score(maximum),
            )
        )
    if score != score.quantize(_FOUR_PLACES):
        raise UserError(Msg(N_("{what} has more than 4 decimals."), what=Msg(what)))
    return score.quantize(_FOUR_PLACES)


def _comment(text: str | None, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise UserError(Msg(N_("Please write a comment: the unit needs to know why.")))
    if len(text) > MAX_COMMENT:
        raise UserError(Msg(N_("The comment is too long (at most {n} characters)."), n=MAX_COMMENT))
    return text


def _review_snapshot(review: Review | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "round": review.round_no,
        "accepted": review.accepted,
        "appraised_score": review.appraised_score,
        "comment": review.comment,
        "explanation_requested": review.explanation_requested,
        "explanation_due_at": review.explanation_due_at,
        "version": review.version,
    }


def _decision(
    score: Decimal | None,
    comment: str,
    *,
    accepted: bool = False,
    due: datetime | None = None,
) -> dict[str, Any]:
    """The fields of one review decision; a due time means an explanation is requested."""
    return {
        "accepted": accepted,
        "appraised_score": score,
        "comment": comment,
        "explanation_requested": due is not None,
        "explanation_due_at": due,
    }


def _self_score(answer: Answer) -> Decimal | None:
    """What accepting the self score grants: none if not applicable, 0 if unanswered."""
    if answer.not_applicable:
        return None
    return Decimal(answer.self_score) if answer.self_score is not None else Decimal(0)


def _stale_review() -> Conflict:
    return Conflict(Msg(N_("Someone changed this review meanwhile; reload it and decide again.")))


async def _save_review(
    actor: Actor,
    item: _Item,
    answer: Answer,
    round_no: int,
    values: dict[str, Any],
    *,
    expected_version: int,
    action: str,
    now: datetime,
) -> Review:
    """Create or update the review of one round with compare-and-set on its version."""
    reviewer_id = actor.id if actor.kind == "user" else None
    current = await Review.get_or_none(answer_id=answer.id, round_no=round_no)
    if current is None:
        if expected_version != 0:
            raise _stale_review()
        try:
            review = await Review.create(
                answer_id=answer.id,
                round_no=round_no,
                reviewer_id=reviewer_id,
                version=1,
                **values,
            )
        except IntegrityError:
            raise _stale_review() from None
    else:
        changed = await Review.filter(id=current.id, version=expected_version).update(
            version=expected_version + 1, reviewer_id=reviewer_id, updated_at=now, **values
        )
        if changed == 0:
            raise _stale_review()
        review = await Review.get(id=current.id)
    await record(
        actor,
        action,
        "review",
        review.id,
        unit_id=item.assessment.unit_id,  # type: ignore[attr-defined]
        old=_review_snapshot(current),
        new=(_review_snapshot(review) or {}) | {"item": item.node.code},
    )
    await refresh_status(actor, item.assessment.id, now=now)
    return review


async def _save_round1(
    actor: Actor,
    item: _Item,
    values: dict[str, Any] | Callable[[Answer], dict[str, Any]],
    *,
    expected_version: int,
    action: str,
    now: datetime,
) -> Review:
    """Save a round-1 decision; ``values`` maps the unit's answer to the review's fields."""
    async with in_transaction():
        answer = await answer_row(item.assessment.id, item.node.id)
        await _round1_editable(answer)
        return await _save_review(
            actor,
            item,
            answer,
            1,
            values(answer) if callable(values) else values,
            expected_version=expected_version,
            action=action,
            now=now,
        )


async def _round1_editable(answer: Answer) -> None:
    if await Review.filter(answer_id=answer.id, round_no=2).exists():
        raise Conflict(
            Msg(N_("Round 2 has started for this item; change the round-2 score instead."))
        )
    if await Explanation.filter(
        review__answer_id=answer.id, review__round_no=1, submitted_at__isnull=False
    ).exists():
        raise Conflict(Msg(N_("The unit has already explained this item; set the round-2 score.")))


# ----------------------------------------------------------------------------------------------
# Round 1
# ----------------------------------------------------------------------------------------------


async def accept(
    actor: Actor,
    assessment_id: int,
    item_code: str,
    *,
    expected_version: int,
    now: datetime,
    comment: str = "",
    tz: ZoneInfo = VIETNAM,
) -> Review:
    """Round 1: the appraised score is the self score as it stands (0 if unanswered)."""
    item = await _load_item(actor, assessment_id, item_code, now, tz)
    text = _comment(comment, required=False)
    return await _save_round1(
        actor,
        item,
        lambda answer: _decision(_self_score(answer), text, accepted=True),
        expected_version=expected_version,
        action="review.accept",
        now=now,
    )


async def accept_many(
    actor: Actor,
    assessment_id: int,
    item_codes: list[str],
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> list[Review]:
    """Round 1 for many items of one sheet at once: accept the self score of every listed item
    that nobody has decided yet (the appraiser confirmed exactly this list).

    All or nothing, because a partly applied "accept all" leaves the appraiser unable to tell
    which items still need a look: any item that is unknown, a survey item, outside the actor's
    assignments, or already decided (by a colleague meanwhile) refuses the whole action, naming
    the items. Each item gets its own review and its own ``review.accept`` audit event (marked
    ``bulk``), exactly as if accepted one by one, in one transaction."""
    codes = list(dict.fromkeys(c.strip() for c in item_codes if c and c.strip()))
    if not codes:
        raise UserError(Msg(N_("There is no item left to accept.")))
    assessment = await get_assessment(assessment_id)
    scope = await _reviewer_scope(actor, assessment)
    _check_sheet_open(assessment.period, assessment, now, tz)
    tree = await outline(assessment.criteria_set_id)  # type: ignore[attr-defined]
    nodes = {n.code: n for n in tree.nodes if n.level == NodeLevel.item}
    refusals: list[tuple[type[UserError], str, Callable[[str], bool]]] = [
        (
            NotFound,
            N_("Nothing was accepted: there is no item {codes} in this criteria set."),
            lambda c: c not in nodes,
        ),
        (
            UserError,
            N_("Nothing was accepted: survey items are imported, not appraised ({codes})."),
            lambda c: nodes[c].section == Section.survey,
        ),
        (
            NotAllowedError,
            N_("Nothing was accepted: the items {codes} are not in the fields assigned to you."),
            lambda c: not scope.sees_item(c),
        ),
    ]
    for error, msgid, refused in refusals:
        if bad := [c for c in codes if refused(c)]:
            raise error(Msg(msgid, codes=", ".join(bad)))
    reviewer_id = actor.id if actor.kind == "user" else None
    created: list[Review] = []
    async with in_transaction():
        node_ids = [nodes[c].id for c in codes]
        decided = set(
            await Review.filter(
                answer__assessment_id=assessment.id, answer__node_id__in=node_ids, round_no=1
            ).values_list("answer__node_id", flat=True)
        )
        taken = [c for c in codes if nodes[c].id in decided]
        if taken:
            raise Conflict(
                Msg(
                    N_(
                        "Nothing was accepted: the items {codes} were decided meanwhile; reload "
                        "the sheet and decide again."
                    ),
                    codes=", ".join(taken),
                )
            )
        answers = {
            a.node_id: a  # type: ignore[attr-defined]
            for a in await Answer.filter(assessment_id=assessment.id, node_id__in=node_ids)
        }
        for code in codes:
            node = nodes[code]
            answer = answers.get(node.id) or await answer_row(assessment.id, node.id)
            try:
                review = await Review.create(
                    answer_id=answer.id,
                    round_no=1,
                    reviewer_id=reviewer_id,
                    version=1,
                    **_decision(_self_score(answer), "", accepted=True),
                )
            except IntegrityError:
                raise _stale_review() from None
            await record(
                actor,
                "review.accept",
                "review",
                review.id,
                unit_id=assessment.unit_id,  # type: ignore[attr-defined]
                old=None,
                new=(_review_snapshot(review) or {}) | {"item": code, "bulk": True},
            )
            created.append(review)
        await refresh_status(actor, assessment.id, now=now)
    return created


async def adjust(
    actor: Actor,
    assessment_id: int,
    item_code: str,
    *,
    score: object,
    comment: str,
    expected_version: int,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> Review:
    """Round 1: set an appraised score different from the self score; the comment says why."""
    item = await _load_item(actor, assessment_id, item_code, now, tz)
    value = parse_score(score, Decimal(item.node.max_score))
    text = _comment(comment, required=True)
    return await _save_round1(
        actor,
        item,
        _decision(value, text),
        expected_version=expected_version,
        action="review.adjust",
        now=now,
    )


async def request_explanation(
    actor: Actor,
    assessment_id: int,
    item_code: str,
    *,
    comment: str,
    expected_version: int,
    now: datetime,
    notifier: Notifier,
    due_at: datetime | None = None,
    score: object | None = None,
    tz: ZoneInfo = VIETNAM,
) -> Review:
    """Round 1: ask the unit to explain (giải trình) by a due time; its focal officers are told
    in the bot. ``score`` is an optional provisional appraised score."""
    item = await _load_item(actor, assessment_id, item_code, now, tz)
    text = _comment(comment, required=True)
    value = None if score in (None, "") else parse_score(score, Decimal(item.node.max_score))
    due = due_at or item.period.explanation_due_at
    if due is None:
        raise UserError(Msg(N_("Give a due date: the period has no deadline for explanations.")))
    if due <= now:
        raise UserError(
            Msg(N_("The due date ({when}) must be in the future."), when=format_datetime(due, tz))
        )
    review = await _save_round1(
        actor,
        item,
        _decision(value, text, due=due),
        expected_version=expected_version,
        action="review.request_explanation",
        now=now,
    )
    unit = await Unit.get(id=item.assessment.unit_id)  # type: ignore[attr-defined]
    await notify_unit(
        notifier,
        unit.id,
        kind="explanation_requested",
        msg=Msg(
            N_("The appraisal team asks {unit} to explain item {item} by {when}: {comment}"),
            unit=unit.name,
            item=item.node.code,
            when=format_datetime(due, tz),
            comment=text,
        ),
        payload={
            "assessment_id": item.assessment.id,
            "review_id": review.id,
            "item": item.node.code,
        },
    )
    return review


async def notify_unit(
    notifier: Notifier, unit_id: int, *, kind: str, msg: Msg, payload: dict[str, Any]
) -> int:
    """Tell every active focal officer of a unit; returns how many were reached. Delivery
    problems never undo the change that was already committed (and audited)."""
    officers = Officer.filter(unit_id=unit_id, active=True, role=OfficerRole.focal)
    ids = await officers.values_list("id", flat=True)
    return await notify_officers(notifier, ids, kind, msg, payload)


# ----------------------------------------------------------------------------------------------
# Round 2
# ----------------------------------------------------------------------------------------------


async def round2(
    actor: Actor,
    assessment_id: int,
    item_code: str,
    *,
    score: object,
    expected_version: int,
    now: datetime,
    comment: str = "",
    tz: ZoneInfo = VIETNAM,
) -> Review:
    """Round 2: the final appraised score of an item whose explanation was requested."""
    item = await _load_item(actor, assessment_id, item_code, now, tz)
    value = parse_score(score, Decimal(item.node.max_score))
    answer = await Answer.get_or_none(assessment_id=item.assessment.id, node_id=item.node.id)
    first = (
        await Review.get_or_none(answer_id=answer.id, round_no=1) if answer is not None else None
    )
    if answer is None or first is None or not first.explanation_requested:
        raise Conflict(
            Msg(N_("Round 2 is only for items whose explanation was requested in round 1."))
        )
    explanation = (
        await Explanation.filter(review_id=first.id, submitted_at__isnull=False)
        .order_by("-submitted_at")
        .first()
    )
    due = first.explanation_due_at or item.period.explanation_due_at
    waiting = (
        explanation is None
        and item.assessment.explanation_locked_at is None
        and (due is None or now < due)
    )
    if waiting:
        raise Conflict(
            Msg(
                N_("The unit may still explain this item until {when}; round 2 comes after."),
                when=format_datetime(due, tz) if due else "?",
            )
        )
    grants_proposal = (
        explanation is not None
        and explanation.proposed_score is not None
        and Decimal(explanation.proposed_score) == value
    )
    text = _comment(comment, required=not grants_proposal)
    async with in_transaction():
        return await _save_review(
            actor,
            item,
            answer,
            2,
            _decision(value, text, accepted=grants_proposal),
            expected_version=expected_version,
            action="review.round2",
            now=now,
        )


# ----------------------------------------------------------------------------------------------
# Status
# ----------------------------------------------------------------------------------------------


async def refresh_status(actor: Actor, assessment_id: int, *, now: datetime) -> Assessment:
    """Derive the sheet's appraisal status from its reviews (see the module docstring)."""
    assessment = await Assessment.get(id=assessment_id)
    if assessment.status not in (*_APPRAISAL_STATUSES, AssessmentStatus.draft):
        return assessment
    reviewable = len((await outline(assessment.criteria_set_id)).items)  # type: ignore[attr-defined]
    first = _round1_waiting(
        await Review.filter(answer__assessment_id=assessment_id).values_list(
            "answer_id", "round_no", "explanation_requested"
        )
    )
    if not first:
        return assessment
    if any(first.values()):
        status = AssessmentStatus.explanation_requested
    elif len(first) >= reviewable:
        status = AssessmentStatus.appraised
    else:
        status = AssessmentStatus.in_appraisal
    changes: dict[str, Any] = {}
    if status != assessment.status:
        changes["status"] = status
    if assessment.self_locked_at is None:
        changes["self_locked_at"] = now
    if not changes:
        return assessment
    await Assessment.filter(id=assessment.id).update(last_activity_at=now, **changes)
    if "status" in changes:
        await record(
            actor,
            "assessment.status",
            "assessment",
            assessment.id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
            old={"status": assessment.status},
            new={"status": status},
        )
    return await Assessment.get(id=assessment.id)


async def unlock(
    actor: Actor,
    assessment_id: int,
    *,
    reason: str,
    now: datetime,
    until: datetime | None = None,
    notifier: Notifier | None = None,
    tz: ZoneInfo = VIETNAM,
) -> Assessment:
    """An administrator reopens one unit's self-assessment, with a reason (and a new deadline
    for that unit when the period's has passed). Refused once appraisal has begun."""
    await require_admin(actor)
    assessment = await get_assessment(assessment_id)
    _check_not_published(assessment.period, assessment)
    reason = _comment(reason, required=False)
    if not reason:
        raise UserError(Msg(N_("Please give the reason for unlocking.")))
    if await Review.filter(answer__assessment_id=assessment.id).exists():
        raise Conflict(
            Msg(N_("Appraisal has started for this unit; its self-assessment cannot be reopened."))
        )
    if until is not None and until <= now:
        raise UserError(
            Msg(
                N_("The new deadline ({when}) must be in the future."),
                when=format_datetime(until, tz),
            )
        )
    window = self_assessment_window(assessment.period, assessment)
    if not self_assessment_closed(assessment.period, assessment, now):
        raise Conflict(Msg(N_("This self-assessment is open already.")))
    if until is None and now >= window.closes_at:
        raise UserError(
            Msg(N_("The deadline has passed: give this unit a new deadline to reopen it."))
        )
    old = {
        "status": assessment.status,
        "self_locked_at": assessment.self_locked_at,
        "deadline_extended_to": assessment.deadline_extended_to,
    }
    new: dict[str, Any] = {"status": AssessmentStatus.draft, "self_locked_at": None}
    if until is not None:
        new["deadline_extended_to"] = until
    async with in_transaction():
        changed = await Assessment.filter(id=assessment.id, status=assessment.status).update(
            submitted_at=None,
            submitted_by_id=None,
            leader_approved_at=None,
            leader_approved_by_id=None,
            last_activity_at=now,
            **new,
        )
        if changed == 0:
            raise Conflict(Msg(N_("The score sheet changed meanwhile; reload it.")))
        await record(
            actor,
            "assessment.unlock",
            "assessment",
            assessment.id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
            old=old,
            new=new,
            reason=reason,
        )
    if notifier is not None:
        closes = until or window.closes_at
        await notify_unit(
            notifier,
            assessment.unit_id,  # type: ignore[attr-defined]
            kind="unlocked",
            msg=Msg(
                N_("Your self-assessment is open again until {when}. Reason: {reason}"),
                when=format_datetime(closes, tz),
                reason=reason,
            ),
            payload={"assessment_id": assessment.id},
        )
    return await Assessment.get(id=assessment.id)


# ----------------------------------------------------------------------------------------------
# Reading: the items as appraisers see them
# ----------------------------------------------------------------------------------------------


@dataclass
class EvidenceView:
    id: int
    original_name: str
    size: int
    content_type: str
    page_ref: str
    created_at: datetime


@dataclass
class ReviewView:
    id: int
    round_no: int
    accepted: bool
    appraised_score: Decimal | None
    comment: str
    explanation_requested: bool
    explanation_due_at: datetime | None
    reviewer_id: int | None
    version: int
    updated_at: datetime


@dataclass
class ExplanationView:
    id: int
    review_id: int
    text: str
    proposed_score: Decimal | None
    officer_id: int | None
    channel: str
    submitted_at: datetime | None
    evidence_ids: list[int]


@dataclass
class ItemView:
    """One item of one unit's sheet: what the unit declared and what the appraisers decided."""

    assessment_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    code: str
    title: str
    section: str
    max_score: Decimal
    rule_type: str | None
    declared: Any
    declared_text: str
    self_score: Decimal | None
    not_applicable: bool
    note: str
    answer_version: int
    evidence: list[EvidenceView] = field(default_factory=list)
    round1: ReviewView | None = None
    round2: ReviewView | None = None
    explanation: ExplanationView | None = None
    answer_id: int | None = None

    @property
    def appraised_score(self) -> Decimal | None:
        """Round 2 if set, else round 1, else the self score (see scoring.results)."""
        for review in (self.round2, self.round1):
            if review is not None and review.appraised_score is not None:
                return review.appraised_score
        return self.self_score


def _review_view(r: Review) -> ReviewView:
    return ReviewView(
        id=r.id,
        round_no=r.round_no,
        accepted=r.accepted,
        appraised_score=Decimal(r.appraised_score) if r.appraised_score is not None else None,
        comment=r.comment,
        explanation_requested=r.explanation_requested,
        explanation_due_at=r.explanation_due_at,
        reviewer_id=r.reviewer_id,  # type: ignore[attr-defined]
        version=r.version,
        updated_at=r.updated_at,
    )


async def item_views(
    actor: Actor,
    *,
    period_id: int | None = None,
    assessment_id: int | None = None,
    unit_id: int | None = None,
    under: str | None = None,
    pending_only: bool = False,
    state: str | None = None,
    ready_only: bool = False,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    locale: str = "vi",
) -> tuple[int, list[ItemView]]:
    """Items the actor may see, across units of a period or in one sheet, in questionnaire
    order per unit: the appraisers' worklist. ``under`` keeps the items of one field or
    criterion; ``state`` keeps the items ``"pending"`` a decision (no round-1 review, or a
    request whose round 2 is missing; also ``pending_only``), ``"reviewed"`` (a round-1 review)
    or ``"explained"`` (the unit sent an explanation); ``ready_only`` keeps sheets whose
    self-assessment is closed at ``now`` (submitted, locked or past the deadline).
    Returns (total, page)."""
    if pending_only:
        state = "pending"
    if state not in (None, *ITEM_STATES):
        raise ValueError(f"unknown item state {state!r}")
    query = Assessment.filter(**given(id=assessment_id, period_id=period_id, unit_id=unit_id))
    assessments = await query.prefetch_related("unit", "period").order_by(
        "unit__sort_order", "unit_id"
    )
    if ready_only:
        moment = now or datetime.now(UTC)
        assessments = [a for a in assessments if self_assessment_closed(a.period, a, moment)]
    if assessment_id is not None and not assessments:
        raise NotFound(Msg(N_("There is no score sheet with the id {id}."), id=assessment_id))
    scopes: dict[int, Scope] = {}
    nodes_by_set: dict[int, list[OutlineNode]] = {}
    visible: list[Assessment] = []
    for a in assessments:
        set_id = a.criteria_set_id  # type: ignore[attr-defined]
        if set_id not in scopes:
            scopes[set_id] = await scope_for(actor, set_id)
            nodes_by_set[set_id] = (await outline(set_id)).nodes
        if scopes[set_id].sees_unit(a.unit_id):  # type: ignore[attr-defined]
            visible.append(a)
    if assessment_id is not None and not visible:
        raise NotAllowedError(Msg(N_("You may not see this unit's score sheet.")))
    pairs: list[tuple[Assessment, OutlineNode]] = []
    for a in visible:
        set_id = a.criteria_set_id  # type: ignore[attr-defined]
        nodes = nodes_by_set[set_id]
        wanted = items_under(nodes, {under}) if under is not None else None
        for n in nodes:
            if n.level != NodeLevel.item or not scopes[set_id].sees_item(n.code, a.unit_id):  # type: ignore[attr-defined]
                continue
            if wanted is not None and n.code not in wanted:
                continue
            pairs.append((a, n))
    if state is not None and pairs:
        pairs = await _in_state(pairs, state, period_id, [a.id for a in visible])
    total = len(pairs)
    page = pairs[offset : offset + limit]
    # Only the page is loaded in full: a worklist over 3,500 units stays a few queries.
    answers: dict[tuple[int, int], Answer] = {}
    if page:
        for ans in await Answer.filter(
            assessment_id__in={a.id for a, _n in page}, node_id__in={n.id for _a, n in page}
        ):
            answers[(ans.assessment_id, ans.node_id)] = ans  # type: ignore[attr-defined]
    answer_ids = [answers[(a.id, n.id)].id for a, n in page if (a.id, n.id) in answers]
    reviews: dict[int, dict[int, Review]] = {}
    if answer_ids:
        for r in await Review.filter(answer_id__in=answer_ids):
            reviews.setdefault(r.answer_id, {})[r.round_no] = r  # type: ignore[attr-defined]
    evidence: dict[int, list[EvidenceView]] = {}
    explanations: dict[int, ExplanationView] = {}
    if answer_ids:
        for e in await Evidence.filter(answer_id__in=answer_ids, removed_at=None).order_by("id"):
            evidence.setdefault(e.answer_id, []).append(  # type: ignore[attr-defined]
                EvidenceView(
                    e.id, e.original_name, e.size, e.content_type, e.page_ref, e.created_at
                )
            )
        review_ids = [r.id for rs in (reviews.get(i, {}) for i in answer_ids) for r in rs.values()]
        if review_ids:
            for x in await Explanation.filter(review_id__in=review_ids).prefetch_related("files"):
                explanations[x.review_id] = ExplanationView(  # type: ignore[attr-defined]
                    id=x.id,
                    review_id=x.review_id,  # type: ignore[attr-defined]
                    text=x.text,
                    proposed_score=Decimal(x.proposed_score)
                    if x.proposed_score is not None
                    else None,
                    officer_id=x.officer_id,  # type: ignore[attr-defined]
                    channel=x.channel,
                    submitted_at=x.submitted_at,
                    evidence_ids=sorted(f.id for f in x.files),
                )
    out: list[ItemView] = []
    for a, n in page:
        ans = answers.get((a.id, n.id))
        rs = reviews.get(ans.id, {}) if ans else {}
        declared_text = ""
        rule = n.rule if ans is not None and ans.declared is not None else None
        with suppress(UserError):  # a stale answer is shown without its description
            declared_text = describe(rule, ans.declared, locale) if rule and ans else ""
        first = rs.get(1)
        out.append(
            ItemView(
                assessment_id=a.id,
                unit_id=a.unit_id,  # type: ignore[attr-defined]
                unit_code=a.unit.code,
                unit_name=a.unit.name,
                code=n.code,
                title=n.title,
                section=n.section,
                max_score=n.max_score,
                rule_type=n.rule.type if n.rule else None,
                declared=ans.declared if ans else None,
                declared_text=declared_text,
                self_score=Decimal(ans.self_score) if ans and ans.self_score is not None else None,
                not_applicable=bool(ans and ans.not_applicable),
                note=ans.note if ans else "",
                answer_version=ans.version if ans else 0,
                evidence=evidence.get(ans.id, []) if ans else [],
                round1=_review_view(first) if first else None,
                round2=_review_view(rs[2]) if 2 in rs else None,
                explanation=explanations.get(first.id) if first else None,
                answer_id=ans.id if ans else None,
            )
        )
    return total, out


ITEM_STATES = ("pending", "reviewed", "explained")


async def _in_state(
    pairs: list[tuple[Assessment, OutlineNode]],
    state: str,
    period_id: int | None,
    assessment_ids: list[int],
) -> list[tuple[Assessment, OutlineNode]]:
    """Filter (sheet, item) pairs by their appraisal state from two light queries."""
    if period_id is not None:
        reviews = Review.filter(answer__assessment__period_id=period_id)
        explained = Explanation.filter(review__answer__assessment__period_id=period_id)
    else:
        reviews = Review.filter(answer__assessment_id__in=assessment_ids)
        explained = Explanation.filter(review__answer__assessment_id__in=assessment_ids)
    if state == "explained":
        keys = set(
            await explained.filter(submitted_at__not_isnull=True).values_list(
                "review__answer__assessment_id", "review__answer__node_id"
            )
        )
        return [(a, n) for a, n in pairs if (a.id, n.id) in keys]
    first = _round1_waiting(
        ((aid, nid), round_no, requested)
        for aid, nid, round_no, requested in await reviews.values_list(
            "answer__assessment_id", "answer__node_id", "round_no", "explanation_requested"
        )
    )
    if state == "reviewed":
        return [(a, n) for a, n in pairs if (a.id, n.id) in first]
    return [
        (a, n) for a, n in pairs if n.section != Section.survey and first.get((a.id, n.id), True)
    ]


def _round1_waiting(rows: Iterable[tuple[Any, int, bool]]) -> dict[Any, bool]:
    """Per key with a round-1 review: whether it still waits for a decision, that is, it
    requested an explanation and has no round-2 score yet. ``rows``: (key, round, requested)."""
    rows = list(rows)
    second = {key for key, round_no, _requested in rows if round_no == 2}
    return {key: req and key not in second for key, round_no, req in rows if round_no == 1}


async def evidence_for_download(actor: Actor, evidence_id: int) -> Evidence:
    """The evidence row if the actor may see that unit's item (else 403), for a download."""
    evidence = await Evidence.get_or_none(id=evidence_id, removed_at=None).prefetch_related(
        "answer__assessment", "answer__node"
    )
    if evidence is None:
        raise NotFound(Msg(N_("There is no file with the id {id}."), id=evidence_id))
    assessment = evidence.answer.assessment
    scope = await scope_for(actor, assessment.criteria_set_id)  # type: ignore[attr-defined]
    if not scope.sees_unit(assessment.unit_id) or not scope.sees_item(  # type: ignore[attr-defined]
        evidence.answer.node.code,
        assessment.unit_id,  # type: ignore[attr-defined]
    ):
        raise NotAllowedError(Msg(N_("You may not see this unit's evidence.")))
    return evidence


async def visible_assessment(actor: Actor, assessment_id: int) -> Assessment:
    """A sheet the actor may see: every back-office role, or an officer of that unit."""
    assessment = await get_assessment(assessment_id)
    scope = await scope_for(actor, assessment.criteria_set_id)  # type: ignore[attr-defined]
    if scope.unit_id is not None and scope.unit_id != assessment.unit_id:  # type: ignore[attr-defined]
        raise NotAllowedError(Msg(N_("You may not see this unit's score sheet.")))
    return assessment


# ----------------------------------------------------------------------------------------------
# Progress of score sheets
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    items: int  # self-assessed items of the set (survey excluded)
    answered: int
    with_evidence: int
    reviewed: int  # items with a round-1 review
    explanations_pending: int  # requests without a round-2 score
    # the sheet's newest change: its own (submission, appraisal) or its newest answer's
    last_activity_at: datetime | None = None


async def progress_of(assessments: list[Assessment]) -> dict[int, Progress]:
    """Counts per sheet in a handful of grouped queries, whatever the number of sheets."""
    if not assessments:
        return {}
    ids = [a.id for a in assessments]
    set_ids = {a.criteria_set_id for a in assessments}  # type: ignore[attr-defined]
    per_set = {set_id: len((await outline(set_id)).items) for set_id in set_ids}
    answered = {
        row["assessment_id"]: row["n"]
        for row in await Answer.filter(assessment_id__in=ids)
        .filter(declared__not_isnull=True)
        .annotate(n=Count("id"))
        .group_by("assessment_id")
        .values("assessment_id", "n")
    }
    # An answer's time is its own row's, not copied onto the sheet on every answer (the bot's
    # hot path would pay one more UPDATE for it): the later of the two is the sheet's.
    last_answered = {
        row["assessment_id"]: row["last"]
        for row in await Answer.filter(assessment_id__in=ids, version__gt=0)
        .annotate(last=Max("updated_at"))
        .group_by("assessment_id")
        .values("assessment_id", "last")
    }
    with_files: dict[int, set[int]] = {}
    for row in await Evidence.filter(answer__assessment_id__in=ids, removed_at__isnull=True).values(
        "answer__assessment_id", "answer_id"
    ):
        with_files.setdefault(row["answer__assessment_id"], set()).add(row["answer_id"])
    first = _round1_waiting(
        ((aid, answer_id), round_no, requested)
        for aid, answer_id, round_no, requested in await Review.filter(
            answer__assessment_id__in=ids
        ).values_list("answer__assessment_id", "answer_id", "round_no", "explanation_requested")
    )
    reviewed = Counter(aid for aid, _answer in first)
    pending = Counter(aid for (aid, _answer), waiting in first.items() if waiting)
    return {
        a.id: Progress(
            items=per_set.get(a.criteria_set_id, 0),  # type: ignore[attr-defined]
            answered=answered.get(a.id, 0),
            with_evidence=len(with_files.get(a.id, ())),
            reviewed=reviewed.get(a.id, 0),
            explanations_pending=pending.get(a.id, 0),
            last_activity_at=max(
                (t for t in (a.last_activity_at, last_answered.get(a.id)) if t is not None),
                default=None,
            ),
        )
        for a in assessments
    }
