"""The decision's annex table as a grid of text cells, from a Word (.docx) or Excel (.xlsx) file.

Only the layout is read here (text with its line breaks, and whether the row is printed bold);
what the columns and rows mean is decided in :mod:`forms.annex`, the same way for both formats,
so a Word annex and its Excel copy give the same set.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Protocol

from docx import Document
from docx.document import Document as DocxDocument

from core.i18n import N_, Msg
from core.sheets import MAX_UNPACKED, Problem, cell_text, open_workbook
from forms.criteria_rows import CriteriaImportError

ANNEX_SHEET = "Phụ lục"
MAX_ANNEX_ROWS = 5000
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W}


class _Xml(Protocol):
    """The part of an XML element (lxml, as python-docx exposes it) that reading a table needs."""

    tag: str
    text: str | None

    def find(self, path: str, namespaces: dict[str, str]) -> _Xml | None: ...
    def findall(self, path: str, namespaces: dict[str, str]) -> list[_Xml]: ...
    def iter(self, tag: str) -> Iterator[_Xml]: ...
    def get(self, key: str, default: str) -> str: ...
    def __iter__(self) -> Iterator[_Xml]: ...


@dataclass(frozen=True)
class AnnexCell:
    text: str
    bold: bool = False
    auto_number: str = ""  # Word's automatic numbering as shown ("1.", "a)"), "-" for a bullet
    auto_list: str = ""  # which list and level it belongs to ("5:0"): its place in the tree


@dataclass(frozen=True)
class AnnexRow:
    number: int  # 1-based row of the table or sheet, for messages
    cells: tuple[AnnexCell, ...]


def _problem(msg: Msg) -> CriteriaImportError:
    return CriteriaImportError([Problem(ANNEX_SHEET, None, None, msg)])


def _not_readable() -> CriteriaImportError:
    return _problem(
        Msg(N_("The file is neither a Word (.docx) nor an Excel (.xlsx) file that can be read."))
    )


def read_grids(data: bytes) -> list[list[AnnexRow]]:
    """Every table of a .docx, or every sheet of a .xlsx, as rows of text cells."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(p.file_size for p in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _not_readable() from None
    if unpacked > MAX_UNPACKED:
        raise _not_readable()
    if "word/document.xml" in names:
        return _docx_grids(data)
    return _xlsx_grids(data)


# ---------------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------------


def _w(name: str) -> str:
    return f"{{{_W}}}{name}"


def _val(element: _Xml, path: str, default: str) -> str:
    """The ``w:val`` of the element at ``path``, or ``default`` when either is absent."""
    found = element.find(path, _NS)
    return found.get(_w("val"), default) if found is not None else default


def _on(element: _Xml | None) -> bool:
    """A Word toggle such as <w:b/>: on unless its value says off."""
    if element is None:
        return False
    return element.get(_w("val"), "true") not in ("0", "false", "off")


def _paragraph_text(paragraph: _Xml) -> tuple[str, bool]:
    parts: list[str] = []
    bold_runs: list[bool] = []
    paragraph_bold = _on(paragraph.find("w:pPr/w:rPr/w:b", _NS))
    for run in paragraph.iter(_w("r")):
        text = ""
        for child in run:
            if child.tag == _w("t"):
                text += child.text or ""
            elif child.tag in (_w("br"), _w("cr")):
                text += "\n"
            elif child.tag == _w("tab"):
                text += " "
        if text.strip():
            bold_runs.append(_on(run.find("w:rPr/w:b", _NS)) or paragraph_bold)
        parts.append(text)
    return "".join(parts), bool(bold_runs) and all(bold_runs)


def _tc_cell(tc: _Xml, numbering: _Numbering) -> AnnexCell:
    texts: list[str] = []
    bolds: list[bool] = []
    auto, key = "", ""
    for paragraph in tc.findall("w:p", _NS):
        text, bold = _paragraph_text(paragraph)
        number, where = numbering.next(paragraph)
        if not auto and not any(t.strip() for t in texts):
            auto, key = number, where
        texts.append(text)
        if text.strip():
            bolds.append(bold)
    return AnnexCell("\n".join(texts).strip(), bool(bolds) and all(bolds), auto, key)


_ROMAN_DIGITS = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def _roman(value: int) -> str:
    out = ""
    for amount, digits in _ROMAN_DIGITS:
        while value >= amount:
            out += digits
            value -= amount
    return out


def _format(value: int, fmt: str) -> str:
    if fmt == "upperRoman":
        return _roman(value)
    if fmt == "lowerRoman":
        return _roman(value).lower()
    if fmt in ("upperLetter", "lowerLetter"):
        letter = "abcdefghijklmnopqrstuvwxyz"[(value - 1) % 26]
        return letter.upper() if fmt == "upperLetter" else letter
    return str(value)


class _Numbering:
    """Word's automatic list numbering, counted in document order, so a table whose "STT"
    column is numbered by Word (no number in the text) reads as "I.", "1.", "a)" like a typed
    one. Only numbering set on the paragraph itself is followed, not numbering from a style."""

    def __init__(self, root: _Xml | None) -> None:
        self.levels: dict[tuple[str, str], tuple[str, str, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        if root is None:
            return
        abstract: dict[str, dict[str, tuple[str, str, int]]] = {}
        for node in root.findall("w:abstractNum", _NS):
            levels: dict[str, tuple[str, str, int]] = {}
            for lvl in node.findall("w:lvl", _NS):
                levels[lvl.get(_w("ilvl"), "0")] = (
                    _val(lvl, "w:numFmt", "decimal"),
                    _val(lvl, "w:lvlText", ""),
                    int(_val(lvl, "w:start", "1")),
                )
            abstract[node.get(_w("abstractNumId"), "")] = levels
        for num in root.findall("w:num", _NS):
            levels = abstract.get(_val(num, "w:abstractNumId", ""), {})
            for ilvl, level in levels.items():
                self.levels[(num.get(_w("numId"), ""), ilvl)] = level

    def next(self, paragraph: _Xml) -> tuple[str, str]:
        """The number Word shows before this paragraph and its list and level ("5:0"), or
        empty texts when it has none."""
        num_id = _val(paragraph, "w:pPr/w:numPr/w:numId", "0")
        ilvl = _val(paragraph, "w:pPr/w:numPr/w:ilvl", "0")
        level = self.levels.get((num_id, ilvl))
        if num_id == "0" or level is None:
            return "", ""
        fmt, text, start = level
        if fmt in ("bullet", "none"):
            return "-", ""
        depth = int(ilvl)
        counts = self.counters.setdefault(num_id, {})
        counts[depth] = counts.get(depth, start - 1) + 1
        for deeper in [d for d in counts if d > depth]:
            del counts[deeper]
        shown = text or f"%{depth + 1}."
        for d in range(depth + 1):
            d_fmt = self.levels.get((num_id, str(d)), ("decimal", "", 1))[0]
            value = counts.get(d, self.levels.get((num_id, str(d)), ("", "", 1))[2])
            shown = shown.replace(f"%{d + 1}", _format(value, d_fmt))
        return shown.strip(), f"{num_id}:{ilvl}"


def _numbering_root(document: DocxDocument) -> _Xml | None:
    """The numbering definitions of the document, when it has any."""
    try:
        root: _Xml = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return None
    return root


def _docx_grids(data: bytes) -> list[list[AnnexRow]]:
    """Word tables from the document XML: a cell spanning columns fills its first column and
    leaves the others empty, and the continuation of a vertically merged cell is empty, so a
    merged "Lĩnh vực" cell is read once rather than once per row."""
    try:
        document = Document(BytesIO(data))
        root: _Xml = document.element
        numbering = _Numbering(_numbering_root(document))
    except Exception:  # not a Word document inside: missing parts, broken XML
        raise _not_readable() from None
    body = root.find("w:body", _NS)
    if body is None:
        raise _not_readable()
    grids: list[list[AnnexRow]] = []
    for table in body.iter(_w("tbl")):
        rows: list[AnnexRow] = []
        for number, tr in enumerate(table.findall("w:tr", _NS), start=1):
            if number > MAX_ANNEX_ROWS:
                break
            cells: list[AnnexCell] = []
            before = int(_val(tr, "w:trPr/w:gridBefore", "0"))
            cells.extend(AnnexCell("") for _ in range(before))
            for tc in tr.findall("w:tc", _NS):
                span = int(_val(tc, "w:tcPr/w:gridSpan", "1"))
                merge = tc.find("w:tcPr/w:vMerge", _NS)
                continued = merge is not None and merge.get(_w("val"), "continue") == "continue"
                cells.append(AnnexCell("") if continued else _tc_cell(tc, numbering))
                cells.extend(AnnexCell("") for _ in range(span - 1))
            rows.append(AnnexRow(number, tuple(cells)))
        grids.append(rows)
    return grids


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------


def _xlsx_grids(data: bytes) -> list[list[AnnexRow]]:
    wb = open_workbook(data, CriteriaImportError)
    try:
        grids: list[list[AnnexRow]] = []
        for ws in wb.worksheets:
            rows: list[AnnexRow] = []
            for number, row in enumerate(ws.iter_rows(), start=1):
                cells = tuple(
                    AnnexCell(
                        cell_text(cell.value).strip(),
                        bool(getattr(cell, "font", None) and cell.font.b),
                    )
                    for cell in row
                )
                rows.append(AnnexRow(number, cells))
            grids.append(rows)
    finally:
        wb.close()
    return grids
