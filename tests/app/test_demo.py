"""Sample data: loads into an empty database only, uses every rule type, a live period."""

from __future__ import annotations

from datetime import UTC, datetime

from app.demo import load_demo
from core.audit import Actor
from core.models import BackofficeUser, Channel, Officer, OfficerRole, Unit, UnitGroup
from core.timefmt import VIETNAM
from forms.criteria import import_draft, load_draft
from forms.criteria_workbook import export_bytes, read_workbook
from forms.models import Assessment, CriteriaNode, CriteriaSet, Period
from forms.rules import RULE_TYPES


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
