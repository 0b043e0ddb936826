"""Sign-in (bearer tokens and web sessions), the current user, accounts and roles."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import (
    SESSION_COOKIE,
    SESSION_COOKIES,
    ClientAddress,
    CurrentActor,
    CurrentUser,
    Id,
    Now,
    bearer,
    get_settings,
    session_cookie,
)
from app.api.errors import ApiRoute
from app.api.schemas import (
    CsrfOut,
    LoginIn,
    SessionOut,
    TokenInfo,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from app.web.security import csrf_token, is_https, remember_csrf_seed
from core import auth
from core.models import Channel

router = APIRouter(route_class=ApiRoute, tags=["auth"])
users = APIRouter(route_class=ApiRoute, prefix="/users", tags=["users"])


@router.post("/auth/token", response_model=TokenOut)
async def issue_token(body: LoginIn, now: Now, address: ClientAddress) -> TokenOut:
    """Exchange a username and password for a bearer token (valid 12 hours).

    Failed attempts are throttled by account and by client address (429 with `Retry-After`;
    docs/api.md)."""
    issued = await auth.login(
        body.username,
        body.password,
        now=now,
        kind="api",
        name=body.name,
        channel=Channel.api,
        address=address,
    )
    return TokenOut(
        access_token=issued.token,
        expires_at=issued.expires_at,
        user=UserOut.model_validate(issued.user),
    )


@router.post("/auth/revoke", status_code=204)
async def revoke(request: Request, actor: CurrentActor, now: Now) -> Response:
    """Revoke the token (or session) this request was made with: sign out."""
    credentials = await bearer(request)
    token = credentials.credentials if credentials else await session_cookie(request)
    await auth.revoke_token(actor, token or "", now=now)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/auth/session", response_model=SessionOut)
async def open_session(
    body: LoginIn, now: Now, request: Request, response: Response, address: ClientAddress
) -> SessionOut:
    """Sign in for the web pages: sets an HttpOnly, SameSite=Strict session cookie (8 hours).
    The cookie is accepted by the API as well; a bearer token is not a cookie and vice versa."""
    issued = await auth.login(
        body.username, body.password, now=now, kind="session", channel=Channel.web, address=address
    )
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        expires=issued.expires_at,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path="/",
    )
    cookies = {**request.cookies, SESSION_COOKIE: issued.token}
    return SessionOut(
        expires_at=issued.expires_at,
        user=UserOut.model_validate(issued.user),
        csrf_token=_csrf_token(request, response, cookies),
    )


@router.get("/auth/csrf", response_model=CsrfOut)
async def csrf(request: Request, response: Response, user: CurrentUser) -> CsrfOut:
    """The CSRF token of this session cookie, to send as `X-CSRF-Token` with every write made
    with the cookie (bearer calls need none)."""
    return CsrfOut(csrf_token=_csrf_token(request, response, None))


def _csrf_token(request: Request, response: Response, cookies: dict[str, str] | None) -> str:
    token = csrf_token(get_settings(request).secret_key, request, SESSION_COOKIES, cookies)
    remember_csrf_seed(request, response)
    return token


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("/me/tokens", response_model=list[TokenInfo])
async def my_tokens(actor: CurrentActor) -> list[TokenInfo]:
    """The caller's tokens and sessions (never their values)."""
    return [TokenInfo.model_validate(t) for t in await auth.list_tokens(actor)]


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_by_id(token_id: Id, actor: CurrentActor, now: Now) -> Response:
    """Revoke one token: its owner, or an administrator."""
    await auth.revoke_token_id(actor, token_id, now=now)
    return Response(status_code=204)


@users.get("", response_model=list[UserOut])
async def list_users(actor: CurrentActor) -> list[UserOut]:
    """Back-office accounts (administrators)."""
    return [UserOut.model_validate(u) for u in await auth.list_users(actor)]


@users.post("", response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, actor: CurrentActor) -> UserOut:
    user = await auth.create_user(actor, **body.model_dump())
    return UserOut.model_validate(user)


@users.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: Id, actor: CurrentActor) -> UserOut:
    return UserOut.model_validate(await auth.get_user(actor, user_id))


@users.patch("/{user_id}", response_model=UserOut)
async def update_user(user_id: Id, body: UserUpdate, actor: CurrentActor, now: Now) -> UserOut:
    """Role and activity: administrators. Name, e-mail, language, password: also the user.
    Disabling an account or changing its password revokes its tokens."""
    user = await auth.update_user(actor, user_id, now=now, **body.model_dump())
    return UserOut.model_validate(user)


@users.get("/{user_id}/tokens", response_model=list[TokenInfo])
async def user_tokens(user_id: Id, actor: CurrentActor) -> list[TokenInfo]:
    return [TokenInfo.model_validate(t) for t in await auth.list_tokens(actor, user_id)]
