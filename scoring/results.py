"""Results of a period per unit group: database → :mod:`forms.rollup` → ranked tables.

For each unit the self-assessed and the appraised figures are rolled up by the same pure
roll-up, so they can be compared field by field (the gap is appraised minus self).

**The appraised score of an item** is the round-2 score when one is set, else the round-1
appraised score (an accepted item carries the self score it accepted), else the self score. An
item nobody has reviewed yet therefore counts at its self score: the live table during appraisal
shows "what the unit gets if the appraisers agree", and an unreviewed item never silently drops
to 0. A review that sets a score on an item the unit marked not applicable makes it applicable
again in the appraised figures. Survey points (imported, :mod:`scoring.survey`) are the same in
both; items not answered count 0 against their maximum (see docs/scoring.md).

Rank and band are computed for both figures within each unit group; the appraised ones are the
official result. **Publication** freezes the tables as :class:`~scoring.models.ResultSnapshot`
rows (one per group) and every later read returns the snapshot, whatever changes afterwards.

**Loading** is :func:`scoring.loader.load_period`, the same loader the workbooks use: one
row per sheet with its answers packed as short text tokens; tokens repeat across units (the
same item, the same scores), so Python decodes each distinct token once. SQL only selects which
stored value counts (the reviewed score); every scoring rule (clamping to the maximum, caps of
criteria, fields, bonus and penalty, not applicable, the index, rounding, ranks, bands) stays
in :mod:`forms.rollup`, where it is property-tested, and is never written twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import Conflict, NotFound, require_admin, require_role
from core.i18n import N_, Msg, UserError
from core.numbers import round_half_up
from forms.models import Assessment, AssessmentStatus, Period, PeriodGroup, PeriodStatus
from forms.outline import Outline
from forms.rollup import (
    SCALE,
    Band,
    RollupOptions,
    UnitRollup,
    Units,
    classify,
    percent,
    rank_rounded,
    scaled,
)
from scoring.loader import LoadedPeriod, load_period, parse_token
from scoring.models import ResultSnapshot

# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


def dec(value: Decimal | None) -> str | None:
    """Exact decimal text without exponent or trailing zeros: "0.5", "12", "85.5263157894"."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def rollup_options(period: Period) -> RollupOptions:
    """A period's index options; a missing or empty cap means the criteria set's own limit."""
    opts = period.index_options or {}

    def cap(key: str) -> Decimal | None:
        value = opts.get(key)
        return None if value in (None, "") else Decimal(str(value))

    return RollupOptions(
        bonus_cap=cap("bonus_cap"),
        penalty_cap=cap("penalty_cap"),
        cap_index_at_100=bool(opts.get("cap_index_at_100", False)),
        bonus_in_index=bool(opts.get("bonus_in_index", True)),
    )


def rank_unsubmitted_last(period: Period) -> bool:
    """The period option that ranks units which never submitted after all the others (off:
    they are listed apart, unranked; docs/scoring.md, section 4)."""
    return bool((period.index_options or {}).get("rank_unsubmitted_last", False))


def ranks_apart(
    rounded: Mapping[int, Decimal | None], submitted: set[int], *, rank_last: bool
) -> dict[int, int | None]:
    """Competition ranks of the submitted sheets; the others get none, or, with ``rank_last``,
    the places after every ranked submitted sheet, ranked among themselves the same way.

    A unit that never submitted has little more than its survey points: ranking it among the
    others would print "0,00 % Yếu" between real results, which no decision publishes.
    """
    ranks = rank_rounded({k: v for k, v in rounded.items() if k in submitted})
    out: dict[int, int | None] = {k: ranks.get(k) for k in rounded}
    if rank_last:
        placed = sum(1 for r in ranks.values() if r is not None)
        rest = rank_rounded({k: v for k, v in rounded.items() if k not in submitted})
        for k, r in rest.items():
            out[k] = None if r is None else placed + r
    return out


# ----------------------------------------------------------------------------------------------
# Computing
# ----------------------------------------------------------------------------------------------


async def compute(period: Period, group_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Live results of a period, one table per unit group (in the groups' order).

    The database work happens here (:func:`scoring.loader.load_period`); the roll-ups run in a
    worker thread so the event loop, and with it the bot, keeps answering meanwhile.
    """
    loaded = await load_period(period, group_ids, answers=True)
    return await asyncio.to_thread(
        _tables, loaded, rollup_options(period), rank_unsubmitted_last(period)
    )


class _Memo(dict[Any, Any]):
    """A dict that computes a missing value once: the lookup of a hit stays a plain dict get.

    Points, indexes and bands repeat across thousands of units, so each distinct value is
    formatted (or classified) once.
    """

    def __init__(self, make: Any) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


def _tables(
    loaded: LoadedPeriod, options: RollupOptions, rank_last: bool = False
) -> list[dict[str, Any]]:
    """The pure part of :func:`compute`: loaded sheets in, ranked tables out.

    Units that never submitted are ranked apart (:func:`ranks_apart`): no rank and no band,
    unless the period ranks them after the others (``rank_last``).
    """
    text = _Memo(dec)  # points, maxima and gaps as exact text
    out: list[dict[str, Any]] = []
    for group in loaded.groups:
        unit = _UnitFigures(group.criteria, options, group.bands, text)
        units: list[dict[str, Any]] = []
        self_index: dict[int, Decimal | None] = {}
        appraised_index: dict[int, Decimal | None] = {}
        bands: dict[int, tuple[str | None, str | None]] = {}
        submitted: set[int] = set()
        for sheet in group.sheets:
            aid = sheet.assessment_id
            field_rows, own, final, (own_index, own_band), (index, band) = unit.figures(
                sheet.answers, sheet.survey
            )
            if sheet.submitted_at is not None:
                submitted.add(aid)
            self_index[aid] = own_index
            appraised_index[aid] = index
            bands[aid] = (own_band, band)
            units.append(
                {
                    "unit_id": sheet.unit_id,
                    "unit_code": sheet.unit_code,
                    "unit_name": sheet.unit_name,
                    "assessment_id": aid,
                    "status": sheet.status,
                    "submitted": sheet.submitted_at is not None,
                    "fields": field_rows,
                    "self": own,
                    "appraised": final,
                }
            )
        self_rank = ranks_apart(self_index, submitted, rank_last=rank_last)
        appraised_rank = ranks_apart(appraised_index, submitted, rank_last=rank_last)
        for u in units:
            aid = u["assessment_id"]
            shown = rank_last or aid in submitted  # an unranked sheet gets no band either
            u["self"]["rank"] = self_rank[aid]
            u["self"]["band"] = bands[aid][0] if shown else None
            u["appraised"]["rank"] = appraised_rank[aid]
            u["appraised"]["band"] = bands[aid][1] if shown else None
        out.append(
            {
                "period_id": loaded.period.id,
                "unit_group_id": group.id,
                "group_code": group.code,
                "group_name": group.name,
                "criteria_set_id": group.criteria.id,
                "criteria_set_code": group.criteria.code,
                "bands": [{"label": b.label, "min_index": dec(b.min_index)} for b in group.bands],
                "published": False,
                "published_at": None,
                "rank_unsubmitted_last": rank_last,
                "units": units,
            }
        )
    return out


# field rows, self figures, appraised figures, (self index rounded, band), (appraised index
# rounded, band)
_Figures = tuple[
    list[dict[str, Any]],
    dict[str, Any],
    dict[str, Any],
    tuple[Decimal | None, str | None],
    tuple[Decimal | None, str | None],
]


class _Inexact(Exception):
    """A score that is not a whole number of 1/SCALE points: the unit is rolled up in Decimal
    points instead (the same roll-up, another unit of account)."""


class _Scale:
    """One unit of account of a group's roll-ups: the decoded tokens and the formatted points
    (an int of 1/SCALE points and a Decimal of the same value must not share a memo)."""

    def __init__(self, units: Units, slot: dict[int, int], sink: int) -> None:
        self.units = units
        self.slot = slot
        self.sink = sink
        self.tokens: dict[str, tuple[int, Any, Any]] = {}
        self.text = _Memo(lambda n: dec(units.points(n)))
        # a field's row by (position, self, appraised, their applicable maxima)
        self.rows: dict[tuple[Any, ...], dict[str, Any]] = {}

    def number(self, raw: str) -> Any:
        if self.units.scale == 1:
            return Decimal(raw)
        n = scaled(Decimal(raw), self.units.scale)
        if n is None:
            raise _Inexact
        return n

    def token(self, token: str) -> tuple[int, Any, Any]:
        """(position, self value, appraised value) of an answer token, values as the roll-up
        counts them (:meth:`~forms.rollup.Units.clamp`; ``None``: not applicable)."""
        node_id, own, na, reviewed = parse_token(token)
        k = self.slot.get(node_id)
        if k is None:
            found: tuple[int, Any, Any] = (self.sink, 0, 0)
        else:
            clamp = self.units.clamp
            a = None if na else clamp(k, None if own is None else self.number(own))
            b = a if reviewed is None else clamp(k, self.number(reviewed))
            found = (k, a, b)
        self.tokens[token] = found
        return found


class _UnitFigures:
    """Field rows and self/appraised figures of the units of one group (one criteria set),
    through the one roll-up (:meth:`forms.rollup.CriteriaTree.run`), in ints of 1/SCALE
    points when the set and the scores allow it (stored scores do), else in Decimal points.

    Survey points count in both figures, after the answers: survey items are imported, never
    answered or appraised (:mod:`scoring.appraisal` refuses it), so nothing overrides them.
    """

    def __init__(
        self, criteria: Outline, options: RollupOptions, bands: list[Band], text: _Memo
    ) -> None:
        tree = self.tree = criteria.tree
        self.options = options
        self.bands = bands
        leaves = set(tree.leaves)
        # node id → position of a scored node; anything else goes to the sink, the last value,
        # which is dropped before the roll-up
        slot = {
            n.id: tree.position[n.code] for n in criteria.nodes if tree.position[n.code] in leaves
        }
        sink = len(tree.nodes)
        self.exact = _Scale(tree.units(options), slot, sink)
        try:
            self.fast: _Scale | None = _Scale(tree.units(options, SCALE), slot, sink)
        except ValueError:  # a maximum or cap with more than 4 decimals
            self.fast = None
        self.fields = [
            (code, criteria.by_code[code].title, text[criteria.by_code[code].max_score], i)
            for code, i in zip(tree.standard_fields, tree.roots["standard"], strict=True)
        ]
        self.percents = _Memo(lambda key: self._percent_text(*key))  # the same at any scale
        self.indexes: dict[int, tuple[Any, ...]] = {}

    @staticmethod
    def _percent_text(score: Any, maximum: Any) -> str | None:
        index = percent(score, maximum)
        return None if index is None else dec(round_half_up(index))

    def _index(self, index: Decimal | None) -> tuple[Any, str | None, str | None, Any]:
        """(rounded, rounded text, exact text, band) of an index."""
        rounded = None if index is None else round_half_up(index)
        return rounded, dec(rounded), dec(index), classify(index, self.bands)

    def _field_row(
        self, field: tuple[str, str, str | None, int], key: tuple[Any, ...], t: _Memo
    ) -> dict[str, Any]:
        """A field's row for these figures: fields repeat their figures across units, so each
        distinct row is built once and copied (every unit gets its own dict)."""
        code, title, maximum, _i = field
        _i, a, b, own_max, final_max = key
        idx = self.percents
        return {
            "code": code,
            "title": title,
            "max_score": maximum,
            "self": t[a],
            "appraised": t[b],
            "gap": t[b - a],
            "self_index": idx[a, own_max],
            "appraised_index": idx[b, final_max],
        }

    def _figures(self, r: UnitRollup, t: _Memo) -> tuple[dict[str, Any], tuple[Any, str | None]]:
        # The roll-up returns the same Decimal for the same figures (Units.index), so its id is
        # the key: hashing a Decimal costs more than formatting it once. The entry keeps it.
        found = self.indexes.get(id(r.index))
        if found is None:
            found = self.indexes[id(r.index)] = (r.index, *self._index(r.index))
        _index, rounded, rounded_text, exact, band = found
        figures = {
            "standard": t[r.standard],
            "survey": t[r.survey],
            "bonus": t[r.bonus],
            "penalty": t[r.penalty],
            "total": t[r.total],
            "applicable_max": t[r.applicable_max],
            "index": rounded_text,
            "index_exact": exact,
        }
        return figures, (rounded, band)

    def figures(self, answers: str | None, survey: str | None) -> _Figures:
        """(field rows, self figures, appraised figures, (self index, band), (appraised index,
        band)) of one unit from its answer and survey tokens (survey after the answers, so its
        points win); the indexes are rounded half-up as ranks compare them."""
        if self.fast is not None:
            try:
                return self._figures_in(self.fast, answers, survey)
            except _Inexact:
                pass
        return self._figures_in(self.exact, answers, survey)

    def _figures_in(self, scale: _Scale, answers: str | None, survey: str | None) -> _Figures:
        known = scale.tokens
        zero = scale.units.zero
        mine = [zero] * (scale.sink + 1)
        theirs = mine.copy()
        for tokens in (answers, survey):
            if not tokens:
                continue
            parts = tokens.split(",")
            try:
                for k, a, b in map(known.__getitem__, parts):
                    mine[k] = a
                    theirs[k] = b
            except KeyError:  # a token not seen yet: this string again, decoding as it goes
                for token in parts:
                    k, a, b = known.get(token) or scale.token(token)
                    mine[k] = a
                    theirs[k] = b
        mine.pop()  # the sink
        theirs.pop()
        own_na: list[int] = []
        their_na: list[int] = []
        if answers and ":n:" in answers:  # rare: positions not applicable hold None
            own_na = [k for k, v in enumerate(mine) if v is None]
            their_na = [k for k, v in enumerate(theirs) if v is None]
            for k in own_na:
                mine[k] = zero
            for k in their_na:
                theirs[k] = zero
        run, options, unit = self.tree.run, self.options, scale.units.scale
        own = run(mine, options, own_na, unit)
        same = theirs == mine and their_na == own_na
        final = own if same else run(theirs, options, their_na, unit)
        t = scale.text
        rows = scale.rows
        field_rows = []
        for field in self.fields:
            i = field[3]
            key = (i, own.scores[i], final.scores[i], own.applicable[i], final.applicable[i])
            row = rows.get(key)
            if row is None:
                row = rows[key] = self._field_row(field, key, t)
            field_rows.append(row.copy())
        own_figures, own_index = self._figures(own, t)
        final_figures, final_index = self._figures(final, t)
        return field_rows, own_figures, final_figures, own_index, final_index


# ----------------------------------------------------------------------------------------------
# Reading and publishing
# ----------------------------------------------------------------------------------------------


async def _period(period_id: int) -> Period:
    period = await Period.get_or_none(id=period_id)
    if period is None:
        raise NotFound(Msg(N_("There is no period with the id {id}."), id=period_id))
    return period


async def results(
    actor: Actor, period_id: int, *, group_id: int | None = None
) -> list[dict[str, Any]]:
    """Results per unit group: the snapshot once published, computed live before."""
    await require_role(actor)
    period = await _period(period_id)
    if group_id is not None and not await PeriodGroup.exists(
        period_id=period.id, unit_group_id=group_id
    ):
        raise NotFound(Msg(N_("The unit group {id} is not part of this period."), id=group_id))
    if period.published_at is not None:
        query = ResultSnapshot.filter(period_id=period.id)
        if group_id is not None:
            query = query.filter(unit_group_id=group_id)
        snaps = await query.prefetch_related("unit_group")
        snaps.sort(key=lambda s: (s.unit_group.sort_order, s.unit_group.id))
        return [s.data for s in snaps]
    return await compute(period, None if group_id is None else [group_id])


@dataclass(frozen=True)
class PublishOutcome:
    period: Period
    groups: int
    units: int
    not_appraised: list[str]


async def publish(
    actor: Actor, period_id: int, *, now: datetime, force: bool = False, reason: str = ""
) -> PublishOutcome:
    """Freeze the results (an administrator). Every sheet must be appraised, unless ``force``
    with a reason (a unit that never submitted, say); after this nothing changes."""
    await require_admin(actor)
    period = await _period(period_id)
    if period.published_at is not None:
        raise Conflict(Msg(N_("This period is already published.")))
    reason = (reason or "").strip()
    pending = (
        await Assessment.filter(period_id=period.id)
        .exclude(status=AssessmentStatus.appraised)
        .prefetch_related("unit")
    )
    codes = sorted(a.unit.code for a in pending)
    if pending and not force:
        raise Conflict(
            Msg(
                N_(
                    "{count} score sheet(s) are not fully appraised yet ({units}); finish them, "
                    "or publish anyway with a reason."
                ),
                count=len(codes),
                units=", ".join(codes[:10]) + (" …" if len(codes) > 10 else ""),
            )
        )
    if pending and not reason:
        raise UserError(Msg(N_("Publishing with unfinished score sheets needs a reason.")))
    async with in_transaction():
        # Claim the period first so two administrators cannot publish it twice.
        claimed = await Period.filter(id=period.id, published_at=None).update(
            published_at=now, status=PeriodStatus.published
        )
        if claimed == 0:
            raise Conflict(Msg(N_("This period is already published.")))
        sheets = (
            await Assessment.filter(period_id=period.id)
            .exclude(status=AssessmentStatus.final)
            .values("id", "unit_id", "status")
        )
        await Assessment.filter(period_id=period.id).update(status=AssessmentStatus.final)
        for s in sheets:
            await record(
                actor,
                "assessment.status",
                "assessment",
                s["id"],
                unit_id=s["unit_id"],
                old={"status": s["status"]},
                new={"status": AssessmentStatus.final},
                reason="publication",
            )
        tables = await compute(period)
        units = 0
        for table in tables:
            table["published"] = True
            table["published_at"] = now.isoformat()
            units += len(table["units"])
            await ResultSnapshot.create(
                period_id=period.id,
                unit_group_id=table["unit_group_id"],
                data=table,
                published_by=actor.name,
            )
        await record(
            actor,
            "period.publish",
            "period",
            period.id,
            old={"status": period.status, "published_at": None},
            new={
                "status": PeriodStatus.published,
                "published_at": now,
                "groups": len(tables),
                "units": units,
                "not_appraised": codes,
            },
            reason=reason,
        )
    return PublishOutcome(await Period.get(id=period.id), len(tables), units, codes)


__all__ = [
    "PublishOutcome",
    "compute",
    "dec",
    "publish",
    "rank_unsubmitted_last",
    "ranks_apart",
    "results",
    "rollup_options",
]
