"""Named read queries (``core.sql``): one placeholder style on both databases, rows as
mappings, and column values converted as the ORM would hand them back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from core import sql
from core.models import UnitGroup


async def test_question_marks_work_on_both_databases(db: str) -> None:
    await UnitGroup.create(code="SO", name="Khối sở", kind="department")
    await UnitGroup.create(code="XA", name="Khối xã", kind="commune")
    found = await sql.rows(
        "SELECT code, name FROM unit_group WHERE kind = ? OR code = ? ORDER BY code",
        ["commune", "SO"],
    )
    assert [dict(r) for r in found] == [
        {"code": "SO", "name": "Khối sở"},
        {"code": "XA", "name": "Khối xã"},
    ]
    assert await sql.first("SELECT code FROM unit_group WHERE code = ?", ["none"]) is None


async def test_a_query_inside_a_transaction_sees_its_writes(db: str) -> None:
    async with in_transaction():
        await UnitGroup.create(code="SO", name="Khối sở", kind="department")
        found = await sql.first("SELECT name FROM unit_group WHERE code = ?", ["SO"])
    assert found is not None and found["name"] == "Khối sở"


def test_values_convert_as_the_orm_returns_them() -> None:
    assert sql.as_json('{"option": "1"}') == {"option": "1"}
    assert sql.as_json({"option": "1"}) == {"option": "1"}
    assert sql.as_json(None) is None
    assert sql.as_decimal("2.50") == Decimal("2.50")
    assert sql.as_decimal(None) is None
    when = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert sql.as_datetime("2026-11-20 03:00:00+00:00") == when
    assert sql.as_datetime(datetime(2026, 11, 20, 3, 0)) == when
    assert sql.as_datetime(None) is None
