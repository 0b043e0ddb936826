"""Back-office accounts (administrators): create, disable or enable, reset a password, end
every session and token of an account. Thin routes over :mod:`core.auth` and
:mod:`core.accounts`; a refused action redraws the page with the sentence and changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Id
from app.web.deps import Now, StaffDep, WebRoute, form_with_csrf, redirect, refusal, staff_page
from core import auth
from core.accounts import reset_password, revoke_all_tokens
from core.i18n import N_, Msg, UserError
from core.models import ApiToken, UserRole

router = APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False)

DONE = {
    "created": N_("The account was created."),
    "disabled": N_("The account was disabled; its sessions and tokens have ended."),
    "enabled": N_("The account was enabled again."),
    "revoked": N_("Every session and token of the account has ended."),
    "role": N_("The role was changed."),
}


@router.get("/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request, staff: StaffDep, now: Now, done: str = "") -> Response:
    await auth.require_admin(staff.actor)
    message = Msg(DONE[done]).render(staff.locale) if done in DONE else None
    return await _accounts(request, staff, now, message=message)


async def _accounts(request: Request, staff: StaffDep, now: datetime, **extra: Any) -> Response:
    users = await auth.list_users(staff.actor)
    open_tokens: dict[int, int] = {}
    for user_id in await ApiToken.filter(revoked_at=None, expires_at__gt=now).values_list(
        "user_id", flat=True
    ):
        open_tokens[user_id] = open_tokens.get(user_id, 0) + 1
    return await staff_page(
        request,
        staff,
        "web/accounts.html",
        users=users,
        open_tokens=open_tokens,
        roles=[r.value for r in UserRole],
        **extra,
    )


@router.post("/accounts")
async def create_account(request: Request, staff: StaffDep, now: Now) -> Response:
    form = await form_with_csrf(request)
    try:
        await auth.create_user(
            staff.actor,
            str(form.get("username", "")),
            str(form.get("password", "")),
            str(form.get("role", "")),
            full_name=str(form.get("full_name", "")).strip()[:255],
            email=str(form.get("email", "")).strip()[:255],
        )
    except UserError as exc:
        posted = {k: v for k, v in form.items() if k in ("username", "role", "full_name", "email")}
        return await _accounts(
            request,
            staff,
            now,
            **refusal(exc, staff.locale),
            posted=posted,
        )
    return redirect("/web/accounts?done=created")


@router.post("/accounts/{user_id}/active")
async def set_active(request: Request, user_id: Id, staff: StaffDep, now: Now) -> Response:
    """``active=0`` disables (and ends the account's sessions), ``active=1`` enables."""
    form = await form_with_csrf(request)
    active = str(form.get("active", "")) == "1"
    try:
        await auth.update_user(staff.actor, user_id, now=now, active=active)
    except UserError as exc:
        return await _accounts(request, staff, now, **refusal(exc, staff.locale))
    return redirect(f"/web/accounts?done={'enabled' if active else 'disabled'}#user-{user_id}")


@router.post("/accounts/{user_id}/role")
async def change_role(request: Request, user_id: Id, staff: StaffDep, now: Now) -> Response:
    """Another account's role (an administrator cannot change their own)."""
    form = await form_with_csrf(request)
    try:
        await auth.update_user(staff.actor, user_id, now=now, role=str(form.get("role", "")))
    except UserError as exc:
        return await _accounts(request, staff, now, **refusal(exc, staff.locale))
    return redirect(f"/web/accounts?done=role#user-{user_id}")


@router.post("/accounts/{user_id}/password", response_class=HTMLResponse)
async def reset(request: Request, user_id: Id, staff: StaffDep, now: Now) -> Response:
    """A new password (typed, or generated when left empty), shown once on the page."""
    form = await form_with_csrf(request)
    try:
        done = await reset_password(
            staff.actor, user_id, now=now, password=str(form.get("password", ""))
        )
    except UserError as exc:
        return await _accounts(request, staff, now, **refusal(exc, staff.locale))
    return await _accounts(request, staff, now, reset=done)


@router.post("/accounts/{user_id}/revoke")
async def revoke(request: Request, user_id: Id, staff: StaffDep, now: Now) -> Response:
    await form_with_csrf(request)
    try:
        await revoke_all_tokens(staff.actor, user_id, now=now)
    except UserError as exc:
        return await _accounts(request, staff, now, **refusal(exc, staff.locale))
    return redirect(f"/web/accounts?done=revoked#user-{user_id}")
