"""What every XLSX import shares: cell text, a located problem, an all-or-nothing error.

The criteria, units and survey workbooks each check every row and report all problems at once
with sheet, row and column, in the reader's language; nothing is stored while any remains.
"""

from __future__ import annotations

import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from openpyxl import Workbook, load_workbook

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


# Bounds on what an import opens. An .xlsx is a zip: a few kilobytes can unpack into gigabytes
# (a "zip bomb", e.g. a huge shared-strings part), and a forged sheet dimension such as
# A1:XFD1048576 makes openpyxl pad every row to 16,384 cells. Real criteria, units and survey
# workbooks unpack to well under a megabyte.
MAX_UNPACKED = 20 * 1024 * 1024
MAX_PARTS = 1000
MAX_ROWS = 20_000
MAX_COLUMNS = 200


def not_a_workbook() -> Problem:
    return Problem("", None, None, Msg(N_("The file is not a valid Excel workbook (.xlsx).")))


def xml_declarations_refused() -> Problem:
    return Problem(
        "",
        None,
        None,
        Msg(
            N_(
                "The workbook contains XML declarations (a DTD or entities) that Excel never "
                "writes and that can hide an “XML bomb”; it was refused and nothing was read. "
                "Save the file again from Excel, or start from the template."
            )
        ),
    )


def _xml_problem(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> Problem | None:
    """Parse one XML part through defusedxml, streaming (bounded by :data:`MAX_UNPACKED`):
    a DTD or an entity is refused before anything is expanded, and XML broken anywhere is
    found here rather than while a reader walks the rows (read-only sheets parse lazily)."""
    if not part.filename.endswith((".xml", ".rels")):
        return None
    try:
        with archive.open(part) as fh:
            for _event, element in iterparse(fh, events=("end",), forbid_dtd=True):
                element.clear()
    except DefusedXmlException:
        return xml_declarations_refused()
    except (ParseError, OSError, zipfile.BadZipFile, EOFError, zlib.error):
        return not_a_workbook()
    return None


def open_workbook(
    source: bytes | BinaryIO | Path, fail: Callable[[list[Problem]], UserError]
) -> Workbook:
    """The workbook in openpyxl's read-only mode, after checking that it is a zip whose parts
    unpack to at most :data:`MAX_UNPACKED` and whose sheets stay within :data:`MAX_ROWS` ×
    :data:`MAX_COLUMNS`; otherwise ``fail(problems)`` is raised and nothing is read."""
    data = source if isinstance(source, bytes) else _read_all(source)
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED:
                msg = Msg(
                    N_(
                        "The workbook is too large once unpacked (at most {mb} MB); remove "
                        "unused sheets, pictures or formatting, or start from the template."
                    ),
                    mb=MAX_UNPACKED // (1024 * 1024),
                )
                raise fail([Problem("", None, None, msg)])
            # openpyxl parses with defusedxml (installed), which refuses DTDs too, but only
            # once a reader walks a sheet: check every part here, once, for all readers.
            for part in parts:
                problem = _xml_problem(archive, part)
                if problem is not None:
                    raise fail([problem])
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise fail([not_a_workbook()]) from None
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except DefusedXmlException:
        raise fail([xml_declarations_refused()]) from None
    except Exception:  # not a workbook inside: missing parts, broken XML, odd styles
        raise fail([not_a_workbook()]) from None
    problems = [
        Problem(
            ws.title,
            None,
            None,
            Msg(
                N_(
                    "The sheet has {rows} rows and {columns} columns; at most {max_rows} rows "
                    "and {max_columns} columns are read. Delete the empty rows and columns "
                    "below and to the right of the data."
                ),
                rows=ws.max_row,
                columns=ws.max_column,
                max_rows=MAX_ROWS,
                max_columns=MAX_COLUMNS,
            ),
        )
        for ws in wb.worksheets
        if (ws.max_row or 0) > MAX_ROWS or (ws.max_column or 0) > MAX_COLUMNS
    ]
    if problems:
        wb.close()
        raise fail(problems)
    return wb


def _read_all(source: BinaryIO | Path) -> bytes:
    if isinstance(source, Path):
        return source.read_bytes()
    return source.read()
