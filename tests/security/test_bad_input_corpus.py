"""The bad-input corpus (:mod:`tests.bad_input`) through every input route of the JSON API, the
officer's web form, the back-office web forms and the workbook imports (units, criteria,
survey scores).

For every value a route refuses, the answer is a 4xx (never a 5xx) with a clear Vietnamese
sentence that names the field, and no row of any table (nor any stored file) changed. Values
that must be refused everywhere (NUL characters, texts past a field's length, words where a
number is expected, numbers beyond any plausible magnitude, files that are not what they claim)
are asserted to be refused; a value a route accepts must be stored as sent, never cut.

One world and one client per channel, the corpus looped inside: the failures of a channel are
collected and reported together, and the module stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook

from tests.api.world import World
from tests.bad_input import (
    BAD_FILE_CONTENTS,
    BAD_FILE_NAMES,
    BAD_NUMBERS,
    BAD_TEXTS,
    XML_BOMB,
    XML_EXTERNAL_ENTITY,
    with_xml_declaration,
)
from tests.security.conftest import snapshot
from tests.web.conftest import csrf_of, sign_in_officer, sign_in_staff

# Letters only Vietnamese has: a message with none of them is not a Vietnamese sentence.
_VIETNAMESE = re.compile(r"[ăâđêôơưàáạảãằắặẳẵầấậẩẫèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Numbers every channel refuses, whatever the rule: not numbers, or longer than an answer.
NEVER_NUMBERS = [
    v
    for v in BAD_NUMBERS
    if v.strip() in ("", "abc", "1,2,3", "1..2", "--1", "+-2", "inf", "Infinity", "NaN", "nan")
    or v.strip() in ("0x10", "%", "5%%", "1\x002", "12,5,5")
    or len(v) > 1000  # longer than any typed answer (a key held down); magnitudes and
    # decimals beyond the rule's bounds are the shared parser's (core/numbers.py) to refuse
]


# Items whose answer is typed as a number: a percentage, points, a count, a count of violations.
NUMBER_ITEMS = ("1.1.3", "1.1.5", "1.2.1", "2.1.1")


def must_refuse_text(text: str, limit: int) -> bool:
    """A text no field may store: a NUL (PostgreSQL cannot), or longer than the field."""
    return "\x00" in text or len(text) > limit


@dataclass
class Findings:
    """What went wrong, one line per case, reported together at the end."""

    lines: list[str] = field(default_factory=list)

    def add(self, where: str, value: object, what: str) -> None:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:40] + f"…({len(str(value))} chars)"
        self.lines.append(f"{where} {shown}: {what}")

    def check(self) -> None:
        assert not self.lines, f"{len(self.lines)} case(s) failed:\n" + "\n".join(self.lines)


def _message(response: httpx.Response) -> str:
    """The words a person reads in a refusal: the JSON error's sentences, or the page's text."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        parts = [str(body.get("detail", "")), *map(str, body.get("problems", []) or [])]
        return " ".join(parts) + " " + str(body.get("error", ""))
    return re.sub(r"<[^>]+>", " ", response.text)


def _sentences(response: httpx.Response) -> list[str]:
    """Each sentence shown on its own: the JSON detail and every problem line, or the page."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        lines = [body.get("detail") or body.get("error") or "", *(body.get("problems") or [])]
        return [str(x) for x in lines]
    return [_message(response)]


async def probe(
    findings: Findings,
    where: str,
    value: object,
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    names: tuple[str, ...],
    refuse: bool,
    folders: tuple[Path, ...] = (),
) -> httpx.Response:
    """Send one bad value; check the refusal (or, when accepted, nothing to check here)."""
    before = await snapshot(*folders)
    response = await send()
    if response.status_code >= 500:
        findings.add(where, value, f"{response.status_code} {response.text[:200]}")
        return response
    if response.status_code < 400:
        if refuse:
            findings.add(where, value, f"accepted ({response.status_code}), must be refused")
        return response
    after = await snapshot(*folders)
    changes = before.changes(after)
    if changes:
        findings.add(where, value, f"refused but changed: {changes[:2]}")
    text = _message(response)
    if not all(_VIETNAMESE.search(line) for line in _sentences(response)):
        findings.add(where, value, f"not all in Vietnamese: {text[:300]!r}")
    if not any(n.casefold() in text.casefold() for n in names):
        findings.add(where, value, f"the field ({names[0]}) is not named: {text[:300]!r}")
    return response


# --- the JSON API -------------------------------------------------------------------------------


async def test_json_api_answers(api: httpx.AsyncClient, world: World, data_dir: Path) -> None:
    findings = Findings()
    admin = world.headers("admin")
    sheet = world.sheets["SNV"].id
    for code in NUMBER_ITEMS:
        url = f"/assessments/{sheet}/answers/{code}"
        for value in BAD_NUMBERS:
            r = await probe(
                findings,
                f"PUT answer {code} text",
                value,
                lambda u=url, v=value: api.put(
                    u,
                    json={"expected_version": 0, "text": v, "reason": "Sửa theo hồ sơ"},
                    headers=admin,
                ),
                names=(code, "text", "số", "tỷ lệ", "câu trả lời", "phương án"),
                refuse=value in NEVER_NUMBERS,
            )
            if r.status_code < 300:  # read as a number by the shared parser: start again
                await _clear_answer(sheet, code)
    for value in BAD_TEXTS:
        r = await probe(
            findings,
            "PUT answer note",
            value,
            lambda v=value: api.put(
                f"/assessments/{sheet}/answers/1.1.2",
                json={"expected_version": 0, "text": "có", "note": v, "reason": "Sửa theo hồ sơ"},
                headers=admin,
            ),
            names=("note", "ghi chú"),
            refuse=must_refuse_text(value, 4000),
        )
        if r.status_code < 300:
            stored = r.json()["note"]
            if stored != value.strip():
                findings.add("PUT answer note", value, "stored changed (cut or altered)")
            await _clear_answer(sheet, "1.1.2")
    findings.check()


async def _clear_answer(sheet_id: int, code: str) -> None:
    from forms.models import Answer

    await Answer.filter(assessment_id=sheet_id, node__code=code).delete()


# --- the officer's web form ---------------------------------------------------------------------


async def test_officer_web_form(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, data_dir: Path
) -> None:
    findings = Findings()
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    token = csrf_of((await client.get("/web/o/")).text)
    json = {"Accept": "application/json"}
    sheet = world.sheets["SNV"].id
    for code in NUMBER_ITEMS:
        for value in BAD_NUMBERS:
            r = await probe(
                findings,
                f"web form value {code}",
                value,
                lambda c=code, v=value: client.post(
                    f"/web/o/items/{c}",
                    data={"csrf": token, "version": "0", "value": v},
                    headers=json,
                ),
                names=(code, "số", "tỷ lệ", "câu trả lời", "phương án"),
                refuse=value in NEVER_NUMBERS,
            )
            if r.status_code < 300:
                await _clear_answer(sheet, code)
    for value in BAD_TEXTS:
        r = await probe(
            findings,
            "web form note",
            value,
            lambda v=value: client.post(
                "/web/o/items/1.1.2",
                data={"csrf": token, "version": "0", "value": "y", "note": v},
                headers=json,
            ),
            names=("ghi chú",),
            refuse=must_refuse_text(value, 4000),
        )
        if r.status_code < 300:
            await _clear_answer(sheet, "1.1.2")
    findings.check()


async def test_json_api_texts_and_numbers(
    api: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    """Names, positions, addresses, reasons (texts) and band bounds, caps (numbers)."""
    findings = Findings()
    admin = world.headers("admin")
    sheet = world.sheets["SNV"].id
    viewer = world.users["viewer"].id
    counter = iter(range(10_000))

    def unit(field_name: str, text: str) -> dict[str, str]:
        n = next(counter)
        body = {"group_code": "SO", "group_name": "Khối sở", "code": f"U{n}", "name": f"Đơn vị {n}"}
        return {**body, field_name: text}

    def officer(field_name: str, text: str) -> dict[str, str]:
        return {"unit_code": "SNV", "full_name": f"Cán bộ {next(counter)}", field_name: text}

    texts: list[tuple[str, str, str, Callable[[str], Any], int]] = [
        ("POST", "/units", "name", lambda t: unit("name", t), 255),
        ("POST", "/units", "group_name", lambda t: unit("group_name", t), 255),
        ("POST", "/units", "address", lambda t: unit("address", t), 255),
        ("POST", "/officers", "full_name", lambda t: officer("full_name", t), 255),
        ("POST", "/officers", "position", lambda t: officer("position", t), 255),
        ("PATCH", f"/users/{viewer}", "full_name", lambda t: {"full_name": t}, 255),
        (
            "PUT",
            f"/assessments/{sheet}/deadline",
            "reason",
            lambda t: {"until": "2026-12-20T17:00:00+07:00", "reason": t},
            4000,
        ),
        ("POST", "/auth/token", "username", lambda t: {"username": t, "password": "x"}, 64),
    ]
    for method, url, name, body, limit in texts:
        for value in BAD_TEXTS:
            if url == "/auth/token" and not must_refuse_text(value, limit):
                continue  # a wrong sign-in is counted by the throttle (test_brute_force.py)
            if name in ("name", "full_name", "group_name") and not value.strip("\x00 "):
                continue  # an empty name: refused, but for being empty (checked elsewhere)
            payload = body(value)
            await probe(
                findings,
                f"{method} {url} {name}",
                value,
                lambda m=method, u=url, b=payload: api.request(m, u, json=b, headers=admin),
                names=(name,),
                refuse=must_refuse_text(value, limit),
            )

    # a JSON body of 2 MB is told as a body, not as a file over the upload limit
    big = b'{"full_name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = await probe(
        findings,
        "PATCH users 2 MB body",
        "2 MB",
        lambda: api.patch(
            f"/users/{viewer}",
            content=big,
            headers={**admin, "Content-Type": "application/json"},
        ),
        names=("nội dung yêu cầu",),
        refuse=True,
    )
    if r.status_code != 413 or "tệp" in r.json()["detail"]:
        findings.add("PATCH users 2 MB body", "2 MB", f"{r.status_code} {r.text[:200]}")

    group = (await api.get(f"/periods/{world.period.id}", headers=admin)).json()["groups"][0]
    bands_url = f"/periods/{world.period.id}/groups/{group['unit_group_id']}/bands"
    for value in BAD_NUMBERS:
        bands = [{"label": "Tốt", "min_index": value}, {"label": "Yếu", "min_index": "0"}]
        await probe(
            findings,
            "PUT bands min_index",
            value,
            lambda b=bands: api.put(bands_url, json={"bands": b}, headers=admin),
            names=("Tốt", "min_index", "bands", "mức xếp loại"),
            refuse=value in NEVER_NUMBERS or value.strip().startswith("-"),
        )
        await probe(
            findings,
            "PATCH index_options bonus_cap",
            value,
            lambda v=value: api.patch(
                f"/periods/{world.period.id}",
                json={"index_options": {"bonus_cap": v}},
                headers=admin,
            ),
            names=("bonus_cap", "index_options"),
            refuse=value.strip() != "" and (value in NEVER_NUMBERS or value.startswith("-")),
        )
    findings.check()


# --- files: evidence and the workbook imports ---------------------------------------------------


def _units_workbook(long: bool = False) -> bytes:
    from core.units_workbook import template_bytes

    wb = load_workbook(BytesIO(template_bytes()))
    text = "ả" * 256 if long else "Sở Xây dựng"
    wb["Đơn vị"].append(["SO", "Khối sở", "", "SXD", text, ""])
    wb["Cán bộ"].append(["SXD", text, text, "", "", ""])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _criteria_workbook(long: bool = False) -> bytes:
    from tests.factories import ROWS, workbook_bytes

    agency = "ả" * 256
    rows = [(*r[:10], agency, *r[11:]) if long and r[0] == "1.1.1" else r for r in ROWS]
    title = "Bộ chỉ số " + "ả" * 600 if long else "Bộ chỉ số thử"
    return workbook_bytes(rows, info={"code": "CORPUS-1", "name": title})


def bad_workbooks(good: bytes, long: bytes) -> dict[str, bytes]:
    """The file contents every workbook import is fed."""
    return {
        **BAD_FILE_CONTENTS,
        "xml_bomb_in_sheet": with_xml_declaration(good, XML_BOMB, "xl/worksheets/sheet1.xml"),
        "xml_bomb_in_workbook": with_xml_declaration(good, XML_BOMB),
        "external_entity": with_xml_declaration(good, XML_EXTERNAL_ENTITY),
        "broken_sheet_xml": _broken_sheet(good),
        "texts_too_long": long,
    }


def _broken_sheet(xlsx: bytes) -> bytes:
    import zipfile

    source = zipfile.ZipFile(BytesIO(xlsx))
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of an element
            target.writestr(info.filename, data)
    return out.getvalue()


async def test_workbook_imports_through_the_api(
    api: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    findings = Findings()
    admin = world.headers("admin")
    imports = [
        ("/units/import", bad_workbooks(_units_workbook(), _units_workbook(long=True))),
        (
            "/criteria-sets/import",
            bad_workbooks(_criteria_workbook(), _criteria_workbook(long=True)),
        ),
        (
            f"/periods/{world.period.id}/survey-scores/import",
            bad_workbooks(await _survey_workbook(api, world), b"PK\x03\x04"),
        ),
    ]
    for url, files in imports:
        for kind, content in files.items():
            await probe(
                findings,
                f"POST {url}",
                kind,
                lambda u=url, c=content: api.post(
                    u, files={"file": ("tệp.xlsx", c, XLSX)}, headers=admin
                ),
                names=("tệp", "excel", "xlsx", "ký tự", "file"),
                refuse=True,
                folders=(data_dir,),
            )
        for name in BAD_FILE_NAMES:
            await probe(
                findings,
                f"POST {url} file name",
                name,
                lambda u=url, n=name: api.post(
                    u, files={"file": (n, b"not a workbook", XLSX)}, headers=admin
                ),
                names=("tệp", "excel", "xlsx"),
                refuse=True,
                folders=(data_dir,),
            )
    findings.check()


async def _survey_workbook(api: httpx.AsyncClient, world: World) -> bytes:
    r = await api.get(
        f"/periods/{world.period.id}/survey-template.xlsx", headers=world.headers("admin")
    )
    assert r.status_code == 200, r.text[:300]
    return r.content


async def test_workbook_imports_and_forms_of_the_back_office(
    client: httpx.AsyncClient, world: World, data_dir: Path
) -> None:
    findings = Findings()
    assert (await sign_in_staff(client, "admin")).status_code == 303
    token = csrf_of((await client.get("/web/units")).text)
    imports = [
        ("/web/units/import", bad_workbooks(_units_workbook(), _units_workbook(long=True))),
        ("/web/criteria/import", bad_workbooks(_criteria_workbook(), _criteria_workbook(True))),
    ]
    for url, files in imports:
        for kind, content in files.items():
            await probe(
                findings,
                f"POST {url}",
                kind,
                lambda u=url, c=content: client.post(
                    u, data={"csrf": token}, files={"file": ("tệp.xlsx", c, XLSX)}
                ),
                names=("tệp", "excel", "xlsx", "ký tự"),
                refuse=True,
                folders=(data_dir,),
            )
    sheet = world.sheets["SNV"].id
    deadline = f"/web/periods/{world.period.id}/sheets/{sheet}/deadline"
    for value in BAD_TEXTS:
        await probe(
            findings,
            "POST deadline reason",
            value,
            lambda v=value: client.post(
                deadline, data={"csrf": token, "until": "20/12/2026", "reason": v}
            ),
            names=("lý do",),
            refuse=must_refuse_text(value, 4000),
        )
    many = {"csrf": token, **{f"f{i}": "x" for i in range(10_000)}}
    await probe(
        findings,
        "POST deadline 10,000 fields",
        "10,000 fields",
        lambda: client.post(deadline, data=many),
        names=("trường",),
        refuse=True,
    )
    findings.check()


async def test_evidence_uploads_of_the_officer(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, data_dir: Path
) -> None:
    findings = Findings()
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    token = csrf_of((await client.get("/web/o/")).text)
    json = {"Accept": "application/json"}
    for kind, content in BAD_FILE_CONTENTS.items():
        await probe(
            findings,
            "upload content",
            kind,
            lambda c=content: client.post(
                "/web/o/items/1.1.1/files",
                data={"csrf": token},
                files={"file": ("ke-hoach.pdf", c, "application/pdf")},
                headers=json,
            ),
            names=("tệp",),
            refuse=True,
            folders=(data_dir,),
        )
    r = await client.post(
        "/web/o/items/1.1.1/files",
        data={"csrf": token},
        files={"file": ("ke-hoach.pdf", b"", "application/pdf")},
        headers=json,
    )
    if "rỗng (0 byte)" not in r.json().get("error", ""):  # not "this type is not accepted"
        findings.add("upload content", "empty", f"not told it is empty: {r.text[:200]}")
    for value in BAD_TEXTS:
        await probe(
            findings,
            "upload page_ref",
            value,
            lambda v=value: client.post(
                "/web/o/items/1.1.1/files",
                data={"csrf": token, "page_ref": v},
                files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
                headers=json,
            ),
            names=("trang",),
            refuse=must_refuse_text(value, 255),
            folders=(data_dir,),
        )
    findings.check()
