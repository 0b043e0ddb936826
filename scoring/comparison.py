"""A period's results beside the previous period's: each unit's index and rank then and now,
and the fields that moved its index most.

Units are the same rows from one year to the next, so a unit is followed by its code. Criteria
sets change a little each year, so a field is followed by its wording first and its code
second (see :mod:`forms.criteria_diff`). A field's move is measured in index points, its
appraised score over the unit's applicable maximum (×100), because that is what moved the
index; the bonus and penalty parts count as fields of their own.

:func:`compare_results` is pure over the results tables of :func:`scoring.results.results`, so
the page and the tests read the same figures; :func:`compare_with_previous` fetches them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.audit import Actor
from core.i18n import N_
from forms.models import Period
from forms.printed_rules import fold_letters
from scoring.results import results

HUNDRED = Decimal(100)
BONUS_TITLE = N_("Bonus points")
PENALTY_TITLE = N_("Penalty points")


@dataclass(frozen=True)
class FieldMove:
    code: str
    title: str
    change: Decimal  # index points, positive when it raised the index


@dataclass(frozen=True)
class UnitComparison:
    unit_code: str
    unit_name: str
    index: Decimal | None
    rank: int | None
    previous_index: Decimal | None
    previous_rank: int | None
    moves: tuple[FieldMove, ...]

    @property
    def index_change(self) -> Decimal | None:
        if self.index is None or self.previous_index is None:
            return None
        return self.index - self.previous_index


def _d(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _contributions(unit: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, str, Decimal]]:
    """(folded title, code) -> (code, title, index points) for each field, bonus and penalty."""
    figures = unit["appraised"]
    applicable = _d(figures.get("applicable_max"))
    if not applicable:
        return {}
    out: dict[tuple[str, str], tuple[str, str, Decimal]] = {}
    for row in unit.get("fields", ()):
        points = _d(row.get("appraised"))
        if points is not None:
            key = (" ".join(fold_letters(str(row["title"])).split()), str(row["code"]))
            out[key] = (str(row["code"]), str(row["title"]), points * HUNDRED / applicable)
    for code, title, sign in (("C", BONUS_TITLE, 1), ("T", PENALTY_TITLE, -1)):
        points = _d(figures.get("bonus" if code == "C" else "penalty"))
        if points:
            out[("", code)] = (code, title, sign * points * HUNDRED / applicable)
    return out


def _moves(now: Mapping[str, Any], before: Mapping[str, Any], top: int) -> tuple[FieldMove, ...]:
    current, previous = _contributions(now), _contributions(before)
    by_title = {key[0]: key for key in previous if key[0]}
    by_code = {key[1]: key for key in previous}
    moves: list[FieldMove] = []
    used: set[tuple[str, str]] = set()
    for key, (code, title, value) in current.items():
        match = by_title.get(key[0]) if key[0] else None
        if match is None or match in used:
            match = by_code.get(code)
        old = Decimal(0)
        if match is not None and match not in used:
            used.add(match)
            old = previous[match][2]
        moves.append(FieldMove(code, title, value - old))
    for key, (code, title, value) in previous.items():
        if key not in used:
            moves.append(FieldMove(code, title, -value))
    moves = [m for m in moves if m.change != 0]
    moves.sort(key=lambda m: (-abs(m.change), m.code))
    return tuple(moves[:top])


def compare_results(
    current: Sequence[Mapping[str, Any]], previous: Sequence[Mapping[str, Any]], top: int = 3
) -> dict[str, UnitComparison]:
    """Unit code -> the unit's appraised index and rank now and in the previous period, and the
    ``top`` fields that moved it most. A unit absent last time has no previous figures."""
    before = {u["unit_code"]: u for table in previous for u in table["units"]}
    out: dict[str, UnitComparison] = {}
    for table in current:
        for unit in table["units"]:
            old = before.get(unit["unit_code"])
            out[unit["unit_code"]] = UnitComparison(
                unit_code=unit["unit_code"],
                unit_name=unit["unit_name"],
                index=_d(unit["appraised"].get("index")),
                rank=unit["appraised"].get("rank"),
                previous_index=_d(old["appraised"].get("index")) if old else None,
                previous_rank=old["appraised"].get("rank") if old else None,
                moves=_moves(unit, old, top) if old else (),
            )
    return out


async def previous_period(period: Period) -> Period | None:
    """The latest period of an earlier year."""
    return await Period.filter(year__lt=period.year).order_by("-year", "-id").first()


async def compare_with_previous(
    actor: Actor, period: Period, current: Sequence[Mapping[str, Any]] | None = None
) -> tuple[Period | None, dict[str, UnitComparison]]:
    """The previous period and the comparison; nothing when there is no earlier period.
    ``current`` is the period's results when the caller already has them."""
    earlier = await previous_period(period)
    if earlier is None:
        return None, {}
    now = current if current is not None else await results(actor, period.id)
    then = await results(actor, earlier.id)
    return earlier, compare_results(now, then)
