"""The survey scores import (điểm điều tra xã hội học), in two steps: upload the workbook and
see every row and every problem (nothing stored), then confirm, which checks the same rows
again and stores all of them or none. The confirmation posts the previewed rows back as text
(a hidden field), so no upload is kept on the server between the steps; whatever it carries goes
through the same checks as a file. Thin routes over :mod:`scoring.survey`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import OptionalId, SettingsDep
from app.web.deps import (
    CsrfError,
    Now,
    StaffDep,
    WebRoute,
    form_with_csrf,
    pick_period,
    refusal,
    staff_page,
)
from app.web.files import workbook_download
from app.web.uploads import read_form_stream
from core.auth import NotFound, require_admin
from core.i18n import N_, Msg, UserError
from core.models import Unit
from forms.models import Period
from scoring import survey as survey_service

router = APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False)
MAX_ROWS_FIELD = 20001


async def _period(period: int | None) -> Period:
    found = await pick_period(period)
    if found is None:
        raise NotFound(Msg(N_("There is no period yet.")))
    return found


@router.get("/survey", response_class=HTMLResponse)
async def survey_page(request: Request, staff: StaffDep, period: OptionalId = None) -> Response:
    await require_admin(staff.actor)
    return await _page(request, staff, await _period(period))


async def _page(
    request: Request,
    staff: StaffDep,
    period: Period,
    **extra: Any,
) -> Response:
    scores = await survey_service.list_scores(staff.actor, period.id)
    codes = sorted({s.node_code for s in scores})
    by_unit: dict[int, dict[str, Any]] = {}
    for s in scores:
        by_unit.setdefault(s.unit_id, {})[s.node_code] = s.score  # type: ignore[attr-defined]
    units = await Unit.filter(id__in=list(by_unit)).order_by("sort_order", "id")
    return await staff_page(
        request,
        staff,
        "web/survey.html",
        period=period,
        periods=await Period.all().order_by("-year", "-id"),
        codes=codes,
        stored=[(u, by_unit[u.id]) for u in units],
        **extra,
    )


@router.get("/survey/template.xlsx")
async def survey_template(staff: StaffDep, period: OptionalId = None) -> Response:
    """The workbook to fill in: the period's units and survey items, with stored scores."""
    current = await _period(period)
    data = await survey_service.template(staff.actor, current.id)
    return workbook_download(data, "diem-dieu-tra-xhh.xlsx")


@router.post("/survey/preview", response_class=HTMLResponse)
async def preview(
    request: Request, settings: SettingsDep, staff: StaffDep, period: OptionalId = None
) -> Response:
    """Step 1: every row of the uploaded workbook beside the stored scores, every problem."""
    current = await _period(period)
    try:
        await require_admin(staff.actor)
        upload = await read_form_stream(request, settings)
        if not upload.data:
            raise UserError(Msg(N_("Choose a file to upload.")))
        result = await survey_service.preview_scores(staff.actor, current.id, upload.data)
    except UserError as exc:
        if isinstance(exc, CsrfError):
            raise
        return await _failed(request, staff, current, exc)
    return await _page(
        request,
        staff,
        current,
        status_code=200 if not result.problems else 422,
        preview=result,
        source=(upload.filename or "").replace("\x00", "")[:255],
        rows_json=json.dumps(result.rows_text, ensure_ascii=False),
        problems=[p.render(staff.locale) for p in result.problems],
        page_error=(
            Msg(
                N_("The survey workbook has {count} problem(s); nothing was imported."),
                count=len(result.problems),
            ).render(staff.locale)
            if result.problems
            else None
        ),
    )


async def _failed(request: Request, staff: StaffDep, period: Period, exc: UserError) -> Response:
    return await _page(
        request,
        staff,
        period,
        **refusal(exc, staff.locale, listed=True),
    )


def _rows(text: object) -> list[tuple[int, tuple[str, ...]]]:
    """The rows a preview posted back; anything else is refused as a stale form."""
    stale = UserError(Msg(N_("The preview has expired; upload the workbook again.")))
    try:
        data = json.loads(str(text))
    except ValueError:
        raise stale from None
    if not isinstance(data, list) or not data or len(data) > MAX_ROWS_FIELD:
        raise stale
    rows: list[tuple[int, tuple[str, ...]]] = []
    for entry in data:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], int)
            or not isinstance(entry[1], list)
            or not all(isinstance(c, str) for c in entry[1])
        ):
            raise stale
        rows.append((entry[0], tuple(entry[1])))
    return rows


@router.post("/survey/import", response_class=HTMLResponse)
async def confirm(request: Request, staff: StaffDep, now: Now) -> Response:
    """Step 2: the confirmed rows, checked again and stored all together (or nothing)."""
    form = await form_with_csrf(request)
    try:
        period_id = int(str(form.get("period", "")))
    except ValueError:
        raise UserError(Msg(N_("The preview has expired; upload the workbook again."))) from None
    current = await _period(period_id)
    try:
        summary = await survey_service.import_rows(
            staff.actor,
            current.id,
            _rows(form.get("rows", "")),
            now=now,
            source_name=str(form.get("source", ""))[:255],
        )
    except UserError as exc:
        return await _failed(request, staff, current, exc)
    return await _page(
        request,
        staff,
        current,
        message=Msg(
            N_(
                "The survey scores were imported: {units} unit(s) changed, {created} score(s) "
                "added, {updated} changed, {unchanged} unchanged."
            ),
            units=summary.units,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
        ).render(staff.locale),
    )
