"""The back-office pages (administrators, appraisers, viewers) under ``/web``: sign-in, the
progress board, periods, units and officers, criteria sets. Appraisal and results pages are in
:mod:`app.web.appraise` and :mod:`app.web.results`, included here.

Roles are enforced by the services the pages call (the same checks as the JSON API); the pages
only hide what a role cannot use. Every form carries the CSRF token.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Id, NotifierDep, OptionalId, SettingsDep, get_client_address
from app.web import (
    appraise,
    criteria_annex,
    criteria_sets,
    period_carry,
    publication,
    results,
)
from app.web.board import board
from app.web.charts import qr_svg
from app.web.dates import parse_local
from app.web.deps import (
    CsrfError,
    Now,
    StaffDep,
    WebRoute,
    form_with_csrf,
    pick_period,
    redirect,
    refusal,
    staff_page,
)
from app.web.render import render, request_lang
from app.web.security import set_cookie
from app.web.sessions import STAFF_COOKIE
from app.web.uploads import read_form_stream
from core import auth
from core.auth import NotFound, require_admin, require_role
from core.files import FileStore
from core.i18n import N_, Msg, UserError
from core.invites import create_invite
from core.models import Channel, Officer, Unit, UnitGroup, UserRole
from core.units import import_units
from core.units_workbook import read_units_workbook
from forms.annex_import import is_printed_annex
from forms.criteria import import_draft
from forms.criteria_workbook import read_workbook
from forms.extensions import ExtensionView, list_extensions, pending_count, tell_decision
from forms.models import (
    Assessment,
    CriteriaSet,
    ExtensionRequest,
    ExtensionStatus,
    Period,
    PeriodGroup,
    PeriodStatus,
)
from forms.outline import outline_of
from forms.periods import (
    GroupPlan,
    create_period,
    decide_extension,
    extend_deadline,
    update_period,
)
from forms.rules import format_params
from scheduler.digests import read_digests

router = APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False)


# --- signing in ----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "") -> Response:
    return await render(request, "web/login.html", locale=request_lang(request), next=next)


@router.post("/login")
async def login(request: Request, now: Now) -> Response:
    from app.web import safe_next

    form = await form_with_csrf(request)
    locale = request_lang(request)
    username = str(form.get("username", ""))
    try:
        issued = await auth.login(
            username,
            str(form.get("password", "")),
            now=now,
            kind="session",
            channel=Channel.web,
            address=get_client_address(request),
        )
    except (auth.AuthError, auth.TooManyAttempts) as exc:
        status = 429 if isinstance(exc, auth.TooManyAttempts) else 401
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, auth.TooManyAttempts) else None
        )
        return await render(
            request,
            "web/login.html",
            locale=locale,
            status_code=status,
            headers=headers,
            next=str(form.get("next", "")),
            username=username,
            page_error=exc.render(locale),
        )
    response = redirect(safe_next(str(form.get("next", "")), "/web/progress"))
    set_cookie(
        request,
        response,
        STAFF_COOKIE,
        issued.token,
        max_age=int((issued.expires_at - now).total_seconds()),
    )
    return response


@router.post("/logout")
async def logout(request: Request, staff: StaffDep, now: Now) -> Response:
    await form_with_csrf(request)
    await auth.revoke_token(staff.actor, request.cookies.get(STAFF_COOKIE, ""), now=now)
    response = redirect("/web/login")
    response.delete_cookie(STAFF_COOKIE, path="/")
    return response


# --- progress board ------------------------------------------------------------------------


@router.get("/progress", response_class=HTMLResponse)
async def progress_board(
    request: Request, staff: StaffDep, now: Now, period: OptionalId = None, group: OptionalId = None
) -> Response:
    await require_role(staff.actor)
    current = await pick_period(period)
    groups = await UnitGroup.all()
    rows = await board(current.id, now=now, group_id=group) if current else []
    names = {g.id: g.name for g in groups}
    return await staff_page(
        request,
        staff,
        "web/progress.html",
        period=current,
        periods=await Period.all(),
        groups=groups,
        group_id=group,
        group_names=names,
        rows=rows,
        now=now,
        pending_extensions=await pending_count(current.id) if current else 0,
        digest=(await read_digests(current.id, limit=1) or [None])[0] if current else None,
    )


# --- periods -------------------------------------------------------------------------------

DEADLINE_FIELDS = (
    ("self_assessment_opens_at", N_("Self-assessment opens"), False),
    ("self_assessment_closes_at", N_("Self-assessment deadline"), True),
    ("explanation_due_at", N_("Explanations due"), True),
    ("appraisal_round1_due_at", N_("Appraisal round 1 due"), True),
    ("appraisal_round2_due_at", N_("Appraisal round 2 due"), True),
    ("publication_due_at", N_("Publication due"), True),
)


@router.get("/periods", response_class=HTMLResponse)
async def periods_page(request: Request, staff: StaffDep) -> Response:
    await require_role(staff.actor, UserRole.admin, UserRole.viewer)
    return await _periods(request, staff)


async def _periods(request: Request, staff: StaffDep, **extra: Any) -> Response:
    sets = await CriteriaSet.all()
    latest: dict[str, CriteriaSet] = {}
    for s in sets:
        if s.code not in latest or s.version > latest[s.code].version:
            latest[s.code] = s
    return await staff_page(
        request,
        staff,
        "web/periods.html",
        periods=await Period.all(),
        groups=await UnitGroup.all(),
        sets=list(latest.values()),
        deadline_fields=DEADLINE_FIELDS,
        **extra,
    )


@router.post("/periods")
async def create_period_form(request: Request, settings: SettingsDep, staff: StaffDep) -> Response:
    form = await form_with_csrf(request)
    tz = settings.tz
    locale = staff.locale
    await require_admin(staff.actor)
    try:
        plans = []
        for group in await UnitGroup.all():
            code = str(form.get(f"set_{group.id}", "")).strip()
            if code:
                plans.append(GroupPlan(group.code, code))
        try:
            year = int(str(form.get("year", "")).strip())
        except ValueError:
            raise UserError(Msg(N_("The year is a number such as 2026."))) from None
        dates = {
            key: parse_local(str(form.get(key, "")), tz, end_of_day=end)
            for key, _label, end in DEADLINE_FIELDS
        }
        opens, closes = (
            dates.pop("self_assessment_opens_at"),
            dates.pop("self_assessment_closes_at"),
        )
        if opens is None or closes is None:
            raise UserError(Msg(N_("The self-assessment needs an opening and a deadline.")))
        period = await create_period(
            staff.actor,
            code=str(form.get("code", "")),
            name=str(form.get("name", "")),
            year=year,
            opens_at=opens,
            closes_at=closes,
            groups=plans,
            require_leader_approval=form.get("leader") == "1",
            **dates,
        )
    except UserError as exc:
        return await _periods(request, staff, **refusal(exc, locale), posted=form)
    return redirect(f"/web/periods/{period.id}?done=created")


@router.get("/periods/{period_id}", response_class=HTMLResponse)
async def period_page(
    request: Request, period_id: Id, staff: StaffDep, now: Now, done: str = ""
) -> Response:
    await require_role(staff.actor, UserRole.admin, UserRole.viewer)
    return await _period(request, staff, period_id, now, done=done)


async def _period(
    request: Request,
    staff: StaffDep,
    period_id: Id,
    now: datetime,
    *,
    done: str = "",
    **extra: Any,
) -> Response:
    period = await pick_period(period_id)
    assert period is not None
    links = await PeriodGroup.filter(period_id=period.id).prefetch_related(
        "unit_group", "criteria_set"
    )
    sheets = await board(period.id, now=now)
    messages = {
        "created": N_("The period was created with a score sheet for every unit."),
        "saved": N_("Saved."),
        "extended": N_("The unit's deadline was changed."),
    }
    message = Msg(messages[done]).render(staff.locale) if done in messages else None
    return await staff_page(
        request,
        staff,
        "web/period.html",
        period=period,
        links=links,
        sheets=sheets,
        deadline_fields=DEADLINE_FIELDS,
        statuses=[s.value for s in PeriodStatus if s != PeriodStatus.published],
        message=message,
        **extra,
    )


@router.post("/periods/{period_id}")
async def update_period_form(
    request: Request, settings: SettingsDep, period_id: Id, staff: StaffDep, now: Now
) -> Response:
    form = await form_with_csrf(request)
    tz = settings.tz
    await require_admin(staff.actor)
    try:
        changes: dict[str, Any] = {}
        for key, _label, end in DEADLINE_FIELDS:
            if key in form:
                changes[key] = parse_local(str(form.get(key, "")), tz, end_of_day=end)
        if form.get("name"):
            changes["name"] = str(form["name"])
        if form.get("status"):
            changes["status"] = str(form["status"])
        changes["require_leader_approval"] = form.get("leader") == "1"
        await update_period(staff.actor, period_id, changes, now=now)
    except UserError as exc:
        return await _period(request, staff, period_id, now, **refusal(exc, staff.locale))
    return redirect(f"/web/periods/{period_id}?done=saved")


@router.post("/periods/{period_id}/sheets/{assessment_id}/deadline")
async def extend_form(
    request: Request,
    settings: SettingsDep,
    period_id: Id,
    assessment_id: Id,
    staff: StaffDep,
    now: Now,
) -> Response:
    form = await form_with_csrf(request)
    tz = settings.tz
    await require_admin(staff.actor)
    try:
        if not await Assessment.exists(id=assessment_id, period_id=period_id):
            raise NotFound(Msg(N_("There is no score sheet with the id {id}."), id=assessment_id))
        until = parse_local(str(form.get("until", "")), tz, end_of_day=True)
        await extend_deadline(
            staff.actor,
            assessment_id,
            until=until,
            reason=str(form.get("reason", "")),
            now=now,
            tz=tz,
        )
    except UserError as exc:
        return await _period(request, staff, period_id, now, **refusal(exc, staff.locale))
    return redirect(f"/web/periods/{period_id}?done=extended#sheet-{assessment_id}")


# --- units' requests for an extension -----------------------------------------------------

DECIDED_SHOWN = 20


@router.get("/extensions", response_class=HTMLResponse)
async def extensions_page(
    request: Request, staff: StaffDep, period: OptionalId = None, done: str = ""
) -> Response:
    await require_role(staff.actor, UserRole.admin, UserRole.viewer)
    messages = {
        "approved": N_(
            "The extension was approved and the unit's deadline moved; the officer who asked "
            "was told in the bot."
        ),
        "refused": N_("The request was refused; the officer who asked was told in the bot."),
        "unreached": N_(
            "The decision is saved, but nobody of the unit could be reached in the bot: please "
            "tell the unit directly."
        ),
    }
    message = Msg(messages[done]).render(staff.locale) if done in messages else None
    return await _extensions(request, staff, period, message=message)


async def _extensions(
    request: Request,
    staff: StaffDep,
    period_id: int | None,
    **extra: Any,
) -> Response:
    current = await pick_period(period_id)
    pending: list[ExtensionView] = []
    decided: list[ExtensionView] = []
    if current is not None:
        pending = await list_extensions(
            staff.actor, period_id=current.id, status=ExtensionStatus.pending
        )
        decided = [
            r
            for r in await list_extensions(staff.actor, period_id=current.id, limit=200)
            if r.status != ExtensionStatus.pending.value
        ][:DECIDED_SHOWN]
    return await staff_page(
        request,
        staff,
        "web/extensions.html",
        period=current,
        periods=await Period.all(),
        pending=pending,
        decided=decided,
        **extra,
    )


@router.post("/extensions/{request_id}")
async def decide_extension_form(
    request: Request,
    settings: SettingsDep,
    notifier: NotifierDep,
    request_id: Id,
    staff: StaffDep,
    now: Now,
) -> Response:
    """Approve (optionally with another date) or refuse (with a reason) a unit's request, then
    tell the officer who asked."""
    form = await form_with_csrf(request)
    tz = settings.tz
    await require_admin(staff.actor)
    found = await ExtensionRequest.get_or_none(id=request_id).prefetch_related("assessment")
    if found is None:
        raise NotFound(Msg(N_("There is no extension request with the id {id}."), id=request_id))
    period_id = found.assessment.period_id  # type: ignore[attr-defined]
    action = str(form.get("action", ""))
    try:
        if action not in ("approve", "refuse"):
            raise UserError(Msg(N_("Choose to approve or to refuse the request.")))
        until = (
            parse_local(str(form.get("until", "")), tz, end_of_day=True)
            if action == "approve"
            else None
        )
        await decide_extension(
            staff.actor,
            request_id,
            approve=action == "approve",
            note=str(form.get("note", "")),
            until=until,
            now=now,
            tz=tz,
        )
    except UserError as exc:
        return await _extensions(request, staff, period_id, **refusal(exc, staff.locale))
    reached = await tell_decision(notifier, request_id, tz=tz)
    done = ("approved" if action == "approve" else "refused") if reached else "unreached"
    return redirect(f"/web/extensions?period={period_id}&done={done}")


# --- units and officers --------------------------------------------------------------------


@router.get("/units", response_class=HTMLResponse)
async def units_page(request: Request, staff: StaffDep, done: str = "") -> Response:
    await require_role(staff.actor, UserRole.admin, UserRole.viewer)
    message = None
    if done == "imported":
        message = Msg(N_("The workbook was imported.")).render(staff.locale)
    return await _units(request, staff, message=message)


async def _units(request: Request, staff: StaffDep, **extra: Any) -> Response:
    groups = await UnitGroup.all()
    units = await Unit.all()
    officers = await Officer.all()
    by_unit: dict[int, list[Officer]] = {}
    for o in officers:
        by_unit.setdefault(o.unit_id, []).append(o)  # type: ignore[attr-defined]
    return await staff_page(
        request,
        staff,
        "web/units.html",
        groups=groups,
        units=units,
        officers=by_unit,
        **extra,
    )


@router.post("/units/import")
async def import_units_form(request: Request, settings: SettingsDep, staff: StaffDep) -> Response:
    try:
        await require_admin(staff.actor)
        upload = await read_form_stream(request, settings)
        if not upload.data:
            raise UserError(Msg(N_("Choose a file to upload.")))
        known = set(await Unit.all().values_list("code", flat=True))
        units, officers = read_units_workbook(upload.data, known_units=known)  # type: ignore[arg-type]
        summary = await import_units(staff.actor, units, officers)
    except UserError as exc:
        if isinstance(exc, CsrfError):
            raise
        return await _units(
            request,
            staff,
            **refusal(exc, staff.locale, listed=True),
        )
    return await _units(request, staff, summary=asdict(summary))


@router.post("/officers/{officer_id}/invite", response_class=HTMLResponse)
async def invite(request: Request, officer_id: Id, staff: StaffDep, now: Now) -> Response:
    """A printable invite: the code, and a QR code opening the bot with it."""
    form = await form_with_csrf(request)
    await require_admin(staff.actor)
    officer = await Officer.get_or_none(id=officer_id).prefetch_related("unit")
    if officer is None:
        raise NotFound(Msg(N_("There is no officer with the id {id}."), id=officer_id))
    try:
        days = int(str(form.get("days", "14")))
    except ValueError:
        days = 14
    issued = await create_invite(staff.actor, officer.id, now=now, days=days)
    username = await _bot_username(request)
    link = f"https://t.me/{username}?start={issued.code}" if username else ""
    qr = qr_svg(link or issued.code, title=issued.pretty)
    return await staff_page(
        request,
        staff,
        "web/invite.html",
        officer=officer,
        issued=issued,
        link=link,
        qr=qr,
        bot=username,
    )


async def _bot_username(request: Request) -> str:
    """The bot's @username for the t.me link, when the bot runs (not in the sandbox)."""
    runtime = getattr(request.app.state, "bot", None)
    bot = getattr(runtime, "bot", None)
    if bot is None or getattr(runtime.mode, "value", "") == "sandbox":
        return ""
    try:
        me = await bot.me()
    except Exception:  # Telegram unreachable: the printed code still works
        return ""
    return str(me.username or "")


# --- criteria sets -------------------------------------------------------------------------


@router.get("/criteria", response_class=HTMLResponse)
async def criteria_page(request: Request, staff: StaffDep) -> Response:
    await require_role(staff.actor)
    return await _criteria(request, staff)


async def _criteria(request: Request, staff: StaffDep, **extra: Any) -> Response:
    return await staff_page(
        request,
        staff,
        "web/criteria.html",
        sets=await CriteriaSet.all(),
        **extra,
    )


@router.post("/criteria/import")
async def import_criteria_form(
    request: Request, settings: SettingsDep, staff: StaffDep
) -> Response:
    try:
        await require_admin(staff.actor)
        upload = await read_form_stream(request, settings)
        if not upload.data:
            raise UserError(Msg(N_("Choose a file to upload.")))
        if is_printed_annex(upload.data):  # the decision's own table: review it first
            return redirect(await criteria_annex.stash(FileStore(settings.data_dir), upload))
        draft = read_workbook(upload.data)
        cset = await import_draft(staff.actor, draft)
    except UserError as exc:
        if isinstance(exc, CsrfError):
            raise
        return await _criteria(
            request,
            staff,
            **refusal(exc, staff.locale, listed=True),
        )
    return redirect(f"/web/criteria/{cset.id}?done=imported")


@router.get("/criteria/{set_id}", response_class=HTMLResponse)
async def criteria_tree(request: Request, set_id: Id, staff: StaffDep, done: str = "") -> Response:
    await require_role(staff.actor)
    cset = await CriteriaSet.get_or_none(id=set_id)
    if cset is None:
        raise NotFound(Msg(N_("There is no criteria set with the id {id}."), id=set_id))
    tree = await outline_of(cset)
    rows = [
        {
            "node": n,
            "depth": len(tree.breadcrumb(n.code)),
            "params": format_params(n.rule) if n.rule else "",
        }
        for n in tree.nodes
    ]
    message = (
        Msg(N_("The criteria set was imported.")).render(staff.locale)
        if done == "imported"
        else Msg(N_("The copy was created; change it by workbook and import it again.")).render(
            staff.locale
        )
        if done == "copied"
        else None
    )
    return await staff_page(
        request,
        staff,
        "web/criteria_tree.html",
        cset=cset,
        rows=rows,
        message=message,
    )


router.include_router(appraise.router)
router.include_router(criteria_annex.router)
router.include_router(criteria_sets.router)
router.include_router(period_carry.router)
router.include_router(results.router)
router.include_router(publication.router)
