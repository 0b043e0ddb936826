"""Unit groups, units and officers: the import that the CLI and the back-office share."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.models import Officer, Unit, UnitGroup
from core.units_workbook import OfficerRow, UnitRow


@dataclass(frozen=True)
class ImportSummary:
    groups_created: int = 0
    groups_updated: int = 0
    units_created: int = 0
    units_updated: int = 0
    officers_created: int = 0
    officers_updated: int = 0


async def import_units(
    actor: Actor, units: list[UnitRow], officers: list[OfficerRow]
) -> ImportSummary:
    """Create or update by code (units) and by unit and full name (officers), all or nothing.

    Re-importing the same file changes nothing, so a secretary can fix a row and import again.
    """
    counts = {
        "groups_created": 0,
        "groups_updated": 0,
        "units_created": 0,
        "units_updated": 0,
        "officers_created": 0,
        "officers_updated": 0,
    }
    async with in_transaction():
        groups = {g.code: g for g in await UnitGroup.all()}
        for order, row in enumerate(units, start=1):
            group = groups.get(row.group_code)
            if group is not None and (group.name, group.kind) != (row.group_name, row.group_kind):
                old = {"name": group.name, "kind": group.kind}
                group.name, group.kind = row.group_name, row.group_kind
                await group.save(update_fields=["name", "kind"])
                counts["groups_updated"] += 1
                await record(
                    actor,
                    "unit_group.update",
                    "unit_group",
                    group.id,
                    old=old,
                    new={"name": group.name, "kind": group.kind},
                )
            if group is None:
                group = await UnitGroup.create(
                    code=row.group_code,
                    name=row.group_name,
                    kind=row.group_kind,
                    sort_order=len(groups) + 1,
                )
                groups[group.code] = group
                counts["groups_created"] += 1
                await record(
                    actor,
                    "unit_group.create",
                    "unit_group",
                    group.id,
                    new={"code": group.code, "name": group.name},
                )
            unit = await Unit.get_or_none(code=row.code)
            new = {
                "name": row.name,
                "group_id": group.id,
                "address": row.address,
                "sort_order": order,
            }
            if unit is None:
                unit = await Unit.create(code=row.code, **new)
                counts["units_created"] += 1
                await record(
                    actor,
                    "unit.create",
                    "unit",
                    unit.id,
                    unit_id=unit.id,
                    new={"code": row.code, **new},
                )
            else:
                old = {k: getattr(unit, k) for k in new}
                if old != new:
                    await Unit.filter(id=unit.id).update(**new)
                    counts["units_updated"] += 1
                    await record(
                        actor, "unit.update", "unit", unit.id, unit_id=unit.id, old=old, new=new
                    )
        unit_ids = {u.code: u.id for u in await Unit.all()}
        for row in officers:
            unit_id = unit_ids[row.unit_code]
            officer = await Officer.get_or_none(unit_id=unit_id, full_name=row.full_name)
            new = {
                "position": row.position,
                "role": row.role,
                "phone": row.phone,
                "email": row.email,
            }
            if officer is None:
                officer = await Officer.create(unit_id=unit_id, full_name=row.full_name, **new)
                counts["officers_created"] += 1
                await record(
                    actor,
                    "officer.create",
                    "officer",
                    officer.id,
                    unit_id=unit_id,
                    new={"full_name": row.full_name, **new},
                )
            else:
                old = {k: getattr(officer, k) for k in new}
                if old != new:
                    await Officer.filter(id=officer.id).update(**new)
                    counts["officers_updated"] += 1
                    await record(
                        actor,
                        "officer.update",
                        "officer",
                        officer.id,
                        unit_id=unit_id,
                        old=old,
                        new=new,
                    )
    return ImportSummary(**counts)
