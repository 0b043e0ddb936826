"""Sign-in, tokens (hashed, expiring, revocable, per kind), throttling, roles and accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import auth
from core.audit import Actor
from core.auth import AccessDenied, AuthError, Conflict, TooManyAttempts
from core.i18n import UserError
from core.models import ApiToken, AuditEvent, BackofficeUser, Channel, UserRole
from core.users import hash_password

PASSWORD = "mat-khau-rat-dai"
SYSTEM = Actor.system(Channel.cli, "test")
_HASH = hash_password(PASSWORD)


def _now() -> datetime:
    # throttling counts audit events stamped with the real clock
    return datetime.now(UTC)


@pytest.fixture
async def users(db: str) -> dict[str, BackofficeUser]:
    return {
        name: await BackofficeUser.create(username=name, role=role, password_hash=_HASH)
        for name, role in [
            ("admin", UserRole.admin),
            ("td", UserRole.appraiser),
            ("xem", UserRole.viewer),
        ]
    }


def _actor(user: BackofficeUser) -> Actor:
    return auth.user_actor(user)


async def test_login_issues_a_hashed_expiring_token(users: dict) -> None:
    now = _now()
    issued = await auth.login("  ADMIN ", PASSWORD, now=now, name="laptop")
    assert issued.user.id == users["admin"].id and issued.expires_at == now + timedelta(hours=12)
    row = await ApiToken.get(id=issued.token_id)
    assert row.token_hash == auth.hash_token(issued.token) and issued.token not in row.token_hash
    assert row.kind == "api" and row.name == "laptop"
    assert (await auth.verify_token(issued.token, now=now)).id == users["admin"].id
    with pytest.raises(AuthError):  # an API token is not a web session, and vice versa
        await auth.verify_token(issued.token, now=now, kind="session")
    with pytest.raises(AuthError) as info:
        await auth.verify_token(issued.token, now=issued.expires_at)
    assert "hết hạn" in info.value.render("vi")
    assert (await BackofficeUser.get(id=users["admin"].id)).last_login_at == now
    actions = [e.action for e in await AuditEvent.all().order_by("id")]
    assert actions == ["auth.login", "token.issue"]


async def test_revoked_tokens_and_disabled_accounts_stop_working(users: dict) -> None:
    now = _now()
    issued = await auth.login("td", PASSWORD, now=now)
    assert await auth.revoke_token(_actor(users["td"]), issued.token, now=now)
    assert not await auth.revoke_token(_actor(users["td"]), issued.token, now=now)
    with pytest.raises(AuthError) as info:
        await auth.verify_token(issued.token, now=now)
    assert "thu hồi" in info.value.render("vi")
    second = await auth.login("td", PASSWORD, now=now)
    await auth.update_user(_actor(users["admin"]), users["td"].id, active=False, now=now)
    with pytest.raises(AuthError):
        await auth.verify_token(second.token, now=now)
    with pytest.raises(AuthError):  # and cannot sign in again
        await auth.login("td", PASSWORD, now=now)


async def test_repeated_failures_are_throttled_per_username(users: dict) -> None:
    now = _now()
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError) as info:
            await auth.login("xem", "sai-mat-khau", now=now)
        assert info.value.render("en") == "Wrong username or password."
    with pytest.raises(TooManyAttempts) as throttled:  # even with the right password
        await auth.login("xem", PASSWORD, now=now)
    assert 0 < throttled.value.retry_after <= 15 * 60
    assert "15 phút" in throttled.value.render("vi")
    # other usernames are not affected; unknown names fail the same way as wrong passwords
    assert (await auth.login("admin", PASSWORD, now=now)).user.username == "admin"
    with pytest.raises(AuthError) as unknown:
        await auth.login("khong-co", PASSWORD, now=now)
    assert unknown.value.render("en") == "Wrong username or password."
    # after the window the account can sign in again, and success clears the count
    later = now + auth.LOCKOUT + timedelta(seconds=1)
    assert (await auth.login("xem", PASSWORD, now=later)).user.username == "xem"
    failures = await AuditEvent.filter(action="auth.failed", entity_id="xem").count()
    assert failures == auth.MAX_FAILURES  # attempts while blocked are not counted again


async def test_roles_are_checked_in_the_service(users: dict) -> None:
    assert await auth.require_role(SYSTEM) is None  # CLI and scheduler act for the secretariat
    assert (await auth.require_admin(_actor(users["admin"]))).id == users["admin"].id  # type: ignore[union-attr]
    with pytest.raises(AccessDenied) as info:
        await auth.require_admin(_actor(users["td"]))
    assert info.value.render("vi") == "Chỉ quản trị viên mới được làm việc này."
    with pytest.raises(AccessDenied):
        await auth.require_role(Actor("officer", 1, "Lan", Channel.bot))
    with pytest.raises(AccessDenied):
        await auth.require_role(SYSTEM, allow_system=False)


async def test_accounts_roles_and_passwords(users: dict) -> None:
    now = _now()
    admin = _actor(users["admin"])
    with pytest.raises(AccessDenied):
        await auth.create_user(_actor(users["td"]), "moi", PASSWORD, "viewer")
    new = await auth.create_user(admin, "moi", PASSWORD, "viewer", full_name="Người mới")
    changed = await auth.update_user(admin, new.id, role="appraiser", now=now)
    assert changed.role == UserRole.appraiser
    role_event = await AuditEvent.get(action="user.role")
    assert role_event.old_value == {"role": "viewer"} and role_event.new_value == {
        "role": "appraiser"
    }
    with pytest.raises(AccessDenied):  # only administrators change roles
        await auth.update_user(_actor(changed), changed.id, role="admin", now=now)
    with pytest.raises(Conflict):  # nobody locks themself out by accident
        await auth.update_user(admin, users["admin"].id, active=False, now=now)
    token = await auth.login("moi", PASSWORD, now=now)
    await auth.update_user(_actor(changed), changed.id, password="mat-khau-moi-123", now=now)
    with pytest.raises(AuthError):  # a new password revokes the old tokens
        await auth.verify_token(token.token, now=now)
    event = await AuditEvent.filter(action="user.update").order_by("-id").first()
    assert event is not None and event.new_value == {"password": "changed"}
    with pytest.raises(UserError):
        await auth.update_user(admin, changed.id, password="ngan", now=now)
    with pytest.raises(auth.NotFound):  # people cannot read other accounts
        await auth.get_user(_actor(changed), users["admin"].id)
