"""Results of a period per unit group: database → :mod:`scoring.rollup` → ranked tables.

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

**Loading** is one raw SQL statement per period (:func:`_sheets_sql`) that returns one row
per sheet, not one per answer: a province is 3,500 sheets × 45 items, and building 150,000
driver rows (let alone ORM objects) cost more than the whole statement and the roll-ups
together (see ``bench/aggregate.py`` and docs/scoring.md). Each answer travels as a short
text token inside its sheet's row; tokens repeat across units (the same item, the same
scores), so Python decodes each distinct token once.

**What SQL does and what Python does.** SQL only selects data: which answers belong to the
period, and which score is the reviewed one (``COALESCE`` of round 2 and round 1, the rule
above; a reviewed score equal to the self score is left out since the self score then applies
anyway). That is a choice of which stored value counts, the same in any report, so it sits
next to the join that finds the reviews. Every scoring rule (clamping to the maximum, caps of
criteria, fields, bonus and penalty, not applicable, the index, rounding, ranks, bands) stays
in :mod:`scoring.rollup`, where it is property-tested, and is never written twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import Conflict, NotFound, require_admin, require_role
from core.i18n import N_, Msg, UserError
from core.numbers import round_half_up
from forms.models import (
    Assessment,
    AssessmentStatus,
    CriteriaNode,
    CriteriaSet,
    Period,
    PeriodGroup,
    PeriodStatus,
)
from scoring.models import ResultSnapshot
from scoring.rollup import (
    Band,
    CriteriaTree,
    ItemScore,
    Node,
    RollupOptions,
    RollupPlan,
    ScaledRollup,
    UnitRollup,
    classify,
    rank_rounded,
    roll_up,
    scaled,
)

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


def bands_of(raw: Iterable[Mapping[str, Any]]) -> list[Band]:
    return [Band(str(b["label"]), Decimal(str(b["min_index"]))) for b in raw]


_SetInfo = tuple[CriteriaTree, dict[int, str], list[tuple[str, str, Decimal]]]
# Keyed by id and freezing time: a database restored or rebuilt under the running process (a
# restore, the tests' fresh databases) reuses ids, never the same id frozen at the same instant.
_trees: dict[tuple[int, Any], _SetInfo] = {}


async def _tree(
    cset: CriteriaSet,
) -> tuple[CriteriaTree, dict[int, str], list[tuple[str, str, Decimal]]]:
    """The validated tree of a set, node id → code, and the standard fields (code, title, max).

    Cached per set once the set is frozen (a period uses it, so its nodes never change again).
    """
    cached = _trees.get((cset.id, cset.frozen_at))
    if cached is not None and cset.frozen_at is not None:
        return cached
    rows = await CriteriaNode.filter(criteria_set_id=cset.id).order_by("position")
    tree = CriteriaTree(
        Node(
            r.code,
            r.parent_code,
            str(r.level),  # type: ignore[arg-type]
            str(r.section),  # type: ignore[arg-type]
            Decimal(r.max_score),
        )
        for r in rows
    )
    codes = {r.id: r.code for r in rows}
    fields = [
        (r.code, r.title, Decimal(r.max_score))
        for r in rows
        if r.parent_code is None and r.section == "standard"
    ]
    result = (tree, codes, fields)
    if cset.frozen_at is not None:
        _trees[(cset.id, cset.frozen_at)] = result
    return result


def _placeholders(dialect: str, n: int) -> list[str]:
    return [f"${i}" for i in range(1, n + 1)] if dialect == "postgres" else ["?"] * n


# ----------------------------------------------------------------------------------------------
# Computing
# ----------------------------------------------------------------------------------------------


def _figures(r: UnitRollup) -> dict[str, Any]:
    index = r.index
    return {
        "standard": dec(r.standard),
        "survey": dec(r.survey),
        "bonus": dec(r.bonus),
        "penalty": dec(r.penalty),
        "total": dec(r.total),
        "applicable_max": dec(r.applicable_max),
        "index": dec(round_half_up(index)) if index is not None else None,
        "index_exact": dec(index) if index is not None else None,
    }


# Every answer of a sheet travels as one token "node id:self score:n when not applicable:reviewed
# score", the sheet's tokens joined by ",", so the driver builds one row per sheet instead of one
# per answer (see the module docstring). Score texts are exact decimals, which contain neither
# separator. The reviewed score is the data selection described above (round 2, else round 1);
# it is left out when it equals the self score of an applicable answer, which then applies
# anyway, so most tokens repeat and are decoded once. (On a not-applicable answer any reviewed
# score is kept: it makes the item applicable again.)
_TOKEN = (
    "CAST(an.node_id AS TEXT) || ':' || COALESCE(CAST(an.self_score AS TEXT), '') || CASE "
    "WHEN an.not_applicable THEN ':n:' || COALESCE(CAST(COALESCE(r2.appraised_score, "
    "r1.appraised_score) AS TEXT), '') ELSE '::' || COALESCE(CAST(NULLIF(COALESCE("
    "r2.appraised_score, r1.appraised_score), an.self_score) AS TEXT), '') END"
)
_REVIEWS = (
    "LEFT JOIN review r1 ON r1.answer_id = an.id AND r1.round_no = 1 "
    "LEFT JOIN review r2 ON r2.answer_id = an.id AND r2.round_no = 2 "
)


def _sheets_sql(dialect: str, groups: int) -> tuple[str, int]:
    """One row per sheet of a period in the given unit groups, in the groups' unit order:
    (assessment, unit, unit code, unit name, status, group, answer tokens, survey tokens,
    1 when the sheet was ever submitted else 0).

    Survey scores come as tokens of the sheet's criteria nodes (matched by code) with no
    reviewed score. Returns the statement and how many times it takes the period id before
    the group ids (SQLite's "?" are positional).

    The answers differ per database only in how each reaches grouped rows cheaply: SQLite
    walks the sheets in id order and each sheet's answers through the (assessment, node)
    index, so they arrive grouped; PostgreSQL hash-joins and would spill a hash aggregate of
    150,000 strings to disk, so the tokens are sorted by sheet first and grouped as they stream.
    """
    postgres = dialect == "postgres"
    p = _placeholders(dialect, 1 + groups)
    period, group_in = p[0], ", ".join(p[1:])
    joined = "string_agg" if postgres else "group_concat"
    if postgres:
        answers = (
            f"SELECT aid, string_agg(token, ',') AS tokens FROM (SELECT an.assessment_id AS aid, "
            f"{_TOKEN} AS token FROM answer an JOIN assessment a ON a.id = an.assessment_id "
            f"{_REVIEWS}WHERE a.period_id = {period} ORDER BY an.assessment_id) t GROUP BY aid"
        )
    else:
        answers = (
            f"SELECT a.id AS aid, group_concat({_TOKEN}, ',') AS tokens FROM assessment a "
            f"JOIN answer an ON an.assessment_id = a.id {_REVIEWS}"
            f"WHERE a.period_id = {period} GROUP BY a.id"
        )
    survey = (
        f"SELECT sa.id AS aid, {joined}(CAST(n.id AS TEXT) || ':' || "
        "COALESCE(CAST(ss.score AS TEXT), '') || '::', ',') AS tokens "
        "FROM survey_score ss JOIN assessment sa "
        "ON sa.unit_id = ss.unit_id AND sa.period_id = ss.period_id "
        "JOIN criteria_node n ON n.criteria_set_id = sa.criteria_set_id AND n.code = ss.node_code "
        f"WHERE ss.period_id = {period} GROUP BY sa.id"
    )
    sql = (
        "SELECT a.id, a.unit_id, u.code, u.name, a.status, u.group_id, ans.tokens, sv.tokens, "
        "CASE WHEN a.submitted_at IS NULL THEN 0 ELSE 1 END "
        "FROM assessment a JOIN unit u ON u.id = a.unit_id "
        f"LEFT JOIN ({answers}) ans ON ans.aid = a.id "
        f"LEFT JOIN ({survey}) sv ON sv.aid = a.id "
        f"WHERE a.period_id = {period} AND u.group_id IN ({group_in}) "
        "ORDER BY u.sort_order, u.id"
    )
    return sql, 1 if postgres else 3


def _parse(token: str) -> tuple[int, str | None, bool, str | None]:
    """(node id, self score text, not applicable, reviewed score text) of one answer token."""
    node, own, na, reviewed = token.split(":")
    return int(node), own or None, na == "n", reviewed or None


async def compute(period: Period, group_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Live results of a period, one table per unit group (in the groups' order).

    The database work happens here; the roll-ups run in a worker thread so the event loop,
    and with it the bot, keeps answering meanwhile.
    """
    links = await PeriodGroup.filter(period_id=period.id).select_related(
        "unit_group", "criteria_set"
    )
    links = [lk for lk in links if group_ids is None or lk.unit_group_id in group_ids]  # type: ignore[attr-defined]
    links.sort(key=lambda lk: (lk.unit_group.sort_order, lk.unit_group.id))
    if not links:
        return []
    conn = connections.get("default")
    group_of_link = [lk.unit_group_id for lk in links]  # type: ignore[attr-defined]
    sql, repeats = _sheets_sql(conn.capabilities.dialect, len(group_of_link))
    _, rows = await conn.execute_query(sql, [*[period.id] * repeats, *group_of_link])
    trees = {lk.criteria_set_id: await _tree(lk.criteria_set) for lk in links}  # type: ignore[attr-defined]
    groups = [
        _Group(
            unit_group_id=lk.unit_group.id,
            code=lk.unit_group.code,
            name=lk.unit_group.name,
            criteria_set_id=lk.criteria_set.id,
            criteria_set_code=lk.criteria_set.code,
            bands=bands_of(lk.bands),
        )
        for lk in links
    ]
    return await asyncio.to_thread(
        _tables,
        period.id,
        rollup_options(period),
        groups,
        trees,
        list(rows),  # rows unpack like tuples (sqlite3.Row, asyncpg Record)
        rank_unsubmitted_last(period),
    )


@dataclass(frozen=True)
class _Group:
    unit_group_id: int
    code: str
    name: str
    criteria_set_id: int
    criteria_set_code: str
    bands: list[Band]


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
    period_id: int,
    options: RollupOptions,
    groups: list[_Group],
    trees: dict[int, _SetInfo],
    rows: list[Any],
    rank_last: bool = False,
) -> list[dict[str, Any]]:
    """The pure part of :func:`compute`: rows in, ranked tables out.

    Units that never submitted are ranked apart (:func:`ranks_apart`): no rank and no band,
    unless the period ranks them after the others (``rank_last``).

    ``rows`` are the sheets as :func:`_sheets_sql` reads them. Each unit
    goes through :class:`~scoring.rollup.RollupPlan` (the roll-up on scaled integers, no
    per-node objects) when all its scores are exact at 4 decimals, as stored scores are;
    otherwise, or when the set cannot be planned, through :func:`roll_up`. Both give the same
    figures (property-tested in tests/scoring/test_rollup.py).
    """
    sheets: dict[int, list[tuple[Any, ...]]] = {g.unit_group_id: [] for g in groups}
    for row in rows:
        sheets[row[5]].append(row)

    text = _Memo(dec)  # field maxima and slow-path points
    out: list[dict[str, Any]] = []
    for group in groups:
        tree, codes, fields = trees[group.criteria_set_id]
        unit = _UnitFigures(tree, codes, fields, options, group.bands, text)
        units: list[dict[str, Any]] = []
        self_index: dict[int, Decimal | None] = {}
        appraised_index: dict[int, Decimal | None] = {}
        bands: dict[int, tuple[str | None, str | None]] = {}
        submitted: set[int] = set()
        for aid, unit_id, unit_code, unit_name, status, _gid, answers, survey, sent in sheets[
            group.unit_group_id
        ]:
            field_rows, own, final, (own_index, own_band), (index, band) = unit.figures(
                answers, survey
            )
            if sent:
                submitted.add(aid)
            self_index[aid] = own_index
            appraised_index[aid] = index
            bands[aid] = (own_band, band)
            units.append(
                {
                    "unit_id": unit_id,
                    "unit_code": unit_code,
                    "unit_name": unit_name,
                    "assessment_id": aid,
                    "status": str(status),
                    "submitted": bool(sent),
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
                "period_id": period_id,
                "unit_group_id": group.unit_group_id,
                "group_code": group.code,
                "group_name": group.name,
                "criteria_set_id": group.criteria_set_id,
                "criteria_set_code": group.criteria_set_code,
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
_INEXACT = object()  # a score the plan cannot hold exactly: roll that unit up with roll_up


def _rounded(index: Decimal | None) -> Decimal | None:
    return None if index is None else round_half_up(index)


class _Inexact(Exception):
    """A unit has a score the plan cannot hold: the general path rolls it up."""


class _UnitFigures:
    """Field rows and self/appraised figures of one unit of a group (one criteria set).

    Survey points count in both figures, after the answers: survey items are imported, never
    answered or appraised (:mod:`scoring.appraisal` refuses it), so nothing overrides them.
    """

    def __init__(
        self,
        tree: CriteriaTree,
        codes: Mapping[int, str],
        fields: list[tuple[str, str, Decimal]],
        options: RollupOptions,
        bands: list[Band],
        text: _Memo,
    ) -> None:
        self.tree = tree
        self.bands = bands
        self.codes = codes
        self.fields = fields
        self.options = options
        self.text = text
        try:
            self.plan: RollupPlan | None = RollupPlan(tree, options)
        except ValueError:
            self.plan = None
        if self.plan is not None and [c for c, _t, _m in fields] != list(self.plan.standard_fields):
            self.plan = None  # field rows are zipped with the plan's fields: they must agree
        self.items: dict[tuple[Any, bool], ItemScore] = {}  # shared ItemScores (slow path)
        self.values: dict[Any, Any] = {None: 0}  # score text → scaled int (fast path)
        self.tokens: dict[str, tuple[int, Any, Any]] = {}  # token → (slot, self, final)
        self.maxima = [text[m] for _c, _t, m in fields]
        if self.plan is not None:
            plan = self.plan
            self.slot = plan.slots
            # Scores in slot order plus one last slot, the sink, which takes the tokens of nodes
            # that are not scored nodes of this set and is dropped before the roll-up.
            self.blank = [*plan.blank(), 0]
            self.sink = len(self.blank) - 1
            self.points = _Memo(lambda n: dec(plan.decimal(n)))
            self.percents = _Memo(lambda key: self._percent_text(*key))
            # The plan returns the same Decimal object for the same (points, maximum), so its
            # id is a key here: hashing a Decimal costs more than formatting it once.
            self.indexes: dict[int, tuple[Any, Any, str | None, str | None, Any]] = {}

    # -- fast path ---------------------------------------------------------------------------

    def _scaled(self, raw: Any) -> Any:
        found = self.values.get(raw, _INEXACT)
        if found is _INEXACT and raw not in self.values:
            try:
                value = Decimal(raw)  # as _item does: exact for str, int and float
            except ArithmeticError:
                value = None
            n = None if value is None else scaled(value)
            found = self.values[raw] = _INEXACT if n is None else n
        return found

    def _token(self, token: str) -> tuple[int, Any, Any]:
        """(slot, self value, appraised value) of an answer token, values clamped as the plan
        counts them (:meth:`~scoring.rollup.RollupPlan.clamp`); cached unless inexact."""
        assert self.plan is not None
        node_id, own, na, reviewed = _parse(token)
        code = self.codes.get(node_id)
        k = None if code is None else self.slot.get(code)
        if k is None:
            found = (self.sink, 0, 0)
        else:
            a = None if na else self._scaled(own)
            b = a if reviewed is None else self._scaled(reviewed)
            if a is _INEXACT or b is _INEXACT:
                raise _Inexact
            found = (k, self.plan.clamp(k, a), self.plan.clamp(k, b))
        self.tokens[token] = found
        return found

    def _percent_text(self, score: int, maximum: int) -> str | None:
        assert self.plan is not None
        index = self.plan.percent(score, maximum)
        return None if index is None else dec(round_half_up(index))

    def _index(self, index: Decimal | None) -> tuple[Any, Any, str | None, str | None, Any]:
        """(index, rounded, rounded text, exact text, band); the index is kept in the entry
        so its id stays this index's."""
        found = self.indexes.get(id(index))
        if found is None:
            rounded = None if index is None else round_half_up(index)
            found = self.indexes[id(index)] = (
                index,
                rounded,
                dec(rounded),
                dec(index),
                classify(index, self.bands),
            )
        return found

    def _scaled_figures(self, r: ScaledRollup) -> tuple[dict[str, Any], tuple[Any, str | None]]:
        t = self.points
        _index, rounded, rounded_text, exact, band = self._index(r.index)
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

    def _fast(self, answers: str | None, survey: str | None) -> _Figures:
        plan = self.plan
        assert plan is not None
        known = self.tokens
        mine = self.blank.copy()
        theirs = self.blank.copy()
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
                    k, a, b = known.get(token) or self._token(token)
                    mine[k] = a
                    theirs[k] = b
        mine.pop()  # the sink
        theirs.pop()
        own = plan.run_clamped(mine)
        final = own if theirs == mine else plan.run_clamped(theirs)
        t = self.points
        idx = self.percents
        field_rows = [
            {
                "code": code,
                "title": title,
                "max_score": maximum,
                "self": t[a],
                "appraised": t[b],
                "gap": t[b - a],
                "self_index": idx[a, am],
                "appraised_index": idx[b, bm],
            }
            for (code, title, _m), maximum, a, am, b, bm in zip(
                self.fields,
                self.maxima,
                own.field_scores,
                own.field_applicable,
                final.field_scores,
                final.field_applicable,
                strict=True,
            )
        ]
        own_figures, own_index = self._scaled_figures(own)
        final_figures, final_index = self._scaled_figures(final)
        return field_rows, own_figures, final_figures, own_index, final_index

    # -- general path --------------------------------------------------------------------------

    def _item(self, raw: Any, na: bool) -> ItemScore:
        key = (raw, na)
        found = self.items.get(key)
        if found is None:
            found = self.items[key] = ItemScore(None if raw is None else Decimal(raw), na)
        return found

    def _slow(self, answers: str | None, survey: str | None) -> _Figures:
        item = self._item
        mine: dict[str, ItemScore] = {}
        theirs: dict[str, ItemScore] = {}
        for tokens in (answers, survey):
            for token in tokens.split(",") if tokens else ():
                node_id, own, na, reviewed = _parse(token)
                code = self.codes.get(node_id)
                if code is None:
                    continue
                mine[code] = item(own, na)
                theirs[code] = mine[code] if reviewed is None else item(reviewed, False)
        own = roll_up(self.tree, mine, self.options)
        final = own if theirs == mine else roll_up(self.tree, theirs, self.options)
        text = self.text
        field_rows = []
        for code, title, maximum in self.fields:
            a, b = own.nodes[code], final.nodes[code]
            field_rows.append(
                {
                    "code": code,
                    "title": title,
                    "max_score": text[maximum],
                    "self": text[a.score],
                    "appraised": text[b.score],
                    "gap": text[b.score - a.score],
                    "self_index": None if a.index is None else text[round_half_up(a.index)],
                    "appraised_index": None if b.index is None else text[round_half_up(b.index)],
                }
            )
        return (
            field_rows,
            _figures(own),
            _figures(final),
            (_rounded(own.index), classify(own.index, self.bands)),
            (_rounded(final.index), classify(final.index, self.bands)),
        )

    def figures(self, answers: str | None, survey: str | None) -> _Figures:
        """(field rows, self figures, appraised figures, (self index, band), (appraised index,
        band)) of one unit from its answer and survey tokens (survey after the answers, so its
        points win); the indexes are rounded half-up as ranks compare them."""
        if self.plan is not None:
            try:
                return self._fast(answers, survey)
            except _Inexact:
                pass
        return self._slow(answers, survey)


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
    "bands_of",
    "compute",
    "dec",
    "publish",
    "rank_unsubmitted_last",
    "ranks_apart",
    "results",
    "rollup_options",
]
