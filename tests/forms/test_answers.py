"""Recording answers: computed scores, unit and role checks, deadlines, stale edits, audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.audit import Actor
from core.models import AuditEvent, BackofficeUser, Channel, UserRole
from core.users import hash_password
from forms.answers import LockedError, NotAllowedError, StaleAnswerError, record_answer
from forms.models import Answer, Assessment, AssessmentStatus
from forms.rules import DeclaredValueError
from tests.forms.conftest import NOW


async def test_typed_values_become_computed_scores(sheet: dict) -> None:
    a, lan = sheet["assessment"], sheet["lan"]
    tiers = await record_answer(lan, a.id, "1.1.3", text="45/50", expected_version=0, now=NOW)
    assert tiers.self_score == Decimal(1) and tiers.version == 1  # 90% is in [70; 90]
    level = await record_answer(
        lan, a.id, "1.1.1", declared={"option": "2"}, expected_version=0, now=NOW
    )
    assert level.self_score == Decimal("0.5")
    na = await record_answer(lan, a.id, "1.1.4", text="không áp dụng", expected_version=0, now=NOW)
    assert na.not_applicable and na.self_score is None
    event = await AuditEvent.filter(action="answer.record").order_by("-id").first()
    assert (
        event is not None and event.channel == Channel.bot and event.actor_name == "Nguyễn Thị Lan"
    )


async def test_bad_value_is_refused_and_nothing_changes(sheet: dict) -> None:
    a, lan = sheet["assessment"], sheet["lan"]
    await record_answer(lan, a.id, "1.1.3", text="95%", expected_version=0, now=NOW)
    with pytest.raises(DeclaredValueError):
        await record_answer(lan, a.id, "1.1.3", text="120%", expected_version=1, now=NOW)
    stored = await Answer.get(assessment=a)
    assert stored.self_score == Decimal(2) and stored.version == 1


async def test_stale_edit_is_refused_showing_current_value_and_author(sheet: dict) -> None:
    a, lan, hung = sheet["assessment"], sheet["lan"], sheet["hung"]
    await record_answer(lan, a.id, "1.1.1", declared={"option": "1"}, expected_version=0, now=NOW)
    with pytest.raises(StaleAnswerError) as info:
        await record_answer(
            hung, a.id, "1.1.1", declared={"option": "3"}, expected_version=0, now=NOW
        )
    text = info.value.render("vi")
    assert "Nguyễn Thị Lan" in text and "Ban hành đúng hạn" in text
    assert (await Answer.get(assessment=a)).declared == {"option": "1"}


async def test_other_units_and_appraisers_cannot_answer(sheet: dict) -> None:
    a = sheet["assessment"]
    with pytest.raises(NotAllowedError):
        await record_answer(sheet["other"], a.id, "1.1.2", text="có", expected_version=0, now=NOW)
    appraiser = await BackofficeUser.create(
        username="td", role=UserRole.appraiser, password_hash=hash_password("x" * 12)
    )
    with pytest.raises(NotAllowedError):
        await record_answer(
            Actor("user", appraiser.id, "td", Channel.web),
            a.id,
            "1.1.2",
            text="có",
            expected_version=0,
            now=NOW,
        )
    assert await Answer.all().count() == 0


async def test_deadline_and_submission_lock_the_sheet(sheet: dict) -> None:
    a, lan = sheet["assessment"], sheet["lan"]
    late = NOW + timedelta(days=6)
    with pytest.raises(LockedError) as info:
        await record_answer(lan, a.id, "1.1.2", text="có", expected_version=0, now=late)
    assert "25/11/2026 10:00" in info.value.render("vi")  # local time, 03:00 UTC + 7
    a.deadline_extended_to = NOW + timedelta(days=10)
    await a.save()
    ok = await record_answer(lan, a.id, "1.1.2", text="có", expected_version=0, now=late)
    assert ok.self_score == Decimal(1)
    await Assessment.filter(id=a.id).update(status=AssessmentStatus.submitted)
    with pytest.raises(LockedError):
        await record_answer(lan, a.id, "1.1.2", text="không", expected_version=1, now=late)
    admin = await BackofficeUser.create(
        username="qt", role=UserRole.admin, password_hash=hash_password("x" * 12)
    )
    fixed = await record_answer(
        Actor("user", admin.id, "qt", Channel.web),
        a.id,
        "1.1.2",
        text="không",
        expected_version=1,
        now=late,
    )
    assert fixed.self_score == Decimal(0) and fixed.version == 2


async def test_survey_items_are_never_self_assessed(sheet: dict) -> None:
    with pytest.raises(DeclaredValueError):
        await record_answer(
            sheet["lan"], sheet["assessment"].id, "X.1", text="2", expected_version=0, now=NOW
        )


async def test_unit_carried_with_the_actor_is_checked_without_reading_the_officer(
    sheet: dict,
) -> None:
    """The bot's middleware hands the officer's unit along; another unit is still refused."""
    a, other, lan = sheet["assessment"], sheet["other"], sheet["lan"]
    stranger = Actor("officer", other.id, other.name, Channel.bot, unit_id=a.unit_id + 1000)
    with pytest.raises(NotAllowedError) as info:
        await record_answer(stranger, a.id, "1.1.2", text="có", expected_version=0, now=NOW)
    assert "đơn vị của mình" in info.value.render("vi")
    assert await Answer.all().count() == 0
    own = Actor("officer", lan.id, lan.name, Channel.bot, unit_id=a.unit_id)
    ok = await record_answer(own, a.id, "1.1.2", text="có", expected_version=0, now=NOW)
    assert ok.self_score == Decimal(1)


async def test_the_stored_answer_says_who_changed_it_last_and_where(sheet: dict) -> None:
    """Officers in the bot and on the web, then an administrator's correction, then the same
    value again: the row always names the last author and channel and holds the last value,
    and the stale-answer message names that author."""
    a, lan, hung = sheet["assessment"], sheet["lan"], sheet["hung"]
    user = await BackofficeUser.create(
        username="qt", full_name="Quản trị", role=UserRole.admin, password_hash=hash_password("x")
    )
    admin = Actor("user", user.id, "Quản trị", Channel.web)
    steps = [
        (lan, {"checked": ["1"]}, (lan.id, None, "bot")),
        (hung, {"checked": ["1"]}, (hung.id, None, "web")),  # same value, another officer
        (admin, {"checked": ["1", "2"]}, (None, user.id, "web")),
        (lan, {"checked": ["1", "2"]}, (lan.id, None, "bot")),  # the administrator's value again
        (lan, {"na": True}, (lan.id, None, "bot")),
        (lan, {"checked": ["3"]}, (lan.id, None, "bot")),
    ]
    for version, (actor, declared, who) in enumerate(steps):
        answer = await record_answer(
            actor, a.id, "1.1.4", declared=declared, expected_version=version, now=NOW
        )
        row = await Answer.get(assessment=a)
        assert (row.updated_by_officer_id, row.updated_by_user_id, row.channel) == who
        assert row.version == answer.version == version + 1
        assert (row.declared, row.not_applicable) == (answer.declared, answer.not_applicable)
        assert row.self_score == answer.self_score
    assert row.declared == {"checked": ["3"]} and not row.not_applicable
    assert row.self_score is not None and row.self_score > 0
    with pytest.raises(StaleAnswerError) as info:
        await record_answer(
            hung, a.id, "1.1.4", declared={"checked": ["2"]}, expected_version=1, now=NOW
        )
    assert "Nguyễn Thị Lan" in info.value.render("vi")
