"""Dependencies and error handling of the web pages.

Routes of :mod:`app.web` use :class:`WebRoute`: a service's :class:`~core.i18n.UserError`
becomes a page (or JSON for the page's script) with the sentence in the reader's language and the
same HTTP status as the JSON API; a missing or expired back-office session redirects to the
sign-in page; an officer without a session is told how to get a new link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from tortoise.exceptions import IntegrityError

from app.api.deps import Now, get_now
from app.api.errors import user_error_response
from app.api.uploads import MB, BodyTooLarge, limit_body
from app.web.render import render, request_lang, settings_of
from app.web.security import CSRF_FIELD, CSRF_HEADER, csrf_valid
from app.web.sessions import (
    OFFICER_COOKIE,
    SESSION_COOKIES,
    STAFF_COOKIE,
    OfficerSession,
    officer_session,
)
from core.audit import Actor
from core.auth import (
    AccessDenied,
    AuthError,
    Conflict,
    NotFound,
    TooManyAttempts,
    user_actor,
    verify_token,
)
from core.dbfaults import RETRY_AFTER_SECONDS, database_unavailable, unavailable_msg
from core.files import CorruptFileError, MissingFileError
from core.i18n import N_, Msg, UserError
from core.models import BackofficeUser, Channel, UserRole
from forms.answers import LockedError, NotAllowedError, StaleAnswerError
from forms.models import Period

log = logging.getLogger("cchc.web")

__all__ = ["Now", "get_now"]


class NeedStaffLogin(Exception):
    """No valid back-office session: go to the sign-in page."""


class NeedOfficerLogin(Exception):
    """No valid officer session: the officer asks the bot for a new link."""


class CsrfError(UserError):
    """The form did not come from this service's own page (HTTP 403)."""


class TooLarge(UserError):
    """An upload over the size limit (HTTP 413)."""


_STATUS: list[tuple[type[Exception], int]] = [
    (AuthError, 401),
    (TooManyAttempts, 429),
    (CsrfError, 403),
    (TooLarge, 413),
    (AccessDenied, 403),
    (NotAllowedError, 403),
    (NotFound, 404),
    (StaleAnswerError, 409),
    (LockedError, 409),
    (Conflict, 409),
]


def status_of(exc: UserError) -> int:
    return next((st for cls, st in _STATUS if isinstance(exc, cls)), 422)


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


async def current_officer(request: Request, now: Now) -> OfficerSession:
    session = await officer_session(
        settings_of(request), request.cookies.get(OFFICER_COOKIE), now=now
    )
    if session is None:
        raise NeedOfficerLogin()
    return session


StaffDep = Annotated[Staff, Depends(current_staff)]
OfficerDep = Annotated[OfficerSession, Depends(current_officer)]


def require_csrf(request: Request, given: str | None) -> None:
    """Refuse a state-changing request whose token (form field or header) is not ours."""
    token = given or request.headers.get(CSRF_HEADER)
    if not csrf_valid(settings_of(request).secret_key, request, token, SESSION_COOKIES):
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
    require_csrf(request, flat.get(CSRF_FIELD) if isinstance(flat.get(CSRF_FIELD), str) else None)
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


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _locale_of(request: Request) -> str:
    return request_lang(request)


async def error_page(request: Request, exc: UserError, status: int | None = None) -> Response:
    locale = _locale_of(request)
    status = status or status_of(exc)
    if wants_json(request):
        response = user_error_response(exc, locale)
        response.status_code = status
        return response
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    problems = [p.render(locale) for p in getattr(exc, "problems", [])]
    return await render(
        request,
        "web/error.html",
        locale=locale,
        status_code=status,
        headers=headers,
        message=exc.msg.render(locale) if problems else exc.render(locale),
        problems=problems,
    )


FORM_LIMIT = 1024 * 1024  # a form without a file: notes, explanations, deadlines
FORM_MAX_FIELDS = 1000  # Starlette's default for request.form()


def _limit_body(request: Request) -> None:
    """Cut every body off while it streams in: a form with a file at the upload limit (plus
    a margin, so the upload reader's own, more precise refusal comes first), any other form at
    :data:`FORM_LIMIT`."""
    from app.web.uploads import FIELDS_LIMIT, too_large

    if request.headers.get("content-type", "").startswith("multipart/"):
        limit_mb = settings_of(request).max_upload_mb
        max_bytes = limit_mb * MB + FIELDS_LIMIT + 4096
        limit_body(request, max_bytes, too_large(limit_mb).msg)
    else:
        limit_body(request, FORM_LIMIT, Msg(N_("The text of this form is too long.")))


class WebRoute(APIRoute):
    """Route class of the pages: errors become pages in the reader's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                _limit_body(request)
                return await handler(request)
            except BodyTooLarge as exc:
                return await error_page(request, TooLarge(exc.msg), 413)
            except NeedStaffLogin:
                if wants_json(request):
                    return JSONResponse({"detail": "sign in", "code": "unauthenticated"}, 401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(f"/web/login?next={quote(target, safe='')}")
            except NeedOfficerLogin:
                locale = _locale_of(request)
                if wants_json(request):
                    msg = Msg(N_("Your session has ended; ask the bot for a new sign-in link."))
                    return JSONResponse(
                        {"detail": msg.render(locale), "code": "unauthenticated"}, 401
                    )
                return await render(
                    request, "web/officer_signed_out.html", locale=locale, status_code=401
                )
            except UserError as exc:
                return await error_page(request, exc)
            except RequestValidationError:
                return await error_page(
                    request, UserError(Msg(N_("The request has invalid values."))), 422
                )
            except HTTPException as exc:
                if exc.status_code == 404:
                    return await error_page(
                        request, NotFound(Msg(N_("This page does not exist."))), 404
                    )
                if exc.status_code == 400:  # Starlette could not parse the form
                    msg = Msg(
                        N_(
                            "The form cannot be read: it has more than {n} fields or is "
                            "damaged. Nothing was saved; reload the page and try again."
                        ),
                        n=FORM_MAX_FIELDS,
                    )
                    return await error_page(request, UserError(msg), 400)
                raise
            except IntegrityError:
                return await error_page(
                    request,
                    Conflict(
                        Msg(N_("This conflicts with data saved meanwhile; reload and try again."))
                    ),
                )
            except MissingFileError:
                return await error_page(
                    request,
                    NotFound(Msg(N_("The stored file is missing; tell the administrator."))),
                )
            except CorruptFileError:
                log.error("corrupt evidence file on %s", request.url.path)
                return await error_page(
                    request,
                    UserError(Msg(N_("The stored file is damaged; tell the administrator."))),
                    500,
                )
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                log.warning(
                    "database unavailable on %s %s: %r", request.method, request.url.path, exc
                )
                page = await error_page(request, UserError(unavailable_msg()), 503)
                page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                return page

        return route


async def pick_period(period: int | None) -> Period | None:
    """The period a page asked for (404 when unknown), else the latest one: what every
    back-office page that shows one period starts from."""
    if period is not None:
        found = await Period.get_or_none(id=period)
        if found is None:
            raise NotFound(Msg(N_("There is no period with the id {id}."), id=period))
        return found
    return await Period.all().order_by("-year", "-id").first()
