"""Decision annexes built the way provinces publish them, in Word and in Excel.

The Word annex follows a provincial decision for departments (Roman fields, Arabic criteria,
a) b) items, options printed as "-" rows with their points in the maximum column, a survey, a
bonus and a penalty part, a merged "TỔNG CỘNG" row, a vertically merged evidence cell, line
breaks inside cells). The Excel annex follows the Ministry's layout (1 / 1.1 / 1.1.1, headers
typed without diacritics, a title above the table, bold field rows, threshold-style tiers).
"""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font

WORD_ROWS: list[tuple[str, str, str, str, str, bool]] = [
    ("I", "CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH", "4", "", "", True),
    ("1", "Kế hoạch cải cách hành chính năm", "2", "", "", False),
    ("a)", "Ban hành kế hoạch CCHC năm", "1",
     "Ban hành kịp thời: 1\nBan hành không kịp thời: 0,5\nKhông ban hành: 0",
     "Kế hoạch CCHC năm", False),
    ("b)", "Mức độ thực hiện kế hoạch", "1",
     "Thực hiện trên 90% kế hoạch: 1; Thực hiện từ 70% - 90%: 0,5; Dưới 70%: 0", "", False),
    ("2", "Báo cáo cải cách hành chính", "2", "", "", False),
    ("a)", "Số lượng báo cáo định kỳ", "1", "", "", False),
    ("-", "Đủ số lượng, đúng thời hạn", "1", "", "", False),
    ("-", "Không đủ số lượng hoặc không đúng thời hạn", "0", "", "", False),
    ("b)", "Chất lượng kiểm tra CCHC", "1", "Chấm từ 0 đến 1 điểm", "Báo cáo kiểm tra", False),
    ("II", "ĐIỀU TRA XÃ HỘI HỌC", "3", "", "", True),
    ("1", "Mức độ hài lòng của cán bộ, công chức", "3", "Điểm điều tra xã hội học", "", False),
    ("III", "ĐIỂM THƯỞNG", "1", "", "", True),
    ("1", "Sáng kiến CCHC được công nhận", "1",
     "Mỗi sáng kiến được công nhận được 0,5 điểm, tối đa 1 điểm", "", False),
    ("IV", "ĐIỂM TRỪ", "2", "", "", True),
    ("1", "Văn bản bị kết luận trái pháp luật", "2",
     "Mỗi văn bản bị cơ quan có thẩm quyền kết luận trái pháp luật bị trừ 0,5 điểm", "", False),
]  # fmt: skip


def word_annex(rows: list[tuple[str, str, str, str, str, bool]] | None = None) -> bytes:
    doc = Document()
    doc.add_paragraph("PHỤ LỤC").runs[0].bold = True
    doc.add_paragraph("BỘ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH CÁC SỞ, BAN, NGÀNH")
    body = rows if rows is not None else WORD_ROWS
    table = doc.add_table(rows=2 + len(body) + 1, cols=5)
    header = ["STT", "Lĩnh vực/Tiêu chí/Tiêu chí thành phần", "Điểm tối đa",
              "Cách tính điểm", "Tài liệu kiểm chứng"]  # fmt: skip
    for i, text in enumerate(header):
        table.cell(0, i).text = text
    for i in range(5):
        table.cell(1, i).text = f"({i + 1})"
    for r, (number, title, max_score, rule, evidence, bold) in enumerate(body, start=2):
        for c, text in enumerate((number, title, max_score)):
            run = table.cell(r, c).paragraphs[0].add_run(text)
            run.bold = bold
            run.font.size = Pt(12)
        lines = rule.split("\n")
        paragraph = table.cell(r, 3).paragraphs[0]
        for i, line in enumerate(lines):  # line breaks inside the cell, as Word prints them
            run = paragraph.add_run(line)
            if i < len(lines) - 1:
                run.add_break()
        table.cell(r, 4).text = evidence
    # The evidence of 1.1.1 also covers 1.1.2: one cell merged over both rows.
    if rows is None:
        table.cell(4, 4).merge(table.cell(5, 4))
    last = 2 + len(body)
    merged = table.cell(last, 0).merge(table.cell(last, 1))
    merged.text = "TỔNG CỘNG"
    table.cell(last, 2).text = "7"
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()


EXCEL_ROWS: list[tuple[str, str, object, str, bool]] = [
    ("1", "CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH", 3, "", True),
    ("1.1", "Kế hoạch cải cách hành chính", 3, "", False),
    ("1.1.1", "Ban hành kế hoạch CCHC", 1, "Có: 1\nKhông: 0", False),
    ("1.1.2", "Tỷ lệ hoàn thành kế hoạch", 2, "> 90 = 2; ≥ 70 = 1; < 70 = 0", False),
    ("2", "CẢI CÁCH THỦ TỤC HÀNH CHÍNH", 2, "", True),
    ("2.1", "Công khai, giải quyết thủ tục hành chính", 2, "", False),
    ("2.1.1", "Công khai đầy đủ thủ tục hành chính", 0.5, "Đạt/Không đạt", False),
    ("2.1.2", "Hồ sơ giải quyết trễ hạn", 1.5, "Mỗi hồ sơ trễ hạn bị trừ 0,25 điểm", False),
]


def excel_annex(rows: list[tuple[str, str, object, str, bool]] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Phu luc"
    ws.append(["BỘ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026"])
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["STT", "Noi dung", "Diem toi da", "Huong dan cham diem"])
    for number, title, max_score, rule, bold in rows if rows is not None else EXCEL_ROWS:
        ws.append([number, title, max_score, rule])
        if bold:
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    ws.append(["TỔNG ĐIỂM", None, 5, None])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=2)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_word_lists(data: bytes) -> bytes:
    """Turn every paragraph that starts with "#<list>:<level>#" into one numbered by Word's
    automatic list <list> at <level>, without the marker (lists 1–4 of python-docx's template
    are bullets, 5–9 are "1.", "2."…), as a table numbered with Word's list button looks."""
    import re
    import zipfile

    source = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "word/document.xml":
                content = re.sub(
                    rb"<w:p>(?:(?!</w:p>).)*?<w:r>(<w:rPr>(?:(?!</w:r>).)*?</w:rPr>)?"
                    rb"<w:t>#(\d+):(\d+)#",
                    rb'<w:p><w:pPr><w:numPr><w:ilvl w:val="\3"/><w:numId w:val="\2"/>'
                    rb'</w:numPr></w:pPr><w:r>\1<w:t xml:space="preserve">',
                    content,
                    flags=re.DOTALL,
                )
            target.writestr(info, content)
    return out.getvalue()
