"""The survey scores workbook (điểm điều tra xã hội học): template, reading and checking.

One sheet, one row per unit, one column per survey item of the period's criteria sets::

    Mã đơn vị | Tên đơn vị | X.1 | X.2 | ...

The template lists every unit of the period with the scores already stored, the item's title and
maximum in a note on each header, and greys the cells of items a unit's criteria set does not
have. Checking is pure and reports *every* problem (sheet, row, column) at once, like the
criteria workbook; the service imports nothing unless there are none. An empty cell leaves the
stored score as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import Any, BinaryIO

from core.i18n import N_, Msg
from core.numbers import NumberError, format_score, parse_decimal
from core.sheets import Problem, WorkbookImportError, open_workbook
from core.xlsx import Book, col_letter

SHEET = "Điểm điều tra XHH"
HEAD = ("Mã đơn vị", "Tên đơn vị")
MAX_ROWS = 20000
_FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class SurveyItem:
    """A survey item column: its code, title and maximum."""

    code: str
    title: str
    max_score: Decimal


@dataclass(frozen=True)
class SurveyUnit:
    """A unit of the period, the survey items of its criteria set (code → maximum), and its
    stored scores."""

    unit_id: int
    code: str
    name: str
    items: Mapping[str, Decimal]
    scores: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class SurveyValue:
    unit_id: int
    node_code: str
    score: Decimal


class SurveyImportError(WorkbookImportError):
    """The survey workbook has problems; nothing was imported."""

    summary = N_("The survey workbook has {count} problem(s); nothing was imported.")


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral() else float(value)


def template_bytes(items: list[SurveyItem], units: list[SurveyUnit]) -> bytes:
    """The workbook to fill in, listing the units and their stored scores (an item shared by
    several sets shows the largest maximum; each unit is checked against its own). Unit names
    and item titles are written as text whatever they start with (:mod:`core.xlsx`)."""
    buf = BytesIO()
    book = Book(buf, title=SHEET)
    ws = book.sheet(SHEET, widths=[14, 44, *([12] * len(items))])
    ws.column_style(1, "list_code")
    ws.row(
        [*HEAD, *(i.code for i in items)], ws.styles(*["list_header"] * (len(HEAD) + len(items)))
    )
    for k, it in enumerate(items, start=len(HEAD) + 1):
        ws.comment(1, k, f"{it.title}\nĐiểm tối đa: {format_score(it.max_score)}")
    ws.freeze("C2")
    for u in units:
        names = ["list_code", "list_text"] + [
            "list_number" if it.code in u.items else "list_absent" for it in items
        ]
        ws.row(
            [
                u.code,
                u.name,
                *(_number(u.scores[i.code]) if i.code in u.scores else None for i in items),
            ],
            ws.styles(*names),
        )
    book.close()
    return buf.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_text(value: object) -> str:
    """A cell as the text a person typed, so checked rows can travel through a web form and be
    checked again identically (floats written out in full, never in exponent form)."""
    if isinstance(value, float):
        number = Decimal(repr(value))
        if number.is_finite():
            text = format(number, "f")
            return text.rstrip("0").rstrip(".") if "." in text else text
    return _text(value)


def rows_as_text(
    rows: Iterable[tuple[int, tuple[object, ...]]],
) -> list[tuple[int, tuple[str, ...]]]:
    """The rows with every cell as text (see :func:`cell_text`), blank rows left out."""
    out: list[tuple[int, tuple[str, ...]]] = []
    for number, cells in rows:
        texts = tuple(cell_text(c) for c in cells)
        while texts and not texts[-1]:
            texts = texts[:-1]
        if texts or number == 1:
            out.append((number, texts))
    return out


def _refused(text: str, /, **fields: Any) -> SurveyImportError:
    return SurveyImportError([Problem(SHEET, None, None, Msg(text, **fields))])


def read_rows(source: bytes | BinaryIO) -> list[tuple[int, tuple[object, ...]]]:
    """The sheet's rows with their numbers (1-based), header included; file problems raise."""
    wb = open_workbook(source, SurveyImportError)
    try:
        if SHEET not in wb.sheetnames:
            raise _refused(
                N_("The sheet “{sheet}” is missing; start from the template."), sheet=SHEET
            )
        rows: list[tuple[int, tuple[object, ...]]] = []
        for number, row in enumerate(wb[SHEET].iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                raise _refused(N_("The sheet has more than {limit} rows."), limit=MAX_ROWS)
            rows.append((number, tuple(row)))
    finally:
        wb.close()
    return rows


def check_rows(
    rows: Iterable[tuple[int, tuple[object, ...]]],
    items: Mapping[str, SurveyItem],
    units: Mapping[str, SurveyUnit],
) -> list[SurveyValue]:
    """Every value of the sheet, or :class:`SurveyImportError` with every problem."""
    problems: list[Problem] = []

    def bad(row: int | None, column: str | None, msg: Msg | str, /, **fields: Any) -> None:
        problems.append(
            Problem(SHEET, row, column, msg if isinstance(msg, Msg) else Msg(msg, **fields))
        )

    iterator = iter(rows)
    first = next(iterator, None)
    header = [_text(h) for h in (first[1] if first else ())]
    while header and not header[-1]:
        header.pop()
    for i, expected in enumerate(HEAD):
        found = header[i] if i < len(header) else ""
        if found != expected:
            bad(
                1,
                col_letter(i + 1),
                N_("The header should be “{expected}” (found “{found}”)."),
                expected=expected,
                found=found,
            )
    columns: list[tuple[int, str]] = []
    seen_codes: dict[str, str] = {}
    for k, code in enumerate(header[len(HEAD) :], start=len(HEAD)):
        letter = col_letter(k + 1)
        if not code:
            bad(1, letter, N_("The header of a score column is empty."))
        elif code not in items:
            bad(
                1,
                letter,
                N_("“{code}” is not a survey item of this period's criteria sets."),
                code=code,
            )
        elif code in seen_codes:
            bad(
                1,
                letter,
                N_("The column “{code}” appears twice (also column {other})."),
                code=code,
                other=seen_codes[code],
            )
        else:
            seen_codes[code] = letter
            columns.append((k, code))
    if problems:
        raise SurveyImportError(problems)
    values: list[SurveyValue] = []
    seen_units: dict[str, int] = {}
    for number, row in iterator:
        cells = list(row)
        if not any(_text(c) for c in cells):
            continue
        unit_code = _text(cells[0] if cells else None)
        unit = units.get(unit_code)
        if not unit_code:
            bad(number, "A", N_("The unit code is empty."))
        elif unit is None:
            bad(
                number, "A", N_("The unit “{code}” is not assessed in this period."), code=unit_code
            )
        elif unit_code in seen_units:
            bad(
                number,
                "A",
                N_("The unit “{code}” appears twice (also row {other})."),
                code=unit_code,
                other=seen_units[unit_code],
            )
            unit = None
        else:
            seen_units[unit_code] = number
        for k, code in columns:
            raw = cells[k] if k < len(cells) else None
            if _text(raw) == "":
                continue
            letter = col_letter(k + 1)
            try:
                score = parse_decimal(raw)  # type: ignore[arg-type]
            except NumberError as exc:
                bad(number, letter, exc.msg)
                continue
            if unit is not None and code not in unit.items:
                bad(
                    number,
                    letter,
                    N_("The criteria set of “{unit}” has no survey item “{code}”."),
                    unit=unit.code,
                    code=code,
                )
                continue
            maximum = unit.items[code] if unit is not None else items[code].max_score
            if score < 0 or score > maximum:
                bad(
                    number,
                    letter,
                    N_("The score {value} of “{code}” must be between 0 and {max}."),
                    value=format_score(score),
                    code=code,
                    max=format_score(maximum),
                )
                continue
            if score != score.quantize(_FOUR_PLACES):
                bad(
                    number, letter, N_("The score of “{code}” has more than 4 decimals."), code=code
                )
                continue
            if unit is not None:
                values.append(SurveyValue(unit.unit_id, code, score.quantize(_FOUR_PLACES)))
    if problems:
        raise SurveyImportError(problems)
    return values
