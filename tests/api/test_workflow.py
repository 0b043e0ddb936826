"""The whole year through the API: set-up, self-assessment (bot side through its services),
appraisal with an explanation round, survey import, results, publication, audit trail."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from io import BytesIO

import httpx
from openpyxl import load_workbook

from core.audit import Actor
from core.files import FileStore
from core.models import BackofficeUser, Channel, Officer, UserRole
from core.notify import RecordingNotifier
from forms.answers import record_answer
from forms.models import Answer, Evidence
from forms.submission import submit
from scoring.explanations import answer_explanation
from scoring.models import Review
from scoring.survey_workbook import SHEET
from tests.api.conftest import Clock
from tests.api.world import _PASSWORD_HASH, ANSWERS, NOW, PASSWORD, REQUIRED_EVIDENCE
from tests.factories import workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bearer(token: str, locale: str = "vi") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": locale}


async def _login(client: httpx.AsyncClient, username: str) -> str:
    r = await client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"]["username"] == username
    return body["access_token"]


async def test_a_year_end_to_end(
    client: httpx.AsyncClient, db: str, clock: Clock, notifier: RecordingNotifier, store: FileStore
) -> None:
    await BackofficeUser.create(
        username="snv",
        full_name="Chuyên viên SNV",
        role=UserRole.admin,
        password_hash=_PASSWORD_HASH,
    )
    admin = _bearer(await _login(client, "snv"))

    # --- set-up by the secretariat ------------------------------------------------------------
    r = await client.post(
        "/criteria-sets/import",
        headers=admin,
        files={"file": ("bo-chi-so.xlsx", workbook_bytes(), XLSX)},
    )
    assert r.status_code == 201, r.text
    set_id = r.json()["id"]
    for code, name in (("SNV", "Sở Nội vụ"), ("STP", "Sở Tư pháp")):
        r = await client.post(
            "/units",
            headers=admin,
            json={
                "group_code": "SO",
                "group_name": "Khối sở",
                "group_kind": "department",
                "code": code,
                "name": name,
            },
        )
        assert r.status_code == 200, r.text
    officers = {}
    for unit, name in (("SNV", "Nguyễn Thị Lan"), ("STP", "Lê Văn Khác")):
        r = await client.post(
            "/officers",
            headers=admin,
            json={"unit_code": unit, "full_name": name, "phone": "0912345678"},
        )
        assert r.status_code == 200, r.text
        officers[unit] = r.json()
    r = await client.post(
        f"/officers/{officers['SNV']['id']}/invites", headers=admin, json={"days": 7}
    )
    assert r.status_code == 201 and len(r.json()["code"]) == 12
    r = await client.post(
        "/users",
        headers=admin,
        json={
            "username": "thamdinh",
            "password": PASSWORD,
            "role": "appraiser",
            "full_name": "Thẩm định",
        },
    )
    assert r.status_code == 201, r.text
    td_id = r.json()["id"]
    r = await client.post(
        "/assignments",
        headers=admin,
        json={"user_id": td_id, "criteria_set_id": set_id, "node_code": "1"},
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/periods",
        headers=admin,
        json={
            "code": "CCHC-2026",
            "name": "Chỉ số CCHC năm 2026",
            "year": 2026,
            "self_assessment_opens_at": (NOW - timedelta(days=5)).isoformat(),
            "self_assessment_closes_at": (NOW + timedelta(days=5)).isoformat(),
            "explanation_due_at": (NOW + timedelta(days=15)).isoformat(),
            "groups": [{"group_code": "SO", "criteria_set_code": "TEST-1"}],
        },
    )
    assert r.status_code == 201, r.text
    period_id = r.json()["id"]
    r = await client.get("/assessments", headers=admin, params={"period_id": period_id})
    sheets = {a["unit_code"]: a for a in r.json()["items"]}
    assert r.json()["total"] == 2 and sheets["SNV"]["status"] == "draft"
    assert sheets["SNV"]["progress"]["items"] == 9 and sheets["SNV"]["progress"]["answered"] == 0

    # --- self-assessment in the bot (the bot calls these same services) -----------------------
    for unit in ("SNV", "STP"):
        officer = await Officer.get(id=officers[unit]["id"])
        actor = Actor("officer", officer.id, officer.full_name, Channel.bot)
        for code, text in ANSWERS.items():
            await record_answer(
                actor, sheets[unit]["id"], code, text=text, expected_version=0, now=NOW
            )
        for code in REQUIRED_EVIDENCE:
            await _attach(sheets[unit]["id"], code, f"{unit} {code}".encode(), store)
        await submit(actor, sheets[unit]["id"], now=NOW)
    r = await client.get(f"/assessments/{sheets['SNV']['id']}", headers=admin)
    assert r.json()["status"] == "submitted" and r.json()["progress"]["answered"] == 9
    assert r.json()["progress"]["with_evidence"] == 3

    # --- appraisal ----------------------------------------------------------------------------
    td = _bearer(await _login(client, "thamdinh"))
    r = await client.get("/appraisal/items", headers=td, params={"period_id": period_id})
    work = r.json()
    assert work["total"] == 12 and {i["code"][:1] for i in work["items"]} == {"1"}
    item = next(i for i in work["items"] if i["unit_code"] == "SNV" and i["code"] == "1.1.1")
    assert item["declared_text"] == "Ban hành đúng hạn" and item["self_score"] == "1"
    r = await client.get(item["evidence"][0]["download_url"].removeprefix("/api/v1"), headers=td)
    assert r.status_code == 200 and r.content == b"SNV 1.1.1"
    snv = sheets["SNV"]["id"]
    r = await client.post(
        f"/assessments/{snv}/items/1.1.2/accept", headers=td, json={"expected_version": 0}
    )
    assert r.status_code == 200 and r.json()["round1"]["accepted"] is True
    r = await client.post(
        f"/assessments/{snv}/items/1.1.3/adjust",
        headers=td,
        json={"expected_version": 0, "score": "1,5", "comment": "Tỷ lệ thực hiện 85%"},
    )
    assert r.status_code == 200 and r.json()["appraised_score"] == "1.5"
    r = await client.post(
        f"/assessments/{snv}/items/1.1.1/explanation-request",
        headers=td,
        json={"expected_version": 0, "comment": "Kế hoạch ban hành ngày nào?", "score": 0},
    )
    assert r.status_code == 200, r.text
    review_id = r.json()["round1"]["id"]
    assert [(n.officer_id, n.kind) for n in notifier.notices] == [
        (officers["SNV"]["id"], "explanation_requested")
    ]
    r = await client.post(
        f"/assessments/{snv}/items/2.1.1/accept", headers=td, json={"expected_version": 0}
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await client.put(
        f"/assessments/{snv}/answers/1.1.2",
        headers=td,
        json={"expected_version": 1, "text": "không"},
    )
    assert r.status_code == 403
    r = await client.get(f"/assessments/{snv}", headers=admin)
    assert (
        r.json()["status"] == "explanation_requested"
        and r.json()["progress"]["explanations_pending"] == 1
    )

    officer = await Officer.get(id=officers["SNV"]["id"])
    clock.now = NOW + timedelta(hours=2)  # tokens last 12 hours
    await answer_explanation(
        Actor("officer", officer.id, officer.full_name, Channel.bot),
        review_id,
        text="Kế hoạch ban hành ngày 10/12, đúng hạn.",
        proposed_score="1",
        now=clock.now,
    )
    r = await client.get("/explanations", headers=td, params={"period_id": period_id})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 1 and r.json()["items"][0]["explanation"]["proposed_score"] == "1"
    r = await client.post(
        f"/assessments/{snv}/items/1.1.1/round2",
        headers=td,
        json={"expected_version": 0, "score": "1"},
    )
    assert r.status_code == 200 and r.json()["round2"]["appraised_score"] == "1"
    for unit in ("SNV", "STP"):
        r = await client.get(
            f"/assessments/{sheets[unit]['id']}/items", headers=admin, params={"pending_only": True}
        )
        for it in r.json()["items"]:
            if it["section"] == "survey":
                continue
            r2 = await client.post(
                f"/assessments/{sheets[unit]['id']}/items/{it['code']}/accept",
                headers=admin,
                json={"expected_version": 0},
            )
            assert r2.status_code == 200, r2.text
    r = await client.get(
        "/assessments", headers=admin, params={"period_id": period_id, "status": "appraised"}
    )
    assert r.json()["total"] == 2

    # --- survey scores ------------------------------------------------------------------------
    r = await client.get(f"/periods/{period_id}/survey-template.xlsx", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = load_workbook(BytesIO(r.content))
    wb[SHEET]["C2"] = "1,5"
    wb[SHEET]["C3"] = 2
    buf = BytesIO()
    wb.save(buf)
    r = await client.post(
        f"/periods/{period_id}/survey-scores/import",
        headers=admin,
        files={"file": ("dtxhh.xlsx", buf.getvalue(), XLSX)},
    )
    assert r.status_code == 200 and r.json()["created"] == 2, r.text

    # --- results and publication --------------------------------------------------------------
    r = await client.get(f"/periods/{period_id}/results", headers=td)
    table = r.json()[0]
    units = {u["unit_code"]: u for u in table["units"]}
    assert units["SNV"]["self"]["total"] == "9.25" and units["SNV"]["appraised"]["total"] == "8.75"
    assert [f["gap"] for f in units["SNV"]["fields"]] == ["-0.5", "0"]
    # STP: 6,75 + survey 2 + bonus 1 = 9,75 of 9,25 applicable (bonus may pass 100%)
    assert units["STP"]["appraised"]["index"] == "105.41" and units["STP"]["appraised"]["rank"] == 1
    assert units["SNV"]["self"]["index"] == "100" and units["SNV"]["self"]["rank"] == 2
    assert units["SNV"]["appraised"]["index"] == "94.59" and units["SNV"]["appraised"]["rank"] == 2
    assert units["SNV"]["appraised"]["band"] == "Tốt" and table["published"] is False
    r = await client.post(f"/periods/{period_id}/publish", headers=td, json={})
    assert r.status_code == 403
    r = await client.post(f"/periods/{period_id}/publish", headers=admin, json={})
    assert r.status_code == 200, r.text
    assert r.json()["period"]["status"] == "published" and r.json()["units"] == 2
    r = await client.post(
        f"/assessments/{snv}/items/1.1.3/adjust",
        headers=_bearer(td["Authorization"].split()[1], "en"),
        json={"expected_version": 2, "score": "2", "comment": "late change"},
    )
    assert r.status_code == 409 and r.json() == {
        "detail": "The results are published; nothing can be changed.",
        "code": "locked",
        "problems": [],
    }
    r = await client.get(f"/periods/{period_id}/results", headers=admin)
    assert r.json()[0]["published"] is True
    frozen = r.json()[0]["units"]
    assert [u["appraised"] for u in frozen] == [u["appraised"] for u in table["units"]]
    assert {u["status"] for u in frozen} == {"final"}

    # --- the audit trail ----------------------------------------------------------------------
    unit_id = sheets["SNV"]["unit_id"]
    r = await client.get("/audit-events", headers=admin, params={"unit_id": unit_id, "limit": 500})
    actions = {e["action"] for e in r.json()["items"]}
    assert {
        "answer.record",
        "assessment.submit",
        "review.accept",
        "review.adjust",
        "review.request_explanation",
        "explanation.submit",
        "review.round2",
        "survey.import",
        "assessment.status",
    } <= actions
    assert {e["channel"] for e in r.json()["items"] if e["action"] == "answer.record"} == {"bot"}
    r = await client.get(
        "/audit-events", headers=admin, params={"user_id": td_id, "action": "review."}
    )
    assert {e["actor_name"] for e in r.json()["items"]} == {"Thẩm định"} and r.json()["total"] == 4
    r = await client.get(
        "/audit-events/export", headers=admin, params={"unit_id": unit_id, "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "ID" and len(rows) > 10
    r = await client.get("/audit-events", headers=td)
    assert r.status_code == 403

    # --- signing out --------------------------------------------------------------------------
    r = await client.post("/auth/revoke", headers=td)
    assert r.status_code == 204
    r = await client.get("/me", headers=td)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert await Review.filter(round_no=2).count() == 1


async def _attach(assessment_id: int, code: str, data: bytes, store: FileStore) -> None:
    """What the bot does when an officer sends a file: store the bytes, record the evidence."""
    stored = await store.put(data)
    answer = await Answer.get(assessment_id=assessment_id, node__code=code)
    await Evidence.create(
        answer=answer,
        sha256=stored.sha256,
        size=stored.size,
        original_name=f"TLKC {code}.pdf",
        content_type="application/pdf",
        channel="bot",
    )
