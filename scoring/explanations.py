"""The unit's side of appraisal: open explanation requests, the answer to one and its files.

The appraiser asks (scoring/appraisal); the officer explains here, from the bot or the web form,
with text, an optional proposed score and files attached to the item. The unit never
changes an appraised score: round 2 is the appraiser's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.files import FileStore
from core.i18n import N_, Msg, UserError
from core.models import Officer
from core.numbers import NumberError, format_score, parse_decimal
from core.timefmt import VIETNAM, format_datetime
from forms.answers import LockedError, NotAllowedError
from forms.evidence import Attached, clean_name, store_file
from forms.models import AssessmentStatus, Evidence
from scoring.models import Explanation, Review

MAX_TEXT = 8000


async def open_requests(assessment_id: int) -> list[Review]:
    """Requests of the latest round that still await the unit's explanation, in item order."""
    reviews = (
        await Review.filter(answer__assessment_id=assessment_id, explanation_requested=True)
        .prefetch_related("answer__node", "explanations")
        .order_by("answer__node__position")
    )
    return [r for r in reviews if not any(e.submitted_at for e in r.explanations)]


async def _open_request(
    actor: Actor, review_id: int, *, now: datetime, tz: ZoneInfo, refuse_final: bool = False
) -> tuple[Review, Officer]:
    """The request ``actor`` may still explain, and the acting officer; the same checks, in the
    same order, for the explanation and for the files attached to it."""
    review = await Review.get_or_none(id=review_id).prefetch_related(
        "answer__assessment__period", "answer__node"
    )
    if review is None:
        raise NotAllowedError(Msg(N_("This explanation request does not exist.")))
    assessment = review.answer.assessment
    if actor.kind != "officer":
        raise NotAllowedError(Msg(N_("Only the unit's officers explain its self-assessment.")))
    officer = await Officer.get_or_none(id=actor.id, active=True)
    if officer is None or officer.unit_id != assessment.unit_id:  # type: ignore[attr-defined]
        raise NotAllowedError(Msg(N_("You can only answer for your own unit.")))
    if not review.explanation_requested:
        raise UserError(Msg(N_("No explanation was requested for this item.")))
    final = refuse_final and assessment.status == AssessmentStatus.final
    if final or assessment.period.published_at is not None:
        raise LockedError(Msg(N_("The results are published; nothing can be changed.")))
    due = review.explanation_due_at or assessment.period.explanation_due_at
    if assessment.explanation_locked_at is not None or (due is not None and now >= due):
        when = format_datetime(due, tz) if due else ""
        raise LockedError(Msg(N_("The time for explanations ({when}) has passed."), when=when))
    return review, officer


async def answer_explanation(
    actor: Actor,
    review_id: int,
    *,
    text: str,
    proposed_score: str | None = None,
    evidence_ids: Sequence[int] = (),
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> Explanation:
    """Record the unit's explanation (giải trình bổ sung) for one request.

    Sending again before the due time replaces the text, score and files: the appraiser reads
    the latest version, and the audit trail keeps every earlier one.
    """
    review, officer = await _open_request(actor, review_id, now=now, tz=tz)
    assessment = review.answer.assessment
    text = text.strip()
    if not text:
        raise UserError(Msg(N_("Please write the explanation.")))
    if len(text) > MAX_TEXT:
        raise UserError(
            Msg(N_("The explanation is too long (at most {n} characters)."), n=MAX_TEXT)
        )
    score: Decimal | None = None
    if proposed_score:
        try:
            score = parse_decimal(proposed_score)
        except NumberError as exc:
            raise UserError(exc.msg) from None
        maximum = Decimal(review.answer.node.max_score)
        if score < 0 or score > maximum:
            raise UserError(
                Msg(
                    N_("The proposed score must be between 0 and {max}."), max=format_score(maximum)
                )
            )
    files = await Evidence.filter(
        id__in=list(evidence_ids), removed_at=None, answer__assessment_id=assessment.id
    )
    if len(files) != len(set(evidence_ids)):
        raise NotAllowedError(Msg(N_("Some of the files do not belong to this score sheet.")))
    async with in_transaction():
        explanation = await Explanation.filter(review_id=review.id).first()
        old = None
        if explanation is None:
            explanation = await Explanation.create(
                review_id=review.id,
                text=text,
                proposed_score=score,
                officer_id=officer.id,
                channel=actor.channel.value,
                submitted_at=now,
            )
        else:
            old = {"text": explanation.text, "proposed_score": explanation.proposed_score}
            explanation.text, explanation.proposed_score = text, score
            explanation.officer_id = officer.id  # type: ignore[attr-defined]
            explanation.channel, explanation.submitted_at = actor.channel.value, now
            await explanation.save()
            await explanation.files.clear()
        if files:
            await explanation.files.add(*files)
        await record(
            actor,
            "explanation.submit",
            "explanation",
            explanation.id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
            old=old,
            new={
                "review_id": review.id,
                "item": review.answer.node.code,
                "text": text,
                "proposed_score": score,
                "files": sorted(f.id for f in files),
            },
        )
    return explanation


async def attach_explanation_file(
    actor: Actor,
    review_id: int,
    *,
    data: bytes,
    name: str | None,
    files: FileStore,
    max_bytes: int,
    now: datetime,
    page_ref: str = "",
    tz: ZoneInfo = VIETNAM,
) -> Attached:
    """Attach a file to the item an appraiser asked about, while the explanation is open.

    The score sheet is submitted by then, so the self-assessment window does not apply; the
    request and its due time do. Link the file to the explanation with
    :func:`answer_explanation`.
    """
    review, _ = await _open_request(actor, review_id, now=now, tz=tz, refuse_final=True)
    return await store_file(
        actor,
        review.answer,
        item=review.answer.node.code,
        unit_id=review.answer.assessment.unit_id,  # type: ignore[attr-defined]
        data=data,
        name=clean_name(name, "tep"),
        max_bytes=max_bytes,
        files=files,
        page_ref=page_ref,
        action="evidence.attach_explanation",
    )
