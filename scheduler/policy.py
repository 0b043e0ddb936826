"""When the reminders of one deadline are due: pure functions, no database, no clock.

A period's ``reminder_policy`` (JSON, defaults in :data:`forms.periods.DEFAULT_REMINDER_POLICY`)
says: remind 7 days, 3 days, 1 day and 2 hours before a deadline, then daily for up to 5 days
after it; escalate to the unit leader from the first overdue day; post a digest at 08:00; send
nothing during quiet hours (21:00–07:00 local) and, optionally, nothing on weekends.

Rules for moving a reminder out of quiet hours or a weekend:

* it moves **forward** to the next allowed moment (a reminder due at 22:30 goes at 07:00);
* a reminder *before* a deadline that would thereby land at or after the deadline moves
  **backward** instead, to the last hour before the quiet hours began (20:00) or to the last
  allowed weekday, so "2 hours before a 23:59 deadline" becomes 20:00 the same evening;
* two reminders of one series that land on the same moment are sent once (the one originally
  due later keeps the slot: "-2h" over "-1d", "+5d" over "+4d").

All arithmetic happens on the local wall clock of the zone given, so "7 days before 17:00" is
17:00 a week earlier whatever the zone's offset history.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

log = logging.getLogger("cchc.scheduler")

_OFFSET = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
MAX_DAYS_AFTER = 31


@dataclass(frozen=True)
class Offset:
    """One "before" offset as the policy writes it ("7d", "2h", "30m")."""

    text: str
    delta: timedelta

    @property
    def key(self) -> str:
        return f"-{self.text}"


def parse_offset(text: str) -> Offset:
    match = _OFFSET.match(str(text))
    if not match:
        raise ValueError(f"not an offset: {text!r} (use forms like 7d, 2h, 30m)")
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise ValueError(f"an offset must be positive: {text!r}")
    return Offset(f"{amount}{unit}", amount * _UNITS[unit])


@dataclass(frozen=True)
class Policy:
    """A period's reminder policy, validated; unknown or broken keys fall back to defaults."""

    before: tuple[Offset, ...] = (
        Offset("7d", timedelta(days=7)),
        Offset("3d", timedelta(days=3)),
        Offset("1d", timedelta(days=1)),
        Offset("2h", timedelta(hours=2)),
    )
    after_daily_days: int = 5
    escalate_after_days: int = 1
    digest_hour: int = 8
    quiet_hours: tuple[int, int] | None = (21, 7)
    weekends: bool = True  # whether reminders may be sent on Saturday and Sunday

    @classmethod
    def from_json(cls, raw: Mapping[str, object] | None) -> Policy:
        """Read ``Period.reminder_policy``; a bad value is logged and replaced by its default."""
        base = cls()
        raw = raw or {}
        values: dict[str, object] = {}

        def take(key: str, parse: object) -> None:
            if key not in raw:
                return
            try:
                values[key] = parse(raw[key])  # type: ignore[operator]
            except (TypeError, ValueError) as exc:
                log.warning("reminder policy: ignoring %s=%r (%s)", key, raw[key], exc)

        take("before", _parse_before)
        take("after_daily_days", lambda v: _bounded_int(v, 0, MAX_DAYS_AFTER))
        take("escalate_after_days", lambda v: _bounded_int(v, 0, MAX_DAYS_AFTER))
        take("digest_hour", lambda v: _bounded_int(v, 0, 23))
        take("quiet_hours", _parse_quiet)
        take("weekends", _parse_bool)
        return cls(**{**base.__dict__, **values})

    # -- the clock of the province ------------------------------------------------------------

    def is_quiet(self, at: datetime, tz: ZoneInfo) -> bool:
        """Inside quiet hours, or on a weekend when weekends are off."""
        local = at.astimezone(tz)
        return self._weekend_off(local) or self._quiet_hour(local)

    def _weekend_off(self, local: datetime) -> bool:
        return not self.weekends and local.weekday() >= 5

    def _quiet_hour(self, local: datetime) -> bool:
        if self.quiet_hours is None:
            return False
        start, end = self.quiet_hours
        minutes = local.hour * 60 + local.minute
        if start < end:
            return start * 60 <= minutes < end * 60
        return minutes >= start * 60 or minutes < end * 60

    def next_allowed(self, at: datetime, tz: ZoneInfo) -> datetime:
        """The first moment at or after ``at`` when a message may go out."""
        local = at.astimezone(tz)
        for _ in range(10):
            if self._weekend_off(local):
                monday = local.date() + timedelta(days=7 - local.weekday())
                local = _at(monday, self._morning, tz)
            elif self._quiet_hour(local):
                assert self.quiet_hours is not None
                start, end = self.quiet_hours
                day = local.date()
                if start > end and local.hour >= start:
                    day += timedelta(days=1)
                local = _at(day, end, tz)
            else:
                return local.astimezone(UTC)
        raise ValueError("no allowed time found")  # pragma: no cover - bounded by the checks

    def previous_allowed(self, at: datetime, tz: ZoneInfo) -> datetime:
        """The latest moment at or before ``at`` when a message may go out: the hour before the
        quiet hours began, on the last allowed day."""
        local = at.astimezone(tz)
        for _ in range(10):
            if self._quiet_hour(local):
                assert self.quiet_hours is not None
                start, end = self.quiet_hours
                day = local.date()
                if start > end and local.hour < end:
                    day -= timedelta(days=1)
                local = _at(day, (start - 1) % 24, tz)
            elif self._weekend_off(local):
                local = _at(local.date() - timedelta(days=1), local.time(), tz)
            else:
                return local.astimezone(UTC)
        raise ValueError("no allowed time found")  # pragma: no cover - bounded by the checks

    @property
    def _morning(self) -> int:
        return self.quiet_hours[1] if self.quiet_hours is not None else 7

    def digest_at(self, day: date, tz: ZoneInfo) -> datetime | None:
        """When the secretariat's digest of ``day`` is due (None on a weekend when weekends are
        off)."""
        if not self.weekends and day.weekday() >= 5:
            return None
        return _at(day, self.digest_hour, tz).astimezone(UTC)


@dataclass(frozen=True)
class Slot:
    """One reminder of a series: its ledger ``offset_key`` and when it is due (UTC)."""

    key: str  # "-7d", "-2h", "+1d"
    due_at: datetime
    overdue: bool  # after the deadline


def before_slots(
    policy: Policy, deadline: datetime, tz: ZoneInfo, *, not_before: datetime | None = None
) -> list[Slot]:
    """Reminders before ``deadline``, moved out of quiet hours; none before ``not_before`` (the
    moment the work became possible, e.g. the self-assessment opening)."""
    slots: list[tuple[Slot, timedelta]] = []
    local_deadline = deadline.astimezone(tz)
    for offset in policy.before:
        raw = (local_deadline - offset.delta).astimezone(UTC)
        due = policy.next_allowed(raw, tz)
        if due >= deadline:
            due = policy.previous_allowed(raw, tz)
        if due >= deadline or (not_before is not None and due < not_before):
            continue
        slots.append((Slot(offset.key, due, False), offset.delta))
    return _dedupe(slots)


def after_slots(
    policy: Policy, deadline: datetime, tz: ZoneInfo, *, first_day: int = 1
) -> list[Slot]:
    """Daily reminders after ``deadline`` (same time of day), for days ``first_day`` to the
    policy's ``after_daily_days``, moved out of quiet hours."""
    slots: list[tuple[Slot, timedelta]] = []
    local_deadline = deadline.astimezone(tz)
    for day in range(max(1, first_day), policy.after_daily_days + 1):
        raw = (local_deadline + timedelta(days=day)).astimezone(UTC)
        slots.append((Slot(f"+{day}d", policy.next_allowed(raw, tz), True), -timedelta(days=day)))
    return _dedupe(slots)


def self_assessment_slots(
    policy: Policy, deadline: datetime, tz: ZoneInfo, *, opens_at: datetime | None = None
) -> list[Slot]:
    """Focal officers: before the deadline, then daily after it."""
    return before_slots(policy, deadline, tz, not_before=opens_at) + after_slots(
        policy, deadline, tz
    )


def escalation_slots(policy: Policy, deadline: datetime, tz: ZoneInfo) -> list[Slot]:
    """The unit leader: daily from ``escalate_after_days`` overdue days on (0 turns it off)."""
    if policy.escalate_after_days <= 0:
        return []
    return after_slots(policy, deadline, tz, first_day=policy.escalate_after_days)


def explanation_slots(
    policy: Policy, deadline: datetime, tz: ZoneInfo, *, not_before: datetime | None = None
) -> list[Slot]:
    """Explanations lock at their due time, so only reminders before it make sense."""
    return before_slots(policy, deadline, tz, not_before=not_before)


def latest_due(slots: Iterable[Slot], now: datetime, deadline: datetime) -> Slot | None:
    """The one reminder of a series worth sending at ``now``: the latest one already due.

    Earlier ones are superseded (after downtime only the latest is sent, never a burst of the
    whole series), and a "before" reminder is pointless once the deadline has passed.
    """
    due = [s for s in slots if s.due_at <= now]
    if not due:
        return None
    slot = max(due, key=lambda s: s.due_at)
    if not slot.overdue and now >= deadline:
        return None
    return slot


# -- helpers ----------------------------------------------------------------------------------


def _dedupe(slots: list[tuple[Slot, timedelta]]) -> list[Slot]:
    """Order by due time; of slots sharing a moment keep the one originally due later (the
    smaller ``distance``: offset before the deadline, minus the days after it)."""
    best: dict[datetime, tuple[Slot, timedelta]] = {}
    for slot, distance in slots:
        kept = best.get(slot.due_at)
        if kept is None or distance < kept[1]:
            best[slot.due_at] = (slot, distance)
    return [best[k][0] for k in sorted(best)]


def _at(day: date, hour: int | time, tz: ZoneInfo) -> datetime:
    clock = hour if isinstance(hour, time) else time(hour)
    return datetime.combine(day, clock, tzinfo=tz)


def _parse_before(value: object) -> tuple[Offset, ...]:
    if not isinstance(value, list | tuple):
        raise TypeError("a list of offsets such as ['7d', '2h']")
    offsets = {o.delta: o for o in (parse_offset(str(v)) for v in value)}
    return tuple(sorted(offsets.values(), key=lambda o: o.delta, reverse=True))


def _bounded_int(value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("a whole number")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"between {low} and {high}")
    return number


def _parse_quiet(value: object) -> tuple[int, int] | None:
    if value in (None, [], False):
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise TypeError("[start hour, end hour] or null")
    start, end = (_bounded_int(v, 0, 23) for v in value)
    return None if start == end else (start, end)


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError("true or false")
