"""The sender: claim due reminders, decide, wait for the limiter, send, mark.

One run drains what is due (or stops when the scheduler stops): a producer claims small batches from
the ledger, a few consumers deliver them concurrently, and the limiter paces the consumers so
neither Telegram's overall limit nor its per-chat limit is ever exceeded, however large the
backlog after downtime.

Outcomes, each written with a compare-and-set on the claim:

* accepted by the channel → ``sent`` (with the channel's message id), committed right away: the
  only moment a crash can cause a duplicate is between the channel's acceptance and this commit
  (docs/scheduler.md, "The one window");
* ``RetryAfter`` (HTTP 429) → every chat pauses for ``retry_after``; the reminder goes back to
  ``planned`` for after the pause, without counting an attempt (a storm of 429s delays
  reminders, it never loses them);
* ``Unreachable(blocked=True)`` (HTTP 403) → ``blocked``, and the officer's ``bot_blocked_at``
  is set for the progress board; other ``Unreachable`` → ``failed``;
* ``DeliveryError`` (network, 5xx) → back to ``planned`` with exponential backoff, ``failed``
  after ``max_attempts``;
* no longer useful (submitted, deadline moved, stale...) → ``skipped`` with the reason; quiet
  hours → back to ``planned`` for the morning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core.audit import record
from core.metrics import REMINDERS_FAILED, REMINDERS_SENT
from core.models import Officer
from core.notify import DeliveryError, Notifier, RetryAfter, Unreachable
from scheduler.config import SchedulerConfig
from scheduler.delivery import Context, Decision, decide
from scheduler.digests import SCHEDULER, digest_snapshot, post_digest
from scheduler.ledger import Ledger
from scheduler.limiter import Limiter
from scheduler.models import Reminder, ReminderStatus

log = logging.getLogger("cchc.scheduler")

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SendReport:
    sent: int = 0
    posted: int = 0  # digests made available to the back-office
    skipped: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    throttled: int = 0  # 429s received
    postponed: int = 0  # quiet hours, or the limiter asked for a long wait
    errors: int = 0  # unexpected errors; the claim is recovered after the claim timeout
    lost_claims: int = 0  # a mark found the claim taken over (this sender was too slow)


class Sender:
    def __init__(
        self,
        notifier: Notifier,
        limiter: Limiter,
        config: SchedulerConfig,
        *,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.notifier = notifier
        self.limiter = limiter
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.ledger = Ledger(config.worker)

    async def run(self, *, stopping: Callable[[], bool] = lambda: False) -> SendReport:
        """Deliver what is due now; stop claiming when ``stopping()`` turns true, and always
        finish the deliveries already claimed."""
        report = SendReport()
        ctx = Context(self.config)
        batch = self.config.claim_batch
        low_water = max(1, batch // 2)
        queue: asyncio.Queue[Reminder | None] = asyncio.Queue()
        room = asyncio.Event()
        drained = asyncio.Event()  # nothing queued or being delivered
        drained.set()
        pending = 0

        async def consume() -> None:
            nonlocal pending
            try:
                while True:
                    reminder = await queue.get()
                    room.set()
                    if reminder is None:
                        return
                    try:
                        await self.deliver(reminder, ctx, report)
                    except Exception:
                        report.errors += 1
                        log.exception("reminder %s: delivery crashed; left claimed", reminder.id)
                    pending -= 1
                    if pending == 0:
                        drained.set()
            finally:
                room.set()  # wake the producer, also when this consumer dies
                drained.set()

        def check_workers() -> None:
            for dead in [w for w in workers if w.done()]:
                dead.result()  # a consumer died of a BaseException: raise it here

        workers = [asyncio.create_task(consume()) for _ in range(max(1, self.config.concurrency))]
        try:
            while not stopping():
                while queue.qsize() >= low_water:
                    room.clear()
                    await room.wait()
                    check_workers()
                claimed = await self.ledger.claim(
                    self.clock(), limit=batch, claim_timeout=self.config.claim_timeout
                )
                if not claimed:
                    # deliveries in flight may put rows back for a moment later (a 429, a
                    # retry): wait for them, then for the next due row if it is near
                    await drained.wait()
                    check_workers()
                    if not await self._wait_for_next(stopping):
                        break
                    continue
                await ctx.prefetch(claimed)
                pending += len(claimed)
                drained.clear()
                for reminder in claimed:
                    queue.put_nowait(reminder)
            for _ in workers:
                queue.put_nowait(None)
            await asyncio.gather(*workers)
        except BaseException:
            # cancelled (shutdown timed out) or crashed: stop every delivery where it is; the
            # claims left behind are recovered after the claim timeout
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        return report

    async def _wait_for_next(self, stopping: Callable[[], bool]) -> bool:
        """Sleep until the next row becomes claimable if that is within a tick; False when there
        is nothing that soon."""
        soon = await self.ledger.next_due(self.config.claim_timeout)
        if soon is None:
            return False
        wait = (soon - self.clock()).total_seconds()
        if wait > self.config.tick_seconds:
            return False
        while wait > 0 and not stopping():
            step = min(wait, 1.0)
            await self.sleep(step)
            wait -= step
        return True

    async def deliver(self, reminder: Reminder, ctx: Context, report: SendReport) -> None:
        now = self.clock()
        decision = await decide(reminder, now, ctx)
        if decision.action == "post":
            # the figures are read first: the transaction that marks the row stays short
            snapshot = await digest_snapshot(reminder.subject, now)
            async with in_transaction():
                if not await self.ledger.sent(reminder, now, None):
                    report.lost_claims += 1
                elif snapshot is not None:
                    await post_digest(*snapshot)
            report.posted += 1
            return
        if decision.action == "skip":
            await self.ledger.finish(reminder, ReminderStatus.skipped, _en(decision))
            report.skipped += 1
            return
        if decision.action == "block":
            await self._blocked(reminder, decision.officer_id, now, _en(decision))
            report.blocked += 1
            REMINDERS_FAILED.labels(reason="blocked", outcome="final").inc()
            return
        if decision.action == "wait":
            assert decision.not_before is not None
            await self.ledger.release(reminder, decision.not_before, _en(decision))
            report.postponed += 1
            return
        if await self._send(reminder, decision, report) and decision.officer_id is not None:
            ctx.forget_officer(decision.officer_id)  # it blocked the bot: re-read it next time

    async def _send(self, reminder: Reminder, decision: Decision, report: SendReport) -> bool:
        """Send one message and mark the outcome; True when the officer turned out to have
        blocked the bot."""
        assert decision.notice is not None and decision.chat is not None
        waited = 0.0
        while True:
            wait = await self.limiter.try_acquire(decision.chat)
            if wait <= 0:
                break
            if waited + wait > self.config.limiter_wait:
                later = self.clock() + timedelta(seconds=wait)
                await self.ledger.release(reminder, later, "rate limit: waiting for the limiter")
                report.postponed += 1
                return False
            await self.sleep(wait)
            waited += wait
        claimed_at = reminder.claimed_at or self.clock()
        if (self.clock() - claimed_at).total_seconds() >= self.config.max_hold:
            # too old to start: someone may take this claim over before we could commit
            await self.ledger.release(reminder, self.clock(), "claim too old to send; put back")
            report.postponed += 1
            return False
        try:
            message_id = await asyncio.wait_for(
                self.notifier.notify(decision.notice), self.config.notify_timeout
            )
        except RetryAfter as exc:
            await self.limiter.pause(exc.retry_after)
            later = self.clock() + timedelta(seconds=exc.retry_after)
            await self.ledger.release(reminder, later, f"429: retry after {exc.retry_after}s")
            report.throttled += 1
            REMINDERS_FAILED.labels(reason="rate_limited", outcome="retry").inc()
            return False
        except Unreachable as exc:
            if exc.blocked:
                await self._blocked(reminder, decision.officer_id, self.clock(), str(exc))
                report.blocked += 1
                REMINDERS_FAILED.labels(reason="blocked", outcome="final").inc()
                return True
            await self.ledger.finish(reminder, ReminderStatus.failed, f"unreachable: {exc}")
            report.failed += 1
            REMINDERS_FAILED.labels(reason="unreachable", outcome="final").inc()
            return False
        except DeliveryError as exc:
            await self._retry(reminder, f"delivery error: {exc}", report, "delivery_error")
            return False
        except TimeoutError:
            # the channel did not answer: the message may or may not have gone out (the same
            # uncertainty as a crash in the window); retried like any delivery error
            await self._retry(reminder, "delivery timed out", report, "timeout")
            return False
        except Exception as exc:  # the notifier broke its contract; treat it as retryable
            log.exception("notifier raised an unexpected error for reminder %s", reminder.id)
            await self._retry(reminder, f"unexpected error: {exc!r}", report, "notifier_error")
            return False
        # The one window: the channel has accepted the message; until this commit lands, a
        # crash makes the reminder look unsent and it is sent again after the claim timeout.
        REMINDERS_SENT.inc()  # accepted by the channel, whether or not the claim still held
        if await self.ledger.sent(reminder, self.clock(), message_id):
            report.sent += 1
        else:
            report.lost_claims += 1
            log.warning("reminder %s was sent but its claim had expired", reminder.id)
        return False

    async def _retry(
        self, reminder: Reminder, reason: str, report: SendReport, kind: str = "delivery_error"
    ) -> None:
        attempts = reminder.attempts + 1
        if attempts >= self.config.max_attempts:
            await self.ledger.failed_attempt(reminder, reason, retry_at=None)
            report.failed += 1
            REMINDERS_FAILED.labels(reason=kind, outcome="final").inc()
        else:
            retry_at = self.clock() + self.config.backoff(attempts)
            await self.ledger.failed_attempt(reminder, reason, retry_at=retry_at)
            report.retried += 1
            REMINDERS_FAILED.labels(reason=kind, outcome="retry").inc()

    async def _blocked(
        self, reminder: Reminder, officer_id: int | None, now: datetime, reason: str
    ) -> None:
        async with in_transaction():
            await self.ledger.finish(reminder, ReminderStatus.blocked, reason)
            if officer_id is None:
                return
            changed = await Officer.filter(id=officer_id, bot_blocked_at__isnull=True).update(
                bot_blocked_at=now
            )
            if changed:
                officer = await Officer.get(id=officer_id)
                await record(
                    SCHEDULER,
                    "officer.bot_blocked",
                    "officer",
                    officer_id,
                    unit_id=officer.unit_id,  # type: ignore[attr-defined]
                    old={"bot_blocked_at": None},
                    new={"bot_blocked_at": now},
                    reason=reason,
                )


def _en(decision: Decision) -> str:
    return decision.reason.render("en")
