"""The publication pack: the annex tables of the province's publication decision as a Word
document (python-docx), in the layout decisions print.

Per unit group two tables:

1. **Kết quả xếp hạng**: STT | Đơn vị | Tổng điểm | Chỉ số (%) | Xếp hạng | Xếp loại, units in
   rank order; units that never submitted follow, marked "Chưa nộp", unless the period ranks
   them last (then they carry their rank).
2. **Chỉ số thành phần**: STT | Đơn vị | one column per field (its component index, %) | Điều
   tra XHH (points) | Điểm cộng | Điểm trừ, same order.

The figures are the appraised ones of :func:`scoring.results.results` (the snapshot once
published), formatted as documents print them ("81,33"); nothing is computed here. Before
publication the title says it is a draft. Text goes into Word runs, never interpreted, so a unit
name cannot inject anything.
"""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from core.audit import Actor
from core.auth import require_role
from core.i18n import N_, gettext
from core.numbers import format_score
from core.timefmt import format_datetime
from forms.models import Period
from scoring.publication import GroupRanking, RankingRow, group_ranking
from scoring.results import results

# column headers and fixed texts (Vietnamese in core/locales/vi/publication.po)
STT = N_("No.")
UNIT = N_("Unit")
TOTAL = N_("Total score")
INDEX = N_("Index (%)")
RANK = N_("Rank")
BAND = N_("Band")
SURVEY = N_("Survey")
BONUS = N_("Bonus")
PENALTY = N_("Penalty")
NOT_SUBMITTED = N_("Not submitted")
TITLE = N_("ANNEX: RESULTS OF THE PAR INDEX {year}")
DRAFT = N_("DRAFT, not published yet: the figures may still change.")
PUBLISHED = N_("Published on {when}.")
RANKING = N_("Table {n}. Ranking of {group}")
COMPONENTS = N_("Table {n}. Component indices of {group}")
FIELD_COLUMN = N_("Field {code} (%)")
APART = N_("Units that did not submit their self-assessment are listed after the ranking.")


def _num(value: Any, locale: str, places: int | None = 2) -> str:
    return "–" if value in (None, "") else format_score(Decimal(str(value)), locale, places)


def _cell_text(cell: Any, text: str, *, bold: bool = False, right: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(11)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(doc: Any, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell_text(cell, text, bold=True)
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            _cell_text(cell, text, right=i >= 2 and text[:1].isdigit())
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def _ordered(group: GroupRanking) -> list[RankingRow]:
    return [*group.ranked, *group.apart]


def _ranking_rows(group: GroupRanking, locale: str) -> list[list[str]]:
    rows = []
    for i, r in enumerate(_ordered(group), start=1):
        f = r.final
        apart = not (r.submitted or group.rank_last)
        rows.append(
            [
                str(i),
                r.unit_name,
                _num(f.get("total"), locale),
                _num(f.get("index"), locale),
                gettext(NOT_SUBMITTED, locale) if apart else str(f.get("rank") or "–"),
                gettext(NOT_SUBMITTED, locale) if apart else (f.get("band") or "–"),
            ]
        )
    return rows


def _component_rows(
    group: GroupRanking, codes: list[str], by_unit: dict[int, dict[str, Any]], locale: str
) -> list[list[str]]:
    rows = []
    for i, r in enumerate(_ordered(group), start=1):
        fields = {f["code"]: f for f in by_unit[r.unit_id]["fields"]}
        f = r.final
        rows.append(
            [
                str(i),
                r.unit_name,
                *[_num(fields.get(c, {}).get("appraised_index"), locale) for c in codes],
                _num(f.get("survey"), locale),
                _num(f.get("bonus"), locale),
                _num(f.get("penalty"), locale),
            ]
        )
    return rows


def annex_document(
    period: Period, tables: list[dict[str, Any]], *, locale: str, tz: ZoneInfo
) -> bytes:
    """The .docx bytes of the annex for these results tables (pure: no database)."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(gettext(TITLE, locale).format(year=period.year))
    run.bold = True
    run.font.size = Pt(14)
    sub = doc.add_paragraph(period.name)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = doc.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if period.published_at is not None:
        note.add_run(
            gettext(PUBLISHED, locale).format(when=format_datetime(period.published_at, tz))
        ).italic = True
    else:
        note.add_run(gettext(DRAFT, locale)).bold = True
    n = 0
    for table in tables:
        group = group_ranking(table)
        by_unit = {u["unit_id"]: u for u in table["units"]}
        first = next(iter(table["units"]), None)
        codes = [f["code"] for f in first["fields"]] if first else []
        n += 1
        doc.add_paragraph().add_run(
            gettext(RANKING, locale).format(n=n, group=group.name)
        ).bold = True
        _table(
            doc,
            [gettext(h, locale) for h in (STT, UNIT, TOTAL, INDEX, RANK, BAND)],
            _ranking_rows(group, locale),
            [1.2, 9.5, 3, 3, 2.5, 3.5],
        )
        if group.apart:
            doc.add_paragraph(gettext(APART, locale)).runs[0].italic = True
        n += 1
        doc.add_paragraph().add_run(
            gettext(COMPONENTS, locale).format(n=n, group=group.name)
        ).bold = True
        _table(
            doc,
            [
                gettext(STT, locale),
                gettext(UNIT, locale),
                *[gettext(FIELD_COLUMN, locale).format(code=c) for c in codes],
                gettext(SURVEY, locale),
                gettext(BONUS, locale),
                gettext(PENALTY, locale),
            ],
            _component_rows(group, codes, by_unit, locale),
            [1.2, 7.5, *[2.2] * len(codes), 2.2, 2, 2],
        )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


async def annex(actor: Actor, period: Period, *, locale: str, tz: ZoneInfo) -> tuple[str, bytes]:
    """(file name, .docx bytes) of the period's annex; every back-office role may download it.
    The document is built off the event loop (a province is thousands of table rows)."""
    await require_role(actor)
    tables = await results(actor, period.id)
    data = await asyncio.to_thread(annex_document, period, tables, locale=locale, tz=tz)
    stamp = "" if period.published_at is None else "-cong-bo"
    return f"phu-luc-chi-so-cchc-{period.year}{stamp}.docx", data
