"""A small province for the back-office tests: one group of three units with their officers,
an administrator, two appraisers with different fields, a viewer, and an open period using the
test criteria set (tests/factories.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.audit import Actor
from core.auth import hash_token
from core.files import FileStore
from core.models import (
    ApiToken,
    BackofficeUser,
    Channel,
    Officer,
    OfficerRole,
    Unit,
    UnitGroup,
    UserRole,
)
from core.users import hash_password
from forms.answers import record_answer
from forms.criteria import import_draft
from forms.criteria_workbook import read_workbook
from forms.models import Answer, Assessment, Evidence, Period
from forms.periods import GroupPlan, create_period
from forms.submission import submit
from scoring.assignments import assign
from tests.factories import workbook_bytes

SYSTEM = Actor.system(Channel.cli, "test")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
PASSWORD = "mat-khau-thu-nghiem"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run

# A complete, valid self-assessment of the test set (see tests/forms/test_submission.py):
# 1.1.1 = 1, 1.1.2 = 1, 1.1.3 = 2, 1.1.4 not applicable, 1.1.5 = 0,25, 1.2.1 = 1,5,
# 2.1.1 = 1, C.1 = 1, T.1 = 0.
ANSWERS = {
    "1.1.1": "1",
    "1.1.2": "có",
    "1.1.3": "95%",
    "1.1.4": "không áp dụng",
    "1.1.5": "0,25",
    "1.2.1": "3",
    "2.1.1": "không vi phạm",
    "C.1": "1",
    "T.1": "0",
}
REQUIRED_EVIDENCE = ("1.1.1", "1.1.3", "C.1")
FIELD_1_ITEMS = ("1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.2.1")
OTHER_ITEMS = ("2.1.1", "C.1", "T.1")


@dataclass
class World:
    period: Period
    sheets: dict[str, Assessment]  # by unit code
    officers: dict[str, Actor]  # lan, hung (SNV focal), boss (SNV leader), khac (STP), yte (SYT)
    users: dict[str, BackofficeUser]  # admin, td1 (field 1), td2 (fields 2, C, T), viewer
    tokens: dict[str, str] = field(default_factory=dict)
    group: UnitGroup | None = None

    def actor(self, name: str, channel: Channel = Channel.api) -> Actor:
        user = self.users[name]
        return Actor("user", user.id, user.full_name or user.username, channel)

    def headers(self, name: str, locale: str = "vi") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}", "Accept-Language": locale}


async def build_world(now: datetime = NOW) -> World:
    await import_draft(SYSTEM, read_workbook(workbook_bytes()))
    group = await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    units = {
        code: await Unit.create(code=code, name=name, group=group, sort_order=i)
        for i, (code, name) in enumerate(
            [("SNV", "Sở Nội vụ"), ("STP", "Sở Tư pháp"), ("SYT", "Sở Y tế")], start=1
        )
    }
    people = {
        "lan": ("SNV", "Nguyễn Thị Lan", OfficerRole.focal),
        "hung": ("SNV", "Trần Văn Hùng", OfficerRole.focal),
        "boss": ("SNV", "Phạm Quang Minh", OfficerRole.leader),
        "khac": ("STP", "Lê Văn Khác", OfficerRole.focal),
        "yte": ("SYT", "Đỗ Thị Y", OfficerRole.focal),
    }
    officers = {}
    for key, (unit, name, role) in people.items():
        o = await Officer.create(unit=units[unit], full_name=name, role=role)
        officers[key] = Actor("officer", o.id, o.full_name, Channel.bot)
    users = {
        name: await BackofficeUser.create(
            username=name, full_name=full, role=role, password_hash=_PASSWORD_HASH
        )
        for name, full, role in [
            ("admin", "Quản trị SNV", UserRole.admin),
            ("td1", "Thẩm định viên 1", UserRole.appraiser),
            ("td2", "Thẩm định viên 2", UserRole.appraiser),
            ("viewer", "Người xem", UserRole.viewer),
        ]
    }
    period = await create_period(
        SYSTEM,
        code="P2026",
        name="Đợt 2026",
        year=2026,
        opens_at=now - timedelta(days=5),
        closes_at=now + timedelta(days=5),
        explanation_due_at=now + timedelta(days=20),
        groups=[GroupPlan("SO", "TEST-1")],
    )
    sheets = {
        a.unit.code: a
        for a in await Assessment.filter(period=period).prefetch_related("unit", "period")
    }
    set_id = sheets["SNV"].criteria_set_id  # type: ignore[attr-defined]
    await assign(SYSTEM, users["td1"].id, set_id, "1")
    for code in ("2", "C", "T"):
        await assign(SYSTEM, users["td2"].id, set_id, code)
    world = World(period, sheets, officers, users, group=group)
    for name, user in users.items():
        token = f"test-token-{name}"
        await ApiToken.create(
            user=user, kind="api", token_hash=hash_token(token), expires_at=now + timedelta(days=60)
        )
        world.tokens[name] = token
    return world


async def fill_and_submit(
    world: World,
    unit: str,
    officer: str,
    *,
    now: datetime = NOW,
    store: FileStore | None = None,
    sheet: Assessment | None = None,
    answers: dict[str, str] | None = None,
) -> Assessment:
    """Answer every item, attach the required evidence, submit (the unit's sheet of the world's
    period unless another ``sheet`` is given)."""
    sheet = sheet or world.sheets[unit]
    actor = world.officers[officer]
    for code, text in (answers or ANSWERS).items():
        await record_answer(actor, sheet.id, code, text=text, expected_version=0, now=now)
    for code in REQUIRED_EVIDENCE:
        data = f"Tài liệu {code} của {unit}".encode()
        await attach(world, unit, code, data, store=store, sheet=sheet)
    return await submit(actor, sheet.id, now=now)


async def attach(
    world: World,
    unit: str,
    code: str,
    data: bytes,
    *,
    store: FileStore | None = None,
    sheet: Assessment | None = None,
) -> Evidence:
    sheet = sheet or world.sheets[unit]
    answer = await Answer.get(assessment_id=sheet.id, node__code=code)
    if store is not None:
        stored = await store.put(data)
        sha, size = stored.sha256, stored.size
    else:
        import hashlib

        sha, size = hashlib.sha256(data).hexdigest(), len(data)
    return await Evidence.create(
        answer=answer,
        sha256=sha,
        size=size,
        original_name=f"TLKC {code}.pdf",
        content_type="application/pdf",
        channel="bot",
    )
