"""Corrupt or huge workbooks on the three imports (criteria, units, survey scores), through the
API and the back-office page: a damaged zip, another file renamed .xlsx, a zip bomb (a
shared-strings part of 30 MB packed into a few kilobytes) and a forged sheet size
(A1:XFD1048576, which would make the reader pad every row to 16,384 cells). Each gets a clear
422 at once, before anything is unpacked or read, and nothing is imported."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.api.world import World
from tests.factories import workbook_bytes
from tests.security.conftest import nothing_changes
from tests.web.conftest import csrf_of, sign_in_staff

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_XLSX = "Tệp này không phải là tệp Excel hợp lệ (.xlsx)."
TOO_BIG = "Tệp Excel quá lớn khi giải nén (tối đa 20 MB)"
TOO_WIDE = "có 1048576 dòng và 16384 cột; chỉ đọc được tối đa 20000 dòng và 200 cột"


def rezip(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The same workbook with some parts replaced (or added)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            if info.filename not in parts:
                dst.writestr(info.filename, src.read(info.filename))
        for name, body in parts.items():
            dst.writestr(name, body)
    return out.getvalue()


def bomb(data: bytes) -> bytes:
    huge = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    huge += b"A" * (30 * 1024 * 1024) + b"</t></si></sst>"
    packed = rezip(data, {"xl/sharedStrings.xml": huge})
    assert len(packed) < 100 * 1024  # it travels small
    return packed


def forged_size(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    sheet, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', sheet)
    assert n == 1
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet})


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


async def _templates(api: httpx.AsyncClient, world: World) -> dict[str, tuple[str, bytes]]:
    admin = world.headers("admin")
    units = (await api.get("/units-template.xlsx", headers=admin)).content
    survey = (
        await api.get(f"/periods/{world.period.id}/survey-template.xlsx", headers=admin)
    ).content
    return {
        "criteria": ("/criteria-sets/import", workbook_bytes()),
        "units": ("/units/import", units),
        "survey": (f"/periods/{world.period.id}/survey-scores/import", survey),
    }


@pytest.mark.parametrize("kind", ["criteria", "units", "survey"])
async def test_bad_workbooks_on_every_import(
    api: httpx.AsyncClient, world: World, data_dir: Path, kind: str
) -> None:
    url, template = (await _templates(api, world))[kind]
    bad = [
        ("hỏng.xlsx", template[: len(template) // 2], NOT_XLSX),  # cut in the middle
        ("rác.xlsx", b"PK\x03\x04" + b"\x00garbage" * 100, NOT_XLSX),
        ("baocao.xlsx", b"%PDF-1.4\n%%EOF\n", NOT_XLSX),  # a PDF renamed
        ("vanban.xlsx", docx(), NOT_XLSX),  # a zip, but a Word document
        ("bom.xlsx", bomb(template), TOO_BIG),
        ("to.xlsx", forged_size(template), TOO_WIDE),
    ]
    async with nothing_changes(data_dir):
        for name, data, expected in bad:
            started = time.monotonic()
            r = await api.post(
                url, headers=world.headers("admin"), files={"file": (name, data, XLSX)}
            )
            elapsed = time.monotonic() - started
            assert r.status_code == 422, (name, r.text)
            body = r.json()
            assert body["code"] == "invalid" and "nên không nhập dữ liệu nào" in body["detail"], (
                body
            )
            assert any(expected in p for p in body["problems"]), (name, body)
            assert elapsed < 3, f"{name} took {elapsed:.1f} s: it was unpacked"
    # the untouched template still imports (the checks refuse only what is wrong)
    if kind == "units":
        r = await api.post(
            url, headers=world.headers("admin"), files={"file": ("u.xlsx", template, XLSX)}
        )
        assert r.status_code == 200, r.text


async def test_bad_workbooks_on_the_back_office_pages(
    client: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    assert (await sign_in_staff(client, "admin")).status_code == 303
    token = csrf_of((await client.get("/web/units")).text)
    async with nothing_changes(data_dir):
        for path, data, expected in [
            ("/web/units/import", bomb(workbook_bytes()), TOO_BIG),
            ("/web/criteria/import", forged_size(workbook_bytes()), TOO_WIDE),
            ("/web/criteria/import", b"%PDF-1.4\n", NOT_XLSX),
        ]:
            r = await client.post(
                path, data={"csrf": token}, files={"file": ("x.xlsx", data, XLSX)}
            )
            assert r.status_code == 422, (path, r.text[:500])
            assert expected in r.text, (path, r.text[:2000])
