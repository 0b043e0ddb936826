"""What every ``cchc`` command module shares: the consoles, the settings, and the database
opened around one unit of async work, with a refusal ending the command in one sentence."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from app import db
from core.audit import Actor
from core.i18n import UserError
from core.models import Channel
from core.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)
CLI_ACTOR = Actor.system(Channel.cli, "cli")


def cli_settings() -> Settings:
    """The environment's settings, with the data directories made; a bad setting ends the
    command (exit code 2) with what is wrong."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    settings.prepare_dirs()
    return settings


def run_with_db(settings: Settings, locale: str | None, work: Callable[[], Awaitable[T]]) -> T:
    """Run one unit of async work with the database open; user errors end in one message."""

    async def runner() -> T:
        async with db.database(settings.database_url):
            return await work()

    try:
        return asyncio.run(runner())
    except UserError as exc:
        err_console.print(exc.render(locale), markup=False)
        raise typer.Exit(1) from None
