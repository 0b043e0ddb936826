"""Officers are told the outcome after publication and after round 2, through the delivery
ledger: exactly once, also across a restart of the scheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Officer
from core.notify import RecordingNotifier
from forms.models import Assessment, AssessmentStatus
from scheduler.config import SchedulerConfig
from scheduler.models import Reminder, ReminderStatus
from scoring import appraisal
from scoring.explanations import answer_explanation
from scoring.models import Review
from scoring.results import publish
from tests.api.world import ANSWERS, NOW, World, build_world, fill_and_submit
from tests.scheduler.conftest import FakeClock, FakeTelegram, make_scheduler


@pytest.fixture
async def province(db: str) -> World:
    world = await build_world()
    for n, name in enumerate(("lan", "hung", "boss", "khac", "yte"), start=1):
        await Officer.filter(id=world.officers[name].id).update(
            telegram_user_id=700 + n, telegram_chat_id=700 + n
        )
    return world


def _config(worker: str) -> SchedulerConfig:
    return SchedulerConfig(
        claim_timeout=timedelta(seconds=120), worker=worker, public_url="https://cchc.example.vn"
    )


async def test_every_officer_hears_the_published_result_once(province: World) -> None:
    world = province
    admin = world.actor("admin")
    snv = await fill_and_submit(world, "SNV", "lan")
    await fill_and_submit(world, "STP", "khac")
    for code in ANSWERS:
        await appraisal.accept(admin, snv.id, code, expected_version=0, now=NOW)
    await publish(admin, world.period.id, now=NOW, force=True, reason="SYT không nộp phiếu")

    clock = FakeClock(NOW + timedelta(minutes=1))
    telegram = FakeTelegram(clock)
    await make_scheduler(telegram, _config("first"), clock).tick()
    by_officer = {s.notice.officer_id: s.notice for s in telegram.sent}
    everyone = {world.officers[n].id for n in ("lan", "hung", "boss", "khac", "yte")}
    assert set(by_officer) == everyone  # focal officers and the unit's leader alike
    assert {n.kind for n in by_officer.values()} == {"published"}
    lan = by_officer[world.officers["lan"].id].msg.render("vi")
    assert "Đã công bố kết quả Chỉ số CCHC Đợt 2026. Sở Nội vụ (Khối sở, ban, ngành)" in lan
    assert "tổng điểm 7,75, chỉ số 83,78%, xếp hạng 1/2, xếp loại Khá." in lan
    assert "https://cchc.example.vn/web/o/scorecard.xlsx" in lan and "/bangdiem" in lan
    yte = by_officer[world.officers["yte"].id].msg.render("vi")
    assert "Sở Y tế (Khối sở, ban, ngành) không nộp phiếu tự đánh giá" in yte
    assert "không xếp hạng" in yte
    english = by_officer[world.officers["lan"].id].msg.render("en")
    assert "index 83.78%, rank 1 of 2, band Khá" in english

    # the same scheduler again, then another instance after a restart: nothing is sent twice
    await make_scheduler(telegram, _config("first"), clock).tick()
    clock.advance(600)
    await make_scheduler(telegram, _config("after-restart"), clock).tick()
    assert len(telegram.sent) == 5
    rows = await Reminder.filter(kind="published")
    assert len(rows) == 5 and {r.status for r in rows} == {ReminderStatus.sent}


async def test_after_round_2_the_officers_hear_the_re_appraised_items(province: World) -> None:
    world = province
    admin = world.actor("admin")
    sheet = await fill_and_submit(world, "SNV", "lan")
    for code in ANSWERS:
        if code != "1.1.1":
            await appraisal.accept(admin, sheet.id, code, expected_version=0, now=NOW)
    review = await appraisal.request_explanation(
        admin,
        sheet.id,
        "1.1.1",
        comment="Đề nghị giải trình",
        score="0",
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    clock = FakeClock(NOW + timedelta(minutes=1))
    telegram = FakeTelegram(clock)
    await make_scheduler(telegram, _config("one"), clock).tick()
    assert not [s for s in telegram.sent if s.notice.kind == "round2"]  # not finished yet

    await answer_explanation(
        world.officers["lan"], review.id, text="Đã ban hành đúng hạn.", proposed_score="1", now=NOW
    )
    await appraisal.round2(
        admin, sheet.id, "1.1.1", score="0,5", comment="Ban hành muộn", expected_version=0, now=NOW
    )
    assert (await Assessment.get(id=sheet.id)).status == AssessmentStatus.appraised
    clock.advance(60)
    await make_scheduler(telegram, _config("one"), clock).tick()
    clock.advance(60)
    await make_scheduler(telegram, _config("two"), clock).tick()
    told = [s.notice for s in telegram.sent if s.notice.kind == "round2"]
    assert sorted(n.officer_id for n in told) == sorted(
        world.officers[n].id for n in ("lan", "hung", "boss")
    )
    assert told[0].msg.render("vi") == (
        "Đã xong thẩm định vòng 2 của Sở Nội vụ. Tổ thẩm định đã chấm lại 1 tiêu chí sau giải "
        "trình của đơn vị:\n• 1.1.1: 0 → 0,5 điểm (Ban hành muộn)"
    )
    assert told[0].payload == {"assessment_id": sheet.id, "item": "1.1.1"}


def test_a_round_2_notice_fits_one_telegram_message() -> None:
    from decimal import Decimal

    from scheduler.outcomes import round2_text
    from scoring.publication import ItemOutcome

    items = [
        ItemOutcome(f"{n}.1.{n}", n, Decimal("1.25"), Decimal("0.5"), "Chưa đạt yêu cầu. " * 40)
        for n in range(1, 85)
    ]
    text = round2_text("Ủy ban nhân dân phường Trần Hưng Đạo " * 3, items).render("vi")
    assert len(text) <= 4096
    assert "• 1.1.1: 1,25 → 0,5 điểm (Chưa đạt yêu cầu." in text
    assert text.endswith("… và 64 tiêu chí khác: xem phiếu chấm điểm.")


async def test_a_sheet_appraised_days_after_its_round_2_still_tells_the_officers(
    province: World,
) -> None:
    """Round 2 settled on Monday, the last round-1 item decided on Wednesday: the sheet is only
    then appraised, and the notice goes out then, not skipped as two days stale."""
    world = province
    admin = world.actor("admin")
    sheet = await fill_and_submit(world, "SNV", "lan")
    for code in ANSWERS:
        if code not in ("1.1.1", "T.1"):
            await appraisal.accept(admin, sheet.id, code, expected_version=0, now=NOW)
    review = await appraisal.request_explanation(
        admin,
        sheet.id,
        "1.1.1",
        comment="Đề nghị giải trình",
        score="0",
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    await answer_explanation(
        world.officers["lan"], review.id, text="Đã ban hành.", proposed_score="1", now=NOW
    )
    await appraisal.round2(
        admin, sheet.id, "1.1.1", score="1", comment="Chấp nhận", expected_version=0, now=NOW
    )
    await Review.filter(answer__assessment_id=sheet.id, round_no=2).update(updated_at=NOW)
    later = NOW + timedelta(days=2)
    await appraisal.accept(admin, sheet.id, "T.1", expected_version=0, now=later)
    assert (await Assessment.get(id=sheet.id)).status == AssessmentStatus.appraised
    clock = FakeClock(later + timedelta(minutes=1))
    telegram = FakeTelegram(clock)
    await make_scheduler(telegram, _config("late"), clock).tick()
    told = [s.notice for s in telegram.sent if s.notice.kind == "round2"]
    assert len(told) == 3  # lan, hung and the leader
    assert "• 1.1.1: 0 → 1 điểm (Chấp nhận)" in told[0].msg.render("vi")
