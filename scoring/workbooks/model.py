"""Plain data the workbook writers read: a criteria set's outline, a unit's answers, and the two
roll-ups (self-assessed and appraised) of one unit, computed exactly as :mod:`scoring.results`
computes them.

The writers never touch the database: :mod:`scoring.exports` loads these objects (async), then
hands them to a writer running in a worker thread, where the roll-ups are computed too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from core.i18n import gettext
from core.numbers import round_half_up
from forms.outline import OutlineNode
from forms.rollup import (
    CriteriaTree,
    RollupOptions,
    UnitRollup,
)
from forms.rules import describe

ZERO = Decimal(0)


def to_decimal(raw: Any) -> Decimal | None:
    """A score as a database driver returns it (Decimal on PostgreSQL, text on SQLite)."""
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, float):
        return Decimal(repr(raw))
    return Decimal(raw)


class AnswerRow(NamedTuple):
    """One stored answer with its reviews, as the exports read it."""

    declared: Any  # JSON text or already decoded
    self_score: Decimal | None
    not_applicable: bool
    note: str
    round1: Decimal | None
    round2: Decimal | None
    comment1: str
    comment2: str
    files: int

    @property
    def reviewed(self) -> Decimal | None:
        """The appraised score of the item: round 2, else round 1 (results.py's rule)."""
        return self.round2 if self.round2 is not None else self.round1

    @property
    def answered(self) -> bool:
        return self.declared is not None or self.not_applicable


@dataclass
class UnitScores:
    """Both roll-ups of one unit and whether any item of it was reviewed."""

    own: UnitRollup
    final: UnitRollup
    reviewed: bool


def unit_scores(
    tree: CriteriaTree,
    answers: Mapping[str, AnswerRow],
    survey: Mapping[str, Decimal] | None,
    options: RollupOptions,
) -> UnitScores:
    """Self and appraised roll-ups of one unit, the way :func:`scoring.results.compute` does it:
    self scores (not-applicable kept), survey points in both, and the reviewed score of each
    reviewed item replacing its self score (which also makes it applicable again).

    The scores go straight to their positions in the tree (what :func:`forms.rollup.roll_up`
    does through a mapping of :class:`~forms.rollup.ItemScore`), since a province's workbook
    rolls up 7,000 sheets; the sums, caps and index are the tree's one roll-up either way."""
    slots = _leaf_slots(tree)
    clamp = tree.units(options).clamp
    own = tree.blank()
    own_na: set[int] = set()
    changes: dict[int, Decimal] = {}
    for code, row in answers.items():
        i = slots.get(code)
        if i is None:
            continue
        if row.not_applicable:
            own_na.add(i)
        else:
            own[i] = clamp(i, row.self_score)
        reviewed = row.reviewed
        if reviewed is not None:
            changes[i] = clamp(i, reviewed)
    for code, value in (survey or {}).items():
        i = slots.get(code)
        if i is not None:
            own_na.discard(i)
            own[i] = clamp(i, value)
    mine = tree.run(own, options, own_na)
    if not changes:
        return UnitScores(mine, mine, False)
    final = own.copy()
    for i, value in changes.items():
        final[i] = value
    final_na = own_na.difference(changes)
    return UnitScores(mine, tree.run(final, options, final_na), True)


@lru_cache(maxsize=32)
def _leaf_slots(tree: CriteriaTree) -> dict[str, int]:
    """Code → position of the tree's scored nodes (the rest of an answer's codes is ignored,
    as :func:`forms.rollup.roll_up` ignores them)."""
    return {tree.codes[i]: i for i in tree.leaves}


class Describer:
    """The declared value of an answer as text ("45/50 (90%)", "Có"), cached per distinct
    (item, value): a province's answers take few distinct values per item."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._cache: dict[tuple[str, str], str] = {}
        self._na = gettext("Not applicable", locale)

    def __call__(self, node: OutlineNode, row: AnswerRow | None) -> str:
        if row is None:
            return ""
        if row.not_applicable:
            return self._na
        raw = row.declared
        if raw is None:
            return ""
        key_text = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True)
        key = (node.code, key_text)
        found = self._cache.get(key)
        if found is not None:
            return found
        value = json.loads(raw) if isinstance(raw, str) else raw
        text = ""
        if node.rule is not None and isinstance(value, dict):
            try:
                text = describe(node.rule, value, self.locale)
            except Exception:  # a stale value of a changed rule: show it as stored
                text = ""
        if not text:
            text = key_text if not isinstance(value, dict) else _plain(value)
        self._cache[key] = text
        return text


def _plain(value: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in value.items())


@dataclass
class PeriodInfo:
    id: int
    code: str
    name: str
    year: int
    status: str
    published_at: datetime | None
    options: RollupOptions = field(default_factory=RollupOptions)
    rank_unsubmitted_last: bool = False  # else units that never submitted are not ranked


@dataclass(frozen=True)
class UnitProgress:
    """The counts of one unit's sheet (pure, from the loaded answers)."""

    answered: int
    items: int
    missing: list[str]

    @property
    def share(self) -> Decimal | None:
        if not self.items:
            return None
        return round_half_up(Decimal(self.answered) * 100 / Decimal(self.items))


def unit_progress(answers: Mapping[str, AnswerRow], items: list[OutlineNode]) -> UnitProgress:
    """Answered items out of the self-assessed ones, and the codes answered without the
    evidence they require (not counting "not applicable")."""
    answered = 0
    missing: list[str] = []
    for node in items:
        a = answers.get(node.code)
        if a is None or not a.answered:
            continue
        answered += 1
        if not a.files and node.needs_evidence(a):
            missing.append(node.code)
    return UnitProgress(answered, len(items), missing)
