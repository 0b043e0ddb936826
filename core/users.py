"""Back-office accounts: creation and password checks (argon2 through pwdlib)."""

from __future__ import annotations

import re

from pwdlib import PasswordHash
from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from core.models import BackofficeUser, UserRole

_hasher = PasswordHash.recommended()
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


async def add_user(
    actor: Actor,
    username: str,
    password: str,
    role: UserRole | str,
    full_name: str = "",
    email: str = "",
) -> BackofficeUser:
    """Create an account; refuses weak passwords and taken names with a clear sentence."""
    username = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9_.\-]{3,64}", username):
        raise UserError(
            Msg(N_("A username has 3–64 letters without diacritics, digits, “.”, “_” or “-”."))
        )
    try:
        role = UserRole(role)
    except ValueError:
        raise UserError(
            Msg(N_("Unknown role “{role}”; use admin, appraiser or viewer."), role=role)
        ) from None
    if len(password) < MIN_PASSWORD:
        raise UserError(Msg(N_("The password needs at least {n} characters."), n=MIN_PASSWORD))
    async with in_transaction():
        if await BackofficeUser.filter(username=username).exists():
            raise UserError(
                Msg(N_("The username “{username}” is already taken."), username=username)
            )
        user = await BackofficeUser.create(
            username=username,
            full_name=full_name,
            email=email,
            role=role,
            password_hash=hash_password(password),
        )
        await record(
            actor,
            "user.create",
            "backoffice_user",
            user.id,
            new={"username": username, "role": role, "full_name": full_name},
        )
    return user
