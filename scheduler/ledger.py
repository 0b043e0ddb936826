"""The reminders ledger: idempotent inserts, atomic claims, and the marks after delivery.

Every state change is a compare-and-set on the row's status (and, after a claim, on the claim
token), so two senders can never both own a reminder, and a sender whose claim expired cannot
overwrite what another sender did since:

* **claim**: ``planned`` (due, retry time reached) → ``claimed`` with a token unique to this
  claim; a ``claimed`` row whose claim is older than the claim timeout is taken over (its sender
  died). One transaction picks the candidates (whole rows) and updates them with the same
  condition, so the ``UPDATE`` is the compare-and-set; when it changed every picked row, the
  picked rows are the claim and are not read again. On PostgreSQL the pick is ``SELECT … FOR
  UPDATE SKIP LOCKED``, so concurrent senders skip each other's rows instead of queueing; SQLite
  has no row locks (Tortoise leaves the clause out), runs one writer at a time, across
  processes too, and needs no transaction there.
* **mark** (sent, blocked, skipped, failed, retry, release): only while the row is still
  ``claimed`` by the same token.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from forms.models import Assessment, Period
from scheduler.models import Reminder, ReminderStatus

Key = tuple[str, str, datetime, str]  # recipient, subject, deadline_at, offset_key

_CHUNK = 500
_claims = itertools.count(1)


def key_of(reminder: Reminder) -> Key:
    return (reminder.recipient, reminder.subject, reminder.deadline_at, reminder.offset_key)


async def sent_per_sheet(period: Period) -> dict[int, int]:
    """How many reminders were delivered about each score sheet of ``period`` (assessment id ->
    count; a sheet never reminded is absent), for the progress sheets of the workbooks, which
    scoring writes without reading this ledger (:data:`scoring.exports.ReminderCounts`)."""
    sheets = await Assessment.filter(period_id=period.id).values_list("id", flat=True)
    subjects = {f"assessment:{sheet}": sheet for sheet in sheets}
    rows = (
        await Reminder.filter(status=ReminderStatus.sent, subject__startswith="assessment:")
        .annotate(sent=Count("id"))
        .group_by("subject")
        .values_list("subject", "sent")
    )
    return {subjects[subject]: sent for subject, sent in rows if subject in subjects}


def _norm(key: Key) -> tuple[str, str, float, str]:
    recipient, subject, deadline, offset = key
    return recipient, subject, deadline.timestamp(), offset


@dataclass
class Ledger:
    """Ledger operations of one sender (``worker`` names it in ``claimed_by``)."""

    worker: str

    # -- planning ---------------------------------------------------------------------------

    async def existing(self, keys: Iterable[Key]) -> set[tuple[str, str, float, str]]:
        """Which of these keys already have a row (deadlines compared as instants)."""
        wanted = {_norm(k) for k in keys}
        if not wanted:
            return set()
        subjects = sorted({k[1] for k in wanted})
        offsets = sorted({k[3] for k in wanted})
        found: set[tuple[str, str, float, str]] = set()
        for i in range(0, len(subjects), _CHUNK):
            rows = await Reminder.filter(
                subject__in=subjects[i : i + _CHUNK], offset_key__in=offsets
            ).values_list("recipient", "subject", "deadline_at", "offset_key")
            for recipient, subject, deadline, offset in rows:
                norm = (recipient, subject, deadline.timestamp(), offset)
                if norm in wanted:
                    found.add(norm)
        return found

    async def insert(self, rows: Sequence[Reminder]) -> int:
        """Insert rows whose key is new; a key inserted meanwhile by someone else is ignored
        (the unique constraint is the last word). Returns how many were new before the call."""
        if not rows:
            return 0
        present = await self.existing(key_of(r) for r in rows)
        new: dict[tuple[str, str, float, str], Reminder] = {}
        for row in rows:
            norm = _norm(key_of(row))
            if norm not in present:
                new.setdefault(norm, row)
        if new:
            await Reminder.bulk_create(list(new.values()), batch_size=500, ignore_conflicts=True)
        return len(new)

    # -- claiming ---------------------------------------------------------------------------

    async def claim(self, now: datetime, *, limit: int, claim_timeout: timedelta) -> list[Reminder]:
        """Take up to ``limit`` due reminders for this worker, oldest due first."""
        token = f"{self.worker}#{next(_claims)}"[:64]
        expired = now - claim_timeout
        # a transaction only where rows can be locked: on SQLite a read that turns into a write
        # inside one fails at once when another process wrote in between
        locks = connections.get("default").capabilities.support_for_update
        async with in_transaction() if locks else contextlib.nullcontext():
            picked = (
                await Reminder.filter(self._claimable(now, expired))
                .order_by("due_at", "id")
                .limit(limit)
                .select_for_update(skip_locked=True)
            )
            taken = 0
            if picked:
                # the compare-and-set: a row another sender claimed meanwhile no longer matches
                taken = await Reminder.filter(
                    self._claimable(now, expired), id__in=[r.id for r in picked]
                ).update(status=ReminderStatus.claimed, claimed_by=token, claimed_at=now)
        if taken == len(picked):
            # every picked row is ours (always so on PostgreSQL, where they are locked): no
            # third statement to read them back
            for row in picked:
                row.status, row.claimed_by, row.claimed_at = ReminderStatus.claimed, token, now
            return list(picked)
        # SQLite: another sender took some in between; read back which ones are ours
        rows = await Reminder.filter(
            id__in=[r.id for r in picked], claimed_by=token, status=ReminderStatus.claimed
        )
        return sorted(rows, key=lambda r: (r.due_at, r.id))

    @staticmethod
    def _claimable(now: datetime, expired: datetime) -> Q:
        return Q(
            Q(status=ReminderStatus.planned, due_at__lte=now)
            & Q(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)),
            Q(status=ReminderStatus.claimed, claimed_at__lt=expired),
            join_type="OR",
        )

    # -- marks ------------------------------------------------------------------------------

    async def _mark(self, reminder: Reminder, **changes: object) -> bool:
        changed = await Reminder.filter(
            id=reminder.id, status=ReminderStatus.claimed, claimed_by=reminder.claimed_by
        ).update(**changes)
        return changed == 1

    async def sent(self, reminder: Reminder, now: datetime, message_id: int | None) -> bool:
        """Right after the channel accepted a message."""
        return await self._mark(
            reminder,
            status=ReminderStatus.sent,
            sent_at=now,
            message_id=message_id,
            attempts=F("attempts") + 1,
            last_error="",
        )

    async def finish(self, reminder: Reminder, status: ReminderStatus, reason: str) -> bool:
        """A final state other than sent: skipped, blocked, failed."""
        return await self._mark(reminder, status=status, last_error=reason[:2000])

    async def failed_attempt(
        self, reminder: Reminder, reason: str, *, retry_at: datetime | None
    ) -> bool:
        """Count one failed attempt: back to planned for ``retry_at``, or failed for good."""
        if retry_at is None:
            return await self._mark(
                reminder,
                status=ReminderStatus.failed,
                attempts=F("attempts") + 1,
                last_error=reason[:2000],
            )
        return await self._mark(
            reminder,
            status=ReminderStatus.planned,
            attempts=F("attempts") + 1,
            next_attempt_at=retry_at,
            claimed_by=None,
            claimed_at=None,
            last_error=reason[:2000],
        )

    async def release(self, reminder: Reminder, not_before: datetime, reason: str) -> bool:
        """Give a claimed reminder back without counting an attempt (quiet hours, 429)."""
        return await self._mark(
            reminder,
            status=ReminderStatus.planned,
            next_attempt_at=not_before,
            claimed_by=None,
            claimed_at=None,
            last_error=reason[:2000],
        )

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    async def next_due(claim_timeout: timedelta) -> datetime | None:
        """When the next row becomes claimable: a planned one's due or retry time, or the
        expiry of the oldest claim."""
        planned = ReminderStatus.planned

        async def earliest(field: str, **where: object) -> datetime | None:
            found = await (
                Reminder.filter(**where).order_by(field).limit(1).values_list(field, flat=True)
            )
            return found[0] if found else None

        times = [
            await earliest("due_at", status=planned, next_attempt_at__isnull=True),
            await earliest("next_attempt_at", status=planned, next_attempt_at__isnull=False),
        ]
        claim = await earliest("claimed_at", status=ReminderStatus.claimed)
        if claim is not None:
            times.append(claim + claim_timeout)
        return min((t for t in times if t is not None), default=None)

    @staticmethod
    async def due(now: datetime, claim_timeout: timedelta, limit: int = 1000) -> list[Reminder]:
        """What a claim at ``now`` would take (for dry runs), without claiming it."""
        return list(
            await Reminder.filter(Ledger._claimable(now, now - claim_timeout))
            .order_by("due_at", "id")
            .limit(limit)
        )
