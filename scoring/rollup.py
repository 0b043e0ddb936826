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

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
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
from functools import lru_cache
from typing import Literal, NamedTuple, TypeVar

from core.numbers import round_half_up

__all__ = [
    "DEFAULT_BANDS",
    "SCALE",
    "Band",
    "CriteriaTree",
    "ItemScore",
    "Level",
    "Node",
    "NodeResult",
    "RollupOptions",
    "RollupPlan",
    "ScaledRollup",
    "Section",
    "UnitRollup",
    "classify",
    "competition_rank",
    "field_gaps",
    "rank_rounded",
    "rank_within_groups",
    "roll_up",
    "scaled",
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


@dataclass(frozen=True, slots=True)
class UnitRollup:
    """Everything published about one unit's scores; ``index`` is unrounded.

    ``standard_fields`` (codes of the standard-section fields, in the set's order) is carried so
    the per-field views below need no criteria set; :func:`roll_up` always fills it.
    """

    nodes: Mapping[str, NodeResult]
    standard: Decimal
    survey: Decimal
    bonus: Decimal
    penalty: Decimal
    total: Decimal
    applicable_max: Decimal
    index: Decimal | None
    standard_fields: tuple[str, ...] = ()

    def field_scores(self) -> dict[str, Decimal]:
        """Points per standard field: the columns of the consolidated results table."""
        return {code: self.nodes[code].score for code in self.standard_fields}

    def field_indexes(self) -> dict[str, Decimal | None]:
        """Component index (chỉ số thành phần) per standard field, unrounded."""
        return {code: self.nodes[code].index for code in self.standard_fields}


# --------------------------------------------------------------------------------------------
# The criteria tree, built once per criteria set version
# --------------------------------------------------------------------------------------------


class CriteriaTree:
    """A validated criteria set with its parent/child index precomputed.

    Building it checks the set once (unknown parents, duplicate codes, levels out of order,
    sections mixed between a parent and its child, negative maxima) so that the per-unit roll-up
    is a single pass over flat lists. Build one per criteria set version and reuse it for every
    unit; treat it as immutable (it is shared through a cache).
    """

    __slots__ = (
        "_aggregates",
        "_codes",
        "_leaves",
        "_maxes",
        "_roots",
        "_section_max",
        "nodes",
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
        # Flat work lists, so the per-unit pass is two simple loops: scored nodes first, then
        # groups deepest first, so every child is finished before its parent is summed.
        self._leaves: tuple[tuple[int, str, Decimal], ...] = tuple(
            (i, n.code, n.max_score) for i, n in enumerate(self.nodes) if not children[i]
        )
        self._aggregates: tuple[tuple[int, Decimal, tuple[int, ...]], ...] = tuple(
            (i, self.nodes[i].max_score, tuple(children[i]))
            for i in sorted(
                (i for i in range(len(self.nodes)) if children[i]),
                key=lambda i: -_LEVEL_DEPTH[self.nodes[i].level],
            )
        )
        self._roots: dict[str, tuple[int, ...]] = {s: tuple(r) for s, r in roots.items()}
        self._section_max: dict[str, Decimal] = {
            s: sum((self.nodes[i].max_score for i in r), ZERO) for s, r in roots.items()
        }
        self._codes: tuple[str, ...] = tuple(n.code for n in self.nodes)
        self._maxes: tuple[Decimal, ...] = tuple(n.max_score for n in self.nodes)
        self.standard_fields: tuple[str, ...] = tuple(
            self._codes[i] for i in self._roots["standard"]
        )

    def __len__(self) -> int:
        return len(self.nodes)

    def section_max(self, section: Section) -> Decimal:
        """Sum of the printed maxima of a section's groups: the default bonus/penalty cap."""
        return self._section_max[section]


@lru_cache(maxsize=64)
def _tree_of(nodes: tuple[Node, ...]) -> CriteriaTree:
    """Cache so callers passing the same node list for every unit pay for validation once."""
    return CriteriaTree(nodes)


def _as_tree(nodes: CriteriaTree | Sequence[Node]) -> CriteriaTree:
    return nodes if isinstance(nodes, CriteriaTree) else _tree_of(tuple(nodes))


# --------------------------------------------------------------------------------------------
# Roll-up
# --------------------------------------------------------------------------------------------


def _percent(score: Decimal, maximum: Decimal) -> Decimal | None:
    """Score as a % of a maximum; multiply first so exact ratios stay exact."""
    if maximum == 0:
        return None
    return score * HUNDRED / maximum


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
    n = len(tree.nodes)
    codes = tree._codes
    maxes = tree._maxes
    zero = ZERO
    score: list[Decimal] = [zero] * n
    raw: list[Decimal] = [zero] * n  # sum of children before the node's own cap
    app: list[Decimal] = [zero] * n
    na: list[bool] = [False] * n
    get = scores.get

    with localcontext(_CONTEXT):
        for i, code, mx in tree._leaves:
            entry = get(code)
            if entry is None:
                app[i] = mx
            elif entry.not_applicable:
                na[i] = True
            else:
                v = entry.score
                if v is not None and v > 0:
                    score[i] = raw[i] = mx if v > mx else v
                app[i] = mx
        for i, mx, kids in tree._aggregates:
            s = a = zero
            all_na = True
            for k in kids:
                s += score[k]
                a += app[k]
                all_na = all_na and na[k]
            raw[i] = s
            score[i] = mx if s > mx else s
            app[i] = mx if a > mx else a
            na[i] = all_na
        # Results in the set's order (not the work order), so reports can iterate them.
        hundred = HUNDRED
        results = {
            code: NodeResult(code, s, mx, a, is_na, s * hundred / a if a else None)
            for code, s, mx, a, is_na in zip(codes, score, maxes, app, na, strict=True)
        }

        roots = tree._roots
        standard = sum((score[i] for i in roots["standard"]), ZERO)
        standard_max = sum((app[i] for i in roots["standard"]), ZERO)
        survey = sum((score[i] for i in roots["survey"]), ZERO)
        survey_max = sum((app[i] for i in roots["survey"]), ZERO)

        bonus_cap = options.bonus_cap
        if bonus_cap is None:
            bonus_cap = tree.section_max("bonus")
        bonus = min(sum((raw[i] for i in roots["bonus"]), ZERO), bonus_cap)
        penalty_cap = options.penalty_cap
        if penalty_cap is None:
            penalty_cap = tree.section_max("penalty")
        penalty = min(sum((raw[i] for i in roots["penalty"]), ZERO), penalty_cap)

        total = max(standard + survey + bonus - penalty, ZERO)
        applicable_max = standard_max + survey_max
        numerator = total if options.bonus_in_index else standard + survey
        index = _percent(numerator, applicable_max)
        if index is not None and options.cap_index_at_100 and index > HUNDRED:
            index = HUNDRED

    return UnitRollup(
        nodes=results,
        standard=standard,
        survey=survey,
        bonus=bonus,
        penalty=penalty,
        total=total,
        applicable_max=applicable_max,
        index=index,
        standard_fields=tree.standard_fields,
    )


# --------------------------------------------------------------------------------------------
# Fast path: the same roll-up on scaled integers, for ranking thousands of units
# --------------------------------------------------------------------------------------------

# Scores are stored with 4 decimals (NUMERIC(10, 4)), so points × 10,000 are exact integers and
# integer sums are exact too; only the index divisions go back to Decimal (same context, same
# correctly rounded quotient, hence the same value as :func:`roll_up`).
SCALE = 10_000
# Far below the 34 digits of _CONTEXT, so nothing the fast path adds can be rounded there.
_SCALED_LIMIT = 10**20


def scaled(value: Decimal, scale: int = SCALE) -> int | None:
    """``value × scale`` as an exact int; ``None`` when it is not one (too many decimals, not
    finite, or too large), and the caller must use :func:`roll_up` instead."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    with localcontext(_CONTEXT):
        v = value * scale
        if v != v.to_integral_value():
            return None
    n = int(v)
    return n if -_SCALED_LIMIT < n < _SCALED_LIMIT else None


class ScaledRollup(NamedTuple):
    """:class:`UnitRollup`'s figures without the per-node results, points in 1/``scale``.

    ``field_scores`` and ``field_applicable`` follow ``standard_fields`` (the set's order);
    ``index`` is the unrounded Decimal of :func:`roll_up`.
    """

    field_scores: tuple[int, ...]
    field_applicable: tuple[int, ...]
    standard: int
    survey: int
    bonus: int
    penalty: int
    total: int
    applicable_max: int
    index: Decimal | None


class RollupPlan:
    """A :class:`CriteriaTree` and a period's :class:`RollupOptions` compiled for many units.

    Same rules as :func:`roll_up` (it is the same algorithm on integers), but it returns only
    what a results table needs, so no :class:`NodeResult` is built per node and unit. Scores go
    in as a list aligned with :attr:`slots` (one entry per scored node): ``scaled(points)``, 0
    for "not answered", ``None`` for "not applicable". Build one per call and drop it: the
    percentage cache grows with the distinct values seen. Building it compiles the tree into
    one straight-line Python function (see :func:`_compile`), which is what makes 7,000
    roll-ups per results table cheap.

    Raises ``ValueError`` when a maximum or cap is not exact at the scale; callers then use
    :func:`roll_up`, which has no such limit. The equivalence is property-tested.
    """

    __slots__ = ("_leaf_max", "_pct", "_run", "_run_clamped", "scale", "slots", "standard_fields")

    def __init__(
        self,
        nodes: CriteriaTree | Sequence[Node],
        options: RollupOptions = RollupOptions(),
        scale: int = SCALE,
    ) -> None:
        tree = _as_tree(nodes)
        self.scale = scale

        def exact(value: Decimal, what: str) -> int:
            n = scaled(value, scale)
            if n is None:
                raise ValueError(f"{what} {value} is not a multiple of 1/{scale}.")
            return n

        maxes = [
            exact(m, f"Max score of {c!r}") for c, m in zip(tree._codes, tree._maxes, strict=True)
        ]
        # Leaves first (in slot order), then groups in work order: a group's children always
        # come before it, so a roll-up only ever appends.
        pos: dict[int, int] = {}
        for k, (i, _code, _mx) in enumerate(tree._leaves):
            pos[i] = k
        for j, (i, _mx, _kids) in enumerate(tree._aggregates):
            pos[i] = len(tree._leaves) + j
        self.slots: dict[str, int] = {code: k for k, (_i, code, _m) in enumerate(tree._leaves)}
        self._leaf_max: tuple[int, ...] = tuple(maxes[i] for i, _c, _m in tree._leaves)
        aggs = tuple((maxes[i], tuple(pos[k] for k in kids)) for i, _mx, kids in tree._aggregates)
        full = list(self._leaf_max)
        for mx, kids in aggs:
            a = sum(full[k] for k in kids)
            full.append(mx if a > mx else a)
        roots = tree._roots
        kids_of = {i: kids for i, _mx, kids in tree._aggregates}
        # A bonus or penalty group's points before its own cap are the sum of its children's.
        sections = (
            tuple(pos[i] for i in roots["standard"]),
            tuple(pos[i] for i in roots["survey"]),
            tuple(pos[k] for i in roots["bonus"] for k in kids_of.get(i, (i,))),
            tuple(pos[k] for i in roots["penalty"] for k in kids_of.get(i, (i,))),
        )
        bonus_cap = options.bonus_cap
        penalty_cap = options.penalty_cap
        self._pct: dict[tuple[int, int], Decimal | None] = {}
        shape = (
            self._leaf_max,
            aggs,
            tuple(full),
            sections,
            exact(tree.section_max("bonus") if bonus_cap is None else bonus_cap, "Bonus cap"),
            exact(
                tree.section_max("penalty") if penalty_cap is None else penalty_cap, "Penalty cap"
            ),
            options.cap_index_at_100,
            options.bonus_in_index,
        )
        self._run = _compile(*shape)
        self._run_clamped = _compile(*shape, clamped=True)
        self.standard_fields = tree.standard_fields

    def blank(self) -> list[int | None]:
        """Scores of a unit that answered nothing yet, to fill in by :attr:`slots`."""
        return [0] * len(self._leaf_max)

    def encode(self, scores: Mapping[str, ItemScore]) -> list[int | None] | None:
        """:func:`roll_up`'s ``scores`` as a value list; ``None`` if a score is not exact."""
        values = self.blank()
        slots = self.slots
        for code, entry in scores.items():
            k = slots.get(code)
            if k is None:
                continue
            if entry.not_applicable:
                values[k] = None
            elif entry.score is not None:
                n = scaled(entry.score, self.scale)
                if n is None:
                    return None
                values[k] = n
        return values

    def percent(self, score: int, maximum: int) -> Decimal | None:
        """``score × 100 / maximum`` as :func:`roll_up` computes it (cached), ``None`` for 0."""
        key = (score, maximum)
        found = self._pct.get(key, self)
        if found is self:
            found = self._pct[key] = (
                _CONTEXT.divide(_CONTEXT.multiply(Decimal(score), HUNDRED), Decimal(maximum))
                if maximum
                else None
            )
        return found  # type: ignore[return-value]

    def decimal(self, value: int) -> Decimal:
        """A scaled figure back in points."""
        return _CONTEXT.divide(Decimal(value), Decimal(self.scale))

    def run(self, values: Sequence[int | None]) -> ScaledRollup:
        """One unit's roll-up; ``values`` as described on the class."""
        if len(values) != len(self._leaf_max):
            raise ValueError(f"Expected {len(self._leaf_max)} scores, got {len(values)}.")
        return self._run(values, self.percent)

    def clamp(self, slot: int, value: int | None) -> int | None:
        """A value as :meth:`run` counts it in its slot: not applicable stays ``None``, negative
        is 0, above the node's maximum is the maximum."""
        if value is None or value <= 0:
            return None if value is None else 0
        m = self._leaf_max[slot]
        return m if value > m else value

    def run_clamped(self, values: Sequence[int | None]) -> ScaledRollup:
        """:meth:`run` for values that went through :meth:`clamp` (which is where a caller
        decoding many repeated scores can do it once per distinct score): the same figures
        without clamping every value of every unit again."""
        if len(values) != len(self._leaf_max):
            raise ValueError(f"Expected {len(self._leaf_max)} scores, got {len(values)}.")
        return self._run_clamped(values, self.percent)


_Run = Callable[[Sequence[int | None], Callable[[int, int], Decimal | None]], ScaledRollup]


@lru_cache(maxsize=32)
def _compile(
    leaf_max: tuple[int, ...],
    aggs: tuple[tuple[int, tuple[int, ...]], ...],
    full_app: tuple[int, ...],
    sections: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]],
    bonus_cap: int,
    penalty_cap: int,
    cap_100: bool,
    bonus_in_index: bool,
    clamped: bool = False,
) -> _Run:
    """:meth:`RollupPlan.run` as one straight-line function for this tree.

    A unit's roll-up is a few dozen additions and comparisons; run as loops over index lists
    the interpreter spends most of its time on the loops, not the arithmetic, and the results
    table does this 7,000 times (self and appraised, 3,500 units). The source is generated from
    integers and slot positions only (no codes or titles), so nothing from the database can
    reach the code; the rules are those of the loop form, which :func:`roll_up` is
    property-tested against. ``sections`` are the slots of the standard fields, the survey
    fields, and the children of the bonus and the penalty groups. ``clamped`` compiles
    :meth:`RollupPlan.run_clamped`: the values are already within [0, max] or ``None``.

    Cached on its arguments (the tree's shape and the options, no scores), so a plan built
    again for the same set and options reuses the code; the caller's ``percent`` keeps the
    per-plan cache of divisions.
    """
    standard, survey, bonus_raw, penalty_raw = sections
    n = len(leaf_max)
    body: list[str] = []
    # Leaves: not applicable and negative count 0, above the max is clamped (as in roll_up).
    # Clamped values are the leaves' points already, except None (not applicable) for 0.
    x = "s" if clamped else "x"
    names_ = ", ".join(f"{x}{k}" for k in range(n))
    body.append(f"{names_}{',' if n == 1 else ''} = values" if n else "pass")
    body.append("na = None in values")
    body.append("if na:")
    # The applicable maxima only change when something is not applicable.
    body.append("    pass")
    for k, m in enumerate(leaf_max):
        body.append(f"    a{k} = 0 if {x}{k} is None else {m}")
    if clamped:
        body += [f"    s{k} = s{k} or 0" for k in range(n)]
    else:
        for k, m in enumerate(leaf_max):
            body.append(f"s{k} = 0 if x{k} is None or x{k} <= 0 else ({m} if x{k} > {m} else x{k})")

    def total_of(names: Sequence[str]) -> str:
        return " + ".join(names) if names else "0"

    # Groups, children first: the sum of the children's points, capped at the group's max.
    for j, (mx, kids) in enumerate(aggs):
        body.append(f"t = {total_of([f's{k}' for k in kids])}")
        body.append(f"s{n + j} = {mx} if t > {mx} else t")

    def names(prefix: str, slots: Sequence[int]) -> list[str]:
        return [f"{prefix}{k}" for k in slots]

    fields = names("s", standard)
    body.append(f"fs = ({''.join(f + ', ' for f in fields)})")
    body.append(f"standard = {total_of(fields)}")
    body.append(f"survey = {total_of(names('s', survey))}")
    body.append(f"bonus = {total_of(names('s', bonus_raw))}")
    body.append(f"bonus = {bonus_cap} if bonus > {bonus_cap} else bonus")
    body.append(f"penalty = {total_of(names('s', penalty_raw))}")
    body.append(f"penalty = {penalty_cap} if penalty > {penalty_cap} else penalty")
    body.append("total = standard + survey + bonus - penalty")
    body.append("if total < 0:")
    body.append("    total = 0")
    # Constant applicable maxima when everything is applicable.
    full_fields = tuple(full_app[k] for k in standard)
    full_max = sum(full_fields) + sum(full_app[k] for k in survey)
    body.append("if na:")
    for j, (mx, kids) in enumerate(aggs):
        body.append(f"    t = {total_of([f'a{k}' for k in kids])}")
        body.append(f"    a{n + j} = {mx} if t > {mx} else t")
    app_fields = names("a", standard)
    body.append(f"    fa = ({''.join(f + ', ' for f in app_fields)})")
    body.append(f"    amax = {total_of(app_fields + names('a', survey))}")
    body.append("else:")
    body.append(f"    fa = {full_fields!r}")
    body.append(f"    amax = {full_max}")
    body.append(f"index = percent({'total' if bonus_in_index else 'standard + survey'}, amax)")
    if cap_100:
        body.append("if index is not None and index > HUNDRED:")
        body.append("    index = HUNDRED")
    body.append("return ScaledRollup(fs, fa, standard, survey, bonus, penalty, total, amax, index)")
    source = "def run(values, percent):\n" + "".join(f"    {line}\n" for line in body)
    namespace: dict[str, object] = {
        "ScaledRollup": ScaledRollup,
        "HUNDRED": HUNDRED,
    }
    exec(compile(source, "<RollupPlan>", "exec"), namespace)
    return namespace["run"]  # type: ignore[return-value]


def field_gaps(self_result: UnitRollup, appraised: UnitRollup) -> dict[str, Decimal]:
    """Appraised minus self-assessed points per standard field (negative: the unit over-scored).

    Both roll-ups must come from the same criteria set; comparing different sets field by field
    would report gaps that are really changes of the questionnaire, so that is refused.
    """
    if set(self_result.standard_fields) != set(appraised.standard_fields):
        raise ValueError("Self and appraised results come from different criteria sets.")
    return {
        code: appraised.nodes[code].score - self_result.nodes[code].score
        for code in self_result.standard_fields
    }


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
