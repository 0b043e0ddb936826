"""Excel exports from the database: the consolidated workbook of a period, a unit's scorecard,
its evidence register and the zip of its evidence.

Each export checks who is asking, reads what it needs in a few queries (async, on the event
loop), then computes and writes the workbook in a worker thread (:func:`asyncio.to_thread`) with
XlsxWriter through core.xlsx, so the bot and the web app keep answering while a province-wide
workbook is written. Each export writes one audit event.

Who may export what (the rules of :mod:`scoring.assignments`, as for reading results):

* administrators, viewers and the command line: everything;
* appraisers: the consolidated workbook (its item-level "Chi tiết" sheet limited to the items
  under their assignments), and the scorecard, register and zip of any unit, limited to those
  items; an appraiser without assignments sees no unit (403);
* officers: their own unit's scorecard only (the bot and the web form hand it out).

The consolidated figures are computed exactly as :func:`scoring.results.compute` computes them.
For a published period they are also compared with the published snapshot; a difference (data
changed after publication) is printed as a warning on the summary sheet rather than hidden.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from core.audit import Actor, record
from core.auth import NotFound, require_role
from core.files import FileStore
from core.i18n import N_, Msg
from core.links import evidence_link, token_valid
from core.metrics import EXPORT_DURATION
from core.models import Officer, OfficerRole, Unit
from core.timefmt import VIETNAM
from forms.answers import NotAllowedError, self_assessment_window
from forms.models import Assessment, Evidence, Period, PeriodGroup
from forms.outline import Outline, outline_of
from scoring import queries
from scoring.assignments import scope_for
from scoring.loader import answer_rows, bands_of, load_period
from scoring.models import Explanation, ResultSnapshot, SurveyScore
from scoring.results import rank_unsubmitted_last, rollup_options
from scoring.workbooks.consolidated import (
    ConsolidatedInput,
    GroupEntry,
    UnitEntry,
    write_consolidated,
)
from scoring.workbooks.model import PeriodInfo, to_decimal
from scoring.workbooks.paths import ascii_slug
from scoring.workbooks.progress import write_progress
from scoring.workbooks.register import (
    RegisterInput,
    assign_zip_paths,
    folder_name,
    register_file_name,
    write_register,
    zip_chunks,
)
from scoring.workbooks.scorecard import (
    EvidenceEntry,
    ExplanationEntry,
    ScorecardInput,
    write_scorecard,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"

# (stage, done, total): stage "load" while reading the database, "write" while writing.
ProgressFn = Callable[[str, int, int], None]
# Delivered reminders per score sheet of a period (assessment id -> count). The scheduler keeps
# them; app passes its count (scheduler.ledger.sent_per_sheet), since scoring never reads a
# channel's tables. None: every sheet shows 0.
ReminderCounts = Callable[[Period], Awaitable[dict[int, int]]]
Target = str | Path | IO[bytes]


@dataclass(frozen=True)
class Export:
    """What was written: a file name to offer, its media type, and figures for the log."""

    filename: str
    media_type: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class ZipExport:
    filename: str
    files: int
    chunks: AsyncIterator[bytes]
    media_type: str = ZIP


def download_url(public_url: str, evidence_id: int) -> str:
    """The address of an evidence file in the API; it checks the reader's rights itself."""
    return f"{public_url.rstrip('/')}/api/v1/evidence/{evidence_id}/download"


async def shared_evidence(
    evidence_id: int, token: str | None, *, secret: str, now: datetime
) -> Any:
    """The evidence row behind a signed, expiring link (:mod:`core.links`) that an officer's
    scorecard carries; a wrong, altered or expired link, or a removed file, is "not found"
    (nothing tells which)."""
    evidence = (
        await Evidence.get_or_none(id=evidence_id, removed_at=None)
        if token_valid(secret, evidence_id, token, now)
        else None
    )
    if evidence is None:
        raise NotFound(
            Msg(N_("This evidence link is not valid or has expired; download the scorecard again."))
        )
    return evidence


# ----------------------------------------------------------------------------------------------
# Looking things up
# ----------------------------------------------------------------------------------------------


async def _period(period_id: int) -> Period:
    period = await Period.get_or_none(id=period_id)
    if period is None:
        raise NotFound(Msg(N_("There is no period with the id {id}."), id=period_id))
    return period


async def period_id_of(code: str) -> int:
    """The id of the period with this code (for the command line)."""
    period = await Period.get_or_none(code=code.strip())
    if period is None:
        raise NotFound(Msg(N_("There is no period with the code “{code}”."), code=code))
    return period.id


async def unit_id_of(code: str) -> int:
    unit = await Unit.get_or_none(code=code.strip())
    if unit is None:
        raise NotFound(Msg(N_("There is no unit with the code “{code}”."), code=code))
    return unit.id


def _period_info(period: Period) -> PeriodInfo:
    return PeriodInfo(
        id=period.id,
        code=period.code,
        name=period.name,
        year=period.year,
        status=str(period.status),
        published_at=period.published_at,
        options=rollup_options(period),
        rank_unsubmitted_last=rank_unsubmitted_last(period),
    )


async def _visible_for(actor: Actor, set_id: int) -> Callable[[str, int], bool] | None:
    """Which items of which unit the actor sees (None: all): an appraiser's whole-set
    assignments in every unit, and those made for one unit in that unit."""
    scope = await scope_for(actor, set_id)
    if scope.everything or scope.unit_id is not None:
        return None
    return scope.sees_item


def _took(kind: str, started: float) -> None:
    """Observe one finished export; refused or failed ones are not timed (they would make the
    durations look fast)."""
    EXPORT_DURATION.labels(kind=kind).observe(time.perf_counter() - started)


async def _report(progress: ProgressFn | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def _thread_progress(progress: ProgressFn | None) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress("write", done, total)


# ----------------------------------------------------------------------------------------------
# The consolidated workbook
# ----------------------------------------------------------------------------------------------


async def load_consolidated(
    actor: Actor,
    period_id: int,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    locale: str = "vi",
    reminder_counts: ReminderCounts | None = None,
) -> ConsolidatedInput:
    """Everything the consolidated workbook shows, read in a handful of queries."""
    await require_role(actor)  # every back-office role and the command line; not officers
    period = await _period(period_id)
    loaded = await load_period(period, details=True)
    visible = {g.criteria.id: await _visible_for(actor, g.criteria.id) for g in loaded.groups}
    reminders = await reminder_counts(period) if reminder_counts else {}
    blocked: dict[int, list[str]] = defaultdict(list)
    for unit_id, name in await Officer.filter(
        bot_blocked_at__isnull=False, active=True
    ).values_list("unit_id", "full_name"):
        blocked[unit_id].append(name)  # type: ignore[index]
    groups = [
        GroupEntry(
            id=g.id,
            code=g.code,
            name=g.name,
            criteria=g.criteria,
            bands=g.bands,
            units=[
                UnitEntry(
                    unit_id=sheet.unit_id,
                    code=sheet.unit_code,
                    name=sheet.unit_name,
                    assessment_id=sheet.assessment_id,
                    status=sheet.status,
                    submitted_at=sheet.submitted_at,
                    answers=loaded.answers.get(sheet.assessment_id, {}),
                    survey=sheet.survey_scores(g.criteria),
                    reminders=reminders.get(sheet.assessment_id, 0),
                    blocked=blocked.get(sheet.unit_id, []),
                )
                for sheet in g.sheets
            ],
            visible=visible[g.criteria.id],
        )
        for g in loaded.groups
    ]
    snapshot = None
    if period.published_at is not None:
        snapshot = {}
        for data in await ResultSnapshot.filter(period_id=period.id).values_list("data", flat=True):
            table = json.loads(data) if isinstance(data, str) else data
            for u in table.get("units", []):  # type: ignore[union-attr]
                figures = u.get("appraised", {})
                snapshot[u["unit_id"]] = {
                    "total": figures.get("total"),
                    "index": figures.get("index"),
                    "rank": figures.get("rank"),
                    "submitted": u.get("submitted", True),
                }
    return ConsolidatedInput(
        period=_period_info(period),
        generated_at=now,
        tz=tz,
        groups=groups,
        locale=locale,
        snapshot=snapshot,
    )


def consolidated_name(period: PeriodInfo) -> str:
    return f"bang-tong-hop-chi-so-cchc-{period.year}-{ascii_slug(period.code)}.xlsx"


async def consolidated(
    actor: Actor,
    period_id: int,
    target: Target,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    locale: str = "vi",
    progress: ProgressFn | None = None,
    reminder_counts: ReminderCounts | None = None,
) -> Export:
    """Write the consolidated workbook of a period to ``target`` (a path or a binary file)."""
    started = time.perf_counter()
    await _report(progress, "load", 0, 1)
    data = await load_consolidated(
        actor, period_id, now=now, tz=tz, locale=locale, reminder_counts=reminder_counts
    )
    await _report(progress, "load", 1, 1)
    stats = await asyncio.to_thread(write_consolidated, data, target, _thread_progress(progress))
    figures = {
        "groups": stats.groups,
        "units": stats.units,
        "detail_rows": stats.detail_rows,
        "published": data.period.published_at is not None,
    }
    if stats.mismatches:
        figures["differs_from_published"] = stats.mismatches
    await record(actor, "export.consolidated", "period", period_id, new=figures)
    _took("consolidated", started)
    return Export(consolidated_name(data.period), XLSX, {**figures, "cells": stats.cells})


# ----------------------------------------------------------------------------------------------
# The progress workbook
# ----------------------------------------------------------------------------------------------


async def progress_workbook(
    actor: Actor,
    period_id: int,
    target: Target,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    locale: str = "vi",
    reminder_counts: ReminderCounts | None = None,
) -> Export:
    """Write the progress workbook of a period ("Tiến độ tự đánh giá"): completeness and
    timeliness by unit, as the progress board shows them. Every back-office role."""
    started = time.perf_counter()
    data = await load_consolidated(
        actor, period_id, now=now, tz=tz, locale=locale, reminder_counts=reminder_counts
    )
    period = await _period(period_id)
    deadlines = {
        a.id: self_assessment_window(period, a).closes_at
        for a in await Assessment.filter(period_id=period.id)
    }
    stats = await asyncio.to_thread(write_progress, data, deadlines, target)
    figures = {"units": stats.units, "submitted": stats.submitted}
    await record(actor, "export.progress", "period", period_id, new=figures)
    _took("progress", started)
    name = f"tien-do-tu-danh-gia-{data.period.year}-{ascii_slug(data.period.code)}.xlsx"
    return Export(name, XLSX, {**figures, "cells": stats.cells})


# ----------------------------------------------------------------------------------------------
# One unit: scorecard, register, zip
# ----------------------------------------------------------------------------------------------


@dataclass
class _UnitData:
    period: Period
    assessment: Assessment
    unit: Unit
    group_name: str
    criteria: Outline
    bands: list[Any]
    visible: Callable[[str], bool] | None


async def _unit(actor: Actor, period_id: int, unit_id: int, *, officers: bool) -> _UnitData:
    period = await _period(period_id)
    unit = await Unit.get_or_none(id=unit_id).prefetch_related("group")
    assessment = (
        await Assessment.get_or_none(period_id=period.id, unit_id=unit_id).prefetch_related(
            "criteria_set"
        )
        if unit is not None
        else None
    )
    if unit is None or assessment is None:
        raise NotFound(Msg(N_("The unit {id} has no score sheet in this period."), id=unit_id))
    if actor.kind == "officer" and not officers:
        raise NotAllowedError(
            Msg(
                N_(
                    "Officers can download their unit's scorecard only; the evidence register "
                    "is for the secretariat and the appraisers."
                )
            )
        )
    scope = await scope_for(actor, assessment.criteria_set_id)  # type: ignore[attr-defined]
    if not scope.sees_unit(unit.id):
        raise NotAllowedError(Msg(N_("You may not see this unit's score sheet.")))
    # an appraiser's items in this unit: whole-set assignments and those made for this unit
    visible = (
        None
        if scope.everything or scope.unit_id is not None
        else functools.partial(scope.sees_item, unit_id=unit.id)
    )
    link = await PeriodGroup.get_or_none(period_id=period.id, unit_group_id=unit.group.id)
    return _UnitData(
        period=period,
        assessment=assessment,
        unit=unit,
        group_name=unit.group.name,
        criteria=await outline_of(assessment.criteria_set),
        bands=bands_of(link.bands) if link is not None else [],
        visible=visible,
    )


async def _evidence(u: _UnitData, *, files: FileStore | None) -> list[EvidenceEntry]:
    """The unit's live evidence files visible to the reader, in questionnaire order."""
    rows = await Evidence.filter(answer__assessment_id=u.assessment.id, removed_at=None).values(
        "id",
        "answer__node__code",
        "sha256",
        "size",
        "original_name",
        "content_type",
        "page_ref",
        "channel",
        "created_at",
        "uploaded_by_officer__full_name",
        "uploaded_by_user__full_name",
    )
    explained = set(
        await Evidence.filter(
            answer__assessment_id=u.assessment.id, explanations__id__isnull=False
        ).values_list("id", flat=True)
    )
    position = {n.code: n.position for n in u.criteria.nodes}
    out = []
    for r in rows:
        code = r["answer__node__code"]
        if u.visible is not None and not u.visible(code):
            continue
        stored = True
        if files is not None:
            stored = await asyncio.to_thread(files.exists, r["sha256"])
        out.append(
            EvidenceEntry(
                id=r["id"],
                item_code=code,
                name=r["original_name"],
                size=int(r["size"]),
                sha256=r["sha256"],
                content_type=r["content_type"] or "",
                created_at=r["created_at"],
                uploader=r["uploaded_by_officer__full_name"]
                or r["uploaded_by_user__full_name"]
                or "",
                channel=r["channel"] or "",
                page_ref=r["page_ref"] or "",
                for_explanation=r["id"] in explained,
                stored=stored,
            )
        )
    out.sort(key=lambda e: (position.get(e.item_code, 1 << 30), e.created_at or 0, e.id))
    return out


async def load_scorecard(
    actor: Actor,
    period_id: int,
    unit_id: int,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    public_url: str,
    locale: str = "vi",
) -> tuple[ScorecardInput, _UnitData]:
    u = await _unit(actor, period_id, unit_id, officers=True)
    aid = u.assessment.id
    node_codes = {n.id: n.code for n in u.criteria.nodes}
    answers = answer_rows(*await queries.answers(sheet_id=aid), node_codes).get(aid, {})
    if u.visible is not None:
        answers = {c: a for c, a in answers.items() if u.visible(c)}
    survey = {
        s.node_code: Decimal(s.score)
        for s in await SurveyScore.filter(period_id=u.period.id, unit_id=u.unit.id)
    }
    evidence: dict[str, list[EvidenceEntry]] = defaultdict(list)
    for e in await _evidence(u, files=None):
        evidence[e.item_code].append(e)
    explanations: dict[str, list[ExplanationEntry]] = defaultdict(list)
    for x in (
        await Explanation.filter(review__answer__assessment_id=aid, submitted_at__isnull=False)
        .order_by("id")
        .values("review__answer__node__code", "text", "proposed_score")
    ):
        code = x["review__answer__node__code"]
        if u.visible is None or u.visible(code):
            explanations[code].append(
                ExplanationEntry(x["text"] or "", to_decimal(x["proposed_score"]))
            )
    officers = await Officer.filter(unit_id=u.unit.id, active=True).order_by("id")
    submitted_by = getattr(u.assessment, "submitted_by_id", None)
    focal = next((o for o in officers if o.id == submitted_by), None) or next(
        (o for o in officers if o.role == OfficerRole.focal), None
    )
    leader = next((o for o in officers if o.role == OfficerRole.leader), None)
    data = ScorecardInput(
        period=_period_info(u.period),
        generated_at=now,
        tz=tz,
        unit_code=u.unit.code,
        unit_name=u.unit.name,
        group_name=u.group_name,
        status=str(u.assessment.status),
        submitted_at=u.assessment.submitted_at,
        criteria=u.criteria,
        bands=u.bands,
        answers=answers,
        download_url=lambda evidence_id: download_url(public_url, evidence_id),
        survey=survey,
        evidence=dict(evidence),
        explanations=dict(explanations),
        visible=u.visible,
        focal_name=focal.full_name if focal else "",
        leader_name=leader.full_name if leader else "",
        locale=locale,
    )
    return data, u


async def scorecard(
    actor: Actor,
    period_id: int,
    unit_id: int,
    target: Target,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    public_url: str,
    locale: str = "vi",
    progress: ProgressFn | None = None,
    link_secret: str | None = None,
) -> Export:
    """Write one unit's "Bảng tự đánh giá, chấm điểm" to ``target``. With ``link_secret``
    (``CCHC_SECRET_KEY``), an officer's copy links its evidence files to signed addresses that
    work without a back-office account (:mod:`core.links`)."""
    started = time.perf_counter()
    await _report(progress, "load", 0, 1)
    data, u = await load_scorecard(
        actor, period_id, unit_id, now=now, tz=tz, public_url=public_url, locale=locale
    )
    if link_secret is not None and actor.kind == "officer":
        # an officer (and the leader they forward it to) cannot open the back-office download
        # route: their workbook links to signed, expiring addresses instead
        data.download_url = lambda evidence_id: evidence_link(
            link_secret, public_url, evidence_id, now
        )
    await _report(progress, "write", 0, 1)
    stats = await asyncio.to_thread(write_scorecard, data, target)
    await _report(progress, "write", 1, 1)
    await record(
        actor,
        "export.scorecard",
        "assessment",
        u.assessment.id,
        unit_id=u.unit.id,
        new={"period_id": period_id, "rows": stats.rows, "files": stats.files},
    )
    _took("scorecard", started)
    name = f"bang-tu-danh-gia-{ascii_slug(u.unit.code)}-{u.period.year}.xlsx"
    return Export(name, XLSX, {"rows": stats.rows, "files": stats.files, "cells": stats.cells})


async def load_register(
    actor: Actor,
    period_id: int,
    unit_id: int,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    public_url: str,
    files: FileStore | None,
    locale: str = "vi",
) -> tuple[RegisterInput, _UnitData]:
    u = await _unit(actor, period_id, unit_id, officers=False)
    entries = await _evidence(u, files=files)
    assign_zip_paths(entries, u.criteria, folder_name(u.unit.code, u.period.year, locale))
    data = RegisterInput(
        period=_period_info(u.period),
        generated_at=now,
        tz=tz,
        unit_code=u.unit.code,
        unit_name=u.unit.name,
        group_name=u.group_name,
        criteria=u.criteria,
        files=entries,
        download_url=lambda evidence_id: download_url(public_url, evidence_id),
        locale=locale,
    )
    return data, u


async def register(
    actor: Actor,
    period_id: int,
    unit_id: int,
    target: Target,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    public_url: str,
    files: FileStore | None = None,
    locale: str = "vi",
    progress: ProgressFn | None = None,
) -> Export:
    """Write a unit's evidence register to ``target``."""
    started = time.perf_counter()
    await _report(progress, "load", 0, 1)
    data, u = await load_register(
        actor,
        period_id,
        unit_id,
        now=now,
        tz=tz,
        public_url=public_url,
        files=files,
        locale=locale,
    )
    await _report(progress, "write", 0, 1)
    stats = await asyncio.to_thread(write_register, data, target)
    await _report(progress, "write", 1, 1)
    await record(
        actor,
        "export.register",
        "assessment",
        u.assessment.id,
        unit_id=u.unit.id,
        new={"period_id": period_id, "files": stats.files},
    )
    _took("register", started)
    name = f"danh-muc-tlkc-{ascii_slug(u.unit.code)}-{u.period.year}.xlsx"
    return Export(name, XLSX, {"files": stats.files, "cells": stats.cells})


async def evidence_zip(
    actor: Actor,
    period_id: int,
    unit_id: int,
    *,
    now: datetime,
    tz: ZoneInfo = VIETNAM,
    public_url: str,
    files: FileStore,
    locale: str = "vi",
    progress: ProgressFn | None = None,
) -> ZipExport:
    """The unit's evidence as a zip stream (with the register at its top).

    Rights are checked and the list of files read before this returns, so a refusal is an
    error, not a broken download; the stream then reads one file at a time in a worker thread.
    Its duration is observed when the last chunk has been produced (a download the client
    abandons is not timed).
    """
    started = time.perf_counter()
    data, u = await load_register(
        actor,
        period_id,
        unit_id,
        now=now,
        tz=tz,
        public_url=public_url,
        files=files,
        locale=locale,
    )
    buf = io.BytesIO()
    await asyncio.to_thread(write_register, data, buf)
    root = folder_name(u.unit.code, u.period.year, locale)
    extra = [(f"{root}/{register_file_name(u.unit.code, u.period.year, locale)}", buf.getvalue())]
    total = len(data.files)
    await record(
        actor,
        "export.evidence_zip",
        "assessment",
        u.assessment.id,
        unit_id=u.unit.id,
        new={"period_id": period_id, "files": total},
    )

    def on_file(done: int) -> None:
        if progress is not None:
            progress("write", done, total)

    async def chunks() -> AsyncIterator[bytes]:
        gen = zip_chunks(data.files, files.get_sync, extra, tz=tz, locale=locale, on_file=on_file)
        sentinel = b""
        try:
            while True:
                part = await asyncio.to_thread(next, gen, sentinel)
                if part is sentinel:
                    _took("evidence_zip", started)
                    break
                yield part
        finally:
            gen.close()

    name = f"tlkc-{ascii_slug(u.unit.code)}-{u.period.year}.zip"
    return ZipExport(name, total, chunks())
