"""Cross-site request forgery on the JSON API: a write authenticated by the web session cookie
(what a foreign page gets the browser to send) needs the session's CSRF token in the
``X-CSRF-Token`` header, as the web forms do; bearer-token calls are not affected (a foreign
page cannot set the ``Authorization`` header)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.api.world import PASSWORD, World
from tests.security.conftest import nothing_changes
from tests.web.conftest import Clock

REFUSED = "Thiếu mã chống giả mạo (X-CSRF-Token) của phiên đăng nhập hoặc mã không hợp lệ"
CROSS_SITE = {"Origin": "https://evil.example", "Referer": "https://evil.example/trap.html"}


async def test_cookie_api_writes_need_the_session_csrf_token(
    api: httpx.AsyncClient, world: World, data_dir: Path, clock: Clock
) -> None:
    clock.now = datetime.now(UTC)  # the cookie's expiry must lie ahead of the real clock
    r = await api.post("/auth/session", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200
    token = r.json()["csrf_token"]
    writes = [
        ("POST", "/auth/revoke", {}),
        ("PATCH", f"/users/{world.users['viewer'].id}", {"json": {"role": "admin"}}),
        ("DELETE", f"/tokens/{world.users['admin'].id}", {}),
    ]
    async with nothing_changes(data_dir):
        for method, path, kwargs in writes:
            for given in (None, "", "forged"):
                headers = dict(CROSS_SITE)
                if given is not None:
                    headers["X-CSRF-Token"] = given
                r = await api.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
                assert r.status_code == 403, (method, path, given, r.text)
                assert r.json()["code"] == "csrf" and REFUSED in r.json()["detail"]
        # reads need no token
        assert (await api.get("/me")).status_code == 200
    # the session's own token works, and GET /auth/csrf gives it again
    again = await api.get("/auth/csrf")
    assert again.status_code == 200 and again.json()["csrf_token"] == token
    r = await api.post("/auth/revoke", headers={"X-CSRF-Token": token})
    assert r.status_code == 204
    assert (await api.get("/me")).status_code == 401


async def test_bearer_writes_need_no_csrf_token(api: httpx.AsyncClient, world: World) -> None:
    r = await api.post("/auth/revoke", headers=world.headers("viewer"))
    assert r.status_code == 204
