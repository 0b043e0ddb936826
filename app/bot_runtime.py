"""The bot's place in the service process: started and stopped by the app's lifespan.

Until the Telegram channel is wired this runtime does nothing and its notifier drops notices.
"""

from __future__ import annotations

from fastapi import FastAPI

from core.notify import Notifier, NullNotifier
from core.settings import Settings


class BotRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.notifier: Notifier = NullNotifier()

    def install_routes(self, app: FastAPI) -> None:
        """Add the webhook and sandbox routes to the app (none yet)."""

    async def start(self) -> None:
        """Start polling, set the webhook, or start the sandbox, per ``CCHC_BOT_MODE``."""

    async def stop(self) -> None:
        """Stop whatever :meth:`start` started."""
