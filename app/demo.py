"""Demo data for a first look and for training: sample criteria sets, units, a live period.

Everything here is clearly marked as sample data. It is loaded only into an empty database so
it can never mix with a province's real data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.demo_year import play_year
from core.audit import Actor
from core.files import FileStore
from core.models import Channel, OfficerRole, Unit, UnitKind, UserRole
from core.units import import_units
from core.units_workbook import OfficerRow, UnitRow
from core.users import add_user
from forms.criteria import import_draft
from forms.criteria_rows import NodeRow, build_criteria
from forms.models import CriteriaSet
from forms.periods import GroupPlan, create_period

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_PASSWORD = "cchc-demo-2026"
DEMO_USERS = [
    ("admin", UserRole.admin, "Quản trị Sở Nội vụ (mẫu)"),
    ("thamdinh", UserRole.appraiser, "Thành viên Tổ thẩm định (mẫu)"),
    ("xem", UserRole.viewer, "Người xem (mẫu)"),
]


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    criteria_sets: int = 0
    units: int = 0
    officers: int = 0
    assessments: int = 0


def _read(name: str) -> dict[str, Any]:
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


async def database_is_empty() -> bool:
    return not (await Unit.exists() or await CriteriaSet.exists())


async def load_demo(
    tz: ZoneInfo, now: datetime | None = None, *, files: FileStore | None = None
) -> DemoResult:
    """Load the sample data unless the database already holds units or criteria sets.

    With ``files`` (the evidence store), the sample period is also played a few weeks in
    (:mod:`app.demo_year`): answers, evidence, submissions, appraisal, survey scores."""
    if not await database_is_empty():
        return DemoResult(loaded=False)
    actor = Actor.system(Channel.cli, "demo")
    sets = {}
    for name in ("criteria_departments.json", "criteria_communes.json"):
        data = _read(name)
        draft = build_criteria(
            data["info"], [NodeRow(i + 2, r) for i, r in enumerate(data["rows"])]
        )
        cset = await import_draft(actor, draft, is_sample=True)
        sets[cset.unit_kind] = cset.code
    units_data = _read("units.json")
    kinds = {g["code"]: UnitKind(g["kind"]) for g in units_data["groups"]}
    names = {g["code"]: g["name"] for g in units_data["groups"]}
    units = [
        UnitRow(
            u["group"],
            names[u["group"]],
            kinds[u["group"]],
            u["code"],
            u["name"],
            u.get("address", ""),
        )
        for u in units_data["units"]
    ]
    officers = [
        OfficerRow(
            o["unit"],
            o["full_name"],
            o.get("position", ""),
            OfficerRole(o.get("role", "focal")),
            o.get("phone", ""),
            o.get("email", ""),
        )
        for o in units_data["officers"]
    ]
    summary = await import_units(actor, units, officers)
    for username, role, full_name in DEMO_USERS:
        await add_user(actor, username, DEMO_PASSWORD, role, full_name=full_name)

    local_now = (now or datetime.now(tz)).astimezone(tz)
    today = local_now.date()

    def at(days: int, hour: int = 17) -> datetime:
        return datetime.combine(today + timedelta(days=days), time(hour, 0), tzinfo=tz)

    plans = [
        GroupPlan(g["code"], sets[g["kind"]]) for g in units_data["groups"] if g["kind"] in sets
    ]
    period = await create_period(
        actor,
        code=f"DEMO-{today.year}",
        name=f"Đợt đánh giá Chỉ số CCHC năm {today.year} (dữ liệu mẫu)",
        year=today.year,
        opens_at=at(-10, 8),
        closes_at=at(14),
        explanation_due_at=at(28),
        appraisal_round1_due_at=at(24),
        appraisal_round2_due_at=at(35),
        publication_due_at=at(45),
        groups=plans,
    )
    if files is not None:
        await play_year(period, now=local_now, tz=tz, files=files)
    return DemoResult(
        loaded=True,
        criteria_sets=len(sets),
        units=summary.units_created,
        officers=summary.officers_created,
        assessments=await period.assessments.all().count(),
    )
