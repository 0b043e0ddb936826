"""One unit's "Bảng tự đánh giá, chấm điểm": the criteria tree with the unit's scores.

STT | Lĩnh vực / Tiêu chí / Tiêu chí thành phần | Điểm tối đa | Điểm tự đánh giá | Điểm thẩm định |
Tài liệu kiểm chứng | Giải trình / Ghi chú. Top-level sections are numbered with Roman numerals
and printed in capitals (standard fields first, then the survey, bonus and penalty sections in the
set's order); criteria and items carry their codes. Each evidence file is a hyperlink to its
download address in the service (which checks who is asking); an item with several files gets one
row per file, its other cells merged. Totals, the applicable maximum, the index and the
classification close the table, then the signature block of the person who prepared it and the
unit's leader.

The appraised column stays empty until the first item of the sheet is reviewed. From then on it
shows, for every item, the score the appraised totals count: the appraised score of a reviewed
item, and for an item not reviewed yet its self score in grey italics, marked as such in the notes
(as :mod:`scoring.results` counts it), so the column always adds up to its subtotals.

Penalty (điểm trừ) rows are deductions: their points are printed with a minus sign, and the
maximum of the penalty section reads "Điểm trừ tối đa".

The head names the parent body (the criteria set's issuing body, "UBND TỈNH …") above the unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from core.i18n import N_, gettext
from core.numbers import format_score, round_half_up
from core.timefmt import format_date, format_datetime
from core.xlsx import Book, Link, Sheet, roman, upper_vi
from forms.outline import Outline, OutlineNode
from forms.rollup import Band, UnitRollup, classify
from scoring.workbooks.model import AnswerRow, Describer, PeriodInfo, unit_scores

WIDTH = 7
HEADERS = (
    N_("No."),
    N_("Field / Criterion / Component criterion"),
    N_("Maximum score"),
    N_("Self-assessed score"),
    N_("Appraised score"),
    N_("Evidence documents"),
    N_("Explanation / Notes"),
)


@dataclass
class EvidenceEntry:
    id: int
    item_code: str
    name: str
    size: int
    sha256: str
    content_type: str
    created_at: datetime | None
    uploader: str = ""
    channel: str = ""
    page_ref: str = ""
    for_explanation: bool = False
    stored: bool = True  # the bytes are in the evidence store
    zip_path: str = ""


@dataclass
class ExplanationEntry:
    text: str
    proposed: Decimal | None


@dataclass
class ScorecardInput:
    period: PeriodInfo
    generated_at: datetime
    tz: ZoneInfo
    unit_code: str
    unit_name: str
    group_name: str
    status: str
    submitted_at: datetime | None
    criteria: Outline
    bands: list[Band]
    answers: dict[str, AnswerRow]
    download_url: Callable[[int], str]
    survey: dict[str, Decimal] = field(default_factory=dict)
    evidence: dict[str, list[EvidenceEntry]] = field(default_factory=dict)
    explanations: dict[str, list[ExplanationEntry]] = field(default_factory=dict)
    visible: Callable[[str], bool] | None = None
    focal_name: str = ""
    leader_name: str = ""
    locale: str = "vi"


@dataclass
class ScorecardStats:
    rows: int
    files: int
    cells: int


class _T:
    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, msgid: str) -> str:
        return gettext(msgid, self.locale)


def head_rows(sheet: Sheet, t: _T, parent: str, body: str) -> None:
    """The head of an official document: the parent body over the unit, the national motto."""
    sheet.motto_head(
        upper_vi(parent),
        upper_vi(body),
        t("SOCIALIST REPUBLIC OF VIET NAM"),
        t("Independence - Freedom - Happiness"),
    )


N_("SOCIALIST REPUBLIC OF VIET NAM")
N_("Independence - Freedom - Happiness")


def signature_rows(
    sheet: Sheet, t: _T, left: tuple[str, str, str], right: tuple[str, str, str]
) -> None:
    """Place and date, then two signatures: (title, note, name) on each side."""
    sheet.signatures(t("……………, day …… month …… year ……"), left, right)


STATUS_TEXT = {
    "draft": N_("Not submitted yet (self-assessing)."),
    "submitted": N_("Submitted on {when}."),
    "in_appraisal": N_("Submitted on {when}; being appraised."),
    "explanation_requested": N_("Submitted on {when}; explanations requested."),
    "appraised": N_("Submitted on {when}; appraised."),
    "final": N_("Submitted on {when}; results published."),
}


def write_scorecard(data: ScorecardInput, target: str | Path | IO[bytes]) -> ScorecardStats:
    """Write the scorecard to ``target``; runs in a worker thread."""
    t = _T(data.locale)
    cset = data.criteria
    scores = unit_scores(cset.tree, data.answers, data.survey, data.period.options)
    own, final, reviewed = scores.own, scores.final, scores.reviewed
    describer = Describer(data.locale)

    title = t("SELF-ASSESSMENT AND SCORING OF THE PAR INDEX, YEAR {year}").format(
        year=data.period.year
    )
    book = Book(target, title=title)
    sheet = book.sheet(t("Scorecard"), widths=(8, 56, 10, 11, 11, 32, 44))
    header_row = 8
    sheet.freeze(f"A{header_row + 2}")
    sheet.print_titles(header_row, header_row + 1)
    head_rows(sheet, t, cset.issuing_body, data.unit_name)
    sheet.blank()
    sheet.merged_row(title, "title", height=36)
    sheet.merged_row(
        t("Unit: {unit} — Period: {period}").format(unit=data.unit_name, period=data.period.name),
        "subtitle",
    )
    basis = t("(Criteria set “{name}”").format(name=cset.name)
    if cset.document_number:
        basis += t(", issued with {number}").format(number=cset.document_number)
        if cset.issue_date:
            basis += t(" dated {date}").format(date=format_date(cset.issue_date))
        if cset.issuing_body:
            basis += t(" by {body}").format(body=cset.issuing_body)
    sheet.merged_row(basis + ")", "caption")
    when = format_datetime(data.submitted_at, data.tz) if data.submitted_at else ""
    status = t(STATUS_TEXT.get(data.status, "{when}")).format(when=when)
    generated = t("Generated at {when}").format(when=format_datetime(data.generated_at, data.tz))
    sheet.merged_row(f"{status} {generated}.", "caption")
    header = sheet.row([t(h) for h in HEADERS], sheet.styles(*["header"] * WIDTH), height=45)
    assert header == header_row, "the frozen panes and print titles expect the header here"
    sheet.row([f"({i})" for i in range(1, WIDTH + 1)], sheet.styles(*["colnum"] * WIDTH))

    def row_styles(level: str, penalty: bool, na: bool = False, counted_self: bool = False) -> Any:
        """Styles of a root ("field"), criterion or item row; penalty points as deductions,
        "Không áp dụng" in small italics, an appraised cell that counts the self score grey."""
        if level == "field":
            stt, text, score = "field_stt", "field_text", "field_score"
            if penalty:
                score = "deduction_field"
            return sheet.styles(stt, text, score, score, score, "link", "text_small")
        if level == "criterion":
            score = "deduction_criterion" if penalty else "criterion_score"
            return sheet.styles(
                "criterion_stt", "criterion_text", score, score, score, "text", "text"
            )
        score = "deduction" if penalty else "score"
        appraised = ("deduction_self" if penalty else "score_self") if counted_self else score
        return sheet.styles(
            "item_stt", "item_text", score, "na" if na else score, appraised, "link", "text_small"
        )

    visible = data.visible
    has_visible: dict[str, bool] = {}

    def sees(node: OutlineNode) -> bool:
        found = has_visible.get(node.code)
        if found is None:
            kids = cset.kids(node.code)
            found = any(sees(k) for k in kids) if kids else (visible is None or visible(node.code))
            has_visible[node.code] = found
        return found

    files_written = 0
    counted_self_items = 0

    def group_row(node: OutlineNode, stt: str, is_root: bool) -> None:
        title_text = upper_vi(node.title) if is_root else node.title
        penalty = node.section == "penalty"
        note = None
        if is_root and penalty:
            note = t("Maximum deduction: {score} points").format(
                score=format_score(node.max_score, data.locale)
            )
        sheet.row(
            (
                stt,
                title_text,
                node.max_score,
                own.nodes[node.code].score,
                final.nodes[node.code].score if reviewed else None,
                None,
                note,
            ),
            row_styles("field" if is_root else "criterion", penalty),
        )

    def item_row(node: OutlineNode, stt: str, is_root: bool) -> None:
        nonlocal files_written, counted_self_items
        a = data.answers.get(node.code)
        notes: list[str] = []
        counted_self = False
        if node.section == "survey":
            value = data.survey.get(node.code)
            self_value: Any = value
            appraised: Any = value if reviewed else None
            notes.append(t("Imported from the sociological survey."))
        else:
            self_value = None
            appraised = None
            if a is not None:
                self_value = t("Not applicable") if a.not_applicable else a.self_score
                appraised = a.reviewed
                declared = describer(node, a) if not a.not_applicable else ""
                if declared:
                    notes.append(t("Declared: {value}").format(value=declared))
                if a.note:
                    notes.append(t("Note: {text}").format(text=a.note))
                if a.comment1:
                    notes.append(t("Appraisal round 1: {comment}").format(comment=a.comment1))
                for e in data.explanations.get(node.code, []):
                    text = t("Explanation: {text}").format(text=e.text)
                    if e.proposed is not None:
                        text += " " + t("(proposed score {score})").format(
                            score=format_score(e.proposed, data.locale)
                        )
                    notes.append(text)
                if a.comment2:
                    notes.append(t("Appraisal round 2: {comment}").format(comment=a.comment2))
            if reviewed and appraised is None and not (a is not None and a.not_applicable):
                # the appraised totals count this item at its self score: show that value
                appraised = final.nodes[node.code].score
                counted_self = True
                counted_self_items += 1
                notes.append(t("Not appraised yet: counted at the self-assessed score."))
            files = data.evidence.get(node.code, [])
            if not files and node.needs_evidence(a):
                notes.append(t("Evidence required but not attached."))
        files = data.evidence.get(node.code, []) if node.section != "survey" else []
        links = [_link(e, data, t) for e in files]
        is_na = isinstance(self_value, str)
        penalty = node.section == "penalty"
        styles = (
            row_styles("field", penalty)
            if is_root
            else row_styles("item", penalty, is_na, counted_self)
        )
        title_text = upper_vi(node.title) if is_root else node.title
        first = sheet.row(
            (
                stt,
                title_text,
                node.max_score,
                self_value,
                appraised,
                links[0] if links else None,
                "\n".join(notes) or None,
            ),
            styles,
        )
        if len(links) > 1:
            # the item's other cells span its file rows (merged now: rows are written in order)
            last = first + len(links) - 1
            for col in (1, 2, 3, 4, 5, 7):
                sheet.merge(first, col, col, last_row=last)
        for link in links[1:]:
            sheet.row((None, None, None, None, None, link, None), styles)
        files_written += len(links)

    def walk(node: OutlineNode, stt: str, is_root: bool) -> None:
        if not sees(node):
            return
        kids = cset.kids(node.code)
        if not kids:
            item_row(node, stt, is_root)
            return
        group_row(node, stt, is_root)
        for kid in kids:
            walk(kid, kid.code, False)

    for n, root in enumerate((r for r in cset.roots if sees(r)), start=1):
        walk(root, roman(n), True)

    _totals(sheet, t, data, own, final, reviewed)
    if counted_self_items:
        sheet.merged_row(
            t(
                "Note: the appraised scores in grey italics are items not appraised yet; the "
                "appraised totals count them at their self-assessed score."
            ),
            "note",
            height=30,
        )
    signature_rows(
        sheet,
        t,
        (t("PREPARED BY"), t("(Signature, full name)"), data.focal_name),
        (t("HEAD OF THE UNIT"), t("(Signature, full name and seal)"), data.leader_name),
    )
    cells = book.cells_written
    book.close()
    return ScorecardStats(rows=sheet.rows, files=files_written, cells=cells)


def _link(e: EvidenceEntry, data: ScorecardInput, t: _T) -> Link:
    text = e.name
    if e.page_ref:
        text += " " + t("(page/section {ref})").format(ref=e.page_ref)
    if e.for_explanation:
        text += " " + t("(with the explanation)")
    return Link(text, data.download_url(e.id))


def _totals(
    sheet: Sheet,
    t: _T,
    data: ScorecardInput,
    own: UnitRollup,
    final: UnitRollup,
    reviewed: bool,
) -> None:
    cset = data.criteria
    scale = cset.section_max("standard") + cset.section_max("survey")
    score_styles = sheet.styles(
        "total_text",
        "total_text",
        "total_score",
        "total_score",
        "total_score",
        "total_text",
        "total_text",
    )
    index_styles = sheet.styles(
        "total_text",
        "total_text",
        "total_text",
        "total_index",
        "total_index",
        "total_text",
        "total_text",
    )
    text_styles = sheet.styles(*["total_text"] * WIDTH)

    def r2(value: Decimal | None) -> Decimal | None:
        return None if value is None else round_half_up(value)

    rows: list[tuple[tuple[Any, ...], Any]] = [
        (
            (
                None,
                t("TOTAL SCORE"),
                scale,
                own.total,
                final.total if reviewed else None,
                None,
                t("Standard + survey + bonus − penalty"),
            ),
            score_styles,
        ),
        (
            (
                None,
                t("Applicable maximum"),
                scale,
                own.applicable_max,
                final.applicable_max if reviewed else None,
                None,
                t("Maximum without the items that do not apply"),
            ),
            score_styles,
        ),
        (
            (
                None,
                t("PAR INDEX (%)"),
                None,
                r2(own.index),
                r2(final.index) if reviewed else None,
                None,
                None,
            ),
            index_styles,
        ),
        (
            (
                None,
                t("Classification"),
                None,
                classify(own.index, data.bands),
                classify(final.index, data.bands) if reviewed else None,
                None,
                None,
            ),
            text_styles,
        ),
    ]
    for values, styles in rows:
        sheet.row(values, styles)


N_("SELF-ASSESSMENT AND SCORING OF THE PAR INDEX, YEAR {year}")
N_("Scorecard")
N_("Unit: {unit} — Period: {period}")
N_("(Criteria set “{name}”")
N_(", issued with {number}")
N_(" dated {date}")
N_(" by {body}")
N_("Imported from the sociological survey.")
N_("Declared: {value}")
N_("Note: {text}")
N_("Appraisal round 1: {comment}")
N_("Appraisal round 2: {comment}")
N_("Explanation: {text}")
N_("(proposed score {score})")
N_("Evidence required but not attached.")
N_(
    "Note: the appraised scores in grey italics are items not appraised yet; the appraised "
    "totals count them at their self-assessed score."
)
N_("Not appraised yet: counted at the self-assessed score.")
N_("Maximum deduction: {score} points")
N_("HEAD OF THE UNIT")
N_("(page/section {ref})")
N_("(with the explanation)")
N_("TOTAL SCORE")
N_("Standard + survey + bonus − penalty")
N_("Applicable maximum")
N_("Maximum without the items that do not apply")
N_("PAR INDEX (%)")
N_("Classification")
