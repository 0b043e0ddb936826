"""Issue 14 items 2 and 6 through the JSON API: the same note limit and number bounds as the
chat and the web form, with the same sentence, and nothing changed."""

from __future__ import annotations

import httpx
import pytest

from forms.models import Answer
from tests.api.world import World


def _url(world: World) -> str:
    return f"/assessments/{world.sheets['SNV'].id}/answers/1.2.1"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"note": "ả" * 5000}, "Ghi chú quá dài: 5.000 ký tự, chỉ được tối đa 2.000 ký tự."),
        ({"text": "99999999999999999999"}, "là số quá lớn"),
        ({"text": "１"}, "không phải là một số"),
        ({"declared": {"count": "0,123456"}}, "có quá 4 chữ số thập phân"),
        ({"declared": {"count": 200000}}, "Số lượng không được lớn hơn 100.000."),
    ],
)
async def test_the_api_refuses_like_the_chat(
    client: httpx.AsyncClient, world: World, body: dict, message: str
) -> None:
    r = await client.put(
        _url(world),
        json={"expected_version": 0, "reason": "Sửa theo hồ sơ", **body},
        headers=world.headers("admin"),
    )
    assert 400 <= r.status_code < 500, r.text
    assert message in r.text
    assert await Answer.all().count() == 0


async def test_a_correction_through_the_api_needs_its_reason_and_is_audited_as_one(
    client: httpx.AsyncClient, world: World
) -> None:
    """As on the web form: no reason, no change; with one, the audit trail keeps the
    correction apart from the officers' answers, with its reason."""
    from core.models import AuditEvent

    url = f"/assessments/{world.sheets['SNV'].id}/answers/1.1.1"
    admin = world.headers("admin")
    for reason in (None, "   ", "x" * 1001):
        r = await client.put(
            url, json={"expected_version": 0, "text": "1", "reason": reason}, headers=admin
        )
        assert r.status_code == 422, r.text
        assert "Lý do điều chỉnh" in r.json()["detail"]
    assert await Answer.all().count() == 0
    r = await client.put(
        url,
        json={"expected_version": 0, "text": "1", "reason": "Đơn vị gửi nhầm mức"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    event = await AuditEvent.get(action="answer.correct")
    assert event.reason == "Đơn vị gửi nhầm mức" and event.actor_name == "Quản trị SNV"
    assert not await AuditEvent.filter(action="answer.record").exists()
