"""A period with one unit, its officers and a score sheet, for the submission services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.audit import Actor
from core.models import Channel, Officer, OfficerRole, Unit, UnitGroup
from forms.criteria import import_draft
from forms.criteria_workbook import read_workbook
from forms.models import Assessment
from forms.periods import GroupPlan, create_period
from tests.factories import workbook_bytes

SYSTEM = Actor.system(Channel.cli, "test")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
async def sheet(db: str) -> dict[str, object]:
    """One unit of one group with a focal officer, in an open period using the test set."""
    await import_draft(SYSTEM, read_workbook(workbook_bytes()))
    group = await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    snv = await Unit.create(code="SNV", name="Sở Nội vụ", group=group)
    stp = await Unit.create(code="STP", name="Sở Tư pháp", group=group)
    lan = await Officer.create(unit=snv, full_name="Nguyễn Thị Lan")
    hung = await Officer.create(unit=snv, full_name="Trần Văn Hùng")
    boss = await Officer.create(unit=snv, full_name="Phạm Quang Minh", role=OfficerRole.leader)
    other = await Officer.create(unit=stp, full_name="Lê Văn Khác")
    await create_period(
        SYSTEM,
        code="P2026",
        name="Đợt 2026",
        year=2026,
        opens_at=NOW - timedelta(days=5),
        closes_at=NOW + timedelta(days=5),
        groups=[GroupPlan("SO", "TEST-1")],
    )
    assessment = await Assessment.get(unit=snv)
    return {
        "assessment": assessment,
        "lan": Actor("officer", lan.id, lan.full_name, Channel.bot),
        "hung": Actor("officer", hung.id, hung.full_name, Channel.web),
        "other": Actor("officer", other.id, other.full_name, Channel.bot),
        "leader": Actor("officer", boss.id, boss.full_name, Channel.bot),
    }
