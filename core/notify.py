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


class Notifier(Protocol):
    async def notify(self, notice: Notice) -> bool:
        """Deliver one notice; return False when the officer cannot be reached (not bound,
        bot blocked). Raise only for failures worth retrying."""
        ...


class NullNotifier:
    """Used when no channel is running (CLI, bot off): notices are dropped, not lost silently
    from the record, since every service writes its audit event regardless."""

    async def notify(self, notice: Notice) -> bool:
        return False


class RecordingNotifier:
    """Keeps notices in memory, for tests and dry runs."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def notify(self, notice: Notice) -> bool:
        self.notices.append(notice)
        return True
