"""Dates as officials write them (dd/mm/yyyy, HH:mm), in local time; stored in UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# The province's clock; settings may name another zone, services take it as an argument.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt.astimezone(tz)


def format_date(value: date | datetime | None, tz: ZoneInfo | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and tz is not None:
        value = value.astimezone(tz)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None, tz: ZoneInfo) -> str:
    """ "17:00 - 05/12/2026" is how the national software prints time stamps; deadlines read
    better date first, so this gives "05/12/2026 17:00"."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M")
