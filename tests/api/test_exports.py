"""The Excel downloads through the API: who may download what, and what arrives."""

from __future__ import annotations

import zipfile
from io import BytesIO

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook

from app.api.deps import current_actor
from core.auth import hash_token
from core.files import FileStore
from core.models import ApiToken, BackofficeUser, UserRole
from scheduler.models import Reminder, ReminderStatus
from tests.api.world import _PASSWORD_HASH, NOW, World, fill_and_submit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit_id(world: World, code: str) -> int:
    return world.sheets[code].unit_id  # type: ignore[attr-defined,no-any-return]


async def test_downloads_need_a_sign_in(client: httpx.AsyncClient, world: World) -> None:
    p, u = world.period.id, _unit_id(world, "SNV")
    for url in (
        f"/periods/{p}/exports/consolidated.xlsx",
        f"/periods/{p}/units/{u}/scorecard.xlsx",
        f"/periods/{p}/units/{u}/evidence-register.xlsx",
        f"/periods/{p}/units/{u}/evidence.zip",
    ):
        r = await client.get(url)
        assert r.status_code == 401, url
        assert r.json()["code"] == "unauthenticated"


async def test_viewer_downloads_the_workbooks(
    client: httpx.AsyncClient, world: World, store: FileStore
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)
    p, u = world.period.id, _unit_id(world, "SNV")
    viewer = world.headers("viewer")
    await Reminder.create(
        kind="self_assessment",
        recipient="officer:1",
        subject=f"assessment:{world.sheets['SNV'].id}",
        deadline_at=NOW,
        offset_key="-7d",
        due_at=NOW,
        status=ReminderStatus.sent,
    )

    r = await client.get(f"/periods/{p}/exports/consolidated.xlsx", headers=viewer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    assert (
        'filename="bang-tong-hop-chi-so-cchc-2026-p2026.xlsx"' in r.headers["content-disposition"]
    )
    wb = load_workbook(BytesIO(r.content))
    assert wb.sheetnames[:2] == ["Tổng hợp", "Ma trận SO"]
    assert wb["Tổng hợp"]["B8"].value == "Sở Nội vụ"
    # the reminders the scheduler delivered, on both progress sheets
    rows = [r for r in wb["Tiến độ"].iter_rows(min_row=5, values_only=True) if r[1] == "SNV"]
    assert rows[0][10] == 1
    r = await client.get(f"/periods/{p}/exports/progress.xlsx", headers=viewer)
    assert r.status_code == 200, r.text
    sheet = load_workbook(BytesIO(r.content)).active
    assert [row[12] for row in sheet.iter_rows(values_only=True) if row[1] == "SNV"] == [1]

    r = await client.get(f"/periods/{p}/units/{u}/scorecard.xlsx", headers=viewer)
    assert r.status_code == 200, r.text
    card = load_workbook(BytesIO(r.content)).active
    assert card["A4"].value.startswith("BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM")
    links = [c.hyperlink.target for row in card.iter_rows() for c in row if c.hyperlink]
    # the links point at the API's own download route, which checks rights again
    assert links and all(
        link.startswith("http://127.0.0.1:8000/api/v1/evidence/") and link.endswith("/download")
        for link in links
    )
    evidence_path = links[0].removeprefix("http://127.0.0.1:8000/api/v1")
    assert (await client.get(evidence_path, headers=viewer)).status_code == 200

    r = await client.get(f"/periods/{p}/units/{u}/evidence-register.xlsx", headers=viewer)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    register = load_workbook(BytesIO(r.content)).active
    assert register["A4"].value == "DANH MỤC TÀI LIỆU KIỂM CHỨNG"

    r = await client.get(f"/periods/{p}/units/{u}/evidence.zip", headers=viewer)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert 'filename="tlkc-snv-2026.zip"' in r.headers["content-disposition"]
    with zipfile.ZipFile(BytesIO(r.content)) as z:
        assert z.testzip() is None
        pdfs = [n for n in z.namelist() if n.endswith(".pdf")]
        assert len(pdfs) == 3 and all(n.startswith("TLKC SNV 2026/") for n in pdfs)
        assert z.read(next(n for n in pdfs if "/1.1.3/" in n)) == "Tài liệu 1.1.3 của SNV".encode()

    r = await client.get(
        f"/periods/{p}/exports/consolidated.xlsx", params={"lang": "en"}, headers=viewer
    )
    assert load_workbook(BytesIO(r.content)).sheetnames[0] == "Summary"
    r = await client.get(
        f"/periods/{p}/exports/consolidated.xlsx", params={"lang": "fr"}, headers=viewer
    )
    assert r.status_code == 422


async def test_officers_get_their_own_scorecard_only(
    api_app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    """As the officers' web form calls these routes: with the officer as the actor."""
    p = world.period.id
    api_app.dependency_overrides[current_actor] = lambda: world.officers["khac"]  # STP
    own = await client.get(f"/periods/{p}/units/{_unit_id(world, 'STP')}/scorecard.xlsx")
    assert own.status_code == 200
    other = await client.get(
        f"/periods/{p}/units/{_unit_id(world, 'SNV')}/scorecard.xlsx",
        headers={"Accept-Language": "en"},
    )
    assert other.status_code == 403
    assert other.json() == {
        "detail": "You may not see this unit's score sheet.",
        "code": "forbidden",
        "problems": [],
    }
    for url in (
        f"/periods/{p}/units/{_unit_id(world, 'STP')}/evidence-register.xlsx",
        f"/periods/{p}/units/{_unit_id(world, 'STP')}/evidence.zip",
        f"/periods/{p}/exports/consolidated.xlsx",
    ):
        assert (await client.get(url)).status_code == 403, url


async def test_appraisers_and_missing_things(client: httpx.AsyncClient, world: World) -> None:
    p, u = world.period.id, _unit_id(world, "SNV")
    # an appraiser with assignments reads any unit (limited to their items)
    r = await client.get(f"/periods/{p}/units/{u}/scorecard.xlsx", headers=world.headers("td1"))
    assert r.status_code == 200
    # an appraiser without any assignment sees no unit
    lone = await BackofficeUser.create(
        username="td9",
        full_name="Chưa phân công",
        role=UserRole.appraiser,
        password_hash=_PASSWORD_HASH,
    )
    await ApiToken.create(
        user=lone, kind="api", token_hash=hash_token("token-td9"), expires_at=NOW.replace(year=2027)
    )
    lone_headers = {"Authorization": "Bearer token-td9"}
    r = await client.get(f"/periods/{p}/units/{u}/scorecard.xlsx", headers=lone_headers)
    assert r.status_code == 403
    r = await client.get(f"/periods/{p}/units/{u}/evidence.zip", headers=lone_headers)
    assert r.status_code == 403
    admin = world.headers("admin")
    assert (
        await client.get("/periods/999/exports/consolidated.xlsx", headers=admin)
    ).status_code == 404
    r = await client.get(f"/periods/{p}/units/99999/scorecard.xlsx", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
