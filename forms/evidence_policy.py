"""When an item's evidence is required: a pure rule over the item and its answer.

The decisions ask for proof of what earns points, or of a declared penalty event: a unit that
declares 0 initiatives (bonus) or "no violation" has nothing to prove, and asking for a file
then only pushes officers to upload filler. So an item marked "evidence required" in the
criteria workbook needs a file only when its answer claims points (column "TLKC bắt buộc
khi" = "Có điểm", the default), or whatever the answer (= "Luôn luôn"). An item answered
"not applicable" or not answered yet never needs one.

The progress line, /tiendo, submission, the bot's card and the web form all ask this one
function, so they can never disagree about what blocks a submission.
"""

from __future__ import annotations

from decimal import Decimal

from forms.rules import Rule

WHEN_POINTS = "points"
WHEN_ALWAYS = "always"


def evidence_needed(
    *,
    required: bool,
    when: str,
    rule: Rule | None,
    answered: bool,
    not_applicable: bool,
    score: Decimal | None,
) -> bool:
    """Whether this answer needs at least one evidence file.

    "Points claimed" is read from the score the rule gave: above 0 for an item that counts up
    (in the penalty section that is a declared penalty event), below the maximum for a
    ``deduction`` item, which counts down from its maximum (a declared violation).
    """
    if not required or not answered or not_applicable:
        return False
    if when == WHEN_ALWAYS:
        return True
    points = score or Decimal(0)
    if rule is not None and rule.type == "deduction":
        return points < rule.max_score
    return points > 0
