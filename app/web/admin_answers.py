"""An administrator corrects a unit's self-assessment answer, with a mandatory reason
(``/web/answers/{answer_id}/correct``, linked from a unit's sheet). The inputs are the officers'
web form's (same readers, :mod:`app.web.sheet`); the change goes through
:func:`forms.corrections.correct_item` (as the JSON API's correction does), which checks the
role, the reason, the lock and the version before anything is stored. A refusal redraws the
form with what was typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Id, SettingsDep
from app.web.audit_labels import ACTION_LABELS, CHANNEL_LABELS
from app.web.deps import Now, StaffDep, WebRoute, form_with_csrf, redirect, refusal, staff_page
from app.web.sheet import declared_from_form, form_values, input_kind, posted_values, rule_lines
from core.i18n import N_, Msg, UserError
from forms.corrections import REASON_MAX, correct_item, correction_context
from forms.criteria import node_rule
from forms.rules import describe

router = APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False)


def _described(rule: Any, declared: dict[str, Any] | None, locale: str) -> str:
    if rule is None or not declared:
        return "–"
    try:
        return describe(rule, declared, locale)
    except (UserError, ValueError, KeyError, TypeError):  # a stale answer: show nothing
        return "–"


@router.get("/answers/{answer_id}/correct", response_class=HTMLResponse)
async def correction_page(
    request: Request, answer_id: Id, staff: StaffDep, now: Now, done: str = ""
) -> Response:
    message = (
        Msg(N_("The correction was saved with its reason in the audit trail.")).render(staff.locale)
        if done == "saved"
        else None
    )
    return await _page(request, staff, answer_id, now, message=message)


async def _page(
    request: Request,
    staff: StaffDep,
    answer_id: int,
    now: datetime,
    *,
    posted: dict[str, Any] | None = None,
    **extra: Any,
) -> Response:
    ctx = await correction_context(staff.actor, answer_id)
    rule = node_rule(ctx.node)
    values = posted or {
        **form_values(rule, ctx.answer.declared),
        "note": ctx.answer.note,
        "reason": "",
    }
    return await staff_page(
        request,
        staff,
        "web/answer_correct.html",
        ctx=ctx,
        rule=rule,
        kind=input_kind(rule),
        rule_lines=rule_lines(rule, staff.locale),
        current=_described(rule, ctx.answer.declared, staff.locale),
        vals=values,
        version=int(posted["version"]) if posted else ctx.answer.version,
        reason_max=REASON_MAX,
        action_labels=ACTION_LABELS,
        channels=CHANNEL_LABELS,
        **extra,
    )


@router.post("/answers/{answer_id}/correct", response_class=HTMLResponse)
async def correct(
    request: Request, settings: SettingsDep, answer_id: Id, staff: StaffDep, now: Now
) -> Response:
    form = await form_with_csrf(request)
    ctx = await correction_context(staff.actor, answer_id)
    rule = node_rule(ctx.node)
    reason = str(form.get("reason", ""))
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = -1
    try:
        if rule is None:
            raise UserError(Msg(N_("This item has no scoring rule to correct.")))
        declared = declared_from_form(rule, form)
        await correct_item(
            staff.actor,
            ctx.assessment.id,
            ctx.node.code,
            expected_version=version,
            reason=reason,
            now=now,
            declared=declared,
            note=str(form.get("note", "")),
            tz=settings.tz,
        )
    except UserError as exc:
        posted = {**posted_values(form), "reason": reason.strip(), "version": version}
        return await _page(
            request, staff, answer_id, now, posted=posted, **refusal(exc, staff.locale)
        )
    return redirect(f"/web/answers/{answer_id}/correct?done=saved")
