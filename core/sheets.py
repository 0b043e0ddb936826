"""What every XLSX import shares: cell text, a located problem, an all-or-nothing error.

The criteria, units and survey workbooks each check every row and report all problems at once
with sheet, row and column, in the reader's language; nothing is stored while any remains.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from core.i18n import N_, Msg, UserError


def cell_text(value: object, *, collapse_spaces: bool = False) -> str:
    """A cell as trimmed text in one Unicode form (NFC), so the same Vietnamese name typed on
    two keyboards compares equal; whole numbers read as floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split()) if collapse_spaces else str(value).strip()
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file, located the way a spreadsheet user looks for it."""

    sheet: str
    row: int | None
    column: str | None
    msg: Msg

    def render(self, locale: str = "vi") -> str:
        where = [self.sheet] if self.sheet else []
        if self.row is not None:
            where.append(Msg(N_("row {row}"), row=self.row).render(locale))
        if self.column is not None:
            where.append(Msg(N_("column {column}"), column=self.column).render(locale))
        prefix = ", ".join(where)
        return f"{prefix}: {self.msg.render(locale)}" if prefix else self.msg.render(locale)


class WorkbookImportError(UserError):
    """The file has problems; nothing was imported. Subclasses name the workbook."""

    summary = N_("The workbook has {count} problem(s); nothing was imported.")

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(Msg(self.summary, count=len(problems)))
        self.problems = problems

    def render(self, locale: str | None = None) -> str:
        lines = [self.msg.render(locale)]
        lines += [f"- {p.render(locale or 'vi')}" for p in self.problems]
        return "\n".join(lines)
