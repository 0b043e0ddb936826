"""Assignments for one unit through the JSON API, as on the web: an administrator gives an
appraiser a field of one unit (or the whole unit), the appraiser's worklist shows it there,
and bad requests change nothing."""

from __future__ import annotations

import httpx

from core.models import AuditEvent
from scoring.models import AppraiserUnitAssignment
from tests.api.world import World, fill_and_submit


async def _codes_of(client: httpx.AsyncClient, world: World, user: str, unit: str) -> set[str]:
    r = await client.get(
        "/appraisal/items",
        headers=world.headers(user),
        params={"period_id": world.period.id, "limit": 500},
    )
    assert r.status_code == 200, r.text
    return {i["code"] for i in r.json()["items"] if i["unit_code"] == unit}


async def test_an_appraiser_gets_a_field_of_one_unit_and_loses_it(
    client: httpx.AsyncClient, world: World, store: object
) -> None:
    for unit, officer in (("SNV", "lan"), ("STP", "khac")):
        await fill_and_submit(world, unit, officer, store=store)  # type: ignore[arg-type]
    snv = world.sheets["SNV"]
    set_id = snv.criteria_set_id  # type: ignore[attr-defined]
    td2 = world.users["td2"]
    before_snv = await _codes_of(client, world, "td2", "SNV")
    assert before_snv and not any(c.startswith("1.") for c in before_snv)  # fields 2, C, T

    body = {"user_id": td2.id, "criteria_set_id": set_id, "unit_id": snv.unit_id, "node_code": "1"}  # type: ignore[attr-defined]
    admin = world.headers("admin")
    assert (
        await client.post("/unit-assignments", json=body, headers=world.headers("td1"))
    ).status_code == 403
    r = await client.post("/unit-assignments", json=body, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["unit_id"] == snv.unit_id and created["node_code"] == "1"  # type: ignore[attr-defined]

    # bad requests: the same again, an item instead of a field, a unit that does not exist
    for wrong, status in (
        (body, 422),
        ({**body, "node_code": "1.1.1"}, 422),
        ({**body, "unit_id": 999_999}, 404),
    ):
        r = await client.post("/unit-assignments", json=wrong, headers=admin)
        assert r.status_code == status, r.text
        assert r.json()["detail"]
    assert await AppraiserUnitAssignment.all().count() == 1

    listed = await client.get(
        "/unit-assignments", headers=world.headers("viewer"), params={"criteria_set_id": set_id}
    )
    assert listed.status_code == 200 and [a["id"] for a in listed.json()] == [created["id"]]
    after_snv = await _codes_of(client, world, "td2", "SNV")
    assert {c for c in after_snv if c.startswith("1.")} and before_snv < after_snv
    assert not any(c.startswith("1.") for c in await _codes_of(client, world, "td2", "STP"))

    r = await client.delete(f"/unit-assignments/{created['id']}", headers=admin)
    assert r.status_code == 204
    assert await _codes_of(client, world, "td2", "SNV") == before_snv
    r = await client.delete(f"/unit-assignments/{created['id']}", headers=admin)
    assert r.status_code == 404
    actions = [
        e.action for e in await AuditEvent.filter(entity="appraiser_unit_assignment").order_by("id")
    ]
    assert actions == ["assignment.create", "assignment.delete"]
