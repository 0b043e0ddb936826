"""The scheduler's knobs in one object, built from :class:`core.settings.Settings` by ``app``
(or directly by tests and the benchmark)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.settings import Settings
from core.timefmt import VIETNAM


def worker_name() -> str:
    """Who holds a claim in the ledger: host, process and a random suffix (unique per start)."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class SchedulerConfig:
    tz: ZoneInfo = VIETNAM
    tick_seconds: float = 30.0
    # a reminder that could not go out within this time after it was due is skipped as stale
    stale_after: timedelta = timedelta(hours=12)
    # a claim older than this is taken to belong to a sender that died: the reminder is sent
    # again (see docs/scheduler.md, "The one window")
    claim_timeout: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    retry_base: timedelta = timedelta(minutes=1)
    retry_cap: timedelta = timedelta(hours=1)
    rate_overall: float = 30.0  # messages per second, all chats together
    rate_per_chat: float = 1.0  # messages per second to one chat
    burst_seconds: float = 0.2  # overall bucket size, in seconds of the overall rate
    # deliveries in flight at once (the limiter paces them); also the most messages a crash can
    # catch between the channel's acceptance and the commit (docs/scheduler.md)
    concurrency: int = 4
    # a delivery that would wait longer than this for the limiter is put back in the ledger
    max_limiter_wait: float = 10.0
    worker: str = field(default_factory=worker_name)
    # the service's address, for links in notices (the officers' scorecard after publication)
    public_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> SchedulerConfig:
        values: dict[str, object] = {
            "tz": settings.tz,
            "tick_seconds": float(settings.scheduler_tick_seconds),
            "stale_after": timedelta(hours=settings.scheduler_stale_after_hours),
            "claim_timeout": timedelta(seconds=settings.scheduler_claim_timeout_seconds),
            "max_attempts": settings.scheduler_max_attempts,
            "rate_overall": settings.scheduler_rate_overall,
            "rate_per_chat": settings.scheduler_rate_per_chat,
            "public_url": settings.public_url.rstrip("/"),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def claim_batch(self) -> int:
        """How many reminders one claim takes: about a second of sending, so a claim never
        waits long in memory before its message goes out."""
        return max(1, min(200, int(self.rate_overall)))

    @property
    def max_hold(self) -> float:
        """The oldest a claim may be when its message is handed to the channel, in seconds.

        Half the claim timeout: a claim is only taken over (by another instance, or by this
        one after a restart) once it is a full timeout old, so a message is never started on a
        claim that someone else may take meanwhile. Delivery itself is cut at a quarter."""
        return self.claim_timeout.total_seconds() / 2

    @property
    def limiter_wait(self) -> float:
        return min(self.max_limiter_wait, self.claim_timeout.total_seconds() / 4)

    @property
    def notify_timeout(self) -> float:
        return self.claim_timeout.total_seconds() / 4

    def backoff(self, attempts: int) -> timedelta:
        """Wait before retry number ``attempts`` (1, 2, ...): doubling from ``retry_base``."""
        seconds = self.retry_base.total_seconds() * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.retry_cap.total_seconds()))
