"""Appraiser assignments: who appraises which field or criterion, in every unit of a criteria
set or in one unit only (or a whole unit). Everyone in the back-office reads them; only
administrators change them. Thin routes over :mod:`scoring.assignments`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Id, OptionalId
from app.web.deps import StaffDep, WebRoute, form_with_csrf, redirect, refusal, staff_page
from core.auth import NotFound, require_admin, require_role
from core.i18n import N_, Msg, UserError
from core.models import BackofficeUser, Unit, UserRole
from forms.models import Assessment, CriteriaSet, Period, PeriodGroup
from forms.outline import OutlineNode, outline_of
from scoring.assignments import (
    assign,
    assign_unit,
    list_assignments,
    list_unit_assignments,
    unassign,
    unassign_unit,
)

router = APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False)

DONE = {
    "assigned": N_("The assignment was saved."),
    "removed": N_("The assignment was removed."),
}


async def _default_set() -> int | None:
    """The first criteria set of the newest period, else the newest set."""
    period = await Period.all().order_by("-year", "-id").first()
    if period is not None:
        link = await PeriodGroup.filter(period_id=period.id).order_by("id").first()
        if link is not None:
            return link.criteria_set_id  # type: ignore[attr-defined,no-any-return]
    newest = await CriteriaSet.all().order_by("-id").first()
    return newest.id if newest else None


@router.get("/assignments", response_class=HTMLResponse)
async def assignments_page(
    request: Request, staff: StaffDep, set: OptionalId = None, done: str = ""
) -> Response:
    await require_role(staff.actor)
    message = Msg(DONE[done]).render(staff.locale) if done in DONE else None
    return await _page(request, staff, set, message=message)


async def _page(
    request: Request,
    staff: StaffDep,
    set_id: int | None,
    **extra: Any,
) -> Response:
    if set_id is None:
        set_id = await _default_set()
    cset = await CriteriaSet.get_or_none(id=set_id) if set_id is not None else None
    if set_id is not None and cset is None:
        raise NotFound(Msg(N_("There is no criteria set with the id {id}."), id=set_id))
    nodes: list[OutlineNode] = []
    units: list[Unit] = []
    whole: list[Any] = []
    per_unit: list[Any] = []
    if cset is not None:
        nodes = list((await outline_of(cset)).groups.values())
        unit_ids = await Assessment.filter(criteria_set_id=cset.id).values_list(
            "unit_id", flat=True
        )
        units = await Unit.filter(id__in=list(set(unit_ids))).order_by("sort_order", "id")
        whole = await list_assignments(staff.actor, criteria_set_id=cset.id)
        per_unit = await list_unit_assignments(staff.actor, criteria_set_id=cset.id)
    users = {u.id: u for u in await BackofficeUser.all().order_by("username")}
    titles = {n.code: n.title for n in nodes}
    unit_names = {u.id: u.name for u in units}
    return await staff_page(
        request,
        staff,
        "web/assignments.html",
        sets=await CriteriaSet.all().order_by("code", "-version"),
        cset=cset,
        nodes=nodes,
        titles=titles,
        units=units,
        unit_names=unit_names,
        appraisers=[u for u in users.values() if u.role == UserRole.appraiser and u.active],
        users=users,
        whole=whole,
        per_unit=per_unit,
        **extra,
    )


def _int(value: object, refusal: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise UserError(Msg(refusal)) from None


@router.post("/assignments")
async def create_assignment(request: Request, staff: StaffDep) -> Response:
    """Without a unit: the field or criterion in every unit of the set. With a unit: in that
    unit only; a unit without a field means all of its items."""
    form = await form_with_csrf(request)
    set_id = _int(form.get("set", ""), N_("Criteria set: choose one from the list."))
    try:
        await require_admin(staff.actor)
        user_id = _int(form.get("user", ""), N_("Appraiser: choose one from the list."))
        code = str(form.get("node", "")).strip()
        unit = str(form.get("unit", "")).strip()
        if unit:
            unit_id = _int(unit, N_("Unit: choose a unit from the list."))
            await assign_unit(staff.actor, user_id, set_id, unit_id, code)
        else:
            if not code:
                raise UserError(
                    Msg(N_("Choose a field or criterion, a unit, or both for the assignment."))
                )
            await assign(staff.actor, user_id, set_id, code)
    except UserError as exc:
        return await _page(
            request,
            staff,
            set_id,
            **refusal(exc, staff.locale),
            posted=form,
        )
    return redirect(f"/web/assignments?set={set_id}&done=assigned")


@router.post("/assignments/{assignment_id}/remove")
async def remove_assignment(request: Request, assignment_id: Id, staff: StaffDep) -> Response:
    """``kind=unit`` removes a unit assignment, otherwise a whole-set one."""
    form = await form_with_csrf(request)
    set_id = _int(form.get("set", ""), N_("Criteria set: choose one from the list."))
    try:
        if form.get("kind") == "unit":
            await unassign_unit(staff.actor, assignment_id)
        else:
            await unassign(staff.actor, assignment_id)
    except UserError as exc:
        return await _page(request, staff, set_id, **refusal(exc, staff.locale))
    return redirect(f"/web/assignments?set={set_id}&done=removed")
