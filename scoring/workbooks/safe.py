"""User text stays text: nothing a person typed ever becomes a formula, an error or a broken file.

openpyxl turns a string that starts with ``=`` into a formula and a string such as ``#N/A``
into an error value. Spreadsheet applications also treat a cell that *starts* with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula when someone edits it, and CSV-style
injection uses the same characters. So the writers of this package never let openpyxl guess:

* every ``str`` is written as an inline string (``t="inlineStr"``), whatever it starts with;
* a string that starts with one of :data:`RISKY_START` also gets the ``quotePrefix`` style flag,
  the same thing as typing an apostrophe in front of it in Excel, so editing the cell later keeps
  it text;
* formulas exist only where the code builds them, as :class:`Formula` values;
* carriage returns become line feeds, characters that XML 1.0 cannot carry (other control
  characters) are dropped, and text longer than a cell can hold is cut, instead of the whole
  export failing on one odd file name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit for the text of one cell
_ELLIPSIS = "…"


class Formula(str):
    """A formula written by this package (``"=SUM(B2:B9)"``); plain ``str`` is always text."""

    __slots__ = ()


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
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > MAX_CELL_TEXT:
        value = value[: MAX_CELL_TEXT - 1] + _ELLIPSIS
    return value


def is_risky(text: str) -> bool:
    """Would a spreadsheet application read this text as a formula if it were typed?"""
    return text.startswith(RISKY_START)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str, taken: set[str] | None = None, limit: int = 31) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, no leading or trailing apostrophe, at most
    31 characters; ``taken`` (compared case-insensitively, as Excel does) is updated."""
    name = _SHEET_FORBIDDEN.sub(" ", clean_text(text)).strip().strip("'").strip()
    name = re.sub(r"\s+", " ", name) or "Sheet"
    name = name[:limit].rstrip()
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


def quote_sheet(title: str) -> str:
    """A sheet name as a formula refers to it: ``'Ma trận SO'``."""
    return "'" + title.replace("'", "''") + "'"


def formula_text(text: str) -> str:
    """A string literal inside a formula: ``"Tốt"``, quotes doubled."""
    return '"' + clean_text(text).replace('"', '""') + '"'


def ascii_slug(text: str, fallback: str = "x", limit: int = 40) -> str:
    """An ASCII file-name part: "Sở Nội vụ" → "so-noi-vu" (đ → d, accents dropped)."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:limit].strip("-")
    return slug or fallback


_PATH_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def path_part(text: str, fallback: str = "_", limit: int = 80) -> str:
    """One folder or file name inside a zip that Windows, macOS and Linux all accept: no
    separators or reserved characters, no leading dots, no trailing dots or spaces, NFC."""
    name = unicodedata.normalize("NFC", text)
    name = _PATH_FORBIDDEN.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 8 and stem:
            name = stem[: limit - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:limit]
    name = name.rstrip(". ")
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name or fallback


_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
