"""Units and officers as an XLSX workbook (documented in ``docs/units-template.md``).

Reading checks every row and reports all problems at once; nothing is stored here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, TypeVar

from core.i18n import N_, Msg
from core.models import OfficerRole, UnitKind
from core.sheets import Problem, WorkbookImportError, cell_text, open_workbook
from core.xlsx import Book

E = TypeVar("E", bound=Enum)
Rows = Iterator[tuple[object, ...]]

SHEET_UNITS = "Đơn vị"
SHEET_OFFICERS = "Cán bộ"
UNIT_HEADERS = ["Mã khối", "Tên khối", "Loại khối", "Mã đơn vị", "Tên đơn vị", "Địa chỉ"]
OFFICER_HEADERS = ["Mã đơn vị", "Họ và tên", "Chức vụ", "Vai trò", "Điện thoại", "Email"]
KIND_LABELS = {
    UnitKind.department: "Sở, ban, ngành",
    UnitKind.commune: "UBND cấp xã",
    UnitKind.vertical: "Cơ quan ngành dọc",
    UnitKind.other: "Khác",
}
ROLE_LABELS = {OfficerRole.focal: "Đầu mối", OfficerRole.leader: "Lãnh đạo"}
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
MAX_ROWS = 20000


@dataclass(frozen=True)
class UnitRow:
    group_code: str
    group_name: str
    group_kind: UnitKind
    code: str
    name: str
    address: str


@dataclass(frozen=True)
class OfficerRow:
    unit_code: str
    full_name: str
    position: str
    role: OfficerRole
    phone: str
    email: str


class UnitsImportError(WorkbookImportError):
    """The units workbook has problems; nothing was imported."""

    summary = N_("The units workbook has {count} problem(s); nothing was imported.")


def _text(value: object) -> str:
    return cell_text(value, collapse_spaces=True)


_WIDTHS = (14, 36, 20, 14, 40, 40)


def template_bytes() -> bytes:
    """The empty template, with drop-down lists for the group kind and the officer's role."""
    buf = BytesIO()
    book = Book(buf, title="Đơn vị và cán bộ đầu mối")
    ws = book.sheet(SHEET_UNITS, widths=_WIDTHS)
    ws.row(UNIT_HEADERS, ws.styles(*["list_header"] * len(UNIT_HEADERS)))
    ws.freeze("A2")
    ws.choices(2, MAX_ROWS, 3, list(KIND_LABELS.values()))
    wo = book.sheet(SHEET_OFFICERS, widths=_WIDTHS)
    wo.row(OFFICER_HEADERS, wo.styles(*["list_header"] * len(OFFICER_HEADERS)))
    wo.freeze("A2")
    wo.choices(2, MAX_ROWS, 4, list(ROLE_LABELS.values()))
    book.close()
    return buf.getvalue()


def _lookup(text: str, labels: Mapping[E, str]) -> E | None:
    folded = text.casefold()
    for key, label in labels.items():
        if folded in (str(key.value).casefold(), label.casefold()):
            return key
    return None


def read_units_workbook(
    source: bytes | BinaryIO | Path, known_units: set[str] | None = None
) -> tuple[list[UnitRow], list[OfficerRow]]:
    """Check both sheets; officers may refer to units of the file or already stored ones."""
    wb = open_workbook(source, UnitsImportError)
    problems: list[Problem] = []
    units: list[UnitRow] = []
    officers: list[OfficerRow] = []
    try:
        if SHEET_UNITS not in wb.sheetnames:
            raise UnitsImportError(
                [
                    Problem(
                        SHEET_UNITS,
                        None,
                        None,
                        Msg(
                            N_("The sheet “{sheet}” is missing; start from the template."),
                            sheet=SHEET_UNITS,
                        ),
                    )
                ]
            )
        units = _read_units(wb[SHEET_UNITS].iter_rows(values_only=True), problems)
        if SHEET_OFFICERS in wb.sheetnames:
            codes = {u.code for u in units} | (known_units or set())
            officers = _read_officers(
                wb[SHEET_OFFICERS].iter_rows(values_only=True), codes, problems
            )
    finally:
        wb.close()
    if problems:
        raise UnitsImportError(problems)
    return units, officers


def _check_header(rows: Rows, headers: list[str], sheet: str, problems: list[Problem]) -> bool:
    header = next(rows, None)
    found = [_text(h) for h in (header or ())][: len(headers)]
    if found != headers:
        problems.append(
            Problem(
                sheet,
                1,
                None,
                Msg(N_("The header should be “{expected}”."), expected=" | ".join(headers)),
            )
        )
        return False
    return True


def _read_units(rows: Rows, problems: list[Problem]) -> list[UnitRow]:
    rows = iter(rows)
    if not _check_header(rows, UNIT_HEADERS, SHEET_UNITS, problems):
        return []
    out: list[UnitRow] = []
    seen: dict[str, int] = {}
    groups: dict[str, tuple[str, UnitKind | None]] = {}
    for number, row in enumerate(rows, start=2):
        cells = [_text(c) for c in row][:6] + [""] * 6
        if not any(cells[:6]):
            continue
        gcode, gname, kind_text, code, name, address = cells[:6]

        def bad(col: str, msg: Msg, number: int = number) -> None:
            problems.append(Problem(SHEET_UNITS, number, col, msg))

        if not gcode or not _CODE.match(gcode):
            bad(
                "A",
                Msg(
                    N_(
                        "The group code “{code}” is empty or has characters other than "
                        "letters without diacritics, digits, “-”, “_”, “.”."
                    ),
                    code=gcode,
                ),
            )
        if not code or not _CODE.match(code):
            bad(
                "D",
                Msg(
                    N_(
                        "The unit code “{code}” is empty or has characters other than "
                        "letters without diacritics, digits, “-”, “_”, “.”."
                    ),
                    code=code,
                ),
            )
        elif code in seen:
            bad(
                "D",
                Msg(
                    N_("The unit code “{code}” is duplicated (already used in row {other})."),
                    code=code,
                    other=seen[code],
                ),
            )
        else:
            seen[code] = number
        if not name:
            bad("E", Msg(N_("The unit name is empty.")))
        for col, label, value in (
            ("B", N_("group name"), gname),
            ("E", N_("unit name"), name),
            ("F", N_("address"), address),
        ):
            too_long(bad, col, label, value)
        # an empty kind is the group's kind from an earlier row (as the template shows), and
        # "Khác" when no row of the group gives one
        kind = _lookup(kind_text, KIND_LABELS) if kind_text else None
        if kind_text and kind is None:
            bad(
                "C",
                Msg(
                    N_("Unknown group kind “{value}”; use one of: {choices}."),
                    value=kind_text,
                    choices=", ".join(KIND_LABELS.values()),
                ),
            )
        known = groups[gcode][1] if gcode in groups else None
        if kind is not None and known is not None and known != kind:
            bad("C", Msg(N_("The group “{code}” has two kinds in this file."), code=gcode))
        if gcode in groups and kind is not None and known is None:
            groups[gcode] = (groups[gcode][0], kind)
        if gcode in groups and groups[gcode][0] != gname and gname:
            bad(
                "B",
                Msg(
                    N_("The group “{code}” has two names: “{a}” and “{b}”."),
                    code=gcode,
                    a=groups[gcode][0],
                    b=gname,
                ),
            )
        groups.setdefault(gcode, (gname, kind))
        if not gname and not groups[gcode][0]:
            bad("B", Msg(N_("The group name is empty.")))
        out.append(
            UnitRow(
                gcode,
                gname or groups[gcode][0],
                kind or UnitKind.other,
                code,
                name,
                address,
            )
        )
    # every row of a group carries the kind one of its rows gave
    return [replace(u, group_kind=groups[u.group_code][1] or UnitKind.other) for u in out]


MAX_TEXT = 255  # names, positions, addresses: the columns' size in the database


def too_long(bad: Callable[[str, Msg], None], col: str, label: str, value: str) -> None:
    """Refuse text longer than the database column, naming the column's meaning."""
    if len(value) > MAX_TEXT:
        bad(
            col,
            Msg(
                N_("The {field} has {length} characters; at most {limit} are accepted."),
                field=Msg(label),
                length=len(value),
                limit=MAX_TEXT,
            ),
        )


def _read_officers(rows: Rows, unit_codes: set[str], problems: list[Problem]) -> list[OfficerRow]:
    rows = iter(rows)
    if not _check_header(rows, OFFICER_HEADERS, SHEET_OFFICERS, problems):
        return []
    out: list[OfficerRow] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        cells = [_text(c) for c in row][:6] + [""] * 6
        if not any(cells[:6]):
            continue
        unit_code, full_name, position, role_text, phone, email = cells[:6]
        key = (unit_code, full_name.casefold())
        if full_name and key in seen:
            problems.append(
                Problem(
                    SHEET_OFFICERS,
                    number,
                    "B",
                    Msg(
                        N_("“{name}” of unit “{code}” is listed twice (also in row {other})."),
                        name=full_name,
                        code=unit_code,
                        other=seen[key],
                    ),
                )
            )
        seen.setdefault(key, number)

        def bad(col: str, msg: Msg, number: int = number) -> None:
            problems.append(Problem(SHEET_OFFICERS, number, col, msg))

        if unit_code not in unit_codes:
            bad("A", Msg(N_("There is no unit with the code “{code}”."), code=unit_code))
        if not full_name:
            bad("B", Msg(N_("The full name is empty.")))
        role = _lookup(role_text, ROLE_LABELS) if role_text else OfficerRole.focal
        if role is None:
            bad(
                "D",
                Msg(
                    N_("Unknown role “{value}”; use one of: {choices}."),
                    value=role_text,
                    choices=", ".join(ROLE_LABELS.values()),
                ),
            )
        for col, label, value in (
            ("B", N_("full name"), full_name),
            ("C", N_("position"), position),
            ("F", N_("e-mail address"), email),
        ):
            too_long(bad, col, label, value)
        if phone and not re.fullmatch(r"\+?[0-9 .\-]{8,16}", phone):
            bad("E", Msg(N_("“{value}” is not a phone number."), value=phone))
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            bad("F", Msg(N_("“{value}” is not an e-mail address."), value=email))
        out.append(
            OfficerRow(
                unit_code,
                full_name,
                position,
                role or OfficerRole.focal,
                phone,
                email,
            )
        )
    return out
