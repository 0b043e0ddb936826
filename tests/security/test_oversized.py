"""Bodies larger than the limit (1 MB in these tests): an officer's upload, a back-office
import, an API import and a plain form are cut off while they stream in. The server stops
reading as soon as the limit is passed (the generator bodies below count what was taken), a
``Content-Length`` above it is refused before a byte is read, the answer is 413 with a sentence
saying the limit, and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.api.world import World
from tests.security.conftest import nothing_changes
from tests.web.conftest import csrf_of, sign_in_officer, sign_in_staff

LIMIT = 1024 * 1024  # max_upload_mb=1 in these tests
CHUNK = b"0" * 65536
TOTAL_CHUNKS = 48  # 3 MB offered
BOUNDARY = "cchcboundary1234"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def multipart(fields: dict[str, str], name: str, data: bytes, *, end: bool = True) -> bytes:
    out = b""
    for key, value in fields.items():
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return out + data + (f"\r\n--{BOUNDARY}--\r\n".encode() if end else b"")


class Endless:
    """A body of ``TOTAL_CHUNKS`` chunks after ``head``; ``taken`` counts what the server read."""

    def __init__(self, head: bytes, tail: bytes = b"") -> None:
        self.head, self.tail, self.taken = head, tail, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        for _ in range(TOTAL_CHUNKS):
            self.taken += 1
            yield CHUNK
        yield self.tail

    def cut_early(self) -> bool:
        """Refused as soon as the limit was passed, not after reading the whole body."""
        return self.taken <= (LIMIT + 64 * 1024) // len(CHUNK) + 3 < TOTAL_CHUNKS


@pytest.fixture
async def officer(client: httpx.AsyncClient, web_app: FastAPI, world: World) -> str:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    return csrf_of((await client.get("/web/o/")).text)


async def test_an_officers_upload(client: httpx.AsyncClient, officer: str, data_dir: Path) -> None:
    async with nothing_changes(data_dir):
        body = Endless(multipart({"csrf": officer}, "big.pdf", b"%PDF-1.4\n", end=False))
        r = await client.post(
            "/web/o/items/1.1.1/files",
            content=body,
            headers={"Content-Type": MULTIPART, "Accept": "application/json"},
        )
        assert r.status_code == 413
        assert r.json()["error"].startswith("Tệp vượt quá giới hạn 1 MB mỗi tệp; chưa lưu gì.")
        assert body.cut_early()

        # a declared length over the limit is refused before anything is read
        data = multipart({"csrf": officer}, "big.pdf", b"%PDF-1.4\n" + b"0" * (3 * LIMIT))
        r = await client.post(
            "/web/o/items/1.1.1/files", content=data, headers={"Content-Type": MULTIPART}
        )
        assert r.status_code == 413 and "vượt quá giới hạn 1 MB" in r.text

        # a forged upload (no CSRF token before the file) is not read either
        body = Endless(multipart({}, "a.pdf", b"%PDF-1.4\n", end=False))
        r = await client.post(
            "/web/o/items/1.1.1/files", content=body, headers={"Content-Type": MULTIPART}
        )
        assert r.status_code == 403 and body.taken == 0

        # a file sent to a form that takes none is cut off just the same
        body = Endless(multipart({"csrf": officer, "version": "0"}, "x.pdf", b"", end=False))
        r = await client.post(
            "/web/o/items/1.1.2", content=body, headers={"Content-Type": MULTIPART}
        )
        assert r.status_code == 413 and body.cut_early()


async def test_a_plain_form_too_long(
    client: httpx.AsyncClient, officer: str, data_dir: Path
) -> None:
    async with nothing_changes(data_dir):
        body = Endless(f"csrf={officer}&version=0&value=y&note=".encode())
        r = await client.post(
            "/web/o/items/1.1.2",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413 and "Nội dung biểu mẫu quá dài." in r.text
        assert body.cut_early()


async def test_a_back_office_import(
    client: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    assert (await sign_in_staff(client, "admin")).status_code == 303
    token = csrf_of((await client.get("/web/units")).text)
    async with nothing_changes(data_dir):
        for path in ("/web/units/import", "/web/criteria/import"):
            body = Endless(multipart({"csrf": token}, "big.xlsx", b"PK\x03\x04", end=False))
            r = await client.post(path, content=body, headers={"Content-Type": MULTIPART})
            assert r.status_code == 413, (path, r.text[:300])
            assert "vượt quá giới hạn 1 MB" in r.text and body.cut_early()


@pytest.mark.parametrize(
    "path", ["/units/import", "/criteria-sets/import", "/periods/{period}/survey-scores/import"]
)
async def test_an_api_import(
    api: httpx.AsyncClient, world: World, data_dir: Path, path: str
) -> None:
    url = path.format(period=world.period.id)
    admin = world.headers("admin")
    async with nothing_changes(data_dir):
        body = Endless(multipart({}, "big.xlsx", b"PK\x03\x04", end=False))
        r = await api.post(url, content=body, headers={**admin, "Content-Type": MULTIPART})
        assert r.status_code == 413, r.text
        assert r.json() == {"detail": "Tệp lớn hơn 1 MB.", "code": "too_large", "problems": []}
        assert body.cut_early()

        data = multipart({}, "big.xlsx", b"PK\x03\x04" + b"0" * (3 * LIMIT))
        r = await api.post(url, content=data, headers={**admin, "Content-Type": MULTIPART})
        assert r.status_code == 413 and r.json()["code"] == "too_large"

        # JSON bodies too: no endpoint reads more than the limit
        body = Endless(b'{"username": "', b'"}')
        r = await api.post(
            "/auth/token", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413 and body.cut_early()
