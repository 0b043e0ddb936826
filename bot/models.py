"""Conversation state of the bot, kept in the database so a restart loses nothing."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BotState(Model):
    """One aiogram FSM storage key: its state name and its data (JSON)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    state = fields.CharField(max_length=255, null=True)
    data = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "bot_state"
