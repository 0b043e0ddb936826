"""People, units and the audit trail: the tables every other floor refers to."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


def given(**filters: Any) -> dict[str, Any]:
    """ORM filters from optional arguments: an argument left at None does not filter."""
    return {k: v for k, v in filters.items() if v is not None}


class UnitKind(StrEnum):
    """What kind of body a group holds, it decides which criteria set fits by default."""

    department = "department"  # sở, ban, ngành
    commune = "commune"  # UBND cấp xã, phường
    vertical = "vertical"  # cơ quan ngành dọc
    other = "other"


class OfficerRole(StrEnum):
    focal = "focal"  # cán bộ đầu mối
    leader = "leader"  # lãnh đạo đơn vị


class UserRole(StrEnum):
    admin = "admin"
    appraiser = "appraiser"
    viewer = "viewer"


class Channel(StrEnum):
    bot = "bot"
    web = "web"
    api = "api"
    cli = "cli"
    scheduler = "scheduler"
    system = "system"


class UnitGroup(Model):
    """A block (khối) of units ranked together."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=255)
    kind = fields.CharEnumField(UnitKind, max_length=16, default=UnitKind.other)
    sort_order = fields.IntField(default=0)

    class Meta:
        table = "unit_group"
        ordering = ["sort_order", "id"]


class Unit(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=255)
    group: fields.ForeignKeyRelation[UnitGroup] = fields.ForeignKeyField(
        "cchc.UnitGroup", related_name="units", on_delete=fields.RESTRICT
    )
    address = fields.CharField(max_length=255, default="")
    active = fields.BooleanField(default=True)
    sort_order = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unit"
        ordering = ["sort_order", "id"]


class Officer(Model):
    """A person of a unit, bound to one Telegram account by a one-time invite code."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "cchc.Unit", related_name="officers", on_delete=fields.RESTRICT
    )
    full_name = fields.CharField(max_length=255)
    position = fields.CharField(max_length=255, default="")
    role = fields.CharEnumField(OfficerRole, max_length=16, default=OfficerRole.focal)
    phone = fields.CharField(max_length=32, default="")
    email = fields.CharField(max_length=255, default="")
    telegram_user_id = fields.BigIntField(null=True, unique=True)
    telegram_chat_id = fields.BigIntField(null=True)
    telegram_username = fields.CharField(max_length=64, null=True)
    locale = fields.CharField(max_length=8, default="vi")
    bound_at = fields.DatetimeField(null=True)
    bot_blocked_at = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "officer"
        ordering = ["id"]


class InviteCode(Model):
    """A one-time code that binds a Telegram account to an officer.

    Only a hash is stored so a leaked database does not leak usable codes.
    """

    id = fields.IntField(primary_key=True)
    officer: fields.ForeignKeyRelation[Officer] = fields.ForeignKeyField(
        "cchc.Officer", related_name="invites", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_by = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_code"


class BackofficeUser(Model):
    """Secretariat, appraisers and viewers who work in the back-office."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    full_name = fields.CharField(max_length=255, default="")
    email = fields.CharField(max_length=255, default="")
    role = fields.CharEnumField(UserRole, max_length=16)
    password_hash = fields.CharField(max_length=255)
    active = fields.BooleanField(default=True)
    locale = fields.CharField(max_length=8, default="vi")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "backoffice_user"
        ordering = ["id"]


class AuditEvent(Model):
    """Who changed what, when, through which channel, with old and new values as JSON."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_type = fields.CharField(max_length=16)  # officer, user, system
    actor_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=255, default="")
    channel = fields.CharEnumField(Channel, max_length=16)
    action = fields.CharField(max_length=64, db_index=True)
    entity = fields.CharField(max_length=64)
    entity_id = fields.CharField(max_length=64, default="")
    unit_id = fields.IntField(null=True, db_index=True)
    old_value = fields.JSONField(null=True)
    new_value = fields.JSONField(null=True)
    reason = fields.TextField(default="")

    class Meta:
        table = "audit_event"
        ordering = ["id"]


class ApiToken(Model):
    """A bearer token or a web session of a back-office user, stored as a SHA-256 hash only,
    expiring and revocable."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[BackofficeUser] = fields.ForeignKeyField(
        "cchc.BackofficeUser", related_name="tokens", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16, default="api")  # api, session
    token_hash = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class SignInFailure(Model):
    """A failed back-office sign-in (account or unknown name, and the client address), kept
    only for the throttling window of core.sign_in_throttle and then deleted, so guessing
    names cannot grow any table without bound."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    username = fields.CharField(max_length=64)
    address = fields.CharField(max_length=64)

    class Meta:
        table = "sign_in_failure"
        indexes = (("username", "at"), ("address", "at"))
