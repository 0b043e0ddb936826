"""A province in miniature for the scheduler: one period, units with focal officers and leaders
bound to the bot, a fake clock that never sleeps, and notifiers that record or misbehave."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from core.audit import Actor
from core.models import Channel, Officer, OfficerRole, Unit, UnitGroup
from core.notify import Notice
from core.timefmt import VIETNAM
from forms.criteria import import_draft
from forms.criteria_workbook import read_workbook
from forms.models import Assessment, Period
from forms.periods import GroupPlan, create_period
from scheduler.config import SchedulerConfig
from scheduler.limiter import Limits, MemoryLimiter
from scheduler.ticker import Scheduler
from tests.factories import workbook_bytes

SYSTEM = Actor.system(Channel.cli, "test")


def local(*args: int) -> datetime:
    """A Vietnamese wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=VIETNAM).astimezone(UTC)  # type: ignore[misc]


OPENS = local(2026, 11, 1, 8, 0)
DEADLINE = local(2026, 12, 1, 17, 0)  # a Tuesday, 17:00 in Hà Nội


class FakeClock:
    """Wall time and monotonic time that move only when told to, or when someone sleeps."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._mono = 1_000.0
        self.slept = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        assert when >= self._now, "time does not go backwards"
        self.advance((when - self._now).total_seconds())

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class Sent:
    notice: Notice
    at: datetime
    mono: float


class FakeTelegram:
    """A notifier that records what it sends and when; scripted failures per call."""

    def __init__(self, clock: FakeClock, chats: dict[int, int] | None = None) -> None:
        self.clock = clock
        self.sent: list[Sent] = []
        self.calls = 0
        self.script: list[Exception | None] = []  # popped per call; None = accept
        self.chats = chats or {}
        self.fail_with: Exception | BaseException | None = None  # raised on every call

    async def notify(self, notice: Notice) -> int | None:
        self.calls += 1
        await asyncio.sleep(0)
        if self.fail_with is not None:
            raise self.fail_with
        if self.script:
            outcome = self.script.pop(0)
            if outcome is not None:
                raise outcome
        self.sent.append(Sent(notice, self.clock.now(), self.clock.monotonic()))
        return 10_000 + len(self.sent)

    @property
    def officers(self) -> list[int]:
        return [s.notice.officer_id for s in self.sent]


@dataclass
class World:
    period: Period
    units: list[Unit]
    sheets: dict[str, Assessment]  # by unit code
    focal: dict[str, list[Officer]] = field(default_factory=dict)
    leaders: dict[str, Officer] = field(default_factory=dict)

    async def sheet(self, code: str) -> Assessment:
        return await Assessment.get(id=self.sheets[code].id)


async def build_world(
    units: int = 3, focal_per_unit: int = 1, *, policy: dict[str, object] | None = None
) -> World:
    await import_draft(SYSTEM, read_workbook(workbook_bytes()))
    group = await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    created: list[Unit] = []
    focal: dict[str, list[Officer]] = {}
    leaders: dict[str, Officer] = {}
    chat = 500_000
    for n in range(units):
        unit = await Unit.create(code=f"U{n + 1}", name=f"Sở số {n + 1}", group=group)
        created.append(unit)
        focal[unit.code] = []
        for k in range(focal_per_unit):
            chat += 1
            focal[unit.code].append(
                await Officer.create(
                    unit=unit,
                    full_name=f"Cán bộ {n + 1}.{k + 1}",
                    telegram_user_id=chat,
                    telegram_chat_id=chat,
                )
            )
        chat += 1
        leaders[unit.code] = await Officer.create(
            unit=unit,
            full_name=f"Lãnh đạo {n + 1}",
            role=OfficerRole.leader,
            telegram_user_id=chat,
            telegram_chat_id=chat,
        )
    period = await create_period(
        SYSTEM,
        code="P2026",
        name="Đợt 2026",
        year=2026,
        opens_at=OPENS,
        closes_at=DEADLINE,
        explanation_due_at=local(2027, 1, 15, 17, 0),
        groups=[GroupPlan("SO", "TEST-1")],
    )
    if policy is not None:
        period.reminder_policy = {**period.reminder_policy, **policy}
        await period.save()
    sheets = {
        u.code: await Assessment.get(period_id=period.id, unit_id=u.id)  # type: ignore[attr-defined]
        for u in created
    }
    return World(period, created, sheets, focal, leaders)


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local(2026, 11, 24, 17, 0))  # the "-7d" reminder is due


@pytest.fixture
def config() -> SchedulerConfig:
    return SchedulerConfig(
        tick_seconds=30,
        claim_timeout=timedelta(seconds=120),
        retry_base=timedelta(seconds=60),
        max_attempts=3,
        worker="test-worker",
    )


@pytest.fixture
def telegram(clock: FakeClock) -> FakeTelegram:
    return FakeTelegram(clock)


def make_scheduler(
    notifier: object, config: SchedulerConfig, clock: FakeClock, **kwargs: object
) -> Scheduler:
    limiter = MemoryLimiter(
        Limits(config.rate_overall, config.rate_per_chat, config.burst_seconds),
        clock=clock.monotonic,
    )
    return Scheduler(
        notifier,  # type: ignore[arg-type]
        config,
        limiter=limiter,
        clock=clock.now,
        sleep=clock.sleep,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def scheduler(telegram: FakeTelegram, config: SchedulerConfig, clock: FakeClock) -> Scheduler:
    return make_scheduler(telegram, config, clock)
