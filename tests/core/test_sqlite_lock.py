"""Another process holding the SQLite file's write lock (``cchc backup``, a shell) is waited
for, not an error for the officer, and the service goes on meanwhile; a lock held longer than
the busy timeout fails the action and changes nothing (app/db.py, ``SQLITE_BUSY_TIMEOUT_MS``)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError

from app.db import SQLITE_BUSY_TIMEOUT_MS
from core import sql
from core.models import UnitGroup


@pytest.fixture
def sqlite_file(db: str) -> str:
    if not db.startswith("sqlite://"):
        pytest.skip("SQLite only: PostgreSQL has row locks, not a file lock")
    return db.removeprefix("sqlite://").split("?")[0]


@contextmanager
def locked_for(path: str, seconds: float) -> Iterator[None]:
    """Another process's write lock on the file, released after ``seconds``."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    timer = threading.Timer(seconds, lambda: other.execute("ROLLBACK"))
    timer.start()
    try:
        yield
    finally:
        timer.join()
        other.close()


async def _ticks_while(coro: object) -> tuple[object, int]:
    """Run ``coro`` and count how often the loop got to run something else meanwhile."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    try:
        result = await coro  # type: ignore[misc]
    finally:
        done.set()
        await task
    return result, ticks


async def test_the_busy_timeout_is_set(sqlite_file: str) -> None:
    found = await sql.rows("PRAGMA busy_timeout")
    assert list(found[0].values()) == [SQLITE_BUSY_TIMEOUT_MS]


async def test_a_lock_is_waited_for_while_the_loop_runs_on(sqlite_file: str) -> None:
    group = await UnitGroup.create(code="SO", name="Khối sở", kind="department")
    with locked_for(sqlite_file, 0.4):
        changed, ticks = await _ticks_while(
            UnitGroup.filter(id=group.id).update(name="Khối sở mới")
        )
    assert changed == 1
    assert ticks >= 10  # the loop ran on while SQLite waited (about 40 ticks)
    assert (await UnitGroup.get(id=group.id)).name == "Khối sở mới"


async def test_a_lock_held_too_long_is_an_error_and_changes_nothing(sqlite_file: str) -> None:
    group = await UnitGroup.create(code="SO", name="Khối sở", kind="department")
    client = connections.get("default")
    await client.execute_script("PRAGMA busy_timeout = 200")
    try:
        with locked_for(sqlite_file, 0.6), pytest.raises(OperationalError, match="locked"):
            await UnitGroup.filter(id=group.id).update(name="Khối khác")
    finally:
        await client.execute_script(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    assert (await UnitGroup.get(id=group.id)).name == "Khối sở"
