"""Accept all undecided items at once (scoring.appraisal.accept_many) and the sheet's rules of
"undecided" and "next" (scoring.sheet): one review and one audit event per item, all or
nothing, assignments and round respected."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.auth import Conflict
from core.i18n import UserError
from core.models import AuditEvent
from forms.answers import NotAllowedError
from forms.models import Assessment, AssessmentStatus
from scoring import appraisal, sheet
from scoring.models import Review
from tests.api.world import NOW, World, build_world, fill_and_submit


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


FIELD_1 = ["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.2.1"]


async def test_accept_many_writes_one_review_and_one_audit_event_per_item(world: World) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan")
    reviews = await appraisal.accept_many(world.actor("td1"), submitted.id, FIELD_1, now=NOW)
    assert len(reviews) == 6
    stored = {
        r.answer.node.code: r
        for r in await Review.filter(answer__assessment_id=submitted.id).prefetch_related(
            "answer__node"
        )
    }
    assert sorted(stored) == FIELD_1
    assert stored["1.1.3"].appraised_score == Decimal(2) and stored["1.1.3"].accepted
    assert stored["1.1.4"].appraised_score is None  # not applicable stays not applicable
    events = await AuditEvent.filter(action="review.accept").order_by("id")
    assert len(events) == 6
    assert {e.new_value["item"] for e in events} == set(FIELD_1)  # type: ignore[index]
    assert all(e.new_value["bulk"] for e in events)  # type: ignore[index]
    status = (await Assessment.get(id=submitted.id)).status
    assert status == AssessmentStatus.in_appraisal  # td2's fields are still open


async def test_accept_many_is_all_or_nothing(world: World) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan")
    td1 = world.actor("td1")
    await appraisal.adjust(
        td1, submitted.id, "1.1.3", score="1", comment="Thiếu", expected_version=0, now=NOW
    )
    with pytest.raises(Conflict) as info:
        await appraisal.accept_many(td1, submitted.id, FIELD_1, now=NOW)
    assert "1.1.3" in info.value.render("vi") and "Chưa công nhận mục nào" in info.value.render(
        "vi"
    )
    assert await Review.filter(answer__assessment_id=submitted.id).count() == 1
    assert await AuditEvent.filter(action="review.accept").count() == 0

    # outside the appraiser's fields: refused as a whole, naming the item
    with pytest.raises(NotAllowedError) as outside:
        await appraisal.accept_many(td1, submitted.id, ["1.1.1", "2.1.1"], now=NOW)
    assert "2.1.1" in outside.value.render("vi")
    # survey items are imported, never appraised
    with pytest.raises(UserError) as survey:
        await appraisal.accept_many(world.actor("admin"), submitted.id, ["X.1"], now=NOW)
    assert "X.1" in survey.value.render("vi")
    # viewers read, they do not decide
    with pytest.raises(NotAllowedError):
        await appraisal.accept_many(world.actor("viewer"), submitted.id, ["1.1.1"], now=NOW)
    assert await Review.filter(answer__assessment_id=submitted.id).count() == 1


async def test_accept_many_waits_for_the_self_assessment_to_close(world: World) -> None:
    draft = world.sheets["SNV"]
    with pytest.raises(Conflict):
        await appraisal.accept_many(world.actor("admin"), draft.id, ["1.1.1"], now=NOW)
    late = NOW + timedelta(days=6)  # past the deadline: unanswered items are accepted at 0
    reviews = await appraisal.accept_many(world.actor("admin"), draft.id, ["1.1.1"], now=late)
    assert reviews[0].appraised_score == Decimal(0)


async def test_the_sheet_filters_and_the_next_undecided_item(world: World) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan")
    await fill_and_submit(world, "STP", "khac")
    admin = world.actor("admin")
    await appraisal.adjust(
        admin, submitted.id, "1.1.2", score="0", comment="Không có", expected_version=0, now=NOW
    )
    view = await sheet.unit_sheet(admin, submitted.id, now=NOW)
    items = [r.code for r in view.rows if r.item]
    assert items[:3] == ["1.1.1", "1.1.2", "1.1.3"] and "X.1" in items
    assert "1.1.2" not in view.undecided and "X.1" not in view.acceptable
    assert view.figures is not None and view.figures["appraised"]["rank"] is not None
    assert view.subtotals["1"]["appraised"] != view.subtotals["1"]["self"]

    adjusted = await sheet.unit_sheet(admin, submitted.id, now=NOW, state=sheet.ADJUSTED)
    assert [r.code for r in adjusted.rows if r.item] == ["1.1.2"]
    assert [r.code for r in adjusted.rows if not r.item] == ["1", "1.1"]  # its field, criterion
    field2 = await sheet.unit_sheet(admin, submitted.id, now=NOW, field_code="2")
    assert [r.code for r in field2.rows if r.item] == ["2.1.1"]
    td2 = world.users["td2"].id
    theirs = await sheet.unit_sheet(admin, submitted.id, now=NOW, assigned_to=td2)
    assert [r.code for r in theirs.rows if r.item] == ["2.1.1", "C.1", "T.1"]
    # an appraiser's sheet holds only their fields
    mine = await sheet.unit_sheet(world.actor("td1"), submitted.id, now=NOW)
    assert [r.code for r in mine.rows if r.item] == FIELD_1

    td1 = world.actor("td1")
    assert await sheet.next_undecided(td1, submitted.id, "1.1.1", order="unit", now=NOW) == (
        submitted.id,
        "1.1.3",  # 1.1.2 is decided
    )
    assert await sheet.next_undecided(td1, submitted.id, "1.2.1", order="unit", now=NOW) == (
        submitted.id,
        "1.1.1",  # wraps around
    )
    stp = world.sheets["STP"].id
    assert await sheet.next_undecided(td1, submitted.id, "1.1.1", order="item", now=NOW) == (
        stp,
        "1.1.1",
    )
    await appraisal.accept_many(td1, submitted.id, ["1.1.1", "1.1.3", "1.1.4", "1.1.5"], now=NOW)
    assert await sheet.next_undecided(td1, submitted.id, "1.1.5", order="unit", now=NOW) == (
        submitted.id,
        "1.2.1",
    )
    await appraisal.accept_many(td1, submitted.id, ["1.2.1"], now=NOW)
    assert await sheet.next_undecided(td1, submitted.id, "1.2.1", order="unit", now=NOW) is None
