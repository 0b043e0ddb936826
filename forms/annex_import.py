"""From an annex as read to a criteria set: the secretariat's choices for what was not
recognised, the list of what is still unresolved, and the hand-over to the criteria import
checks (:func:`forms.criteria_rows.build_criteria`) once nothing is. Also the annex written as
a criteria workbook, to resolve in Excel instead of on the review page."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from io import BytesIO

from core.i18n import N_, Msg
from core.sheets import Problem, open_workbook
from forms.annex import AnnexItem, AnnexReading
from forms.annex_files import ANNEX_SHEET
from forms.criteria_rows import (
    SHEET_INFO,
    SHEET_NODES,
    CriteriaDraft,
    CriteriaImportError,
    NodeDraft,
    NodeRow,
    build_criteria,
    parent_of,
)
from forms.criteria_workbook import export_bytes
from forms.printed_rules import PrintedReading
from forms.rules import RuleDefinitionError, format_params, parse_rule


def resolve(reading: AnnexReading, choices: Mapping[str, tuple[str, str]]) -> AnnexReading:
    """Apply the secretariat's choices (item code -> rule type and parameters cell) with the
    same checks as a typed rule; a choice that fails stays unresolved with its reasons."""
    items: list[AnnexItem] = []
    for item in reading.items:
        choice = choices.get(item.code)
        if item.level != "item" or choice is None:
            items.append(item)
            continue
        rule_type, params = choice
        try:
            rule = parse_rule(rule_type, params, item.max_score or Decimal(0))
        except RuleDefinitionError as exc:
            result = PrintedReading(item.printed, rule_type, params, None, tuple(exc.problems))
        else:
            result = PrintedReading(item.printed, rule_type, format_params(rule), rule, ())
        items.append(replace(item, reading=result))
    return replace(reading, items=tuple(items))


def unresolved_problems(reading: AnnexReading) -> list[Problem]:
    """One line per reason for every item not resolved yet, with the printed text."""
    problems: list[Problem] = []
    for item in reading.unresolved:
        reasons = item.reading.problems if item.reading is not None else ()
        for reason in reasons:
            problems.append(
                Problem(
                    ANNEX_SHEET,
                    item.row,
                    None,
                    Msg(
                        N_("Item {code} “{title}” (printed “{text}”): {reason}"),
                        code=item.code,
                        title=item.title,
                        text=" ".join(item.printed.split()),
                        reason=reason,
                    ),
                )
            )
    return problems


def annex_node_rows(reading: AnnexReading) -> list[NodeRow]:
    """The rows in the shape the workbook reader produces, keyed by name rather than by the
    workbook's column order, so columns added to the workbook later do not change this."""
    rows: list[NodeRow] = []
    for item in reading.items:
        result = item.reading
        values: dict[str, object] = {
            "code": item.code,
            "level": item.level,
            "section": item.section,
            "title": item.title,
            "max_score": item.max_score if item.max_score is not None else "",
            "rule_type": result.rule_type if result is not None else "",
            "rule_params": result.params if result is not None else "",
            "guidance": item.printed if item.level == "item" else "",
            "evidence": item.evidence,
        }
        rows.append(NodeRow(item.row, values))
    return rows


def annex_draft(reading: AnnexReading, info: Mapping[str, object]) -> CriteriaDraft:
    """The checked set, or :class:`CriteriaImportError` listing every unresolved item and every
    problem of the tree (sums of maxima, empty fields...); nothing is stored either way."""
    problems = unresolved_problems(reading)
    if problems:
        raise CriteriaImportError(problems)
    details = dict(info)
    if not details.get("total_max"):
        details["total_max"] = reading.total_max or sum(
            (
                i.max_score or Decimal(0)
                for i in reading.items
                if i.level == "field" and i.section in ("standard", "survey")
            ),
            Decimal(0),
        )
    try:
        return build_criteria(details, annex_node_rows(reading))
    except CriteriaImportError as exc:
        # Rows are the annex's rows; the set's details came from the command or the page, which
        # have no sheet or row to point at.
        raise CriteriaImportError(
            [
                Problem(ANNEX_SHEET, p.row, None, p.msg)
                if p.sheet != SHEET_INFO
                else Problem("", None, None, p.msg)
                for p in exc.problems
            ]
        ) from None


def is_printed_annex(data: bytes) -> bool:
    """A Word file, or an Excel file that is not the criteria workbook (no “Bộ chỉ số” sheet):
    the import command and page accept both kinds of file through one upload."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            if "word/document.xml" in archive.namelist():
                return True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    try:
        wb = open_workbook(data, CriteriaImportError)
    except CriteriaImportError:
        return False
    try:
        return SHEET_NODES not in wb.sheetnames
    finally:
        wb.close()


def annex_workbook(reading: AnnexReading, info: Mapping[str, object]) -> bytes:
    """The annex in the criteria workbook's layout, recognised rules filled in and unresolved
    items left without a rule (their printed text in “Hướng dẫn chấm điểm”), so the secretariat
    can resolve them in Excel and import the workbook as usual."""
    nodes = tuple(
        NodeDraft(
            code=i.code,
            parent_code=parent_of(i.code),
            level=i.level,
            section=i.section,
            position=position,
            title=i.title,
            max_score=i.max_score if i.max_score is not None else Decimal(0),
            rule_type=i.reading.rule_type if i.reading and i.reading.recognised else None,
            rule_params=i.reading.params if i.reading and i.reading.recognised else "",
            guidance=i.printed if i.level == "item" else "",
            evidence=i.evidence,
            evidence_required=False,
            appraising_agency="",
            na_allowed=False,
        )
        for position, i in enumerate(reading.items, start=1)
    )
    groups = {i.section: i.max_score or Decimal(0) for i in reading.items if i.level == "field"}
    draft = CriteriaDraft(
        code=str(info.get("code") or ""),
        name=str(info.get("name") or ""),
        unit_kind=str(info.get("unit_kind") or "other"),
        document_number=str(info.get("document_number") or ""),
        issue_date=None,
        issuing_body=str(info.get("issuing_body") or ""),
        total_max=reading.total_max or Decimal(0),
        bonus_cap=groups.get("bonus", Decimal(0)),
        penalty_cap=groups.get("penalty", Decimal(0)),
        nodes=nodes,
    )
    return export_bytes(draft)
