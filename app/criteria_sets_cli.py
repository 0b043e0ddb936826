"""What the criteria-set commands print: ``criteria import`` of a decision's annex (what was
recognised, what is left to resolve, the import once nothing is) and ``criteria diff``. Kept
apart from app/cli.py so the workbook path there stays as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from core.audit import Actor
from core.i18n import N_, Msg
from core.models import Channel
from core.numbers import format_score
from forms.annex import AnnexReading, read_annex
from forms.annex_import import annex_draft, annex_workbook
from forms.criteria import import_draft
from forms.criteria_diff import CHANGE_LABELS, NodeDiff
from forms.criteria_rows import CriteriaImportError, NodeDraft
from forms.rule_words import describe_rule

CLI_ACTOR = Actor.system(Channel.cli, "cli")
console = Console()
err_console = Console(stderr=True)


@dataclass(frozen=True)
class AnnexOptions:
    code: str | None
    name: str | None
    unit_kind: str
    document_number: str
    workbook: Path | None
    check: bool

    def info(self) -> dict[str, object]:
        return {
            "code": self.code or "",
            "name": self.name or (f"Bộ chỉ số CCHC {self.code}" if self.code else ""),
            "unit_kind": self.unit_kind,
            "document_number": self.document_number,
        }


def recognised_lines(reading: AnnexReading, locale: str) -> list[str]:
    """Each recognised item with its rule in plain words, to compare with the printed text."""
    return [
        f"{item.code}  {item.title}: {describe_rule(item.reading.rule, locale)}"
        for item in reading.recognised
        if item.reading is not None and item.reading.rule is not None
    ]


def import_annex(
    data: bytes,
    options: AnnexOptions,
    locale: str,
    run: Callable[[Callable[[], Awaitable[Any]]], Any],
) -> None:
    """Read, report, and import only when every item is resolved and the tree checks out."""
    try:
        reading = read_annex(data)
    except CriteriaImportError as exc:
        err_console.print(exc.render(locale), markup=False)
        raise typer.Exit(1) from None
    count = Msg(
        N_("Recognised {recognised} of {items} items of the annex."),
        recognised=len(reading.recognised),
        items=len(reading.scored),
    )
    console.print(count.render(locale), markup=False)
    for line in recognised_lines(reading, locale):  # to compare with the decision, always
        console.print(f"  {line}", markup=False)
    if options.workbook is not None:
        options.workbook.write_bytes(annex_workbook(reading, options.info()))
        written = Msg(N_("Criteria workbook written: {path}"), path=str(options.workbook))
        console.print(written.render(locale), markup=False)
    if not options.code:
        msg = Msg(N_("An annex has no set code: give one with --code, e.g. --code SO-2026."))
        err_console.print(msg.render(locale), markup=False)
        raise typer.Exit(2)

    async def work() -> str:
        draft = annex_draft(reading, options.info())
        if options.check:
            return ""
        cset = await import_draft(CLI_ACTOR, draft)
        items = sum(1 for n in draft.nodes if n.level == "item")
        return Msg(
            N_("Imported {code} v{version}: {rows} rows, {items} items."),
            code=cset.code,
            version=cset.version,
            rows=len(draft.nodes),
            items=items,
        ).render(locale)

    summary = run(work)
    if summary:
        console.print(summary, markup=False)


def _side(node: NodeDraft | None, locale: str) -> str:
    if node is None:
        return ""
    text = f"{node.code}  {node.title}  ({format_score(node.max_score, locale)})"
    if node.rule is not None:
        text += f"\n{describe_rule(node.rule, locale)}"
    return text


def diff_table(changes: list[NodeDiff], locale: str) -> Table:
    """``cchc criteria diff``: one row per changed node, the earlier set left, the later right."""
    table = Table(
        Msg(N_("Change")).render(locale),
        Msg(N_("Earlier set")).render(locale),
        Msg(N_("Later set")).render(locale),
        show_lines=True,
    )
    for change in changes:
        kinds = ", ".join(Msg(CHANGE_LABELS[k]).render(locale) for k in change.changes)
        table.add_row(kinds, _side(change.old, locale), _side(change.new, locale))
    if not changes:
        table.add_row(Msg(N_("No difference")).render(locale), "", "")
    return table
