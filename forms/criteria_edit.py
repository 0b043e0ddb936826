"""Editing the rules of a stored set on the same review page as a printed annex (for a set
copied from last year): the stored set is shown as an :class:`~forms.annex.AnnexReading` whose
items are all recognised, the secretariat's choices go through
:func:`forms.annex_import.resolve`, and the result is checked by
:func:`forms.criteria_rows.build_criteria` like any workbook before it replaces the set (or
becomes its next version when the set is in use)."""

from __future__ import annotations

from dataclasses import replace

from forms.annex import AnnexItem, AnnexReading
from forms.criteria_rows import (
    NO,
    NODE_COLUMNS,
    SET_FIELDS,
    YES,
    CriteriaDraft,
    NodeDraft,
    NodeRow,
    build_criteria,
    values_of,
)
from forms.printed_rules import PrintedReading


def reading_of(draft: CriteriaDraft) -> AnnexReading:
    """Every node of a stored set as a review row; items carry their current rule."""
    items = []
    for node in draft.nodes:
        reading = None
        if node.level == "item":
            reading = PrintedReading(node.guidance, node.rule_type, node.rule_params, node.rule, ())
        items.append(
            AnnexItem(node.position, node.code, node.code, node.level, node.section, node.title,
                      node.max_score, node.guidance, node.evidence, reading)
        )  # fmt: skip
    return AnnexReading(tuple(items), draft.total_max)


def _row(node: NodeDraft) -> NodeRow:
    """The node as the workbook reader would hand it over: every column of the workbook, so a
    column added to the format later is carried through an edit instead of being emptied."""
    values: dict[str, object] = {}
    for column in NODE_COLUMNS:
        value = getattr(node, column.key, "")
        if isinstance(value, bool):
            value = YES if value else NO
        values[column.key] = "" if value is None else value
    return NodeRow(node.position + 1, values)


def apply_reading(draft: CriteriaDraft, reading: AnnexReading) -> CriteriaDraft:
    """The set with the reviewed rules, checked as a whole; raises
    :class:`~forms.criteria_rows.CriteriaImportError` with every problem otherwise."""
    chosen = {i.code: i.reading for i in reading.items if i.reading is not None}
    nodes = []
    for node in draft.nodes:
        result = chosen.get(node.code)
        if result is not None and result.rule_type is not None:
            node = replace(node, rule_type=result.rule_type, rule_params=result.params)
        nodes.append(node)
    info = values_of(draft, SET_FIELDS)
    return build_criteria(info, [_row(n) for n in nodes])
