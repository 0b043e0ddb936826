"""Typed dependencies of the API routes: who is calling, in which language, at what time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import CsrfError, request_locale
from core.audit import Actor
from core.auth import AuthError, user_actor, verify_token
from core.files import FileStore
from core.i18n import N_, Msg
from core.models import BackofficeUser, Channel
from core.notify import Notifier, NullNotifier
from core.settings import Settings

SESSION_COOKIE = "cchc_session"
# The cookies a CSRF token is bound to (app.web.sessions.SESSION_COOKIES: the officer's web
# session and this one); spelled here because app.web imports this module.
SESSION_COOKIES = ("cchc_officer", SESSION_COOKIE)

bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token>` from `POST /api/v1/auth/token`.",
)
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The web session cookie from `POST /api/v1/auth/session`.",
)


async def get_now() -> datetime:
    """The current time (UTC); tests override this dependency to travel in time."""
    return datetime.now(UTC)


def get_client_address(request: Request) -> str:
    """The client's address: behind the reverse proxy, the one it reports in X-Forwarded-For
    (uvicorn believes it only from CCHC_TRUSTED_PROXIES; docs/deployment.md)."""
    return request.client.host if request.client is not None else ""


def get_settings(request: Request) -> Settings:
    """The settings the application was built with (:func:`app.main.create_app`); the only
    place that reads them from the application's state."""
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_tz(settings: SettingsDep) -> ZoneInfo:
    return settings.tz


def get_notifier(request: Request) -> Notifier:
    """The bot's notifier; tests put a recording one in its place."""
    return getattr(request.app.state, "notifier", None) or NullNotifier()


def get_file_store(settings: SettingsDep) -> FileStore:
    return FileStore(settings.data_dir)


Now = Annotated[datetime, Depends(get_now)]
ClientAddress = Annotated[str, Depends(get_client_address)]
Locale = Annotated[str, Depends(request_locale)]
Tz = Annotated[ZoneInfo, Depends(get_tz)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]
Files = Annotated[FileStore, Depends(get_file_store)]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def require_api_csrf(request: Request, settings: Settings) -> None:
    """A write made with the session cookie carries the session's CSRF token in
    ``X-CSRF-Token`` (the same signed double submit as the web forms): a foreign page can make
    the browser send the cookie, never the token. Bearer calls need none."""
    if request.method in SAFE_METHODS:
        return
    # imported here: the app.web package imports this module (its routes use these deps)
    from app.web.security import CSRF_HEADER, csrf_valid

    if not csrf_valid(
        settings.secret_key, request, request.headers.get(CSRF_HEADER), SESSION_COOKIES
    ):
        raise CsrfError(
            Msg(
                N_(
                    "The session's anti-forgery token (X-CSRF-Token) is missing or not valid; "
                    "send the csrf_token from POST /api/v1/auth/session or GET "
                    "/api/v1/auth/csrf with every change."
                )
            )
        )


async def current_user(
    now: Now,
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> BackofficeUser:
    """The signed-in back-office user: a bearer token, else the web session cookie (whose
    writes must carry the CSRF token)."""
    if credentials is not None:
        if credentials.scheme.lower() != "bearer":
            raise AuthError(Msg(N_("Sign in first: the token is missing or not valid.")))
        return await verify_token(credentials.credentials, now=now, kind="api")
    if cookie:
        user = await verify_token(cookie, now=now, kind="session")
        require_api_csrf(request, settings)
        return user
    raise AuthError(Msg(N_("Sign in first: the token is missing or not valid.")))


CurrentUser = Annotated[BackofficeUser, Depends(current_user)]


async def current_actor(user: CurrentUser, request: Request) -> Actor:
    """The caller as the services' actor; the channel says API or web session."""
    via_cookie = "authorization" not in request.headers
    return user_actor(user, Channel.web if via_cookie else Channel.api)


CurrentActor = Annotated[Actor, Depends(current_actor)]

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]

# Ids within the database's 32-bit integer columns, so a huge number is a 422, not a crash.
_MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=_MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=_MAX_ID)]
