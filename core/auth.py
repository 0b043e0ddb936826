"""Back-office sign-in: passwords, bearer tokens and web sessions, and the role checks that
services use.

Tokens are random (256 bits), shown once, and stored only as their SHA-256 hash in
:class:`~core.models.ApiToken`, with an expiry and a revocation time. ``kind`` tells a bearer
token of the JSON API (``"api"``) from the cookie of a web session (``"session"``); a token of one
kind is refused where the other is expected, so a leaked cookie is not an API key.

Repeated failed sign-ins are throttled by account and by client address
(:mod:`core.sign_in_throttle`): whoever guesses slows himself down, not the account's owner.
Failures for existing accounts are also audited (``auth.failed``, with the address); failures
for unknown names are only counted, in a table that keeps the throttling window and no more.

Role checks live here (not in the routes) so every service, whichever channel calls it, applies
the same rule; system actors (CLI, scheduler) act with the secretariat's authority.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from core.models import ApiToken, BackofficeUser, Channel, UserRole
from core.sign_in_throttle import (
    PAIR_LIMIT,
    WINDOW,
    TooManyAttempts,  # noqa: F401  (re-exported: the channels catch it from here)
    check,
    client_address,
    forget,
    note_failure,
)
from core.users import MIN_PASSWORD, add_user, hash_password, verify_password

TOKEN_KINDS = ("api", "session")
TOKEN_TTL = {"api": timedelta(hours=12), "session": timedelta(hours=8)}
MAX_FAILURES = PAIR_LIMIT  # failures of one account from one address within LOCKOUT
LOCKOUT = WINDOW
TOKEN_PREFIX = "cchc_"
# last_used_at is a hint for the secretariat, not a log: write it at most this often.
_TOUCH_EVERY = timedelta(minutes=5)


class AuthError(UserError):
    """No valid credentials (HTTP 401): wrong password, unknown, expired or revoked token."""


class AccessDenied(UserError):
    """Signed in, but this account's role may not do this (HTTP 403)."""


@dataclass(frozen=True)
class IssuedToken:
    """A fresh token: the only moment the plain value exists."""

    token: str
    token_id: int
    kind: str
    expires_at: datetime
    user: BackofficeUser


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def user_actor(user: BackofficeUser, channel: Channel = Channel.api) -> Actor:
    """The actor a signed-in back-office user acts as, for services and the audit trail."""
    return Actor("user", user.id, user.full_name or user.username, channel)


_dummy_hash: str | None = None


def _burn_time(password: str) -> None:
    """Verify against a dummy hash so an unknown username costs as much as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    verify_password(password, _dummy_hash)


def _bad_credentials() -> AuthError:
    return AuthError(Msg(N_("Wrong username or password.")))


async def login(
    username: str,
    password: str,
    *,
    now: datetime,
    kind: str = "api",
    name: str = "",
    channel: Channel = Channel.api,
    address: str | None = None,
) -> IssuedToken:
    """Check a password and issue a token of ``kind``; failures are throttled by account and
    by ``address`` (the client's, as the reverse proxy reports it), and audited for accounts
    that exist."""
    if kind not in TOKEN_KINDS:
        raise ValueError(f"unknown token kind {kind!r}")
    username = (username or "").strip().lower()[:64]
    address = client_address(address)
    await check(username, address, now)
    user = await BackofficeUser.get_or_none(username=username) if username else None
    if user is None:
        _burn_time(password)
        ok = False
    else:
        ok = verify_password(password, user.password_hash) and user.active
    actor = Actor("user", user.id if user else None, username, channel)
    if not ok:
        async with in_transaction():
            await note_failure(username, address, now)
            if user is not None:  # unknown names are counted, not audited (no unbounded growth)
                reason = "inactive" if not user.active else "wrong password"
                await record(
                    actor, "auth.failed", "login", username, new={"address": address}, reason=reason
                )
        raise _bad_credentials()
    assert user is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + TOKEN_TTL[kind]
    async with in_transaction():
        row = await ApiToken.create(
            user=user,
            kind=kind,
            token_hash=hash_token(token),
            name=name.strip()[:255],
            expires_at=expires_at,
        )
        await BackofficeUser.filter(id=user.id).update(last_login_at=now)
        await forget(username, address)
        await record(
            actor, "auth.login", "login", username, new={"token_id": row.id, "address": address}
        )
        await record(
            user_actor(user, channel),
            "token.issue",
            "api_token",
            row.id,
            new={"kind": kind, "expires_at": expires_at, "name": row.name},
        )
    return IssuedToken(token, row.id, kind, expires_at, user)


async def verify_token(token: str, *, now: datetime, kind: str = "api") -> BackofficeUser:
    """The active user a valid, unexpired, unrevoked token of ``kind`` belongs to."""
    if not token or len(token) > 200:
        raise AuthError(Msg(N_("Sign in first: the token is missing or not valid.")))
    row = await ApiToken.get_or_none(token_hash=hash_token(token)).prefetch_related("user")
    if row is None or row.kind != kind:
        raise AuthError(Msg(N_("Sign in first: the token is missing or not valid.")))
    if row.revoked_at is not None:
        raise AuthError(Msg(N_("This token was revoked; sign in again.")))
    if row.expires_at <= now:
        raise AuthError(Msg(N_("This token has expired; sign in again.")))
    if not row.user.active:
        raise AuthError(Msg(N_("This account is disabled.")))
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        await ApiToken.filter(id=row.id).update(last_used_at=now)
    return row.user


async def revoke_token(actor: Actor, token: str, *, now: datetime) -> bool:
    """Revoke the token itself (sign out); returns False if it was unknown or already revoked."""
    row = await ApiToken.get_or_none(token_hash=hash_token(token or ""))
    if row is None:
        return False
    return await _revoke(actor, row, now)


async def revoke_token_id(actor: Actor, token_id: int, *, now: datetime) -> bool:
    """Revoke a token by id: its owner, or an administrator (e.g. a lost laptop)."""
    row = await ApiToken.get_or_none(id=token_id)
    user = await require_role(actor, allow_system=True)
    if row is None or (
        user is not None and user.role != UserRole.admin and row.user_id != user.id  # type: ignore[attr-defined]
    ):
        raise NotFound(Msg(N_("There is no such token.")))
    return await _revoke(actor, row, now)


async def _revoke(actor: Actor, row: ApiToken, now: datetime) -> bool:
    async with in_transaction():
        changed = await ApiToken.filter(id=row.id, revoked_at=None).update(revoked_at=now)
        if changed:
            await record(
                actor,
                "token.revoke",
                "api_token",
                row.id,
                old={"revoked_at": None},
                new={"revoked_at": now, "user_id": row.user_id},  # type: ignore[attr-defined]
            )
    return bool(changed)


async def list_tokens(actor: Actor, user_id: int | None = None) -> list[ApiToken]:
    """Tokens of one user (default: the actor); other users' tokens for administrators only."""
    me = await require_role(actor, allow_system=True)
    if user_id is None:
        if me is None:
            raise AccessDenied(Msg(N_("This needs a back-office account.")))
        user_id = me.id
    if me is not None and me.role != UserRole.admin and me.id != user_id:
        raise AccessDenied(Msg(N_("Only an administrator can do this.")))
    return await ApiToken.filter(user_id=user_id).order_by("-id")


# ----------------------------------------------------------------------------------------------
# Role checks
# ----------------------------------------------------------------------------------------------


class NotFound(UserError):
    """The thing asked for does not exist, or this account may not know it exists (HTTP 404)."""


async def acting_user(actor: Actor) -> BackofficeUser | None:
    """The active back-office user behind an actor, or None for anyone else."""
    if actor.kind != "user" or actor.id is None:
        return None
    return await BackofficeUser.get_or_none(id=actor.id, active=True)


async def require_role(
    actor: Actor, *roles: UserRole, allow_system: bool = True
) -> BackofficeUser | None:
    """Refuse unless the actor is an active back-office user with one of ``roles`` (any role
    when none is given). System actors (CLI, scheduler) pass when ``allow_system``; they act for
    the secretariat and return None. Officers never pass."""
    if actor.kind == "system":
        if allow_system:
            return None
        raise AccessDenied(Msg(N_("This action needs a person, not the system.")))
    if actor.kind != "user":
        raise AccessDenied(Msg(N_("This needs a back-office account.")))
    user = await acting_user(actor)
    if user is None:
        raise AccessDenied(Msg(N_("This account is disabled.")))
    if roles and user.role not in roles:
        if roles == (UserRole.admin,):
            raise AccessDenied(Msg(N_("Only an administrator can do this.")))
        raise AccessDenied(
            Msg(N_("The role “{role}” may not do this."), role=UserRole(user.role).value)
        )
    return user


async def require_admin(actor: Actor) -> BackofficeUser | None:
    return await require_role(actor, UserRole.admin)


# ----------------------------------------------------------------------------------------------
# Accounts (users and roles)
# ----------------------------------------------------------------------------------------------


async def create_user(
    actor: Actor,
    username: str,
    password: str,
    role: UserRole | str,
    *,
    full_name: str = "",
    email: str = "",
) -> BackofficeUser:
    """An administrator creates an account (the CLI does it with a system actor)."""
    await require_admin(actor)
    return await add_user(actor, username, password, role, full_name=full_name, email=email)


async def update_user(
    actor: Actor,
    user_id: int,
    *,
    now: datetime,
    role: UserRole | str | None = None,
    active: bool | None = None,
    full_name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    locale: str | None = None,
) -> BackofficeUser:
    """Change an account. Role, activity and other people's passwords are for administrators;
    anyone may change their own name, e-mail, language and password. Disabling an account or
    changing its password revokes its tokens. An administrator cannot demote or disable
    themself, so the service never ends up without an administrator by accident."""
    me = await require_role(actor)
    user = await BackofficeUser.get_or_none(id=user_id)
    is_admin = me is None or me.role == UserRole.admin
    if user is None or (not is_admin and me is not None and me.id != user_id):
        raise NotFound(Msg(N_("There is no account with the id {id}."), id=user_id))
    if (role is not None or active is not None) and not is_admin:
        raise AccessDenied(Msg(N_("Only an administrator can do this.")))
    changes: dict[str, object] = {}
    if role is not None:
        try:
            role = UserRole(role)
        except ValueError:
            raise UserError(
                Msg(N_("Unknown role “{role}”; use admin, appraiser or viewer."), role=role)
            ) from None
        if role != user.role:
            changes["role"] = role
    if active is not None and active != user.active:
        changes["active"] = active
    if me is not None and me.id == user.id and ("role" in changes or active is False):
        raise Conflict(Msg(N_("You cannot remove your own administrator rights or account.")))
    if full_name is not None and full_name.strip() != user.full_name:
        changes["full_name"] = full_name.strip()[:255]
    if email is not None and email.strip() != user.email:
        changes["email"] = email.strip()[:255]
    if locale is not None and locale != user.locale:
        if locale not in ("vi", "en"):
            raise UserError(Msg(N_("The language must be vi or en.")))
        changes["locale"] = locale
    if password is not None:
        if len(password) < MIN_PASSWORD:
            raise UserError(Msg(N_("The password needs at least {n} characters."), n=MIN_PASSWORD))
        changes["password_hash"] = hash_password(password)
    if not changes:
        return user
    old = {k: getattr(user, k) for k in changes if k != "password_hash"}
    new = {k: v for k, v in changes.items() if k != "password_hash"}
    if "password_hash" in changes:
        new["password"] = "changed"
    async with in_transaction():
        await BackofficeUser.filter(id=user.id).update(**changes)
        if "password_hash" in changes or changes.get("active") is False:
            await ApiToken.filter(user_id=user.id, revoked_at=None).update(revoked_at=now)
        action = "user.role" if "role" in changes else "user.update"
        await record(actor, action, "backoffice_user", user.id, old=old, new=new)
    return await BackofficeUser.get(id=user.id)


async def list_users(actor: Actor) -> list[BackofficeUser]:
    await require_admin(actor)
    return await BackofficeUser.all().order_by("id")


async def get_user(actor: Actor, user_id: int) -> BackofficeUser:
    me = await require_role(actor)
    if me is not None and me.role != UserRole.admin and me.id != user_id:
        raise NotFound(Msg(N_("There is no account with the id {id}."), id=user_id))
    user = await BackofficeUser.get_or_none(id=user_id)
    if user is None:
        raise NotFound(Msg(N_("There is no account with the id {id}."), id=user_id))
    return user


class Conflict(UserError):
    """The request contradicts the current state (HTTP 409)."""
