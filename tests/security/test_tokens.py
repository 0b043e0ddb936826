"""API tokens: missing, malformed, expired, revoked, of a disabled or deleted account, of the
wrong kind → 401 with a sentence saying what to do; a viewer's token on an administrator's
endpoint → 403. None of these calls changes anything."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from core.models import ApiToken, BackofficeUser
from tests.api.world import NOW, World
from tests.security.conftest import nothing_changes

MISSING = "Hãy đăng nhập trước: thiếu mã truy cập hoặc mã không hợp lệ."


def _refused(r: httpx.Response, detail: str) -> None:
    assert r.status_code == 401, r.text
    assert r.json() == {"detail": detail, "code": "unauthenticated", "problems": []}
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-language"] == "vi"


async def test_missing_and_malformed_tokens(
    api: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    good = world.tokens["admin"]
    forged = [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46eA=="},  # a password is not a token
        {"Authorization": f"Token {good}"},  # the right value under another scheme
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Bearer {good[:-1]}"},  # almost right
        {"Authorization": f"Bearer {good}x"},
        {"Authorization": f"Bearer {good.upper()}"},
        {"Authorization": "Bearer " + "a" * 5000},  # not hashed at all: too long to be ours
        {"Authorization": "Bearer ' OR 1=1 --"},
    ]
    async with nothing_changes(data_dir):
        for headers in forged:
            r = await api.post(
                "/users",
                headers=headers,
                json={"username": "moi", "password": "x" * 12, "role": "admin"},
            )
            _refused(r, MISSING)
    r = await api.get("/me", headers={"Authorization": "Bearer nope", "Accept-Language": "en"})
    assert r.json()["detail"] == "Sign in first: the token is missing or not valid."


async def test_expired_revoked_disabled_and_deleted(
    api: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    viewer, td1, td2 = world.headers("viewer"), world.headers("td1"), world.headers("td2")
    await ApiToken.filter(user_id=world.users["viewer"].id).update(expires_at=NOW)
    await ApiToken.filter(user_id=world.users["td1"].id).update(revoked_at=NOW - timedelta(hours=1))
    await BackofficeUser.filter(id=world.users["td2"].id).update(active=False)
    async with nothing_changes(data_dir):
        _refused(
            await api.get("/me", headers=viewer), "Mã truy cập này đã hết hạn; hãy đăng nhập lại."
        )
        _refused(
            await api.get("/me", headers=td1), "Mã truy cập này đã bị thu hồi; hãy đăng nhập lại."
        )
        _refused(await api.get("/me", headers=td2), "Tài khoản này đã bị khóa.")
        # a refused token cannot revoke, issue or change anything either
        _refused(
            await api.post("/auth/revoke", headers=td1),
            "Mã truy cập này đã bị thu hồi; hãy đăng nhập lại.",
        )
        r = await api.patch(f"/users/{world.users['td2'].id}", headers=td2, json={"active": True})
        _refused(r, "Tài khoản này đã bị khóa.")
    r = await api.get("/me", headers={**viewer, "Accept-Language": "en"})
    assert r.json()["detail"] == "This token has expired; sign in again."

    # An account removed from the database takes its tokens with it.
    admin = world.headers("admin")
    assert (await api.get("/me", headers=admin)).status_code == 200
    await ApiToken.filter(user_id=world.users["admin"].id).delete()
    await BackofficeUser.filter(id=world.users["admin"].id).delete()
    async with nothing_changes(data_dir):
        _refused(await api.get("/me", headers=admin), MISSING)


async def test_a_token_is_accepted_only_as_its_own_kind(
    api: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    token = world.tokens["admin"]
    assert (await api.get("/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    await ApiToken.filter(user_id=world.users["admin"].id).update(kind="session")
    async with nothing_changes(data_dir):
        # a web session's cookie value is not an API key
        _refused(await api.get("/me", headers={"Authorization": f"Bearer {token}"}), MISSING)
    api.cookies.set("cchc_session", token)
    r = await api.get("/me")
    assert r.status_code == 200 and r.json()["username"] == "admin"
    # and an API key is not a session cookie
    api.cookies.set("cchc_session", world.tokens["viewer"])
    _refused(await api.get("/me"), MISSING)


async def test_a_viewer_token_on_administrators_endpoints(
    api: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    viewer = world.headers("viewer")
    attempts = [
        ("POST", "/users", {"json": {"username": "moi", "password": "x" * 12, "role": "admin"}}),
        ("PATCH", f"/users/{world.users['viewer'].id}", {"json": {"role": "admin"}}),
        ("PATCH", f"/users/{world.users['admin'].id}", {"json": {"active": False}}),
        ("POST", f"/periods/{world.period.id}/publish", {"json": {"force": True, "reason": "x"}}),
        ("POST", f"/assessments/{world.sheets['SNV'].id}/unlock", {"json": {"reason": "x"}}),
        ("DELETE", f"/tokens/{world.users['admin'].id}", {}),
        ("GET", "/audit-events", {}),
    ]
    async with nothing_changes(data_dir):
        for method, url, kwargs in attempts:
            r = await api.request(method, url, headers=viewer, **kwargs)
            assert r.status_code in (403, 404), (url, r.text)
            body = r.json()
            assert body["code"] in ("forbidden", "not_found") and body["detail"], (url, body)
        r = await api.post(
            "/users",
            headers=viewer,
            json={"username": "moi", "password": "x" * 12, "role": "admin"},
        )
        assert r.status_code == 403
        assert r.json()["detail"] == "Chỉ quản trị viên mới được làm việc này."
