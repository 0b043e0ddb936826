"""SQLite's hot-path statements run on the loop's thread (core/sqlite_client.py): another
process's lock is waited for without stalling the loop, a lock held too long gives the usual
error and changes nothing, and the ORM's statements still wait for a lock themselves."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import OperationalError

from core import sql
from core.models import UnitGroup


@pytest.fixture
def sqlite_file(db: str) -> str:
    if not db.startswith("sqlite://"):
        pytest.skip("SQLite only: PostgreSQL statements never run on the loop's thread")
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


async def test_a_lock_is_waited_for_on_the_loop(sqlite_file: str) -> None:
    group = await UnitGroup.create(code="SO", name="Khối sở", kind="department")
    with locked_for(sqlite_file, 0.4):
        changed, ticks = await _ticks_while(
            sql.execute("UPDATE unit_group SET name = ? WHERE id = ?", ["Khối sở mới", group.id])
        )
    assert changed == 1
    assert ticks >= 10  # the loop ran on while the statement waited (about 40 ticks)
    assert (await UnitGroup.get(id=group.id)).name == "Khối sở mới"


async def test_a_lock_held_too_long_is_an_error_and_changes_nothing(sqlite_file: str) -> None:
    group = await UnitGroup.create(code="SO", name="Khối sở", kind="department")
    client = get_connection("default")
    client.busy_timeout = 0.2  # type: ignore[attr-defined]
    try:
        with locked_for(sqlite_file, 0.6), pytest.raises(OperationalError, match="locked"):
            await sql.execute(
                "UPDATE unit_group SET name = ? WHERE id = ?", ["Khối khác", group.id]
            )
    finally:
        del client.busy_timeout  # type: ignore[attr-defined]
    assert (await UnitGroup.get(id=group.id)).name == "Khối sở"


async def test_the_orm_still_waits_for_a_lock_after_inline_statements(sqlite_file: str) -> None:
    group = await UnitGroup.create(code="SO", name="Khối sở", kind="department")
    await sql.rows("SELECT id FROM unit_group")  # inline: busy timeout set to zero
    with locked_for(sqlite_file, 0.3):
        # on the worker thread: SQLite's own busy timeout applies again
        await UnitGroup.filter(id=group.id).update(name="Khối sở (ORM)")
    assert (await UnitGroup.get(id=group.id)).name == "Khối sở (ORM)"


async def test_the_log_is_checkpointed_off_the_loop(
    sqlite_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main connection never checkpoints (that would sync the disk on the loop's thread);
    the background checkpointer copies the log into the database file once it has grown."""
    from core import sqlite_client

    monkeypatch.setattr(sqlite_client, "CHECKPOINT_INTERVAL", 0.05)
    monkeypatch.setattr(sqlite_client, "CHECKPOINT_BYTES", 1)
    group = await UnitGroup.create(code="CKPT", name="Khối kiểm tra", kind="department")
    await sql.execute("UPDATE unit_group SET name = ? WHERE id = ?", ["Đã ghi", group.id])

    def in_database_file() -> bool:
        # immutable: read the database file alone, ignoring the write-ahead log
        file = sqlite3.connect(f"file:{sqlite_file}?immutable=1", uri=True)
        try:
            return bool(file.execute("SELECT 1 FROM unit_group WHERE name = 'Đã ghi'").fetchall())
        finally:
            file.close()

    for _ in range(100):
        if in_database_file():
            break
        await asyncio.sleep(0.05)
    assert in_database_file()
    auto = await sql.rows("PRAGMA wal_autocheckpoint")
    assert list(auto[0].values()) == [0]
