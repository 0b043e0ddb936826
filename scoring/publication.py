"""What the secretariat looks at before and after publishing a period, and what each unit is
told afterwards.

Everything here reads :func:`scoring.results.results` (the live tables before publication, the
frozen snapshot after) and never computes a score of its own:

* :func:`publication_view`: per unit group the final ranking (appraised figures) beside the
  provisional one (the units' self-assessed figures), the units listed apart because they never
  submitted, and the sheets still unfinished, which block publishing unless it is forced with a
  reason (:func:`scoring.results.publish`).
* :func:`unit_outcome`: one unit's published total, index, rank and band, for the message each
  officer receives after publication and for the officers' web form.
* :func:`round2_outcomes`: the items of a sheet that round 2 re-appraised, with their round-1
  and round-2 scores, for the message each officer receives once round 2 of the sheet is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.audit import Actor
from core.auth import require_role
from forms.models import Assessment, AssessmentStatus, Period
from scoring.models import ResultSnapshot, Review
from scoring.results import rank_unsubmitted_last, results

# Sheets whose appraisal is finished: publishing does not need a reason for them.
FINISHED = (AssessmentStatus.appraised, AssessmentStatus.final)


@dataclass(frozen=True)
class RankingRow:
    """One unit: its provisional (self-assessed) and final (appraised) figures side by side."""

    unit_id: int
    unit_code: str
    unit_name: str
    assessment_id: int
    status: str
    submitted: bool
    provisional: dict[str, Any]
    final: dict[str, Any]

    @property
    def moved(self) -> int | None:
        """Places gained (positive) or lost by the appraisal; None when either is unranked."""
        before, after = self.provisional.get("rank"), self.final.get("rank")
        return None if before is None or after is None else before - after


@dataclass(frozen=True)
class GroupRanking:
    unit_group_id: int
    name: str
    bands: list[dict[str, Any]]
    ranked: list[RankingRow]  # in final rank order
    apart: list[RankingRow]  # never submitted, listed apart ("chưa nộp")
    rank_last: bool  # the period ranks units that never submitted after the others


@dataclass(frozen=True)
class UnfinishedSheet:
    unit_code: str
    unit_name: str
    status: str
    submitted: bool


@dataclass(frozen=True)
class PublicationView:
    period: Period
    groups: list[GroupRanking]
    unfinished: list[UnfinishedSheet]

    @property
    def published(self) -> bool:
        return self.period.published_at is not None

    @property
    def rank_unsubmitted_last(self) -> bool:
        return rank_unsubmitted_last(self.period)


def _row(u: dict[str, Any]) -> RankingRow:
    return RankingRow(
        unit_id=u["unit_id"],
        unit_code=u["unit_code"],
        unit_name=u["unit_name"],
        assessment_id=u["assessment_id"],
        status=u["status"],
        submitted=bool(u.get("submitted", True)),
        provisional=u["self"],
        final=u["appraised"],
    )


def rank_order(row: RankingRow) -> tuple[bool, int, str]:
    """Final rank first, the unranked after them, then by name (the order tables print)."""
    rank = row.final.get("rank")
    return (rank is None, rank or 0, row.unit_name)


def group_ranking(table: dict[str, Any]) -> GroupRanking:
    """One results table as the publication shows it: ranked units, and units apart."""
    rank_last = bool(table.get("rank_unsubmitted_last", False))
    rows = [_row(u) for u in table["units"]]
    ranked = sorted((r for r in rows if r.submitted or rank_last), key=rank_order)
    apart = sorted((r for r in rows if not (r.submitted or rank_last)), key=lambda r: r.unit_name)
    return GroupRanking(
        unit_group_id=table["unit_group_id"],
        name=table["group_name"],
        bands=list(table["bands"]),
        ranked=ranked,
        apart=apart,
        rank_last=rank_last,
    )


async def publication_view(actor: Actor, period: Period) -> PublicationView:
    """Every back-office role may look; only an administrator may publish."""
    await require_role(actor)
    tables = await results(actor, period.id)
    pending = (
        await Assessment.filter(period_id=period.id)
        .exclude(status__in=FINISHED)
        .prefetch_related("unit")
        .order_by("unit__group_id", "unit__sort_order", "unit_id")
    )
    return PublicationView(
        period=period,
        groups=[group_ranking(t) for t in tables],
        unfinished=[
            UnfinishedSheet(
                a.unit.code, a.unit.name, str(a.status.value), a.submitted_at is not None
            )
            for a in pending
        ],
    )


@dataclass(frozen=True)
class UnitOutcome:
    """A unit's published result: what its officers are told and shown."""

    period_id: int
    period_name: str
    unit_name: str
    group_name: str
    submitted: bool
    total: str | None
    index: str | None
    rank: int | None
    ranked_units: int  # how many units of the group are ranked
    band: str | None


async def published_outcomes(period_id: int) -> dict[int, UnitOutcome]:
    """Every unit's published result by unit id; empty before publication (reads only). The
    scheduler reads it once per sending run rather than once per officer."""
    period = await Period.get_or_none(id=period_id)
    if period is None or period.published_at is None:
        return {}
    found: dict[int, UnitOutcome] = {}
    for snap in await ResultSnapshot.filter(period_id=period.id).prefetch_related("unit_group"):
        table = snap.data
        ranked = sum(1 for x in table["units"] if x["appraised"].get("rank") is not None)
        for u in table.get("units", []):
            figures = u["appraised"]
            found[u["unit_id"]] = UnitOutcome(
                period_id=period.id,
                period_name=period.name,
                unit_name=u["unit_name"],
                group_name=table.get("group_name", snap.unit_group.name),
                submitted=bool(u.get("submitted", True)),
                total=figures.get("total"),
                index=figures.get("index"),
                rank=figures.get("rank"),
                ranked_units=ranked,
                band=figures.get("band"),
            )
    return found


async def unit_outcome(period_id: int, unit_id: int) -> UnitOutcome | None:
    """The unit's figures in the published snapshot; None before publication (reads only)."""
    return (await published_outcomes(period_id)).get(unit_id)


@dataclass(frozen=True)
class ItemOutcome:
    """One re-appraised item: the round-1 score, the round-2 (final) score and its comment."""

    code: str
    position: int
    round1: Decimal | None
    round2: Decimal | None
    comment: str


async def round2_outcomes(assessment_id: int) -> list[ItemOutcome]:
    """The items of a sheet with a round-2 score, in the order of the criteria (reads only)."""
    rows = await Review.filter(answer__assessment_id=assessment_id).values(
        "round_no",
        "appraised_score",
        "comment",
        "answer_id",
        "answer__node__code",
        "answer__node__position",
    )
    first = {r["answer_id"]: r for r in rows if r["round_no"] == 1}
    found = [
        ItemOutcome(
            code=r["answer__node__code"],
            position=r["answer__node__position"],
            round1=first[r["answer_id"]]["appraised_score"] if r["answer_id"] in first else None,
            round2=r["appraised_score"],
            comment=r["comment"] or "",
        )
        for r in rows
        if r["round_no"] == 2
    ]
    return sorted(found, key=lambda o: o.position)
