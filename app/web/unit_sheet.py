"""A unit's whole sheet for the appraisal team (:mod:`scoring.sheet`), and "accept all" with
its confirmation page (:func:`scoring.appraisal.accept_many`).

``/web/sheet`` picks a sheet from the filters (period, unit group, unit) and redirects to
``/web/sheet/{id}``, which keeps the item filters (field, state, appraiser). Roles are the
services' business: the page only hides buttons a role cannot use.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Id, OptionalId, SettingsDep
from app.web.deps import (
    Now,
    Staff,
    StaffDep,
    WebRoute,
    form_with_csrf,
    pick_period,
    redirect,
    refusal,
    staff_page,
)
from app.web.files import is_previewable
from core.auth import NotFound, require_role
from core.i18n import N_, Msg, UserError
from forms.models import Period
from scoring import appraisal, sheet

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DONE = {
    "accepted": N_("{n} item(s) accepted at their self-assessed score."),
    "finished": N_("No item of this unit waits for your decision."),
    "one": N_("Item {code}: the self-assessed score was accepted."),
}


def _assigned(staff: Staff, assigned: str) -> int | None:
    """The appraiser filter: "me", a user id, or nothing."""
    if assigned == "me":
        return staff.user.id
    return int(assigned) if assigned.isdigit() else None


def sheet_url(assessment_id: int, **params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"/web/sheet/{assessment_id}" + (f"?{query}" if query else "")


@router.get("/sheet", response_class=HTMLResponse)
async def choose(
    request: Request,
    staff: StaffDep,
    period: OptionalId = None,
    group: OptionalId = None,
    unit: OptionalId = None,
    field: str = "",
    state: str = "",
    assigned: str = "",
) -> Response:
    """The filters' unit group and unit name a sheet: go to it (the first of the group when the
    unit is not in it)."""
    await require_role(staff.actor)
    current = await pick_period(period)
    if current is None:
        raise NotFound(Msg(N_("There is no period yet.")))
    _groups, sheets = await sheet.sheet_choices(current.id, group)
    chosen = next((a for a in sheets if a.unit_id == unit), None)  # type: ignore[attr-defined]
    if chosen is None and sheets:
        chosen = sheets[0]
    if chosen is None:
        raise NotFound(Msg(N_("No units in this group.")))
    return redirect(sheet_url(chosen.id, field=field, state=state, assigned=assigned))


@router.get("/sheet/{assessment_id}", response_class=HTMLResponse)
async def sheet_page(
    request: Request,
    assessment_id: Id,
    staff: StaffDep,
    now: Now,
    field: str = "",
    state: str = "",
    assigned: str = "",
    done: str = "",
    n: int = 0,
    decided: str = "",
) -> Response:
    view = await sheet.unit_sheet(
        staff.actor,
        assessment_id,
        now=now,
        field_code=field or None,
        state=state or None,
        assigned_to=_assigned(staff, assigned),
        locale=staff.locale,
    )
    assessment = view.assessment
    unit = assessment.unit
    groups, units = await sheet.sheet_choices(
        assessment.period_id,  # type: ignore[attr-defined]
        unit.group_id,
    )
    message = Msg(DONE[done], n=n, code=decided[:32]).render(staff.locale) if done in DONE else None
    return await staff_page(
        request,
        staff,
        "web/unit_sheet.html",
        view=view,
        unit=unit,
        period=await Period.get(id=assessment.period_id),  # type: ignore[attr-defined]
        groups=groups,
        group_id=unit.group_id,
        units=units,
        field=field,
        state=state if state in sheet.STATES else "",
        states=sheet.STATES,
        assigned=assigned,
        may_review=view.may_review,
        previewable=is_previewable,
        message=message,
        sheet_url=sheet_url,
    )


async def _confirm(
    request: Request,
    staff: Staff,
    assessment_id: int,
    now: Any,
    field: str,
    assigned: str,
    *,
    status_code: int = 200,
    page_error: str | None = None,
) -> Response:
    view = await sheet.unit_sheet(
        staff.actor,
        assessment_id,
        now=now,
        field_code=field or None,
        state=sheet.UNREVIEWED,
        assigned_to=_assigned(staff, assigned),
        locale=staff.locale,
    )
    return await staff_page(
        request,
        staff,
        "web/bulk_accept.html",
        status_code=status_code,
        view=view,
        unit=view.assessment.unit,
        items=[r.item for r in view.rows if r.item is not None and r.code in view.acceptable],
        field=field,
        field_title=next((f["title"] for f in view.fields if f["code"] == field), ""),
        assigned=assigned,
        page_error=page_error,
        sheet_url=sheet_url,
    )


@router.get("/sheet/{assessment_id}/accept", response_class=HTMLResponse)
async def confirm_accept(
    request: Request,
    assessment_id: Id,
    staff: StaffDep,
    now: Now,
    field: str = "",
    assigned: str = "",
) -> Response:
    """What "accept all" would take: every undecided item of the unit (or of one field) shown
    with its self score; nothing is saved until the appraiser confirms."""
    return await _confirm(request, staff, assessment_id, now, field, assigned)


@router.post("/sheet/{assessment_id}/accept")
async def accept_all(
    request: Request, settings: SettingsDep, assessment_id: Id, staff: StaffDep, now: Now
) -> Response:
    form = await form_with_csrf(request)
    codes = form["__lists__"].get("item", [])
    field = str(form.get("field", ""))
    assigned = str(form.get("assigned", ""))
    try:
        created = await appraisal.accept_many(
            staff.actor, assessment_id, codes, now=now, tz=settings.tz
        )
    except UserError as exc:
        return await _confirm(
            request, staff, assessment_id, now, field, assigned, **refusal(exc, staff.locale)
        )
    return redirect(
        sheet_url(assessment_id, field=field, assigned=assigned, done="accepted", n=len(created))
    )
