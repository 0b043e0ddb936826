"""SIGKILL the service while 50 officers answer through the sandbox Bot API.

The sandbox runs in its own process, so chats, pending updates and what each officer saw
survive the kill. The officers behave as people do: they act on the card in front of them,
wait for the bot, and when nothing comes after the service is back they do it again. After the
restart every answer the bot confirmed is in the database, with an audit event, and every
officer finishes the sheet without /start: the bot still knows which item each one is on.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.audit import Actor
from core.invites import create_invite
from core.models import AuditEvent, Channel, Officer, Unit, UnitGroup
from forms.criteria import import_draft
from forms.criteria_workbook import read_workbook
from forms.models import Answer, Assessment
from forms.periods import GroupPlan, create_period
from tests.factories import workbook_bytes
from tests.faults.procs import SandboxProcess, ServiceProcess, service_env
from tests.waiting import happens, until

OFFICERS = 50
EARLIER = "được gửi trước khi tiêu chí đang mở hiện ra"  # a typed value meant for an older card
NOT_SAVED = "hệ thống không còn nhớ anh/chị đang ở tiêu chí nào"
PATIENCE = 3.0  # seconds after the restarted bot polls again: time for the backlog to drain
USER_BASE = 930_000
SYSTEM = Actor.system(Channel.cli, "fault-test")


def row(code: str, level: str, title: str, top: str, rule: str = "", params: str = "") -> tuple:
    """A workbook row: self-assessed, no evidence required, no "not applicable"."""
    return (code, level, "Tự đánh giá", title, top, rule, params, "", "", "Không", "", "Không")


FIELD, CRITERION, ITEM = "Lĩnh vực", "Tiêu chí", "Tiêu chí thành phần"
# A small sheet without required evidence, so every answer moves the walk on: three items
# answered by buttons (they edit the card in place), two typed (a new card each time).
SET_ROWS = [
    row("1", FIELD, "CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC", "4"),
    row("1.1", CRITERION, "Kế hoạch CCHC năm", "4"),
    row("1.1.1", ITEM, "Ban hành kế hoạch CCHC năm", "1", "levels",
        "Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0"),
    row("1.1.2", ITEM, "Xác định đầy đủ nhiệm vụ và bố trí kinh phí", "1", "yes_no"),
    row("1.1.3", ITEM, "Mức độ thực hiện kế hoạch", "2", "percent_tiers",
        "90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0"),
    row("2", FIELD, "KỶ LUẬT, KỶ CƯƠNG", "3"),
    row("2.1", CRITERION, "Chấp hành kỷ luật", "3"),
    row("2.1.1", ITEM, "Số quy chế ban hành đúng quy định", "2", "count", "each = 0,5; cap = 2"),
    row("2.1.2", ITEM, "Vi phạm kỷ luật hành chính", "1", "deduction",
        "Vi phạm nhẹ = 50%; Vi phạm nghiêm trọng = 100%"),
]  # fmt: skip


@dataclass(frozen=True)
class Step:
    code: str
    title: str
    press: str | None  # a button label, or None: the value is typed
    typed: str | None
    shown: str  # what the bot confirms: "value → score/max điểm"
    score: Decimal


PLAN = [
    Step("1.1.1", "Ban hành kế hoạch CCHC năm", "Ban hành muộn", None,
         "Ban hành muộn → 0,5/1 điểm", Decimal("0.5")),
    Step("1.1.2", "Xác định đầy đủ nhiệm vụ và bố trí kinh phí", "Có", None,
         "Có → 1/1 điểm", Decimal(1)),
    Step("1.1.3", "Mức độ thực hiện kế hoạch", None, "95",
         "95% → 2/2 điểm", Decimal(2)),
    Step("2.1.1", "Số quy chế ban hành đúng quy định", None, "3",
         "3 → 1,5/2 điểm", Decimal("1.5")),
    Step("2.1.2", "Vi phạm kỷ luật hành chính", "Vi phạm nhẹ", None,
         "Vi phạm nhẹ → 0,5/1 điểm", Decimal("0.5")),
]  # fmt: skip
BY_CODE = {s.code: s for s in PLAN}


async def seed(now: datetime) -> list[tuple[int, int, str]]:
    """50 units of one group, one focal officer each, an open period; (officer, sheet, code)."""
    await import_draft(SYSTEM, read_workbook(workbook_bytes(SET_ROWS, {"total_max": "7"})))
    group = await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    officers = []
    for n in range(OFFICERS):
        unit = await Unit.create(code=f"U{n:02d}", name=f"Sở thử {n:02d}", group=group)
        officers.append(await Officer.create(unit=unit, full_name=f"Cán bộ {n:02d}"))
    await create_period(
        SYSTEM,
        code="P-KILL",
        name="Đợt thử",
        year=now.year,
        opens_at=now - timedelta(days=5),
        closes_at=now + timedelta(days=5),
        groups=[GroupPlan("SO", "TEST-1")],
    )
    out = []
    for officer in officers:
        sheet = await Assessment.get(unit_id=officer.unit_id)  # type: ignore[attr-defined]
        issued = await create_invite(SYSTEM, officer.id, now=now)
        out.append((officer.id, sheet.id, issued.pretty))
    return out


def card_item(text: str) -> tuple[str | None, bool]:
    """The item an item card shows (its title line is just above "Điểm tối đa"), and whether
    it is answered."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Điểm tối đa:") and i > 0:
            code = lines[i - 1].split(". ", 1)[0]
            return code, any(rest.startswith("✅ Trả lời:") for rest in lines[i:])
    return None, False


def confirms(text: str, step: Step) -> bool:
    """The officer sees that this item is saved with this value: the notice on top of the next
    card (or of the last one)."""
    return f"✅ {step.code}. {step.title}\nTrả lời: {step.shown}" in text


def button(message: dict[str, Any], label: str) -> str:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    found = [b["callback_data"] for row in rows for b in row if b["text"].startswith(label)]
    assert found, f"no button {label!r} on {message.get('text')!r}"
    return found[0]


@dataclass
class Run:
    """What the test knows: whether the service is up, and what each officer saw."""

    sb: SandboxProcess
    epoch: int = 0  # how many times the service was killed
    polling_since: float | None = None  # monotonic; None while the service is down
    confirmed: dict[int, dict[str, str]] = field(default_factory=dict)  # user → code → shown
    anomalies: list[str] = field(default_factory=list)
    total_confirmed: int = 0
    retried: int = 0  # actions done again after the bot lost them with the process
    refused: int = 0  # retries refused because the first attempt had been saved after all
    lost_track: int = 0  # typed values the bot could not place after the restart
    kill_at: int = 0
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    def given_up(self, epoch: int) -> bool:
        """An action made before a kill that the bot has not answered long after it came
        back: the process took it down with it."""
        since = self.polling_since
        return epoch < self.epoch and since is not None and time.monotonic() - since > PATIENCE


async def officer(run: Run, user_id: int, code: str) -> None:
    """One person: binds with the invite, then answers every item of the walk."""
    sb = run.sb
    seen = run.confirmed.setdefault(user_id, {})
    sent = await sb.send_text(user_id, f"/start {code}")
    card = await wait_card(run, user_id, sent["seq"])
    while True:
        item, answered = card_item(card["text"])
        assert item is not None
        if f"đã trả lời {len(PLAN)}/{len(PLAN)}" in card["text"]:
            return
        step = BY_CODE[item]
        epoch = run.epoch
        if answered:  # shown again (a refusal, see below): go on
            if await press(sb, user_id, card, "Tiếp"):
                card = await wait_card(run, user_id, card["now"])
            else:
                card = await current_card(sb, user_id)
            continue
        if step.press is not None:
            if not await press(sb, user_id, card, step.press):
                card = await current_card(sb, user_id)  # the card changed under the finger
                continue
            after = card["now"]
        else:
            after = (await sb.send_text(user_id, step.typed or ""))["seq"]
        while True:
            reply = await sb.wait_for_bot_message(user_id, after, timeout=1.0)
            if reply is None:
                if run.given_up(epoch):  # do it again, as a person would
                    run.retried += 1
                    card = await current_card(sb, user_id)
                    break
                continue
            after = reply["seq"]
            if EARLIER in reply["text"]:
                continue  # about an older message of this officer, delivered again
            if NOT_SAVED in reply["text"]:
                # the process died between saving an answer and remembering the next card:
                # the bot says so and shows where the sheet is; the officer goes on from there
                run.lost_track += 1
                card = await current_card(sb, user_id)
                break
            if confirms(reply["text"], step):
                seen[step.code] = step.shown
                run.total_confirmed += 1
                if run.total_confirmed >= run.kill_at:
                    run.reached.set()
                card = await current_card(sb, user_id)
                break
            shown, answered = card_item(reply.get("text", ""))
            if shown == step.code and answered and f"✅ Trả lời: {step.shown}" in reply["text"]:
                # refused as already answered: an earlier attempt was saved but its
                # confirmation died with the process; the card shows the officer's own value
                run.refused += 1
                card = await current_card(sb, user_id)
                break
            run.anomalies.append(f"{user_id} answered {step.code}, the bot said: {reply['text']!r}")
            return


async def press(sb: SandboxProcess, user_id: int, card: dict[str, Any], label: str) -> bool:
    """Press a button of the card as seen; False when the card has changed meanwhile."""
    body = {"user_id": user_id, "message_id": card["message_id"], "data": button(card, label)}
    response = await sb.http.post("/control/press", json=body)
    if response.status_code == 404:
        return False
    assert response.status_code == 200, response.text
    return True


async def wait_card(run: Run, user_id: int, after: int) -> dict[str, Any]:
    """The first item card the bot shows after ``after`` (skipping the greeting)."""
    while True:
        reply = await run.sb.wait_for_bot_message(user_id, after, timeout=5.0)
        if reply is not None:
            if card_item(reply["text"])[0] is not None:
                return await current_card(run.sb, user_id)
            after = reply["seq"]


async def current_card(sb: SandboxProcess, user_id: int) -> dict[str, Any]:
    """The latest item card as the chat shows it now."""
    view = await sb.control("GET", "chat", params={"user_id": user_id, "since": 0})
    cards = [m for m in view["messages"] if card_item(m.get("text", ""))[0] is not None]
    assert cards, f"no item card in the chat of {user_id}"
    return {**max(cards, key=lambda m: m["message_id"]), "now": view["seq"]}


async def until_polling(run: Run, service: ServiceProcess, before: int) -> None:
    """Wait until the service's bot asks the sandbox for updates (more than ``before`` polls)."""

    async def polled() -> bool:
        assert service.proc is not None and service.proc.poll() is None, (
            "the service exited:\n" + service.tail()
        )
        return (await run.sb.control("GET", "info"))["polls"] > before

    await until(
        polled, "the service's bot polling the sandbox", timeout=90, every=0.1, detail=service.tail
    )
    run.polling_since = time.monotonic()


async def test_sigkill_while_fifty_officers_answer(db: str, tmp_path: Path) -> None:
    people = await seed(datetime.now(UTC))
    sb = SandboxProcess.launch(tmp_path)
    env = service_env(
        db,
        tmp_path / "data",
        CCHC_TELEGRAM_TOKEN=sb.token,
        CCHC_TELEGRAM_API_URL=sb.url,
        CCHC_BOT_MODE="polling",
        CCHC_SCHEDULER_ENABLED="false",
    )
    service = ServiceProcess(env, tmp_path)
    run = Run(sb, kill_at=len(people) * len(PLAN) * 2 // 5)
    try:
        service.start()  # while the sandbox starts too: its bot retries until it answers
        await sb.ready()
        await until_polling(run, service, before=0)
        walks = [
            asyncio.create_task(officer(run, USER_BASE + n, code))
            for n, (_officer, _sheet, code) in enumerate(people)
        ]
        await happens(run.reached, f"officers seeing {run.kill_at} answers confirmed", 60)
        service.kill()
        run.polling_since = None
        run.epoch += 1
        killed_with = run.total_confirmed

        async def waiting_for_the_bot() -> bool:  # officers keep pressing and typing
            return (await sb.control("GET", "info"))["pending_updates"] > 0

        await until(waiting_for_the_bot, "officers' actions waiting for the dead bot")
        before = (await sb.control("GET", "info"))["polls"]
        service.start()
        await until_polling(run, service, before)
        done, pending = await asyncio.wait(walks, timeout=60)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()
    finally:
        service.stop()
        await sb.stop()
    assert not run.anomalies, "\n".join(run.anomalies[:10])
    assert not pending, (
        f"{len(pending)} officers could not finish ({run.retried} retries, {run.refused} "
        f"refusals, {run.lost_track} lost places):\n{service.tail()}"
    )
    assert 0 < killed_with < len(people) * len(PLAN)

    # every answer the bot confirmed is stored with the value shown, audited, once
    answers = await Answer.filter(
        assessment_id__in=[sheet for _o, sheet, _c in people]
    ).prefetch_related("node")
    stored = {(a.assessment_id, a.node.code): a for a in answers}  # type: ignore[attr-defined]
    audited = {
        int(e.entity_id) for e in await AuditEvent.filter(action="answer.record", entity="answer")
    }
    for n, (_officer_id, sheet, _code) in enumerate(people):
        for code in run.confirmed[USER_BASE + n]:
            assert (sheet, code) in stored, (n, code)
    # and nothing else: each item holds the value meant for it (nothing filed under an item
    # the officer had not seen), applied once, with its audit event
    for (_sheet, code), answer in stored.items():
        assert answer.self_score == BY_CODE[code].score, (code, answer.declared)
        assert answer.version == 1, (code, answer.version)
        assert answer.id in audited
    assert len(answers) == len(people) * len(PLAN)
    # the bound accounts survived too: nobody had to use an invite twice
    bound = await Officer.filter(telegram_user_id__gte=USER_BASE).count()
    assert bound == len(people)
