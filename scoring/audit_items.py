"""Which audit-trail entities belong to one criteria item, so the audit page can filter by item.

Events name the row they changed (an answer, a review, an evidence file, an explanation), not the
item code; this resolves a code to those rows once, for :class:`core.audit_query.AuditFilter`'s
``any_of``, without reading JSON columns (which SQLite and PostgreSQL query differently).
"""

from __future__ import annotations

from forms.models import Answer, Evidence
from scoring.models import Explanation, Review


async def item_entities(code: str, *, unit_id: int | None = None) -> dict[str, list[str]]:
    """Entity name -> ids of the rows about item ``code`` (in one unit, when given)."""
    answers = Answer.filter(node__code=code)
    if unit_id is not None:
        answers = answers.filter(assessment__unit_id=unit_id)
    answer_ids = list(await answers.values_list("id", flat=True))
    if not answer_ids:
        return {"answer": []}
    review_ids = list(await Review.filter(answer_id__in=answer_ids).values_list("id", flat=True))
    evidence_ids = await Evidence.filter(answer_id__in=answer_ids).values_list("id", flat=True)
    explanation_ids = (
        await Explanation.filter(review_id__in=review_ids).values_list("id", flat=True)
        if review_ids
        else []
    )
    return {
        "answer": [str(i) for i in answer_ids],
        "review": [str(i) for i in review_ids],
        "evidence": [str(i) for i in evidence_ids],
        "explanation": [str(i) for i in explanation_ids],
    }
