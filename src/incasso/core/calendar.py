"""Business dates.

Document, due, value and promise dates are calendar dates in the legal entity's timezone. "Today"
for an entity is the local date of one clock reading taken by the entry point; an item is overdue
from the day after its due date *in that timezone*, so an item due on the 29th is not overdue at
23:30 UTC on the 29th for a London entity in winter, but is for a Bucharest one (already the 30th).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class CalendarError(ValueError):
    """A timezone or date that cannot be used."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown timezone {name!r}") from None


def local_date(moment: datetime, timezone_name: str) -> date:
    """The calendar date at ``moment`` (an aware datetime) in ``timezone_name``."""
    if moment.tzinfo is None:
        raise CalendarError("local_date needs an aware datetime (UTC from the clock)")
    return moment.astimezone(zone(timezone_name)).date()


def days_past_due(due_date: date, as_of: date) -> int:
    """Whole days past due as of ``as_of``: 0 on the due date, 1 the day after, negative before."""
    return (as_of - due_date).days


def is_overdue(due_date: date, as_of: date) -> bool:
    return as_of > due_date
