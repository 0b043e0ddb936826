"""What officers are told after publication and after round 2 of their sheet's appraisal.

These are notices, not reminders, but they go through the same delivery ledger so they are
delivered **exactly once** and survive restarts: the planner (:mod:`scheduler.planning`) writes
one ledger row per officer of the unit (focal officers and the leader), keyed by the sheet and
the moment the outcome was settled, and the sender (:func:`scheduler.delivery.decide`) builds
the text when it sends, from the stored results (:mod:`scoring.publication`). A crash before
sending leaves the row planned; a second planner finds the key already there.

* ``published``: subject ``published:<sheet>``, deadline the period's publication time: the
  unit's total, index, rank among the ranked units of its group and band, or, for a unit that
  never submitted, that it is listed apart; and where the scorecard is.
* ``round2``: subject ``round2:<sheet>``, deadline the time of the sheet's latest round-2 score,
  planned once the sheet is appraised again (no request left open): every re-appraised item
  with its round-1 and round-2 score. A later correction of a round-2 score settles a new
  outcome, so the officer is told again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.i18n import N_, Msg
from core.numbers import format_score
from scoring.publication import ItemOutcome, UnitOutcome

PUBLISHED = "published"
ROUND2 = "round2"
PUBLISHED_OFFSET = "published"
ROUND2_OFFSET = "round2"
# A Telegram message holds 4,096 characters: at most 20 items of at most about 120 characters
# each (the comment cut at 80) are listed, the rest counted.
MAX_ITEMS = 20
MAX_COMMENT = 80

PUBLISHED_RANKED = N_(
    "The PAR index results of {period} are published. {unit} ({group}): total score {total}, "
    "index {index}%, rank {rank} of {count}, band {band}. Your unit's scorecard: send "
    "/bangdiem in this chat, or open {url}"
)
PUBLISHED_APART = N_(
    "The PAR index results of {period} are published. {unit} ({group}) did not submit its "
    "self-assessment, so it is listed apart and not ranked (total score {total}, index "
    "{index}%). Your unit's scorecard: send /bangdiem in this chat, or open {url}"
)
ROUND2_DONE = N_(
    "Round 2 of the appraisal of {unit} is finished. The appraisal team re-appraised {count} "
    "item(s) after your explanations:\n{items}"
)
ROUND2_ITEM = N_("• {code}: {before} → {after} point(s){comment}")
ROUND2_MORE = N_("… and {n} more item(s): see the score sheet.")
WHY_PUBLISHED = N_("the results of the period were published")
WHY_ROUND2 = N_("round 2 of the appraisal of the sheet is finished")


class Score(Msg):
    """A score shown in the reader's language ("0,5" in Vietnamese) when the notice renders."""

    __slots__ = ("value",)

    def __init__(self, value: Decimal | str | None, places: int | None = None) -> None:
        super().__init__("", places=places)
        self.value = value

    def render(self, locale: str | None = None) -> str:
        value = None if self.value in (None, "") else Decimal(str(self.value))
        return format_score(value, locale or "vi", self.params["places"])


class Lines(Msg):
    """Several messages, one per line, rendered in the reader's language."""

    __slots__ = ("lines",)

    def __init__(self, lines: list[Msg]) -> None:
        super().__init__("")
        self.lines = lines

    def render(self, locale: str | None = None) -> str:
        return "\n".join(line.render(locale) for line in self.lines)


def published_text(outcome: UnitOutcome, url: str) -> Msg:
    """The publication notice of one unit (pure)."""
    common: dict[str, Any] = {
        "period": outcome.period_name,
        "unit": outcome.unit_name,
        "group": outcome.group_name,
        "total": Score(outcome.total, 2),
        "index": Score(outcome.index, 2),
        "url": url,
    }
    if outcome.rank is None:
        return Msg(PUBLISHED_APART, **common)
    return Msg(
        PUBLISHED_RANKED,
        rank=outcome.rank,
        count=outcome.ranked_units,
        band=outcome.band or "–",
        **common,
    )


def _short(comment: str) -> str:
    text = " ".join(comment.split())
    return text if len(text) <= MAX_COMMENT else text[: MAX_COMMENT - 1].rstrip() + "…"


def round2_text(unit: str, items: list[ItemOutcome]) -> Msg:
    """The round-2 notice of one sheet (pure): every re-appraised item, at most
    :data:`MAX_ITEMS` listed."""
    lines: list[Msg] = [
        Msg(
            ROUND2_ITEM,
            code=i.code,
            before=Score(i.round1),
            after=Score(i.round2),
            comment=f" ({_short(i.comment)})" if i.comment.strip() else "",
        )
        for i in items[:MAX_ITEMS]
    ]
    if len(items) > MAX_ITEMS:
        lines.append(Msg(ROUND2_MORE, n=len(items) - MAX_ITEMS))
    return Msg(ROUND2_DONE, unit=unit, count=len(items), items=Lines(lines))


def published_subject(assessment_id: int) -> str:
    return f"{PUBLISHED}:{assessment_id}"


def round2_subject(assessment_id: int) -> str:
    return f"{ROUND2}:{assessment_id}"
