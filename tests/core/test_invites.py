"""Invite codes: random, shown once, stored hashed, expiring, one use, one account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.audit import Actor
from core.invites import InviteError, bind, create_invite, hash_code, looks_like_code
from core.models import AuditEvent, Channel, InviteCode, Officer, Unit, UnitGroup

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
CLI = Actor.system(Channel.cli, "cli")


@pytest.fixture
async def officers(db: str) -> tuple[Officer, Officer]:
    group = await UnitGroup.create(code="SO", name="Khối sở", kind="department")
    unit = await Unit.create(code="SNV", name="Sở Nội vụ", group=group)
    lan = await Officer.create(unit=unit, full_name="Nguyễn Thị Lan")
    hung = await Officer.create(unit=unit, full_name="Trần Văn Hùng")
    return lan, hung


async def _bind(code: str, user_id: int = 501, when: datetime = NOW) -> Officer:
    return await bind(code, telegram_user_id=user_id, chat_id=user_id, username="lan", now=when)


async def test_a_code_binds_once_and_is_stored_only_as_a_hash(officers: tuple) -> None:
    lan, _ = officers
    issued = await create_invite(CLI, lan.id, now=NOW, days=7)
    assert looks_like_code(issued.code) and len(issued.code) == 12
    row = await InviteCode.get(officer_id=lan.id)
    assert row.code_hash == hash_code(issued.code) and issued.code not in row.code_hash
    # typed in lower case with the dashes of the printed form
    bound = await _bind(issued.pretty.lower())
    assert bound.telegram_user_id == 501 and bound.bound_at == NOW
    with pytest.raises(InviteError) as info:
        await _bind(issued.code, user_id=502)
    assert "đã được dùng" in info.value.render("vi")
    assert (await Officer.get(id=lan.id)).telegram_user_id == 501
    assert await AuditEvent.filter(action="officer.bind_telegram").count() == 1


async def test_wrong_and_expired_codes_bind_nothing(officers: tuple) -> None:
    lan, _ = officers
    issued = await create_invite(CLI, lan.id, now=NOW, days=1)
    with pytest.raises(InviteError) as wrong:
        await _bind("ABCD-EFGH-JKMN")
    assert "không đúng" in wrong.value.render("vi")
    with pytest.raises(InviteError) as garbage:
        await _bind("xin chào")
    assert "không phải là mã mời" in garbage.value.render("vi")
    with pytest.raises(InviteError) as late:
        await _bind(issued.code, when=NOW + timedelta(days=2))
    assert "21/11/2026 10:00" in late.value.render("vi")  # expiry in local time
    assert (await Officer.get(id=lan.id)).telegram_user_id is None
    assert (await InviteCode.get(officer_id=lan.id)).used_at is None


async def test_one_telegram_account_per_officer(officers: tuple) -> None:
    lan, hung = officers
    await _bind((await create_invite(CLI, lan.id, now=NOW)).code, user_id=501)
    code_for_hung = (await create_invite(CLI, hung.id, now=NOW)).code
    with pytest.raises(InviteError) as info:
        await _bind(code_for_hung, user_id=501)
    assert "Nguyễn Thị Lan" in info.value.render("vi")
    assert (await Officer.get(id=hung.id)).telegram_user_id is None
    # the code was not spent by the refusal; Hùng can still use it from his own account
    assert (await _bind(code_for_hung, user_id=777)).telegram_user_id == 777


async def test_a_new_invite_replaces_the_old_one_and_can_move_the_officer(
    officers: tuple,
) -> None:
    lan, _ = officers
    first = await create_invite(CLI, lan.id, now=NOW)
    second = await create_invite(CLI, lan.id, now=NOW + timedelta(minutes=1))
    with pytest.raises(InviteError):
        await _bind(first.code, when=NOW + timedelta(minutes=2))
    await _bind(second.code, user_id=501, when=NOW + timedelta(minutes=2))
    third = await create_invite(CLI, lan.id, now=NOW + timedelta(minutes=3))
    moved = await _bind(third.code, user_id=909, when=NOW + timedelta(minutes=4))
    assert moved.telegram_user_id == 909  # new phone: the officer follows the new account
