"""The attack suite's fixtures: the web pages and the JSON API of one app (the small province
of :mod:`tests.api.world`, uploads limited to 1 MB), and :func:`nothing_changes`, which makes
"the attack changed nothing" a one-liner::

    async with nothing_changes(data_dir):
        r = await client.post(...)  # the attack

It compares every table of the service (answers, evidence, audit events, users, tokens, the
bot's conversation state, ...) row by row, and every file under the given folders, before and
after the block.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from tortoise import Tortoise, connections

from tests import backoffice as shared
from tests.backoffice import Clock  # noqa: F401  (the tests' clock, imported from here)

# the back office's fixtures: the pages' client, and the JSON API's of the same app and clock
web_app = shared.web_app
served = shared.served
clock = shared.clock
notifier = shared.notifier
store = shared.store
world = shared.world
client = shared.web_client
api = shared.api_client
pages = shared.pages
pytest_runtest_makereport = shared.pytest_runtest_makereport

# Columns a harmless read may touch: when a token was last used (a hint for the secretariat).
VOLATILE = {("api_token", "last_used_at")}


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, list[tuple[tuple[str, str], ...]]]
    files: dict[str, str]  # path -> sha256 of the content

    def changes(self, after: Snapshot, allow_audit: Iterable[str] = ()) -> list[str]:
        """What differs, one line per table or file (empty: nothing changed)."""
        allowed = {repr(a) for a in allow_audit}  # values are compared as their repr
        out = []
        for table, rows in self.tables.items():
            if table == "sign_in_failure" and repr("auth.failed") in allowed:
                continue  # the throttle's count of the failed sign-ins that are allowed
            now = after.tables.get(table, [])
            if table == "audit_event" and allowed:
                known = set(rows)
                now = [r for r in now if r in known or dict(r).get("action") not in allowed]
            if now != rows:
                added = [dict(r) for r in now if r not in set(rows)]
                gone = [dict(r) for r in rows if r not in set(now)]
                out.append(f"{table}: added {added[:3]} removed {gone[:3]}")
        for path in sorted(set(self.files) | set(after.files)):
            if self.files.get(path) != after.files.get(path):
                out.append(f"file {path}: {self.files.get(path)} -> {after.files.get(path)}")
        return out


def _tables() -> list[str]:
    names = [m._meta.db_table for m in Tortoise.apps["cchc"].values()]
    return sorted({*names, "explanation_evidence"})


async def snapshot(*folders: Path) -> Snapshot:
    conn = connections.get("default")
    tables: dict[str, list[tuple[tuple[str, str], ...]]] = {}
    for table in _tables():
        rows = await conn.execute_query_dict(f"SELECT * FROM {table}")
        tables[table] = sorted(
            tuple(sorted((k, repr(v)) for k, v in row.items() if (table, k) not in VOLATILE))
            for row in rows
        )
    files: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file():
                files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return Snapshot(tables, files)


@asynccontextmanager
async def nothing_changes(
    *folders: Path, allow_audit: Iterable[str] = ()
) -> AsyncIterator[Snapshot]:
    """Assert that no row of any table and no file under ``folders`` changed inside the block
    (``allow_audit``: audit actions that may be added, e.g. ``auth.failed``)."""
    before = await snapshot(*folders)
    yield before
    after = await snapshot(*folders)
    changes = before.changes(after, allow_audit)
    assert not changes, "the attack changed something:\n" + "\n".join(changes)


@pytest.fixture
def data_dir(backoffice_app: FastAPI) -> Path:
    """The app's data folder (the evidence store lives under it)."""
    return Path(backoffice_app.state.settings.data_dir)
