"""A sheet's last activity, as the secretariat reads it in the list of sheets and on the board:
the newest answer, note or submission of the unit, whichever came last."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from forms.answers import record_answer
from forms.submission import submit
from tests.api.world import ANSWERS, NOW, REQUIRED_EVIDENCE, World, attach


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _last_activity(client: httpx.AsyncClient, world: World, unit: str) -> datetime | None:
    sheet_id = world.sheets[unit].id
    one = await client.get(f"/assessments/{sheet_id}", headers=world.headers("admin"))
    assert one.status_code == 200, one.text
    listed = await client.get(
        "/assessments", headers=world.headers("admin"), params={"period_id": world.period.id}
    )
    row = next(a for a in listed.json()["items"] if a["unit_code"] == unit)
    assert row["last_activity_at"] == one.json()["last_activity_at"]
    return _moment(one.json()["last_activity_at"])


async def test_the_newest_answer_note_or_submission_is_the_sheets_last_activity(
    client: httpx.AsyncClient, world: World
) -> None:
    assert await _last_activity(client, world, "SNV") is None
    lan = world.officers["lan"]
    sheet_id = world.sheets["SNV"].id
    first, later = NOW + timedelta(minutes=10), NOW + timedelta(minutes=25)
    for n, (code, text) in enumerate(ANSWERS.items()):
        at = first if n == 0 else later - timedelta(minutes=len(ANSWERS) - n)
        await record_answer(lan, sheet_id, code, text=text, expected_version=0, now=at)
    assert await _last_activity(client, world, "SNV") == later - timedelta(minutes=1)
    assert await _last_activity(client, world, "STP") is None  # another unit's sheet: untouched

    # a note on an answered item is activity too
    await record_answer(lan, sheet_id, "1.1.1", note="Đã bổ sung", expected_version=1, now=later)
    assert await _last_activity(client, world, "SNV") == later

    # files alone are not (as before), the submission is
    for code in REQUIRED_EVIDENCE:
        await attach(world, "SNV", code, f"Tài liệu {code}".encode())
    submitted = later + timedelta(hours=1)
    await submit(lan, sheet_id, now=submitted)
    assert await _last_activity(client, world, "SNV") == submitted
