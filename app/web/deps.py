"""Dependencies and error handling of the web pages.

Routes of :mod:`app.web` use :class:`WebRoute`: an error becomes a page (or JSON for the page's
script) with the sentence in the reader's language and the status of the one error table
(:data:`app.api.errors.ERRORS`) the JSON API uses too; a missing or expired back-office session
redirects to the sign-in page; an officer without a session is told how to get a new link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from app.api.deps import Now, SettingsDep, get_now, get_settings
from app.api.errors import CsrfError, ErrorRoute, Problem, problem_json, status_of
from app.web.render import render, request_lang
from app.web.security import CSRF_FIELD, CSRF_HEADER, csrf_valid
from app.web.sessions import (
    OFFICER_COOKIE,
    SESSION_COOKIES,
    STAFF_COOKIE,
    OfficerSession,
    officer_session,
)
from core.audit import Actor
from core.auth import AuthError, NotFound, user_actor, verify_token
from core.i18n import N_, Msg, UserError
from core.models import BackofficeUser, Channel, UserRole
from core.settings import Settings
from forms.models import Period

__all__ = ["CsrfError", "Now", "get_now", "status_of"]


class NeedStaffLogin(Exception):
    """No valid back-office session: go to the sign-in page."""


class NeedOfficerLogin(Exception):
    """No valid officer session: the officer asks the bot for a new link."""


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@dataclass(frozen=True)
class Staff:
    user: BackofficeUser
    actor: Actor
    locale: str

    @property
    def role(self) -> str:
        return UserRole(self.user.role).value

    @property
    def is_admin(self) -> bool:
        return self.user.role == UserRole.admin


async def current_staff(request: Request, now: Now) -> Staff:
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        raise NeedStaffLogin()
    try:
        user = await verify_token(token, now=now, kind="session")
    except AuthError:
        raise NeedStaffLogin() from None
    locale = request_lang(request, user.locale)
    return Staff(user, user_actor(user, Channel.web), locale)


async def current_officer(request: Request, now: Now, settings: SettingsDep) -> OfficerSession:
    session = await officer_session(settings, request.cookies.get(OFFICER_COOKIE), now=now)
    if session is None:
        raise NeedOfficerLogin()
    return session


StaffDep = Annotated[Staff, Depends(current_staff)]
OfficerDep = Annotated[OfficerSession, Depends(current_officer)]


def require_csrf(request: Request, settings: Settings, given: str | None) -> None:
    """Refuse a state-changing request whose token (form field or header) is not ours."""
    token = given or request.headers.get(CSRF_HEADER)
    if not csrf_valid(settings.secret_key, request, token, SESSION_COOKIES):
        raise CsrfError(
            Msg(N_("This form has expired or did not come from this site; reload the page."))
        )


async def form_with_csrf(request: Request) -> dict[str, Any]:
    """A url-encoded form's fields (lists for repeated names) after the CSRF check."""
    form = await request.form()
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value)
    flat = {k: (v[0] if len(v) == 1 else v) for k, v in fields.items()}
    flat["__lists__"] = fields
    require_csrf(
        request,
        get_settings(request),
        flat.get(CSRF_FIELD) if isinstance(flat.get(CSRF_FIELD), str) else None,
    )
    refuse_unstorable(fields)
    return flat


# How the forms' fields are called on the pages, for messages that name a field.
FIELD_LABELS: dict[str, str] = {
    "value": N_("Answer"),
    "note": N_("Note"),
    "text": N_("Explanation"),
    "reason": N_("Reason"),
    "comment": N_("Comment"),
    "score": N_("Score"),
    "name": N_("Name"),
    "code": N_("Code"),
    "username": N_("Username"),
    "page_ref": N_("Page or section"),
}


def field_label(name: str) -> Msg | str:
    return Msg(FIELD_LABELS[name]) if name in FIELD_LABELS else name


# The longest text each field takes, as the pages' maxlength and the JSON API's schemas say;
# the services keep their own, possibly tighter, rules (docs/limits.md).
FIELD_MAX: dict[str, int] = {
    "value": 1000,
    "note": 4000,
    "text": 8000,
    "reason": 4000,
    "comment": 4000,
    "score": 64,
    "name": 255,
    "code": 32,
    "username": 64,
    "password": 1024,
    "page_ref": 255,
}
OTHER_FIELD_MAX = 4000


def refuse_unstorable(fields: dict[str, list[str]]) -> None:
    """Refuse, for every form and before any service sees it, naming the field: text with a
    NUL character (PostgreSQL cannot store it, SQLite would keep it), and text longer than the
    field takes (never cut silently)."""
    for name, values in fields.items():
        limit = FIELD_MAX.get(name, OTHER_FIELD_MAX)
        longest = max((len(v) for v in values), default=0)
        if longest > limit and name != CSRF_FIELD:
            raise UserError(
                Msg(
                    N_(
                        "The field “{field}” has {length} characters; at most {limit} are "
                        "accepted. Nothing was saved."
                    ),
                    field=field_label(name),
                    length=longest,
                    limit=limit,
                )
            )
        if any("\x00" in v for v in values):
            raise UserError(
                Msg(
                    N_(
                        "The field “{field}” contains a NUL character, which cannot be stored; "
                        "remove it and send the form again."
                    ),
                    field=field_label(name),
                )
            )


async def staff_page(request: Request, staff: Staff, template: str, **context: Any) -> Response:
    """A back-office page, in the signed-in person's language."""
    return await render(request, template, locale=staff.locale, staff=staff, **context)


def refusal(exc: UserError, locale: str, *, listed: bool = False) -> dict[str, Any]:
    """A service's refusal shown within the page that was sent: the status of the one error
    table and the sentence; ``listed``: an import's problems one per line under it."""
    if not listed:
        return {"status_code": status_of(exc), "page_error": exc.render(locale)}
    problems = [p.render(locale) for p in getattr(exc, "problems", [])]
    sentence = exc.msg.render(locale) if problems else exc.render(locale)
    return {"status_code": status_of(exc), "page_error": sentence, "problems": problems}


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


FORM_MAX_FIELDS = 1000  # Starlette's default for request.form()


async def error_page(request: Request, problem: Problem) -> Response:
    """A problem as the error page (JSON for the page's script), in the reader's language."""
    locale = request_lang(request)
    if wants_json(request):
        return problem_json(problem, locale)
    return await render(
        request,
        "web/error.html",
        locale=locale,
        status_code=problem.status,
        headers=problem.headers,
        message=problem.detail.render(locale),
        problems=[p.render(locale) for p in problem.problems],
    )


class WebRoute(ErrorRoute):
    """Route class of the pages: errors become pages in the reader's language."""

    unreadable = Msg(  # Starlette could not parse the form
        N_(
            "The form cannot be read: it has more than {n} fields or is damaged. Nothing was "
            "saved; reload the page and try again."
        ),
        n=FORM_MAX_FIELDS,
    )

    async def show(self, request: Request, problem: Problem) -> Response:
        return await error_page(request, problem)

    async def answer(self, request: Request, exc: Exception) -> Response | None:
        if isinstance(exc, NeedStaffLogin):
            if wants_json(request):
                return JSONResponse({"detail": "sign in", "code": "unauthenticated"}, 401)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect(f"/web/login?next={quote(target, safe='')}")
        if isinstance(exc, NeedOfficerLogin):
            locale = request_lang(request)
            if wants_json(request):
                msg = Msg(N_("Your session has ended; ask the bot for a new sign-in link."))
                return JSONResponse({"detail": msg.render(locale), "code": "unauthenticated"}, 401)
            return await render(
                request, "web/officer_signed_out.html", locale=locale, status_code=401
            )
        return await super().answer(request, exc)


async def pick_period(period: int | None) -> Period | None:
    """The period a page asked for (404 when unknown), else the latest one: what every
    back-office page that shows one period starts from."""
    if period is not None:
        found = await Period.get_or_none(id=period)
        if found is None:
            raise NotFound(Msg(N_("There is no period with the id {id}."), id=period))
        return found
    return await Period.all().order_by("-year", "-id").first()
