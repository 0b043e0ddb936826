"""What handlers need besides the update, built once by the composition root.

Injected into every handler as the workflow data ``deps``; tests pass their own clock and a
temporary file store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.files import FileStore
from core.timefmt import VIETNAM

if TYPE_CHECKING:
    from bot.routers.evidence import Batch


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BotDeps:
    files: FileStore
    max_bytes: int = 20 * 1024 * 1024
    tz: ZoneInfo = VIETNAM
    clock: Callable[[], datetime] = utc_now
    album_delay: float = 1.0  # quiet time after the last file of an album before one reply
    # The service's address for the evidence links inside a scorecard workbook, and the key
    # that signs them; the composition root sets both ("": the configured settings).
    public_url: str = ""
    secret_key: str = ""
    # The web form's one-time sign-in link for an officer: (url, expiry). The app wires it
    # (the bot cannot import the app); None when the web form is not part of this build.
    web_link: Callable[[int, datetime], Awaitable[tuple[str, datetime]]] | None = None
    # (is a review, id) -> unit of the sheet or review a button names (routers.common)
    unit_of_button: dict[tuple[bool, int], int] = field(default_factory=dict)
    # albums being received, by (chat, media group), and their pending acknowledgements
    albums: dict[tuple[int, str], Batch] = field(default_factory=dict)
    album_replies: set[asyncio.Task[None]] = field(default_factory=set)

    def now(self) -> datetime:
        return self.clock()
