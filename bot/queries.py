"""The bot's named read query (docs/data-access.md): who writes, read on every update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import sql
from core.models import OfficerRole

CHAT_OFFICER = (
    "SELECT id, unit_id, full_name, role, locale, telegram_user_id, telegram_chat_id, "
    "bot_blocked_at FROM officer WHERE telegram_user_id = ? AND active = ?"
)


@dataclass(frozen=True)
class ChatOfficer:
    """The active officer bound to a Telegram account, as plain values (names as on
    :class:`core.models.Officer`, whose instances handlers may get too, e.g. right after
    binding). Plain values because every update reads them: the ORM's query building cost
    three times the statement."""

    id: int
    unit_id: int
    full_name: str
    role: OfficerRole
    locale: str
    telegram_user_id: int
    telegram_chat_id: int | None
    bot_blocked_at: datetime | None


async def chat_officer(telegram_user_id: int) -> ChatOfficer | None:
    row = await sql.first(CHAT_OFFICER, [telegram_user_id, True])
    if row is None:
        return None
    return ChatOfficer(
        id=row["id"],
        unit_id=row["unit_id"],
        full_name=row["full_name"],
        role=OfficerRole(row["role"]),
        locale=row["locale"],
        telegram_user_id=row["telegram_user_id"],
        telegram_chat_id=row["telegram_chat_id"],
        bot_blocked_at=sql.as_datetime(row["bot_blocked_at"]),
    )
