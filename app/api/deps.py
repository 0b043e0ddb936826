"""Typed dependencies of the API routes: who is calling, in which language, at what time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import request_locale
from core.audit import Actor
from core.auth import AuthError, user_actor, verify_token
from core.files import FileStore
from core.i18n import N_, Msg
from core.models import BackofficeUser, Channel
from core.notify import Notifier, NullNotifier
from core.timefmt import VIETNAM

SESSION_COOKIE = "cchc_session"

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


def get_locale(request: Request) -> str:
    return request_locale(request)


def get_tz(request: Request) -> ZoneInfo:
    settings = getattr(request.app.state, "settings", None)
    return settings.tz if settings is not None else VIETNAM


def get_notifier(request: Request) -> Notifier:
    return getattr(request.app.state, "notifier", None) or NullNotifier()


def get_file_store(request: Request) -> FileStore:
    return FileStore(request.app.state.settings.data_dir)


Now = Annotated[datetime, Depends(get_now)]
Locale = Annotated[str, Depends(get_locale)]
Tz = Annotated[ZoneInfo, Depends(get_tz)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]
Files = Annotated[FileStore, Depends(get_file_store)]


async def current_user(
    now: Now,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> BackofficeUser:
    """The signed-in back-office user: a bearer token, else the web session cookie."""
    if credentials is not None:
        if credentials.scheme.lower() != "bearer":
            raise AuthError(Msg(N_("Sign in first: the token is missing or not valid.")))
        return await verify_token(credentials.credentials, now=now, kind="api")
    if cookie:
        return await verify_token(cookie, now=now, kind="session")
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
