"""DSO (simple and countback), best possible DSO, ADD and CEI: how long sales take to turn into cash."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from incasso.core.kpi.figures import (
    HUNDRED,
    ZERO,
    ArBasis,
    DayConvention,
    Figure,
    KpiError,
    SalesBasis,
    _check_choice,
)


@dataclass(frozen=True, slots=True)
class MonthlySales:
    """Credit sales invoiced in one calendar month (net of credit notes, as the caller defines)."""

    year: int
    month: int
    credit_sales: Decimal


@dataclass(frozen=True, slots=True)
class DsoResult:
    """Days sales outstanding and how they were reached.

    ``exhausted`` is True when the receivable is larger than all the months' sales together: every
    month was counted in full and the true DSO is at least ``days``. ``credit_balance`` is True when
    the receivable was zero-or-negative because credits exceed debits; DSO is then 0 days.
    """

    days: Figure
    method: Literal["simple", "countback"]
    receivable: Decimal
    ar_basis: ArBasis
    day_convention: DayConvention | None = None
    exhausted: bool = False
    credit_balance: bool = False
    months_counted: int = 0  # whole or partial months the countback walked through
    months_without_sales: tuple[tuple[int, int], ...] = ()


def dso_simple(receivable: Decimal, credit_sales: Decimal, days_in_period: int, *,
               ar_basis: ArBasis = "gross") -> DsoResult:
    """Simple DSO = receivable / credit sales of the period × days in the period.

    ``receivable`` is the ending AR, gross (all open debit items) or net (after unapplied cash and
    credit notes): the caller chooses the figure and says which in ``ar_basis``.
    """
    _check_choice("ar_basis", ar_basis, ("gross", "net"))
    if days_in_period <= 0:
        raise KpiError(f"days_in_period must be positive, not {days_in_period}")
    if receivable <= 0:
        return DsoResult(Figure(ZERO), "simple", receivable, ar_basis, credit_balance=receivable < 0)
    if credit_sales <= 0:
        return DsoResult(Figure.undefined("no credit sales in the period"), "simple", receivable, ar_basis)
    return DsoResult(Figure(receivable / credit_sales * days_in_period), "simple", receivable, ar_basis)


def days_in_month(year: int, month: int, day_convention: DayConvention) -> int:
    _check_choice("day_convention", day_convention, ("30", "calendar"))
    return 30 if day_convention == "30" else calendar.monthrange(year, month)[1]


def _check_months(months: Sequence[MonthlySales]) -> None:
    if not months:
        raise KpiError("the countback needs at least one month of credit sales")
    for index, entry in enumerate(months):
        if not 1 <= entry.month <= 12:
            raise KpiError(f"months[{index}]: month must be 1-12, not {entry.month}")
        if index:
            before = months[index - 1]
            expected = (before.year + before.month // 12, before.month % 12 + 1)
            if (entry.year, entry.month) != expected:
                raise KpiError(
                    f"months[{index}]: expected {expected[0]}-{expected[1]:02d} after "
                    f"{before.year}-{before.month:02d}; give consecutive months, oldest first"
                )


def dso_countback(receivable: Decimal, months: Sequence[MonthlySales], *,
                  day_convention: DayConvention, ar_basis: ArBasis = "gross") -> DsoResult:
    """Countback DSO: walk back from the latest month, absorbing each month's credit sales.

    ``months`` are consecutive, oldest first, the last one being the month the receivable is
    measured at the end of. A month whose sales the remaining receivable covers counts all its days
    (30, or its calendar days); the month where the receivable runs out counts the fraction
    remaining / sales of its days. A month with no sales (or net negative sales) cannot explain any
    of the receivable: it counts in full and is listed in ``months_without_sales``.
    """
    _check_choice("ar_basis", ar_basis, ("gross", "net"))
    _check_choice("day_convention", day_convention, ("30", "calendar"))
    _check_months(months)
    if receivable <= 0:
        return DsoResult(Figure(ZERO), "countback", receivable, ar_basis, day_convention,
                         credit_balance=receivable < 0)
    remaining = receivable
    days = ZERO
    counted = 0
    without_sales: list[tuple[int, int]] = []
    for entry in reversed(months):
        month_days = days_in_month(entry.year, entry.month, day_convention)
        counted += 1
        if entry.credit_sales <= 0:
            without_sales.append((entry.year, entry.month))
            days += month_days
            continue
        if remaining >= entry.credit_sales:
            days += month_days
            remaining -= entry.credit_sales
        else:
            days += remaining / entry.credit_sales * month_days
            remaining = ZERO
        if remaining == 0:
            break
    return DsoResult(
        Figure(days), "countback", receivable, ar_basis, day_convention,
        exhausted=remaining > 0, months_counted=counted, months_without_sales=tuple(without_sales),
    )


def best_possible_dso_simple(current_receivable: Decimal, credit_sales: Decimal, days_in_period: int, *,
                             ar_basis: ArBasis = "gross") -> DsoResult:
    """Best possible DSO: the simple DSO of the current (not yet due) receivable only."""
    return dso_simple(current_receivable, credit_sales, days_in_period, ar_basis=ar_basis)


def best_possible_dso_countback(current_receivable: Decimal, months: Sequence[MonthlySales], *,
                                day_convention: DayConvention, ar_basis: ArBasis = "gross") -> DsoResult:
    """Best possible DSO: the countback DSO of the current (not yet due) receivable only."""
    return dso_countback(current_receivable, months, day_convention=day_convention, ar_basis=ar_basis)


def average_days_delinquent(dso: DsoResult, best_possible: DsoResult) -> Figure:
    """ADD = DSO − best possible DSO, both computed with the same method, sales and convention."""
    if (dso.method, dso.day_convention, dso.ar_basis) != (
        best_possible.method, best_possible.day_convention, best_possible.ar_basis
    ):
        raise KpiError("DSO and best possible DSO must use the same method, day convention and AR basis")
    if dso.days.exact is None:
        return Figure.undefined(f"DSO undefined: {dso.days.reason}")
    if best_possible.days.exact is None:
        return Figure.undefined(f"best possible DSO undefined: {best_possible.days.reason}")
    return Figure(dso.days.exact - best_possible.days.exact)


# --- CEI ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CeiResult:
    """Collection effectiveness index in percent, with the parts of the quotient."""

    index: Figure
    sales_basis: SalesBasis
    sales_used: Decimal  # the period's sales, or sales / months for the monthly-average variant
    collected: Decimal  # numerator: beginning AR + sales − ending total AR
    collectible: Decimal  # denominator: beginning AR + sales − ending current AR


def collection_effectiveness_index(beginning_receivable: Decimal, credit_sales: Decimal,
                                   ending_total_receivable: Decimal, ending_current_receivable: Decimal, *,
                                   sales_basis: SalesBasis = "period", months_in_period: int = 1) -> CeiResult:
    """CEI = (beginning AR + sales − ending total AR) / (beginning AR + sales − ending current AR) × 100.

    ``sales_basis="period"`` uses the period's credit sales; ``"monthly_average"`` uses
    credit sales / ``months_in_period`` (the variant some teams report monthly over a quarter or year).
    """
    _check_choice("sales_basis", sales_basis, ("period", "monthly_average"))
    if months_in_period <= 0:
        raise KpiError(f"months_in_period must be positive, not {months_in_period}")
    sales = credit_sales if sales_basis == "period" else credit_sales / months_in_period
    collected = beginning_receivable + sales - ending_total_receivable
    collectible = beginning_receivable + sales - ending_current_receivable
    if collectible == 0:
        index = Figure.undefined("nothing was collectible: beginning AR + sales − ending current AR is 0")
    else:
        index = Figure(collected / collectible * HUNDRED)
    return CeiResult(index, sales_basis, sales, collected, collectible)

