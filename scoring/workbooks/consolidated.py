"""The consolidated workbook of a period: "Bảng tổng hợp kết quả Chỉ số CCHC năm YYYY".

Sheets, in order:

* **Tổng hợp** — one table for the whole province, a group heading ("I. KHỐI SỞ, BAN, NGÀNH")
  above each unit group, then STT | Đơn vị | Điểm tự đánh giá | Điểm thẩm định | Điều tra XHH |
  Điểm cộng | Điểm trừ | Tổng điểm | Chỉ số (%) | Xếp hạng | Xếp loại. Every figure from
  "Điểm tự đánh giá" on is a live formula over the group's matrix sheet, so when the secretariat
  corrects a criterion score in the matrix, totals, indexes, ranks and bands follow. The formulas
  reproduce :mod:`forms.rollup` exactly: field = MIN(max, SUM(criteria)); bonus and penalty
  capped by the period's caps; total floored at 0; index = ROUND(total × 100 / applicable
  maximum, 2) (with the period's "bonus in index" and "cap at 100" options); rank = 1 + COUNTIFS of
  the higher rounded indexes among the group's submitted sheets (column L, "Đã nộp phiếu", marks
  them "x"; ties share a rank, the next one is skipped); a unit that never submitted is listed
  unranked, or ranked after them when the period says so (docs/scoring.md); band = nested IF
  over the group's thresholds. A signature block closes the sheet.
* **Ma trận <khối>** — one per unit group: units × fields and their criteria, self-assessed and
  appraised points side by side, each field's applicable maximum and component index (chỉ số
  thành phần). Criterion cells are values; field totals and component indexes are formulas.
* **Chi tiết** — one row per unit × item: code, title, maximum, declared value, self score,
  round 1, round 2, final, evidence count, notes, appraisers' comments; with an autofilter.
* **Tiến độ** — per unit: status, items answered, items missing required evidence, submission
  time, reminders sent, officers who blocked the bot.
* **Biểu đồ** — a bar chart of the index by unit for each group.

Numbers are written as numbers with a two-decimal format, so a Vietnamese Excel shows "89,45".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from core.i18n import N_, gettext
from core.numbers import format_score, round_half_up
from core.timefmt import format_date, format_datetime
from core.xlsx import (
    Book,
    Formula,
    Sheet,
    col_letter,
    formula_text,
    quote_sheet,
    roman,
    sheet_title,
    upper_vi,
)
from forms.outline import Outline
from forms.rollup import Band, CriteriaTree, UnitRollup, classify, percent
from scoring.results import dec, ranks_apart
from scoring.workbooks.model import (
    AnswerRow,
    Describer,
    PeriodInfo,
    UnitScores,
    unit_progress,
    unit_scores,
)

Progress = Callable[[int, int], None]

STATUS_LABELS = {
    "draft": N_("Self-assessing"),
    "submitted": N_("Submitted"),
    "in_appraisal": N_("Being appraised"),
    "explanation_requested": N_("Explanation requested"),
    "appraised": N_("Appraised"),
    "final": N_("Final (published)"),
}

SUMMARY_HEADERS = (
    N_("No."),
    N_("Unit"),
    N_("Self-assessed score"),
    N_("Appraised score"),
    N_("Sociological survey"),
    N_("Bonus points"),
    N_("Penalty points"),
    N_("Total score"),
    N_("Index (%)"),
    N_("Rank"),
    N_("Classification"),
    N_("Sheet submitted"),
)
SENT = "x"  # the "sheet submitted" mark, which the rank formulas count
DETAIL_HEADERS = (
    N_("No."),
    N_("Unit group"),
    N_("Unit code"),
    N_("Unit"),
    N_("Item code"),
    N_("Component criterion"),
    N_("Maximum score"),
    N_("Declared value"),
    N_("Self-assessed score"),
    N_("Appraisal round 1"),
    N_("Appraisal round 2"),
    N_("Final score"),
    N_("Evidence files"),
    N_("Notes"),
    N_("Appraisers' comments"),
)
PROGRESS_HEADERS = (
    N_("No."),
    N_("Unit code"),
    N_("Unit"),
    N_("Status"),
    N_("Items answered"),
    N_("Items to answer"),
    N_("Answered (%)"),
    N_("Items missing evidence"),
    N_("Codes missing evidence"),
    N_("Submitted at"),
    N_("Reminders sent"),
    N_("Officers who blocked the bot"),
)


@dataclass
class UnitEntry:
    unit_id: int
    code: str
    name: str
    assessment_id: int
    status: str
    submitted_at: datetime | None
    answers: dict[str, AnswerRow]  # by item code
    survey: dict[str, Decimal] = field(default_factory=dict)
    reminders: int = 0
    blocked: list[str] = field(default_factory=list)


@dataclass
class GroupEntry:
    id: int
    code: str
    name: str
    criteria: Outline
    bands: list[Band]
    units: list[UnitEntry]
    # which items of which unit the reader may see in "Chi tiết", by (item code, unit id):
    # appraisers see the fields assigned to them in every unit and those assigned to them in
    # one unit there; None = all
    visible: Callable[[str, int], bool] | None = None


@dataclass
class ConsolidatedInput:
    period: PeriodInfo
    generated_at: datetime
    tz: ZoneInfo
    groups: list[GroupEntry]
    locale: str = "vi"
    # published figures per unit id (appraised total, index, rank), to check the workbook
    snapshot: dict[int, dict[str, Any]] | None = None


@dataclass
class ConsolidatedStats:
    groups: int
    units: int
    detail_rows: int
    cells: int
    mismatches: list[str]
    formulas: int = 0


# ----------------------------------------------------------------------------------------------
# Matrix layout: which column holds what, and the formulas the summary builds on
# ----------------------------------------------------------------------------------------------


@dataclass
class _Col:
    top: str
    mid: str
    low: str
    style: str
    code: str | None = None
    # which figure of the roll-up the cell shows (its value, or a formula's cached value):
    # "self" / "final" points, "app" applicable maximum, "index" the rounded component index,
    # all of node ``code``
    fig: str | None = None
    formula: str | None = None  # with {r} for the row number


@dataclass
class _Block:
    top: str
    first: int
    last: int
    mids: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class MatrixLayout:
    columns: list[_Col]
    blocks: list[_Block]
    self_fields: list[str] = field(default_factory=list)
    final_fields: list[str] = field(default_factory=list)
    app_cells: list[str] = field(default_factory=list)
    survey_scores: list[str] = field(default_factory=list)
    bonus_final: list[str] = field(default_factory=list)
    penalty_final: list[str] = field(default_factory=list)


class _T:
    """gettext bound to one locale, callable like ``t("Unit")``."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, msgid: str) -> str:
        return gettext(msgid, self.locale)


def _num(value: Decimal) -> str:
    return dec(value) or "0"


def matrix_layout(cset: Outline, t: _T) -> MatrixLayout:
    """The columns of a group's matrix sheet, from its criteria set (pure, no data)."""
    cols: list[_Col] = [
        _Col("", "", t("No."), "int"),
        _Col("", "", t("Unit code"), "text_center"),
        _Col("", "", t("Unit"), "text"),
    ]
    layout = MatrixLayout(cols, [])
    self_label, final_label = t("Self"), t("Appraisal")

    def add(col: _Col) -> str:
        cols.append(col)
        return col_letter(len(cols))

    def head(node: Any) -> str:
        return f"{node.code} ({format_score(node.max_score, t.locale)})"

    def block(node: Any, section_label: str | None) -> _Block:
        title = upper_vi(node.title) if section_label is None else node.title
        text = f"{node.code}. {title} ({t('max')} {format_score(node.max_score, t.locale)})"
        return _Block(text, len(cols) + 1, len(cols))

    for root in cset.roots_in("standard"):
        b = block(root, None)
        kids = cset.kids(root.code)
        own: list[str] = []
        fin: list[str] = []
        for kid in kids:
            start = len(cols) + 1
            own.append(add(_Col(b.top, head(kid), self_label, "score", kid.code, "self")))
            fin.append(add(_Col(b.top, head(kid), final_label, "score", kid.code, "final")))
            b.mids.append((head(kid), start, len(cols)))
        start = len(cols) + 1
        total_label = t("Field {code}").format(code=root.code)
        if kids:
            m = _num(root.max_score)
            s = add(
                _Col(
                    b.top,
                    total_label,
                    self_label,
                    "score_bold",
                    root.code,
                    "self",
                    formula=f"=MIN({m},SUM({','.join(c + '{r}' for c in own)}))",
                )
            )
            f = add(
                _Col(
                    b.top,
                    total_label,
                    final_label,
                    "score_bold",
                    root.code,
                    "final",
                    formula=f"=MIN({m},SUM({','.join(c + '{r}' for c in fin)}))",
                )
            )
        else:
            s = add(_Col(b.top, total_label, self_label, "score_bold", root.code, "self"))
            f = add(_Col(b.top, total_label, final_label, "score_bold", root.code, "final"))
        a = add(_Col(b.top, total_label, t("Applicable max"), "score", root.code, "app"))
        add(
            _Col(
                b.top,
                total_label,
                t("Component index (%)"),
                "index_bold",
                root.code,
                "index",
                formula=f'=IF({a}{{r}}=0,"",ROUND({f}{{r}}*100/{a}{{r}},2))',
            )
        )
        b.mids.append((total_label, start, len(cols)))
        b.last = len(cols)
        layout.blocks.append(b)
        layout.self_fields.append(s)
        layout.final_fields.append(f)
        layout.app_cells.append(a)

    for root in cset.roots_in("survey"):
        b = block(root, "survey")
        kids = cset.kids(root.code)
        points = t("Points")
        cells: list[str] = []
        for kid in kids:
            start = len(cols) + 1
            cells.append(add(_Col(b.top, head(kid), points, "score", kid.code, "final")))
            b.mids.append((head(kid), start, len(cols)))
        start = len(cols) + 1
        total_label = t("Total")
        if kids:
            m = _num(root.max_score)
            s = add(
                _Col(
                    b.top,
                    total_label,
                    points,
                    "score_bold",
                    root.code,
                    "final",
                    formula=f"=MIN({m},SUM({','.join(c + '{r}' for c in cells)}))",
                )
            )
        else:
            s = add(_Col(b.top, total_label, points, "score_bold", root.code, "final"))
        a = add(_Col(b.top, total_label, t("Applicable max"), "score", root.code, "app"))
        b.mids.append((total_label, start, len(cols)))
        b.last = len(cols)
        layout.blocks.append(b)
        layout.survey_scores.append(s)
        layout.app_cells.append(a)

    # Bonus and penalty: each group's total is capped at its printed maximum, as the roll-up
    # shows it; the summary caps the whole section over the items themselves (the period's cap
    # may be above a group's printed maximum, docs/scoring.md), so it sums the item cells.
    for section, target in (("bonus", layout.bonus_final), ("penalty", layout.penalty_final)):
        score_style = "deduction" if section == "penalty" else "score"
        total_style = "deduction_bold" if section == "penalty" else "score_bold"
        for root in cset.roots_in(section):
            b = block(root, section)
            kids = cset.kids(root.code)
            own, fin = [], []
            for kid in kids:
                start = len(cols) + 1
                own.append(add(_Col(b.top, head(kid), self_label, score_style, kid.code, "self")))
                fin.append(add(_Col(b.top, head(kid), final_label, score_style, kid.code, "final")))
                b.mids.append((head(kid), start, len(cols)))
            start = len(cols) + 1
            total_label = t("Total")
            m = _num(root.max_score)
            if kids:
                add(
                    _Col(
                        b.top,
                        total_label,
                        self_label,
                        total_style,
                        root.code,
                        "self",
                        formula=f"=MIN({m},SUM({','.join(c + '{r}' for c in own)}))",
                    )
                )
                add(
                    _Col(
                        b.top,
                        total_label,
                        final_label,
                        total_style,
                        root.code,
                        "final",
                        formula=f"=MIN({m},SUM({','.join(c + '{r}' for c in fin)}))",
                    )
                )
                target.extend(fin)
            else:
                add(_Col(b.top, total_label, self_label, total_style, root.code, "self"))
                target.append(
                    add(_Col(b.top, total_label, final_label, total_style, root.code, "final"))
                )
            b.mids.append((total_label, start, len(cols)))
            b.last = len(cols)
            layout.blocks.append(b)
    return layout


N_("Self")
N_("Appraisal")
N_("max")
N_("Field {code}")
N_("Applicable max")
N_("Component index (%)")
N_("Points")
N_("Total")


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def _sum(refs: Sequence[str]) -> str:
    return f"SUM({','.join(refs)})" if refs else "0"


def _title_rows(sheet: Sheet, data: ConsolidatedInput, t: _T, title: str) -> None:
    period = data.period
    sheet.merged_row(title, "title", height=24)
    sheet.merged_row(t("Period: {name}").format(name=period.name), "subtitle")
    when = format_datetime(data.generated_at, data.tz)
    status = (
        t("Results published on {date}.").format(date=format_date(period.published_at, data.tz))
        if period.published_at
        else t("Provisional figures: the results are not published yet.")
    )
    sheet.merged_row(f"{t('Generated at {when}').format(when=when)}. {status}", "caption")


N_("Period: {name}")
N_("Results published on {date}.")
N_("Provisional figures: the results are not published yet.")
N_("Generated at {when}")


def _picker(positions: Sequence[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """The values at these positions, always as a sequence (``itemgetter`` of one position
    returns the value itself)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    return lambda values: tuple(values[p] for p in positions)


class _MatrixFigures:
    """The roll-up's figures a group's matrix row shows (values, or the cached results of the
    column formulas), taken by position from both roll-ups in one C call: the per-node view
    (:attr:`forms.rollup.UnitRollup.nodes`) builds a result and an index for every node of
    every roll-up, which cost a province's workbook more than its 3,500 roll-ups."""

    def __init__(self, layout: MatrixLayout, tree: CriteriaTree) -> None:
        n = len(tree.codes)
        # positions in own scores + final scores + final applicable maxima + (None,)
        offset = {"self": 0, "final": n, "app": 2 * n, "index": n}
        positions: list[int] = []
        self.indexes: list[tuple[int, int]] = []  # (column, node position) of the indexes
        for ci, col in enumerate(layout.columns[3:]):
            if col.fig is None or col.code is None:
                positions.append(3 * n)
                continue
            pos = tree.position[col.code]
            positions.append(offset[col.fig] + pos)
            if col.fig == "index":
                self.indexes.append((ci, pos))
        self.pick = _picker(positions)

    def row(self, scores: UnitScores) -> list[Any]:
        """The matrix cells of one unit (the roll-ups are in points: :func:`unit_scores`)."""
        final = scores.final
        values = list(self.pick(scores.own.scores + final.scores + final.applicable + (None,)))
        for ci, pos in self.indexes:
            index = percent(final.scores[pos], final.applicable[pos])
            values[ci] = "" if index is None else round_half_up(index)
        return values


@dataclass
class _Summary:
    """The summary row's figures of one unit, from the appraised roll-up: the cached values of
    the summary's formulas."""

    own: Decimal
    final: UnitRollup
    rank: int | None
    band: str
    submitted: bool = True


def write_consolidated(
    data: ConsolidatedInput,
    target: str | Path | IO[bytes],
    progress: Progress | None = None,
) -> ConsolidatedStats:
    """Write the workbook to ``target`` (a path or a binary file); runs in a worker thread."""
    t = _T(data.locale)
    groups = data.groups
    total_units = sum(len(g.units) for g in groups)
    work = max(1, total_units * 5)  # roll-ups, summary, matrix, details, progress
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None and (done % 50 == 0 or done >= work):
            progress(min(done, work), work)

    book = Book(
        target,
        title=t("Consolidated results of the PAR index, year {year}").format(year=data.period.year),
        constant_memory=True,
    )
    taken: set[str] = set()
    summary_title = sheet_title(t("Summary"), taken)
    matrix_titles = [sheet_title(f"{t('Matrix')} {g.code}", taken) for g in groups]
    detail_title = sheet_title(t("Details"), taken)
    progress_title = sheet_title(t("Progress"), taken)
    chart_title = sheet_title(t("Charts"), taken)

    # Matrix values first: the roll-ups, reduced to the cells each matrix row needs, and the
    # summary figures (the cached values of its formulas) from the same roll-ups.
    layouts = [matrix_layout(g.criteria, t) for g in groups]
    matrix_values: list[list[list[Any]]] = []
    summaries: list[list[_Summary]] = []
    mismatches: list[str] = []
    for g, layout in zip(groups, layouts, strict=True):
        rows: list[list[Any]] = []
        indexes: dict[int, Decimal | None] = {}
        totals: dict[int, Decimal] = {}
        finals: list[tuple[Decimal, UnitRollup]] = []
        matrix = _MatrixFigures(layout, g.criteria.tree)
        for u in g.units:
            scores = unit_scores(g.criteria.tree, u.answers, u.survey, data.period.options)
            rows.append(matrix.row(scores))
            indexes[u.unit_id] = scores.final.index
            totals[u.unit_id] = scores.final.total
            finals.append((scores.own.standard, scores.final))
            tick()
        matrix_values.append(rows)
        # units that never submitted are not ranked, or ranked after the others (the period's
        # option): the results' own rule, which the RANK formulas below follow
        rank_last = data.period.rank_unsubmitted_last
        sent = {u.unit_id for u in g.units if u.submitted_at is not None}
        ranks = ranks_apart(
            {k: None if v is None else round_half_up(v) for k, v in indexes.items()},
            sent,
            rank_last=rank_last,
        )
        summaries.append(
            [
                _Summary(
                    own,
                    final,
                    ranks[u.unit_id],
                    (classify(final.index, g.bands) or "")
                    if rank_last or u.unit_id in sent
                    else "",
                    u.unit_id in sent,
                )
                for u, (own, final) in zip(g.units, finals, strict=True)
            ]
        )
        if data.snapshot is not None:
            for u in g.units:
                snap = data.snapshot.get(u.unit_id)
                index = indexes[u.unit_id]
                mine = {
                    "total": dec(totals[u.unit_id]),
                    "index": dec(round_half_up(index)) if index is not None else None,
                    "rank": ranks[u.unit_id],
                }
                if snap is None or any(snap.get(k) != v for k, v in mine.items()):
                    mismatches.append(u.code)

    # -- Tổng hợp --------------------------------------------------------------------------
    summary = book.sheet(summary_title, widths=(6, 42, 12, 12, 11, 10, 10, 12, 11, 10, 13, 10))
    width = 12
    header_row = 5
    summary.freeze(f"A{header_row + 2}")
    summary.print_titles(header_row, header_row + 1)
    _title_rows(
        summary,
        data,
        t,
        t("CONSOLIDATED RESULTS OF THE PAR INDEX, YEAR {year}").format(year=data.period.year),
    )
    if mismatches:
        summary.merged_row(
            t(
                "Warning: the data changed after publication; these figures differ from the "
                "published results for: {units}."
            ).format(units=", ".join(mismatches[:20]) + (" …" if len(mismatches) > 20 else "")),
            "warning",
        )
    else:
        summary.blank()
    header = summary.row(
        [t(h) for h in SUMMARY_HEADERS], summary.styles(*["header"] * width), height=45
    )
    assert header == header_row, "the frozen panes and print titles expect the header here"
    summary.row([f"({i})" for i in range(1, width + 1)], summary.styles(*["colnum"] * width))
    unit_styles = summary.styles(
        "int",
        "text",
        "score",
        "score",
        "score",
        "score",
        "deduction",
        "score_bold",
        "index_bold",
        "int_bold",
        "text_center",
        "text_center",
    )
    group_styles = summary.styles("group_center", *["group"] * (width - 1))
    chart_ranges: list[tuple[str, int, int]] = []
    for gi, (g, layout, mtitle, figures) in enumerate(
        zip(groups, layouts, matrix_titles, summaries, strict=True)
    ):
        row = summary.row([roman(gi + 1), upper_vi(g.name)] + [None] * (width - 2), group_styles)
        summary.merge(row, 2, width)
        first = summary.rows + 1
        last = summary.rows + len(g.units)
        m = quote_sheet(mtitle) + "!"
        # what every row of the group repeats, built once: the matrix columns with the sheet's
        # name, the caps, and the band thresholds (highest first) with their labels
        app_cols, own_cols, fin_cols, survey_cols, bonus_cols, penalty_cols = (
            [m + c for c in letters]
            for letters in (
                layout.app_cells,
                layout.self_fields,
                layout.final_fields,
                layout.survey_scores,
                layout.bonus_final,
                layout.penalty_final,
            )
        )
        bonus_cap = data.period.options.bonus_cap
        if bonus_cap is None:
            bonus_cap = g.criteria.section_max("bonus")
        penalty_cap = data.period.options.penalty_cap
        if penalty_cap is None:
            penalty_cap = g.criteria.section_max("penalty")
        bonus_max, penalty_max = _num(bonus_cap), _num(penalty_cap)
        bands = [
            (_num(b.min_index), formula_text(b.label))
            for b in sorted(g.bands, key=lambda b: b.min_index, reverse=True)
        ]
        band_end = '""' + ")" * len(bands)
        for i, (u, fig) in enumerate(zip(g.units, figures, strict=True)):
            s = summary.rows + 1
            mr = _MATRIX_FIRST_ROW + i

            def refs(columns: list[str], mr: int = mr) -> list[str]:
                return [f"{c}{mr}" for c in columns]

            app = _sum(refs(app_cols))
            own = _sum(refs(own_cols))
            fin = _sum(refs(fin_cols))
            survey = _sum(refs(survey_cols))
            bonus = f"MIN({bonus_max},{_sum(refs(bonus_cols))})" if bonus_cols else "0"
            penalty = f"MIN({penalty_max},{_sum(refs(penalty_cols))})" if penalty_cols else "0"
            numerator = f"H{s}" if data.period.options.bonus_in_index else f"(D{s}+E{s})"
            ratio = f"{numerator}*100/{app}"
            if data.period.options.cap_index_at_100:
                ratio = f"MIN(100,{ratio})"
            band = "".join(f"IF(I{s}>={least},{label}," for least, label in bands) + band_end
            final = fig.final
            index = "" if final.index is None else round_half_up(final.index)
            # ranks among the submitted sheets only (column L), as the results rank them;
            # with the period's option, the others after every ranked submitted sheet
            sent_col, idx_col = f"L${first}:L${last}", f"I${first}:I${last}"
            above = f'">"&I{s}'
            rank_cell: Any
            band_cell: Any
            if fig.submitted:
                rank_cell = Formula(
                    f'=IF(I{s}="","",COUNTIFS({sent_col},"{SENT}",{idx_col},{above})+1)',
                    "" if fig.rank is None else fig.rank,
                )
            elif data.period.rank_unsubmitted_last:
                rank_cell = Formula(
                    f'=IF(I{s}="","",COUNTIFS({sent_col},"{SENT}",{idx_col},">=0")'
                    f'+COUNTIFS({sent_col},"<>{SENT}",{idx_col},{above})+1)',
                    "" if fig.rank is None else fig.rank,
                )
            else:
                rank_cell = None  # listed, not ranked (docs/scoring.md, section 4)
            if fig.submitted or data.period.rank_unsubmitted_last:
                band_cell = Formula(f'=IF(I{s}="","",{band})', fig.band if index != "" else "")
            else:
                band_cell = None
            summary.row(
                [
                    i + 1,
                    u.name,
                    Formula(f"={own}", fig.own),
                    Formula(f"={fin}", final.standard),
                    Formula(f"={survey}", final.survey),
                    Formula(f"={bonus}", final.bonus),
                    Formula(f"={penalty}", final.penalty),
                    Formula(f"=MAX(0,D{s}+E{s}+F{s}-G{s})", final.total),
                    Formula(f'=IF({app}=0,"",ROUND({ratio},2))', index),
                    rank_cell,
                    band_cell,
                    SENT if fig.submitted else t("not submitted"),
                ],
                unit_styles,
            )
            tick()
        if g.units:
            chart_ranges.append((g.name, first, last))
    _signature(summary, t)

    # -- Ma trận ---------------------------------------------------------------------------
    for g, layout, mtitle, values in zip(
        groups, layouts, matrix_titles, matrix_values, strict=True
    ):
        _matrix_sheet(book, data, t, g, layout, mtitle, values, tick)

    # -- Chi tiết --------------------------------------------------------------------------
    detail_rows = _detail_sheet(book, data, t, detail_title, tick)

    # -- Tiến độ ---------------------------------------------------------------------------
    _progress_sheet(book, data, t, progress_title, tick)

    # -- Biểu đồ ---------------------------------------------------------------------------
    _chart_sheet(book, t, chart_title, summary, chart_ranges)

    cells = book.cells_written
    formulas = book.formulas_written
    book.close()
    if progress is not None:
        progress(work, work)
    return ConsolidatedStats(
        groups=len(groups),
        units=total_units,
        detail_rows=detail_rows,
        cells=cells,
        mismatches=mismatches,
        formulas=formulas,
    )


N_("Consolidated results of the PAR index, year {year}")
N_("CONSOLIDATED RESULTS OF THE PAR INDEX, YEAR {year}")
N_("Summary")
N_("Matrix")
N_("Details")
N_("Progress")
N_("Charts")
N_(
    "Warning: the data changed after publication; these figures differ from the published "
    "results for: {units}."
)

_MATRIX_HEADER_ROW = 4  # three header rows: 4, 5, 6
_MATRIX_FIRST_ROW = 7


def _signature(sheet: Sheet, t: _T) -> None:
    """ "Người lập biểu" on the left, the head of the agency on the right, room to sign."""
    sheet.signatures(
        t("……………, day …… month …… year ……"),
        (t("PREPARED BY"), t("(Signature, full name)"), ""),
        (t("HEAD OF THE AGENCY"), t("(Signature, full name and seal)"), ""),
    )


N_("……………, day …… month …… year ……")
N_("PREPARED BY")
N_("HEAD OF THE AGENCY")
N_("(Signature, full name)")
N_("(Signature, full name and seal)")


def _matrix_sheet(
    book: Book,
    data: ConsolidatedInput,
    t: _T,
    g: GroupEntry,
    layout: MatrixLayout,
    title: str,
    values: list[list[Any]],
    tick: Callable[[], None],
) -> None:
    cols = layout.columns
    width = len(cols)
    widths = [6, 10, 34] + [9] * (width - 3)
    sheet = book.sheet(title, widths=widths)
    sheet.freeze(f"D{_MATRIX_FIRST_ROW}")
    sheet.print_titles(_MATRIX_HEADER_ROW, _MATRIX_FIRST_ROW - 1)
    sheet.merged_row(
        t("SCORES BY FIELD AND CRITERION — {group}").format(group=upper_vi(g.name)),
        "title",
        height=24,
    )
    sheet.merged_row(t("Period: {name}").format(name=data.period.name), "subtitle")
    sheet.merged_row(
        t("Generated at {when}").format(when=format_datetime(data.generated_at, data.tz))
        + ". "
        + t("Field totals and component indexes are formulas over the criterion scores."),
        "caption",
    )
    header = sheet.styles(*["header"] * width)
    top: list[Any] = [None] * width
    mid: list[Any] = [None] * width
    low: list[Any] = [c.low for c in cols]
    for b in layout.blocks:
        top[b.first - 1] = b.top
        for text, first, _last in b.mids:
            mid[first - 1] = text
    # Merges are made right after their row: a constant-memory sheet writes a row out as soon
    # as the next one starts, so nothing is merged downwards (the unit columns are labelled in
    # the lowest header row).
    r_top = sheet.row(top, header, height=48)
    for b in layout.blocks:
        sheet.merge(r_top, b.first, b.last)
    r_mid = sheet.row(mid, header, height=30)
    for b in layout.blocks:
        for _text, first, last in b.mids:
            sheet.merge(r_mid, first, last)
    sheet.row(low, header, height=30)
    styles = sheet.styles(*[c.style for c in cols])
    formulas = [(i, c.formula) for i, c in enumerate(cols) if c.formula]
    for i, (u, row_values) in enumerate(zip(g.units, values, strict=True)):
        r = _MATRIX_FIRST_ROW + i
        row: list[Any] = [i + 1, u.code, u.name, *row_values]
        for ci, f in formulas:
            row[ci] = Formula(f.replace("{r}", str(r)), row[ci])
        sheet.row(row, styles)
        tick()


N_("SCORES BY FIELD AND CRITERION — {group}")
N_("Field totals and component indexes are formulas over the criterion scores.")


def _detail_sheet(
    book: Book, data: ConsolidatedInput, t: _T, title: str, tick: Callable[[], None]
) -> int:
    widths = (7, 18, 10, 28, 8, 48, 9, 22, 10, 10, 10, 10, 8, 32, 32)
    width = len(widths)
    sheet = book.sheet(title, widths=widths)
    header_row = 4
    sheet.freeze(f"A{header_row + 1}")
    sheet.print_titles(header_row, header_row)
    sheet.merged_row(t("SCORES OF EVERY COMPONENT CRITERION"), "title", height=24)
    sheet.merged_row(t("Period: {name}").format(name=data.period.name), "subtitle")
    sheet.merged_row(
        t("Generated at {when}").format(when=format_datetime(data.generated_at, data.tz)),
        "caption",
    )
    header = sheet.row([t(h) for h in DETAIL_HEADERS], sheet.styles(*["header"] * width), height=32)
    assert header == header_row, "the frozen panes and print titles expect the header here"
    styles = sheet.styles(
        "int",
        "text_small",
        "text_center",
        "text",
        "text_center",
        "text",
        "score",
        "text_small",
        "score",
        "score",
        "score",
        "score_bold",
        "int",
        "text_small",
        "text_small",
    )
    # penalty items: their points as deductions ("-1,00")
    penalty_styles = sheet.styles(
        "int",
        "text_small",
        "text_center",
        "text",
        "text_center",
        "text",
        "deduction",
        "text_small",
        "deduction",
        "deduction",
        "deduction",
        "deduction_bold",
        "int",
        "text_small",
        "text_small",
    )
    describer = Describer(data.locale)
    survey_label = t("(survey)")
    round1, round2 = t("Round 1: {comment}"), t("Round 2: {comment}")
    stt = 0
    for g in data.groups:
        # what a row repeats of its item: code, title, maximum (a float, written as is), styles
        leaves = [
            (
                n,
                n.code,
                n.title,
                float(n.max_score),
                penalty_styles if n.section == "penalty" else styles,
            )
            for n in g.criteria.leaves
        ]
        visible = g.visible
        for u in g.units:
            answers, survey = u.answers, u.survey
            unit = (g.name, u.code, u.name)
            shown = leaves if visible is None else [x for x in leaves if visible(x[1], u.unit_id)]
            for node, code, title, top, row_styles in shown:
                stt += 1
                if node.section == "survey":
                    value = survey.get(code)
                    cells = (survey_label, value, None, None, value, None, None, None)
                else:
                    a = answers.get(code)
                    if a is None:
                        cells = (None, None, None, None, None, 0, None, None)
                    else:
                        reviewed = a.round2 if a.round2 is not None else a.round1
                        own = None if a.not_applicable else a.self_score
                        comments = None
                        if a.comment1 or a.comment2:
                            parts = []
                            if a.comment1:
                                parts.append(round1.format(comment=a.comment1))
                            if a.comment2:
                                parts.append(round2.format(comment=a.comment2))
                            comments = "\n".join(parts)
                        cells = (
                            describer(node, a),
                            own,
                            a.round1,
                            a.round2,
                            own if reviewed is None else reviewed,  # the service's final score
                            a.files,
                            a.note or None,
                            comments,
                        )
                sheet.row((stt, *unit, code, title, top, *cells), row_styles)
            tick()
    sheet.autofilter(header_row, max(sheet.rows, header_row + 1))
    return stt


N_("SCORES OF EVERY COMPONENT CRITERION")
N_("(survey)")
N_("Round 1: {comment}")
N_("Round 2: {comment}")


def _progress_sheet(
    book: Book, data: ConsolidatedInput, t: _T, title: str, tick: Callable[[], None]
) -> None:
    widths = (6, 10, 34, 16, 10, 10, 10, 10, 24, 16, 10, 26)
    width = len(widths)
    sheet = book.sheet(title, widths=widths)
    header_row = 4
    sheet.freeze(f"A{header_row + 1}")
    sheet.print_titles(header_row, header_row)
    sheet.merged_row(t("PROGRESS OF THE SELF-ASSESSMENT"), "title", height=24)
    sheet.merged_row(t("Period: {name}").format(name=data.period.name), "subtitle")
    sheet.merged_row(
        t("Generated at {when}").format(when=format_datetime(data.generated_at, data.tz)),
        "caption",
    )
    header = sheet.row(
        [t(h) for h in PROGRESS_HEADERS], sheet.styles(*["header"] * width), height=45
    )
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
        "int",
        "text_small",
    )
    group_styles = sheet.styles("group_center", *["group"] * (width - 1))
    for gi, g in enumerate(data.groups):
        r = sheet.row([roman(gi + 1), upper_vi(g.name)] + [None] * (width - 2), group_styles)
        sheet.merge(r, 2, width)
        items = [n for n in g.criteria.leaves if n.section != "survey"]
        for i, u in enumerate(g.units):
            p = unit_progress(u.answers, items)
            submitted = u.submitted_at.astimezone(data.tz) if u.submitted_at else None
            sheet.row(
                (
                    i + 1,
                    u.code,
                    u.name,
                    t(STATUS_LABELS.get(u.status, u.status)),
                    p.answered,
                    p.items,
                    p.share,
                    len(p.missing),
                    ", ".join(p.missing) or None,
                    submitted,
                    u.reminders,
                    "; ".join(u.blocked) or None,
                ),
                styles,
            )
            tick()


N_("PROGRESS OF THE SELF-ASSESSMENT")


def _chart_sheet(
    book: Book,
    t: _T,
    title: str,
    summary: Sheet,
    ranges: list[tuple[str, int, int]],
) -> None:
    """One horizontal bar chart per group over the summary's index formulas. Each bar gets a
    fixed height and its value label sits at the bar's end in a small font, so labels do not
    overlap however many units a group has (they did in LibreOffice with the default layout);
    the first unit is on top, as in the table."""
    sheet = book.sheet(title, widths=[10] * 16)
    anchor = 0
    for name, first, last in ranges:
        n = last - first + 1
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "categories": [summary.title, first - 1, 1, last - 1, 1],
                "values": [summary.title, first - 1, 8, last - 1, 8],
                "data_labels": {
                    "value": True,
                    "position": "outside_end",
                    "num_format": "0.00",
                    "font": {"name": "Times New Roman", "size": 8},
                },
                "gap": 60,
                "fill": {"color": "#2F5597"},
            }
        )
        chart.set_title(
            {
                "name": f"{t('PAR index by unit')} — {name}",
                "name_font": {"name": "Times New Roman", "size": 12, "bold": True},
            }
        )
        chart.set_x_axis(
            {
                "name": t("Index (%)"),
                "min": 0,
                "num_font": {"name": "Times New Roman", "size": 9},
                "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            }
        )
        chart.set_y_axis({"reverse": True, "num_font": {"name": "Times New Roman", "size": 9}})
        chart.set_legend({"none": True})
        height = max(220, 22 * n + 90)
        chart.set_size({"width": 1000, "height": height})
        sheet.ws.insert_chart(anchor, 0, chart)
        anchor += height // 20 + 3
    if not ranges:
        sheet.row([t("No unit has results yet.")])


N_("PAR index by unit")
N_("No unit has results yet.")
