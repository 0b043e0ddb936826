"""The progress workbook of a period: "Tiến độ tự đánh giá", completeness and timeliness by unit,
as the progress board shows them, for a secretary who sends it to the units or up the chain
during the self-assessment (the consolidated workbook's "Tiến độ" sheet is a copy of the same
figures inside the results).

One sheet, a heading row per unit group ("I. KHỐI SỞ, BAN, NGÀNH"), then per unit:

STT | Mã đơn vị | Đơn vị | Trạng thái | Đã trả lời | Tổng số tiêu chí | Tỷ lệ (%) | Thiếu TLKC |
Tiêu chí thiếu TLKC | Hạn tự đánh giá | Thời điểm gửi | Thời hạn | Số lần đã nhắc |
Cán bộ đã chặn bot

"Tỷ lệ (%)" is a formula (answered × 100 / items, rounded to 2 decimals) and each group ends with
a total row of formulas (sums, share, units submitted); every formula carries its cached value,
computed here from the same counts. Timeliness compares the submission time with the unit's own
deadline (the period's, moved by an approved extension): "Đúng hạn", "Gửi muộn", "Quá hạn, chưa
gửi" or "Chưa đến hạn".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from core.i18n import N_, gettext
from core.numbers import round_half_up
from core.timefmt import format_datetime
from core.xlsx import Book, Formula, roman, upper_vi
from scoring.workbooks.consolidated import STATUS_LABELS, ConsolidatedInput
from scoring.workbooks.model import unit_progress

HEADERS = (
    N_("No."),
    N_("Unit code"),
    N_("Unit"),
    N_("Status"),
    N_("Items answered"),
    N_("Items to answer"),
    N_("Answered (%)"),
    N_("Items missing evidence"),
    N_("Codes missing evidence"),
    N_("Self-assessment deadline"),
    N_("Submitted at"),
    N_("Timeliness"),
    N_("Reminders sent"),
    N_("Officers who blocked the bot"),
)
WIDTH = len(HEADERS)
ON_TIME = N_("On time")
LATE = N_("Submitted late")
OVERDUE = N_("Overdue, not submitted")
NOT_DUE = N_("Not due yet")


@dataclass
class ProgressStats:
    units: int
    submitted: int
    cells: int


def timeliness(submitted_at: datetime | None, deadline: datetime | None, now: datetime) -> str:
    """One of :data:`ON_TIME`, :data:`LATE`, :data:`OVERDUE`, :data:`NOT_DUE` (msgids)."""
    if submitted_at is not None:
        return LATE if deadline is not None and submitted_at > deadline else ON_TIME
    if deadline is not None and now >= deadline:
        return OVERDUE
    return NOT_DUE


def write_progress(
    data: ConsolidatedInput,
    deadlines: dict[int, datetime],
    target: str | Path | IO[bytes],
) -> ProgressStats:
    """Write the workbook; ``deadlines`` maps a sheet (assessment id) to its own deadline."""

    def t(msgid: str) -> str:
        return gettext(msgid, data.locale)

    title = t("PROGRESS OF THE SELF-ASSESSMENT")
    book = Book(target, title=title)
    sheet = book.sheet(
        t("Progress"), widths=(6, 10, 34, 16, 10, 10, 10, 10, 22, 16, 16, 16, 10, 24)
    )
    header_row = 5
    sheet.freeze(f"A{header_row + 1}")
    sheet.print_titles(header_row, header_row)
    sheet.merged_row(title, "title", height=24)
    sheet.merged_row(t("Period: {name}").format(name=data.period.name), "subtitle")
    sheet.merged_row(
        t("Generated at {when}").format(when=format_datetime(data.generated_at, data.tz)),
        "caption",
    )
    sheet.blank()
    header = sheet.row([t(h) for h in HEADERS], sheet.styles(*["header"] * WIDTH), height=45)
    assert header == header_row, "the frozen panes and print titles expect the header here"
    styles = sheet.styles(
        "int",
        "text_center",
        "text",
        "text_center",
        "int",
        "int",
        "index",
        "int",
        "text_small",
        "datetime",
        "datetime",
        "text_center",
        "int",
        "text_small",
    )
    total_styles = sheet.styles(
        "total_text",
        "total_text",
        "total_text",
        "total_text",
        "int_bold",
        "int_bold",
        "total_index",
        "int_bold",
        "total_text",
        "total_text",
        "total_text",
        "total_text",
        "int_bold",
        "total_text",
    )
    group_styles = sheet.styles("group_center", *["group"] * (WIDTH - 1))
    units = submitted = 0
    for gi, g in enumerate(data.groups):
        r = sheet.row([roman(gi + 1), upper_vi(g.name)] + [None] * (WIDTH - 2), group_styles)
        sheet.merge(r, 2, WIDTH)
        items = [n for n in g.criteria.leaves if n.section != "survey"]
        first = sheet.rows + 1
        answered_sum = items_sum = missing_sum = reminders_sum = group_submitted = 0
        for i, u in enumerate(g.units):
            p = unit_progress(u.answers, items)
            row = sheet.rows + 1
            deadline = deadlines.get(u.assessment_id)
            share = p.share
            sheet.row(
                (
                    i + 1,
                    u.code,
                    u.name,
                    t(STATUS_LABELS.get(u.status, u.status)),
                    p.answered,
                    p.items,
                    Formula(
                        f'=IF(F{row}=0,"",ROUND(E{row}*100/F{row},2))',
                        "" if share is None else share,
                    ),
                    len(p.missing),
                    ", ".join(p.missing) or None,
                    deadline.astimezone(data.tz) if deadline else None,
                    u.submitted_at.astimezone(data.tz) if u.submitted_at else None,
                    t(timeliness(u.submitted_at, deadline, data.generated_at)),
                    u.reminders,
                    "; ".join(u.blocked) or None,
                ),
                styles,
            )
            answered_sum += p.answered
            items_sum += p.items
            missing_sum += len(p.missing)
            reminders_sum += u.reminders
            group_submitted += u.submitted_at is not None
        last = sheet.rows
        units += len(g.units)
        submitted += group_submitted
        if not g.units:
            continue
        row = last + 1
        share = round_half_up(Decimal(answered_sum) * 100 / Decimal(items_sum)) if items_sum else ""
        sheet.row(
            (
                None,
                None,
                t("Total of the group"),
                Formula(
                    f'=COUNT(K{first}:K{last})&"/"&COUNT(A{first}:A{last})',
                    f"{group_submitted}/{len(g.units)}",
                ),
                Formula(f"=SUM(E{first}:E{last})", answered_sum),
                Formula(f"=SUM(F{first}:F{last})", items_sum),
                Formula(f'=IF(F{row}=0,"",ROUND(E{row}*100/F{row},2))', share),
                Formula(f"=SUM(H{first}:H{last})", missing_sum),
                None,
                None,
                None,
                None,
                Formula(f"=SUM(M{first}:M{last})", reminders_sum),
                None,
            ),
            total_styles,
        )
    sheet.merged_row(
        t(
            "“Submitted” in the group's total row counts the units that sent their sheet out of "
            "the units of the group. Timeliness compares the submission time with the unit's "
            "own deadline (extensions included)."
        ),
        "note",
        height=30,
    )
    cells = book.cells_written
    book.close()
    return ProgressStats(units=units, submitted=submitted, cells=cells)


N_("Self-assessment deadline")
N_("Timeliness")
N_("Total of the group")
N_(
    "“Submitted” in the group's total row counts the units that sent their sheet out of the "
    "units of the group. Timeliness compares the submission time with the unit's own deadline "
    "(extensions included)."
)
