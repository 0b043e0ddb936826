"""Who is looking at a page: an officer (signed in by a one-time link) or a back-office user.

**Officers** have no password. The bot gives them a sign-in link (:func:`issue_officer_link`):
``{public_url}/web/o/login?t=<token>``, the token signed with ``settings.secret_key`` for the
purpose ``officer_link`` and carrying the officer, a random link id and the expiry (15 minutes).
Opening the link shows a button (a GET changes nothing, so Telegram's link preview cannot use
the link up); pressing it claims the link (:func:`claim_officer_link`) and sets the session
cookie.

Single use without a new table: the claim writes an ``officer_link.use`` audit event with the
link id, inside a transaction that first locks the officer's row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite runs one transaction at a time), and refuses when such an event already
exists. Two presses of the same link therefore cannot both win, and the audit trail says when
and from where each link was used. :class:`~core.models.ApiToken` cannot hold these: its rows
belong to back-office users (a required foreign key), not to officers.

The **officer session** is the cookie ``cchc_officer``: a value signed for ``officer_session``
with the officer, the unit, the session id and the expiry (8 hours). Every request checks the
signature, the expiry, that the officer is still active and still in that unit, and that the
session was not ended (an ``officer_session.end`` audit event, written at sign-out).

**Back-office users** sign in with a password through :func:`core.auth.login` (throttled there)
and get a ``session`` token in the cookie ``cchc_session``, the same cookie the JSON API
accepts, so the pages can link to the API's downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from app.web.security import new_id, sign, unsign
from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from core.models import AuditEvent, Channel, Officer, Unit
from core.settings import Settings

OFFICER_COOKIE = "cchc_officer"
STAFF_COOKIE = "cchc_session"  # app.api.deps.SESSION_COOKIE: the API accepts it too
SESSION_COOKIES = (OFFICER_COOKIE, STAFF_COOKIE)
LINK_TTL = timedelta(minutes=15)
OFFICER_SESSION_TTL = timedelta(hours=8)
LINK_PATH = "/web/o/login"


class LinkError(UserError):
    """A sign-in link that does not sign anyone in: wrong, expired or already used."""


@dataclass(frozen=True)
class OfficerLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class OfficerSession:
    officer: Officer
    unit: Unit
    session_id: str
    expires_at: datetime

    @property
    def actor(self) -> Actor:
        return Actor("officer", self.officer.id, self.officer.full_name, Channel.web)


def _ts(dt: datetime) -> int:
    return int(dt.timestamp())


def _dt(ts: object) -> datetime | None:
    if not isinstance(ts, int):
        return None
    return datetime.fromtimestamp(ts, UTC)


async def issue_officer_link(settings: Settings, officer_id: int, *, now: datetime) -> OfficerLink:
    """A one-time sign-in link for an active officer (what the bot sends on request)."""
    officer = await Officer.get_or_none(id=officer_id, active=True)
    if officer is None:
        raise LinkError(Msg(N_("There is no active officer with the id {id}."), id=officer_id))
    link_id = new_id()
    expires_at = now + LINK_TTL
    token = sign(
        settings.secret_key, "officer_link", {"o": officer.id, "j": link_id, "e": _ts(expires_at)}
    )
    await record(
        Actor("officer", officer.id, officer.full_name, Channel.bot),
        "officer_link.issue",
        "officer_link",
        link_id,
        unit_id=officer.unit_id,  # type: ignore[attr-defined]
        new={"expires_at": expires_at},
    )
    url = f"{settings.public_url.rstrip('/')}{LINK_PATH}?t={token}"
    return OfficerLink(url, expires_at)


def read_link(settings: Settings, token: str | None) -> dict[str, object] | None:
    claims = unsign(settings.secret_key, "officer_link", token)
    if (
        claims is None
        or not isinstance(claims.get("o"), int)
        or not isinstance(claims.get("j"), str)
    ):
        return None
    return claims


def _bad_link() -> LinkError:
    return LinkError(
        Msg(N_("This sign-in link is not valid. Ask the bot for a new one (command /web)."))
    )


async def claim_officer_link(
    settings: Settings, token: str | None, *, now: datetime, client: str = ""
) -> tuple[Officer, str]:
    """Use a link once: returns the officer and the new session id."""
    claims = read_link(settings, token)
    if claims is None:
        raise _bad_link()
    expires = _dt(claims.get("e"))
    if expires is None or expires <= now:
        raise LinkError(
            Msg(N_("This sign-in link has expired. Ask the bot for a new one (command /web)."))
        )
    link_id = str(claims["j"])
    session_id = new_id()
    async with in_transaction():
        officer = await Officer.filter(id=claims["o"], active=True).select_for_update().first()
        if officer is None:
            raise _bad_link()
        used = await AuditEvent.filter(
            action="officer_link.use", entity="officer_link", entity_id=link_id
        ).exists()
        if used:
            raise LinkError(
                Msg(
                    N_(
                        "This sign-in link was already used; each link works once. Ask the "
                        "bot for a new one (command /web)."
                    )
                )
            )
        await record(
            Actor("officer", officer.id, officer.full_name, Channel.web),
            "officer_link.use",
            "officer_link",
            link_id,
            unit_id=officer.unit_id,  # type: ignore[attr-defined]
            new={"session": session_id, "client": client[:64]},
        )
    return officer, session_id


def officer_cookie(settings: Settings, officer: Officer, session_id: str, now: datetime) -> str:
    expires = now + OFFICER_SESSION_TTL
    return sign(
        settings.secret_key,
        "officer_session",
        {
            "o": officer.id,
            "u": officer.unit_id,  # type: ignore[attr-defined]
            "s": session_id,
            "e": _ts(expires),
        },
    )


async def officer_session(
    settings: Settings, cookie: str | None, *, now: datetime
) -> OfficerSession | None:
    """The signed-in officer of a request, or None (no cookie, expired, ended, moved)."""
    claims = unsign(settings.secret_key, "officer_session", cookie)
    if claims is None:
        return None
    expires = _dt(claims.get("e"))
    if expires is None or expires <= now or not isinstance(claims.get("s"), str):
        return None
    officer = await Officer.get_or_none(id=claims.get("o"), active=True)
    if officer is None or officer.unit_id != claims.get("u"):  # type: ignore[attr-defined]
        return None
    ended = await AuditEvent.filter(
        action="officer_session.end", entity="officer_session", entity_id=claims["s"]
    ).exists()
    if ended:
        return None
    unit = await Unit.get(id=officer.unit_id)  # type: ignore[attr-defined]
    return OfficerSession(officer, unit, str(claims["s"]), expires)


async def end_officer_session(session: OfficerSession) -> None:
    await record(
        session.actor,
        "officer_session.end",
        "officer_session",
        session.session_id,
        unit_id=session.unit.id,
    )
