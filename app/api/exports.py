"""Excel downloads: the consolidated workbook of a period, a unit's scorecard, its evidence
register and the zip of its evidence.

Workbooks are written by :mod:`scoring.exports` in a worker thread into a temporary file, which
is streamed back and deleted afterwards; the zip is streamed as it is built. Rights are checked
before anything is sent, so a refusal is a JSON error (401, 403, 404), never a broken file.
The workbook language is the ``lang`` query parameter (Vietnamese by default, as the official
tables are), not the browser's ``Accept-Language``, which only sets the language of errors.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from app.api.deps import CurrentActor, Files, Id, Now, SettingsDep, Tz
from app.api.errors import ApiRoute
from app.web.files import file_response
from scheduler.ledger import sent_per_sheet
from scoring import exports

router = APIRouter(route_class=ApiRoute, tags=["exports"])

Lang = Annotated[
    str,
    Query(pattern="^(vi|en)$", description="Language of the workbook: vi (default) or en."),
]
_XLSX_RESPONSE = {200: {"content": {exports.XLSX: {}}, "description": "The workbook."}}
_ZIP_RESPONSE = {200: {"content": {exports.ZIP: {}}, "description": "The zip file."}}


async def _xlsx_response(
    write: Callable[[Path], Awaitable[exports.Export]],
) -> FileResponse:
    """Write the workbook to a temporary file and serve it; the file is removed after sending,
    or at once if writing fails."""
    fd, name = tempfile.mkstemp(prefix="cchc-export-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        export = await write(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=export.media_type,
        filename=export.filename,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get(
    "/periods/{period_id}/exports/consolidated.xlsx",
    response_class=FileResponse,
    responses=_XLSX_RESPONSE,  # type: ignore[arg-type]
)
async def consolidated(
    period_id: Id, actor: CurrentActor, now: Now, tz: Tz, lang: Lang = "vi"
) -> FileResponse:
    """ "Bảng tổng hợp kết quả Chỉ số CCHC": summary per unit group with live formulas, a matrix
    per group, item details, progress and charts. Every back-office role; appraisers' detail
    sheet holds only the items of their assignments."""
    return await _xlsx_response(
        lambda path: exports.consolidated(
            actor, period_id, path, now=now, tz=tz, locale=lang, reminder_counts=sent_per_sheet
        )
    )


@router.get("/evidence/{evidence_id}/shared", response_class=Response, include_in_schema=True)
async def shared_evidence(
    settings: SettingsDep,
    evidence_id: Id,
    files: Files,
    now: Now,
    t: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """An evidence file through the signed, expiring link of an officer's scorecard (no sign-in:
    the link itself is the permission; see core/links.py)."""
    evidence = await exports.shared_evidence(evidence_id, t, secret=settings.secret_key, now=now)
    return await file_response(files, evidence, download=True)


@router.get(
    "/periods/{period_id}/exports/progress.xlsx",
    response_class=FileResponse,
    responses=_XLSX_RESPONSE,  # type: ignore[arg-type]
)
async def progress(
    period_id: Id, actor: CurrentActor, now: Now, tz: Tz, lang: Lang = "vi"
) -> FileResponse:
    """ "Tiến độ tự đánh giá": completeness and timeliness by unit, as on the progress board.
    Every back-office role."""
    return await _xlsx_response(
        lambda path: exports.progress_workbook(
            actor, period_id, path, now=now, tz=tz, locale=lang, reminder_counts=sent_per_sheet
        )
    )


@router.get(
    "/periods/{period_id}/units/{unit_id}/scorecard.xlsx",
    response_class=FileResponse,
    responses=_XLSX_RESPONSE,  # type: ignore[arg-type]
)
async def scorecard(
    settings: SettingsDep,
    period_id: Id,
    unit_id: Id,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    lang: Lang = "vi",
) -> FileResponse:
    """ "Bảng tự đánh giá, chấm điểm" of one unit, with links to its evidence files.
    Administrators and viewers: any unit; appraisers: the items of their assignments; an
    officer: their own unit."""
    return await _xlsx_response(
        lambda path: exports.scorecard(
            actor,
            period_id,
            unit_id,
            path,
            now=now,
            tz=tz,
            public_url=settings.public_url,
            locale=lang,
        )
    )


@router.get(
    "/periods/{period_id}/units/{unit_id}/evidence-register.xlsx",
    response_class=FileResponse,
    responses=_XLSX_RESPONSE,  # type: ignore[arg-type]
)
async def evidence_register(
    settings: SettingsDep,
    period_id: Id,
    unit_id: Id,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    files: Files,
    lang: Lang = "vi",
) -> FileResponse:
    """The unit's evidence register: every file with item code, name, size, SHA-256, uploader
    and time, and its place in the zip."""
    return await _xlsx_response(
        lambda path: exports.register(
            actor,
            period_id,
            unit_id,
            path,
            now=now,
            tz=tz,
            public_url=settings.public_url,
            files=files,
            locale=lang,
        )
    )


@router.get(
    "/periods/{period_id}/units/{unit_id}/evidence.zip",
    response_class=StreamingResponse,
    responses=_ZIP_RESPONSE,  # type: ignore[arg-type]
)
async def evidence_zip(
    settings: SettingsDep,
    period_id: Id,
    unit_id: Id,
    actor: CurrentActor,
    now: Now,
    tz: Tz,
    files: Files,
    lang: Lang = "vi",
) -> StreamingResponse:
    """The unit's evidence in folders by field and item code, with the register at the top;
    streamed as it is built."""
    export = await exports.evidence_zip(
        actor,
        period_id,
        unit_id,
        now=now,
        tz=tz,
        public_url=settings.public_url,
        files=files,
        locale=lang,
    )
    return StreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
