"""Band lower bounds and index caps accept a decimal comma, as docs/api.md promises and as the
appraised score does; a bad bound names its band."""

from __future__ import annotations

import httpx

from tests.api.world import World


async def test_bands_and_caps_take_a_decimal_comma(client: httpx.AsyncClient, world: World) -> None:
    admin = world.headers("admin")
    period = world.period.id
    group = (await client.get(f"/periods/{period}", headers=admin)).json()["groups"][0]
    url = f"/periods/{period}/groups/{group['unit_group_id']}/bands"
    bands = [
        {"label": "Xuất sắc", "min_index": "90,5"},
        {"label": "Tốt", "min_index": "80,01"},
        {"label": "Chưa tốt", "min_index": "0"},
    ]
    r = await client.put(url, json={"bands": bands}, headers=admin)
    assert r.status_code == 200, r.text
    stored = r.json()["groups"][0]["bands"]
    assert [b["min_index"] for b in stored] == ["90.5", "80.01", "0"]

    r = await client.patch(
        f"/periods/{period}",
        json={"index_options": {"bonus_cap": "4,5", "penalty_cap": "2,25"}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["index_options"]["bonus_cap"] == "4.5"
    assert r.json()["index_options"]["penalty_cap"] == "2.25"

    bad = [{"label": "Tốt", "min_index": "tám mươi"}, {"label": "Yếu", "min_index": "0"}]
    r = await client.put(url, json={"bands": bad}, headers=admin)
    assert r.status_code == 422
    assert (
        r.json()["detail"] == "Ngưỡng dưới của mức xếp loại “Tốt”: “tám mươi” không phải là một số."
    )
