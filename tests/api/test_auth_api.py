"""Signing in over HTTP: bearer tokens, the web session cookie, error language (throttling:
tests/security/test_brute_force.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.api.conftest import Clock
from tests.api.world import PASSWORD, World


async def test_token_session_and_sign_out(
    client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    clock.now = datetime.now(UTC)  # failures are counted on the audit trail's real clock
    r = await client.post(
        "/auth/token", json={"username": "td1", "password": PASSWORD, "name": "máy cơ quan"}
    )
    assert r.status_code == 200
    token = r.json()["access_token"]
    expires = datetime.fromisoformat(r.json()["expires_at"].replace("Z", "+00:00"))
    assert expires == clock.now + timedelta(hours=12)
    r = await client.get("/me/tokens", headers={"Authorization": f"Bearer {token}"})
    assert "máy cơ quan" in [t["name"] for t in r.json()]
    r = await client.post("/auth/session", json={"username": "viewer", "password": PASSWORD})
    assert r.status_code == 200
    csrf = r.json()["csrf_token"]
    cookie = r.headers["set-cookie"]
    assert "cchc_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    r = await client.get("/me")  # the client keeps the cookie
    assert r.status_code == 200 and r.json()["username"] == "viewer"
    r = await client.post("/auth/revoke")  # a cookie write without the CSRF token
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    r = await client.post("/auth/revoke", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    client.cookies.clear()
    r = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


async def test_invalid_requests_get_one_sentence_and_the_problems(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post(
        "/periods", headers=world.headers("admin", "fr, en;q=0.5"), json={"code": ""}
    )
    body = r.json()
    assert r.status_code == 422 and body["code"] == "invalid_request"
    assert body["detail"].startswith("The request has invalid values: code, name")
    assert "code: at least 1 character(s)." in body["problems"]
    r = await client.post("/periods", headers=world.headers("admin"), json={"code": ""})
    assert "code: ít nhất 1 ký tự." in r.json()["problems"]  # Vietnamese by default
    assert "name: trường này là bắt buộc." in r.json()["problems"]
    r = await client.post(
        "/periods",
        headers=world.headers("admin"),
        content=b"{",
    )
    # not JSON at all: 400, as docs/api.md documents
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
    assert r.json()["detail"] == "Nội dung yêu cầu không phải là JSON hợp lệ."
    r = await client.get("/periods/99999", headers=world.headers("admin"))
    assert r.status_code == 404 and r.json()["detail"] == "Không có đợt đánh giá mã số 99999."


async def test_text_that_no_database_can_store_is_refused_up_front(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {"username": "moi", "password": "x" * 12, "role": "viewer", "full_name": "a\x00b"}
    r = await client.post("/users", headers=world.headers("admin"), json=body)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = await client.get(
        "/audit-events", headers=world.headers("admin"), params={"action": "a\x00"}
    )
    assert r.status_code == 422
    r = await client.put(
        "/periods/1/groups/1/bands",
        headers=world.headers("admin"),
        json={"bands": [{"label": "Tốt", "min_index": "1e400"}, {"label": "Yếu", "min_index": 0}]},
    )
    assert r.status_code == 422 and r.json() == {
        "detail": "Ngưỡng dưới của mức xếp loại “Tốt”: “1e400” không phải là một số.",
        "code": "invalid",
        "problems": [],
    }
