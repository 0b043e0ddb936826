"""The one writer of every workbook the service hands out, over XlsxWriter.

Why one module: the criteria export, the units, survey and criteria templates, the consolidated
results, the scorecard, the evidence register, the progress workbook and the audit export must
all look like the same administration's documents and, above all, must all obey the same rules:

* **User text is always text.** Every ``str`` is written with ``write_string`` (the workbook is
  opened with ``strings_to_formulas``, ``strings_to_numbers`` and ``strings_to_urls`` off, so
  nothing is ever guessed). A string that starts with one of :data:`RISKY_START` (``=``, ``+``,
  ``-``, ``@``, tab, carriage return) also gets the "quote prefix" style flag, the apostrophe
  Excel shows in front of typed text, so editing the cell later keeps it text. Formulas exist
  only where the code builds a :class:`Formula`; ``#N/A`` typed by a person stays text.
* **Every formula carries its result.** A :class:`Formula` holds the text *and* the value the
  service computed for it (from its one roll-up), written as the cell's cached value, so a phone
  or mail preview that never recalculates shows the same numbers as Excel and LibreOffice.
* Numbers are numbers with a locale-neutral format (``#,##0.00``: a Vietnamese Excel shows
  "10,00"), dates ``dd/mm/yyyy``; A4 landscape fitted to the page width, header rows repeated on
  every printed page, "Trang &P/&N" in the footer; Times New Roman, bold centred headings; the
  national motto head and the signature blocks of official tables (domain vocabulary: "CỘNG HÒA
  XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Người lập biểu", "Thủ trưởng cơ quan").

A :class:`Sheet` is written row after row (``constant_memory`` for the national-scale
consolidated workbook), so a row is appended with a tuple of style names, one per cell, and the
XlsxWriter formats behind those names are created once per workbook.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit for the text of one cell
MAX_URL = 2_079  # Excel's limit for a hyperlink address
_ELLIPSIS = "…"
# Characters XML 1.0 cannot carry (tab, line feed and carriage return can).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

FONT = "Times New Roman"
SCORE_FORMAT = "#,##0.00"
INDEX_FORMAT = "0.00"
INT_FORMAT = "0"
BYTES_FORMAT = "#,##0"
# A penalty of 2 reads "-2,00"; zero stays "0,00" (a deduction of nothing is no minus).
DEDUCTION_FORMAT = "-#,##0.00;-#,##0.00;0.00"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
FOOTER = '&C&"Times New Roman,Regular"&10Trang &P/&N'


# ----------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula built by the code (``"=SUM(B2:B9)"``) with the result the service computed for
    it; ``value`` ``None`` or ``""`` is an empty result. Plain ``str`` is always text."""

    text: str
    value: Decimal | int | float | str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A cell showing ``text`` that opens ``url`` (an external hyperlink)."""

    text: str
    url: str


def clean_text(value: str) -> str:
    """Text an .xlsx cell can hold: XML-illegal control characters removed, line ends as line
    feeds (an XML reader turns a bare carriage return into one anyway), length capped."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    if len(value) > MAX_CELL_TEXT:
        value = value[: MAX_CELL_TEXT - 1] + _ELLIPSIS
    return value


def is_risky(text: str) -> bool:
    """Would a spreadsheet application read this text as a formula if it were typed?"""
    return text.startswith(RISKY_START)


def formula_text(text: str) -> str:
    """A string literal inside a formula: ``"Tốt"``, quotes doubled."""
    return '"' + clean_text(text).replace('"', '""') + '"'


def quote_sheet(title: str) -> str:
    """A sheet name as a formula refers to it: ``'Ma trận SO'``."""
    return "'" + title.replace("'", "''") + "'"


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str, taken: set[str] | None = None, limit: int = 31) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, no leading or trailing apostrophe, at most
    31 characters, not Excel's reserved "History"; ``taken`` (compared case-insensitively, as
    Excel does) is updated."""
    name = _SHEET_FORBIDDEN.sub(" ", clean_text(text)).strip().strip("'").strip()
    name = re.sub(r"\s+", " ", name) or "Sheet"
    name = name[:limit].rstrip()
    if name.lower() == "history":
        name += " (1)"
    if taken is None:
        return name
    lowered = {t.lower() for t in taken}
    candidate, n = name, 2
    while candidate.lower() in lowered:
        suffix = f" ({n})"
        candidate = name[: limit - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(candidate)
    return candidate


def col_letter(col: int) -> str:
    """1 → "A", 27 → "AA" (1-based, as the rows and columns of this module are)."""
    return xl_col_to_name(col - 1)


# ----------------------------------------------------------------------------------------------
# Styles
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellStyle:
    bold: bool = False
    italic: bool = False
    size: float = 11
    underline: bool = False
    color: str | None = None
    horizontal: str = "left"
    vertical: str = "vcenter"
    wrap: bool = True
    indent: int = 0
    border: bool = True
    fill: str | None = None
    number_format: str | None = None

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "font_name": FONT,
            "font_size": self.size,
            "align": self.horizontal,
            "valign": self.vertical,
        }
        if self.bold:
            out["bold"] = True
        if self.italic:
            out["italic"] = True
        if self.underline:
            out["underline"] = 1
        if self.color:
            out["font_color"] = "#" + self.color
        if self.wrap:
            out["text_wrap"] = True
        if self.indent:
            out["indent"] = self.indent
        if self.border:
            out["border"] = 1
        if self.fill:
            out["pattern"] = 1
            out["bg_color"] = "#" + self.fill
        if self.number_format:
            out["num_format"] = self.number_format
        return out


HEADER_FILL = "DDEBF7"
GROUP_FILL = "F2F2F2"
ABSENT_FILL = "D9D9D9"

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
    "header": CellStyle(bold=True, horizontal="center", fill=HEADER_FILL),
    "header_left": CellStyle(bold=True, fill=HEADER_FILL),
    "colnum": CellStyle(italic=True, size=10, horizontal="center", fill=HEADER_FILL),
    "group": CellStyle(bold=True, fill=GROUP_FILL),
    "group_center": CellStyle(bold=True, horizontal="center", fill=GROUP_FILL),
    "text": CellStyle(),
    "text_top": CellStyle(vertical="top"),
    "text_center": CellStyle(horizontal="center"),
    "text_small": CellStyle(size=10),
    "mono": CellStyle(size=9, wrap=False),
    "text_bold": CellStyle(bold=True),
    "text_italic": CellStyle(italic=True),
    "na": CellStyle(italic=True, horizontal="center", size=10),
    "absent": CellStyle(fill=ABSENT_FILL),
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
    "score_self": CellStyle(
        italic=True, color="7F7F7F", horizontal="right", number_format=SCORE_FORMAT
    ),
    "score_bold": CellStyle(bold=True, horizontal="right", number_format=SCORE_FORMAT),
    # penalty points: stored positive (formulas subtract them), shown with a minus sign
    "deduction": CellStyle(horizontal="right", number_format=DEDUCTION_FORMAT),
    "deduction_bold": CellStyle(bold=True, horizontal="right", number_format=DEDUCTION_FORMAT),
    "deduction_self": CellStyle(
        italic=True, color="7F7F7F", horizontal="right", number_format=DEDUCTION_FORMAT
    ),
    "deduction_field": CellStyle(bold=True, horizontal="right", number_format=DEDUCTION_FORMAT),
    "deduction_criterion": CellStyle(
        bold=True, italic=True, horizontal="right", number_format=DEDUCTION_FORMAT
    ),
    "deduction_total": CellStyle(
        bold=True, horizontal="right", number_format=DEDUCTION_FORMAT, fill=GROUP_FILL
    ),
    "index": CellStyle(horizontal="right", number_format=INDEX_FORMAT),
    "index_bold": CellStyle(bold=True, horizontal="right", number_format=INDEX_FORMAT),
    "int": CellStyle(horizontal="center", number_format=INT_FORMAT),
    "int_bold": CellStyle(bold=True, horizontal="center", number_format=INT_FORMAT),
    "bytes": CellStyle(horizontal="right", number_format=BYTES_FORMAT),
    "date": CellStyle(horizontal="center", number_format=DATE_FORMAT),
    "datetime": CellStyle(horizontal="center", number_format=DATETIME_FORMAT),
    "link": CellStyle(color="0563C1", underline=True),
    "total_text": CellStyle(bold=True, horizontal="center", fill=GROUP_FILL),
    "total_score": CellStyle(
        bold=True, horizontal="right", number_format=SCORE_FORMAT, fill=GROUP_FILL
    ),
    "total_index": CellStyle(
        bold=True, horizontal="right", number_format=INDEX_FORMAT, fill=GROUP_FILL
    ),
    # signature block
    "sign_place": CellStyle(italic=True, size=12, horizontal="center", border=False),
    "sign_title": CellStyle(bold=True, size=12, horizontal="center", border=False),
    "sign_note": CellStyle(italic=True, size=11, horizontal="center", border=False),
    "sign_name": CellStyle(bold=True, size=12, horizontal="center", border=False),
    # plain lists (templates, audit export): no borders, the header bold on a light fill
    "list_header": CellStyle(bold=True, fill=HEADER_FILL, border=False, wrap=False),
    "list_text": CellStyle(border=False, wrap=False),
    "list_wrap": CellStyle(border=False, vertical="top"),
    "list_bold": CellStyle(bold=True, border=False, wrap=False),
    "list_number": CellStyle(border=False, wrap=False, horizontal="right"),
    "list_bold_number": CellStyle(bold=True, border=False, wrap=False, horizontal="right"),
    # typed text stays text: codes such as 1.10 or 01/02/2026 are not read as numbers or dates
    "list_code": CellStyle(border=False, wrap=False, number_format="@"),
    "list_bold_code": CellStyle(bold=True, border=False, wrap=False, number_format="@"),
    "list_absent": CellStyle(border=False, wrap=False, fill=ABSENT_FILL),
}


class _Style:
    """The two XlsxWriter formats of one style name: as is, and with the quote prefix."""

    __slots__ = ("plain", "quoted")

    def __init__(self, plain: Format | None, quoted: Format) -> None:
        self.plain = plain
        self.quoted = quoted


class RowStyles(tuple):  # type: ignore[type-arg]
    """The styles of a row's cells (``None``: unstyled), with their plain formats looked up
    once, since the same row shape is written thousands of times."""

    formats: tuple[Format | None, ...]

    def __new__(cls, styles: Sequence[_Style | None]) -> RowStyles:
        self = super().__new__(cls, styles)
        self.formats = tuple(None if st is None else st.plain for st in styles)
        return self


_NO_FORMATS: tuple[None, ...] = ()


def _cached(result: Decimal | int | float | str | None) -> Any:
    """A formula's result as its cell caches it: numbers as floats, no result as empty text."""
    if result is None:
        return ""
    if isinstance(result, Decimal | int) and not isinstance(result, bool):
        return float(result)
    if isinstance(result, str):
        return clean_text(result)
    return result


# ----------------------------------------------------------------------------------------------
# Book and sheet
# ----------------------------------------------------------------------------------------------


class Book:
    """One workbook written to ``target`` (a path or a binary file) when :meth:`close` is
    called. ``constant_memory`` writes each row out as soon as the next one starts (the
    national-scale consolidated workbook); rows must then be written top to bottom."""

    def __init__(
        self,
        target: str | Path | IO[bytes],
        *,
        title: str = "",
        constant_memory: bool = False,
    ) -> None:
        self.wb = xlsxwriter.Workbook(
            str(target) if isinstance(target, Path) else target,
            {
                "constant_memory": constant_memory,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "remove_timezone": True,
                "max_url_length": MAX_URL,
            },
        )
        self.wb.set_properties({"title": clean_text(title), "author": "cchc"})
        self.sheets: list[Sheet] = []
        self._styles: dict[str, _Style] = {}
        self.plain_style = _Style(None, self.wb.add_format({"quote_prefix": True}))
        self.datetime_style = self.wb.add_format({"num_format": DATETIME_FORMAT})
        # the cleaned text of strings seen that need no quote prefix and are not empty, so
        # that a repeated name or title is written without checking it again
        self.safe_texts: dict[str, str] = {}

    def style(self, name: str | None) -> _Style:
        if name is None:
            return self.plain_style
        found = self._styles.get(name)
        if found is None:
            options = STYLES[name].options()
            found = self._styles[name] = _Style(
                self.wb.add_format(options), self.wb.add_format({**options, "quote_prefix": True})
            )
        return found

    def sheet(self, title: str, **kwargs: Any) -> Sheet:
        sheet = Sheet(self, title, **kwargs)
        self.sheets.append(sheet)
        return sheet

    @property
    def cells_written(self) -> int:
        return sum(s.cells_written for s in self.sheets)

    @property
    def formulas_written(self) -> int:
        return sum(s.formulas_written for s in self.sheets)

    def close(self) -> None:
        self.wb.close()


class Sheet:
    """One sheet written top to bottom: set widths, panes and print options first, then append
    rows. Rows and columns are 1-based, as a spreadsheet user counts them."""

    def __init__(
        self,
        book: Book,
        title: str,
        *,
        widths: Sequence[float] = (),
        landscape: bool = True,
        fit_width: bool = True,
        printed: bool = True,
    ) -> None:
        ws: Worksheet = book.wb.add_worksheet(title)
        self.book = book
        self.ws = ws
        self.title = title
        self.rows = 0
        self.width = len(widths)
        self.widths = list(widths)
        self.cells_written = 0
        self.formulas_written = 0
        self._last_values: Sequence[Any] = ()
        self._last_styles: RowStyles | None = None
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        if printed:
            ws.set_paper(9)  # A4
            if landscape:
                ws.set_landscape()
            else:
                ws.set_portrait()
            if fit_width:
                ws.fit_to_pages(1, 0)
            ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
            ws.center_horizontally()
            ws.set_footer(FOOTER)

    # -- set-up ----------------------------------------------------------------------------

    def column_style(self, col: int, style: str) -> None:
        """The style of a whole column (cells typed in later take it, e.g. text format "@")."""
        width = self.widths[col - 1] if col <= len(self.widths) else None
        self.ws.set_column(col - 1, col - 1, width, self.book.style(style).plain)

    def activate(self) -> None:
        """The sheet the workbook opens on."""
        self.ws.activate()

    def freeze(self, cell: str) -> None:
        self.ws.freeze_panes(cell)

    def print_titles(self, first_row: int, last_row: int) -> None:
        """Rows repeated at the top of every printed page."""
        self.ws.repeat_rows(first_row - 1, last_row - 1)

    def autofilter(self, first_row: int, last_row: int, last_col: int | None = None) -> None:
        self.ws.autofilter(first_row - 1, 0, last_row - 1, (last_col or self.width) - 1)

    def choices(
        self,
        first_row: int,
        last_row: int,
        col: int,
        options: Sequence[str],
        *,
        error_title: str = "Giá trị không hợp lệ",
        error: str = "Chọn một giá trị trong danh sách.",
    ) -> None:
        """A drop-down list of ``options`` in column ``col``, rows ``first_row``..``last_row``."""
        self.ws.data_validation(
            first_row - 1,
            col - 1,
            last_row - 1,
            col - 1,
            {
                "validate": "list",
                "source": [clean_text(o) for o in options],
                "ignore_blank": True,
                "error_title": error_title,
                "error_message": error,
            },
        )

    def comment(self, row: int, col: int, text: str) -> None:
        """A note on a cell (hover text in Excel); text, never a formula."""
        self.ws.write_comment(
            row - 1, col - 1, clean_text(text), {"author": "cchc", "x_scale": 2, "y_scale": 2}
        )

    # -- rows ------------------------------------------------------------------------------

    def styles(self, *names: str | None) -> RowStyles:
        """The style tuple of a row, built once and reused for every row of that shape."""
        return RowStyles([None if n is None else self.book.style(n) for n in names])

    def row(
        self,
        values: Sequence[Any],
        styles: RowStyles | None = None,
        *,
        height: float | None = None,
    ) -> int:
        """Append a row; returns its 1-based index. The common cells (text already seen and
        safe, numbers, styled blanks, formulas) are written inline here, with the row's
        formats zipped in: the national-scale workbook writes millions of them
        (``bench/export.py``), so each costs a type test or two and one XlsxWriter call;
        everything else goes through :meth:`_write`."""
        index = self.rows + 1
        r = index - 1
        ws = self.ws
        if height is not None:
            ws.set_row(r, height)
        width = len(values)
        formats = _NO_FORMATS if styles is None else styles.formats
        if len(formats) < width:
            formats = (*formats, *(None,) * (width - len(formats)))
        safe = self.book.safe_texts
        write_string = ws.write_string
        write_number = ws.write_number
        write_blank = ws.write_blank
        skipped = formulas = 0
        for c, value, fmt in zip(range(width), values, formats, strict=False):
            cls = type(value)
            if cls is str:
                text = safe.get(value)  # type: ignore[call-overload]
                if text is not None:
                    write_string(r, c, text, fmt)
                    continue
            elif cls is float or cls is int:
                write_number(r, c, value, fmt)
                continue
            elif cls is Decimal:
                write_number(r, c, float(value), fmt)  # type: ignore[arg-type]
                continue
            elif value is None:
                if fmt is None:
                    skipped += 1
                else:
                    write_blank(r, c, None, fmt)  # a styled empty cell (borders) is a cell too
                continue
            elif cls is Formula:
                ws.write_formula(r, c, value.text, fmt, _cached(value.value))
                formulas += 1
                continue
            st = (styles[c] if styles is not None and c < len(styles) else None) or (
                self.book.plain_style
            )
            if not self._write(r, c, value, st):
                skipped += 1
        self._last_values = values
        self._last_styles = styles
        self.rows = index
        self.cells_written += width - skipped
        self.formulas_written += formulas
        return index

    def _write(self, r: int, c: int, value: Any, st: _Style) -> bool:
        """Write one cell that :meth:`row` does not write inline; False if nothing was."""
        ws = self.ws
        fmt = st.plain
        if value is None:
            if fmt is None:
                return False
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, Formula):
            ws.write_formula(r, c, value.text, fmt, _cached(value.value))
            self.formulas_written += 1
        elif isinstance(value, str):
            text = clean_text(value)
            if is_risky(value) or is_risky(text):
                ws.write_string(r, c, text, st.quoted)
            elif not text:
                if fmt is None:
                    return False
                ws.write_blank(r, c, None, fmt)
            else:
                safe = self.book.safe_texts
                if len(safe) < 100_000:  # names, titles and labels repeat a lot
                    safe[value] = text
                ws.write_string(r, c, text, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value, fmt)
        elif isinstance(value, int | float | Decimal):
            ws.write_number(r, c, float(value), fmt)
        elif isinstance(value, Link):
            text = clean_text(value.text)
            url = value.url
            fmt = st.quoted if is_risky(value.text) or is_risky(text) else fmt
            if len(url) > MAX_URL or not url.startswith(("http://", "https://", "external:")):
                ws.write_string(r, c, text, fmt)
            else:
                ws.write_url(r, c, url, fmt, text)
        elif isinstance(value, datetime):
            ws.write_datetime(r, c, value.replace(tzinfo=None), fmt or self.book.datetime_style)
        elif isinstance(value, date):
            ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)
        else:
            raise TypeError(f"cannot write {type(value).__name__} to a cell")
        return True

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self.row(())

    def merge(
        self, row: int, first_col: int, last_col: int, *, last_row: int | None = None
    ) -> None:
        """Merge cells of the row just written (``row``), across to ``last_col`` and down to
        ``last_row``; the first cell keeps its value and style. Call it right after
        :meth:`row`, before the next row is written (constant-memory sheets write rows out)."""
        bottom = last_row or row
        if last_col <= first_col and bottom <= row:
            return
        assert row == self.rows, "merge the row just written"
        styles = self._last_styles or ()
        values = self._last_values
        value = values[first_col - 1] if first_col <= len(values) else None
        st = (styles[first_col - 1] if first_col <= len(styles) else None) or self.book.plain_style
        fmt = st.plain
        if isinstance(value, str):
            fmt = st.quoted if is_risky(value) else fmt
            value = clean_text(value)
        elif isinstance(value, Decimal):
            value = float(value)
        elif value is not None and not isinstance(value, int | float):
            raise TypeError("only text and numbers are merged")
        # strings_to_* are off: merge_range writes text as text and numbers as numbers
        data = "" if value is None else value
        self.ws.merge_range(row - 1, first_col - 1, bottom - 1, last_col - 1, data, fmt)

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

    # -- the blocks of an official document ------------------------------------------------

    def motto_head(self, parent: str, body: str, motto: str, motto_sub: str) -> None:
        """The two-column head of an official document: the parent body ("UBND TỈNH …") over
        the issuing body in bold on the left, the national motto on the right."""
        width = self.width
        split = max(2, width // 2 - 1)
        for left, lstyle, right, rstyle in (
            (parent, "org_sub", motto, "motto"),
            (body, "org", motto_sub, "motto_sub"),
        ):
            values: list[Any] = [None] * width
            values[0], values[split] = left or None, right
            styles = [lstyle] * split + [rstyle] * (width - split)
            r = self.row(values, self.styles(*styles), height=20)
            self.merge(r, 1, split)
            self.merge(r, split + 1, width)

    def signatures(
        self,
        place: str,
        left: tuple[str, str, str],
        right: tuple[str, str, str],
        *,
        space: int = 3,
    ) -> None:
        """Place and date on the right, then two signatures, (title, note, name) on each side,
        with ``space`` empty rows to sign in."""
        width = self.width
        split = max(2, width // 2 - 1)

        def pair(lv: str, ls: str | None, rv: str, rs: str | None) -> None:
            values: list[Any] = [None] * width
            values[0], values[split] = lv or None, rv or None
            styles = [ls if lv else None] * split + [rs if rv else None] * (width - split)
            r = self.row(values, self.styles(*styles))
            if lv:
                self.merge(r, 1, split)
            if rv:
                self.merge(r, split + 1, width)

        self.blank()
        pair("", None, place, "sign_place")
        pair(left[0], "sign_title", right[0], "sign_title")
        pair(left[1], "sign_note", right[1], "sign_note")
        self.blank(space)
        pair(left[2], "sign_name", right[2], "sign_name")


# ----------------------------------------------------------------------------------------------
# Small helpers of official tables
# ----------------------------------------------------------------------------------------------

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
