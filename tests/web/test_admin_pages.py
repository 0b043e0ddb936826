"""The secretariat's pages over the services (in-process, httpx): accounts, appraiser
assignments by field and by unit, the survey import with its preview, an administrator's
correction of an answer with its reason, and the audit trail with filters and exports. Every
refusal is a Vietnamese sentence that names the field, and changes nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from io import BytesIO

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from core.models import ApiToken, AuditEvent, BackofficeUser
from forms.answers import NotAllowedError, record_answer
from forms.models import Answer
from scoring import appraisal
from scoring.models import SurveyScore
from scoring.survey_workbook import SHEET
from tests.api.world import NOW, PASSWORD, World
from tests.web.conftest import csrf_of, sign_in_staff


async def _signed_in(client: httpx.AsyncClient, username: str, page: str) -> str:
    assert (await sign_in_staff(client, username)).status_code == 303
    r = await client.get(page)
    assert r.status_code == 200, r.text
    return csrf_of(r.text)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- accounts ---------------------------------------------------------------------------------


async def test_accounts_create_disable_reset_and_revoke(
    client: httpx.AsyncClient, world: World, web_app: FastAPI
) -> None:
    token = await _signed_in(client, "admin", "/web/accounts")
    page = (await client.get("/web/accounts")).text
    assert "Tài khoản" in page and "td1" in page

    # a weak password is refused with the field named; nothing is created
    r = await client.post(
        "/web/accounts",
        data={"csrf": token, "username": "td3", "password": "ngan", "role": "appraiser"},
    )
    assert r.status_code == 422
    assert "Mật khẩu phải có ít nhất 10 ký tự" in r.text
    assert 'value="td3"' in r.text  # what was typed stays
    assert not await BackofficeUser.exists(username="td3")

    r = await client.post(
        "/web/accounts",
        data={
            "csrf": token,
            "username": "td3",
            "password": "mat-khau-moi-123",
            "role": "appraiser",
            "full_name": "Thẩm định viên 3",
        },
    )
    assert r.status_code == 303
    td3 = await BackofficeUser.get(username="td3")
    assert td3.role == "appraiser"
    assert "Đã tạo tài khoản" in (await client.get(r.headers["location"])).text

    # disabling ends the account's tokens: the API refuses td1's token afterwards
    td1 = world.users["td1"]
    api = {"Authorization": f"Bearer {world.tokens['td1']}"}
    assert (await client.get("/api/v1/me", headers=api)).status_code == 200
    r = await client.post(f"/web/accounts/{td1.id}/active", data={"csrf": token, "active": "0"})
    assert r.status_code == 303
    assert not (await BackofficeUser.get(id=td1.id)).active
    assert (await client.get("/api/v1/me", headers=api)).status_code == 401
    r = await client.post(f"/web/accounts/{td1.id}/active", data={"csrf": token, "active": "1"})
    assert (await BackofficeUser.get(id=td1.id)).active

    # the administrator cannot disable themself
    me = world.users["admin"]
    r = await client.post(f"/web/accounts/{me.id}/active", data={"csrf": token, "active": "0"})
    assert r.status_code == 409 and "quyền quản trị" in r.text

    # the role of another account changes; an unknown role is refused
    r = await client.post(f"/web/accounts/{td3.id}/role", data={"csrf": token, "role": "viewer"})
    assert r.status_code == 303 and (await BackofficeUser.get(id=td3.id)).role == "viewer"
    r = await client.post(f"/web/accounts/{td3.id}/role", data={"csrf": token, "role": "boss"})
    assert r.status_code == 422 and (await BackofficeUser.get(id=td3.id)).role == "viewer"

    # a generated password is shown once and works; the old one no longer does
    r = await client.post(f"/web/accounts/{td3.id}/password", data={"csrf": token, "password": ""})
    assert r.status_code == 200
    shown = re.search(r"<code data-password>([^<]+)</code>", r.text)
    assert shown, r.text
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=web_app), base_url="http://test")
    async with other:
        login = await other.post(
            "/api/v1/auth/token", json={"username": "td3", "password": shown.group(1)}
        )
        assert login.status_code == 200
        stale = await other.post(
            "/api/v1/auth/token", json={"username": "td3", "password": "mat-khau-moi-123"}
        )
        assert stale.status_code == 401

    # ending every session and token of td2
    td2 = world.users["td2"]
    r = await client.post(f"/web/accounts/{td2.id}/revoke", data={"csrf": token})
    assert r.status_code == 303
    assert not await ApiToken.filter(user_id=td2.id, revoked_at=None).exists()
    event = await AuditEvent.filter(action="token.revoke_all").first()
    assert event is not None and event.entity_id == str(td2.id)

    # a form without the CSRF token changes nothing
    r = await client.post(f"/web/accounts/{td1.id}/active", data={"active": "0"})
    assert r.status_code == 403 and (await BackofficeUser.get(id=td1.id)).active


async def test_accounts_are_for_administrators_only(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await _signed_in(client, "td1", "/web/progress")
    r = await client.get("/web/accounts")
    assert r.status_code == 403 and "Chỉ quản trị viên" in r.text
    r = await client.post(
        "/web/accounts",
        data={"csrf": token, "username": "hacker", "password": "x" * 12, "role": "admin"},
    )
    assert r.status_code == 403
    assert not await BackofficeUser.exists(username="hacker")
    for path in ("/web/audit", "/web/survey"):
        assert (await client.get(path)).status_code == 403


# --- assignments --------------------------------------------------------------------------------


async def test_assignments_by_field_and_by_unit(client: httpx.AsyncClient, world: World) -> None:
    token = await _signed_in(client, "admin", "/web/assignments")
    set_id = world.sheets["SNV"].criteria_set_id  # type: ignore[attr-defined]
    page = _text((await client.get("/web/assignments")).text)
    assert "Thẩm định viên 1" in page and "mọi đơn vị của bộ chỉ số" in page

    snv = world.sheets["SNV"]
    stp = world.sheets["STP"]
    td2, viewer = world.users["td2"], world.users["viewer"]
    for sheet in (snv, stp):
        await record_answer(
            world.officers["lan" if sheet is snv else "khac"],
            sheet.id,
            "1.1.1",
            text="1",
            expected_version=0,
            now=NOW,
        )

    # a viewer is not an appraiser: refused, nothing saved
    r = await client.post(
        "/web/assignments",
        data={"csrf": token, "set": set_id, "user": viewer.id, "node": "1", "unit": ""},
    )
    assert r.status_code == 422 and "Chỉ phân công thành viên tổ thẩm định" in r.text

    # field 1 of SNV only, for td2 (who has fields 2, C and T everywhere)
    r = await client.post(
        "/web/assignments",
        data={
            "csrf": token,
            "set": set_id,
            "user": td2.id,
            "node": "1",
            "unit": snv.unit_id,  # type: ignore[attr-defined]
        },
    )
    assert r.status_code == 303, r.text
    page = _text((await client.get(r.headers["location"])).text)
    assert "Đã lưu phân công" in page and "Sở Nội vụ" in page
    # the same again is refused with a sentence
    r = await client.post(
        "/web/assignments",
        data={"csrf": token, "set": set_id, "user": td2.id, "node": "1", "unit": snv.unit_id},  # type: ignore[attr-defined]
    )
    assert r.status_code == 422 and "đã được phân công" in r.text

    # td2 now decides 1.1.1 in SNV, and still not in STP
    actor = world.actor("td2")
    _total, views = await appraisal.item_views(actor, period_id=world.period.id, under="1")
    assert {v.unit_code for v in views} == {"SNV"}
    with pytest.raises(NotAllowedError):
        await appraisal.accept(actor, stp.id, "1.1.1", expected_version=0, now=NOW)
    # neither a field nor a unit: refused
    r = await client.post("/web/assignments", data={"csrf": token, "set": set_id, "user": td2.id})
    assert r.status_code == 422 and "Hãy chọn lĩnh vực hoặc tiêu chí" in r.text

    # remove it again
    from scoring.models import AppraiserUnitAssignment

    row = await AppraiserUnitAssignment.get(user_id=td2.id)
    r = await client.post(
        f"/web/assignments/{row.id}/remove", data={"csrf": token, "set": set_id, "kind": "unit"}
    )
    assert r.status_code == 303
    assert not await AppraiserUnitAssignment.exists(id=row.id)

    # a viewer reads the page but has no form and cannot post
    await client.post("/web/logout", data={"csrf": token})
    token = await _signed_in(client, "viewer", "/web/assignments")
    page = (await client.get("/web/assignments")).text
    assert 'method="post" action="/web/assignments"' not in page
    r = await client.post(
        "/web/assignments",
        data={"csrf": token, "set": set_id, "user": td2.id, "node": "1", "unit": ""},
    )
    assert r.status_code == 403 and "Chỉ quản trị viên" in r.text


# --- survey import ---------------------------------------------------------------------------


def _survey(data: bytes, values: dict[tuple[int, int], object]) -> bytes:
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET]
    for (row, col), value in values.items():
        ws.cell(row, col).value = value
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_survey_preview_then_import_all_or_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await _signed_in(client, "admin", "/web/survey")
    template = await client.get(f"/web/survey/template.xlsx?period={world.period.id}")
    assert template.status_code == 200
    # not a workbook at all: one sentence, nothing stored
    r = await client.post(
        f"/web/survey/preview?period={world.period.id}",
        data={"csrf": token},
        files={"file": ("dtxhh.xlsx", b"not a workbook")},
    )
    assert r.status_code == 422 and 'class="problems"' in r.text
    # row 3 (STP) has a score over the maximum: the preview names it, nothing is stored
    bad = _survey(template.content, {(2, 3): "1,5", (3, 3): 9})
    r = await client.post(
        f"/web/survey/preview?period={world.period.id}",
        data={"csrf": token},
        files={"file": ("dtxhh.xlsx", bad)},
    )
    assert r.status_code == 422
    text = _text(r.text)
    assert "có 1 lỗi nên không nhập dữ liệu nào" in text
    assert "dòng 3" in text and "phải từ 0 đến" in text
    assert 'data-row="2"' in r.text and 'data-row="4"' in r.text  # every row is shown
    assert "Nhập các điểm này" not in text
    assert await SurveyScore.all().count() == 0

    good = _survey(template.content, {(2, 3): "1,5", (3, 3): 2})
    r = await client.post(
        f"/web/survey/preview?period={world.period.id}",
        data={"csrf": token},
        files={"file": ("dtxhh.xlsx", good)},
    )
    assert r.status_code == 200, r.text
    assert await SurveyScore.all().count() == 0  # the preview stores nothing
    rows = re.search(r'name="rows" value="([^"]+)"', r.text)
    assert rows
    posted = json.loads(rows.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    r = await client.post(
        "/web/survey/import",
        data={"csrf": token, "period": world.period.id, "rows": json.dumps(posted), "source": "a"},
    )
    assert r.status_code == 200, r.text
    assert "2 đơn vị thay đổi" in _text(r.text)
    assert {s.score for s in await SurveyScore.all()} == {Decimal("1.5"), Decimal(2)}

    # rows tampered with between the steps are checked again: refused, nothing changed
    posted[1][1][2] = "7"
    r = await client.post(
        "/web/survey/import",
        data={"csrf": token, "period": world.period.id, "rows": json.dumps(posted)},
    )
    assert r.status_code == 422 and "dòng 2" in _text(r.text)
    assert {s.score for s in await SurveyScore.all()} == {Decimal("1.5"), Decimal(2)}
    r = await client.post(
        "/web/survey/import", data={"csrf": token, "period": world.period.id, "rows": "{"}
    )
    assert r.status_code == 422 and "Bản xem trước đã hết hạn" in r.text


# --- correcting an answer -------------------------------------------------------------------


async def test_admin_corrects_an_answer_with_a_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    sheet = world.sheets["SNV"]
    await record_answer(
        world.officers["lan"], sheet.id, "1.1.3", text="95%", expected_version=0, now=NOW
    )
    answer = await Answer.get(assessment_id=sheet.id, node__code="1.1.3")
    url = f"/web/answers/{answer.id}/correct"
    token = await _signed_in(client, "admin", url)
    page = _text((await client.get(url)).text)
    assert "Sở Nội vụ" in page and "95%" in page

    # without a reason: refused, the typed value kept, nothing changed
    r = await client.post(url, data={"csrf": token, "version": "1", "value": "60", "reason": " "})
    assert r.status_code == 422
    assert "Lý do điều chỉnh" in r.text and 'value="60"' in r.text
    assert (await Answer.get(id=answer.id)).self_score == Decimal(2)

    r = await client.post(
        url,
        data={
            "csrf": token,
            "version": "1",
            "value": "60",
            "note": "",
            "reason": "Số liệu theo báo cáo tổng kết là 60%",
        },
    )
    assert r.status_code == 303, r.text
    stored = await Answer.get(id=answer.id)
    assert stored.self_score == Decimal(0) and stored.version == 2
    event = await AuditEvent.get(action="answer.correct", entity_id=str(answer.id))
    assert event.reason == "Số liệu theo báo cáo tổng kết là 60%"
    assert event.old_value["self_score"] == "2" or Decimal(event.old_value["self_score"]) == 2
    page = _text((await client.get(r.headers["location"])).text)
    assert "Đã lưu điều chỉnh" in page and "Số liệu theo báo cáo tổng kết là 60%" in page

    # a stale page (version 1 again) is refused with what is stored now
    r = await client.post(
        url, data={"csrf": token, "version": "1", "value": "95", "reason": "lần nữa"}
    )
    assert r.status_code == 409 and (await Answer.get(id=answer.id)).version == 2

    # an appraiser may not correct self-assessments
    await client.post("/web/logout", data={"csrf": token})
    token = await _signed_in(client, "td1", "/web/progress")
    r = await client.post(url, data={"csrf": token, "version": "2", "value": "95", "reason": "x"})
    assert r.status_code == 403 and (await Answer.get(id=answer.id)).version == 2


# --- audit trail ---------------------------------------------------------------------------------


async def test_audit_trail_filters_and_exports(client: httpx.AsyncClient, world: World) -> None:
    for unit, officer in (("SNV", "lan"), ("STP", "khac")):
        for code in ("1.1.1", "1.1.2"):
            await record_answer(
                world.officers[officer],
                world.sheets[unit].id,
                code,
                text="1" if code == "1.1.1" else "có",
                expected_version=0,
                now=NOW,
            )
    await _signed_in(client, "admin", "/web/audit")
    snv_unit = world.sheets["SNV"].unit_id  # type: ignore[attr-defined]
    r = await client.get(f"/web/audit?item=1.1.2&unit={snv_unit}&action=answer.record")
    assert r.status_code == 200
    assert "1 sự kiện" in _text(r.text) and r.text.count('data-action="answer.record"') == 1
    r = await client.get("/web/audit?item=1.1.2&action=answer.record")
    assert "2 sự kiện" in _text(r.text)
    lan = world.officers["lan"].id
    r = await client.get(f"/web/audit?who=officer:{lan}&channel=bot")
    assert "2 sự kiện" in _text(r.text)

    # a bad date is refused with the field named
    r = await client.get("/web/audit?since=32/13/2026")
    assert r.status_code == 422 and "Từ ngày" in r.text
    r = await client.get("/web/audit?since=20/11/2026&until=19/11/2026")
    assert r.status_code == 422 and "Đến ngày" in r.text

    r = await client.get("/web/audit/export?item=1.1.2&action=answer.record&format=csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][1] == "Thời gian" and len(rows) == 3
    r = await client.get(f"/web/audit/export?unit={snv_unit}&format=xlsx")
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    assert ws.max_row == 1 + await AuditEvent.filter(unit_id=snv_unit).count()
    assert PASSWORD not in r.text
