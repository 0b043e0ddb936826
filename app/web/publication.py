"""The publication page (every back-office role reads it, an administrator publishes): the final
ranking beside the provisional one, the units still unfinished, what publishing freezes, the
publish form (forcing needs a reason, as in the API), the period option that ranks units which
never submitted last, and the Word annex download.

A thin adapter: :mod:`scoring.publication` builds what is shown, :func:`scoring.results.publish`
publishes (and refuses), :mod:`scoring.annex` writes the document. The officers are told by the
scheduler, from the delivery ledger (docs/scheduler.md), not from here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Id, OptionalId, SettingsDep
from app.web.deps import (
    Now,
    StaffDep,
    WebRoute,
    form_with_csrf,
    pick_period,
    redirect,
    refusal,
    staff_page,
)
from core.i18n import UserError
from forms.models import Period
from forms.periods import update_period
from scoring.annex import annex
from scoring.publication import publication_view
from scoring.results import publish

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _page(
    request: Request,
    staff: StaffDep,
    period: Period | None,
    **extra: Any,
) -> Response:
    view = await publication_view(staff.actor, period) if period is not None else None
    return await staff_page(
        request,
        staff,
        "web/publication.html",
        period=period,
        periods=await Period.all(),
        view=view,
        **extra,
    )


@router.get("/publication", response_class=HTMLResponse)
async def publication_page(
    request: Request, staff: StaffDep, period: OptionalId = None, done: int = 0
) -> Response:
    return await _page(request, staff, await pick_period(period), just_published=bool(done))


@router.post("/publication/{period_id}")
async def publish_form(request: Request, staff: StaffDep, period_id: Id, now: Now) -> Response:
    form = await form_with_csrf(request)
    period = await pick_period(period_id)
    reason = str(form.get("reason", ""))
    force = form.get("force") == "1"
    try:
        await publish(staff.actor, period_id, now=now, force=force, reason=reason)
    except UserError as exc:
        return await _page(
            request,
            staff,
            period,
            **refusal(exc, staff.locale),
            posted={"reason": reason, "force": force},
        )
    return redirect(f"/web/publication?period={period_id}&done=1")


@router.post("/publication/{period_id}/ranking")
async def ranking_option(request: Request, staff: StaffDep, period_id: Id, now: Now) -> Response:
    """The period option that ranks units which never submitted after the others (admins;
    :func:`forms.periods.update_period` refuses it after publication)."""
    form = await form_with_csrf(request)
    period = await pick_period(period_id)
    last = form.get("rank_unsubmitted_last") == "1"
    try:
        await update_period(
            staff.actor, period_id, {"index_options": {"rank_unsubmitted_last": last}}, now=now
        )
    except UserError as exc:
        return await _page(request, staff, period, **refusal(exc, staff.locale))
    return redirect(f"/web/publication?period={period_id}")


@router.get("/publication/{period_id}/annex.docx")
async def annex_download(
    request: Request, settings: SettingsDep, staff: StaffDep, period_id: Id
) -> Response:
    period = await pick_period(period_id)
    assert period is not None
    name, data = await annex(staff.actor, period, locale=staff.locale, tz=settings.tz)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"; '
            f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
