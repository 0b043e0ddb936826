"""Settings from the environment (prefix ``CCHC_``) and an optional ``.env`` file.

Every default is an embedded one, so ``make run`` works on a fresh machine: SQLite under
``./var/``, the sandbox Bot API when no Telegram token is set, Vietnamese, Hà Nội time.
A wrong value stops start-up with one sentence naming the variable (see :func:`load_settings`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")
_SECRET_PLACEHOLDER = "dev-insecure-change-me"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class BotMode(StrEnum):
    polling = "polling"
    webhook = "webhook"
    sandbox = "sandbox"
    off = "off"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CCHC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = f"sqlite://{VAR_DIR}/cchc.sqlite3"
    data_dir: Path = VAR_DIR / "data"
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    bot_mode: BotMode | None = None
    webhook_secret: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    # keys in Redis start with this, so several deployments (or test runs) can share a server
    redis_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = "cchc"
    timezone: str = "Asia/Ho_Chi_Minh"
    locale: Annotated[str, Field(pattern=r"^(vi|en)$")] = "vi"
    secret_key: str = _SECRET_PLACEHOLDER
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    max_upload_mb: Annotated[int, Field(ge=1, le=2000)] = 20
    # Addresses (comma-separated, or "*") of the reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; unset: uvicorn's FORWARDED_ALLOW_IPS, else 127.0.0.1.
    trusted_proxies: str | None = None
    demo: bool = True
    # worker processes of one `cchc serve` (PostgreSQL, webhook or no bot: see docs/deployment.md)
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    # Scheduler (docs/scheduler.md): reminders, auto-lock, the sender's rate limits.
    scheduler_enabled: bool = True
    scheduler_tick_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    scheduler_stale_after_hours: Annotated[float, Field(gt=0, le=24 * 31)] = 12
    scheduler_claim_timeout_seconds: Annotated[int, Field(ge=5, le=86400)] = 300
    scheduler_max_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    scheduler_rate_overall: Annotated[float, Field(gt=0, le=10000)] = 30
    scheduler_rate_per_chat: Annotated[float, Field(gt=0, le=100)] = 1
    # Observability (docs/observability.md): log format and level, access to /metrics.
    log_format: LogFormat = LogFormat.text
    log_level: str = "INFO"
    metrics_token: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
            raise ValueError("must start with sqlite://, postgres:// or postgresql://")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @field_validator("metrics_token", "trusted_proxies")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("telegram_api_url", "public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.bot_mode is None:
            self.bot_mode = BotMode.polling if self.telegram_token else BotMode.sandbox
        if self.bot_mode in (BotMode.polling, BotMode.webhook) and not self.telegram_token:
            raise ValueError(f"CCHC_BOT_MODE={self.bot_mode.value} needs CCHC_TELEGRAM_TOKEN")
        if self.bot_mode is BotMode.webhook and not self.webhook_secret:
            raise ValueError("CCHC_BOT_MODE=webhook needs CCHC_WEBHOOK_SECRET")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key == _SECRET_PLACEHOLDER

    def prepare_dirs(self) -> None:
        """Create the folders the embedded defaults point at (SQLite file, evidence store)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.is_sqlite:
            path = self.database_url.removeprefix("sqlite://").split("?")[0]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)


class SettingsError(Exception):
    """One sentence telling the operator which setting is wrong and why."""


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one sentence an operator can act on."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err.get("loc") or ()
        name = f"CCHC_{str(loc[0]).upper()}" if loc else "the settings"
        reason = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if loc:
            raise SettingsError(f"Invalid setting {name}: {reason}.") from None
        raise SettingsError(f"Invalid settings: {reason}.") from None
