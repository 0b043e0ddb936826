"""Requests for an extension: who may ask, when, for which date, one at a time; the secretariat's
decision moves the deadline (and the lock) and the unit is told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.audit import Actor
from core.auth import Conflict, NotFound
from core.i18n import UserError
from core.models import AuditEvent, BackofficeUser, Channel, Officer, UserRole
from core.notify import RecordingNotifier
from core.timefmt import VIETNAM
from forms.answers import LockedError, NotAllowedError
from forms.extensions import (
    LATE_DAYS,
    extension_window,
    list_extensions,
    parse_day,
    pending_count,
    request_extension,
    tell_decision,
)
from forms.models import Assessment, AssessmentStatus, ExtensionRequest, ExtensionStatus, Period
from forms.periods import decide_extension
from tests.forms.conftest import NOW, SYSTEM

# the period closes NOW + 5 days: 25/11/2026 10:00 in Hà Nội
NOV_30 = parse_day("30/11/2026")


def test_a_typed_day_means_the_end_of_that_day_in_local_time() -> None:
    assert parse_day("30/11/2026") == parse_day(" 30-11-2026 ") == parse_day("30.11.2026")
    assert NOV_30.tzinfo == VIETNAM and (NOV_30.hour, NOV_30.minute) == (23, 59)
    assert parse_day("1/12/2026").day == 1
    for bad in ("31/11/2026", "2026-11-30", "mai", "", "30/11"):
        with pytest.raises(UserError) as info:
            parse_day(bad)
        assert "dd/mm/yyyy" in info.value.render("vi")


async def test_an_officer_asks_once_with_a_reason_and_it_is_audited(sheet: dict) -> None:
    sheet_id = sheet["assessment"].id
    window = await extension_window(sheet["lan"], sheet_id, now=NOW)
    assert window.deadline == NOW + timedelta(days=5)
    assert window.latest == parse_day("25/12/2026")  # 30 days after the current deadline
    request = await request_extension(
        sheet["lan"], sheet_id, reason="  Chờ số liệu của Cục Thống kê  ", until=NOV_30, now=NOW
    )
    assert request.status == ExtensionStatus.pending and request.reason.startswith("Chờ")
    assert request.requested_by_id == sheet["lan"].id  # type: ignore[attr-defined]
    event = await AuditEvent.get(action="extension.request")
    assert event.actor_type == "officer" and event.channel == Channel.bot
    assert event.reason == "Chờ số liệu của Cục Thống kê" and event.entity_id == str(request.id)
    # nothing moves before the secretariat decides
    assert (await Assessment.get(id=sheet_id)).deadline_extended_to is None
    assert await pending_count(sheet["assessment"].period_id) == 1

    # a second request (even by a colleague) waits for the first to be decided
    with pytest.raises(Conflict) as info:
        await request_extension(sheet["hung"], sheet_id, reason="x", until=NOV_30, now=NOW)
    assert "30/11/2026" in info.value.render("vi") and "chờ Sở Nội vụ" in info.value.render("vi")
    await decide_extension(SYSTEM, request.id, approve=False, note="Không đủ căn cứ", now=NOW)
    again = await request_extension(
        sheet["hung"], sheet_id, reason="Bổ sung căn cứ", until=NOV_30, now=NOW
    )
    assert again.id != request.id


async def test_only_the_units_own_officers_may_ask(sheet: dict) -> None:
    sheet_id = sheet["assessment"].id
    args = {"reason": "r", "until": NOV_30, "now": NOW}
    with pytest.raises(NotAllowedError):
        await request_extension(sheet["other"], sheet_id, **args)  # another unit's officer
    admin = await BackofficeUser.create(username="ad", role=UserRole.admin, password_hash="x")
    for actor in (SYSTEM, Actor("user", admin.id, "ad", Channel.web)):
        with pytest.raises(NotAllowedError):
            await request_extension(actor, sheet_id, **args)
    await Officer.filter(id=sheet["lan"].id).update(active=False)
    with pytest.raises(NotAllowedError):
        await request_extension(sheet["lan"], sheet_id, **args)
    with pytest.raises(NotFound):
        await request_extension(sheet["hung"], 9999, **args)
    assert await ExtensionRequest.all().count() == 0


async def test_the_reason_and_the_date_are_checked(sheet: dict) -> None:
    sheet_id = sheet["assessment"].id
    lan = sheet["lan"]
    with pytest.raises(UserError) as info:
        await request_extension(lan, sheet_id, reason="   ", until=NOV_30, now=NOW)
    assert info.value.render("vi") == "Vui lòng nêu lý do đề nghị gia hạn."
    with pytest.raises(UserError):
        await request_extension(lan, sheet_id, reason="x" * 1001, until=NOV_30, now=NOW)
    with pytest.raises(UserError) as info:  # 24/11 is before the deadline of 25/11 10:00
        await request_extension(lan, sheet_id, reason="r", until=parse_day("24/11/2026"), now=NOW)
    assert "phải sau hạn tự đánh giá hiện tại (25/11/2026 10:00)" in info.value.render("vi")
    with pytest.raises(UserError) as info:
        await request_extension(lan, sheet_id, reason="r", until=parse_day("26/12/2026"), now=NOW)
    assert "tối đa 30 ngày" in info.value.render("vi") and "25/12/2026" in info.value.render("vi")
    assert await ExtensionRequest.all().count() == 0
    last_day = await request_extension(
        lan, sheet_id, reason="r", until=parse_day("25/12/2026"), now=NOW
    )
    assert last_day.status == ExtensionStatus.pending


async def test_a_submitted_sheet_or_a_closed_period_cannot_ask(sheet: dict) -> None:
    sheet_id = sheet["assessment"].id
    await Assessment.filter(id=sheet_id).update(status=AssessmentStatus.submitted, submitted_at=NOW)
    with pytest.raises(LockedError) as info:
        await extension_window(sheet["lan"], sheet_id, now=NOW)
    assert "đã được gửi" in info.value.render("vi")
    await Assessment.filter(id=sheet_id).update(status=AssessmentStatus.draft, submitted_at=None)
    await Period.filter(id=sheet["assessment"].period_id).update(status="closed")
    with pytest.raises(LockedError):
        await extension_window(sheet["lan"], sheet_id, now=NOW)


async def test_a_sheet_locked_by_its_deadline_may_still_ask_for_a_few_days(sheet: dict) -> None:
    sheet_id = sheet["assessment"].id
    deadline = NOW - timedelta(days=2)
    await Period.filter(id=sheet["assessment"].period_id).update(self_assessment_closes_at=deadline)
    await Assessment.filter(id=sheet_id).update(self_locked_at=deadline)
    window = await extension_window(sheet["lan"], sheet_id, now=NOW)
    assert window.deadline == deadline
    with pytest.raises(UserError) as info:  # after the deadline, yet already past
        await request_extension(
            sheet["lan"], sheet_id, reason="r", until=parse_day("19/11/2026"), now=NOW
        )
    assert "phải ở tương lai" in info.value.render("vi")
    request = await request_extension(sheet["lan"], sheet_id, reason="r", until=NOV_30, now=NOW)

    # approval moves the deadline and lifts the lock the old deadline had set
    notifier = RecordingNotifier()
    await decide_extension(SYSTEM, request.id, approve=True, now=NOW)
    assert await tell_decision(notifier, request.id) == 1
    sheet_now = await Assessment.get(id=sheet_id)
    assert sheet_now.deadline_extended_to == NOV_30 and sheet_now.self_locked_at is None
    (notice,) = notifier.notices
    assert notice.officer_id == sheet["lan"].id and notice.kind == "extension_decided"
    assert notice.payload["assessment_id"] == sheet_id
    assert notice.msg.render("vi") == (
        "✅ Sở Nội vụ đã phê duyệt đề nghị gia hạn của Sở Nội vụ: hạn tự đánh giá mới là "
        "30/11/2026 23:59."
    )

    # too late: more than LATE_DAYS after the (new) deadline
    later = NOV_30 + timedelta(days=LATE_DAYS, minutes=1)
    with pytest.raises(LockedError) as info:
        await extension_window(sheet["lan"], sheet_id, now=later)
    assert "liên hệ trực tiếp Sở Nội vụ" in info.value.render("vi")


async def test_a_refusal_tells_the_reason_and_falls_back_to_the_focal_officers(
    sheet: dict,
) -> None:
    sheet_id = sheet["assessment"].id
    request = await request_extension(
        sheet["leader"], sheet_id, reason="Lãnh đạo đi công tác", until=NOV_30, now=NOW
    )
    await decide_extension(
        SYSTEM, request.id, approve=False, note="Đã quá nhiều lần gia hạn", now=NOW
    )
    await Officer.filter(id=sheet["leader"].id).update(active=False)  # the asker has left
    notifier = RecordingNotifier()
    assert await tell_decision(notifier, request.id) == 2  # lan and hung, the focal officers
    assert {n.officer_id for n in notifier.notices} == {sheet["lan"].id, sheet["hung"].id}
    text = notifier.notices[0].msg.render("vi")
    assert text == (
        "❌ Sở Nội vụ đã từ chối đề nghị gia hạn của Sở Nội vụ (đến ngày 30/11/2026). "
        "Lý do: Đã quá nhiều lần gia hạn. Hạn tự đánh giá vẫn là 25/11/2026 10:00."
    )
    assert "The secretariat refused" in notifier.notices[0].msg.render("en")
    assert (await Assessment.get(id=sheet_id)).deadline_extended_to is None
    # a pending request is not announced
    pending = await request_extension(sheet["lan"], sheet_id, reason="r", until=NOV_30, now=NOW)
    assert await tell_decision(RecordingNotifier(), pending.id) == 0


async def test_the_secretariat_lists_requests_of_a_period(sheet: dict) -> None:
    sheet_id = sheet["assessment"].id
    period_id = sheet["assessment"].period_id
    first = await request_extension(sheet["lan"], sheet_id, reason="a", until=NOV_30, now=NOW)
    await decide_extension(SYSTEM, first.id, approve=False, note="không", now=NOW)
    await request_extension(sheet["hung"], sheet_id, reason="b", until=NOV_30, now=NOW)
    pending = await list_extensions(SYSTEM, period_id=period_id, status=ExtensionStatus.pending)
    assert [(p.unit_code, p.reason, p.requested_by) for p in pending] == [
        ("SNV", "b", "Trần Văn Hùng")
    ]
    assert pending[0].deadline == NOW + timedelta(days=5)
    everything = await list_extensions(SYSTEM, period_id=period_id)
    assert [v.status for v in everything] == ["pending", "refused"]
    with pytest.raises(UserError):  # officers do not read the secretariat's list
        await list_extensions(sheet["lan"], period_id=period_id)
