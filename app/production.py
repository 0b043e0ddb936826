"""What ``cchc serve`` refuses or warns about before it listens (docs/deployment.md).

A configuration that would lose conversations, send duplicate updates, let anyone forge a
sign-in link or run new code on an old schema stops the start with one sentence saying what to
change; one that merely works less well (rate limits not shared) starts with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.i18n import N_, Msg
from core.settings import BotMode, Settings

OFFICIAL_API = "https://api.telegram.org"


@dataclass
class Checks:
    problems: list[Msg] = field(default_factory=list)
    warnings: list[Msg] = field(default_factory=list)


def check_serve(settings: Settings, workers: int) -> Checks:
    """Judge the settings for ``workers`` processes of this instance."""
    checks = Checks()
    mode = settings.bot_mode or BotMode.off
    real_bot = mode in (BotMode.polling, BotMode.webhook)
    if workers > 1:
        if settings.is_sqlite:
            checks.problems.append(
                Msg(
                    N_(
                        "Several worker processes need PostgreSQL: a SQLite file serves one "
                        "process. Set CCHC_DATABASE_URL to a PostgreSQL database or use one "
                        "worker."
                    )
                )
            )
        if mode is BotMode.polling:
            checks.problems.append(
                Msg(
                    N_(
                        "Several worker processes cannot all poll Telegram: each poll takes the "
                        "updates away from the others. Use CCHC_BOT_MODE=webhook or one worker."
                    )
                )
            )
        if mode is BotMode.sandbox:
            checks.problems.append(
                Msg(
                    N_(
                        "The sandbox Bot API lives in the memory of one process: serve it with "
                        "one worker."
                    )
                )
            )
        if not settings.redis_url and not settings.is_sqlite:
            checks.warnings.append(
                Msg(
                    N_(
                        "CCHC_REDIS_URL is not set: each worker keeps its own Telegram rate "
                        "limits, so together they may send faster than Telegram allows."
                    )
                )
            )
    if settings.uses_default_secret:
        if real_bot or not settings.demo:
            checks.problems.append(
                Msg(
                    N_(
                        "CCHC_SECRET_KEY is still the development placeholder, so anyone could "
                        "forge sign-in links and sessions. Set a long random value, for example "
                        "the output of: {command}"
                    ),
                    command='python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
                )
            )
        else:
            checks.warnings.append(
                Msg(
                    N_(
                        "CCHC_SECRET_KEY is the development placeholder: fine for a demo, never "
                        "for real officers."
                    )
                )
            )
    if (
        mode is BotMode.webhook
        and settings.telegram_api_url == OFFICIAL_API
        and not settings.public_url.startswith("https://")
    ):
        checks.problems.append(
            Msg(
                N_(
                    "Telegram delivers webhooks only to https:// addresses: set CCHC_PUBLIC_URL "
                    "to the public https address of the reverse proxy."
                )
            )
        )
    return checks


async def pending_migrations(database_url: str) -> list[str]:
    """Migrations the database lacks (``app.0002_…``); empty when the schema is current."""
    from tortoise import Tortoise, connections
    from tortoise.context import TortoiseContext
    from tortoise.migrations.executor import MigrationExecutor

    from app.db import tortoise_config

    config = tortoise_config(database_url)
    async with TortoiseContext():
        await Tortoise.init(config=config)
        try:
            executor = MigrationExecutor(connections.get("default"), config["apps"])
            steps = await executor.plan()
        finally:
            await Tortoise.close_connections()
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]
