"""The JSON API's results list units that never submitted apart, and the period option that
ranks them last is set through PATCH /periods/{id}."""

from __future__ import annotations

import httpx

from tests.api.world import World, fill_and_submit


async def test_units_that_never_submitted_are_unranked_unless_the_period_says(
    client: httpx.AsyncClient, world: World
) -> None:
    await fill_and_submit(world, "SNV", "lan")
    url = f"/periods/{world.period.id}/results"
    (table,) = (await client.get(url, headers=world.headers("viewer"))).json()
    units = {u["unit_code"]: u for u in table["units"]}
    assert units["SNV"]["submitted"] is True and units["SNV"]["appraised"]["rank"] == 1
    assert units["STP"]["submitted"] is False
    assert (units["STP"]["appraised"]["rank"], units["STP"]["appraised"]["band"]) == (None, None)
    assert table["rank_unsubmitted_last"] is False

    body = {"index_options": {"rank_unsubmitted_last": True}}
    r = await client.patch(f"/periods/{world.period.id}", json=body, headers=world.headers("td1"))
    assert r.status_code == 403
    r = await client.patch(f"/periods/{world.period.id}", json=body, headers=world.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["index_options"]["rank_unsubmitted_last"] is True
    (table,) = (await client.get(url, headers=world.headers("viewer"))).json()
    units = {u["unit_code"]: u for u in table["units"]}
    assert units["STP"]["appraised"]["rank"] == 2 and units["STP"]["appraised"]["band"] == "Yếu"
    assert table["rank_unsubmitted_last"] is True
    bad = {"index_options": {"rank_unsubmitted_last": "có"}}
    r = await client.patch(f"/periods/{world.period.id}", json=bad, headers=world.headers("admin"))
    assert r.status_code == 422
