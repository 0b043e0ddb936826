"""Checking a questionnaire as the secretariat writes it: rows in, a tree or every problem out.

Pure: the workbook reader and the sample data both hand plain rows to :func:`build_criteria`,
which either returns a :class:`CriteriaDraft` ready to store or raises
:class:`CriteriaImportError` listing *all* problems with sheet, row and column, so a secretary
fixes the file once instead of once per error.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.i18n import N_, Msg
from core.numbers import NumberError, format_score, parse_decimal
from core.sheets import Problem, WorkbookImportError, cell_text
from forms.rules import RULE_TYPES, Rule, RuleDefinitionError, format_params, parse_rule

SHEET_INFO = "Thông tin"
SHEET_NODES = "Bộ chỉ số"
SHEET_GUIDE = "Hướng dẫn"

LEVELS = ("field", "criterion", "item")
SECTIONS = ("standard", "survey", "bonus", "penalty")
SECTION_PREFIX = {"bonus": "C", "penalty": "T", "survey": "X"}
MAX_PRECISION = Decimal("0.0001")  # what the database keeps
# A deduction counts down from the item's maximum: in the bonus or penalty section that would
# give (or take) full points for doing nothing, so those sections count up only.
RULES_BY_SECTION = {
    "standard": tuple(t for t in RULE_TYPES if t != "survey"),
    "survey": ("survey",),
    "bonus": tuple(t for t in RULE_TYPES if t not in ("survey", "deduction")),
    "penalty": tuple(t for t in RULE_TYPES if t not in ("survey", "deduction")),
}
UNIT_KINDS = ("department", "commune", "vertical", "other")

# Vietnamese labels as they appear in the workbook; English codes are accepted too.
LEVEL_LABELS = {"field": "Lĩnh vực", "criterion": "Tiêu chí", "item": "Tiêu chí thành phần"}
SECTION_LABELS = {
    "standard": "Tự đánh giá",
    "survey": "Điều tra XHH",
    "bonus": "Điểm cộng",
    "penalty": "Điểm trừ",
}
YES, NO = "Có", "Không"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    letter: str


NODE_COLUMNS: tuple[Column, ...] = tuple(
    Column(key, header, chr(ord("A") + i))
    for i, (key, header) in enumerate(
        [
            ("code", "Mã"),
            ("level", "Cấp"),
            ("section", "Phần"),
            ("title", "Nội dung"),
            ("max_score", "Điểm tối đa"),
            ("rule_type", "Cách tính điểm"),
            ("rule_params", "Tham số cách tính điểm"),
            ("guidance", "Hướng dẫn chấm điểm"),
            ("evidence", "Tài liệu kiểm chứng"),
            ("evidence_required", "Bắt buộc có TLKC"),
            ("appraising_agency", "Cơ quan thẩm định"),
            ("na_allowed", "Cho phép không áp dụng"),
            ("evidence_when", "TLKC bắt buộc khi"),
        ]
    )
)
COLUMN_BY_KEY = {c.key: c for c in NODE_COLUMNS}
# Columns added after the first format: a workbook that ends before them is still read, with
# their default (docs/criteria-template.md).
OPTIONAL_COLUMNS = ("evidence_when",)

# When required evidence is required (forms/evidence_policy.py); empty means "points".
EVIDENCE_WHEN_LABELS = {"points": "Có điểm", "always": "Luôn luôn"}

INFO_FIELDS: tuple[tuple[str, str], ...] = (
    ("code", "Mã bộ chỉ số"),
    ("name", "Tên bộ chỉ số"),
    ("unit_kind", "Loại đơn vị áp dụng"),
    ("document_number", "Số, ký hiệu văn bản"),
    ("issue_date", "Ngày ban hành"),
    ("issuing_body", "Cơ quan ban hành"),
    ("total_max", "Tổng điểm tối đa"),
    ("bonus_cap", "Điểm cộng tối đa"),
    ("penalty_cap", "Điểm trừ tối đa"),
)
INFO_ROW = {key: i + 2 for i, (key, _label) in enumerate(INFO_FIELDS)}  # row 1 is the header

UNIT_KIND_LABELS = {
    "department": "Sở, ban, ngành",
    "commune": "UBND cấp xã",
    "vertical": "Cơ quan ngành dọc",
    "other": "Khác",
}

_CODE_STANDARD = re.compile(r"^[1-9]\d*(\.[1-9]\d*){0,2}$")
_CODE_SPECIAL = re.compile(r"^[A-Z](\.[1-9]\d*){0,2}$")


# The longest text each cell takes: the database column's size, or for free text a size no
# printed decision comes near (docs/criteria-template.md).
INFO_LIMITS = {"name": 500, "document_number": 64, "issuing_body": 255}
NODE_LIMITS = {
    "title": 2000,
    "guidance": 8000,
    "evidence": 4000,
    "appraising_agency": 255,
}


def too_long(label: str, text: str, limit: int) -> Msg:
    return Msg(
        N_("“{label}” has {length} characters; at most {limit} are accepted."),
        label=label,
        length=len(text),
        limit=limit,
    )


class CriteriaImportError(WorkbookImportError):
    """The criteria workbook has problems; nothing was imported."""

    summary = N_("The criteria workbook has {count} problem(s); nothing was imported.")


@dataclass
class NodeRow:
    """One row of the nodes sheet as read, before any checking (cells as text or numbers)."""

    row: int
    values: dict[str, object]


@dataclass(frozen=True)
class NodeDraft:
    code: str
    parent_code: str | None
    level: str
    section: str
    position: int
    title: str
    max_score: Decimal
    rule_type: str | None
    rule_params: str
    guidance: str
    evidence: str
    evidence_required: bool
    appraising_agency: str
    na_allowed: bool
    evidence_when: str = "points"
    rule: Rule | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CriteriaDraft:
    code: str
    name: str
    unit_kind: str
    document_number: str
    issue_date: date | None
    issuing_body: str
    total_max: Decimal
    bonus_cap: Decimal
    penalty_cap: Decimal
    nodes: tuple[NodeDraft, ...]


# What is stored of a set and of a node: every field of the drafts but the nodes and the rule.
SET_FIELDS = tuple(f.name for f in fields(CriteriaDraft) if f.name != "nodes")
NODE_FIELDS = tuple(f.name for f in fields(NodeDraft) if f.name != "rule")


def values_of(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


@dataclass
class _Parsed:
    """A row after reading its cells; fields are None where the cell was unusable."""

    row: int
    code: str
    level: str | None
    section: str | None
    title: str = ""
    max_score: Decimal | None = None
    rule_type: str | None = None
    rule: Rule | None = None
    guidance: str = ""
    evidence: str = ""
    appraising_agency: str = ""
    evidence_required: bool = False
    na_allowed: bool = False
    evidence_when: str = "points"


def _text(value: object) -> str:
    return cell_text(value)


def _lookup(value: str, codes: tuple[str, ...], labels: dict[str, str]) -> str | None:
    folded = value.strip().casefold()
    for code in codes:
        if folded in (code.casefold(), labels.get(code, "").casefold()):
            return code
    return None


def _yes_no(value: object) -> bool | None:
    text = _text(value).casefold()
    if text in ("", "không", "khong", "no", "false", "0", "k"):
        return False
    if text in ("có", "co", "yes", "true", "1", "x", "c"):
        return True
    return None


def _evidence_when(value: object) -> str | None:
    """ "Có điểm" (or empty) -> "points", "Luôn luôn" -> "always"; None when unreadable."""
    text = _text(value).casefold()
    if not text:
        return "points"
    for key, label in EVIDENCE_WHEN_LABELS.items():
        if text in (key, label.casefold(), _fold_ascii(label)):
            return key
    if text in ("luôn", "luon"):
        return "always"
    return None


def _fold_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _code_depth(code: str) -> int:
    return code.count(".") + 1


def parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class _Checker:
    """Collects problems while reading; one instance per import."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, sheet: str, row: int | None, column: str | None, msg: Msg) -> None:
        self.problems.append(Problem(sheet, row, column, msg))

    def node(self, row: int | None, key: str, text: str, /, **fields: Any) -> None:
        """A problem in a cell of the criteria sheet, named by its column key."""
        self.add(SHEET_NODES, row, COLUMN_BY_KEY[key].letter, Msg(text, **fields))

    def number(self, sheet: str, row: int, col: str, value: object, what: Msg) -> Decimal | None:
        text = _text(value)
        if not text:
            self.add(sheet, row, col, Msg(N_("{what} is empty."), what=what))
            return None
        try:
            # bounded=False: the decimals are checked just below, with the field named
            number = parse_decimal(
                value if isinstance(value, (int, Decimal)) else text, bounded=False
            )
        except NumberError as exc:
            self.add(sheet, row, col, exc.msg)
            return None
        if number < 0:
            self.add(sheet, row, col, Msg(N_("{what} cannot be negative."), what=what))
            return None
        if number != number.quantize(MAX_PRECISION):
            self.add(sheet, row, col, Msg(N_("{what} has more than 4 decimals."), what=what))
            return None
        return number


def _read_info(info: dict[str, object], check: _Checker) -> dict[str, object]:
    out: dict[str, object] = {}
    labels = dict(INFO_FIELDS)

    rows = info.get("_rows")
    found_rows: dict[str, int] = rows if isinstance(rows, dict) else {}

    def cell(key: str) -> tuple[int, str]:
        return found_rows.get(key, INFO_ROW[key]), "B"

    for key in ("code", "name"):
        text = _text(info.get(key))
        if not text:
            row, col = cell(key)
            check.add(SHEET_INFO, row, col, Msg(N_("“{label}” is required."), label=labels[key]))
        out[key] = text
    code = str(out["code"])
    if code and not re.fullmatch(r"[A-Za-z0-9_.\-]{1,32}", code):
        row, col = cell("code")
        check.add(
            SHEET_INFO,
            row,
            col,
            Msg(
                N_(
                    "The code “{code}” may only use letters without diacritics, digits, “-”, “_” "
                    "and “.” (at most 32 characters)."
                ),
                code=code,
            ),
        )
    kind_text = _text(info.get("unit_kind")) or "other"
    kind = _lookup(kind_text, UNIT_KINDS, UNIT_KIND_LABELS)
    if kind is None:
        row, col = cell("unit_kind")
        check.add(
            SHEET_INFO,
            row,
            col,
            Msg(
                N_("Unknown unit kind “{value}”; use one of: {choices}."),
                value=kind_text,
                choices=", ".join(UNIT_KIND_LABELS.values()),
            ),
        )
    out["unit_kind"] = kind or "other"
    out["document_number"] = _text(info.get("document_number"))
    out["issuing_body"] = _text(info.get("issuing_body"))
    for key, limit in INFO_LIMITS.items():
        if len(str(out[key])) > limit:
            check.add(SHEET_INFO, *cell(key), too_long(labels[key], str(out[key]), limit))
    try:
        out["issue_date"] = _parse_date(info.get("issue_date"))
    except ValueError:
        row, col = cell("issue_date")
        check.add(
            SHEET_INFO,
            row,
            col,
            Msg(
                N_("“{value}” is not a date; write it as dd/mm/yyyy."),
                value=_text(info.get("issue_date")),
            ),
        )
        out["issue_date"] = None
    total = check.number(
        SHEET_INFO, *cell("total_max"), info.get("total_max"), Msg(N_("The total maximum score"))
    )
    if total is not None and total == 0:
        row, col = cell("total_max")
        check.add(SHEET_INFO, row, col, Msg(N_("The total maximum score must be above 0.")))
        total = None
    out["total_max"] = total
    out["_rows"] = found_rows
    for key, what in (("bonus_cap", N_("The bonus cap")), ("penalty_cap", N_("The penalty cap"))):
        if _text(info.get(key)):
            out[key] = check.number(SHEET_INFO, *cell(key), info.get(key), Msg(what))
        else:
            out[key] = None
    return out


def build_criteria(info: dict[str, object], rows: list[NodeRow]) -> CriteriaDraft:
    """Check every row and the tree they form; return the draft or raise with all problems."""
    check = _Checker()
    meta = _read_info(info, check)
    col = {c.key: c.letter for c in NODE_COLUMNS}
    headers = {c.key: c.header for c in NODE_COLUMNS}
    nodes: list[_Parsed] = []
    seen: dict[str, int] = {}

    for raw in rows:
        r = raw.row
        v = raw.values
        if not any(_text(x) for x in v.values()):
            continue
        code = _text(v.get("code")).upper().rstrip(".")
        level_text = _text(v.get("level"))
        section_text = _text(v.get("section")) or "standard"
        level = _lookup(level_text, LEVELS, LEVEL_LABELS)
        section = _lookup(section_text, SECTIONS, SECTION_LABELS)

        if not code:
            check.node(r, "code", N_("The code is empty."))
        elif code in seen:
            check.node(
                r,
                "code",
                N_("The code “{code}” is duplicated (already used in row {other})."),
                code=code,
                other=seen[code],
            )
        else:
            seen[code] = r
        if section is None:
            check.node(
                r,
                "section",
                N_("Unknown section “{value}”; use one of: {choices}."),
                value=section_text,
                choices=", ".join(SECTION_LABELS.values()),
            )
        if level is None:
            check.node(
                r,
                "level",
                N_("Unknown level “{value}”; use one of: {choices}."),
                value=level_text,
                choices=", ".join(LEVEL_LABELS.values()),
            )
        if code and section is not None:
            pattern = _CODE_STANDARD if section == "standard" else _CODE_SPECIAL
            prefix = SECTION_PREFIX.get(section)
            if not pattern.match(code) or (prefix and not code.startswith(prefix)):
                example = "1, 1.2, 1.2.3" if section == "standard" else f"{prefix}, {prefix}.1"
                check.node(
                    r,
                    "code",
                    N_(
                        "The code “{code}” is malformed for the section “{section}” "
                        "(expected codes like {example})."
                    ),
                    code=code,
                    section=SECTION_LABELS[section],
                    example=example,
                )
            elif level is not None:
                expected_depth = LEVELS.index(level) + 1
                depth = _code_depth(code)
                special_item = section != "standard" and level == "item" and depth == 2
                if depth != expected_depth and not special_item:
                    check.node(
                        r,
                        "level",
                        N_("The code “{code}” does not match the level “{level}”."),
                        code=code,
                        level=LEVEL_LABELS[level],
                    )
        title = _text(v.get("title"))
        if not title:
            check.node(r, "title", N_("The title is empty."))
        max_score = check.number(
            SHEET_NODES, r, col["max_score"], v.get("max_score"), Msg(N_("The maximum score"))
        )
        rule_type = _text(v.get("rule_type")).lower() or None
        params = _text(v.get("rule_params"))
        rule: Rule | None = None
        if level == "item":
            if rule_type is None:
                check.node(
                    r,
                    "rule_type",
                    N_("An item needs a scoring rule; use one of: {choices}."),
                    choices=", ".join(RULE_TYPES),
                )
            elif rule_type not in RULE_TYPES:
                check.node(
                    r,
                    "rule_type",
                    N_("Unknown scoring rule “{value}”; use one of: {choices}."),
                    value=rule_type,
                    choices=", ".join(RULE_TYPES),
                )
            elif section is not None and rule_type not in RULES_BY_SECTION[section]:
                check.node(
                    r,
                    "rule_type",
                    N_(
                        "The rule “{rule}” cannot be used in the section “{section}”; use one "
                        "of: {choices}."
                    ),
                    rule=rule_type,
                    section=SECTION_LABELS[section],
                    choices=", ".join(RULES_BY_SECTION[section]),
                )
            elif max_score is not None:
                na = _yes_no(v.get("na_allowed"))
                try:
                    rule = parse_rule(rule_type, params, max_score, bool(na))
                except RuleDefinitionError as exc:
                    for msg in exc.problems:
                        check.add(SHEET_NODES, r, col["rule_params"], msg)
        elif level is not None and (rule_type or params):
            check.node(
                r,
                "rule_type",
                N_("Only items (tiêu chí thành phần) have a scoring rule; leave it empty here."),
            )
        flags: dict[str, bool] = {}
        for key in ("evidence_required", "na_allowed"):
            flag = _yes_no(v.get(key))
            if flag is None:
                check.add(
                    SHEET_NODES,
                    r,
                    col[key],
                    Msg(N_("Write “Có” or “Không” (found “{value}”)."), value=_text(v.get(key))),
                )
            flags[key] = bool(flag)
        for key, limit in NODE_LIMITS.items():
            text = _text(v.get(key))
            if len(text) > limit:
                check.add(SHEET_NODES, r, col[key], too_long(headers[key], text, limit))
        when = _evidence_when(v.get("evidence_when"))
        if when is None:
            check.node(
                r,
                "evidence_when",
                N_("Write “{points}” or “{always}”, or leave it empty (found “{value}”)."),
                points=EVIDENCE_WHEN_LABELS["points"],
                always=EVIDENCE_WHEN_LABELS["always"],
                value=_text(v.get("evidence_when")),
            )
        nodes.append(
            _Parsed(
                row=r,
                code=code,
                level=level,
                section=section,
                title=title,
                max_score=max_score,
                rule_type=rule_type if level == "item" else None,
                rule=rule,
                guidance=_text(v.get("guidance")),
                evidence=_text(v.get("evidence")),
                appraising_agency=_text(v.get("appraising_agency")),
                evidence_when=when or "points",
                **flags,
            )
        )

    if not nodes:
        check.add(SHEET_NODES, None, None, Msg(N_("The sheet has no criteria.")))
    _check_tree(nodes, meta, check)
    if check.problems:
        raise CriteriaImportError(check.problems)
    bonus_cap, penalty_cap = meta["bonus_cap"], meta["penalty_cap"]
    return CriteriaDraft(
        code=str(meta["code"]),
        name=str(meta["name"]),
        unit_kind=str(meta["unit_kind"]),
        document_number=str(meta["document_number"]),
        issue_date=meta["issue_date"] if isinstance(meta["issue_date"], date) else None,
        issuing_body=str(meta["issuing_body"]),
        total_max=Decimal(str(meta["total_max"])),
        bonus_cap=bonus_cap if isinstance(bonus_cap, Decimal) else _group_max(nodes, "bonus"),
        penalty_cap=(
            penalty_cap if isinstance(penalty_cap, Decimal) else _group_max(nodes, "penalty")
        ),
        nodes=tuple(_draft(n, i) for i, n in enumerate(nodes, start=1)),
    )


def _draft(n: _Parsed, position: int) -> NodeDraft:
    assert n.level is not None and n.section is not None and n.max_score is not None
    return NodeDraft(
        code=n.code,
        parent_code=parent_of(n.code),
        level=n.level,
        section=n.section,
        position=position,
        title=n.title,
        max_score=n.max_score,
        rule_type=n.rule_type,
        rule_params=format_params(n.rule) if n.rule is not None else "",
        guidance=n.guidance,
        evidence=n.evidence,
        evidence_required=n.evidence_required,
        appraising_agency=n.appraising_agency,
        na_allowed=n.na_allowed,
        evidence_when=n.evidence_when,
        rule=n.rule,
    )


def _group_max(nodes: list[_Parsed], section: str) -> Decimal:
    return sum(
        (
            n.max_score
            for n in nodes
            if n.section == section and n.level == "field" and n.max_score is not None
        ),
        Decimal(0),
    )


def _check_tree(nodes: list[_Parsed], meta: dict[str, object], check: _Checker) -> None:
    """Parents exist and sit one level up; children add up to their parent; totals reach max."""
    by_code = {n.code: n for n in nodes if n.code}
    children: dict[str, list[_Parsed]] = defaultdict(list)
    for n in nodes:
        code = n.code
        if not code or n.level is None or n.section is None:
            continue
        parent = parent_of(code)
        if parent is None:
            if n.level != "field":
                check.node(
                    n.row,
                    "code",
                    N_("“{code}” has no parent: a {level} needs one above it."),
                    code=code,
                    level=LEVEL_LABELS[n.level],
                )
            continue
        if parent not in by_code:
            check.node(
                n.row,
                "code",
                N_("“{code}” is an orphan: there is no row with the code “{parent}”."),
                code=code,
                parent=parent,
            )
            continue
        pnode = by_code[parent]
        if pnode.level is not None:
            allowed = {"criterion": {"field"}, "item": {"criterion"}}.get(n.level or "", set())
            if n.section != "standard" and n.level == "item":
                allowed = {"criterion", "field"}
            if pnode.level not in allowed:
                check.node(
                    n.row,
                    "level",
                    N_("“{code}” ({level}) cannot sit under “{parent}” ({parent_level})."),
                    code=code,
                    level=LEVEL_LABELS[n.level],
                    parent=parent,
                    parent_level=LEVEL_LABELS[pnode.level],
                )
        if pnode.section is not None and pnode.section != n.section:
            check.node(
                n.row,
                "section",
                N_("“{code}” must be in the same section as “{parent}”."),
                code=code,
                parent=parent,
            )
        if pnode.row > n.row:
            check.node(
                n.row,
                "code",
                N_("“{code}” comes before its parent “{parent}”; put it below."),
                code=code,
                parent=parent,
            )
        children[parent].append(n)

    for n in nodes:
        code = n.code
        if not code or n.level in (None, "item") or n.max_score is None:
            continue
        kids = children.get(code, [])
        if not kids:
            if n.section in ("standard", "survey"):
                check.node(n.row, "code", N_("“{code}” has nothing under it."), code=code)
            continue
        if any(k.max_score is None for k in kids):
            continue
        total = sum((k.max_score for k in kids), Decimal(0))
        if n.section in ("bonus", "penalty"):
            if total < n.max_score:
                check.node(
                    n.row,
                    "max_score",
                    N_(
                        "The cap of “{code}” is {max} but its items add up to only {sum}; "
                        "the cap can never be reached."
                    ),
                    code=code,
                    max=format_score(n.max_score),
                    sum=format_score(total),
                )
            continue
        if total != n.max_score:
            kind = Msg(N_("items")) if n.level == "criterion" else Msg(N_("criteria"))
            check.node(
                n.row,
                "max_score",
                N_("The maximum of “{code}” is {max} but its {children} add up to {sum}."),
                code=code,
                max=format_score(n.max_score),
                children=kind,
                sum=format_score(total),
            )

    scored = [
        n
        for n in nodes
        if n.level == "field" and n.section in ("standard", "survey") and n.max_score is not None
    ]
    declared_total = meta.get("total_max")
    if scored and isinstance(declared_total, Decimal):
        reached = sum((n.max_score for n in scored), Decimal(0))
        if reached != declared_total:
            rows = meta.get("_rows")
            check.add(
                SHEET_INFO,
                (rows if isinstance(rows, dict) else {}).get("total_max", INFO_ROW["total_max"]),
                "B",
                Msg(
                    N_(
                        "The fields and the survey add up to {sum}, not the declared total maximum "
                        "{max}."
                    ),
                    sum=format_score(reached),
                    max=format_score(declared_total),
                ),
            )
    for section, key in (("bonus", "bonus_cap"), ("penalty", "penalty_cap")):
        groups = [n for n in nodes if n.section == section and n.level == "field"]
        if len(groups) > 1:
            for n in groups[1:]:
                check.node(
                    n.row,
                    "code",
                    N_("The section “{section}” has one group row only."),
                    section=SECTION_LABELS[section],
                )
        cap = meta.get(key)
        if (
            groups
            and isinstance(cap, Decimal)
            and groups[0].max_score is not None
            and cap != groups[0].max_score
        ):
            rows = meta.get("_rows")
            check.add(
                SHEET_INFO,
                (rows if isinstance(rows, dict) else {}).get(key, INFO_ROW[key]),
                "B",
                Msg(
                    N_("The cap {cap} differs from the maximum {max} of row “{code}”."),
                    cap=format_score(cap),
                    max=format_score(groups[0].max_score),
                    code=groups[0].code,
                ),
            )
