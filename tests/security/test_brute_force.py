"""Guessing passwords: after five failures for a username from one address within 15 minutes,
the API's token endpoint and the web sign-in answer that address 429 with a Vietnamese sentence
and ``Retry-After``, even to the right password, and issue nothing; the lock ends with its
window. An unknown username is locked the same way, so the lock does not tell which accounts
exist. The owner, from another address, still signs in; one address guessing many names is
refused for all of them; many addresses guessing one account get one try each; unknown names
add nothing to the audit trail; behind the reverse proxy the address is the forwarded one.

The requests' clock is the injectable ``get_now``; the failures themselves are timed by the
audit trail's real clock, so each test starts its request clock at the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from core import sign_in_throttle
from core.auth import LOCKOUT, MAX_FAILURES
from core.models import ApiToken, AuditEvent, SignInFailure
from core.sign_in_throttle import ADDRESS_LIMIT
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
    # the account's failures are audited; the unknown name's are only counted
    assert await AuditEvent.filter(action="auth.failed").count() == MAX_FAILURES

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


def _from(web_app: FastAPI, address: str) -> httpx.AsyncClient:
    """The API as seen from one client address."""
    transport = httpx.ASGITransport(app=web_app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test/api/v1")


async def _token(c: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await c.post("/auth/token", json={"username": username, "password": password})


async def test_the_attacker_locks_himself_out_not_the_owner(
    api: httpx.AsyncClient, web_app: FastAPI, world: World, clock: Clock
) -> None:
    clock.now = datetime.now(UTC)
    async with _from(web_app, "203.0.113.7") as attacker, _from(web_app, "198.51.100.2") as owner:
        for _ in range(MAX_FAILURES):
            assert (await _token(attacker, "admin", "sai")).status_code == 401
        assert (await _token(attacker, "admin", PASSWORD)).status_code == 429
        r = await _token(owner, "admin", PASSWORD)
        assert r.status_code == 200 and r.json()["access_token"]


async def test_one_address_guessing_many_names_is_refused_for_all(
    api: httpx.AsyncClient, web_app: FastAPI, world: World, clock: Clock
) -> None:
    clock.now = datetime.now(UTC)
    async with _from(web_app, "203.0.113.8") as attacker, _from(web_app, "198.51.100.3") as other:
        for i in range(ADDRESS_LIMIT):
            assert (await _token(attacker, f"ten-{i}", "sai")).status_code == 401
        r = await _token(attacker, "ten-moi", "sai")
        assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
        assert "từ địa chỉ của bạn (203.0.113.8)" in r.json()["detail"]
        assert 0 < int(r.headers["retry-after"]) <= LOCKOUT.total_seconds()
        assert (await _token(attacker, "viewer", PASSWORD)).status_code == 429
        assert (await _token(other, "viewer", PASSWORD)).status_code == 200


async def test_many_addresses_guessing_one_account_get_one_try_each(
    api: httpx.AsyncClient,
    web_app: FastAPI,
    world: World,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a smaller account-wide limit than the real one keeps the test fast (each failure costs a
    # real password hash); the rule is the same
    monkeypatch.setattr(sign_in_throttle, "ACCOUNT_LIMIT", 8)
    clock.now = datetime.now(UTC)
    for i in range(sign_in_throttle.ACCOUNT_LIMIT):
        async with _from(web_app, f"10.9.{i // 250}.{i % 250 + 1}") as bot:
            assert (await _token(bot, "admin", "sai")).status_code == 401
    async with _from(web_app, "10.9.0.1") as bot:  # failed once already: no second try
        assert (await _token(bot, "admin", "sai")).status_code == 429
    async with _from(web_app, "198.51.100.4") as owner:  # a fresh address still gets in
        assert (await _token(owner, "admin", PASSWORD)).status_code == 200


async def test_unknown_names_do_not_grow_any_table(
    api: httpx.AsyncClient, web_app: FastAPI, world: World, clock: Clock
) -> None:
    clock.now = datetime.now(UTC)
    events = await AuditEvent.all().count()
    for round_ in range(2):  # two windows of guessing from several addresses
        for i in range(5):
            async with _from(web_app, f"10.8.{round_}.{i + 1}") as c:
                assert (await _token(c, f"khong-co-{round_}-{i}", "sai")).status_code == 401
        clock.now += LOCKOUT + timedelta(seconds=1)
    assert await AuditEvent.all().count() == events
    assert await SignInFailure.all().count() == 5  # the last window's only


async def test_behind_the_proxy_the_forwarded_address_is_throttled(
    web_app: FastAPI, world: World, clock: Clock
) -> None:
    """uvicorn's proxy-header middleware, as ``cchc serve`` runs it with CCHC_TRUSTED_PROXIES:
    two people behind one nginx are two addresses; a client that is not the proxy cannot
    choose its address by sending the header itself."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from app.cli import uvicorn_options
    from core.settings import load_settings

    settings = load_settings(trusted_proxies="10.0.0.5")
    assert uvicorn_options(settings, None, None)["forwarded_allow_ips"] == "10.0.0.5"
    assert uvicorn_options(settings, None, None)["proxy_headers"] is True

    clock.now = datetime.now(UTC)
    proxied = ProxyHeadersMiddleware(web_app, trusted_hosts="10.0.0.5")

    def client(peer: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=proxied, client=(peer, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://test/api/v1")

    attacker = {"X-Forwarded-For": "203.0.113.9"}
    async with client("10.0.0.5") as nginx:
        for _ in range(MAX_FAILURES):
            r = await nginx.post(
                "/auth/token", json={"username": "admin", "password": "sai"}, headers=attacker
            )
            assert r.status_code == 401
        r = await nginx.post(
            "/auth/token", json={"username": "admin", "password": PASSWORD}, headers=attacker
        )
        assert r.status_code == 429
        r = await nginx.post(
            "/auth/token",
            json={"username": "admin", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.5"},
        )
        assert r.status_code == 200
    async with client("203.0.113.9") as direct:  # not the proxy: its header is not believed
        r = await direct.post(
            "/auth/token",
            json={"username": "admin", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.6"},
        )
        assert r.status_code == 429
