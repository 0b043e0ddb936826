"""One table of errors for the JSON API and the web pages: the exception decides the HTTP status.

Services raise :class:`~core.i18n.UserError` subclasses (and a few other known failures: a write
that lost a race, a missing or damaged stored file, the database out of reach). :data:`ERRORS`
gives each its status, its stable ``code`` and, for exceptions that carry no sentence, the
sentence; :func:`problem_of` turns an exception into a :class:`Problem`. Both route classes
derive from :class:`ErrorRoute` and only differ in how a problem is shown: the API answers JSON
``{"detail": "<sentence>", "code": "...", "problems": [...]}`` in the ``Accept-Language`` of the
request (Vietnamese by default, English second), the pages an HTML page (:mod:`app.web.deps`).
FastAPI's own request validation errors name every field and problem (:mod:`app.api.problems`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from tortoise.exceptions import IntegrityError

from app.api.problems import field_of, invalid_json, problem_msg
from app.api.uploads import BodyTooLarge, TooLarge
from core.auth import AccessDenied, AuthError, Conflict, NotFound, TooManyAttempts
from core.dbfaults import RETRY_AFTER_SECONDS, database_unavailable, unavailable_msg
from core.files import CorruptFileError, MissingFileError
from core.i18n import N_, Msg, UserError, normalize_locale
from forms.answers import LockedError, NotAllowedError, StaleAnswerError

log = logging.getLogger("cchc.api")


class CsrfError(AccessDenied):
    """A write without this site's CSRF token: a form of another page, or a write made with the
    session cookie without ``X-CSRF-Token`` (HTTP 403)."""


_CHANGED_MEANWHILE = N_("This conflicts with data saved meanwhile; reload and try again.")
_FILE_MISSING = N_("The stored file is missing; tell the administrator.")
_FILE_DAMAGED = N_("The stored file is damaged; tell the administrator.")

# (exception class, HTTP status, code, the sentence when the exception carries none),
# most specific first. Any other UserError is a 422 ``invalid``.
ERRORS: list[tuple[type[Exception], int, str, str | None]] = [
    (BodyTooLarge, 413, "too_large", None),
    (TooLarge, 413, "too_large", None),
    (AuthError, 401, "unauthenticated", None),
    (TooManyAttempts, 429, "too_many_attempts", None),
    (CsrfError, 403, "csrf", None),
    (AccessDenied, 403, "forbidden", None),
    (NotAllowedError, 403, "forbidden", None),
    (NotFound, 404, "not_found", None),
    (StaleAnswerError, 409, "stale", None),
    (LockedError, 409, "locked", None),
    (Conflict, 409, "conflict", None),
    (UserError, 422, "invalid", None),
    (IntegrityError, 409, "conflict", _CHANGED_MEANWHILE),
    (MissingFileError, 404, "file_missing", _FILE_MISSING),
    (CorruptFileError, 500, "file_damaged", _FILE_DAMAGED),
]


@dataclass(frozen=True)
class Problem:
    """What an error answers, whoever shows it."""

    status: int
    code: str
    detail: Msg
    problems: list[Any] = field(default_factory=list)  # each has .render(locale)
    headers: dict[str, str] = field(default_factory=dict)


def problem_of(exc: Exception) -> Problem | None:
    """The problem an exception stands for; None for an exception nobody expects (a bug)."""
    if database_unavailable(exc):
        return Problem(
            503,
            "database_unavailable",
            unavailable_msg(),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    row = next((row for row in ERRORS if isinstance(exc, row[0])), None)
    if row is None:
        return None
    _cls, status, code, sentence = row
    headers: dict[str, str] = {}
    if isinstance(exc, AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    msg = Msg(sentence) if sentence else exc.msg  # type: ignore[attr-defined]
    return Problem(status, code, msg, list(getattr(exc, "problems", [])), headers)


def status_of(exc: UserError) -> int:
    """The HTTP status of a service's refusal, for pages that show it within themselves."""
    problem = problem_of(exc)
    return problem.status if problem else 422


def validation_problem(exc: RequestValidationError) -> Problem:
    """422 naming every field and what is wrong with it; a body that is not JSON at all is a
    400, as documented."""
    errors = list(exc.errors())
    if invalid_json(errors):
        return Problem(400, "bad_request", Msg(N_("The request body is not valid JSON.")))
    fields = list(dict.fromkeys(field_of(e) for e in errors if field_of(e)))
    detail = (
        Msg(N_("The request has invalid values: {fields}."), fields=", ".join(fields[:10]))
        if fields
        else Msg(N_("The request has invalid values."))
    )
    return Problem(422, "invalid_request", detail, [problem_msg(e) for e in errors[:50]])


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


def problem_json(problem: Problem, locale: str) -> JSONResponse:
    """A problem as :class:`ErrorOut`, in ``locale``."""
    out = ErrorOut(
        detail=problem.detail.render(locale),
        code=problem.code,
        problems=[p.render(locale) for p in problem.problems],
    )
    return JSONResponse(
        out.model_dump(),
        status_code=problem.status,
        headers={"Content-Language": locale, **problem.headers},
    )


class ErrorRoute(APIRoute):
    """Route class that answers every known error through :data:`ERRORS`; subclasses say how a
    problem is shown (:meth:`show`) and what an unreadable body is called."""

    unreadable = Msg(N_("The request body cannot be read."))

    def problem(self, exc: Exception) -> Problem | None:
        if isinstance(exc, RequestValidationError):
            return validation_problem(exc)
        if isinstance(exc, HTTPException) and not isinstance(exc, BodyTooLarge):
            # raised by FastAPI itself, e.g. a body it cannot parse
            msg = self.unreadable if exc.status_code == 400 else Msg(str(exc.detail))
            return Problem(exc.status_code, "bad_request", msg, headers=dict(exc.headers or {}))
        return problem_of(exc)

    async def show(self, request: Request, problem: Problem) -> Response:
        raise NotImplementedError

    async def answer(self, request: Request, exc: Exception) -> Response | None:
        """The response to ``exc``, or None to let it through."""
        problem = self.problem(exc)
        if problem is None:
            return None
        if problem.status >= 500:
            log.warning("%s on %s %s: %r", problem.code, request.method, request.url.path, exc)
        return await self.show(request, problem)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                response = await self.answer(request, exc)
                if response is None:
                    raise
                return response

        return route


class ApiRoute(ErrorRoute):
    """Route class of the API: every error leaves as :class:`ErrorOut`."""

    async def show(self, request: Request, problem: Problem) -> Response:
        return problem_json(problem, request_locale(request))
