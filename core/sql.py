"""The one way to run a hand-written read query (docs/data-access.md).

Writes and ordinary reads go through the ORM. A package keeps the few named read queries the
ORM cannot express well in one module of its own (``forms/queries.py``, ...), and runs them
here: one placeholder style, ``?``, whatever the database; this module numbers them ``$1, $2,
...`` for PostgreSQL. A ``?`` therefore never appears in such a query except as a placeholder.

Statements run through Tortoise's public connection API on the current connection, so inside
``in_transaction()`` they join that transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from tortoise import connections

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


async def rows(sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
    """The rows of a SELECT, as mappings of column name to value."""
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    return await client.execute_query_dict(sql, list(params))


async def first(sql: str, params: Sequence[Any] = ()) -> Mapping[str, Any] | None:
    found = await rows(sql, params)
    return found[0] if found else None


# Column values as the ORM hands them back: SQLite returns JSON, decimals and timestamps as
# text, PostgreSQL (asyncpg) returns JSON as text and the others as Python values.


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def as_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def as_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime (the ORM stores every timestamp in UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
