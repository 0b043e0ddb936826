"""The scheduler object the application starts: APScheduler only ticks, the database decides.

Every ``tick_seconds`` an ``AsyncIOScheduler`` job (in the service's own event loop, so the
Tortoise context of the app's lifespan is visible) runs one pass if this instance leads:

    plan (due reminders into the ledger) → autolock (deadlines) → send (drain the ledger)

When sending outlasts a tick (a backlog after downtime: 10,000 reminders take five minutes at
30 a second), the job keeps planning and locking every tick alongside the sending, so deadlines
are enforced on time and the sender never pauses for them. :meth:`Scheduler.tick` runs exactly
one pass, sequentially, at a given time: for tests (with an injected clock) and for the CLI.

With no channel (the :class:`~core.notify.NullNotifier`, bot off) the scheduler plans and locks
but does not send: every reminder would otherwise be marked failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.metrics import SCHEDULER_LAST_TICK, SCHEDULER_LEADER, SCHEDULER_TICKS
from core.notify import Notifier, NullNotifier
from core.settings import Settings
from scheduler.autolock import LockReport, autolock
from scheduler.config import SchedulerConfig
from scheduler.leader import AlwaysLeader, Leadership, leadership_for
from scheduler.limiter import Limiter, Limits, MemoryLimiter, RedisLimiter
from scheduler.planning import Planner, PlanReport
from scheduler.sender import Sender, SendReport, utcnow

log = logging.getLogger("cchc.scheduler")

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class TickReport:
    at: datetime
    leader: bool
    plan: PlanReport = field(default_factory=PlanReport)
    locks: LockReport = field(default_factory=LockReport)
    send: SendReport = field(default_factory=SendReport)


def limits_of(config: SchedulerConfig) -> Limits:
    return Limits(config.rate_overall, config.rate_per_chat, config.burst_seconds)


class Scheduler:
    def __init__(
        self,
        notifier: Notifier,
        config: SchedulerConfig | None = None,
        *,
        leader: Leadership | None = None,
        limiter: Limiter | None = None,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config or SchedulerConfig()
        self.leader = leader or AlwaysLeader()
        self.limiter = limiter or MemoryLimiter(limits_of(self.config))
        self.clock = clock
        self.sleep = sleep
        self.planner = Planner(self.config)
        self.sender = Sender(notifier, self.limiter, self.config, clock=clock, sleep=sleep)
        self._aps: Any = None
        self._stopping = False
        self._running: asyncio.Task[None] | None = None
        self._owned: list[Any] = []  # clients built by from_settings, closed on stop
        self._warned = False
        # what /healthz reports; wall-clock times (an injected clock is business time)
        self.is_leader: bool | None = None  # what the last leadership check found
        self.last_tick_at: datetime | None = None  # when the last pass completed
        # the exception type of the last pass when it failed (cleared by one that completes)
        self.last_error: str | None = None
        self.started_at: datetime | None = None

    @classmethod
    def from_settings(cls, settings: Settings, notifier: Notifier, **kwargs: Any) -> Scheduler:
        """The production wiring: advisory-lock leadership on PostgreSQL, a Redis limiter when
        ``CCHC_REDIS_URL`` is set (the buckets are then shared with every instance)."""
        config = SchedulerConfig.from_settings(settings)
        owned: list[Any] = []
        limiter: Limiter | None = kwargs.pop("limiter", None)
        if limiter is None and settings.redis_url:
            from redis.asyncio import Redis

            client = Redis.from_url(settings.redis_url)
            owned.append(client)
            limiter = RedisLimiter(
                client, limits_of(config), prefix=f"{settings.redis_prefix}:limiter"
            )
        scheduler = cls(
            notifier,
            config,
            leader=kwargs.pop("leader", None) or leadership_for(settings.database_url),
            limiter=limiter,
            **kwargs,
        )
        scheduler._owned = owned
        return scheduler

    # -- one pass ---------------------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> TickReport:
        """One pass: plan, lock, send. ``now`` defaults to the clock; sending uses the clock
        (time passes while it waits for the limiter)."""
        now = now or self.clock()
        report = TickReport(now, await self._is_leader())
        if not report.leader:
            self._ticked()
            return report
        report.plan, report.locks = await self._plan_and_lock(now)
        self._ticked()
        if self._can_send:
            report.send = await self.sender.run(stopping=lambda: self._stopping)
        self._log(report)
        return report

    async def _is_leader(self) -> bool:
        self.is_leader = await self.leader.is_leader()
        SCHEDULER_LEADER.set(1 if self.is_leader else 0)
        return self.is_leader

    def _ticked(self) -> None:
        """A pass (leadership check, and planning and locking when leading) completed."""
        self.last_tick_at = datetime.now(UTC)
        self.last_error = None
        SCHEDULER_TICKS.labels(outcome="ok").inc()
        SCHEDULER_LAST_TICK.set(self.last_tick_at.timestamp())

    # -- state, for health checks -----------------------------------------------------------

    @property
    def running(self) -> bool:
        """Ticking in this process (started and not stopped)."""
        return self._aps is not None and not self._stopping

    @property
    def can_send(self) -> bool:
        """Whether a channel (the bot) is wired; without one reminders wait in the ledger."""
        return not isinstance(self.sender.notifier, NullNotifier)

    def _log(self, report: TickReport) -> None:
        s = report.send
        if report.plan.planned or report.locks.changed or s.sent or s.failed or s.throttled:
            log.info(
                "scheduler: planned %d (stale %d), locks %d, sent %d, skipped %d, blocked %d, "
                "retried %d, failed %d, 429s %d, postponed %d",
                report.plan.planned,
                report.plan.stale,
                report.locks.changed,
                s.sent,
                s.skipped,
                s.blocked,
                s.retried,
                s.failed,
                s.throttled,
                s.postponed,
            )

    async def _plan_and_lock(self, now: datetime) -> tuple[PlanReport, LockReport]:
        return await self.planner.plan(now), await autolock(now, self.config)

    async def _job(self) -> None:
        """The APScheduler job: plan and lock, then drain the ledger; while the draining lasts
        longer than a tick, plan and lock again every tick beside it."""
        if self._running is not None:
            return  # the previous run is still draining, and planning on its own
        self._running = asyncio.current_task()
        loop = asyncio.get_running_loop()
        sending: asyncio.Task[SendReport] | None = None
        try:
            report = TickReport(self.clock(), await self._is_leader())
            if not report.leader:
                self._ticked()
                return
            report.plan, report.locks = await self._plan_and_lock(report.at)
            self._ticked()
            if not self._can_send:
                return
            leading = True
            sending = asyncio.create_task(
                self.sender.run(stopping=lambda: self._stopping or not leading)
            )
            last = loop.time()
            while not sending.done():
                await asyncio.wait({sending}, timeout=min(1.0, self.config.tick_seconds))
                if sending.done() or self._stopping:
                    continue
                if loop.time() - last >= self.config.tick_seconds:
                    last = loop.time()
                    leading = await self._is_leader()
                    if leading:
                        plan, locks = await self._plan_and_lock(self.clock())
                        report.plan.planned += plan.planned
                        report.locks.locked += locks.locked
                    self._ticked()
            report.send = sending.result()
            self._log(report)
        except Exception as exc:
            self.last_error = type(exc).__name__  # the details go to the log, not to /healthz
            SCHEDULER_TICKS.labels(outcome="error").inc()
            log.exception("scheduler tick failed; retrying at the next tick")
        except BaseException:
            if sending is not None and not sending.done():
                sending.cancel()  # cancelled by stop() after its timeout: stop sending too
                await asyncio.gather(sending, return_exceptions=True)
            raise
        finally:
            self._running = None

    @property
    def _can_send(self) -> bool:
        if isinstance(self.sender.notifier, NullNotifier):
            if not self._warned:
                log.warning("scheduler: no channel is running; reminders wait in the ledger")
                self._warned = True
            return False
        return True

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, *, first_tick_in: float = 1.0) -> None:
        """Start ticking in the running event loop (call from the app's lifespan)."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        if self._aps is not None:
            return
        self._stopping = False
        self._aps = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone="UTC")
        self._aps.add_job(
            self._job,
            "interval",
            seconds=self.config.tick_seconds,
            id="cchc-scheduler-tick",
            max_instances=2,  # a second one returns at once while the first drains
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=utcnow() + timedelta(seconds=first_tick_in),
        )
        self._aps.start()
        self.started_at = datetime.now(UTC)
        log.info("scheduler started (tick every %ss)", self.config.tick_seconds)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop ticking, let the deliveries in flight finish (so none is cut between the
        channel's acceptance and the commit), give up leadership."""
        self._stopping = True
        if self._aps is not None:
            self._aps.pause()  # no new runs; shutting down now would cancel the running one
        running = self._running
        if running is not None and not running.done():
            try:
                await asyncio.wait_for(asyncio.shield(running), timeout)
            except TimeoutError:
                log.warning("scheduler: deliveries still running after %ss; cancelling", timeout)
                running.cancel()
            except Exception:
                log.exception("scheduler: the last tick failed while stopping")
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        await self.leader.release()
        for client in self._owned:
            await client.aclose()
        self._owned = []
