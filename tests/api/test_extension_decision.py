"""Deciding an extension request through the API moves the deadline and tells the officer."""

from __future__ import annotations

from datetime import timedelta

import httpx

from core.notify import RecordingNotifier
from forms.extensions import request_extension
from forms.models import Assessment
from tests.api.world import NOW, World


async def test_approval_moves_the_deadline_and_tells_the_officer(
    client: httpx.AsyncClient, world: World, notifier: RecordingNotifier
) -> None:
    sheet = world.sheets["STP"]
    until = world.period.self_assessment_closes_at + timedelta(days=7)
    request = await request_extension(
        world.officers["khac"],
        sheet.id,
        reason="Lãnh đạo đi công tác dài ngày.",
        until=until,
        now=NOW,
    )
    answer = await client.post(
        f"/extension-requests/{request.id}/decision",
        json={"approve": True},
        headers=world.headers("admin"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"
    assert (await Assessment.get(id=sheet.id)).deadline_extended_to == until
    told = [n for n in notifier.notices if n.officer_id == world.officers["khac"].id]
    assert told, "the officer who asked hears the decision"
