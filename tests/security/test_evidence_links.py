"""The evidence links of the scorecard an officer downloads work for the officer (and for the
leader the workbook is forwarded to) without a back-office account: signed, expiring links to
that one file. Altered, borrowed or expired links open nothing."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook

from core.files import FileStore
from tests.api.world import World, fill_and_submit
from tests.web.conftest import Clock, sign_in_officer


async def test_an_officers_scorecard_links_open_without_an_account(
    client: httpx.AsyncClient,
    api: httpx.AsyncClient,
    web_app: FastAPI,
    world: World,
    store: FileStore,
    clock: Clock,
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    r = await client.get("/web/o/scorecard.xlsx")
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    links = [c.hyperlink.target for row in ws.iter_rows() for c in row if c.hyperlink]
    assert links, "the scorecard links its evidence files"
    public = web_app.state.settings.public_url
    assert all(u.startswith(f"{public}/api/v1/evidence/") and "/shared?t=" in u for u in links)

    # a reader with no cookie and no token (``api`` puts the app on the test clock)
    assert api.headers.get("authorization") is None
    fresh = httpx.AsyncClient(transport=httpx.ASGITransport(app=web_app), base_url="http://test")
    async with fresh:
        path = links[0].removeprefix(public)
        # the back-office route the links used to point at refuses a reader without an account
        plain = path.split("/shared?")[0] + "/download"
        assert (await fresh.get(plain)).status_code == 401
        opened = await fresh.get(path)
        assert opened.status_code == 200 and opened.content == "Tài liệu 1.1.1 của SNV".encode()
        assert "attachment" in opened.headers["content-disposition"]
        # another file's id with this signature, a changed signature, no token: nothing
        evidence_id = int(path.split("/evidence/")[1].split("/")[0])
        other = path.replace(f"/evidence/{evidence_id}/", f"/evidence/{evidence_id + 1}/")
        token = path.split("t=")[1]
        expires, mac = token.split(".")
        altered = path.replace(token, f"{int(expires) + 86400}.{mac}")
        for bad in (other, altered, path.split("?")[0], path[:-2] + "xx"):
            refused = await fresh.get(bad)
            assert refused.status_code == 404, bad
            assert "không hợp lệ hoặc đã hết hạn" in refused.json()["detail"]
        # two weeks later the link has expired
        clock.now += timedelta(days=15)
        assert (await fresh.get(path)).status_code == 404
