"""Sample data: loads into an empty database only, uses every rule type, a live period a few
weeks in (answers, submissions, appraisal, an explanation pending, survey scores), and the
sandbox chat offers officers of both unit groups."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.bot_runtime import demo_personas
from app.demo import load_demo
from core.audit import Actor
from core.files import FileStore
from core.models import BackofficeUser, Channel, Officer, OfficerRole, Unit, UnitGroup
from core.settings import load_settings
from core.timefmt import VIETNAM
from forms.criteria import import_draft, load_draft
from forms.criteria_workbook import export_bytes, read_workbook
from forms.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    CriteriaNode,
    CriteriaSet,
    Evidence,
    Period,
)
from forms.rules import RULE_TYPES
from scoring.models import AppraiserAssignment, SurveyScore
from scoring.results import results


async def test_demo_fills_an_empty_database_once(db: str) -> None:
    now = datetime.now(UTC)
    result = await load_demo(VIETNAM, now)
    assert result.loaded and result.criteria_sets == 2
    groups = {g.code: g for g in await UnitGroup.all()}
    assert await Unit.filter(group=groups["SO"]).count() >= 18
    assert await Unit.filter(group=groups["XA"]).count() >= 28
    for unit in await Unit.all():
        roles = set(await Officer.filter(unit=unit).values_list("role", flat=True))
        assert roles == {OfficerRole.focal, OfficerRole.leader}, unit.code
    period = await Period.get()
    assert period.self_assessment_opens_at < now < period.self_assessment_closes_at
    assert await Assessment.filter(period=period).count() == await Unit.all().count()
    assert set(await BackofficeUser.all().values_list("role", flat=True)) == {
        "admin",
        "appraiser",
        "viewer",
    }

    again = await load_demo(VIETNAM, now)
    assert not again.loaded
    assert await Period.all().count() == 1 and await CriteriaSet.all().count() == 2


async def test_sample_sets_are_marked_and_use_every_rule_type(db: str) -> None:
    await load_demo(VIETNAM)
    for cset in await CriteriaSet.all():
        assert cset.is_sample and "mẫu" in cset.name
        assert cset.frozen_at is not None, "the demo period uses it"
        used = set(
            await CriteriaNode.filter(criteria_set=cset, level="item").values_list(
                "rule_type", flat=True
            )
        )
        assert used == set(RULE_TYPES), cset.code
        assert await CriteriaNode.filter(criteria_set=cset, level="criterion").count() >= 30
        assert await CriteriaNode.filter(criteria_set=cset, na_allowed=True).exists()


async def test_sample_sets_survive_the_workbook_round_trip(db: str) -> None:
    await load_demo(VIETNAM)
    actor = Actor.system(Channel.cli, "test")
    for cset in await CriteriaSet.all():
        original = await load_draft(cset)
        copy = await import_draft(actor, read_workbook(export_bytes(original)))
        assert copy.version == 2
        assert await load_draft(copy) == original


async def test_demo_does_nothing_when_units_exist(db: str) -> None:
    group = await UnitGroup.create(code="G", name="Khối thật")
    await Unit.create(code="U1", name="Đơn vị thật", group=group)
    result = await load_demo(VIETNAM)
    assert not result.loaded
    assert await CriteriaSet.all().count() == 0 and await Unit.all().count() == 1


async def test_the_sample_period_is_in_progress(db: str, data_dir: Path) -> None:
    """Right after `make run` every page has real-looking figures: about half the units
    answered, some submitted, a few appraised, one explanation pending, survey scores of the
    departments imported; the results rank only the submitted sheets; the sandbox chat offers
    officers of both unit groups."""
    now = datetime.now(UTC)
    result = await load_demo(VIETNAM, now, files=FileStore(data_dir))
    assert result.loaded
    period = await Period.get()
    sheets = await Assessment.filter(period=period).prefetch_related("unit__group")
    answered = [s for s in sheets if await Answer.filter(assessment=s).exists()]
    assert 0.4 <= len(answered) / len(sheets) <= 0.6
    submitted = [s for s in sheets if s.submitted_at is not None]
    assert 10 <= len(submitted) < len(answered)
    assert {s.unit.group.code for s in submitted} == {"SO", "XA"}
    statuses = [s.status for s in sheets]
    assert statuses.count(AssessmentStatus.appraised) == 3
    assert statuses.count(AssessmentStatus.explanation_requested) == 1
    assert await Evidence.all().count() >= len(submitted)
    survey = set(await SurveyScore.filter(period=period).values_list("unit_id", flat=True))
    departments = {s.unit.id for s in sheets if s.unit.group.code == "SO"}
    assert survey == departments

    admin = Actor("user", (await BackofficeUser.get(username="admin")).id, "admin", Channel.web)
    tables = {t["group_code"]: t for t in await results(admin, period.id)}
    for table in tables.values():
        ranked = [u for u in table["units"] if u["appraised"]["rank"] is not None]
        assert all(u["submitted"] for u in ranked) and len(ranked) >= 3
        assert len({u["appraised"]["index"] for u in ranked}) > 1  # not all alike
    # the sample appraiser has work assigned
    appraiser = await BackofficeUser.get(username="thamdinh")
    assert await AppraiserAssignment.filter(user=appraiser).count() >= 3

    # the sandbox chat offers officers of both unit groups
    personas = await demo_personas(load_settings(database_url=db, data_dir=data_dir))
    officers = await Officer.filter(
        id__in=[p["user_id"] - 880_000_000 for p in personas]
    ).prefetch_related("unit__group")
    assert {o.unit.group.code for o in officers} == {"SO", "XA"}
