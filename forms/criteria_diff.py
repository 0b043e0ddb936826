"""What changed between two criteria sets, e.g. last year's and this year's decision.

Pure: both sides are :class:`~forms.criteria_rows.CriteriaDraft` (a stored set through
:func:`forms.criteria.load_draft`, or a file just read), so the page, the command and the tests
compare the same way. Nodes are paired by code first, then, among those left over, by title at
the same level, because a renumbered item ("2.3.1" becoming "2.4.1") is the same question moved,
not one removed and one added.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import N_
from forms.criteria_rows import CriteriaDraft, NodeDraft
from forms.printed_rules import fold_letters

ADDED, REMOVED, RENUMBERED, RENAMED, MAX, RULE = (
    "added",
    "removed",
    "renumbered",
    "renamed",
    "max",
    "rule",
)
CHANGE_LABELS = {
    ADDED: N_("added"),
    REMOVED: N_("removed"),
    RENUMBERED: N_("renumbered"),
    RENAMED: N_("renamed"),
    MAX: N_("maximum changed"),
    RULE: N_("scoring rule changed"),
}


@dataclass(frozen=True)
class NodeDiff:
    """One node on either side, paired, with what changed; ``old`` or ``new`` is None when the
    node exists on one side only."""

    old: NodeDraft | None
    new: NodeDraft | None
    changes: tuple[str, ...]

    @property
    def code(self) -> str:
        return (self.new or self.old).code  # type: ignore[union-attr]


def _title_key(node: NodeDraft) -> tuple[str, str]:
    return node.level, " ".join(fold_letters(node.title).split())


def _rule_text(node: NodeDraft) -> str:
    if not node.rule_type:
        return ""
    return f"{node.rule_type}: {node.rule_params}" if node.rule_params else node.rule_type


def _changes(old: NodeDraft, new: NodeDraft) -> tuple[str, ...]:
    found: list[str] = []
    if old.code != new.code:
        found.append(RENUMBERED)
    if " ".join(old.title.split()) != " ".join(new.title.split()):
        found.append(RENAMED)
    if old.max_score != new.max_score:
        found.append(MAX)
    if _rule_text(old) != _rule_text(new):
        found.append(RULE)
    return tuple(found)


def diff_sets(old: CriteriaDraft, new: CriteriaDraft) -> list[NodeDiff]:
    """Every node that was added, removed, renumbered, renamed, or changed its maximum or rule,
    in the new set's order with the removed nodes last; unchanged nodes are left out."""
    by_title: dict[tuple[str, str], list[NodeDraft]] = {}
    for node in old.nodes:
        by_title.setdefault(_title_key(node), []).append(node)
    paired: dict[str, NodeDraft] = {}  # new code -> old node
    used: set[str] = set()
    for node in new.nodes:  # same wording first: the same question, maybe renumbered
        candidates = [n for n in by_title.get(_title_key(node), []) if n.code not in used]
        if candidates:
            same_code = [n for n in candidates if n.code == node.code]
            match = (same_code or candidates)[0]
            paired[node.code] = match
            used.add(match.code)
    old_by_code = {n.code: n for n in old.nodes}
    for node in new.nodes:  # then the same code: the same question, reworded
        before = old_by_code.get(node.code)
        if node.code in paired or before is None or before.code in used:
            continue
        if before.level == node.level:
            paired[node.code] = before
            used.add(before.code)
    out: list[NodeDiff] = []
    for node in new.nodes:
        before = paired.get(node.code)
        if before is None:
            out.append(NodeDiff(None, node, (ADDED,)))
        elif changes := _changes(before, node):
            out.append(NodeDiff(before, node, changes))
    out.extend(NodeDiff(n, None, (REMOVED,)) for n in old.nodes if n.code not in used)
    return out
