"""A criteria set's outline: its nodes in questionnaire order, the lookups every reader needs,
and its roll-up tree, built once per frozen set and shared through one cache.

The bot's walk and summaries, the web form, the results table, the publication and every
workbook read a criteria set the same way, so they share one type (:class:`Outline`) and one
cache (:func:`outline`). A frozen set never changes, so its outline is cached per (set id,
freezing time): a database restored or rebuilt under a running process (a restore, the tests'
fresh databases) can reuse a set id, never with the same freezing instant. A draft set is read
again on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Protocol, TypeVar

from forms.criteria import node_rule
from forms.evidence_policy import WHEN_POINTS, evidence_needed
from forms.models import CriteriaNode, CriteriaSet, Section
from forms.rollup import CriteriaTree, Node
from forms.rules import Rule

ZERO = Decimal(0)
T = TypeVar("T")


class Answered(Protocol):
    """What the evidence rule reads of a stored answer (the walk's state, a workbook's row)."""

    @property
    def answered(self) -> bool: ...
    @property
    def not_applicable(self) -> bool: ...
    @property
    def self_score(self) -> Decimal | None: ...


@dataclass(frozen=True)
class OutlineNode:
    """One node of a criteria set (field, criterion or item), detached from the ORM."""

    id: int
    code: str
    parent_code: str | None
    level: str  # field, criterion, item
    section: str  # standard, survey, bonus, penalty
    position: int
    title: str
    max_score: Decimal
    rule: Rule | None = None
    guidance: str = ""
    evidence: str = ""
    evidence_required: bool = False
    na_allowed: bool = False
    evidence_when: str = WHEN_POINTS  # forms.evidence_policy: when the required evidence is due

    def needs_evidence(self, answer: Answered | None) -> bool:
        """Whether this answer needs a file (forms/evidence_policy.py): required items only
        where the answer claims points, unless the workbook says "always". The same rule for
        the walk, the submission check and the workbooks."""
        return answer is not None and evidence_needed(
            required=self.evidence_required,
            when=self.evidence_when,
            rule=self.rule,
            answered=answer.answered,
            not_applicable=answer.not_applicable,
            score=answer.self_score,
        )


class Outline:
    """A criteria set's nodes in questionnaire order, with parent/child lookups, its groups and
    self-assessed items (the walk), and its validated roll-up tree. Immutable, like the frozen
    set it comes from, and shared: derived values are computed once (:meth:`memo`)."""

    def __init__(
        self,
        id: int,
        code: str,
        name: str,
        version: int,
        nodes: Iterable[OutlineNode],
        *,
        document_number: str = "",
        issue_date: date | None = None,
        issuing_body: str = "",
        bonus_cap: Decimal | None = None,
        penalty_cap: Decimal | None = None,
    ) -> None:
        self.id = id
        self.code = code
        self.name = name
        self.version = version
        self.document_number = document_number
        self.issue_date = issue_date
        self.issuing_body = issuing_body
        self.nodes: list[OutlineNode] = sorted(nodes, key=lambda n: n.position)
        self.by_code: dict[str, OutlineNode] = {n.code: n for n in self.nodes}
        self.by_id: dict[int, OutlineNode] = {n.id: n for n in self.nodes}
        self.children: dict[str | None, list[OutlineNode]] = {}
        for n in self.nodes:
            self.children.setdefault(n.parent_code, []).append(n)
        self.roots: list[OutlineNode] = self.children.get(None, [])
        self.leaves: list[OutlineNode] = [n for n in self.nodes if not self.children.get(n.code)]
        # What the walk shows: groups (fields, criteria) and the self-assessed items.
        self.groups: dict[str, OutlineNode] = {n.code: n for n in self.nodes if n.level != "item"}
        self.items: list[OutlineNode] = [
            n for n in self.nodes if n.level == "item" and n.section != Section.survey
        ]
        self.bonus_cap = self.section_max("bonus") if bonus_cap is None else bonus_cap
        self.penalty_cap = self.section_max("penalty") if penalty_cap is None else penalty_cap
        self._root_of: dict[str, OutlineNode] = {}
        for root in self.roots:
            stack = [root]
            while stack:
                node = stack.pop()
                self._root_of[node.code] = root
                stack.extend(self.children.get(node.code, []))
        self._memo: dict[Hashable, Any] = {}

    @cached_property
    def tree(self) -> CriteriaTree:
        """The roll-up's index lists for this set (:class:`forms.rollup.CriteriaTree`)."""
        return CriteriaTree(
            Node(n.code, n.parent_code, n.level, n.section, n.max_score)  # type: ignore[arg-type]
            for n in self.nodes
        )

    # -- the tree ------------------------------------------------------------------------------

    def kids(self, code: str) -> list[OutlineNode]:
        return self.children.get(code, [])

    def roots_in(self, section: str) -> list[OutlineNode]:
        return [r for r in self.roots if r.section == section]

    def root_of(self, code: str) -> OutlineNode:
        return self._root_of[code]

    def section_max(self, section: str) -> Decimal:
        return sum((r.max_score for r in self.roots_in(section)), ZERO)

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """A value derived from this outline, computed once per key: the bot draws the same
        card parts and labels on every answer."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._memo[key] = make()
            return value

    # -- the walk's view: self-assessed items and the groups above them --------------------------

    def item(self, code: str) -> OutlineNode | None:
        node = self.by_code.get(code)
        return (
            node
            if node is not None and node.level == "item" and node.section != Section.survey
            else None
        )

    def breadcrumb(self, code: str) -> list[OutlineNode]:
        """Field first, then criterion: the groups above a node."""
        chain: list[OutlineNode] = []
        node = self.by_code.get(code)
        parent = node.parent_code if node else None
        while parent is not None and parent in self.groups:
            chain.append(self.groups[parent])
            parent = self.groups[parent].parent_code
        return list(reversed(chain))

    def top_of(self, code: str) -> str | None:
        """The field above an item (None for a node at the top)."""
        root = self._root_of.get(code)
        return None if root is None or root.code == code else root.code

    def fields(self) -> list[OutlineNode]:
        """Top-level groups that hold at least one self-assessed item, in order."""
        by_field = self.items_by_field()
        return [r for r in self.roots if r.code in by_field]

    def items_by_field(self) -> dict[str, list[str]]:
        """Item codes per field code, in questionnaire order."""

        def make() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for item in self.items:
                top = self.top_of(item.code)
                if top is not None:
                    found.setdefault(top, []).append(item.code)
            return found

        return self.memo("items_by_field", make)

    def criteria_of(self, field_code: str) -> list[OutlineNode]:
        """The criteria of a field that hold self-assessed items, in order."""
        chains = (self.breadcrumb(c) for c in self.items_by_field().get(field_code, []))
        holding = {chain[1].code for chain in chains if len(chain) >= 2}
        return [n for n in self.kids(field_code) if n.code in holding]


def _node(n: CriteriaNode) -> OutlineNode:
    try:
        rule = node_rule(n) if n.level == "item" else None
    except Exception:  # an unreadable stored rule only costs the rule's texts
        rule = None
    return OutlineNode(
        id=n.id,
        code=n.code,
        parent_code=n.parent_code,
        level=str(n.level),
        section=str(n.section),
        position=n.position,
        title=n.title,
        max_score=Decimal(n.max_score),
        rule=rule,
        guidance=n.guidance,
        evidence=n.evidence,
        evidence_required=n.evidence_required,
        na_allowed=n.na_allowed,
        evidence_when=n.evidence_when,
    )


_outlines: dict[tuple[int, datetime | None], Outline] = {}


def forget_outlines() -> None:
    """Drop the cached outlines of frozen sets: a database restored under a running process (or
    a test's fresh database) may reuse a set id with other titles."""
    _outlines.clear()


async def outline_of(cset: CriteriaSet) -> Outline:
    """The outline of a set row the caller has read, cached while the set is frozen."""
    key = (cset.id, cset.frozen_at)
    if cset.frozen_at is not None and key in _outlines:
        return _outlines[key]
    rows = await CriteriaNode.filter(criteria_set_id=cset.id).order_by("position")
    found = Outline(
        cset.id,
        cset.code,
        cset.name,
        cset.version,
        map(_node, rows),
        document_number=cset.document_number,
        issue_date=cset.issue_date,
        issuing_body=cset.issuing_body,
        bonus_cap=Decimal(cset.bonus_cap) or None,
        penalty_cap=Decimal(cset.penalty_cap) or None,
    )
    if cset.frozen_at is not None:
        _outlines[key] = found
    return found


async def frozen_outline(criteria_set_id: int, frozen_at: datetime | None) -> Outline:
    """The outline of a set whose id and freezing time the caller has just read (with its
    sheet, say): no query at all once the set is frozen and its outline cached."""
    if frozen_at is not None and (criteria_set_id, frozen_at) in _outlines:
        return _outlines[criteria_set_id, frozen_at]
    return await outline_of(await CriteriaSet.get(id=criteria_set_id))


async def outline(criteria_set_id: int) -> Outline:
    """The outline of a set by id (one query for the set row once its outline is cached)."""
    return await outline_of(await CriteriaSet.get(id=criteria_set_id))
