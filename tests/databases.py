"""Scratch databases of the kind under test: a SQLite file, or a PostgreSQL database created on
the server that ``CCHC_TEST_DATABASE_URL`` names and dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")


def run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a loop of its own, in another thread, for the synchronous
    parts of the suite. ``asyncio.run`` in the main thread would unset its current event loop,
    the session's (pytest-asyncio's); code that then asks for the current loop, such as
    schemathesis' runner of async tests, makes a new one per call and never closes it, and
    every such loop kept its database connection and executor threads until the process
    exited."""
    with ThreadPoolExecutor(1, thread_name_prefix="run-apart") as pool:
        return pool.submit(asyncio.run, coro).result()


def _scratch_postgres(server_url: str) -> tuple[str, str]:
    """Return (admin url, scratch db url) for a fresh database on the given server."""
    parts = urlsplit(server_url.replace("postgresql://", "postgres://", 1))
    name = f"cchc_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    return urlunsplit(parts), urlunsplit(parts._replace(path=f"/{name}"))


async def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_database(folder: Path) -> Iterator[str]:
    """An empty database of the kind under test: a SQLite file, or a PostgreSQL database."""
    server = os.environ.get("CCHC_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite://{folder / 'cchc-test.sqlite3'}"
        return
    admin, url = _scratch_postgres(server)
    name = urlsplit(url).path.lstrip("/")
    run_apart(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        run_apart(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
