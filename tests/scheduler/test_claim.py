"""A claim takes up to ``limit`` due reminders, oldest due first, and no other sender can take
them until the claim expires (scheduler/ledger.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.ledger import Ledger
from scheduler.models import Reminder, ReminderStatus

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=20)


async def _due(count: int) -> None:
    await Reminder.bulk_create(
        [
            Reminder(
                kind="self_assessment",
                recipient=f"officer:{n}",
                chat_id=n,
                subject="assessment:1",
                deadline_at=NOW + timedelta(days=7),
                offset_key="-7d",
                due_at=NOW - timedelta(minutes=count - n),
            )
            for n in range(count)
        ]
    )


async def test_a_claim_takes_the_oldest_due_up_to_the_limit(db: str) -> None:
    await _due(25)
    first = await Ledger("a").claim(NOW, limit=10, claim_timeout=TIMEOUT)
    assert [r.recipient for r in first] == [f"officer:{n}" for n in range(10)]
    assert {r.status for r in first} == {ReminderStatus.claimed}
    second = await Ledger("b").claim(NOW, limit=10, claim_timeout=TIMEOUT)
    assert [r.recipient for r in second] == [f"officer:{n}" for n in range(10, 20)]
    assert len(await Ledger("c").claim(NOW, limit=10, claim_timeout=TIMEOUT)) == 5
    assert await Ledger("d").claim(NOW, limit=10, claim_timeout=TIMEOUT) == []


async def test_an_expired_claim_is_taken_over_and_the_old_sender_cannot_mark_it(db: str) -> None:
    await _due(1)
    [old] = await Ledger("a").claim(NOW, limit=5, claim_timeout=TIMEOUT)
    later = NOW + TIMEOUT + timedelta(seconds=1)
    [new] = await Ledger("b").claim(later, limit=5, claim_timeout=TIMEOUT)
    assert new.id == old.id and new.claimed_by != old.claimed_by
    assert not await Ledger("a").sent(old, later, 1)
    assert await Ledger("b").sent(new, later, 2)
    stored = await Reminder.get(id=new.id)
    assert (stored.status, stored.message_id, stored.attempts) == (ReminderStatus.sent, 2, 1)
