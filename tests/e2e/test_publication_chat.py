"""After publication the officer's chat receives the unit's result: the real bot, the real
scheduler sending from the delivery ledger, the sandbox Bot API over real HTTP."""

from __future__ import annotations

from datetime import timedelta

from core.audit import Actor
from core.models import Channel
from forms.answers import record_answer
from forms.models import Answer, Evidence
from forms.submission import submit
from scheduler.config import SchedulerConfig
from scheduler.models import Reminder, ReminderStatus
from scoring.results import publish
from tests.api.world import ANSWERS, REQUIRED_EVIDENCE
from tests.bot.harness import World, invite
from tests.scheduler.conftest import FakeClock, make_scheduler


async def test_the_officer_s_chat_receives_the_publication_message(
    world: World, sheet: dict
) -> None:
    lan = world.person(880_001, "Lan")
    await lan.say(f"/start {await invite(sheet['lan'].id)}", "1.1.1. Ban hành kế hoạch")
    now = world.clock[0]
    aid = sheet["assessment"].id
    for code, text in ANSWERS.items():
        await record_answer(sheet["lan"], aid, code, text=text, expected_version=0, now=now)
    for code in REQUIRED_EVIDENCE:
        answer = await Answer.get(assessment_id=aid, node__code=code)
        await Evidence.create(
            answer=answer,
            sha256=code.ljust(64, "0"),
            size=10,
            original_name=f"{code}.pdf",
            content_type="application/pdf",
            channel="bot",
        )
    await submit(sheet["lan"], aid, now=now)
    await publish(
        Actor.system(Channel.cli, "test"),
        sheet["assessment"].period_id,
        now=now,
        force=True,
        reason="STP không nộp phiếu",
    )

    clock = FakeClock(now + timedelta(minutes=1))
    config = SchedulerConfig(
        claim_timeout=timedelta(seconds=120), worker="e2e", public_url=world.served.base_url
    )
    before = world.sandbox.seq
    report = await make_scheduler(world.runtime.notifier, config, clock).tick()
    assert report.send.sent == 1  # Lan is the only officer bound to the bot
    message = await lan.wait(before, "Đã công bố kết quả Chỉ số CCHC Đợt 2026")
    text = message["text"]
    assert "Sở Nội vụ (Khối sở, ban, ngành): tổng điểm 7,75, chỉ số 83,78%, xếp hạng 1/1" in text
    assert "xếp loại Khá" in text and f"{world.served.base_url}/web/o/scorecard.xlsx" in text

    # a second tick, after a restart of the bot, sends nothing again
    await world.restart_bot()
    clock.advance(120)
    again = await make_scheduler(world.runtime.notifier, config, clock).tick()
    assert again.send.sent == 0 and len(lan.said("Đã công bố kết quả")) == 1
    assert [r.status for r in await Reminder.filter(kind="published")] == [ReminderStatus.sent]
