"""Average days to pay and days late over paid items, simple and amount-weighted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from incasso.core.kpi.figures import ZERO, Figure, KpiError, _mean


@dataclass(frozen=True, slots=True)
class PaidItem:
    """An invoice (or instalment) paid in full on ``payment_date``."""

    invoice_date: date
    due_date: date
    payment_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DaysResult:
    """A mean number of days over paid items: simple and weighted by amount."""

    simple: Figure
    weighted: Figure
    count: int
    total_amount: Decimal


def _mean_days(pairs: Sequence[tuple[int, Decimal]]) -> DaysResult:
    if not pairs:
        none = Figure.undefined("no paid items")
        return DaysResult(none, none, 0, ZERO)
    for _days, amount in pairs:
        if amount < 0:
            raise KpiError(f"a paid item has a negative amount ({amount}); pass invoice amounts")
    total = sum((amount for _, amount in pairs), ZERO)
    simple = Figure(_mean([Decimal(days) for days, _ in pairs]))
    if total == 0:
        weighted = Figure.undefined("the paid items total zero")
    else:
        weighted = Figure(sum((days * amount for days, amount in pairs), ZERO) / total)
    return DaysResult(simple, weighted, len(pairs), total)


def average_days_to_pay(items: Iterable[PaidItem]) -> DaysResult:
    """Mean of (payment date − invoice date) in calendar days; simple and amount-weighted."""
    return _mean_days([((i.payment_date - i.invoice_date).days, i.amount) for i in items])


def average_days_late(items: Iterable[PaidItem], *, clip_early_at_zero: bool) -> DaysResult:
    """Mean of (payment date − due date); early payments count 0 when ``clip_early_at_zero``,
    otherwise as negative days (which lowers the mean: "days beyond terms" in some reports)."""
    pairs = []
    for item in items:
        days = (item.payment_date - item.due_date).days
        pairs.append((max(days, 0) if clip_early_at_zero else days, item.amount))
    return _mean_days(pairs)

