"""The officer's own scorecard from the web form: a link on the sheet, the workbook of the
signed-in officer's unit, never another's."""

from __future__ import annotations

from io import BytesIO

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook

from core.models import AuditEvent, Channel
from forms.answers import record_answer
from tests.api.world import NOW, World
from tests.web.conftest import sign_in_officer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cells(data: bytes) -> str:
    wb = load_workbook(BytesIO(data), read_only=True)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


async def test_the_officer_downloads_the_units_scorecard(
    client: httpx.AsyncClient, web_app: FastAPI, world: World
) -> None:
    await record_answer(
        world.officers["khac"],
        world.sheets["STP"].id,
        "1.1.2",
        text="có",
        expected_version=0,
        now=NOW,
    )
    assert (await sign_in_officer(client, web_app, world, "khac")).status_code == 303
    page = (await client.get("/web/o/")).text
    assert 'href="/web/o/scorecard.xlsx"' in page
    assert "Tải Bảng tự đánh giá, chấm điểm (Excel)" in page

    r = await client.get("/web/o/scorecard.xlsx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    assert r.headers["content-disposition"] == (
        'attachment; filename="bang-tu-danh-gia-stp-2026.xlsx"'
    )
    assert r.headers["cache-control"] == "private, no-store"
    text = _cells(r.content)
    assert "Sở Tư pháp" in text and "Sở Nội vụ" not in text
    event = await AuditEvent.get(action="export.scorecard")
    assert (event.actor_type, event.actor_id, event.channel) == (
        "officer",
        world.officers["khac"].id,
        Channel.web,
    )
    assert event.unit_id == world.sheets["STP"].unit_id  # type: ignore[attr-defined]


async def test_the_page_language_is_the_workbooks(
    client: httpx.AsyncClient, web_app: FastAPI, world: World
) -> None:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    vi = _cells((await client.get("/web/o/scorecard.xlsx")).content)
    await client.get("/web/lang?to=en&next=/web/o/")
    en = _cells((await client.get("/web/o/scorecard.xlsx")).content)
    assert vi != en and "Sở Nội vụ" in en


async def test_without_a_session_there_is_no_scorecard(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.get("/web/o/scorecard.xlsx")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert await AuditEvent.filter(action="export.scorecard").count() == 0
