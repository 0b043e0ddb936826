"""How services tell people something without knowing the channel.

The bot implements :class:`Notifier`; ``app`` wires it into the services that need it
(appraisal asking for an explanation, the scheduler's reminders, auto-lock). Services receive a
notifier as an argument, so tests pass a recording one and nothing imports the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from core.i18n import Msg


@dataclass(frozen=True)
class Notice:
    """What to tell one officer: a message, and where a button should take them."""

    officer_id: int
    kind: str  # "explanation_requested", "reminder", "locked", "extension_decided", ...
    msg: Msg
    # where a button should lead, e.g. {"assessment_id": 7, "item": "1.2.3"}
    payload: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """A failure worth retrying later (network trouble, a 5xx from the Bot API)."""


class RetryAfter(DeliveryError):
    """The channel asked us to slow down (Telegram 429) for this many seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class Unreachable(Exception):
    """Permanent for this recipient: not bound to the bot, or the bot was blocked (403)."""

    def __init__(self, reason: str, *, blocked: bool = False) -> None:
        super().__init__(reason)
        self.blocked = blocked


class Notifier(Protocol):
    async def notify(self, notice: Notice) -> int | None:
        """Deliver one notice and return the channel's message id (None if it has none).

        Raises :class:`Unreachable` when the officer cannot be reached, :class:`RetryAfter`
        or :class:`DeliveryError` for failures worth retrying; nothing else."""
        ...


class NullNotifier:
    """Used when no channel is running (CLI, bot off): nobody can be reached; every service
    still writes its audit event, so nothing is lost from the record."""

    async def notify(self, notice: Notice) -> int | None:
        raise Unreachable("no channel is running")


class RecordingNotifier:
    """Keeps notices in memory, for tests and dry runs."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def notify(self, notice: Notice) -> int | None:
        self.notices.append(notice)
        return len(self.notices)
