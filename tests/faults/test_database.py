"""The database goes away for a while, under a running service (``cchc serve``, its bot in
sandbox mode).

PostgreSQL: the service reaches the server through a TCP proxy in this test, which is cut
(open connections dropped, new ones closed at once) and restored. SQLite: another connection
holds an exclusive lock, so every write waits for the busy timeout and fails, as when a backup
tool or an administrator's shell holds the file. Meanwhile requests fail with a clear
Vietnamese sentence (503, never a stack trace), the officer in the bot is told to try again,
and nothing is half-written; once the database is back the same service works again, without
a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from core.audit import Actor
from core.auth import hash_token
from core.invites import create_invite
from core.models import ApiToken, AuditEvent, Channel
from forms.models import Answer
from tests.api.world import build_world
from tests.faults.procs import ServiceProcess, free_port, service_env
from tests.waiting import until

SYSTEM = Actor.system(Channel.cli, "fault-test")
OFFICER = 880_100
SESSION = "staff-session-for-the-outage-test"
UNAVAILABLE = "Không kết nối được cơ sở dữ liệu"
BURST = [("1.1.3", "95"), ("1.1.5", "0,25"), ("1.2.1", "3"), ("C.1", "1"), ("T.1", "0")]
TRY_AGAIN = "Hệ thống gặp sự cố nên thao tác vừa rồi có thể chưa được lưu. Vui lòng thử lại."
REASON = "Sửa theo hồ sơ"  # the API corrects answers as an administrator, with a reason


class Proxy:
    """A TCP proxy to the database server that can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.up = True
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self.links.discard(writer)
            writer.close()

    def cut(self) -> None:
        self.up = False
        for writer in list(self.links):
            writer.transport.abort()  # a reset, as when the server's host goes away

    def restore(self) -> None:
        self.up = True

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@contextlib.contextmanager
def sqlite_lock(url: str) -> Iterator[None]:
    """Another process's exclusive lock on the database file."""
    conn = sqlite3.connect(url.removeprefix("sqlite://").split("?")[0], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


class Outage:
    def __init__(self, db: str) -> None:
        self.db = db
        self.postgres = not db.startswith("sqlite://")
        self.proxy: Proxy | None = None
        self._lock: contextlib.ExitStack | None = None

    async def service_url(self) -> str:
        """The URL the service gets: through the proxy on PostgreSQL."""
        if not self.postgres:
            return self.db
        parts = urlsplit(self.db)
        self.proxy = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
        await self.proxy.start()
        netloc = parts.netloc.replace(f":{parts.port or 5432}", f":{self.proxy.port}")
        return urlunsplit(parts._replace(netloc=netloc))

    def begin(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
        else:
            self._lock = contextlib.ExitStack()
            self._lock.enter_context(sqlite_lock(self.db))

    def end(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
        elif self._lock is not None:
            self._lock.close()
            self._lock = None

    async def close(self) -> None:
        self.end()
        if self.proxy is not None:
            await self.proxy.stop()


@pytest.fixture
async def outage(db: str) -> AsyncIterator[Outage]:
    made = Outage(db)
    yield made
    await made.close()


async def wait_card(http: httpx.AsyncClient, after: int, contains: str) -> dict[str, Any]:
    """The first bot message or edit for the officer after ``after`` that contains the text."""
    while True:
        got = await http.get(
            "/sandbox/control/wait_for_bot_message",
            params={"user_id": OFFICER, "after": after, "timeout": 15},
        )
        assert got.status_code == 200, got.text
        message = got.json()
        if contains in message["text"]:
            return message
        after = message["seq"]


def button(message: dict[str, Any], label: str) -> str:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return next(b["callback_data"] for row in rows for b in row if b["text"].startswith(label))


async def press(http: httpx.AsyncClient, card: dict[str, Any], label: str) -> int:
    """Press a button; returns the chat's seq just before, to wait for what follows."""
    seq = (await http.get("/sandbox/control/info")).json()["seq"]
    body = {"user_id": OFFICER, "message_id": card["message_id"], "data": button(card, label)}
    assert (await http.post("/sandbox/control/press", json=body)).status_code == 200
    return seq


async def test_the_database_goes_away_and_comes_back(
    db: str, outage: Outage, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    world = await build_world(now=now)
    sheet = world.sheets["SNV"]
    await ApiToken.create(
        user=world.users["admin"],
        kind="session",
        token_hash=hash_token(SESSION),
        expires_at=now + timedelta(days=1),
    )
    code = (await create_invite(SYSTEM, world.officers["lan"].id, now=now)).pretty
    env = service_env(await outage.service_url(), tmp_path / "data", CCHC_SCHEDULER_ENABLED="false")
    service = ServiceProcess(env, tmp_path)
    service.start()
    api = {"Authorization": f"Bearer {world.tokens['admin']}", "Accept-Language": "vi"}
    staff = {"Cookie": f"cchc_session={SESSION}"}
    answer_url = f"/api/v1/assessments/{sheet.id}/answers/1.1.2"
    try:
        await service.wait_healthy()
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            sent = await http.post(
                "/sandbox/control/send_text", json={"user_id": OFFICER, "text": f"/start {code}"}
            )
            card = await wait_card(http, sent.json()["seq"], "1.1.1. Ban hành kế hoạch")

            # a burst of answers, cut in the middle: each one is all there or not at all (on
            # SQLite a write cannot be cut half-way: it waits for the lock, then fails whole)
            burst = [
                asyncio.create_task(
                    http.put(
                        f"/api/v1/assessments/{sheet.id}/answers/{item}",
                        json={"text": text, "expected_version": 0, "reason": REASON},
                        headers=api,
                    )
                )
                for item, text in (BURST if outage.postgres else [])
            ]
            await asyncio.sleep(0.05)
            outage.begin()
            saved = set()
            for (item, _text), reply in zip(BURST, await asyncio.gather(*burst), strict=False):
                assert reply.status_code in (200, 503), reply.text
                if reply.status_code == 200:
                    saved.add(item)
            # the API: a clear sentence, a stable code, and when to try again
            put = await http.put(
                answer_url,
                json={"declared": {"yes": True}, "expected_version": 0, "reason": REASON},
                headers=api,
            )
            assert put.status_code == 503, put.text
            assert put.json()["code"] == "database_unavailable"
            assert UNAVAILABLE in put.json()["detail"]
            assert put.headers["Retry-After"].isdigit()
            if outage.postgres:  # SQLite still reads while a writer holds the lock
                page = await http.get("/web/progress", headers=staff)
                assert page.status_code == 503
                assert UNAVAILABLE in page.text and "Traceback" not in page.text
                health = await http.get("/healthz")
                assert health.status_code == 503
                home = await http.get("/")  # outside the API and the pages' route classes
                assert home.status_code == 503 and UNAVAILABLE in home.text
            # the bot: the officer is told to try again, not left in silence
            before = await press(http, card, "Ban hành đúng hạn")
            await wait_card(http, before, TRY_AGAIN)
            outage.end()

            # back by itself: the same process serves again within moments
            async def healthy() -> bool:
                return (await http.get("/healthz")).status_code == 200

            await until(
                healthy, "the service healthy again by itself", timeout=20, detail=service.tail
            )
            put = await http.put(
                answer_url,
                json={"declared": {"yes": True}, "expected_version": 0, "reason": REASON},
                headers=api,
            )
            assert put.status_code == 200, put.text  # version 0: the failed try left nothing
            assert put.json()["version"] == 1
            before = await press(http, card, "Ban hành đúng hạn")
            await wait_card(http, before, "Ban hành đúng hạn → 1/1 điểm")
            page = await http.get("/web/progress", headers=staff)
            assert page.status_code == 200
    finally:
        service.stop()

    # nothing half-written: every answer there is whole (its one audit event), including those
    # of the burst whose reply was lost with the connection
    answers = await Answer.filter(assessment_id=sheet.id).prefetch_related("node")
    codes = {a.node.code for a in answers}  # type: ignore[attr-defined]
    assert {"1.1.1", "1.1.2"} | saved <= codes <= {"1.1.1", "1.1.2"} | {i for i, _t in BURST}
    audited = await AuditEvent.filter(
        action__in=("answer.record", "answer.correct")  # the officer's, the API's
    ).values_list("entity_id", flat=True)
    assert sorted(audited) == sorted(str(a.id) for a in answers)
    assert {a.version for a in answers} == {1}
