"""The web pages in-process: the back office of :mod:`tests.backoffice` (httpx over ASGI), the
officers' and staff's sign-in steps, and the app served to a real browser."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from fastapi import FastAPI

from app.web.sessions import issue_officer_link
from core.models import Officer
from tests import backoffice as shared
from tests.api.world import NOW, PASSWORD, World
from tests.backoffice import Clock  # noqa: F401  (the tests' clock, imported from here)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


# the back office's fixtures, with the pages' client
web_app = shared.web_app
served = shared.served
clock = shared.clock
notifier = shared.notifier
store = shared.store
world = shared.world
client = shared.web_client
pages = shared.pages
pytest_runtest_makereport = shared.pytest_runtest_makereport


async def officer_link(web_app: FastAPI, world: World, name: str, now: datetime = NOW) -> str:
    """The path of a fresh sign-in link, as the bot's /web command sends it."""
    officer = await Officer.get(id=world.officers[name].id)
    link = await issue_officer_link(web_app.state.settings, officer.id, now=now)
    return link.url.removeprefix(web_app.state.settings.public_url)


async def sign_in_officer(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, name: str
) -> httpx.Response:
    path = await officer_link(web_app, world, name)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    token = path.split("t=", 1)[1]
    return await client.post("/web/o/login", data={"t": token, "csrf": csrf_of(page.text)})


async def sign_in_staff(client: httpx.AsyncClient, username: str) -> httpx.Response:
    page = await client.get("/web/login")
    return await client.post(
        "/web/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text)},
    )
