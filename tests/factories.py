"""Small, readable criteria sets and units for tests, built the way a secretary writes them."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from forms.criteria_rows import INFO_FIELDS, NODE_COLUMNS, SHEET_INFO, SHEET_NODES
from forms.criteria_workbook import template_bytes

INFO = {
    "code": "TEST-1",
    "name": "Bộ chỉ số thử nghiệm",
    "unit_kind": "Sở, ban, ngành",
    "document_number": "2845/QĐ-UBND",
    "issue_date": "27/11/2019",
    "issuing_body": "UBND tỉnh Thái Nguyên",
    "total_max": "10",
    "bonus_cap": "2",
    "penalty_cap": "1",
}

# code, level, section, title, max, rule, params, guidance, evidence, ev.req, agency, NA
ROWS: list[tuple[str, ...]] = [
    (
        "1",
        "Lĩnh vực",
        "Tự đánh giá",
        "CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC",
        "7",
        "",
        "",
        "",
        "",
        "Không",
        "Sở Nội vụ",
        "Không",
    ),
    (
        "1.1",
        "Tiêu chí",
        "Tự đánh giá",
        "Kế hoạch CCHC năm",
        "5",
        "",
        "",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    (
        "1.1.1",
        "Tiêu chí thành phần",
        "Tự đánh giá",
        "Ban hành kế hoạch CCHC năm",
        "1",
        "levels",
        "Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0",
        "Đúng hạn trước 15/12",
        "Kế hoạch CCHC",
        "Có",
        "",
        "Không",
    ),
    (
        "1.1.2",
        "Tiêu chí thành phần",
        "Tự đánh giá",
        "Xác định đầy đủ nhiệm vụ và bố trí kinh phí",
        "1",
        "yes_no",
        "",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    (
        "1.1.3",
        "Tiêu chí thành phần",
        "Tự đánh giá",
        "Mức độ thực hiện kế hoạch",
        "2",
        "percent_tiers",
        "90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0",
        "",
        "",
        "Có",
        "",
        "Không",
    ),
    (
        "1.1.4",
        "Tiêu chí thành phần",
        "Tự đánh giá",
        "Công khai kết quả giải quyết TTHC",
        "0,75",
        "checklist",
        "Cấp tỉnh = 0,25; Cấp huyện = 0,25; Cấp xã = 0,25",
        "",
        "",
        "Không",
        "",
        "Có",
    ),
    (
        "1.1.5",
        "Tiêu chí thành phần",
        "Tự đánh giá",
        "Sáng kiến được áp dụng",
        "0,25",
        "points",
        "step = 0,25",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    ("1.2", "Tiêu chí", "Tự đánh giá", "Quy chế nội bộ", "2", "", "", "", "", "Không", "", "Không"),
    (
        "1.2.1",
        "Tiêu chí thành phần",
        "Tự đánh giá",
        "Số quy chế ban hành đúng quy định",
        "2",
        "count",
        "each = 0,5; cap = 2",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    (
        "2",
        "Lĩnh vực",
        "Tự đánh giá",
        "KỶ LUẬT, KỶ CƯƠNG",
        "1",
        "",
        "",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    (
        "2.1",
        "Tiêu chí",
        "Tự đánh giá",
        "Chấp hành kỷ luật",
        "1",
        "",
        "",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    (
        "2.1.1",
        "Tiêu chí thành phần",
        "Tự đánh giá",
        "Vi phạm kỷ luật hành chính",
        "1",
        "deduction",
        "Vi phạm nhẹ = 50%; Vi phạm nghiêm trọng = 100%",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    (
        "X",
        "Lĩnh vực",
        "Điều tra XHH",
        "ĐIỀU TRA XÃ HỘI HỌC",
        "2",
        "",
        "",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    (
        "X.1",
        "Tiêu chí thành phần",
        "Điều tra XHH",
        "Mức độ hài lòng của lãnh đạo, quản lý",
        "2",
        "survey",
        "",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
    ("C", "Lĩnh vực", "Điểm cộng", "ĐIỂM CỘNG", "2", "", "", "", "", "Không", "", "Không"),
    (
        "C.1",
        "Tiêu chí thành phần",
        "Điểm cộng",
        "Sáng kiến CCHC được công nhận",
        "2",
        "count",
        "each = 1; cap = 2",
        "",
        "",
        "Có",
        "",
        "Không",
    ),
    ("T", "Lĩnh vực", "Điểm trừ", "ĐIỂM TRỪ", "1", "", "", "", "", "Không", "", "Không"),
    (
        "T.1",
        "Tiêu chí thành phần",
        "Điểm trừ",
        "Vi phạm trong giải quyết TTHC bị kết luận",
        "1",
        "count",
        "each = 0,5; cap = 1",
        "",
        "",
        "Không",
        "",
        "Không",
    ),
]


def workbook_bytes(
    rows: list[tuple[str, ...]] | None = None, info: dict[str, str] | None = None
) -> bytes:
    """Fill the real template, as a secretary would, and return the .xlsx bytes."""
    wb = load_workbook(BytesIO(template_bytes()))
    ws_info = wb[SHEET_INFO]
    values = {**INFO, **(info or {})}
    by_label = {label: key for key, label in INFO_FIELDS}
    for row in ws_info.iter_rows(min_row=2):
        key = by_label.get(row[0].value)
        if key is not None:
            row[1].value = values.get(key, "")
    ws = wb[SHEET_NODES]
    for r in ROWS if rows is None else rows:
        ws.append(list(r) + [""] * (len(NODE_COLUMNS) - len(r)))
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
