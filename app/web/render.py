"""Templates of the web pages: one Jinja2 environment, the reader's language, number and date
formats, the CSRF token and the security headers of every page."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app.api.deps import get_settings
from app.web.security import csrf_token, remember_csrf_seed
from app.web.sessions import SESSION_COOKIES
from core.i18n import N_, Msg, gettext, normalize_locale
from core.numbers import format_percent, format_score
from core.timefmt import format_date, format_datetime
from forms.evidence import size_text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
LANG_COOKIE = "cchc_lang"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    enable_async=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

# Content Security Policy: only the service's own scripts, styles, images and frames.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; object-src 'self'; form-action 'self'; frame-ancestors 'self'; "
    "base-uri 'none'"
)
STATUS_LABELS = {
    "draft": N_("Self-assessing"),
    "submitted": N_("Submitted"),
    "in_appraisal": N_("In appraisal"),
    "explanation_requested": N_("Explanation requested"),
    "appraised": N_("Appraised"),
    "final": N_("Published"),
}
ROLE_LABELS = {"admin": N_("administrator"), "appraiser": N_("appraiser"), "viewer": N_("viewer")}
PERIOD_STATUS = {
    "draft": N_("In preparation"),
    "open": N_("Open"),
    "closed": N_("Closed"),
    "published": N_("Published"),
}
SECTION_LABELS = {
    "standard": N_("Standard"),
    "survey": N_("Survey"),
    "bonus": N_("Bonus points"),
    "penalty": N_("Penalty points"),
}


def _label(table: dict[str, str]) -> Any:
    def pick(value: object) -> str:
        key = str(getattr(value, "value", value))
        return table.get(key, key)

    return pick


SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "SAMEORIGIN",
}


@cache
def static_version(name: str) -> str:
    """A short hash of a static file, so browsers fetch a new version after an upgrade."""
    path = STATIC / name
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_version(name)}"


def request_lang(request: Request, fallback: str | None = None) -> str:
    """The page language: the switch (cookie) first, then the person's own, else Vietnamese."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("vi", "en"):
        return chosen
    return normalize_locale(fallback)


class Tr:
    """``_("msgid", name=value)`` inside templates, in the page's language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, msgid: str | Msg, **params: Any) -> str:
        if isinstance(msgid, Msg):
            return msgid.render(self.locale)
        text = gettext(msgid, self.locale)
        return text.format(**params) if params else text


def _formatters(locale: str, tz: Any) -> dict[str, Any]:
    def score(value: Decimal | str | None, places: int | None = None) -> str:
        if value is None or value == "":
            return "–"
        return format_score(Decimal(str(value)), locale, places)

    def percent(value: Decimal | str | None) -> str:
        if value is None:
            return "–"
        return format_percent(Decimal(str(value)), locale)

    def when(value: datetime | None) -> str:
        return format_datetime(value, tz) if value else "–"

    def day(value: datetime | None) -> str:
        return format_date(value, tz) if value else "–"

    def local_input(value: datetime | None) -> str:
        """The value of an ``<input type="datetime-local">`` in local time."""
        return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if value else ""

    def size(value: int) -> str:
        return size_text(value, locale)

    def status_label(value: object) -> str:
        key = str(getattr(value, "value", value))
        return gettext(STATUS_LABELS.get(key, key), locale)

    return {
        "score": score,
        "percent": percent,
        "when": when,
        "day": day,
        "local_input": local_input,
        "size": size,
        "status_label": status_label,
    }


def base_context(request: Request, locale: str) -> dict[str, Any]:
    settings = get_settings(request)
    tz = settings.tz
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return {
        "_": Tr(locale),
        "lang": locale,
        "other_lang": "en" if locale == "vi" else "vi",
        "csrf": csrf_token(settings.secret_key, request, SESSION_COOKIES),
        "static_url": static_url,
        "here": path,
        "here_q": quote(path, safe=""),
        "tz": tz,
        "max_mb": settings.max_upload_mb,
        "role_label": _label(ROLE_LABELS),
        "period_status": _label(PERIOD_STATUS),
        "section_label": _label(SECTION_LABELS),
        **_formatters(locale, tz),
    }


async def render(
    request: Request,
    template: str,
    *,
    locale: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    html = await env.get_template(template).render_async(**base_context(request, locale), **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers.update({**SECURITY_HEADERS, "Content-Language": locale, **(headers or {})})
    remember_csrf_seed(request, response)
    return response


async def render_fragment(request: Request, template: str, *, locale: str, **context: Any) -> str:
    """A piece of a page (an item row) for the script to swap in place."""
    return await env.get_template(template).render_async(**base_context(request, locale), **context)


def svg(markup: str) -> Markup:
    """Server-made SVG (escaped where it holds text) placed inline in a page."""
    return Markup(markup)
