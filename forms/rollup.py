"""Roll-up of item scores into criterion, field and unit totals, the index, ranks and bands.

Pure functions over plain data (stdlib and :mod:`core.numbers` only), because the same numbers
are computed for 3,500 units on every publication, in tests, and in the officers' preview, and
they must agree to the last digit. Everything is :class:`~decimal.Decimal`; nothing is rounded
here except where officials round: the index is compared (ranking, bands) after half-up rounding
to 2 decimals, as published tables do, while the index returned stays unrounded so a report can
show it at any precision (Thanh Hóa once published 3 decimals).

Decisions beyond DESIGN.md (each one also explained where it is implemented):

* A criteria set is validated and indexed once into a :class:`CriteriaTree`; :func:`roll_up`
  accepts the tree or a plain node list (then the tree is built, and cached per distinct list).
* A node without children is scored from the scores mapping whatever its level, so a set may
  score a criterion (or a survey field filled by import) directly.
* Not-applicable nodes score 0 whatever score they carry: their points must not leak into a
  total whose denominator no longer counts them.
* The total is floored at 0: a penalty larger than everything earned would otherwise publish a
  negative score, which no scheme defines.
* Bonus and penalty are each capped once, on the whole section: the period's cap when given,
  else the sum of the section's top-level group maxima. An explicit period cap therefore
  replaces the group node's printed maximum (the campaign setting wins, as in the software that
  stores ``diemthuongtoida`` per campaign); the group node's own result still shows its points
  capped at its printed maximum.
* Survey nodes may be not applicable too (a unit not surveyed in a year): they then leave the
  denominator like any other item, so the index falls back to "self-score converted to 100".
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import Any, Literal, TypeVar

from core.numbers import round_half_up

__all__ = [
    "DEFAULT_BANDS",
    "Band",
    "CriteriaTree",
    "ItemScore",
    "Level",
    "Node",
    "NodeResult",
    "RollupOptions",
    "Section",
    "UnitRollup",
    "classify",
    "competition_rank",
    "percent",
    "rank_rounded",
    "rank_within_groups",
    "roll_up",
    "validate_bands",
]

Section = Literal["standard", "survey", "bonus", "penalty"]
Level = Literal["field", "criterion", "item"]

K = TypeVar("K", bound=Hashable)
G = TypeVar("G", bound=Hashable)

ZERO = Decimal(0)
HUNDRED = Decimal(100)

_SECTIONS: frozenset[str] = frozenset(("standard", "survey", "bonus", "penalty"))
# Depth of each level: a child must sit strictly deeper than its parent, which also rules out
# cycles. Items directly under a field are allowed (survey, bonus and penalty groups do it).
_LEVEL_DEPTH: dict[str, int] = {"field": 0, "criterion": 1, "item": 2}

# Fixed arithmetic context so a caller who lowered the thread's precision (or enabled rounding
# traps) cannot change published results. 34 digits is far beyond any score, so sums are exact
# and only the index division is ever rounded, at the 34th significant digit.
_CONTEXT = Context(
    prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """One node of a criteria set, as the roll-up needs it (no titles, no rules)."""

    code: str
    parent: str | None
    level: Level
    section: Section
    max_score: Decimal


@dataclass(frozen=True, slots=True)
class ItemScore:
    """The points of one scored node for one unit; ``None`` is "not answered yet".

    Floats are refused here rather than deep inside the sum, so the caller that built the wrong
    value gets the error; a binary float would also silently break exactness.
    """

    score: Decimal | None
    not_applicable: bool = False

    def __post_init__(self) -> None:
        if self.score is not None:
            if not isinstance(self.score, Decimal):
                raise TypeError(f"score must be a Decimal or None, not {type(self.score)!r}")
            if not self.score.is_finite():
                raise ValueError(f"score must be finite, not {self.score}")


@dataclass(frozen=True, slots=True)
class RollupOptions:
    """Index options of a period; the defaults are DESIGN.md's.

    ``bonus_cap`` / ``penalty_cap``: ``None`` means "the criteria set's own limit", i.e. the sum
    of the section's group maxima. ``Decimal(0)`` really means "no bonus", so a stored "unset"
    must be mapped to ``None`` by the caller, not to 0.
    """

    bonus_cap: Decimal | None = None
    penalty_cap: Decimal | None = None
    cap_index_at_100: bool = False
    bonus_in_index: bool = True

    def __post_init__(self) -> None:
        for name in ("bonus_cap", "penalty_cap"):
            cap = getattr(self, name)
            if cap is None:
                continue
            if not isinstance(cap, Decimal) or not cap.is_finite() or cap < 0:
                raise ValueError(f"{name} must be a finite Decimal >= 0 or None, not {cap!r}")


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeResult:
    """Points of one node for one unit.

    ``applicable_max`` is the denominator of this node's component index; ``index`` is
    unrounded and ``None`` when nothing under the node is applicable.
    """

    code: str
    score: Decimal
    max_score: Decimal
    applicable_max: Decimal
    not_applicable: bool
    index: Decimal | None


@dataclass(eq=False)
class UnitRollup:
    """Everything published about one unit's scores; ``index`` is unrounded.

    ``scores`` and ``applicable`` hold every node's points and applicable maximum in the set's
    order (:attr:`CriteriaTree.codes`), ``not_applicable`` the positions of the items marked so.
    A roll-up run at a ``scale`` (the results table) holds its points as ints of 1/``scale``
    points; :attr:`nodes` and :meth:`field_scores` give them back in points. Treat it as
    immutable (not frozen only because a province builds 7,000 of them per results table).
    The per-node view (:attr:`nodes`) is built only when asked for: a results table of 3,500
    units needs the fields and totals only.
    """

    tree: CriteriaTree
    scores: tuple[Decimal, ...]
    applicable: tuple[Decimal, ...]
    not_applicable: frozenset[int]
    standard: Decimal
    survey: Decimal
    bonus: Decimal
    penalty: Decimal
    total: Decimal
    applicable_max: Decimal
    index: Decimal | None
    scale: int = 1  # figures in 1/scale points (CriteriaTree.run)

    def _figures(self) -> tuple[object, ...]:
        return (
            self.tree.codes,
            self.tree.maxes,
            self.scores,
            self.applicable,
            self.not_applicable,
            self.standard,
            self.survey,
            self.bonus,
            self.penalty,
            self.total,
            self.applicable_max,
            self.index,
            self.scale,
        )

    def __eq__(self, other: object) -> bool:
        """Equal figures of the same outline (two trees built from the same nodes compare
        equal), whoever built the tree."""
        return isinstance(other, UnitRollup) and self._figures() == other._figures()

    def __hash__(self) -> int:
        return hash(self._figures())

    @property
    def standard_fields(self) -> tuple[str, ...]:
        """Codes of the standard-section fields, in the set's order."""
        return self.tree.standard_fields

    @cached_property
    def nodes(self) -> Mapping[str, NodeResult]:
        """Every node's result by code, in the set's order (for reports that show the tree)."""
        tree, scale = self.tree, self.scale
        na = [i in self.not_applicable for i in range(len(tree.codes))]
        for i, _mx, kids in tree.aggregates:
            na[i] = all(na[k] for k in kids)
        return {
            code: NodeResult(code, _points(s, scale), mx, _points(a, scale), is_na, percent(s, a))
            for code, s, mx, a, is_na in zip(
                tree.codes, self.scores, tree.maxes, self.applicable, na, strict=True
            )
        }

    def field_scores(self) -> dict[str, Decimal]:
        """Points per standard field: the columns of the consolidated results table."""
        codes, scale = self.tree.codes, self.scale
        return {codes[i]: _points(self.scores[i], scale) for i in self.tree.roots["standard"]}

    def field_indexes(self) -> dict[str, Decimal | None]:
        """Component index (chỉ số thành phần) per standard field, unrounded."""
        return {
            self.tree.codes[i]: percent(self.scores[i], self.applicable[i])
            for i in self.tree.roots["standard"]
        }


# --------------------------------------------------------------------------------------------
# The criteria tree, built once per criteria set version
# --------------------------------------------------------------------------------------------


class CriteriaTree:
    """A validated criteria set with its parent/child index lists precomputed: the one roll-up.

    Building it checks the set once (unknown parents, duplicate codes, levels out of order,
    sections mixed between a parent and its child, negative maxima) and lays the set out as
    positions: :attr:`leaves` (scored nodes), :attr:`aggregates` (groups, deepest first, with
    their children's positions), the roots of each section and the parts of the bonus and
    penalty sums. A unit's roll-up (:meth:`run`) is then a few plain loops over those lists,
    the same for the results of a province, a workbook, a scorecard and the officer's
    preview. Build one per criteria set version (the outline of :mod:`forms.outline` does) and
    treat it as immutable: it is shared.
    """

    __slots__ = (
        "_last",
        "_section_max",
        "_units",
        "aggregates",
        "codes",
        "leaves",
        "maxes",
        "nodes",
        "position",
        "roots",
        "section_parts",
        "standard_fields",
    )

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes: tuple[Node, ...] = tuple(nodes)
        position: dict[str, int] = {}
        for i, node in enumerate(self.nodes):
            if node.code in position:
                raise ValueError(f"Duplicate node code {node.code!r}.")
            position[node.code] = i
        children: list[list[int]] = [[] for _ in self.nodes]
        roots: dict[str, list[int]] = {s: [] for s in _SECTIONS}
        for i, node in enumerate(self.nodes):
            if node.section not in _SECTIONS:
                raise ValueError(f"Node {node.code!r} has unknown section {node.section!r}.")
            if node.level not in _LEVEL_DEPTH:
                raise ValueError(f"Node {node.code!r} has unknown level {node.level!r}.")
            if not isinstance(node.max_score, Decimal) or not node.max_score.is_finite():
                raise ValueError(f"Node {node.code!r} max score must be a finite Decimal.")
            if node.max_score < 0:
                raise ValueError(f"Node {node.code!r} has a negative max score.")
            if node.parent is None:
                if node.level != "field":
                    raise ValueError(
                        f"Top-level node {node.code!r} must be a field (or group), "
                        f"not a {node.level}."
                    )
                roots[node.section].append(i)
                continue
            p = position.get(node.parent)
            if p is None:
                raise ValueError(f"Node {node.code!r} has unknown parent {node.parent!r}.")
            parent = self.nodes[p]
            if _LEVEL_DEPTH[node.level] <= _LEVEL_DEPTH[parent.level]:
                raise ValueError(
                    f"Node {node.code!r} ({node.level}) cannot sit under "
                    f"{parent.code!r} ({parent.level})."
                )
            if node.section != parent.section:
                # A bonus item inside a standard field would be counted twice (in the field and
                # in the bonus), so sections must be separate subtrees.
                raise ValueError(
                    f"Node {node.code!r} is in section {node.section!r} but its parent "
                    f"{parent.code!r} is in {parent.section!r}."
                )
            children[p].append(i)
        self.position = position
        self.codes: tuple[str, ...] = tuple(n.code for n in self.nodes)
        self.maxes: tuple[Decimal, ...] = tuple(n.max_score for n in self.nodes)
        # Scored nodes, then groups deepest first, so every child is finished before its parent
        # is summed.
        self.leaves: tuple[int, ...] = tuple(i for i in range(len(self.nodes)) if not children[i])
        self.aggregates: tuple[tuple[int, Decimal, tuple[int, ...]], ...] = tuple(
            (i, self.maxes[i], tuple(children[i]))
            for i in sorted(
                (i for i in range(len(self.nodes)) if children[i]),
                key=lambda i: -_LEVEL_DEPTH[self.nodes[i].level],
            )
        )
        self.roots: dict[str, tuple[int, ...]] = {s: tuple(r) for s, r in roots.items()}
        # What each section adds up: the standard and survey fields (capped at their maxima);
        # the bonus and penalty groups' children (the section is capped once, as a whole).
        self.section_parts: dict[str, tuple[int, ...]] = {
            "standard": self.roots["standard"],
            "survey": self.roots["survey"],
            **{
                s: tuple(k for i in self.roots[s] for k in (children[i] or (i,)))
                for s in ("bonus", "penalty")
            },
        }
        self._section_max: dict[str, Decimal] = {
            s: sum((self.maxes[i] for i in r), ZERO) for s, r in self.roots.items()
        }
        self.standard_fields: tuple[str, ...] = tuple(self.codes[i] for i in self.roots["standard"])
        self._units: dict[tuple[RollupOptions, int], Units] = {}
        self._last: tuple[RollupOptions, int, Units] | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def section_max(self, section: Section) -> Decimal:
        """Sum of the printed maxima of a section's groups: the default bonus/penalty cap."""
        return self._section_max[section]

    def units(self, options: RollupOptions = RollupOptions(), scale: int = 1) -> Units:
        """The tree's maxima and the period's caps counted in 1/``scale`` points (cached);
        ``ValueError`` when one is not a whole number of them."""
        last = self._last
        if last is not None and last[0] is options and last[1] == scale:
            return last[2]  # the same period's options again: no hashing
        key = (options, scale)
        found = self._units.get(key)
        if found is None:
            found = self._units[key] = Units(self, options, scale)
        self._last = (options, scale, found)
        return found

    def blank(self) -> list[Decimal]:
        """The values of a unit that answered nothing yet, one per node, to fill in by
        :attr:`position` with :meth:`clamp`."""
        return [ZERO] * len(self.nodes)

    def clamp(self, i: int, value: Decimal | None) -> Decimal:
        """A score as the roll-up counts it at position ``i``: none or negative is 0, above
        the node's maximum is the maximum."""
        return self.units().clamp(i, value)  # type: ignore[no-any-return]

    def run(
        self,
        values: Sequence[Any],
        options: RollupOptions = RollupOptions(),
        na: Collection[int] = (),
        scale: int = 1,
    ) -> UnitRollup:
        """One unit's roll-up. ``values`` has one entry per node: a scored node's points as
        :meth:`clamp` (or :meth:`Units.clamp`, in 1/``scale`` points) returns them, other
        entries are overwritten; ``na`` holds the positions of the scored nodes that are not
        applicable. Plain loops over the precomputed lists; the applicable maxima are only
        summed when something is not applicable. The figures come back in the same unit of
        account as the values; the index is the same whatever the scale."""
        if len(values) != len(self.nodes):
            raise ValueError(f"Expected {len(self.nodes)} values, got {len(values)}.")
        u = self.units(options, scale)
        if u.zero is ZERO:  # Decimal sums must not depend on the caller's precision
            with localcontext(_CONTEXT):
                return self._run(u, values, na)
        return self._run(u, values, na)  # ints: every sum is exact in any context

    def _run(self, u: Units, values: Sequence[Any], na: Collection[int]) -> UnitRollup:
        """:meth:`run` in the units' account (in :data:`_CONTEXT` for Decimals)."""
        zero = u.zero
        score = list(values)
        if na:
            na = frozenset(na)
            app = list(u.maxes)
            for i in na:
                score[i] = app[i] = zero
            for i, mx, children in u.aggregates:
                a = sum(children(app), zero)
                app[i] = mx if a > mx else a
            applicable = tuple(app)
            applicable_max = sum(u.denominator(applicable), zero)
        else:
            na = _NONE
            applicable = u.full_applicable
            applicable_max = u.full_applicable_max
        for i, mx, children in u.aggregates:
            s = sum(children(score), zero)
            score[i] = mx if s > mx else s
        standard = sum(u.standard(score), zero)
        survey = sum(u.survey(score), zero)
        bonus = sum(u.bonus(score), zero)
        if bonus > u.bonus_cap:
            bonus = u.bonus_cap
        penalty = sum(u.penalty(score), zero)
        if penalty > u.penalty_cap:
            penalty = u.penalty_cap
        total = standard + survey + bonus - penalty
        if total < zero:
            total = zero
        index = u.index(total if u.options.bonus_in_index else standard + survey, applicable_max)
        return UnitRollup(
            self,
            tuple(score),
            applicable,
            na,
            standard,
            survey,
            bonus,
            penalty,
            total,
            applicable_max,
            index,
            u.scale,
        )


_NONE: frozenset[int] = frozenset()  # no position not applicable


class Units:
    """A tree's maxima and a period's caps in one unit of account: points as Decimals (scale
    1), or whole numbers of 1/``scale`` points. Stored scores have 4 decimals, so at
    :data:`SCALE` every figure is an exact int, and a province's roll-ups add ints, which is
    about twice as fast as adding Decimals; the index divides the same ratio either way."""

    __slots__ = (
        "aggregates",
        "bonus",
        "bonus_cap",
        "denominator",
        "full_applicable",
        "full_applicable_max",
        "indexes",
        "maxes",
        "options",
        "penalty",
        "penalty_cap",
        "scale",
        "standard",
        "survey",
        "zero",
    )

    def __init__(self, tree: CriteriaTree, options: RollupOptions, scale: int) -> None:
        self.scale = scale
        self.options = options
        # index by (numerator, applicable maximum) in ints: totals repeat across units
        self.indexes: dict[tuple[int, int], Decimal | None] = {}
        self.zero: Any = ZERO if scale == 1 else 0
        self.maxes: tuple[Any, ...] = tuple(map(self.value, tree.maxes))
        self.aggregates = tuple(
            (i, self.maxes[i], _getter(kids)) for i, _mx, kids in tree.aggregates
        )
        full = list(self.maxes)
        with localcontext(_CONTEXT):
            for i, mx, children in self.aggregates:
                a = sum(children(full), self.zero)
                full[i] = mx if a > mx else a
        self.full_applicable = tuple(full)
        parts = tree.section_parts
        self.standard = _getter(parts["standard"])
        self.survey = _getter(parts["survey"])
        self.bonus = _getter(parts["bonus"])
        self.penalty = _getter(parts["penalty"])
        bonus_cap, penalty_cap = options.bonus_cap, options.penalty_cap
        self.bonus_cap = self.value(tree.section_max("bonus") if bonus_cap is None else bonus_cap)
        self.penalty_cap = self.value(
            tree.section_max("penalty") if penalty_cap is None else penalty_cap
        )
        self.denominator = _getter(parts["standard"] + parts["survey"])
        with localcontext(_CONTEXT):
            self.full_applicable_max = sum(self.denominator(self.full_applicable), self.zero)

    def value(self, points: Decimal) -> Any:
        """Points in this unit of account; ``ValueError`` when not a whole number of them."""
        if self.scale == 1:
            return points
        n = scaled(points, self.scale)
        if n is None:
            raise ValueError(f"{points} is not a multiple of 1/{self.scale}.")
        return n

    def index(self, numerator: Any, maximum: Any) -> Decimal | None:
        """The index of these figures (unrounded), capped at 100 when the period says so;
        remembered for ints, whose hashing costs less than the division."""
        key = (numerator, maximum)
        found = self.indexes.get(key, self) if self.scale != 1 else self
        if found is self:
            found = percent(numerator, maximum)
            if found is not None and self.options.cap_index_at_100 and found > HUNDRED:
                found = HUNDRED
            if self.scale != 1 and len(self.indexes) < 100_000:
                self.indexes[key] = found
        return found  # type: ignore[return-value]

    def clamp(self, i: int, value: Any) -> Any:
        """A value as the roll-up counts it at position ``i``: none or negative is 0, above
        the node's maximum is the maximum."""
        if value is None or value <= 0:
            return self.zero
        mx = self.maxes[i]
        return mx if value > mx else value

    def points(self, value: Any) -> Decimal:
        """A figure of this unit of account back in points."""
        return _points(value, self.scale)


def _points(value: Any, scale: int) -> Decimal:
    return value if scale == 1 else _CONTEXT.divide(Decimal(value), Decimal(scale))


def _getter(positions: Sequence[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """The values at these positions as one C call (a slice when they follow each other, as
    the items of a criterion do): the roll-up's loops do little else."""
    if not positions:
        return lambda _values: ()
    first = positions[0]
    if list(positions) == list(range(first, first + len(positions))):
        return itemgetter(slice(first, first + len(positions)))
    return itemgetter(*positions) if len(positions) > 1 else itemgetter(slice(first, first + 1))


# Stored scores have 4 decimals (NUMERIC(10, 4)): points × 10,000 are exact ints.
SCALE = 10_000
# Far below the 34 digits of _CONTEXT, so nothing added at this scale can be rounded there.
_SCALED_LIMIT = 10**20


def scaled(value: Decimal, scale: int = SCALE) -> int | None:
    """``value × scale`` as an exact int; ``None`` when it is not one (too many decimals, not
    finite, or too large)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    with localcontext(_CONTEXT):
        v = value * scale
        if v != v.to_integral_value():
            return None
    n = int(v)
    return n if -_SCALED_LIMIT < n < _SCALED_LIMIT else None


@lru_cache(maxsize=64)
def _tree_of(nodes: tuple[Node, ...]) -> CriteriaTree:
    """Cache so callers passing the same node list for every unit pay for validation once."""
    return CriteriaTree(nodes)


def _as_tree(nodes: CriteriaTree | Sequence[Node]) -> CriteriaTree:
    return nodes if isinstance(nodes, CriteriaTree) else _tree_of(tuple(nodes))


# --------------------------------------------------------------------------------------------
# Roll-up
# --------------------------------------------------------------------------------------------


def percent(score: Decimal, maximum: Decimal) -> Decimal | None:
    """Score as a % of a maximum, ``None`` for a maximum of 0; multiply first so exact ratios
    stay exact, in the fixed context so the caller's precision cannot change it."""
    if not maximum:
        return None
    return _CONTEXT.divide(_CONTEXT.multiply(score, HUNDRED), maximum)


def roll_up(
    nodes: CriteriaTree | Sequence[Node],
    scores: Mapping[str, ItemScore],
    options: RollupOptions = RollupOptions(),
) -> UnitRollup:
    """Add one unit's scores up the criteria tree into totals and the index.

    ``nodes`` is a :class:`CriteriaTree` (build it once per criteria set when rolling up many
    units) or a plain node list. ``scores`` maps the codes of nodes without children to their
    points; a missing code is "not answered" and counts 0 against the full maximum, which is
    what a unit that skipped a question deserves. Codes that are not scored nodes of the tree
    are ignored, so a stale answer cannot crash a whole ranking run (the forms layer is where
    answers are validated against the set).
    """
    tree = _as_tree(nodes)
    values = tree.blank()
    na: list[int] = []
    codes = tree.codes
    get = scores.get
    for i in tree.leaves:
        entry = get(codes[i])
        if entry is None:
            continue
        if entry.not_applicable:
            na.append(i)
        else:
            values[i] = tree.clamp(i, entry.score)
    return tree.run(values, options, na)


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------


def _rounded(key: object, value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"Index of {key!r} must be a finite Decimal or None, not {value!r}.")
    return round_half_up(value)


def competition_rank(values: Mapping[K, Decimal | None]) -> dict[K, int | None]:
    """Rank by index rounded half-up to 2 decimals, best first, ties sharing a rank (1, 1, 3).

    Ranking on the rounded value is what makes the published table consistent: two units shown
    as 89,45% must not be ranked apart by digits nobody can see. ``None`` (not assessed, or
    assessed but not ranked) gets ``None`` and takes no place. Keys come back in input order.
    """
    return rank_rounded({k: None if v is None else _rounded(k, v) for k, v in values.items()})


def rank_rounded(rounded: Mapping[K, Decimal | None]) -> dict[K, int | None]:
    """:func:`competition_rank` of indexes already rounded by
    :func:`~core.numbers.round_half_up`, for a caller that rounded each distinct index once
    (a results table of thousands of units repeats them)."""
    places = sorted((v for v in rounded.values() if v is not None), reverse=True)
    first_place: dict[Decimal, int] = {}
    for place, value in enumerate(places, start=1):
        first_place.setdefault(value, place)
    return {k: None if v is None else first_place[v] for k, v in rounded.items()}


def rank_within_groups(rows: Iterable[tuple[K, G, Decimal | None]]) -> dict[K, int | None]:
    """Rank each unit group (khối) separately, as every published table does.

    A unit listed twice is refused: it would have two ranks and the table would not add up.
    """
    by_group: dict[G, dict[K, Decimal | None]] = {}
    seen: set[K] = set()
    order: list[K] = []
    for unit, group, value in rows:
        if unit in seen:
            raise ValueError(f"Unit {unit!r} appears more than once.")
        seen.add(unit)
        order.append(unit)
        by_group.setdefault(group, {})[unit] = value
    ranks: dict[K, int | None] = {}
    for members in by_group.values():
        ranks.update(competition_rank(members))
    return {unit: ranks[unit] for unit in order}


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Band:
    """A classification band; ``min_index`` is inclusive and compared to the rounded index.

    Because the comparison is on 2 decimals, a strict edge such as Tây Ninh's "tốt > 80%" is
    written ``Band("Tốt", Decimal("80.01"))``.
    """

    label: str
    min_index: Decimal


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("Tốt", Decimal(90)),
    Band("Khá", Decimal(80)),
    Band("Trung bình", Decimal(65)),
    Band("Yếu", Decimal(0)),
)


def classify(index: Decimal | None, bands: Sequence[Band] = DEFAULT_BANDS) -> str | None:
    """Band label of an index: the highest band whose threshold the rounded index reaches.

    Rounding first means the band always agrees with the published figure (89,995 is printed
    90,00 and must read "Tốt"). Bands may be given in any order. ``None`` when the index is
    ``None`` or below every band (see :func:`validate_bands`).
    """
    if index is None:
        return None
    value = round_half_up(index)
    best: Band | None = None
    for band in bands:
        if band.min_index <= value and (best is None or band.min_index > best.min_index):
            best = band
    return None if best is None else best.label


def validate_bands(bands: Iterable[Band]) -> list[str]:
    """Problems an administrator must fix before a period's bands are usable; [] when fine.

    Messages are English sentences for the back-office form (this module stays free of the
    i18n layer); they name the offending label or threshold so the admin can find it.
    """
    bands = list(bands)
    if not bands:
        return ["No classification bands are defined."]
    problems: list[str] = []
    labels: set[str] = set()
    thresholds: set[Decimal] = set()
    finite: list[Decimal] = []
    for band in bands:
        label = band.label.strip() if isinstance(band.label, str) else ""
        if not label:
            problems.append("A band has no label.")
        elif label in labels:
            problems.append(f"Label “{label}” is used by more than one band.")
        labels.add(label)
        t = band.min_index
        if not isinstance(t, Decimal) or not t.is_finite():
            problems.append(f"Band “{label}” has a threshold that is not a number: {t!r}.")
            continue
        finite.append(t)
        if t in thresholds:
            problems.append(f"Threshold {t} is used by more than one band.")
        thresholds.add(t)
        if t.normalize().as_tuple().exponent < -2:
            # Compared with the index rounded to 2 decimals, 89.995 acts exactly like 90.00.
            problems.append(
                f"Band “{label}” threshold {t} has more than 2 decimals; the index is compared "
                "after rounding to 2 decimals."
            )
    if finite and min(finite) > 0:
        problems.append(
            f"No band starts at 0, so an index below {min(finite)} would have no classification."
        )
    return problems
