"""Guessing passwords: after five failures for a username within 15 minutes, the API's token
endpoint and the web sign-in answer 429 with a Vietnamese sentence and ``Retry-After``, even to
the right password, and issue nothing; the lock ends with its window. An unknown username is
locked the same way, so the lock does not tell which accounts exist.

The requests' clock is the injectable ``get_now``; the failures themselves are timed by the
audit trail's real clock, so each test starts its request clock at the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from core.auth import LOCKOUT, MAX_FAILURES
from core.models import ApiToken, AuditEvent
from tests.api.world import PASSWORD, World
from tests.security.conftest import Clock, nothing_changes
from tests.web.conftest import csrf_of

WRONG = "Sai tên đăng nhập hoặc mật khẩu."


def _locked_message(username: str) -> str:
    return f"Tài khoản “{username}” đăng nhập sai quá nhiều lần; hãy thử lại sau 15 phút."


async def test_the_token_endpoint_is_throttled_per_username(
    api: httpx.AsyncClient, world: World, clock: Clock, data_dir: Path
) -> None:
    clock.now = datetime.now(UTC)
    for username in ("admin", "khong-co-ai"):  # a real account and an unknown name alike
        for _ in range(MAX_FAILURES):
            r = await api.post("/auth/token", json={"username": username, "password": "sai"})
            assert r.status_code == 401 and r.json()["detail"] == WRONG
    assert await AuditEvent.filter(action="auth.failed").count() == 2 * MAX_FAILURES

    async with nothing_changes(data_dir):  # no token, no event, nothing
        for username, password in [
            ("admin", PASSWORD),  # the right password during the lock
            ("ADMIN ", PASSWORD),  # the same account written differently
            ("admin", "sai"),
            ("khong-co-ai", "sai"),
        ]:
            r = await api.post("/auth/token", json={"username": username, "password": password})
            assert r.status_code == 429, r.text
            body = r.json()
            assert body["code"] == "too_many_attempts"
            assert body["detail"] == _locked_message(username.strip().lower())
            assert 0 < int(r.headers["retry-after"]) <= LOCKOUT.total_seconds()
            assert r.headers["content-language"] == "vi"
        r = await api.post(
            "/auth/session",
            json={"username": "admin", "password": PASSWORD},
            headers={"Accept-Language": "en-GB,en;q=0.9"},
        )
        assert r.status_code == 429 and "Too many failed sign-ins" in r.json()["detail"]
        assert "set-cookie" not in r.headers

    # another account is not affected
    r = await api.post("/auth/token", json={"username": "viewer", "password": PASSWORD})
    assert r.status_code == 200

    # the window passes: the right password works again
    clock.now = datetime.now(UTC) + LOCKOUT + timedelta(seconds=1)  # after the last failure
    r = await api.post("/auth/token", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["access_token"]


async def test_the_web_sign_in_is_throttled(
    client: httpx.AsyncClient, world: World, clock: Clock, data_dir: Path
) -> None:
    clock.now = datetime.now(UTC)
    token = csrf_of((await client.get("/web/login")).text)
    for _ in range(MAX_FAILURES):
        r = await client.post(
            "/web/login", data={"username": "admin", "password": "wrong", "csrf": token}
        )
        assert r.status_code == 401 and WRONG in r.text
    async with nothing_changes(data_dir):
        r = await client.post(
            "/web/login", data={"username": "admin", "password": PASSWORD, "csrf": token}
        )
        assert r.status_code == 429
        assert 0 < int(r.headers["retry-after"]) <= LOCKOUT.total_seconds()
        assert _locked_message("admin") in r.text.replace("&#34;", '"')
        assert "cchc_session" not in r.headers.get("set-cookie", "")
    assert (await client.get("/web/progress")).status_code == 303  # still signed out

    clock.now = datetime.now(UTC) + LOCKOUT + timedelta(seconds=1)  # after the last failure
    r = await client.post(
        "/web/login", data={"username": "admin", "password": PASSWORD, "csrf": token}
    )
    assert r.status_code == 303 and r.headers["location"] == "/web/progress"
    assert await ApiToken.filter(user_id=world.users["admin"].id, kind="session").count() == 1
