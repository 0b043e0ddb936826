"""Each year from the last: copy a criteria set under a new code, and compare two sets side by
side. Thin routes over :mod:`forms.criteria_copy` and :mod:`forms.criteria_diff`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Id, OptionalId
from app.web.deps import StaffDep, WebRoute, form_with_csrf, redirect, staff_page
from core.auth import NotFound, require_admin, require_role
from core.i18n import N_, Msg
from forms.criteria import load_draft
from forms.criteria_copy import copy_set
from forms.criteria_diff import CHANGE_LABELS, diff_sets
from forms.models import CriteriaSet
from forms.rule_words import describe_rule

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _set(set_id: int) -> CriteriaSet:
    cset = await CriteriaSet.get_or_none(id=set_id)
    if cset is None:
        raise NotFound(Msg(N_("There is no criteria set with the id {id}."), id=set_id))
    return cset


@router.get("/criteria-diff", response_class=HTMLResponse)
async def criteria_diff_page(
    request: Request, staff: StaffDep, old: OptionalId = None, new: OptionalId = None
) -> Response:
    await require_role(staff.actor)
    if old is None or new is None:
        raise NotFound(Msg(N_("Choose the two criteria sets to compare.")))
    before, after = await _set(old), await _set(new)
    changes = diff_sets(await load_draft(before), await load_draft(after))
    rows = [
        {
            "changes": [Msg(CHANGE_LABELS[k]).render(staff.locale) for k in c.changes],
            "kinds": c.changes,
            "old": c.old,
            "new": c.new,
            "old_rule": describe_rule(c.old.rule, staff.locale) if c.old and c.old.rule else "",
            "new_rule": describe_rule(c.new.rule, staff.locale) if c.new and c.new.rule else "",
        }
        for c in changes
    ]
    return await staff_page(
        request,
        staff,
        "web/criteria_diff.html",
        before=before,
        after=after,
        rows=rows,
    )


@router.post("/criteria/{set_id}/copy")
async def copy_criteria_form(request: Request, set_id: Id, staff: StaffDep) -> Response:
    await require_admin(staff.actor)
    form = await form_with_csrf(request)
    source = await _set(set_id)
    code, name = form.get("code", ""), form.get("name", "")
    cset = await copy_set(
        staff.actor,
        source.code,
        code if isinstance(code, str) else "",
        name if isinstance(name, str) else "",
        source.version,
    )
    return redirect(f"/web/criteria/{cset.id}?done=copied")
