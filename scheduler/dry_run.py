"""What a tick would do now, and why, without changing anything (``cchc remind --dry-run``).

It runs the same planning, locking and per-reminder decision as a real tick, with writes
turned off: reminders that planning would add, reminders already in the ledger that a claim
would take (due, retries, claims of a dead sender), and the locks that are due, whose notices
would follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.i18n import Msg
from core.models import Officer
from scheduler.autolock import autolock
from scheduler.config import SchedulerConfig
from scheduler.delivery import Context, decide, parse_ref
from scheduler.ledger import Ledger
from scheduler.models import Reminder
from scheduler.planning import Planner


@dataclass(frozen=True)
class DryRunItem:
    """One line of the dry run. ``action`` is what the sender would do: send, skip, block,
    wait (quiet hours) or post (the secretariat's digest)."""

    action: str
    kind: str
    recipient: str
    officer_name: str
    deadline_at: datetime
    reason: Msg
    message: Msg | None
    in_ledger: bool  # False: planning would add it now

    def render(self, locale: str | None = None) -> str:
        return self.reason.render(locale)


@dataclass(frozen=True)
class DryRun:
    now: datetime
    items: list[DryRunItem]
    would_lock: list[int]  # assessment ids whose self-assessment would lock now
    would_lock_explanations: list[int]

    @property
    def to_send(self) -> list[DryRunItem]:
        return [i for i in self.items if i.action == "send"]


async def dry_run(now: datetime, config: SchedulerConfig, *, limit: int = 1000) -> DryRun:
    """List what would be sent at ``now`` and why; nothing is written."""
    planned = await Planner(config).plan(now, write=False)
    existing = await Ledger.due(now, config.claim_timeout, limit=limit)
    locks = await autolock(now, config, write=False)
    ctx = Context(config)
    names: dict[int, str] = {}
    items: list[DryRunItem] = []
    rows: list[tuple[Reminder, bool]] = [(r, True) for r in existing]
    rows += [(r, False) for r in planned.rows if r.status == "planned"]
    for reminder, in_ledger in rows[:limit]:
        decision = await decide(reminder, now, ctx)
        who, officer_id = parse_ref(reminder.recipient)
        if who == "officer" and officer_id is not None and officer_id not in names:
            officer = await Officer.get_or_none(id=officer_id)
            names[officer_id] = officer.full_name if officer else ""
        notice = decision.notice
        items.append(
            DryRunItem(
                action=decision.action,
                kind=reminder.kind,
                recipient=reminder.recipient,
                officer_name=names.get(officer_id or 0, ""),
                deadline_at=reminder.deadline_at,
                reason=decision.reason,
                message=notice.msg if notice else None,
                in_ledger=in_ledger,
            )
        )
    return DryRun(now, items, locks.locked, locks.explanations_locked)
