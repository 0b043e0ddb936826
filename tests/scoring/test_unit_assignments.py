"""Appraiser assignments by unit: a field of one unit, or every item of one unit, on top of the
whole-set assignments; an appraiser decides exactly what is assigned."""

from __future__ import annotations

import pytest

from core.auth import AccessDenied
from core.i18n import UserError
from forms.answers import NotAllowedError
from scoring import appraisal
from scoring.assignments import Scope, assign_unit, scope_for, unassign_unit
from tests.api.world import NOW, World, build_world


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


def test_scope_counts_unit_items_only_in_their_unit() -> None:
    scope = Scope(codes=frozenset({"2.1.1"}), unit_codes={7: frozenset({"1.1.1"})})
    assert scope.sees_item("2.1.1") and scope.sees_item("2.1.1", 8)
    assert scope.sees_item("1.1.1", 7)
    assert not scope.sees_item("1.1.1", 8) and not scope.sees_item("1.1.1")
    only_units = Scope(unit_codes={7: frozenset({"1.1.1"})})
    assert only_units.sees_unit(7) and not only_units.sees_unit(8)


async def test_whole_unit_and_field_of_a_unit(world: World) -> None:
    admin, td2 = world.actor("admin"), world.actor("td2")
    set_id = world.sheets["SYT"].criteria_set_id  # type: ignore[attr-defined]
    syt = world.sheets["SYT"].unit_id  # type: ignore[attr-defined]
    snv = world.sheets["SNV"].unit_id  # type: ignore[attr-defined]
    whole = await assign_unit(admin, world.users["td2"].id, set_id, syt)
    await assign_unit(admin, world.users["td2"].id, set_id, snv, "1.1")
    scope = await scope_for(td2, set_id)
    assert scope.sees_item("1.2.1", syt) and scope.sees_item("1.1.3", syt)
    assert scope.sees_item("1.1.3", snv) and not scope.sees_item("1.2.1", snv)
    _total, views = await appraisal.item_views(td2, period_id=world.period.id, under="1")
    assert {(v.unit_code, v.code) for v in views if v.unit_code == "SNV"} == {
        ("SNV", c) for c in ("1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5")
    }
    assert {v.unit_code for v in views} == {"SNV", "SYT"}
    with pytest.raises(NotAllowedError):
        await appraisal.accept(td2, world.sheets["STP"].id, "1.1.1", expected_version=0, now=NOW)

    await unassign_unit(admin, whole.id)
    assert not (await scope_for(td2, set_id)).sees_item("1.2.1", syt)
    # refusals: an item instead of a field, a viewer, an appraiser assigning
    with pytest.raises(UserError):
        await assign_unit(admin, world.users["td2"].id, set_id, syt, "1.1.1")
    with pytest.raises(UserError):
        await assign_unit(admin, world.users["viewer"].id, set_id, syt)
    with pytest.raises(AccessDenied):
        await assign_unit(world.actor("td1"), world.users["td2"].id, set_id, syt)
