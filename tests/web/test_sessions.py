"""Signing in: the officers' one-time links and sessions, the back-office password sign-in,
sessions that end (CSRF on every form: tests/security/test_csrf.py), and what each role may open."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from app.web.security import sign, unsign
from app.web.sessions import OFFICER_COOKIE
from core.models import AuditEvent
from tests.api.world import World
from tests.web.conftest import (
    Clock,
    csrf_of,
    officer_link,
    sign_in_officer,
    sign_in_staff,
)


def test_signed_values_refuse_tampering_and_other_purposes() -> None:
    token = sign("s3cret", "officer_link", {"o": 1, "j": "x", "e": 10})
    assert unsign("s3cret", "officer_link", token) == {"o": 1, "j": "x", "e": 10}
    assert unsign("s3cret", "officer_session", token) is None  # another purpose
    assert unsign("other", "officer_link", token) is None  # another key
    _body, mac = token.split(".")
    forged = sign("s3cret", "officer_link", {"o": 2, "j": "x", "e": 10}).split(".")[0]
    assert unsign("s3cret", "officer_link", f"{forged}.{mac}") is None
    assert unsign("s3cret", "officer_link", "garbage") is None


async def test_officer_signs_in_once_with_a_link(
    client: httpx.AsyncClient, web_app: FastAPI, world: World
) -> None:
    path = await officer_link(web_app, world, "lan")
    # Opening the link (as a chat app drawing a preview would) uses nothing up.
    for _ in range(2):
        page = await client.get(path)
        assert page.status_code == 200
        assert "Đăng nhập" in page.text
    token = path.split("t=", 1)[1]
    first = await client.post("/web/o/login", data={"t": token, "csrf": csrf_of(page.text)})
    assert first.status_code == 303 and first.headers["location"] == "/web/o/"
    cookie = first.headers["set-cookie"]
    assert OFFICER_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http:// public URL; Secure when it is https://
    sheet = await client.get("/web/o/")
    assert sheet.status_code == 200 and "Sở Nội vụ" in sheet.text

    # The same link again, even from another browser: refused, and nobody is signed in.
    client.cookies.clear()
    page = await client.get(path)
    again = await client.post("/web/o/login", data={"t": token, "csrf": csrf_of(page.text)})
    assert again.status_code == 400
    assert "đã được dùng" in again.text
    assert OFFICER_COOKIE not in again.headers.get("set-cookie", "")
    assert (await client.get("/web/o/")).status_code == 401
    uses = await AuditEvent.filter(action="officer_link.use").count()
    assert uses == 1


async def test_expired_or_altered_links_sign_nobody_in(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, clock: Clock
) -> None:
    path = await officer_link(web_app, world, "lan")
    token = path.split("t=", 1)[1]
    clock.now += timedelta(minutes=16)
    page = await client.get(path)
    r = await client.post("/web/o/login", data={"t": token, "csrf": csrf_of(page.text)})
    assert r.status_code == 400 and "hết hạn" in r.text

    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert (await client.get(f"/web/o/login?t={altered}")).status_code == 400
    r = await client.post("/web/o/login", data={"t": altered, "csrf": csrf_of(page.text)})
    assert r.status_code == 400 and "không hợp lệ" in r.text


async def test_officer_session_expires_and_ends_at_sign_out(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, clock: Clock
) -> None:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    clock.now += timedelta(hours=7, minutes=59)
    page = await client.get("/web/o/")
    assert page.status_code == 200
    clock.now += timedelta(minutes=2)
    gone = await client.get("/web/o/")
    assert gone.status_code == 401 and "/web" in gone.text  # tells how to get a new link
    saved = await client.post(
        "/web/o/items/1.1.2", data={"csrf": csrf_of(page.text), "version": "0", "value": "y"}
    )
    assert saved.status_code == 401

    clock.now -= timedelta(hours=8)
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    page = await client.get("/web/o/")
    out = await client.post("/web/o/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    # Even a copy of the old cookie no longer works once the session was ended.
    assert (await client.get("/web/o/")).status_code == 401


async def test_a_session_cookie_is_for_one_officer_of_one_unit(
    client: httpx.AsyncClient, web_app: FastAPI, world: World
) -> None:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    cookie = client.cookies[OFFICER_COOKIE]
    claims = unsign("web-test-secret", "officer_session", cookie)
    assert claims is not None and claims["o"] == world.officers["lan"].id
    # Pointing the cookie at another unit's officer breaks the signature.
    body = sign("web-test-secret", "x", {**claims, "o": world.officers["khac"].id}).split(".")[0]
    client.cookies.set(OFFICER_COOKIE, f"{body}.{cookie.split('.')[1]}")
    assert (await client.get("/web/o/")).status_code == 401


async def test_back_office_sessions_expire(
    client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    # (throttled sign-ins: tests/security/test_brute_force.py)
    r = await sign_in_staff(client, "td2")
    assert r.status_code == 303 and r.headers["location"] == "/web/progress"
    assert "HttpOnly" in r.headers["set-cookie"]
    assert (await client.get("/web/progress")).status_code == 200
    clock.now += timedelta(hours=8, minutes=1)
    r = await client.get("/web/progress")
    assert r.status_code == 303 and r.headers["location"].startswith("/web/login?next=")


async def test_roles_are_enforced_on_the_server(client: httpx.AsyncClient, world: World) -> None:
    # No session: the back-office redirects to sign-in, whatever the page.
    for path in ("/web/progress", "/web/periods", "/web/appraisal", "/web/results"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login")

    assert (await sign_in_staff(client, "td1")).status_code == 303
    for path in ("/web/progress", "/web/appraisal", "/web/results", "/web/criteria"):
        assert (await client.get(path)).status_code == 200, path
    for path in ("/web/periods", "/web/units"):
        assert (await client.get(path)).status_code == 403, path  # officers' personal data
    page = await client.get("/web/progress")
    r = await client.post(
        "/web/periods",
        data={"csrf": csrf_of(page.text), "code": "X", "name": "X", "year": "2027"},
    )
    assert r.status_code == 403

    client.cookies.clear()
    assert (await sign_in_staff(client, "viewer")).status_code == 303
    page = await client.get("/web/periods")
    assert page.status_code == 200 and "Tạo đợt đánh giá" not in page.text
    sheet = world.sheets["SNV"]
    r = await client.post(
        f"/web/appraisal/{sheet.id}/items/1.1.1/accept",
        data={"csrf": csrf_of(page.text), "version": "0"},
    )
    assert r.status_code == 403
    # An officer's session is not a back-office session.
    assert (await client.get("/web/o/")).status_code == 401


async def test_language_switch(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/web/lang?to=en&next=/web/login")
    assert r.status_code == 303 and r.headers["location"] == "/web/login"
    page = await client.get("/web/login")
    assert "Back-office sign-in" in page.text and 'lang="en"' in page.text
    r = await client.get("/web/lang?to=vi&next=//evil.example/")
    assert r.headers["location"] == "/web/"  # only paths of this site
    page = await client.get("/web/login")
    assert "Đăng nhập trang quản trị" in page.text
