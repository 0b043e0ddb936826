"""The appraisers' pages: the queue by field, one item with its evidence (PDF and images
previewed in the page), and the decisions of :mod:`scoring.appraisal` (accept, adjust with a
comment, request an explanation, round 2). An appraiser sees only the fields assigned to them;
administrators see every field; viewers read but cannot decide (the services refuse)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Files, Id, NotifierDep, OptionalId, SettingsDep
from app.web import unit_sheet
from app.web.dates import parse_local
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
from app.web.files import file_response, is_previewable
from core.auth import NotFound, require_role
from core.i18n import N_, Msg, UserError
from forms.models import Period, PeriodGroup, Section
from forms.outline import outline, outline_of
from scoring import appraisal, sheet
from scoring.assignments import scope_for

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 50


@router.get("/appraisal", response_class=HTMLResponse)
async def queue(
    request: Request,
    staff: StaffDep,
    now: Now,
    period: OptionalId = None,
    under: str | None = None,
    state: str = "pending",
    offset: int = 0,
) -> Response:
    """Fields of the period's criteria sets with how many items wait for this person, then the
    items of the chosen field across the units whose self-assessment is closed."""
    await require_role(staff.actor)
    current = await pick_period(period)
    if state not in appraisal.ITEM_STATES and state != "all":
        state = "pending"
    fields: list[dict[str, Any]] = []
    items: list[appraisal.ItemView] = []
    total = 0
    if current is not None:
        links = await PeriodGroup.filter(period_id=current.id).prefetch_related("criteria_set")
        seen: set[tuple[int, str]] = set()
        for link in links:
            cset = link.criteria_set
            scope = await scope_for(staff.actor, cset.id)
            for node in (await outline_of(cset)).roots:
                if node.section == Section.survey:
                    continue
                if (cset.id, node.code) in seen:
                    continue
                seen.add((cset.id, node.code))
                waiting, _ = await appraisal.item_views(
                    staff.actor,
                    period_id=current.id,
                    under=node.code,
                    state="pending",
                    ready_only=True,
                    now=now,
                    limit=0,
                )
                if not scope.everything and waiting == 0 and not _sees_any(scope, node.code):
                    continue
                fields.append({"code": node.code, "title": node.title, "pending": waiting})
        total, items = await appraisal.item_views(
            staff.actor,
            period_id=current.id,
            under=under or None,
            state=None if state == "all" else state,
            ready_only=True,
            now=now,
            limit=PAGE,
            offset=max(0, offset),
            locale=staff.locale,
        )
    return await staff_page(
        request,
        staff,
        "web/appraisal_queue.html",
        period=current,
        periods=await Period.all(),
        fields=fields,
        under=under or "",
        state=state,
        items=items,
        total=total,
        offset=max(0, offset),
        page_size=PAGE,
    )


def _sees_any(scope: Any, field_code: str) -> bool:
    """Whether any item under the field is the reader's, in every unit or in one of them."""
    prefix = field_code + "."
    codes = set(scope.codes).union(*scope.unit_codes.values())
    return any(c == field_code or c.startswith(prefix) for c in codes)


async def _item(staff: StaffDep, assessment_id: int, code: str) -> appraisal.ItemView:
    _total, views = await appraisal.item_views(
        staff.actor, assessment_id=assessment_id, under=code, limit=1, locale=staff.locale
    )
    if not views or views[0].code != code:
        raise NotFound(Msg(N_("There is no item “{code}” in this criteria set."), code=code))
    return views[0]


async def _detail(
    request: Request,
    staff: StaffDep,
    assessment_id: Id,
    code: str,
    *,
    status_code: int = 200,
    message: str | None = None,
    page_error: str | None = None,
    order: str = "unit",
    typed: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Response:
    view = await _item(staff, assessment_id, code)
    assessment = await appraisal.get_assessment(assessment_id)
    set_id = assessment.criteria_set_id  # type: ignore[attr-defined]
    node = (await outline(set_id)).by_code.get(code)
    scope = await scope_for(staff.actor, set_id)
    order = order if order in sheet.ORDERS else "unit"
    following = await sheet.next_undecided(
        staff.actor, assessment_id, code, order=order, now=now or datetime.now(UTC)
    )
    return await staff_page(
        request,
        staff,
        "web/appraisal_item.html",
        status_code=status_code,
        item=view,
        node=node,
        assessment=assessment,
        may_review=scope.may_review,
        previewable=is_previewable,
        message=message,
        page_error=page_error,
        order=order,
        following=_item_url(*following, order=order) if following else None,
        state=sheet.item_state(view),
        typed=typed or {},
        here_sheet=f"/web/sheet/{assessment_id}",
    )


def _item_url(assessment_id: int, code: str, **params: str) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/web/appraisal/{assessment_id}/items/{quote(code)}" + (f"?{query}" if query else "")


@router.get("/appraisal/{assessment_id}/items/{code}", response_class=HTMLResponse)
async def item_page(
    request: Request,
    assessment_id: Id,
    code: str,
    staff: StaffDep,
    now: Now,
    done: str = "",
    order: str = "unit",
    decided: str = "",
) -> Response:
    await require_role(staff.actor)
    message = None
    if done in DECIDED:
        text = Msg(DECIDED[done]).render(staff.locale)
        # After a decision the page is the next item; the flash names the one just decided.
        message = f"{decided[:32]}: {text}" if decided else text
    return await _detail(request, staff, assessment_id, code, message=message, order=order, now=now)


DECIDED = {
    "accept": N_("The self-assessed score was accepted."),
    "adjust": N_("The appraised score was saved."),
    "request": N_("The unit was asked to explain; its officers are told in the bot."),
    "round2": N_("The round-2 score was saved."),
}


@router.post("/appraisal/{assessment_id}/items/{code}/{action}")
async def decide(
    request: Request,
    settings: SettingsDep,
    assessment_id: Id,
    code: str,
    action: str,
    staff: StaffDep,
    now: Now,
    notifier: NotifierDep,
) -> Response:
    form = await form_with_csrf(request)
    tz = settings.tz
    try:
        version = int(str(form.get("version", "0")))
    except ValueError:
        version = -1
    comment = str(form.get("comment", ""))
    score = str(form.get("score", ""))
    order = str(form.get("order", "unit"))
    order = order if order in sheet.ORDERS else "unit"
    item = (staff.actor, assessment_id, code)
    common: dict[str, Any] = {"expected_version": version, "comment": comment, "now": now, "tz": tz}
    try:
        if action == "accept":
            await appraisal.accept(*item, **common)
        elif action == "adjust":
            await appraisal.adjust(*item, score=score, **common)
        elif action == "request":
            due = parse_local(str(form.get("due", "")), tz, end_of_day=True)
            await appraisal.request_explanation(
                *item, notifier=notifier, due_at=due, score=score or None, **common
            )
        elif action == "round2":
            await appraisal.round2(*item, score=score, **common)
        else:
            raise NotFound(Msg(N_("This page does not exist.")))
    except UserError as exc:
        # Redraw the item with what was typed, so a wrong score costs one correction, not a
        # second round of typing.
        typed = {
            "action": action,
            "score": score,
            "comment": comment,
            "due": str(form.get("due", "")),
        }
        return await _detail(
            request,
            staff,
            assessment_id,
            code,
            **refusal(exc, staff.locale),
            order=order,
            typed=typed,
            now=now,
        )
    if form.get("back") == "sheet":  # the sheet's own "accept" button: stay on the sheet
        target = f"/web/sheet/{assessment_id}?done=one&decided={quote(code)}"
        return redirect(f"{target}#i-{quote(code)}")
    # Land on the next item to decide (same unit, or same item in the next unit), else on the
    # unit's sheet: deciding a whole sheet is a run of single key presses.
    following = await sheet.next_undecided(staff.actor, assessment_id, code, order=order, now=now)
    if following is None:
        return redirect(f"/web/sheet/{assessment_id}?done=finished")
    return redirect(_item_url(*following, done=action, order=order, decided=code))


@router.get("/evidence/{evidence_id}")
async def evidence(
    evidence_id: Id,
    files: Files,
    staff: StaffDep,
    download: bool = False,
) -> Response:
    """A file for those who may see that unit's item: inline for PDF and images."""
    row = await appraisal.evidence_for_download(staff.actor, evidence_id)
    return await file_response(files, row, download=download)


router.include_router(unit_sheet.router)
