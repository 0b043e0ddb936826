"""Process-wide logging: human-readable text or one JSON object per line, and no secrets.

``cchc serve`` calls :func:`setup_logging` once, before uvicorn starts, and hands the same
configuration to uvicorn as its ``log_config``, so uvicorn's own loggers (``uvicorn.error``,
``uvicorn.access``) go through the same root handler, in every worker process: one format for
the whole service, which a log shipper can parse.

Secrets are kept out at the formatter, the last step before a line is written, so a careless
``log.info("%s", settings)`` or an exception message quoting a URL cannot leak them: the values
of the configured secrets (bot token, webhook secret, signing key, metrics token, the passwords
inside the database and Redis URLs) are replaced by ``***``, and so are the sign-in tokens of
query strings (``?t=…``) and the bot token in Bot API paths (``/bot<token>/…``) in access logs.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from core.settings import LogFormat, Settings

MASK = "***"

# What every LogRecord carries; anything else on a record came from ``extra=`` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Query parameters that carry credentials: ``t`` is the web form's signed sign-in link.
_QUERY_SECRET = re.compile(
    r"([?&](?:t|token|access_token|secret|password|key|code)=)[^&\s\"']+", re.IGNORECASE
)
_BOT_PATH = re.compile(r"(/bot)\d+(?::|%3A)[A-Za-z0-9_-]+(/)", re.IGNORECASE)
# uvicorn's copy of its message with terminal colours: noise in a JSON line
_DROPPED = {"color_message"}
_URL_PASSWORD = re.compile(r"(\w+://[^/:@\s]*:)[^@/\s]+(@)")


class Redactor:
    """Replaces known secret values and secret-looking URL parts in a piece of log text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # longest first, so a secret containing another is masked whole; very short values
        # (an empty password, "x") would mask ordinary words and are left to the patterns
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _QUERY_SECRET.sub(rf"\1{MASK}", text)
        text = _BOT_PATH.sub(rf"\1{MASK}\2", text)
        return _URL_PASSWORD.sub(rf"\1{MASK}\2", text)


def secrets_of(settings: Settings) -> list[str]:
    """Every configured value that must never appear in a log line."""
    values = [
        settings.telegram_token,
        settings.webhook_secret,
        settings.metrics_token,
        None if settings.uses_default_secret else settings.secret_key,
    ]
    for url in (settings.database_url, settings.redis_url):
        if url:
            password = urlsplit(url).password
            if password:
                values += [password, unquote(password)]
    return [v for v in values if v]


def _iso(created: float) -> str:
    return (
        datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class TextFormatter(logging.Formatter):
    """The classic one-line format (UTC time), redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        self.redact = redact

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso(record.created)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``,
    the record's ``extra`` fields, ``exception`` (the formatted traceback) when there is one;
    uvicorn's access lines also get ``client``, ``method``, ``path``, ``status``."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, http_version, status = args
            entry.update(
                client=client,
                method=method,
                path=self.redact(str(path)),
                http_version=http_version,
                status=status,
            )
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _DROPPED and key not in entry:
                entry[key] = _jsonable(value, self.redact)
        if record.exc_info:
            entry["exception"] = self.redact(
                "".join(traceback.format_exception(*record.exc_info)).rstrip()
            )
        elif record.exc_text:
            entry["exception"] = self.redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _jsonable(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v, redact) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, redact) for k, v in value.items()}
    return redact(str(value))


def make_formatter(
    format: str = "text", secrets: Iterable[str] = (), **_ignored: Any
) -> logging.Formatter:
    """The formatter factory :func:`logging_config` names (``dictConfig``'s ``"()"``); extra
    keys uvicorn may add (``use_colors``) are ignored."""
    redact = Redactor(secrets)
    return JsonFormatter(redact) if LogFormat(format) is LogFormat.json else TextFormatter(redact)


def logging_config(
    format: LogFormat | str = LogFormat.text,
    level: str = "INFO",
    *,
    secrets: Iterable[str | None] = (),
    stream: str = "ext://sys.stderr",
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary sending every logger (the service's,
    aiogram's, uvicorn's) to one handler in the chosen format.

    uvicorn takes it as ``log_config`` and applies it again in each worker process (they are
    spawned, so they inherit nothing), which keeps ``--workers`` output in the same format.
    """
    formatter = {
        "()": "core.logs.make_formatter",
        "format": LogFormat(format).value,
        "secrets": [s for s in secrets if s],
    }
    own = {"handlers": [], "propagate": True}  # uvicorn's loggers: through the root handler
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # "default" and "access" are the names uvicorn expects when it adjusts colours
        "formatters": {"default": formatter, "access": dict(formatter)},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": stream}
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {name: dict(own) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }


def setup_logging(settings: Settings) -> dict[str, Any]:
    """Configure this process from ``CCHC_LOG_FORMAT`` and ``CCHC_LOG_LEVEL``, masking the
    settings' secrets; returns the configuration, for uvicorn's ``log_config``."""
    config = logging_config(settings.log_format, settings.log_level, secrets=secrets_of(settings))
    logging.config.dictConfig(config)
    return config
