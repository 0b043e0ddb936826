"""The reminders ledger: the database, not the ticker, decides what was sent."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ReminderStatus(StrEnum):
    planned = "planned"
    claimed = "claimed"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"
    blocked = "blocked"  # the recipient blocked the bot (403)


class Reminder(Model):
    """One message to one recipient about one deadline at one offset, unique so planning twice
    never sends twice."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)  # self_assessment, explanation, escalation, digest
    recipient = fields.CharField(max_length=64)  # "officer:12", "user:3"
    chat_id = fields.BigIntField(null=True)
    subject = fields.CharField(max_length=64)  # "assessment:7", "review:9", "digest:2026-11-21"
    deadline_at = fields.DatetimeField()
    offset_key = fields.CharField(max_length=16)  # "-7d", "-2h", "+1d"
    due_at = fields.DatetimeField(db_index=True)
    status = fields.CharEnumField(
        ReminderStatus, max_length=16, default=ReminderStatus.planned, db_index=True
    )
    attempts = fields.SmallIntField(default=0)
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    message_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reminder"
        unique_together = (("recipient", "subject", "deadline_at", "offset_key"),)
