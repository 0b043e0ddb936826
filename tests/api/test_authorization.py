"""Who may call what: every endpoint against every role (administrator, appraiser of the field,
appraiser of another field, viewer, nobody), and an officer of another unit against the
services the API calls (officers have no back-office account, so the API itself refuses them
with 401 like anyone without a token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from core.auth import AccessDenied
from core.files import FileStore
from core.models import AuditEvent
from core.notify import RecordingNotifier
from forms.answers import NotAllowedError
from forms.models import Evidence, ExtensionRequest
from scoring import appraisal, results, survey
from scoring.explanations import answer_explanation
from scoring.models import Review
from tests.api.world import NOW, World, fill_and_submit
from tests.factories import workbook_bytes
from tests.scoring.test_survey import _filled

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLES = ("anonymous", "viewer", "td2", "td1", "admin")  # the order the calls are made in

Request = tuple[str, str, dict[str, Any]]


@dataclass
class Case:
    name: str
    make: Callable[[World, str], Awaitable[Request] | Request]
    allowed: dict[str, int]  # role -> expected success status
    denied: int = 403  # status for the other signed-in roles
    prepare: Callable[[World, FileStore], Awaitable[None]] | None = None


def everyone(status: int = 200) -> dict[str, int]:
    return {r: status for r in ROLES if r != "anonymous"}


def admin_only(status: int = 200) -> dict[str, int]:
    return {"admin": status}


def _sheet(w: World, unit: str = "SNV") -> int:
    return w.sheets[unit].id


async def _with_unit_assignment(w: World, store: FileStore) -> None:
    from scoring.assignments import assign_unit

    sheet = w.sheets["SNV"]
    await assign_unit(
        w.actor("admin"),
        w.users["td2"].id,
        sheet.criteria_set_id,  # type: ignore[attr-defined]
        sheet.unit_id,  # type: ignore[attr-defined]
        "1",
    )


async def _submitted(w: World, store: FileStore) -> None:
    await fill_and_submit(w, "SNV", "lan", store=store)


async def _with_request(w: World, store: FileStore) -> None:
    await ExtensionRequest.create(
        assessment=w.sheets["SYT"],
        reason="Thiếu cán bộ",
        requested_until=NOW + timedelta(days=9),
        requested_by_id=w.officers["yte"].id,
    )


async def _explained(w: World, store: FileStore) -> None:
    await _submitted(w, store)
    await appraisal.request_explanation(
        w.actor("admin"),
        _sheet(w),
        "1.1.1",
        comment="?",
        due_at=NOW + timedelta(hours=1),
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    review = await Review.get(round_no=1)
    await answer_explanation(w.officers["lan"], review.id, text="Đã có.", now=NOW)


PERIOD_BODY = {
    "code": "P2027",
    "name": "Đợt 2027",
    "year": 2027,
    "self_assessment_opens_at": "2027-10-01T00:00:00+07:00",
    "self_assessment_closes_at": "2027-12-01T17:00:00+07:00",
    "groups": [{"group_code": "SO", "criteria_set_code": "TEST-1"}],
}
ITEM_FOR = {"td1": "1.1.2", "admin": "1.1.3", "td2": "1.1.5", "viewer": "1.1.2"}

CASES = [
    Case("me", lambda w, r: ("GET", "/me", {}), everyone()),
    Case("my tokens", lambda w, r: ("GET", "/me/tokens", {}), everyone()),
    Case("list users", lambda w, r: ("GET", "/users", {}), admin_only()),
    Case(
        "create user",
        lambda w, r: (
            "POST",
            "/users",
            {"json": {"username": f"moi-{r}", "password": "x" * 12, "role": "viewer"}},
        ),
        admin_only(201),
    ),
    Case(
        "read another user",
        lambda w, r: ("GET", f"/users/{w.users['td2'].id}", {}),
        {"admin": 200, "td2": 200},
        denied=404,
    ),
    Case(  # others' accounts are invisible (404); the viewer cannot promote themself (403)
        "change a role",
        lambda w, r: ("PATCH", f"/users/{w.users['viewer'].id}", {"json": {"role": "appraiser"}}),
        {"admin": 200, "viewer": 403},
        denied=404,
    ),
    Case(
        "another user's tokens",
        lambda w, r: ("GET", f"/users/{w.users['td2'].id}/tokens", {}),
        {"admin": 200, "td2": 200},
    ),
    Case("list periods", lambda w, r: ("GET", "/periods", {}), everyone()),
    Case("read a period", lambda w, r: ("GET", f"/periods/{w.period.id}", {}), everyone()),
    Case(
        "create a period", lambda w, r: ("POST", "/periods", {"json": PERIOD_BODY}), admin_only(201)
    ),
    Case(
        "change deadlines",
        lambda w, r: (
            "PATCH",
            f"/periods/{w.period.id}",
            {"json": {"explanation_due_at": "2026-12-20T17:00:00+07:00"}},
        ),
        admin_only(),
    ),
    Case(
        "set bands",
        lambda w, r: (
            "PUT",
            f"/periods/{w.period.id}/groups/{w.group.id}/bands",  # type: ignore[union-attr]
            {
                "json": {
                    "bands": [
                        {"label": "Đạt", "min_index": "50"},
                        {"label": "Chưa đạt", "min_index": 0},
                    ]
                }
            },
        ),
        admin_only(),
    ),
    Case(
        "publish",
        lambda w, r: (
            "POST",
            f"/periods/{w.period.id}/publish",
            {"json": {"force": True, "reason": "thử"}},
        ),
        admin_only(),
    ),
    Case("results", lambda w, r: ("GET", f"/periods/{w.period.id}/results", {}), everyone()),
    Case(
        "survey scores",
        lambda w, r: ("GET", f"/periods/{w.period.id}/survey-scores", {}),
        everyone(),
    ),
    Case(
        "survey template",
        lambda w, r: ("GET", f"/periods/{w.period.id}/survey-template.xlsx", {}),
        admin_only(),
    ),
    Case("unit groups", lambda w, r: ("GET", "/unit-groups", {}), everyone()),
    Case("units", lambda w, r: ("GET", "/units", {}), everyone()),
    Case("a unit", lambda w, r: ("GET", f"/units/{w.sheets['SNV'].unit_id}", {}), everyone()),  # type: ignore[attr-defined]
    Case(
        "save a unit",
        lambda w, r: (
            "POST",
            "/units",
            {
                "json": {
                    "group_code": "SO",
                    "group_name": "Khối sở",
                    "code": "SXD",
                    "name": "Sở Xây dựng",
                }
            },
        ),
        admin_only(),
    ),
    Case("units template", lambda w, r: ("GET", "/units-template.xlsx", {}), admin_only()),
    Case(
        "officers",
        lambda w, r: ("GET", "/officers", {}),
        {"admin": 200, "viewer": 200},
    ),
    Case(
        "an officer",
        lambda w, r: ("GET", f"/officers/{w.officers['lan'].id}", {}),
        {"admin": 200, "viewer": 200},
    ),
    Case(
        "save an officer",
        lambda w, r: (
            "POST",
            "/officers",
            {"json": {"unit_code": "SNV", "full_name": "Cán bộ mới"}},
        ),
        admin_only(),
    ),
    Case(
        "invite an officer",
        lambda w, r: ("POST", f"/officers/{w.officers['lan'].id}/invites", {"json": {}}),
        admin_only(201),
    ),
    Case("criteria sets", lambda w, r: ("GET", "/criteria-sets", {}), everyone()),
    Case(
        "a criteria set",
        lambda w, r: ("GET", f"/criteria-sets/{w.sheets['SNV'].criteria_set_id}", {}),  # type: ignore[attr-defined]
        everyone(),
    ),
    Case("criteria template", lambda w, r: ("GET", "/criteria-sets/template.xlsx", {}), everyone()),
    Case(
        "export a criteria set",
        lambda w, r: ("GET", f"/criteria-sets/{w.sheets['SNV'].criteria_set_id}/export.xlsx", {}),  # type: ignore[attr-defined]
        everyone(),
    ),
    Case(
        "import a criteria set",
        lambda w, r: (
            "POST",
            "/criteria-sets/import",
            {"files": {"file": ("b.xlsx", workbook_bytes(info={"code": "MOI"}), XLSX)}},
        ),
        admin_only(201),
    ),
    Case("assessments", lambda w, r: ("GET", "/assessments", {}), everyone()),
    Case("an assessment", lambda w, r: ("GET", f"/assessments/{_sheet(w)}", {}), everyone()),
    Case("sheet items", lambda w, r: ("GET", f"/assessments/{_sheet(w)}/items", {}), everyone()),
    Case(
        "worklist",
        lambda w, r: ("GET", "/appraisal/items", {"params": {"period_id": w.period.id}}),
        everyone(),
    ),
    Case(
        "correct an answer",
        lambda w, r: (
            "PUT",
            f"/assessments/{_sheet(w)}/answers/1.1.2",
            {"json": {"expected_version": 1, "text": "không", "reason": "Sửa theo hồ sơ"}},
        ),
        admin_only(),
        prepare=_submitted,
    ),
    Case(
        "accept",
        lambda w, r: (
            "POST",
            f"/assessments/{_sheet(w)}/items/{ITEM_FOR.get(r, '1.1.2')}/accept",
            {"json": {"expected_version": 0}},
        ),
        {"admin": 200, "td1": 200},
        prepare=_submitted,
    ),
    Case(
        "adjust",
        lambda w, r: (
            "POST",
            f"/assessments/{_sheet(w)}/items/{ITEM_FOR.get(r, '1.1.2')}/adjust",
            {"json": {"expected_version": 0, "score": "0", "comment": "Thiếu TLKC"}},
        ),
        {"admin": 200, "td1": 200},
        prepare=_submitted,
    ),
    Case(
        "request an explanation",
        lambda w, r: (
            "POST",
            f"/assessments/{_sheet(w)}/items/{ITEM_FOR.get(r, '1.1.2')}/explanation-request",
            {"json": {"expected_version": 0, "comment": "Giải trình?"}},
        ),
        {"admin": 200, "td1": 200},
        prepare=_submitted,
    ),
    Case(
        "round 2",
        lambda w, r: (
            "POST",
            f"/assessments/{_sheet(w)}/items/1.1.1/round2",
            {"json": {"expected_version": 1 if r == "admin" else 0, "score": "1", "comment": "Đủ"}},
        ),
        {"td1": 200, "admin": 200},
        prepare=_explained,
    ),
    Case(
        "unlock",
        lambda w, r: ("POST", f"/assessments/{_sheet(w)}/unlock", {"json": {"reason": "Bổ sung"}}),
        admin_only(),
        prepare=_submitted,
    ),
    Case(
        "unit deadline",
        lambda w, r: (
            "PUT",
            f"/assessments/{_sheet(w, 'SYT')}/deadline",
            {"json": {"until": "2026-12-01T17:00:00+07:00", "reason": "Ốm"}},
        ),
        admin_only(),
    ),
    Case(
        "reviews",
        lambda w, r: ("GET", "/reviews", {"params": {"period_id": w.period.id}}),
        everyone(),
    ),
    Case(
        "explanations",
        lambda w, r: ("GET", "/explanations", {"params": {"period_id": w.period.id}}),
        everyone(),
    ),
    Case(
        "extension requests",
        lambda w, r: ("GET", "/extension-requests", {}),
        {"admin": 200, "viewer": 200},
    ),
    Case(
        "decide an extension",
        lambda w, r: ("POST", "/extension-requests/1/decision", {"json": {"approve": True}}),
        admin_only(),
        prepare=_with_request,
    ),
    Case("assignments", lambda w, r: ("GET", "/assignments", {}), everyone()),
    Case(
        "assign",
        lambda w, r: (
            "POST",
            "/assignments",
            {
                "json": {
                    "user_id": w.users["td1"].id,
                    "criteria_set_id": w.sheets["SNV"].criteria_set_id,  # type: ignore[attr-defined]
                    "node_code": "2",
                }
            },
        ),
        admin_only(201),
    ),
    Case("unassign", lambda w, r: ("DELETE", "/assignments/1", {}), admin_only(204)),
    Case("unit assignments", lambda w, r: ("GET", "/unit-assignments", {}), everyone()),
    Case(
        "assign in one unit",
        lambda w, r: (
            "POST",
            "/unit-assignments",
            {
                "json": {
                    "user_id": w.users["td1"].id,
                    "criteria_set_id": w.sheets["SNV"].criteria_set_id,  # type: ignore[attr-defined]
                    "unit_id": w.sheets["SNV"].unit_id,  # type: ignore[attr-defined]
                    "node_code": "2",
                }
            },
        ),
        admin_only(201),
    ),
    Case(
        "unassign in one unit",
        lambda w, r: ("DELETE", "/unit-assignments/1", {}),
        admin_only(204),
        prepare=_with_unit_assignment,
    ),
    Case("audit events", lambda w, r: ("GET", "/audit-events", {}), admin_only()),
    Case("audit export", lambda w, r: ("GET", "/audit-events/export", {}), admin_only()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_each_role_against_each_endpoint(
    case: Case, client: httpx.AsyncClient, world: World, store: FileStore
) -> None:
    if case.prepare is not None:
        await case.prepare(world, store)
    seen: dict[str, int] = {}
    for role in ROLES:
        made = case.make(world, role)
        method, url, kwargs = await made if isinstance(made, Awaitable) else made  # type: ignore[misc]
        headers = {} if role == "anonymous" else world.headers(role)
        r = await client.request(method, url, headers=headers, **kwargs)
        seen[role] = r.status_code
        if r.status_code >= 400:
            body = r.json()
            assert set(body) == {"detail", "code", "problems"} and body["detail"], body
    expected = {
        role: (401 if role == "anonymous" else case.allowed.get(role, case.denied))
        for role in ROLES
    }
    assert seen == expected


async def test_uploads_and_evidence_by_role(
    client: httpx.AsyncClient, world: World, store: FileStore
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)
    ev = await Evidence.get(answer__node__code="1.1.1")
    seen = {}
    for role in ROLES:
        headers = {} if role == "anonymous" else world.headers(role)
        seen[role] = (await client.get(f"/evidence/{ev.id}/download", headers=headers)).status_code
    # td2 appraises other fields: the file of item 1.1.1 is not theirs to see
    assert seen == {"anonymous": 401, "viewer": 200, "td2": 403, "td1": 200, "admin": 200}
    template = (
        await client.get(
            f"/periods/{world.period.id}/survey-template.xlsx", headers=world.headers("admin")
        )
    ).content
    data = _filled(template, {(2, 3): 1})
    units = (await client.get("/units-template.xlsx", headers=world.headers("admin"))).content
    for role in ROLES:
        headers = {} if role == "anonymous" else world.headers(role)
        r1 = await client.post(
            f"/periods/{world.period.id}/survey-scores/import",
            headers=headers,
            files={"file": ("s.xlsx", data, XLSX)},
        )
        r2 = await client.post(
            "/units/import", headers=headers, files={"file": ("u.xlsx", units, XLSX)}
        )
        expected = 401 if role == "anonymous" else (200 if role == "admin" else 403)
        assert (r1.status_code, r2.status_code) == (expected, expected), (role, r1.text, r2.text)
    assert load_workbook(BytesIO(units))  # a real workbook


async def test_an_officer_of_another_unit_is_refused_by_every_service(world: World) -> None:
    await fill_and_submit(world, "SNV", "lan")
    other = world.officers["khac"]  # Sở Tư pháp
    own = world.officers["lan"]  # Sở Nội vụ
    snv = world.sheets["SNV"].id
    evidence = await Evidence.filter(answer__assessment_id=snv).first()
    assert evidence is not None
    with pytest.raises(NotAllowedError):
        await appraisal.visible_assessment(other, snv)
    with pytest.raises(NotAllowedError):
        await appraisal.item_views(other, assessment_id=snv)
    with pytest.raises(NotAllowedError):
        await appraisal.evidence_for_download(other, evidence.id)
    for action in (
        appraisal.accept(other, snv, "1.1.1", expected_version=0, now=NOW),
        appraisal.adjust(other, snv, "1.1.1", score="0", comment="x", expected_version=0, now=NOW),
        appraisal.round2(other, snv, "1.1.1", score="0", comment="x", expected_version=0, now=NOW),
    ):
        with pytest.raises(NotAllowedError):
            await action
    for call in (
        results.results(other, world.period.id),
        results.publish(other, world.period.id, now=NOW),
        survey.list_scores(other, world.period.id),
        survey.template(other, world.period.id),
        appraisal.unlock(other, snv, reason="x", now=NOW),
    ):
        with pytest.raises(AccessDenied):
            await call
    # the unit's own officer sees its sheet and files, but never appraises
    assert (await appraisal.visible_assessment(own, snv)).id == snv
    assert (await appraisal.evidence_for_download(own, evidence.id)).id == evidence.id
    with pytest.raises(NotAllowedError):
        await appraisal.accept(own, snv, "1.1.1", expected_version=0, now=NOW)
    assert await AuditEvent.filter(entity="review").count() == 0
