"""The web pages (server-rendered, progressive enhancement): officers under ``/web/o``, the
back-office under ``/web``; styles and the small script under ``/static``. See docs/web.md.

:func:`install` is all :func:`app.main.create_app` calls.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from app.web import admin, backoffice, officer
from app.web.deps import WebRoute, redirect
from app.web.render import LANG_COOKIE, STATIC
from app.web.security import set_cookie
from app.web.sessions import OFFICER_COOKIE, STAFF_COOKIE

root = APIRouter(route_class=WebRoute, include_in_schema=False)


def safe_next(target: str | None, default: str = "/web/") -> str:
    """Only a path of this site (no "//host", no scheme) is a place to go back to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@root.get("/web")
@root.get("/web/")
async def web_home(request: Request) -> Response:
    if request.cookies.get(STAFF_COOKIE):
        return redirect("/web/progress")
    if request.cookies.get(OFFICER_COOKIE):
        return redirect("/web/o/")
    return redirect("/web/login")


@root.get("/web/lang")
async def switch_language(request: Request, to: str = "vi", next: str = "") -> Response:
    """The language switch: a preference cookie (a year), then back to the page."""
    response = redirect(safe_next(next))
    if to in ("vi", "en"):
        set_cookie(request, response, LANG_COOKIE, to, max_age=365 * 24 * 3600)
    return response


def install(app: FastAPI) -> None:
    """Mount the pages and the static files (styles, script)."""
    app.include_router(root)
    app.include_router(officer.router)
    app.include_router(backoffice.router)
    app.include_router(admin.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
