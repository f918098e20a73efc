"""Calendar rules for billing periods."""

import calendar
from datetime import UTC, date, datetime


def add_months(start: date, months: int = 1) -> date:
    """Same day `months` later, clamped to the month's end (Jan 31 -> Feb 28/29)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands them back without a zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rfc3339(moment: datetime, timespec: str = "auto") -> str:
    """The one way faxnum writes a time: RFC 3339 in UTC, with `Z`."""
    return as_utc(moment).isoformat(timespec=timespec).replace("+00:00", "Z")
