"""The look of every workbook and the streaming sheet writer they share.

Layout conventions of Vietnamese administrative tables (domain.md §8): Times New Roman, bold
centred headings, thin borders, field rows in bold capitals, Roman numerals for top-level
sections, numbers with two decimals (shown with a decimal comma by a Vietnamese Excel, because
the cells hold numbers and only the format is given), A4 landscape, fit to the page width, the
header row repeated on every printed page.

:class:`Book` and :class:`Sheet` wrap openpyxl's write-only mode. A row is appended with a tuple
of style names, one per cell; the styled cells are a few template cells per sheet whose value is
replaced for each row, so a styled row costs about what a bare ``ws.append`` of plain values
costs (``bench/export.py`` measures it). Text is always written as text (see
:mod:`scoring.workbooks.safe`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from scoring.workbooks.safe import RISKY_START, Formula, Link, clean_text

FONT = "Times New Roman"
SCORE_FORMAT = "#,##0.00"
INDEX_FORMAT = "0.00"
INT_FORMAT = "0"
BYTES_FORMAT = "#,##0"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class CellStyle:
    bold: bool = False
    italic: bool = False
    size: float = 11
    underline: bool = False
    color: str | None = None
    horizontal: str = "left"
    vertical: str = "center"
    wrap: bool = True
    indent: int = 0
    border: bool = True
    fill: str | None = None
    number_format: str = "General"


_HEADER_FILL = "DDEBF7"
_GROUP_FILL = "F2F2F2"

STYLES: dict[str, CellStyle] = {
    # document head
    "org": CellStyle(bold=True, size=12, horizontal="center", border=False),
    "org_sub": CellStyle(size=12, horizontal="center", border=False),
    "motto": CellStyle(bold=True, size=12, horizontal="center", border=False, wrap=False),
    "motto_sub": CellStyle(
        bold=True, size=12, underline=True, horizontal="center", border=False, wrap=False
    ),
    "title": CellStyle(bold=True, size=14, horizontal="center", border=False),
    "subtitle": CellStyle(bold=True, size=12, horizontal="center", border=False),
    "caption": CellStyle(italic=True, size=11, horizontal="center", border=False),
    "note": CellStyle(italic=True, size=10, border=False, vertical="top"),
    "warning": CellStyle(bold=True, italic=True, size=11, color="C00000", border=False),
    # table
    "header": CellStyle(bold=True, horizontal="center", fill=_HEADER_FILL),
    "header_left": CellStyle(bold=True, fill=_HEADER_FILL),
    "colnum": CellStyle(italic=True, size=10, horizontal="center", fill=_HEADER_FILL),
    "group": CellStyle(bold=True, fill=_GROUP_FILL),
    "group_center": CellStyle(bold=True, horizontal="center", fill=_GROUP_FILL),
    "text": CellStyle(),
    "text_top": CellStyle(vertical="top"),
    "text_center": CellStyle(horizontal="center"),
    "text_small": CellStyle(size=10),
    "mono": CellStyle(size=9, wrap=False),
    "text_bold": CellStyle(bold=True),
    "text_italic": CellStyle(italic=True),
    "na": CellStyle(italic=True, horizontal="center", size=10),
    "field_stt": CellStyle(bold=True, horizontal="center"),
    "field_text": CellStyle(bold=True),
    "field_score": CellStyle(bold=True, horizontal="right", number_format=SCORE_FORMAT),
    "criterion_stt": CellStyle(bold=True, italic=True, horizontal="center"),
    "criterion_text": CellStyle(bold=True, italic=True, indent=1),
    "criterion_score": CellStyle(
        bold=True, italic=True, horizontal="right", number_format=SCORE_FORMAT
    ),
    "item_stt": CellStyle(horizontal="center"),
    "item_text": CellStyle(indent=2),
    "score": CellStyle(horizontal="right", number_format=SCORE_FORMAT),
    "score_bold": CellStyle(bold=True, horizontal="right", number_format=SCORE_FORMAT),
    "index": CellStyle(horizontal="right", number_format=INDEX_FORMAT),
    "index_bold": CellStyle(bold=True, horizontal="right", number_format=INDEX_FORMAT),
    "int": CellStyle(horizontal="center", number_format=INT_FORMAT),
    "int_bold": CellStyle(bold=True, horizontal="center", number_format=INT_FORMAT),
    "bytes": CellStyle(horizontal="right", number_format=BYTES_FORMAT),
    "datetime": CellStyle(horizontal="center", number_format=DATETIME_FORMAT),
    "link": CellStyle(color="0563C1", underline=True),
    "total_text": CellStyle(bold=True, horizontal="center", fill=_GROUP_FILL),
    "total_score": CellStyle(
        bold=True, horizontal="right", number_format=SCORE_FORMAT, fill=_GROUP_FILL
    ),
    "total_index": CellStyle(
        bold=True, horizontal="right", number_format=INDEX_FORMAT, fill=_GROUP_FILL
    ),
    # signature block
    "sign_place": CellStyle(italic=True, size=12, horizontal="center", border=False),
    "sign_title": CellStyle(bold=True, size=12, horizontal="center", border=False),
    "sign_note": CellStyle(italic=True, size=11, horizontal="center", border=False),
    "sign_name": CellStyle(bold=True, size=12, horizontal="center", border=False),
}


def _apply(cell: Cell, style: CellStyle) -> None:
    cell.font = Font(
        name=FONT,
        size=style.size,
        bold=style.bold,
        italic=style.italic,
        underline="single" if style.underline else None,
        color=style.color,
    )
    cell.alignment = Alignment(
        horizontal=style.horizontal,
        vertical=style.vertical,
        wrap_text=style.wrap,
        indent=style.indent,
    )
    if style.border:
        cell.border = _BORDER
    if style.fill:
        cell.fill = PatternFill("solid", start_color=style.fill, end_color=style.fill)
    cell.number_format = style.number_format


class _StyledCell(Cell):
    """A template cell: styled once, then only its value changes, so its style id is looked up
    once instead of hashing the style for every value written."""

    __slots__ = ("_sid",)

    def __init__(self, worksheet: WriteOnlyWorksheet) -> None:
        super().__init__(worksheet, row=1, column=1)
        self._sid: int | None = None

    @property
    def style_id(self) -> int:
        sid = self._sid
        if sid is None:
            sid = self._sid = self.parent.parent._cell_styles.add(self._style)
        return sid

    @property
    def has_style(self) -> bool:
        return True


class _Template:
    """A styled cell reused for every value of that style (and its quote-prefixed twin)."""

    __slots__ = ("cell", "name", "quoted")

    def __init__(self, sheet: _FastSheet, name: str) -> None:
        style = STYLES[name]
        self.name = name
        self.cell = _StyledCell(sheet)
        _apply(self.cell, style)
        self.quoted = _StyledCell(sheet)
        _apply(self.quoted, style)
        self.quoted.quotePrefix = True


class _FastSheet(WriteOnlyWorksheet):
    """A write-only sheet whose rows carry a style per cell without building a cell per value.

    openpyxl's own path for styled write-only cells costs a new cell, a failed type conversion
    and an exception per value; here the value is put into the column's template cell, which
    the writer serialises at once (write-only rows are written as they are appended).
    """

    def __init__(self, parent: Workbook, title: str) -> None:
        super().__init__(parent, title)
        self._row_styles: Sequence[_Template | None] | None = None
        self._plain = _PlainTemplate(self)
        self._texts: dict[str, str] = {}  # cleaned text of strings seen (names repeat a lot)
        self.cells_written = 0

    def _values_to_row(self, values: Sequence[Any], row_idx: int) -> Iterator[Cell]:  # type: ignore[override]
        styles = self._row_styles
        plain = self._plain
        texts = self._texts
        n = len(styles) if styles is not None else 0
        count = 0
        for col_idx, value in enumerate(values, 1):
            tpl = styles[col_idx - 1] if col_idx <= n else None  # type: ignore[index]
            if tpl is None:
                tpl = plain
                if value is None:
                    continue
            if value is None:
                value = ""
            if isinstance(value, str):
                if isinstance(value, Formula):
                    cell = tpl.cell
                    cell._value = str(value)
                    cell.data_type = "f"
                else:
                    cell = tpl.quoted if value.startswith(RISKY_START) else tpl.cell
                    text = texts.get(value)
                    if text is None:
                        text = clean_text(value)
                        if len(texts) < 100_000:
                            texts[value] = text
                    cell._value = text
                    cell.data_type = "s"
            elif isinstance(value, bool):
                cell = tpl.cell
                cell._value = value
                cell.data_type = "b"
            elif isinstance(value, int | float | Decimal):
                cell = tpl.cell
                cell._value = value
                cell.data_type = "n"
            elif isinstance(value, Link):
                cell = WriteOnlyCell(self)
                if tpl.cell.has_style:
                    cell._style = (
                        tpl.quoted._style
                        if value.text.startswith(RISKY_START)
                        else (tpl.cell._style)
                    )
                cell.column, cell.row = col_idx, row_idx
                cell.hyperlink = value.url
                cell._value = clean_text(value.text)
                cell.data_type = "s"
                count += 1
                yield cell
                continue
            elif isinstance(value, datetime):
                # binding a date may set a date format on the cell: never on a shared plain one
                cell = tpl.cell if tpl is not plain else WriteOnlyCell(self)
                cell.value = value.replace(tzinfo=None)
            else:
                raise TypeError(f"cannot write {type(value).__name__} to a cell")
            cell.column = col_idx
            cell.row = row_idx
            count += 1
            yield cell
        self.cells_written += count


class _PlainTemplate:
    __slots__ = ("cell", "quoted")

    def __init__(self, sheet: _FastSheet) -> None:
        self.cell = WriteOnlyCell(sheet)
        self.quoted = WriteOnlyCell(sheet)
        self.quoted.quotePrefix = True


RowStyles = tuple[_Template | None, ...]


class Sheet:
    """One streaming sheet: set widths, panes and print options first, then append rows."""

    def __init__(
        self,
        book: Book,
        title: str,
        *,
        widths: Sequence[float],
        landscape: bool = True,
        fit_width: bool = True,
    ) -> None:
        ws = _FastSheet(book.wb, title)
        book.wb._add_sheet(ws)
        self.ws = ws
        self.title = title
        self.rows = 0
        self.width = len(widths)
        self._templates: dict[str, _Template] = {}
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        if fit_width:
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "Trang &P/&N"
        ws.oddFooter.center.font = FONT
        ws.oddFooter.center.size = 10

    # -- set-up (before the first row) -----------------------------------------------------

    def freeze(self, cell: str) -> None:
        self.ws.freeze_panes = cell

    def print_titles(self, first_row: int, last_row: int) -> None:
        self.ws.print_title_rows = f"{first_row}:{last_row}"

    # -- rows ------------------------------------------------------------------------------

    def styles(self, *names: str | None) -> RowStyles:
        """The style tuple of a row, built once and reused for every row of that shape."""
        out: list[_Template | None] = []
        for name in names:
            if name is None:
                out.append(None)
                continue
            tpl = self._templates.get(name)
            if tpl is None:
                tpl = self._templates[name] = _Template(self.ws, name)
            out.append(tpl)
        return tuple(out)

    def row(
        self,
        values: Sequence[Any],
        styles: RowStyles | None = None,
        *,
        height: float | None = None,
    ) -> int:
        """Append a row; returns its 1-based index."""
        index = self.rows + 1
        if height is not None:
            self.ws.row_dimensions[index].height = height
        self.ws._row_styles = styles
        self.ws.append(values)
        self.rows = index
        return index

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self.row(())

    def merge(self, row: int, first_col: int, last_col: int) -> None:
        if last_col > first_col:
            self.ws.merged_cells.add(
                f"{get_column_letter(first_col)}{row}:{get_column_letter(last_col)}{row}"
            )

    def merged_row(
        self,
        text: Any,
        style: str,
        *,
        first_col: int = 1,
        last_col: int | None = None,
        height: float | None = None,
    ) -> int:
        """One text spread over columns ``first_col``..``last_col`` (default: the whole width)."""
        last = last_col or self.width
        values: list[Any] = [None] * (first_col - 1) + [text] + [None] * (last - first_col)
        names: list[str | None] = [None] * (first_col - 1) + [style] * (last - first_col + 1)
        index = self.row(values, self.styles(*names), height=height)
        self.merge(index, first_col, last)
        return index

    @property
    def cells_written(self) -> int:
        return self.ws.cells_written


class Book:
    """A write-only workbook of :class:`Sheet` s."""

    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)
        self.sheets: list[Sheet] = []

    def sheet(self, title: str, **kwargs: Any) -> Sheet:
        sheet = Sheet(self, title, **kwargs)
        self.sheets.append(sheet)
        return sheet

    @property
    def cells_written(self) -> int:
        return sum(s.cells_written for s in self.sheets)

    def save(self, target: str | Path | IO[bytes]) -> None:
        self.wb.save(target)


_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


def roman(n: int) -> str:
    """1 → "I", 4 → "IV", 14 → "XIV" (section numbers of official tables)."""
    if n <= 0:
        return str(n)
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def upper_vi(text: str) -> str:
    """Capitals as field rows print them; Vietnamese letters upper-case correctly in Python."""
    return text.upper()
