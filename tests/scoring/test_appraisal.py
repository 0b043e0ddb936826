"""Appraisal rules (domain.md §1.4): who may change which score when, status, unlock, notices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.auth import AccessDenied, Conflict
from core.i18n import UserError
from core.models import AuditEvent
from core.notify import RecordingNotifier
from forms.answers import LockedError, NotAllowedError, record_answer
from forms.models import Assessment, AssessmentStatus
from scoring import appraisal
from scoring.explanations import answer_explanation
from scoring.models import Review
from tests.api.world import NOW, World, build_world, fill_and_submit


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


async def _submitted(world: World, unit: str = "SNV", officer: str = "lan") -> Assessment:
    return await fill_and_submit(world, unit, officer)


async def test_appraisal_waits_for_submission_or_the_deadline(world: World) -> None:
    sheet = world.sheets["SNV"]
    await record_answer(
        world.officers["lan"], sheet.id, "1.1.2", text="có", expected_version=0, now=NOW
    )
    with pytest.raises(Conflict) as info:
        await appraisal.accept(world.actor("td1"), sheet.id, "1.1.2", expected_version=0, now=NOW)
    assert "25/11/2026 10:00" in info.value.render("vi")
    late = NOW + timedelta(days=6)  # past the deadline: the sheet is closed even unsubmitted
    review = await appraisal.accept(
        world.actor("td1"), sheet.id, "1.1.2", expected_version=0, now=late
    )
    assert review.appraised_score == Decimal(1)
    stored = await Assessment.get(id=sheet.id)
    assert stored.status == AssessmentStatus.in_appraisal and stored.self_locked_at == late


async def test_round_one_accept_adjust_and_their_rules(world: World) -> None:
    sheet = await _submitted(world)
    td1 = world.actor("td1")
    accepted = await appraisal.accept(td1, sheet.id, "1.1.3", expected_version=0, now=NOW)
    assert accepted.accepted and accepted.appraised_score == Decimal(2) and accepted.version == 1
    with pytest.raises(UserError) as info:
        await appraisal.adjust(
            td1, sheet.id, "1.1.3", score="1", comment="  ", expected_version=1, now=NOW
        )
    assert "ý kiến thẩm định" in info.value.render("vi")
    with pytest.raises(UserError):
        await appraisal.adjust(
            td1, sheet.id, "1.1.3", score="2,5", comment="quá", expected_version=1, now=NOW
        )
    with pytest.raises(UserError):
        await appraisal.adjust(
            td1, sheet.id, "1.1.3", score="0,12345", comment="x", expected_version=1, now=NOW
        )
    adjusted = await appraisal.adjust(
        td1,
        sheet.id,
        "1.1.3",
        score="1,5",
        comment="Thiếu báo cáo quý IV",
        expected_version=1,
        now=NOW,
    )
    assert adjusted.appraised_score == Decimal("1.5") and not adjusted.accepted
    # someone who saw version 1 cannot overwrite version 2
    with pytest.raises(Conflict):
        await appraisal.accept(td1, sheet.id, "1.1.3", expected_version=1, now=NOW)
    events = await AuditEvent.filter(entity="review").order_by("id")
    assert [e.action for e in events] == ["review.accept", "review.adjust"]
    assert events[1].old_value["appraised_score"] == "2.0000"  # type: ignore[index]
    assert events[1].new_value["appraised_score"] == "1.5000"  # type: ignore[index]
    assert events[1].unit_id == sheet.unit_id  # type: ignore[attr-defined]


async def test_appraisers_act_only_on_their_fields_and_never_on_self_scores(world: World) -> None:
    sheet = await _submitted(world)
    with pytest.raises(NotAllowedError) as info:
        await appraisal.accept(world.actor("td2"), sheet.id, "1.1.1", expected_version=0, now=NOW)
    assert "1.1.1" in info.value.render("en")
    ok = await appraisal.accept(world.actor("td2"), sheet.id, "C.1", expected_version=0, now=NOW)
    assert ok.appraised_score == Decimal(1)
    with pytest.raises(NotAllowedError):
        await appraisal.accept(
            world.actor("viewer"), sheet.id, "1.1.1", expected_version=0, now=NOW
        )
    with pytest.raises(NotAllowedError):
        await appraisal.accept(
            world.officers["lan"], sheet.id, "1.1.1", expected_version=0, now=NOW
        )
    with pytest.raises(NotAllowedError):  # the answer service refuses appraisers
        await record_answer(
            world.actor("td1"), sheet.id, "1.1.2", text="không", expected_version=1, now=NOW
        )
    with pytest.raises(UserError):  # survey items are imported
        await appraisal.accept(world.actor("admin"), sheet.id, "X.1", expected_version=0, now=NOW)


async def test_explanation_request_round_two_and_status(world: World) -> None:
    sheet = await _submitted(world)
    td1, notifier = world.actor("td1"), RecordingNotifier()
    review = await appraisal.request_explanation(
        td1,
        sheet.id,
        "1.1.1",
        comment="Kế hoạch ban hành ngày nào?",
        score="0,5",
        expected_version=0,
        now=NOW,
        notifier=notifier,
    )
    assert (
        review.explanation_requested
        and review.explanation_due_at == world.period.explanation_due_at
    )
    # the unit's focal officers (not the leader) are told, with a link to the item
    assert sorted(n.officer_id for n in notifier.notices) == sorted(
        [world.officers["lan"].id, world.officers["hung"].id]
    )
    notice = notifier.notices[0]
    assert notice.kind == "explanation_requested" and notice.payload["item"] == "1.1.1"
    assert "1.1.1" in notice.msg.render("vi") and "Sở Nội vụ" in notice.msg.render("vi")
    assert (await Assessment.get(id=sheet.id)).status == AssessmentStatus.explanation_requested
    # round 2 must wait for the explanation (or the due date)
    with pytest.raises(Conflict):
        await appraisal.round2(
            td1, sheet.id, "1.1.1", score="1", comment="ok", expected_version=0, now=NOW
        )
    await answer_explanation(
        world.officers["lan"], review.id, text="Ban hành ngày 10/12.", proposed_score="1", now=NOW
    )
    # once explained, round 1 is closed: the answer to the explanation is round 2
    with pytest.raises(Conflict):
        await appraisal.accept(td1, sheet.id, "1.1.1", expected_version=1, now=NOW)
    granted = await appraisal.round2(td1, sheet.id, "1.1.1", score="1", expected_version=0, now=NOW)
    assert granted.accepted and granted.round_no == 2  # granting the proposal needs no comment
    with pytest.raises(UserError):  # anything else does
        await appraisal.round2(td1, sheet.id, "1.1.1", score="0,5", expected_version=1, now=NOW)
    assert (await Assessment.get(id=sheet.id)).status == AssessmentStatus.in_appraisal
    admin = world.actor("admin")
    for code in ("1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.2.1", "2.1.1", "C.1", "T.1"):
        await appraisal.accept(admin, sheet.id, code, expected_version=0, now=NOW)
    assert (await Assessment.get(id=sheet.id)).status == AssessmentStatus.appraised
    statuses = [
        e.new_value["status"]  # type: ignore[index]
        for e in await AuditEvent.filter(action="assessment.status").order_by("id")
    ]
    # the first review was the request itself: submitted → explanation_requested directly
    assert statuses == ["explanation_requested", "in_appraisal", "appraised"]


async def test_round_two_after_the_due_date_without_an_explanation(world: World) -> None:
    sheet = await _submitted(world)
    due = NOW + timedelta(days=2)
    await appraisal.request_explanation(
        world.actor("admin"),
        sheet.id,
        "2.1.1",
        comment="Có vi phạm?",
        due_at=due,
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    with pytest.raises(UserError):  # the due date must be in the future
        await appraisal.request_explanation(
            world.actor("admin"),
            sheet.id,
            "1.1.2",
            comment="?",
            due_at=NOW,
            expected_version=0,
            now=NOW,
            notifier=RecordingNotifier(),
        )
    later = due + timedelta(minutes=1)
    final = await appraisal.round2(
        world.actor("td2"),
        sheet.id,
        "2.1.1",
        score="0",
        comment="Không giải trình.",
        expected_version=0,
        now=later,
    )
    assert final.appraised_score == Decimal(0)
    with pytest.raises(Conflict):  # round 2 only where an explanation was asked
        await appraisal.round2(
            world.actor("admin"),
            sheet.id,
            "1.1.2",
            score="1",
            comment="x",
            expected_version=0,
            now=later,
        )


async def test_unlock_one_unit_with_a_reason(world: World) -> None:
    sheet = await _submitted(world)
    admin, notifier = world.actor("admin"), RecordingNotifier()
    with pytest.raises(AccessDenied):
        await appraisal.unlock(world.actor("td1"), sheet.id, reason="x", now=NOW)
    with pytest.raises(UserError):
        await appraisal.unlock(admin, sheet.id, reason=" ", now=NOW)
    opened = await appraisal.unlock(
        admin, sheet.id, reason="Đơn vị xin bổ sung TLKC", now=NOW, notifier=notifier
    )
    assert opened.status == AssessmentStatus.draft and opened.self_locked_at is None
    assert [n.kind for n in notifier.notices] == ["unlocked", "unlocked"]
    event = await AuditEvent.get(action="assessment.unlock")
    assert event.reason == "Đơn vị xin bổ sung TLKC" and event.old_value["status"] == "submitted"  # type: ignore[index]
    # the unit can answer again
    await record_answer(
        world.officers["lan"], sheet.id, "1.1.2", text="không", expected_version=1, now=NOW
    )
    with pytest.raises(Conflict):  # open already
        await appraisal.unlock(admin, sheet.id, reason="lần nữa", now=NOW)
    # after the deadline a new deadline is needed; once appraisal has started, never
    late = NOW + timedelta(days=6)
    other = await _submitted(world, "STP", "khac")
    with pytest.raises(UserError):
        await appraisal.unlock(admin, other.id, reason="muộn", now=late)
    reopened = await appraisal.unlock(
        admin, other.id, reason="muộn", until=late + timedelta(days=1), now=late
    )
    assert reopened.deadline_extended_to == late + timedelta(days=1)
    third = await _submitted(world, "SYT", "yte")
    await appraisal.accept(admin, third.id, "1.1.2", expected_version=0, now=NOW)
    with pytest.raises(Conflict):
        await appraisal.unlock(admin, third.id, reason="x", now=NOW)


async def test_nothing_changes_after_publication(world: World) -> None:
    from scoring.results import publish

    sheet = await _submitted(world)
    await appraisal.accept(world.actor("td1"), sheet.id, "1.1.2", expected_version=0, now=NOW)
    await publish(world.actor("admin"), world.period.id, now=NOW, force=True, reason="thử")
    with pytest.raises(LockedError):
        await appraisal.adjust(
            world.actor("td1"),
            sheet.id,
            "1.1.2",
            score="0",
            comment="x",
            expected_version=1,
            now=NOW,
        )
    with pytest.raises(LockedError):
        await appraisal.unlock(world.actor("admin"), sheet.id, reason="x", now=NOW)
    with pytest.raises(LockedError):
        await record_answer(
            world.actor("admin"), sheet.id, "1.1.2", text="không", expected_version=1, now=NOW
        )
    assert await Review.filter(round_no=1).count() == 1


async def test_item_views_show_appraisers_only_their_items_across_units(world: World) -> None:
    await _submitted(world)
    await _submitted(world, "STP", "khac")
    total, items = await appraisal.item_views(
        world.actor("td1"), period_id=world.period.id, ready_only=True, now=NOW, limit=500
    )
    assert total == 2 * 6 and {i.code for i in items} == {
        "1.1.1",
        "1.1.2",
        "1.1.3",
        "1.1.4",
        "1.1.5",
        "1.2.1",
    }
    first = next(i for i in items if i.code == "1.1.3" and i.unit_code == "SNV")
    assert (
        first.self_score == Decimal(2) and first.declared_text == "95%" and len(first.evidence) == 1
    )
    total2, _ = await appraisal.item_views(
        world.actor("td2"), period_id=world.period.id, ready_only=True, now=NOW
    )
    assert total2 == 2 * 3
    with_drafts, _ = await appraisal.item_views(world.actor("td2"), period_id=world.period.id)
    assert with_drafts == 3 * 3
    everything, _ = await appraisal.item_views(world.actor("viewer"), period_id=world.period.id)
    assert everything == 3 * 10  # the third unit's empty sheet too, survey items included
    with pytest.raises(NotAllowedError):  # an officer of another unit
        await appraisal.item_views(world.officers["khac"], assessment_id=world.sheets["SNV"].id)
    mine, _ = await appraisal.item_views(
        world.officers["lan"], assessment_id=world.sheets["SNV"].id
    )
    assert mine == 10


async def test_worklist_filters_by_appraisal_state(world: World) -> None:
    sheet = await _submitted(world)
    admin = world.actor("admin")
    await appraisal.accept(admin, sheet.id, "1.1.2", expected_version=0, now=NOW)
    review = await appraisal.request_explanation(
        admin,
        sheet.id,
        "2.1.1",
        comment="?",
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    views = {
        state: await appraisal.item_views(admin, assessment_id=sheet.id, state=state)
        for state in ("pending", "reviewed", "explained")
    }
    # 9 self-assessed items: 1.1.2 is done, 2.1.1 awaits its round 2, 7 were never reviewed
    assert views["pending"][0] == 8 and views["reviewed"][0] == 2 and views["explained"][0] == 0
    await answer_explanation(world.officers["lan"], review.id, text="Không có vi phạm.", now=NOW)
    total, items = await appraisal.item_views(admin, assessment_id=sheet.id, state="explained")
    assert total == 1 and items[0].code == "2.1.1" and items[0].explanation is not None
    page_total, page = await appraisal.item_views(admin, assessment_id=sheet.id, limit=3, offset=3)
    assert page_total == 10 and [i.code for i in page] == ["1.1.4", "1.1.5", "1.2.1"]
