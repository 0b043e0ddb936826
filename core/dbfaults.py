"""Telling "the database cannot be reached right now" apart from a bug, for every channel.

A connection refused or reset, a pool that cannot connect, the server ending connections
(a restart, ``pg_terminate_backend``, too many clients), or SQLite's file held by another
process past the busy timeout: the request cannot be served now but may succeed in a moment,
so callers answer 503 with :data:`UNAVAILABLE` ("try again"). Everything else stays a bug (a
500, logged with its stack trace). The drivers raise these untranslated (asyncpg's connection
errors, ``ConnectionResetError``) or wrapped (Tortoise's ``OperationalError`` around SQLite's),
so the whole chain of causes is examined.
"""

from __future__ import annotations

import errno
import sqlite3

from tortoise.exceptions import DBConnectionError, OperationalError

from core.i18n import N_, Msg

UNAVAILABLE = N_("The database cannot be reached right now; please try again in a moment.")
RETRY_AFTER_SECONDS = 5

_SQLITE_BUSY = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
)
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}


def unavailable_msg() -> Msg:
    return Msg(UNAVAILABLE)


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or anything that caused it) means the database is out of reach."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unavailable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DBConnectionError | ConnectionError):
        return True
    if isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS:
        return True
    if isinstance(exc, sqlite3.OperationalError | OperationalError):
        text = str(exc).lower()
        if any(sign in text for sign in _SQLITE_BUSY):
            return True
    return _postgres_unavailable(exc)


def _postgres_unavailable(exc: BaseException) -> bool:
    try:
        from asyncpg import exceptions as pg
    except ImportError:  # pragma: no cover - asyncpg is installed with the service
        return False
    if isinstance(
        exc,
        pg.PostgresConnectionError  # SQLSTATE class 08
        | pg.CannotConnectNowError  # the server is starting or shutting down
        | pg.AdminShutdownError  # pg_terminate_backend, a restart
        | pg.CrashShutdownError
        | pg.TooManyConnectionsError,
    ):
        return True
    # the pool handed out a connection that died meanwhile
    return isinstance(exc, pg.InterfaceError) and "connection is closed" in str(exc)
