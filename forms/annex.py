"""A criteria set read from the annex of the decision as printed (STT | Lĩnh vực / Tiêu chí |
Điểm tối đa | Cách tính điểm), in Word or Excel.

The header row and its columns are found by their usual Vietnamese names, with or without
diacritics; the hierarchy comes from the numbering (I / 1 / 1.1 / 1.1.1, a), b), -) and from
bold field rows; each item's printed scoring text goes through
:func:`forms.printed_rules.read_printed_rule`. The result is an :class:`AnnexReading` that lists
what was recognised and what was not. Only when every item is resolved does
:func:`forms.annex_import.annex_draft` hand the rows to the criteria import checks, so nothing
from a printed annex is imported on a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from core.i18n import N_, Msg
from core.numbers import NumberError, parse_decimal
from core.sheets import Problem
from forms.annex_files import ANNEX_SHEET, AnnexRow, read_grids
from forms.criteria_rows import (
    SECTION_PREFIX,
    CriteriaImportError,
)
from forms.printed_rules import PrintedReading, fold_letters, read_printed_rule

# Header names as printed, compared without diacritics; the first match wins, in this order,
# because "Hướng dẫn chấm điểm" also contains "điểm".
_HEADERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "rule",
        (
            "cach tinh diem",
            "huong dan cham diem",
            "phuong phap cham",
            "cach cham diem",
            "huong dan danh gia",
            "phuong phap tinh",
            "cach thuc cham",
            "cach danh gia",
        ),
    ),
    ("evidence", ("tai lieu kiem chung", "tlkc", "tai lieu chung minh")),
    ("max", ("diem toi da", "thang diem", "diem chuan", "so diem", "diem")),
    ("number", ("stt", "tt", "so tt", "so thu tu", "ma", "ma so")),
    ("title", ("linh vuc", "tieu chi", "noi dung", "chi so")),
)
_EXACT_ONLY = {"tt", "ma", "diem", "stt", "so tt"}

_ROMAN = re.compile(r"^(?=[ivxl])(x{0,3})(ix|iv|v?i{0,3})\.?$")
_DOTTED = re.compile(r"^\d+(?:\.\d+)*\.?$")
_LETTER = re.compile(r"^[a-zđ][.)]$")
_DASH = re.compile(r"^[-–+•*]$")
_LEADING = re.compile(
    r"^\s*(?P<n>(?:[IVXL]+|\d+(?:\.\d+)*)[.)]?|[a-zđ]\)|[-–+•])\s+(?P<rest>\S.*)$", re.DOTALL
)
_PART_LETTER = re.compile(r"^[A-Z][.)]?$")
_PART_TITLE = re.compile(r"^phan\s+(?:[ivx]+|\d+|thu\s+\w+)\b")
_TOTAL = re.compile(r"^tong(?: cong| diem| so diem| so)?(?: toi da)?\s*(?:[:(]|$)")
_COLUMN_NUMBERS = re.compile(r"^\(?\d+\)?$")

_SECTION_WORDS = (
    ("survey", re.compile(r"dieu tra xa hoi hoc|khao sat|\bxhh\b")),
    ("bonus", re.compile(r"diem thuong|diem cong|cong diem|thuong diem")),
    ("penalty", re.compile(r"diem tru|tru diem")),
)


@dataclass(frozen=True)
class AnnexItem:
    """One node of the annex: where it was printed, what it became, and (for items) how its
    scoring text was read."""

    row: int
    printed_number: str
    code: str
    level: str
    section: str
    title: str
    max_score: Decimal | None
    printed: str
    evidence: str = ""
    reading: PrintedReading | None = None


@dataclass(frozen=True)
class AnnexReading:
    items: tuple[AnnexItem, ...]
    total_max: Decimal | None = None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def scored(self) -> list[AnnexItem]:
        return [i for i in self.items if i.level == "item"]

    @property
    def recognised(self) -> list[AnnexItem]:
        return [i for i in self.scored if i.reading is not None and i.reading.recognised]

    @property
    def unresolved(self) -> list[AnnexItem]:
        return [i for i in self.scored if i.reading is None or not i.reading.recognised]


@dataclass
class _Node:
    row: int
    style: str
    printed_number: str
    title: str
    max_text: str
    rule_text: str
    evidence: str
    bold: bool
    children: list[_Node] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _header_columns(row: AnnexRow) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(row.cells):
        text = " ".join(fold_letters(cell.text).replace("/", " / ").split())
        if not text:
            continue
        for key, names in _HEADERS:
            if key in found:
                continue
            hit = any(
                text == name
                or (name not in _EXACT_ONLY and name in text)
                or (name in _EXACT_ONLY and re.fullmatch(rf"{re.escape(name)}\.?", text))
                for name in names
            )
            if hit:
                found[key] = index
                break
    return found if {"title", "max"} <= found.keys() else None


def _cell(row: AnnexRow, index: int | None) -> tuple[str, bool]:
    if index is None or index >= len(row.cells):
        return "", False
    return row.cells[index].text, row.cells[index].bold


def _auto(row: AnnexRow, index: int | None) -> tuple[str, str]:
    if index is None or index >= len(row.cells):
        return "", ""
    return row.cells[index].auto_number, row.cells[index].auto_list


def _style(number: str, bold: bool) -> str:
    folded = fold_letters(number.strip())
    if not folded:
        return "bold" if bold else "line"
    if _ROMAN.match(folded):
        return "roman"
    if _DOTTED.match(folded):
        return f"d{folded.rstrip('.').count('.') + 1}"
    if _LETTER.match(folded):
        return "letter"
    if _DASH.match(folded):
        return "line"
    return "other"


def _is_part(number: str, title: str, bold: bool) -> bool:
    """A part heading above the fields: "A." / "B." printed in capitals, or "Phần I …"."""
    letter = number.strip()
    if _PART_LETTER.match(letter) and not _ROMAN.match(fold_letters(letter)) and bold:
        return True  # not I, V, X: those number fields
    return not number.strip() and bool(_PART_TITLE.match(fold_letters(title)))


def _parse_max(text: str) -> Decimal | None:
    try:
        return parse_decimal(text.replace("điểm", "").strip()) if text.strip() else None
    except NumberError:
        return None


def _section_of(title: str) -> str:
    folded = fold_letters(title)
    for section, pattern in _SECTION_WORDS:
        if pattern.search(folded):
            return section
    return "standard"


def read_annex(data: bytes) -> AnnexReading:
    """Read the first table (or sheet) whose header names the content and maximum columns."""
    for grid in read_grids(data):
        for position, row in enumerate(grid[:30]):
            columns = _header_columns(row)
            if columns is not None:
                return _read_table(grid[position + 1 :], columns)
    raise CriteriaImportError(
        [
            Problem(
                ANNEX_SHEET,
                None,
                None,
                Msg(
                    N_(
                        "No table with the columns “Nội dung” (or “Lĩnh vực / Tiêu chí”) and "
                        "“Điểm tối đa” was found."
                    )
                ),
            )
        ]
    )


def _read_table(rows: list[AnnexRow], columns: dict[str, int]) -> AnnexReading:
    roots: list[_Node] = []
    stack: list[_Node] = []
    total: Decimal | None = None
    for row in rows:
        number, _ = _cell(row, columns.get("number"))
        title, bold = _cell(row, columns["title"])
        auto_list = ""
        if not number:  # Word's automatic numbering, in the number column or before the title
            number, auto_list = _auto(row, columns.get("number"))
            if not number:
                number, auto_list = _auto(row, columns["title"])
        max_text, _ = _cell(row, columns["max"])
        rule_text, _ = _cell(row, columns.get("rule"))
        evidence, _ = _cell(row, columns.get("evidence"))
        if number == title or (not title and _style(number, False) == "other"):
            number, title = "", title or number  # a number cell spanning the title column
        if not (number or title or max_text or rule_text):
            continue
        if _COLUMN_NUMBERS.match(title) and _COLUMN_NUMBERS.match(max_text or "0"):
            continue  # the "(1) (2) (3)" row under the header
        if not (number or title) and _parse_max(max_text) is None:
            continue  # the second row of a two-row header ("Điểm" over "Tối đa | Tự chấm")
        if not number and (lead := _LEADING.match(title)):
            number, title = lead["n"], lead["rest"].strip()
        if _TOTAL.match(fold_letters(title)):
            total = _parse_max(max_text)
            continue
        bold = bold or (title.isupper() and len(title) > 3)
        # A Word list keeps its own place in the tree: two lists both shown "1." are not siblings.
        style = f"list{auto_list}" if auto_list else _style(number, bold)
        if _is_part(number, title, bold):
            if _section_of(title) == "standard":
                stack = []  # "A. ĐIỂM TỰ ĐÁNH GIÁ": a heading over the fields, not a node
                continue
            style = "bold"  # "B. ĐIỂM THƯỞNG": the bonus part is its own group row
        node = _Node(row.number, style, number, title, max_text, rule_text, evidence, bold)
        if node.style == "line":
            if stack:  # an option line of the row above; before any row it is a stray note
                stack[-1].children.append(node)
            continue
        if node.style == "bold":
            stack = []
        depths = [n.style for n in stack]
        if node.style in depths:  # a sibling of an earlier row: back up to its level
            stack = stack[: depths.index(node.style)]
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return _number_nodes(roots, total)


def _scoring_text(node: _Node) -> str:
    """An item's printed rule: its own cell, plus child lines printed as "- Ban hành kịp thời |
    1" with the points in the maximum column."""
    parts = [node.rule_text] if node.rule_text else []
    for child in node.children:
        line = child.title
        if child.max_text:
            line = f"{line}: {child.max_text}"
        if child.rule_text and not child.max_text:
            line = f"{line}: {child.rule_text}"
        parts.append(line)
        parts.extend(_scoring_text(g) for g in child.children)
    return "\n".join(p for p in parts if p)


def _number_nodes(roots: list[_Node], total: Decimal | None) -> AnnexReading:
    items: list[AnnexItem] = []
    field_number = 0
    for root in roots:
        section = _section_of(root.title)
        if section == "standard":
            field_number += 1
            code = str(field_number)
        else:
            code = SECTION_PREFIX[section]
        _emit(root, code, "field", section, 0, items)
    return AnnexReading(tuple(items), total)


def _is_item(node: _Node, depth: int, section: str) -> bool:
    if section == "standard":
        return depth >= 2
    return depth >= 2 or all(c.style == "line" for c in node.children)


def _emit(
    node: _Node, code: str, level: str, section: str, depth: int, out: list[AnnexItem]
) -> None:
    is_item = depth > 0 and _is_item(node, depth, section)
    max_score = _parse_max(node.max_text)
    text = _scoring_text(node) if is_item else node.rule_text
    reading = read_printed_rule(text, max_score or Decimal(0), section) if is_item else None
    level = "item" if is_item else level
    out.append(
        AnnexItem(node.row, node.printed_number, code, level, section, node.title, max_score,
                  text, node.evidence, reading)
    )  # fmt: skip
    if is_item:
        return
    children = [c for c in node.children if c.style != "line"]
    for position, child in enumerate(children, start=1):
        child_level = "criterion" if depth == 0 else "item"
        _emit(child, f"{code}.{position}", child_level, section, depth + 1, out)
