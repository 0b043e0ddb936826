"""Hand-written SQL for the few statements on an officer's hot path (recording an answer,
reloading the sheet for the next card, finding who writes).

Why not the ORM there: Tortoise builds each query through pypika and costs about 0.3-0.5 ms
of CPU per statement, against about 0.1 ms for the same statement handed to the driver; the
bot makes about a dozen per update, which made it several times slower than a bare echo bot
(``bench/bot_throughput.py``). Everything else keeps using the ORM.

Statements are written once with ``?`` placeholders, numbered ``$1, $2, ...`` for PostgreSQL.
They run on whatever connection Tortoise has current, so inside ``in_transaction()`` they join
that transaction. On SQLite they run on the loop's own thread (``core.sqlite_client``), so only
short statements belong here: one row, or one sheet's rows, found through an index.

Values are converted by the model fields' own ``to_db_value``, and rows become model instances
by the same steps as Tortoise's ``_init_from_db`` (with the fields' own conversions), so what
is stored and read is exactly what the ORM would store and read (tests/forms/test_sql_rows.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from tortoise import Model, fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection

M = TypeVar("M", bound=Model)
_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


def _client() -> tuple[BaseDBAsyncClient, bool]:
    client = get_connection("default")
    return client, client.capabilities.dialect == "postgres"


async def _fetch(sql: str, params: Sequence[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows as tuples. On SQLite the statement runs inline, on the loop's
    thread (``core.sqlite_client``): statements here are short by construction."""
    client, postgres = _client()
    inline = getattr(client, "fetch_inline", None)
    if inline is not None:
        return await inline(sql, params)
    found = await client.execute_query_dict(_numbered(sql) if postgres else sql, list(params))
    if not found:
        return [], []
    return list(found[0].keys()), [tuple(row.values()) for row in found]


async def rows(sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
    """The rows of a SELECT (or of an INSERT/UPDATE with RETURNING), as mappings."""
    names, found = await _fetch(sql, params)
    return [dict(zip(names, row, strict=True)) for row in found]


async def first(sql: str, params: Sequence[Any] = ()) -> Mapping[str, Any] | None:
    found = await rows(sql, params)
    return found[0] if found else None


async def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run an INSERT, UPDATE or DELETE; return how many rows it changed."""
    client, postgres = _client()
    inline = getattr(client, "execute_inline", None)
    if inline is not None:
        return int(await inline(sql, params))
    count, _ = await client.execute_query(_numbered(sql) if postgres else sql, list(params))
    return int(count)


def db_value(model: type[Model], field: str, value: Any) -> Any:
    """``value`` as the ORM would send it for ``model.field`` (JSON text, dates, decimals)."""
    return model._meta.fields_map[field].to_db_value(value, model)


def python_value(model: type[Model], field: str, value: Any) -> Any:
    """A raw column value as the ORM would hand it back (parsed dates, decimals, JSON); ISO
    date text is parsed by the C parser first, as in :func:`instance`."""
    converter = model._meta.fields_map[field]
    if type(value) is str and isinstance(converter, fields.DatetimeField):
        value = datetime.fromisoformat(value)
    return converter.to_python_value(value)


@lru_cache(maxsize=64)
def _plan(model: type[Model]) -> tuple[Any, ...]:
    """How ``_init_from_db`` fills each attribute of ``model`` from its column."""
    meta = model._meta
    native = tuple((key, attr) for key, attr, _field in meta.db_native_fields)
    plain = tuple((key, attr, field.field_type) for key, attr, field in meta.db_default_fields)
    converted = tuple(
        (key, attr, field.to_python_value, isinstance(field, fields.DatetimeField))
        for key, attr, field in meta.db_complex_fields
    )
    custom_pk = meta.db_pk_column not in meta.generated_db_fields
    return native, plain, converted, custom_pk


def instance(model: type[M], row: Mapping[str, Any]) -> M:
    """A model instance from a ``SELECT *`` row, converted exactly as an ORM query would.

    The same steps as Tortoise's ``Model._init_from_db``, with the plan per model computed
    once and the instance's bookkeeping set directly (``_init_from_db`` sets it through the
    model's ``__setattr__``, which probes each name first). SQLite hands dates back as ISO
    text; they are parsed here with the C parser (``datetime.fromisoformat``) before the
    field's own conversion, which would otherwise run its pure-Python parser on each of them.
    A row without some column (a partial select) is left to Tortoise.
    """
    native, plain, converted, custom_pk = _plan(model)
    obj = model.__new__(model)
    values = obj.__dict__
    values["_partial"] = False
    values["_saved_in_db"] = True
    values["_custom_generated_pk"] = custom_pk
    values["_await_when_save"] = {}
    try:
        for key, attr in native:
            values[attr] = row[key]
        for key, attr, kind in plain:
            value = row[key]
            values[attr] = None if value is None else kind(value)
        for key, attr, convert, is_datetime in converted:
            value = row[key]
            if is_datetime and type(value) is str:
                value = datetime.fromisoformat(value)
            values[attr] = convert(value)
    except KeyError:
        return model._init_from_db(**row)
    return obj


async def get(model: type[M], where: str, params: Sequence[Any]) -> M | None:
    """One instance of ``model`` by a hand-written condition, or None."""
    row = await first(f"SELECT * FROM {model._meta.db_table} WHERE {where}", params)
    return None if row is None else instance(model, row)


async def update(
    model: type[Model], values: Mapping[str, Any], where: str, params: Sequence[Any]
) -> int:
    """``UPDATE`` the named fields of the rows matching ``where``; return how many changed."""
    converted = [db_value(model, name, value) for name, value in values.items()]
    return await execute(_update_sql(model, tuple(values), where), [*converted, *params])


async def insert(model: type[Model], values: Mapping[str, Any]) -> None:
    """``INSERT`` one row of the named fields (the database fills the rest)."""
    converted = [db_value(model, name, value) for name, value in values.items()]
    await execute(_insert_sql(model, tuple(values)), converted)


@lru_cache(maxsize=256)
def _update_sql(model: type[Model], names: tuple[str, ...], where: str) -> str:
    meta = model._meta
    assignments = ", ".join(f"{meta.fields_db_projection[name]} = ?" for name in names)
    return f"UPDATE {meta.db_table} SET {assignments} WHERE {where}"


@lru_cache(maxsize=256)
def _insert_sql(model: type[Model], names: tuple[str, ...]) -> str:
    meta = model._meta
    columns = ", ".join(meta.fields_db_projection[name] for name in names)
    marks = ", ".join("?" for _ in names)
    return f"INSERT INTO {meta.db_table} ({columns}) VALUES ({marks})"


@lru_cache(maxsize=64)
def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(model._meta.fields_db_projection.values())


@lru_cache(maxsize=64)
def _aliased_columns(model: type[Model], alias: str) -> str:
    return ", ".join(f"{alias}.{column} AS {alias}__{column}" for column in _columns(model))


def _part(model: type[Model], values: Sequence[Any]) -> Model | None:
    columns = _columns(model)
    if values[columns.index(model._meta.db_pk_column)] is None:  # no match on an outer join
        return None
    return instance(model, dict(zip(columns, values, strict=True)))


async def joined(
    models: Mapping[str, type[Model]],
    from_where: str,
    params: Sequence[Any],
    *,
    extra: str = "",
) -> tuple[dict[str, Any], Mapping[str, Any]] | None:
    """Several related rows in one statement: ``models`` maps the aliases used in
    ``from_where`` to their models; returns an instance (or None, on an outer join without a
    match) per alias, and the raw row for any ``extra`` columns. None when nothing matches."""
    # aliased (``a__id``): PostgreSQL's rows come as mappings, where equal names would collide
    columns = ", ".join(_aliased_columns(model, alias) for alias, model in models.items())
    names, found = await _fetch(
        f"SELECT {columns}{', ' + extra if extra else ''} FROM {from_where}", params
    )
    if not found:
        return None
    row = found[0]
    parts: dict[str, Any] = {}
    start = 0
    for alias, model in models.items():
        end = start + len(_columns(model))
        parts[alias] = _part(model, row[start:end])
        start = end
    return parts, dict(zip(names[start:], row[start:], strict=True))
