"""What handlers need besides the update, built once by the composition root.

Injected into every handler as the workflow data ``deps``; tests pass their own clock and a
temporary file store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.files import FileStore
from core.timefmt import VIETNAM
from forms.outline import Outline


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BotDeps:
    files: FileStore
    max_bytes: int = 20 * 1024 * 1024
    tz: ZoneInfo = VIETNAM
    clock: Callable[[], datetime] = utc_now
    album_delay: float = 1.0  # quiet time after the last file of an album before one reply
    extra: dict[str, object] = field(default_factory=dict)
    # Frozen criteria sets never change and a sheet never changes its set: both are cached
    # for the life of the bot, which saves queries on every answer.
    outlines: dict[int, Outline] = field(default_factory=dict)
    sheet_sets: dict[int, int] = field(default_factory=dict)
    # The web form's one-time sign-in link for an officer: (url, expiry). The app wires it
    # (the bot cannot import the app); None when the web form is not part of this build.
    web_link: Callable[[int, datetime], Awaitable[tuple[str, datetime]]] | None = None

    def now(self) -> datetime:
        return self.clock()
