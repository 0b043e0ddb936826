"""The questionnaire as an XLSX workbook: the annotated template, reading and writing.

The layout is documented in ``docs/criteria-template.md``; checking lives in
:mod:`forms.criteria_rows` so reading a file and loading sample data share one set of rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from core.i18n import N_, Msg
from core.sheets import open_workbook
from core.xlsx import Book
from forms.criteria_rows import (
    EVIDENCE_WHEN_LABELS,
    INFO_FIELDS,
    LEVEL_LABELS,
    NODE_COLUMNS,
    OPTIONAL_COLUMNS,
    SECTION_LABELS,
    SHEET_GUIDE,
    SHEET_INFO,
    SHEET_NODES,
    UNIT_KIND_LABELS,
    CriteriaDraft,
    CriteriaImportError,
    NodeRow,
    Problem,
    build_criteria,
)
from forms.rules import RULE_TYPES

MAX_ROWS = 5000

COLUMN_NOTES = {
    "code": "Lĩnh vực: 1, 2...; tiêu chí: 1.1; tiêu chí thành phần: 1.1.1. "
    "Điểm cộng: C, C.1; điểm trừ: T, T.1; điều tra XHH: X, X.1.",
    "level": "Lĩnh vực / Tiêu chí / Tiêu chí thành phần",
    "section": "Tự đánh giá / Điều tra XHH / Điểm cộng / Điểm trừ",
    "max_score": "Số điểm tối đa, ví dụ 0,5. Điểm các tiêu chí con phải cộng lại bằng điểm "
    "tối đa của tiêu chí cha.",
    "rule_type": "Chỉ điền cho tiêu chí thành phần: " + ", ".join(RULE_TYPES),
    "rule_params": "Ví dụ: levels: “Đúng hạn = 1; Muộn = 0,5; Không = 0”; percent_tiers: "
    "“90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0”; count: “each = 0,5; cap = 2”; "
    "points: “step = 0,25”. Xem docs/criteria-template.md.",
    "evidence_required": "Có / Không",
    "na_allowed": "Có / Không",
    "evidence_when": "Khi “Bắt buộc có TLKC” là Có: “Có điểm” (mặc định, để trống cũng được): "
    "chỉ bắt buộc khi câu trả lời được điểm, hoặc kê khai có vi phạm; “Luôn luôn”: bắt buộc "
    "với mọi câu trả lời.",
}

RULE_GUIDE = [
    ("yes_no", "Có/Không: “Có” được điểm tối đa, “Không” được 0 điểm.", ""),
    (
        "levels",
        "Chọn một mức; mỗi mức một số điểm.",
        "Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0",
    ),
    (
        "percent_tiers",
        "Kê khai tỷ lệ % (hoặc tử số/mẫu số); điểm theo khoảng, ghi rõ dấu < hoặc <=.",
        "90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0",
    ),
    (
        "checklist",
        "Đánh dấu các nội dung đạt; điểm là tổng các nội dung đánh dấu.",
        "Cấp tỉnh = 0,25; Cấp huyện = 0,25; Cấp xã = 0,25",
    ),
    (
        "count",
        "Kê khai số lượng; mỗi đơn vị được một số điểm, tối đa bằng mức trần.",
        "each = 0,5; cap = 2",
    ),
    ("points", "Kê khai trực tiếp số điểm theo bước điểm.", "step = 0,25"),
    (
        "deduction",
        "Trừ từ điểm tối đa theo số vi phạm hoặc theo mức vi phạm, thấp nhất 0 điểm.",
        "Vi phạm nhẹ = 50%; Vi phạm nghiêm trọng = 100%",
    ),
    ("survey", "Điểm điều tra xã hội học, nhập từ kết quả khảo sát, đơn vị không tự chấm.", ""),
]


def _fmt_number(value: Decimal) -> float | int:
    """Numbers go into cells as numbers so the secretariat can add them up in Excel."""
    return int(value) if value == value.to_integral() else float(value)


def _yes_no(value: bool) -> str:
    return "Có" if value else "Không"


def _write_guide(book: Book) -> None:
    ws = book.sheet(SHEET_GUIDE, widths=(16, 70, 60))
    ws.row(["Cách tính điểm", "Ý nghĩa", "Ví dụ tham số"], ws.styles(*["list_header"] * 3))
    plain = ws.styles("list_text", "list_wrap", "list_wrap")
    for row in RULE_GUIDE:
        ws.row(list(row), plain)


_NODE_WIDTHS = {
    "code": 9,
    "level": 18,
    "section": 14,
    "title": 60,
    "max_score": 10,
    "rule_type": 15,
    "rule_params": 45,
    "guidance": 40,
    "evidence": 40,
    "evidence_required": 10,
    "appraising_agency": 22,
    "na_allowed": 12,
    "evidence_when": 14,
}


def _write(target: BytesIO, draft: CriteriaDraft | None) -> None:
    """The three sheets; the set's nodes are written when ``draft`` is given. Every title,
    guidance and agency is written as text by :mod:`core.xlsx`, whatever it starts with."""
    book = Book(target, title=draft.name if draft is not None else "Bộ chỉ số CCHC")
    info = book.sheet(SHEET_INFO, widths=(28, 70))
    info.row(["Thông tin", "Giá trị"], info.styles("list_header", "list_header"))
    values: dict[str, object] = {}
    if draft is not None:
        values = {
            "code": draft.code,
            "name": draft.name,
            "unit_kind": UNIT_KIND_LABELS[draft.unit_kind],
            "document_number": draft.document_number,
            "issue_date": draft.issue_date.strftime("%d/%m/%Y") if draft.issue_date else "",
            "issuing_body": draft.issuing_body,
            "total_max": _fmt_number(draft.total_max),
            "bonus_cap": _fmt_number(draft.bonus_cap),
            "penalty_cap": _fmt_number(draft.penalty_cap),
        }
    for key, label in INFO_FIELDS:
        value = values.get(key, "")
        # dates as text dd/mm/yyyy, so Excel does not turn them into its own date
        style = "list_code" if key == "issue_date" else "list_wrap"
        info.row([label, value if value != "" else None], info.styles("list_bold", style))
    info.choices(4, 4, 2, list(UNIT_KIND_LABELS.values()))

    columns = list(NODE_COLUMNS)
    nodes = book.sheet(SHEET_NODES, widths=[_NODE_WIDTHS.get(c.key, 14) for c in columns])
    nodes.column_style(1, "list_code")  # codes such as 1.10 stay text
    nodes.row([c.header for c in columns], nodes.styles(*["list_header"] * len(columns)), height=30)
    for i, c in enumerate(columns, start=1):
        if c.key in COLUMN_NOTES:
            nodes.comment(1, i, COLUMN_NOTES[c.key])
    nodes.freeze("A2")
    last = MAX_ROWS + 1
    position = {c.key: i for i, c in enumerate(columns, start=1)}
    for key, choices in (
        ("level", LEVEL_LABELS.values()),
        ("section", SECTION_LABELS.values()),
        ("rule_type", RULE_TYPES),
        ("evidence_required", ("Có", "Không")),
        ("na_allowed", ("Có", "Không")),
        ("evidence_when", tuple(EVIDENCE_WHEN_LABELS.values())),
    ):
        nodes.choices(2, last, position[key], list(choices))
    nodes.activate()
    if draft is not None:
        names = ["list_text"] * len(columns)
        names[0] = "list_code"
        names[position["max_score"] - 1] = "list_number"
        plain = nodes.styles(*names)
        bold = nodes.styles(
            *(n.replace("list_", "list_bold_") if n != "list_text" else "list_bold" for n in names)
        )
        for node in draft.nodes:
            nodes.row(
                [
                    node.code,
                    LEVEL_LABELS[node.level],
                    SECTION_LABELS[node.section],
                    node.title,
                    _fmt_number(node.max_score),
                    node.rule_type or "",
                    node.rule_params,
                    node.guidance,
                    node.evidence,
                    _yes_no(node.evidence_required),
                    node.appraising_agency,
                    _yes_no(node.na_allowed),
                    EVIDENCE_WHEN_LABELS.get(node.evidence_when, ""),
                ],
                bold if node.level == "field" else plain,
            )
    _write_guide(book)
    book.close()


def template_bytes() -> bytes:
    """An empty template with drop-downs and notes, for a secretary to fill in."""
    buf = BytesIO()
    _write(buf, None)
    return buf.getvalue()


def export_bytes(draft: CriteriaDraft) -> bytes:
    """The same layout filled with a stored set, so it can be edited and imported again."""
    buf = BytesIO()
    _write(buf, draft)
    return buf.getvalue()


def _file_problem(msg: Msg) -> CriteriaImportError:
    return CriteriaImportError([Problem(SHEET_NODES, None, None, msg)])


def read_workbook(source: bytes | BinaryIO | Path) -> CriteriaDraft:
    """Read and check a workbook; raises :class:`CriteriaImportError` with every problem."""
    wb = open_workbook(source, CriteriaImportError)
    try:
        missing = [s for s in (SHEET_INFO, SHEET_NODES) if s not in wb.sheetnames]
        if missing:
            raise CriteriaImportError(
                [
                    Problem(
                        s,
                        None,
                        None,
                        Msg(
                            N_("The sheet “{sheet}” is missing; start from the template."), sheet=s
                        ),
                    )
                    for s in missing
                ]
            )
        info = _read_info_sheet(wb[SHEET_INFO].iter_rows(values_only=True))
        rows = _read_node_sheet(wb[SHEET_NODES].iter_rows(values_only=True))
    finally:
        wb.close()
    return build_criteria(info, rows)


def _read_info_sheet(rows: Iterable[tuple[object, ...]]) -> dict[str, object]:
    by_label = {label.casefold(): key for key, label in INFO_FIELDS}
    info: dict[str, object] = {}
    found_rows: dict[str, int] = {}
    for i, row in enumerate(rows):
        if i == 0 or not row:
            continue
        label = str(row[0] or "").strip().casefold()
        if label in by_label:
            info[by_label[label]] = row[1] if len(row) > 1 else None
            found_rows[by_label[label]] = i + 1
    info["_rows"] = found_rows  # so problems point at the row the secretary actually used
    return info


def _read_node_sheet(rows: Iterable[tuple[object, ...]]) -> list[NodeRow]:
    iterator = iter(rows)
    header = next(iterator, None)
    expected = [c.header for c in NODE_COLUMNS]
    found = [str(h or "").strip() for h in (header or ())][: len(expected)]
    optional = [c.header for c in NODE_COLUMNS if c.key in OPTIONAL_COLUMNS]
    while len(found) < len(expected) and expected[len(found)] in optional:
        found.append(expected[len(found)])  # an older workbook without the newer columns
    if found != expected:
        problems = [
            Problem(
                SHEET_NODES,
                1,
                c.letter,
                Msg(
                    N_("The header should be “{expected}” (found “{found}”)."),
                    expected=c.header,
                    found=found[i] if i < len(found) else "",
                ),
            )
            for i, c in enumerate(NODE_COLUMNS)
            if i >= len(found) or found[i] != c.header
        ]
        raise CriteriaImportError(problems)
    out: list[NodeRow] = []
    for number, row in enumerate(iterator, start=2):
        if number > MAX_ROWS + 1:
            raise _file_problem(Msg(N_("The sheet has more than {limit} rows."), limit=MAX_ROWS))
        values = {c.key: (row[i] if i < len(row) else None) for i, c in enumerate(NODE_COLUMNS)}
        if any(v not in (None, "") for v in values.values()):
            out.append(NodeRow(number, values))
    return out
