"""Throttling of back-office sign-ins, by account and by client address, so that whoever
guesses passwords slows himself down and not the account's owner.

Three counts over the last :data:`WINDOW`, kept in :class:`~core.models.SignInFailure` (so they
hold across restarts and several app instances, and unknown names add no audit events):

* **one account from one address**: after :data:`PAIR_LIMIT` failures that address is refused
  for that account until the window has passed, even with the right password; the owner,
  signing in from another address, is not affected;
* **one address, any names**: after :data:`ADDRESS_LIMIT` failures the address is refused for
  every account (guessing many names from one place);
* **one account, all addresses**: once :data:`ACCOUNT_LIMIT` failures have come from anywhere
  (guessing from many places), every address gets a single failure per window for that account
  instead of :data:`PAIR_LIMIT`; addresses that have not failed still get their try.

A successful sign-in clears its own address's failures for that account. Rows older than the
window are deleted whenever a failure is written. :func:`refusal` is the pure rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.i18n import N_, Msg, UserError
from core.models import SignInFailure

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
ADDRESS_LIMIT = 20
ACCOUNT_LIMIT = 50
ADDRESS_LENGTH = 64


class TooManyAttempts(UserError):
    """Too many failed sign-ins (HTTP 429); ``retry_after`` in seconds."""

    def __init__(self, msg: Msg, retry_after: int) -> None:
        super().__init__(msg)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Failures:
    """Times of the failures in the window: this account from this address, this address for
    any name, and how many this account has from all addresses."""

    pair: list[datetime]
    address: list[datetime]
    account: int


def _retry(oldest: datetime, now: datetime) -> int:
    window = int(WINDOW.total_seconds())
    return min(window, max(1, math.ceil((oldest + WINDOW - now).total_seconds())))


def refusal(
    failures: Failures, username: str, address: str, now: datetime
) -> TooManyAttempts | None:
    """Whether to refuse this attempt before looking at the password, and for how long."""
    if len(failures.address) >= ADDRESS_LIMIT:
        retry = _retry(sorted(failures.address)[-ADDRESS_LIMIT], now)
        return TooManyAttempts(
            Msg(
                N_(
                    "Too many failed sign-ins from your address ({address}); try again in "
                    "{minutes} minute(s)."
                ),
                address=address or "?",
                minutes=max(1, math.ceil(retry / 60)),
            ),
            retry_after=retry,
        )
    limit = 1 if failures.account >= ACCOUNT_LIMIT else PAIR_LIMIT
    if len(failures.pair) >= limit:
        retry = _retry(sorted(failures.pair)[-limit], now)
        return TooManyAttempts(
            Msg(
                N_("Too many failed sign-ins for “{username}”; try again in {minutes} minute(s)."),
                username=username,
                minutes=max(1, math.ceil(retry / 60)),
            ),
            retry_after=retry,
        )
    return None


def client_address(address: str | None) -> str:
    return (address or "")[:ADDRESS_LENGTH]


async def check(username: str, address: str, now: datetime) -> None:
    """Raise :class:`TooManyAttempts` when this attempt is to be refused unread."""
    since = now - WINDOW
    recent = SignInFailure.filter(at__gte=since)
    by_address = await recent.filter(address=address).values_list("at", "username")
    pair = [at for at, name in by_address if name == username]
    account = await SignInFailure.filter(at__gte=since, username=username).count()
    seen = Failures(pair, [at for at, _ in by_address], account)
    refused = refusal(seen, username, address, now)
    if refused is not None:
        raise refused


async def note_failure(username: str, address: str, now: datetime) -> None:
    """Count one failure, and forget those that have left the window."""
    await SignInFailure.filter(at__lt=now - WINDOW).delete()
    await SignInFailure.create(at=now, username=username, address=address)


async def forget(username: str, address: str) -> None:
    """A successful sign-in: this address starts a new count for this account."""
    await SignInFailure.filter(username=username, address=address).delete()
