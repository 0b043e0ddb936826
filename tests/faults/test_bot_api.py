"""The Bot API misbehaves: 5xx answers, no answer within the timeout, 429 storms.

The real bot talks to the sandbox over HTTP; the sandbox injects the faults and records when
each call arrived, so the waits the bot keeps are measured on Telegram's side. Replies to
officers are retried by the bot's session (bot/session.py); reminders by the scheduler's
ledger and limiter. Either way the officer's answer is recorded once, every message arrives
once, and ``retry_after`` and the overall rate are respected.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from core.models import AuditEvent
from forms.models import Answer
from scheduler.config import SchedulerConfig
from scheduler.models import Reminder
from scheduler.ticker import Scheduler
from tests.bot.harness import World, invite
from tests.scheduler.conftest import build_world, local
from tests.waiting import within

SLACK = 0.3  # a call already on its way when the 429 came back may still arrive


def outcomes(calls: list[dict[str, Any]]) -> list[int]:
    return [c.get("error_code", 200) for c in calls]


async def stored(sheet: dict, code: str) -> list[Answer]:
    return await Answer.filter(assessment_id=sheet["assessment"].id, node__code=code)


async def test_a_reply_refused_with_5xx_and_429_is_retried_and_the_answer_kept_once(
    world: World, sheet: dict
) -> None:
    sb = world.sandbox
    lan = world.person(880_001, "Lan")
    card = await lan.say(f"/start {await invite(sheet['lan'].id)}", "1.1.1. Ban hành kế hoạch")
    messages = len(sb.bot_messages(lan.user_id))
    edits_before = len(sb.calls("editMessageText"))
    sb.inject_failures(
        "editMessageText",
        [
            (500, "Internal Server Error", None),
            (502, "Bad Gateway", None),
            (429, "Too Many Requests: retry after 1", 1),
        ],
    )
    sb.inject_failures("answerCallbackQuery", [(500, "Internal Server Error", None)])

    card = await lan.press(card, "Ban hành đúng hạn", "Ban hành đúng hạn → 1/1 điểm")

    edits = sb.calls("editMessageText")[edits_before:]
    assert outcomes(edits) == [500, 502, 429, 200]
    gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(edits)]
    assert gaps[0] >= 0.45 and gaps[1] >= 0.95  # backoff after 5xx: 0.5 s, then 1 s
    assert gaps[2] >= 1.0  # exactly as long as Telegram asked
    await sb.wait_until(lambda: bool(sb.callback_answers(lan.user_id)), timeout=5)
    assert "1/1 điểm" in sb.callback_answers(lan.user_id)[-1]["text"]
    # the card was edited in place: no second copy in the chat
    assert len(sb.bot_messages(lan.user_id)) == messages
    answers = await stored(sheet, "1.1.1")
    assert [(a.version, a.self_score) for a in answers] == [(1, 1)]
    assert await AuditEvent.filter(action="answer.record").count() == 1


async def test_a_reply_that_times_out_is_sent_again(world: World, sheet: dict) -> None:
    sb = world.sandbox
    world.runtime.bot.session.timeout = 1  # seconds: the Bot API is slower than that below
    lan = world.person(880_001, "Lan")
    card = await lan.say(f"/start {await invite(sheet['lan'].id)}", "1.1.1. Ban hành kế hoạch")
    card = await lan.press(card, "Ban hành đúng hạn", "Ban hành đúng hạn → 1/1 điểm")

    # an edit Telegram performed but whose answer never came back: retried, shown once
    sb.inject_delays("editMessageText", [2.0], served=True)
    edits_before = len(sb.calls("editMessageText"))
    card = await lan.press(card, "Tiếp", "1.1.2. Xác định đầy đủ")
    # both attempts are over before the officer goes on (a late edit must not overwrite a
    # newer card: that is Telegram's order, not the bot's)
    await sb.wait_for_call("editMessageText", count=edits_before + 2, timeout=5)
    assert [c.get("delayed") for c in sb.calls("editMessageText")[edits_before:]] == [2.0, None]
    assert len(lan.said("1.1.2. Xác định đầy đủ")) == 1
    card = await lan.press(card, "Có", "1.1.3. Mức độ thực hiện")

    # a new card whose request was lost on the way: sent again, exactly one in the chat
    sb.inject_delays("sendMessage", [2.0], served=False)
    sends_before = len(sb.calls("sendMessage"))
    messages = len(sb.bot_messages(lan.user_id))
    card = await lan.say("95%", "95% → 2/2 điểm")
    await sb.wait_for_call("sendMessage", count=sends_before + 2, timeout=5)
    sends = sb.calls("sendMessage")[sends_before:]
    assert [(c.get("delayed"), outcomes([c])[0]) for c in sends] == [(2.0, 504), (None, 200)]
    assert sends[1]["time"] - sends[0]["time"] >= 1.0  # the bot gave up after its timeout
    assert len(sb.bot_messages(lan.user_id)) == messages + 1
    assert len(lan.said("95% → 2/2 điểm")) == 1
    for code, score in (("1.1.1", 1), ("1.1.2", 1), ("1.1.3", 2)):
        assert [(a.version, a.self_score) for a in await stored(sheet, code)] == [(1, score)]


async def test_reminders_survive_5xx_timeouts_and_429_storms_within_the_limits(
    bare_world: World,
) -> None:
    sb = bare_world.sandbox
    world = await build_world(units=20)
    focal = [o for officers in world.focal.values() for o in officers]
    for officer in focal:  # each has written to the bot once, so the bot may write to them
        sent = await sb.send_text(officer.telegram_user_id, "/help")
        await sb.wait_for_bot_message(officer.telegram_user_id, after=sent["seq"])
    quiet_seq = sb.seq
    bare_world.runtime.bot.session.timeout = 1
    sb.inject_delays("sendMessage", [2.0], served=False)
    sb.inject_failures(
        "sendMessage",
        [
            (500, "Internal Server Error", None),
            (429, "Too Many Requests: retry after 1", 1),
            (502, "Bad Gateway", None),
            (429, "Too Many Requests: retry after 2", 2),
            (429, "Too Many Requests: retry after 1", 1),
        ],
    )
    rate = 10.0
    config = SchedulerConfig(
        worker="faults", rate_overall=rate, retry_base=timedelta(seconds=1), max_attempts=5
    )
    # wall time runs as usual, from an afternoon when the "7 days before" reminder is due
    started, due = datetime.now(UTC), local(2026, 11, 24, 17, 0)
    scheduler = Scheduler(
        bare_world.runtime.notifier, config, clock=lambda: due + (datetime.now(UTC) - started)
    )
    calls_before = len(sb.calls("sendMessage"))

    async def all_sent() -> None:
        while {r.status.value for r in await Reminder.filter(kind="self_assessment")} != {"sent"}:
            await scheduler.tick()
        await sb.wait_until(lambda: all("ok" in c for c in sb.calls("sendMessage")), timeout=5)

    await within(40, all_sent(), "every reminder sent through the failing Bot API")

    reminders = await Reminder.filter(kind="self_assessment")
    assert len(reminders) == len(focal) == 20
    # every officer got exactly one reminder: nothing lost, nothing doubled
    for officer in focal:
        chat = [
            m
            for m in sb.chat(officer.telegram_user_id)
            if m["seq"] > quiet_seq and m["from"].get("is_bot")
        ]
        assert len(chat) == 1, (officer.full_name, [m["text"] for m in chat])
    calls = sb.calls("sendMessage")[calls_before:]
    assert sorted(outcomes(calls)) == [200] * 20 + [429, 429, 429, 500, 502, 504]
    # nothing was sent while a retry_after was running
    for refused in (c for c in calls if c.get("error_code") == 429):
        began = refused["time"] + SLACK
        ends = refused["time"] + int(refused["description"].rsplit(" ", 1)[-1])
        assert not [c for c in calls if began < c["time"] < ends], refused["description"]
    # and never faster than the overall rate (plus the small burst the limiter allows)
    times = sorted(c["time"] for c in calls if "error_code" not in c)
    burst = max(1, rate * config.burst_seconds)
    for i, first in enumerate(times):
        assert len([t for t in times[i:] if t < first + 1.0]) <= rate + burst
