"""One-time invite codes that bind a Telegram account to an officer.

A code is random, shown once (to the secretariat, who passes it on) and stored only as its
SHA-256 hash, with an expiry. Binding checks the code, marks it used with a compare-and-set (so
two people racing with the same code cannot both win) and writes the Telegram identifiers on the
officer. One Telegram account belongs to at most one officer; a new invite for an officer who is
already bound moves the officer to the new account (e.g. a new phone), which is what the
secretariat means by sending a new code.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from core.models import Channel, InviteCode, Officer
from core.timefmt import VIETNAM, format_datetime

# No 0/O, 1/I/L: a code read over the phone or copied from paper stays unambiguous.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
DEFAULT_DAYS = 14
_CODE_SHAPE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


class InviteError(UserError):
    """A code that binds nothing: wrong, expired, used, or for an account already taken."""


@dataclass(frozen=True)
class IssuedInvite:
    """A fresh code: the only moment the plain code exists."""

    code: str
    officer: Officer
    expires_at: datetime

    @property
    def pretty(self) -> str:
        return pretty_code(self.code)


def normalize_code(text: str) -> str:
    """What an officer typed or pasted, as stored: upper case, no spaces or dashes."""
    return re.sub(r"[\s\-_]", "", text or "").upper()


def looks_like_code(text: str) -> bool:
    return bool(_CODE_SHAPE.match(normalize_code(text)))


def pretty_code(code: str) -> str:
    """ "ABCD-EFGH-JKMN": easier to read aloud; the dashes are optional when typing."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("ascii", "ignore")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def create_invite(
    actor: Actor, officer_id: int, *, now: datetime, days: int = DEFAULT_DAYS
) -> IssuedInvite:
    """Issue a new code for an officer; earlier unused codes of that officer stop working."""
    if days < 1 or days > 365:
        raise UserError(Msg(N_("An invite is valid for 1 to 365 days.")))
    officer = await Officer.get_or_none(id=officer_id)
    if officer is None or not officer.active:
        raise UserError(Msg(N_("There is no active officer with the id {id}."), id=officer_id))
    expires_at = now + timedelta(days=days)
    async with in_transaction():
        await InviteCode.filter(officer_id=officer.id, used_at=None, expires_at__gt=now).update(
            expires_at=now
        )
        # one draw of 2^59 codes: the unique hash refuses a repeat (a conflict) rather than
        # ever binding the wrong officer
        code = new_code()
        invite = await InviteCode.create(
            officer=officer, code_hash=hash_code(code), expires_at=expires_at, created_by=actor.name
        )
        await record(
            actor,
            "invite.create",
            "invite_code",
            invite.id,
            unit_id=officer.unit_id,  # type: ignore[attr-defined]
            new={"officer_id": officer.id, "expires_at": expires_at},
        )
    return IssuedInvite(code, officer, expires_at)


async def bind(
    code: str,
    *,
    telegram_user_id: int,
    chat_id: int,
    username: str | None,
    full_name: str = "",
    now: datetime,
    tz: ZoneInfo = VIETNAM,
) -> Officer:
    """Bind the Telegram account to the officer the code was issued for.

    Wrong, expired or used codes raise :class:`InviteError` and change nothing.
    """
    normalized = normalize_code(code)
    if not _CODE_SHAPE.match(normalized):
        raise InviteError(
            Msg(
                N_(
                    "“{code}” is not an invite code. A code has 12 letters and "
                    "digits, e.g. ABCD-EFGH-JKMN."
                ),
                code=code.strip()[:40],
            )
        )
    invite = await InviteCode.get_or_none(code_hash=hash_code(normalized)).prefetch_related(
        "officer"
    )
    if invite is None:
        raise InviteError(
            Msg(
                N_(
                    "This invite code is not valid. Check it for typos, or ask "
                    "the secretariat for a new one."
                )
            )
        )
    if invite.used_at is not None:
        raise InviteError(
            Msg(
                N_(
                    "This invite code was already used on {when}. Each code works "
                    "once; ask the secretariat for a new one."
                ),
                when=format_datetime(invite.used_at, tz),
            )
        )
    if invite.expires_at <= now:
        raise InviteError(
            Msg(
                N_("This invite code expired on {when}. Ask the secretariat for a new one."),
                when=format_datetime(invite.expires_at, tz),
            )
        )
    officer = invite.officer
    if not officer.active:
        raise InviteError(
            Msg(N_("This invite is for an officer who is no longer active. Ask the secretariat."))
        )
    taken = await Officer.get_or_none(telegram_user_id=telegram_user_id)
    if taken is not None and taken.id != officer.id:
        raise InviteError(
            Msg(
                N_(
                    "This Telegram account is already linked to {name}. One "
                    "Telegram account serves one officer; ask the secretariat to "
                    "unlink it first."
                ),
                name=taken.full_name,
            )
        )
    old = {
        "telegram_user_id": officer.telegram_user_id,
        "telegram_username": officer.telegram_username,
    }
    async with in_transaction():
        claimed = await InviteCode.filter(id=invite.id, used_at=None).update(used_at=now)
        if claimed == 0:
            raise InviteError(
                Msg(
                    N_(
                        "This invite code was just used. Each code works once; ask "
                        "the secretariat for a new one."
                    )
                )
            )
        try:
            await Officer.filter(id=officer.id).update(
                telegram_user_id=telegram_user_id,
                telegram_chat_id=chat_id,
                telegram_username=username,
                bound_at=now,
                bot_blocked_at=None,
            )
        except IntegrityError:
            raise InviteError(
                Msg(
                    N_(
                        "This Telegram account is already linked to another "
                        "officer. Ask the secretariat."
                    )
                )
            ) from None
        actor = Actor("officer", officer.id, officer.full_name, Channel.bot)
        await record(
            actor,
            "officer.bind_telegram",
            "officer",
            officer.id,
            unit_id=officer.unit_id,  # type: ignore[attr-defined]
            old=old,
            new={
                "telegram_user_id": telegram_user_id,
                "telegram_username": username,
                "telegram_name": full_name,
                "invite_id": invite.id,
            },
        )
    return await Officer.get(id=officer.id)
