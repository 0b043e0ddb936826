"""What the secretariat does to back-office accounts beyond :mod:`core.auth`: reset a
forgotten password (typed, or generated and shown once) and sign an account out everywhere.

Both build on :func:`core.auth.update_user` and the token table, so the rules stay in one
place: only administrators, every change audited, a new password revokes the old sessions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import NotFound, require_admin, update_user
from core.i18n import N_, Msg
from core.models import ApiToken, BackofficeUser

GENERATED_LENGTH = 14
# no look-alikes (0/O, 1/l/I) so a password read aloud or copied by hand works the first time
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class PasswordReset:
    user: BackofficeUser
    password: str  # shown once to the administrator, never stored
    generated: bool


def generate_password(length: int = GENERATED_LENGTH) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


async def reset_password(
    actor: Actor, user_id: int, *, now: datetime, password: str = ""
) -> PasswordReset:
    """Set a new password for someone else (administrators); an empty one is generated. The
    account's sessions and tokens end (``core.auth.update_user`` revokes them)."""
    await require_admin(actor)
    generated = not password
    chosen = generate_password() if generated else password
    user = await update_user(actor, user_id, now=now, password=chosen)
    return PasswordReset(user, chosen, generated)


async def revoke_all_tokens(actor: Actor, user_id: int, *, now: datetime) -> int:
    """End every open session and API token of an account (a lost laptop, a leaked key);
    returns how many were revoked. One audit event lists them."""
    await require_admin(actor)
    user = await BackofficeUser.get_or_none(id=user_id)
    if user is None:
        raise NotFound(Msg(N_("There is no account with the id {id}."), id=user_id))
    async with in_transaction():
        ids = list(
            await ApiToken.filter(user_id=user.id, revoked_at=None, expires_at__gt=now).values_list(
                "id", flat=True
            )
        )
        if ids:
            await ApiToken.filter(id__in=ids).update(revoked_at=now)
            await record(
                actor,
                "token.revoke_all",
                "backoffice_user",
                user.id,
                new={"revoked": ids, "username": user.username},
            )
    return len(ids)
