"""The audit trail: every mutating service calls :func:`record` inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from core.models import AuditEvent, Channel


@dataclass(frozen=True)
class Actor:
    """Who is acting: an officer, a back-office user, or the system itself (CLI, scheduler)."""

    kind: str  # "officer", "user", "system"
    id: int | None
    name: str
    channel: Channel
    # An officer's unit when the caller has just read the active officer (the bot's middleware,
    # once per update): the unit checks then need not read the officer again. None: read it.
    unit_id: int | None = None

    @classmethod
    def system(cls, channel: Channel = Channel.system, name: str = "system") -> Actor:
        return cls("system", None, name, channel)


def _plain(value: Any) -> Any:
    """Make a value JSON-safe without losing what a reader needs (decimals stay exact text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


async def record(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    unit_id: int | None = None,
    old: Any = None,
    new: Any = None,
    reason: str = "",
) -> None:
    """Append one event (in the caller's transaction, when there is one)."""
    await AuditEvent.create(
        at=datetime.now(UTC),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        channel=actor.channel,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        unit_id=unit_id,
        old_value=_plain(old),
        new_value=_plain(new),
        reason=reason,
    )
