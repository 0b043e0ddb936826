"""One place that turns errors into JSON ``{"detail": "<sentence>", "code": "..."}``.

Every request body is limited to the upload limit while it streams in (413, code
``too_large``; :mod:`app.api.uploads`). Services raise :class:`~core.i18n.UserError`
subclasses; the class decides the HTTP status and the message is rendered in the request's
language (``Accept-Language``: Vietnamese by default, English second). FastAPI's own request
validation errors get the same shape, with one line per problem in ``problems``. The mapping is
installed as the route class of every API router, so it needs nothing from the application
factory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from tortoise.exceptions import IntegrityError

from app.api.problems import field_of, invalid_json, problem_msg
from app.api.uploads import (
    FORM_ROOM,
    MB,
    BodyTooLarge,
    file_too_large,
    limit_body,
    upload_limit_mb,
)
from core.auth import AccessDenied, AuthError, Conflict, NotFound, TooManyAttempts
from core.dbfaults import RETRY_AFTER_SECONDS, database_unavailable, unavailable_msg
from core.files import CorruptFileError, MissingFileError
from core.i18n import N_, Msg, UserError, normalize_locale
from forms.answers import LockedError, NotAllowedError, StaleAnswerError

log = logging.getLogger("cchc.api")
JSON_LIMIT = 1 * MB  # a request body that is not an upload (JSON)


class ErrorOut(BaseModel):
    """Every error response of the API."""

    detail: str = Field(description="One sentence in the request's language.")
    code: str = Field(description="A stable machine-readable code, e.g. `locked`, `forbidden`.")
    problems: list[str] = Field(
        default_factory=list, description="Every problem, for imports and invalid requests."
    )


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _err("The request cannot be processed as sent."),
    401: _err("Missing, expired or revoked token."),
    403: _err("This account may not do this."),
    404: _err("Not found."),
    409: _err("Conflicts with the current state (locked, published, changed meanwhile)."),
    413: _err("The body is larger than the upload limit (`CCHC_MAX_UPLOAD_MB`)."),
    422: _err("Invalid values; `problems` lists each one."),
    429: _err("Too many failed sign-ins."),
    503: _err("The database cannot be reached right now; try again after `Retry-After`."),
}


class CsrfRequired(AccessDenied):
    """A write authenticated by the session cookie without the session's CSRF token (403)."""


# (exception class, HTTP status, code), most specific first.
_MAPPING: list[tuple[type[Exception], int, str]] = [
    (AuthError, 401, "unauthenticated"),
    (TooManyAttempts, 429, "too_many_attempts"),
    (CsrfRequired, 403, "csrf"),
    (AccessDenied, 403, "forbidden"),
    (NotAllowedError, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (StaleAnswerError, 409, "stale"),
    (LockedError, 409, "locked"),
    (Conflict, 409, "conflict"),
]


def request_locale(request: Request) -> str:
    """The best supported language of ``Accept-Language`` (q-values honoured), else vi."""
    header = request.headers.get("accept-language", "")
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang:
            choices.append((-q, i, lang.strip()))
    for neg_q, _i, lang in sorted(choices):
        if -neg_q <= 0:
            continue
        short = lang.replace("_", "-").split("-")[0].lower()
        if short in ("vi", "en"):
            return short
    return normalize_locale(None)


def error_response(
    status: int,
    code: str,
    detail: str,
    locale: str,
    problems: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        ErrorOut(detail=detail, code=code, problems=problems or []).model_dump(),
        status_code=status,
        headers={"Content-Language": locale, **(headers or {})},
    )


def user_error_response(exc: UserError, locale: str) -> JSONResponse:
    status, code = next(
        ((st, cd) for cls, st, cd in _MAPPING if isinstance(exc, cls)), (422, "invalid")
    )
    headers: dict[str, str] = {}
    if isinstance(exc, AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    problems = [p.render(locale) for p in getattr(exc, "problems", [])]
    return error_response(status, code, exc.msg.render(locale), locale, problems, headers)


def validation_response(exc: RequestValidationError, locale: str) -> JSONResponse:
    """422 naming every field and what is wrong with it, in the request's language; a body
    that is not JSON at all is a 400, as documented."""
    errors = list(exc.errors())
    if invalid_json(errors):
        msg = Msg(N_("The request body is not valid JSON."))
        return error_response(400, "bad_request", msg.render(locale), locale)
    fields = list(dict.fromkeys(field_of(e) for e in errors if field_of(e)))
    detail = (
        Msg(N_("The request has invalid values: {fields}."), fields=", ".join(fields[:10]))
        if fields
        else Msg(N_("The request has invalid values."))
    )
    problems = [problem_msg(e).render(locale) for e in errors[:50]]
    return error_response(422, "invalid_request", detail.render(locale), locale, problems)


def body_limit(request: Request) -> tuple[int, Msg]:
    """A file upload may reach the upload limit; any other body (JSON) 1 MB, and is told so
    in those words rather than as a file."""
    limit_mb = upload_limit_mb(request)
    if request.headers.get("content-type", "").startswith("multipart/"):
        return limit_mb * MB + FORM_ROOM, file_too_large(limit_mb)
    return JSON_LIMIT, Msg(
        N_("The request body is larger than {mb} MB; nothing was saved."), mb=JSON_LIMIT // MB
    )


class ApiRoute(APIRoute):
    """Route class of the API: every error leaves as :class:`ErrorOut`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            locale = request_locale(request)
            try:
                limit_body(request, *body_limit(request))
                return await handler(request)
            except BodyTooLarge as exc:
                return error_response(413, "too_large", exc.msg.render(locale), locale)
            except UserError as exc:
                return user_error_response(exc, locale)
            except RequestValidationError as exc:
                return validation_response(exc, locale)
            except HTTPException as exc:  # raised by FastAPI itself, e.g. an unreadable body
                detail = (
                    Msg(N_("The request body cannot be read.")).render(locale)
                    if exc.status_code == 400
                    else str(exc.detail)
                )
                return error_response(
                    exc.status_code, "bad_request", detail, locale, headers=dict(exc.headers or {})
                )
            except IntegrityError:
                log.info("integrity error on %s %s", request.method, request.url.path)
                return error_response(
                    409,
                    "conflict",
                    Msg(
                        N_("This conflicts with data saved meanwhile; reload and try again.")
                    ).render(locale),
                    locale,
                )
            except MissingFileError:
                return error_response(
                    404,
                    "file_missing",
                    Msg(N_("The stored file is missing; tell the administrator.")).render(locale),
                    locale,
                )
            except CorruptFileError:
                log.error("corrupt evidence file on %s", request.url.path)
                return error_response(
                    500,
                    "file_damaged",
                    Msg(N_("The stored file is damaged; tell the administrator.")).render(locale),
                    locale,
                )
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                return database_unavailable_response(request, exc, locale)

        return route


def database_unavailable_response(request: Request, exc: Exception, locale: str) -> JSONResponse:
    """503 with "try again": the database is out of reach, the request itself was fine."""
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return error_response(
        503,
        "database_unavailable",
        unavailable_msg().render(locale),
        locale,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
