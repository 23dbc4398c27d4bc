"""Dispute cases, pure: business-day deadlines, escalation levels, and the analytics aggregations.

Deadlines are counted in business days of the legal entity's country (weekends and the public
holidays of the ``holidays`` library), so that a case opened on the Friday before Easter in Germany
gets the same working time as one opened on a Tuesday. Escalation is a function of how many business
days a case is past its deadline: the resolver is told the day after the deadline (level 1), the
resolver's manager ``step`` business days later (level 2), the team leader another ``step`` later
(level 3, the top). A reminder goes to the resolver ``remind_before`` business days before the
deadline.

The analytics helpers take histograms (how many cases took N days) rather than one row per case:
the database groups a million closed cases into a few thousand (group, days) rows, and the mean and
median computed here from the histogram are exactly those of the underlying cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays

MAX_ESCALATION_LEVEL = 3
WEEKEND = frozenset({5, 6})  # Saturday, Sunday


class DisputeCoreError(ValueError):
    """Input the dispute computations cannot use (unknown country, negative days, bad histogram)."""


@lru_cache(maxsize=512)
def _holidays_of(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:
        raise DisputeCoreError(f"no public-holiday calendar for country {country!r}") from None


def is_business_day(day: date, country: str) -> bool:
    """Not a weekend and not a public holiday in ``country`` (ISO 3166-1 alpha-2)."""
    return day.weekday() not in WEEKEND and day not in _holidays_of(country, day.year)


def add_business_days(start: date, days: int, country: str) -> date:
    """The business day ``days`` business days after ``start`` (``start`` itself does not count).

    ``add_business_days(Friday, 1, "FR")`` is the next Monday unless that is a holiday. Zero days
    gives ``start`` moved forward to a business day.
    """
    if days < 0:
        raise DisputeCoreError(f"cannot add {days} business days: the number must not be negative")
    day = start
    if days == 0:
        while not is_business_day(day, country):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, country):
            remaining -= 1
    return day


@lru_cache(maxsize=65536)
def business_days_between(start: date, end: date, country: str) -> int:
    """Business days in (start, end]: 0 when end <= start. Cached: a pass asks the same pairs often."""
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day, country):
            count += 1
    return count


def deadline_for(opened_on: date, target_business_days: int, country: str) -> date:
    """The resolution deadline of a case opened on ``opened_on`` with the reason's target time."""
    return add_business_days(opened_on, target_business_days, country)


class DeadlineStatus:
    """Where a case stands against its deadline (the strings are the filter values in the UI)."""

    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    LATE = "late"


def deadline_status(deadline: date, as_of: date, country: str, *, due_soon_days: int = 2) -> str:
    """LATE after the deadline, DUE_SOON within ``due_soon_days`` business days of it, else ON_TIME."""
    if as_of > deadline:
        return DeadlineStatus.LATE
    if business_days_between(as_of, deadline, country) <= due_soon_days:
        return DeadlineStatus.DUE_SOON
    return DeadlineStatus.ON_TIME


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """How fast a late case climbs: ``step`` business days per level, a reminder before the deadline."""

    step_business_days: int = 2
    remind_before_business_days: int = 2

    def __post_init__(self) -> None:
        if self.step_business_days < 1:
            raise DisputeCoreError("an escalation step must be at least one business day")
        if self.remind_before_business_days < 0:
            raise DisputeCoreError("the reminder lead time must not be negative")


@dataclass(frozen=True, slots=True)
class EscalationDecision:
    """What one pass does to one case: the new level (unchanged if none), and whether to remind."""

    level: int
    escalate: bool
    remind: bool
    business_days_late: int


def escalation_level_for(deadline: date, as_of: date, country: str, policy: EscalationPolicy) -> int:
    """The level a case should be at on ``as_of``: 0 until the deadline, then 1, 2, 3 by lateness."""
    late = business_days_between(deadline, as_of, country)
    if as_of <= deadline or late == 0:
        # A deadline on a Friday is not "late" on the Saturday: no business day has passed.
        return 0
    return min(MAX_ESCALATION_LEVEL, 1 + (late - 1) // policy.step_business_days)


def paced_level(due_level: int, current_level: int, since: date, as_of: date, country: str,
                policy: EscalationPolicy) -> int:
    """After a manual de-escalation on ``since`` the case climbs again from its current level, one
    level per ``step`` business days since then (never above what its lateness calls for)."""
    allowed = current_level + business_days_between(since, as_of, country) // policy.step_business_days
    return max(current_level, min(due_level, allowed, MAX_ESCALATION_LEVEL))


def decide_escalation(*, deadline: date, as_of: date, country: str, current_level: int,
                      reminded: bool, policy: EscalationPolicy, paced_since: date | None = None) -> EscalationDecision:
    """Escalate when the case's due level is above its current one; remind once before the deadline.

    A pass that was missed for a few days catches up to the due level in one step (the recipients of
    the level reached are notified). ``paced_since``: the later of a manual de-escalation and the
    escalations after it; such a case climbs one level per step from there (``paced_level``). Levels
    never go down here: see ``level_after_deadline_change`` and the de-escalation actions.
    """
    level = escalation_level_for(deadline, as_of, country, policy)
    if paced_since is not None:
        level = paced_level(level, current_level, paced_since, as_of, country, policy)
    late = business_days_between(deadline, as_of, country)
    remind = (
        not reminded and current_level == 0 and level == 0 and as_of <= deadline
        and business_days_between(as_of, deadline, country) <= policy.remind_before_business_days
    )
    return EscalationDecision(max(level, current_level), level > current_level, remind, late)


def level_after_deadline_change(current_level: int, deadline: date, as_of: date, country: str,
                                policy: EscalationPolicy) -> int:
    """The de-escalation rule: when a case's deadline moves (extended, or pushed by the time it waited
    for the customer) its level drops to what its lateness against the new deadline calls for, and
    never rises here (rising is the daily pass's job, with its notifications)."""
    return min(current_level, escalation_level_for(deadline, as_of, country, policy))


def deadline_after_waiting(deadline: date, waited_from: date, back_on: date, country: str) -> date:
    """The deadline of a case that waited for the customer from ``waited_from`` to ``back_on``: moved
    by the business days it waited (the clock stops while the customer has the ball)."""
    waited = business_days_between(waited_from, back_on, country)
    return add_business_days(deadline, waited, country) if waited else deadline


# --- Analytics -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DaysSummary:
    """Count, mean and median (calendar days) of a set of cases given as a days histogram."""

    count: int
    mean: Decimal | None
    median: Decimal | None
    longest: int | None


def summarise_days(histogram: Mapping[int, int]) -> DaysSummary:
    """Mean and median of the values described by ``{days: number of cases}``.

    The median of an even count is the mean of the two middle values, as in ``statistics.median``.
    """
    total = 0
    weighted = 0
    for days, count in histogram.items():
        if count < 0 or days < 0:
            raise DisputeCoreError(f"histogram entry {days}: {count} is negative")
        total += count
        weighted += days * count
    if total == 0:
        return DaysSummary(0, None, None, None)
    ordered = sorted((d, c) for d, c in histogram.items() if c)
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    lower = upper = None
    seen = 0
    for days, count in ordered:
        if lower is None and seen + count > lower_rank:
            lower = days
        if seen + count > upper_rank:
            upper = days
            break
        seen += count
    assert lower is not None and upper is not None
    return DaysSummary(total, Decimal(weighted) / Decimal(total), (Decimal(lower) + Decimal(upper)) / 2,
                       ordered[-1][0])


def merge_histograms(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for days, count in histogram.items():
            merged[days] = merged.get(days, 0) + count
    return merged


@dataclass(frozen=True, slots=True)
class ParetoRow:
    """One root cause in a Pareto chart: its count or amount, share and cumulative share (percent)."""

    key: str
    value: Decimal
    share: Decimal
    cumulative_share: Decimal


def pareto(values: Mapping[str, Decimal | int]) -> list[ParetoRow]:
    """Sort descending (ties by key, so the order is stable) with shares and the cumulative curve."""
    total = sum((Decimal(v) for v in values.values()), Decimal(0))
    rows: list[ParetoRow] = []
    running = Decimal(0)
    for key, value in sorted(values.items(), key=lambda kv: (-Decimal(kv[1]), kv[0])):
        value = Decimal(value)
        running += value
        share = (value / total * 100) if total else Decimal(0)
        cumulative = (running / total * 100) if total else Decimal(0)
        rows.append(ParetoRow(key, value, share, cumulative))
    return rows


# Age buckets of open cases, in calendar days since opening (lower bound inclusive).
AGE_BUCKETS: Sequence[tuple[str, int, int | None]] = (
    ("0-7", 0, 7), ("8-15", 8, 15), ("16-30", 16, 30), ("31-60", 31, 60), ("61-90", 61, 90), (">90", 91, None),
)


def age_bucket(age_days: int) -> str:
    for label, low, high in AGE_BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return label
    raise DisputeCoreError(f"a case cannot be {age_days} days old")


def share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``; None when there is no whole to share."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole) * 100
