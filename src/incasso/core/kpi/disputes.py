"""Dispute cycle time and open-dispute age."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from incasso.core.kpi.figures import Figure, KpiError, _mean, _median


@dataclass(frozen=True, slots=True)
class DisputeDates:
    """When a dispute case was opened and, if it is, resolved (business dates)."""

    opened_on: date
    resolved_on: date | None = None


@dataclass(frozen=True, slots=True)
class DisputeDaysResult:
    """Mean and median calendar days over ``count`` disputes; ``longest`` is the maximum."""

    count: int
    mean: Figure
    median: Figure
    longest: int | None


def _check_dispute(index: int, dispute: DisputeDates) -> None:
    if dispute.resolved_on is not None and dispute.resolved_on < dispute.opened_on:
        raise KpiError(
            f"disputes[{index}]: resolved on {dispute.resolved_on} before it was opened on {dispute.opened_on}"
        )


def _days_summary(days: list[int], empty_reason: str) -> DisputeDaysResult:
    if not days:
        none = Figure.undefined(empty_reason)
        return DisputeDaysResult(0, none, none, None)
    values = [Decimal(d) for d in days]
    return DisputeDaysResult(len(days), Figure(_mean(values)), Figure(_median(values)), max(days))


def dispute_cycle_time(disputes: Iterable[DisputeDates], *, period_start: date,
                       period_end: date) -> DisputeDaysResult:
    """Calendar days from opening to resolution over disputes resolved in [period_start, period_end]."""
    if period_end < period_start:
        raise KpiError(f"period_end {period_end} is before period_start {period_start}")
    days = []
    for index, dispute in enumerate(disputes):
        _check_dispute(index, dispute)
        if dispute.resolved_on is not None and period_start <= dispute.resolved_on <= period_end:
            days.append((dispute.resolved_on - dispute.opened_on).days)
    return _days_summary(days, "no dispute was resolved in the period")


def open_dispute_age(disputes: Iterable[DisputeDates], *, as_of: date) -> DisputeDaysResult:
    """Age in calendar days (as_of − opened_on) of the disputes open at the end of ``as_of``.

    A dispute opened after ``as_of`` is not counted; one resolved after ``as_of`` was still open then.
    """
    days = []
    for index, dispute in enumerate(disputes):
        _check_dispute(index, dispute)
        if dispute.opened_on <= as_of and (dispute.resolved_on is None or dispute.resolved_on > as_of):
            days.append((as_of - dispute.opened_on).days)
    return _days_summary(days, "no dispute open on the date")

