"""Cash collected against a target: the period's target from monthly targets, attainment and gap."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from incasso.core.kpi.figures import ZERO, Figure, KpiError, percent


@dataclass(frozen=True, slots=True)
class MonthlyTarget:
    """Cash to collect in one calendar month (one entity, currency and, optionally, collector)."""

    year: int
    month: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TargetResult:
    """Cash collected against the target of the period.

    ``target`` is None when no month of the period has a target. ``attainment`` = collected / target
    × 100; ``gap`` = target − collected (positive: still to collect; negative: ahead of target).
    """

    collected: Decimal
    target: Decimal | None
    attainment: Figure
    gap: Decimal | None
    months_with_target: int


def period_target(targets: Iterable[MonthlyTarget], start: date, end: date) -> tuple[Decimal | None, int]:
    """The target of ``start``..``end`` (inclusive) and how many of its months had one.

    A month wholly inside the period counts its full target; a month the period only partly covers
    counts target × covered days / days of the month (a half-month report is judged against half the
    month's target). Months without a target add nothing; when none has one the target is None
    (no target, which is not a target of zero).
    """
    if end < start:
        raise KpiError(f"the period ends ({end}) before it starts ({start})")
    total = ZERO
    counted = 0
    seen: set[tuple[int, int]] = set()
    for index, target in enumerate(targets):
        if not 1 <= target.month <= 12:
            raise KpiError(f"targets[{index}]: month must be 1-12, not {target.month}")
        if target.amount < 0:
            raise KpiError(f"targets[{index}]: a target cannot be negative ({target.amount})")
        key = (target.year, target.month)
        if key in seen:
            raise KpiError(f"targets[{index}]: two targets for {target.year}-{target.month:02d}")
        seen.add(key)
        days = calendar.monthrange(target.year, target.month)[1]
        first, last = date(target.year, target.month, 1), date(target.year, target.month, days)
        low, high = max(first, start), min(last, end)
        if high < low:
            continue
        covered = (high - low).days + 1
        total += target.amount if covered == days else target.amount * covered / days
        counted += 1
    return (total if counted else None), counted


def cash_against_target(collected: Decimal, targets: Iterable[MonthlyTarget], *, start: date,
                        end: date) -> TargetResult:
    """Cash collected in ``start``..``end`` against the period's target (see :func:`period_target`)."""
    target, months = period_target(targets, start, end)
    if target is None:
        return TargetResult(collected, None, Figure.undefined("no target set for the period"), None, 0)
    attainment = percent(collected, target, "the target is zero")
    return TargetResult(collected, target, attainment, target - collected, months)
