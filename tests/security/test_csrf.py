"""Cross-site request forgery: every state-changing form of the officer's sheet and of the
back-office, posted without the CSRF token, with a made-up one, with the token of another
session, or from another site (what a foreign page can send: the victim's cookies, its own
Origin, no token), is refused with 403 and a sentence asking to reload, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from core.files import FileStore
from forms.answers import record_answer
from tests.api.world import NOW, World, attach, fill_and_submit
from tests.security.conftest import nothing_changes
from tests.web.conftest import csrf_of, sign_in_officer, sign_in_staff

REFUSED = "Biểu mẫu đã hết hạn hoặc không xuất phát từ trang này; hãy tải lại trang."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CROSS_SITE = {"Origin": "https://evil.example", "Referer": "https://evil.example/trap.html"}


async def _forgeries(
    client: httpx.AsyncClient, posts: list[tuple[str, dict[str, str]]], stolen: str
) -> None:
    for path, fields in posts:
        for token in (None, "forged", stolen, ""):
            data = dict(fields) if token is None else {**fields, "csrf": token}
            r = await client.post(path, data=data, headers=CROSS_SITE)
            assert r.status_code == 403, (path, token, r.text[:300])
            assert REFUSED in r.text, path
        r = await client.post(
            path, data=fields, files={"file": ("a.xlsx", b"PK\x03\x04", XLSX)}, headers=CROSS_SITE
        )
        assert r.status_code == 403, (path, "multipart", r.text[:300])
        # a "simple" cross-site request: text/plain needs no preflight
        r = await client.post(
            path,
            content=b"csrf=x&version=0&value=y",
            headers={**CROSS_SITE, "Content-Type": "text/plain"},
        )
        assert r.status_code in (403, 422), (path, "text/plain", r.status_code)


async def test_the_officers_forms(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, store: FileStore, data_dir: Path
) -> None:
    await record_answer(
        world.officers["lan"],
        world.sheets["SNV"].id,
        "1.1.1",
        text="1",
        expected_version=0,
        now=NOW,
    )
    evidence = await attach(world, "SNV", "1.1.1", b"%PDF-1.4 own", store=store)
    assert (await sign_in_officer(client, web_app, world, "hung")).status_code == 303
    stolen = csrf_of((await client.get("/web/o/")).text)  # a token of another session
    client.cookies.clear()
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    good = csrf_of((await client.get("/web/o/")).text)
    posts = [
        ("/web/o/items/1.1.2", {"version": "0", "value": "y", "note": "x"}),
        ("/web/o/items/1.1.1/files", {}),
        (f"/web/o/files/{evidence.id}/remove", {}),
        ("/web/o/submit", {}),
        ("/web/o/explanations/1", {"item": "1.1.3", "text": "x"}),
        ("/web/o/logout", {}),
    ]
    async with nothing_changes(data_dir):
        await _forgeries(client, posts, stolen)
    assert (await client.get("/web/o/")).status_code == 200  # still signed in

    # the page's own token works, in the form or (for the page's script) in the header
    r = await client.post(
        "/web/o/items/1.1.2",
        data={"version": "0", "value": "y"},
        headers={"X-CSRF-Token": good, "Accept": "application/json"},
    )
    assert r.status_code == 200 and r.json()["ok"]


async def test_the_back_office_forms(
    client: httpx.AsyncClient, world: World, store: FileStore, data_dir: Path
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)
    assert (await sign_in_staff(client, "viewer")).status_code == 303
    stolen = csrf_of((await client.get("/web/progress")).text)
    client.cookies.clear()
    assert (await sign_in_staff(client, "admin")).status_code == 303
    sheet, period = world.sheets["SNV"].id, world.period.id
    officer = world.officers["lan"].id
    posts = [
        ("/web/periods", {"code": "X", "name": "X", "year": "2027"}),
        (f"/web/periods/{period}", {"status": "closed"}),
        (f"/web/periods/{period}/sheets/{sheet}/deadline", {"until": "31/12/2026"}),
        ("/web/extensions/1", {"action": "refuse", "note": "x"}),
        ("/web/units/import", {}),
        (f"/web/officers/{officer}/invite", {}),
        ("/web/criteria/import", {}),
        (f"/web/appraisal/{sheet}/items/1.1.1/accept", {"version": "0"}),
        ("/web/logout", {}),
    ]
    async with nothing_changes(data_dir):
        await _forgeries(client, posts, stolen)
    assert (await client.get("/web/progress")).status_code == 200  # still signed in

    # signing in needs the token too (no login CSRF: a foreign page cannot sign you in as it)
    client.cookies.clear()
    async with nothing_changes(data_dir):
        r = await client.post(
            "/web/login", data={"username": "admin", "password": "x"}, headers=CROSS_SITE
        )
        assert r.status_code == 403 and REFUSED in r.text
