"""Dates typed in the back-office forms, read in the service's time zone."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from core.i18n import N_, Msg, UserError


def parse_local(text: str, tz: ZoneInfo, *, end_of_day: bool) -> datetime | None:
    """``2026-12-05T17:00`` (the date-time input), ``05/12/2026 17:00`` or a date alone
    (deadlines then mean the end of that day, openings its start), in local time."""
    text = (text or "").strip()
    if not text:
        return None
    formats = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y")
    for fmt in formats:
        try:
            value = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if "%H" not in fmt:
            value = datetime.combine(value.date(), time(23, 59) if end_of_day else time(0, 0))
        return value.replace(tzinfo=tz)
    raise UserError(
        Msg(N_("“{value}” is not a date; write it as dd/mm/yyyy hh:mm."), value=text[:40])
    )
