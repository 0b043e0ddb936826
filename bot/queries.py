"""The bot's named read queries (docs/data-access.md): what every update reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


CONVERSATION = "SELECT state, data FROM bot_state WHERE key = ?"


async def conversation_row(key: str) -> tuple[str | None, dict[str, Any]]:
    """A chat's remembered state and data (none yet: no state, no data). Read up to twice per
    update where conversations are shared between instances (the FSM's state, then the
    data), so a plain statement rather than the ORM's query building."""
    row = await sql.first(CONVERSATION, [key])
    if row is None:
        return None, {}
    return row["state"], dict(sql.as_json(row["data"]) or {})
