"""Receivables KPIs, pure: DSO (simple, countback), best possible DSO, ADD, CEI, days to pay and
late, dispute cycle time, promise-to-pay kept rate, aging shares, cash against target and payment
after each dunning level.

The formulas are the handbook's ("KPI definitions", docs/kpis.md has worked examples). Everything
is Decimal; every parameter that changes a figure (day convention, sales basis, tolerance, window,
as-of date) is explicit. A figure that has no meaning for its inputs (no sales, no resolved
disputes, no target) is returned as ``Figure(exact=None, reason=...)`` rather than raised, because
a report shows "n/a" for one customer and carries on; inputs that are wrong (months out of order, a
dispute resolved before it was opened) raise :class:`KpiError`.

Figures keep the exact quotient in ``exact``; ``value`` is that rounded half-up to two decimals,
which is what reports display. Sums of rounded figures are never used in another formula.

One module per use case: ``figures`` (Figure, KpiError), ``dso`` (DSO, BPDSO, ADD, CEI), ``paying``
(days to pay and late), ``disputes``, ``promises``, ``shares`` (% current, % over N), ``targets``
(cash against target), ``dunning`` (paid after each level). Everything is importable from here.
"""

from incasso.core.kpi.disputes import DisputeDates, DisputeDaysResult, dispute_cycle_time, open_dispute_age
from incasso.core.kpi.dso import (
    CeiResult,
    DsoResult,
    MonthlySales,
    average_days_delinquent,
    best_possible_dso_countback,
    best_possible_dso_simple,
    collection_effectiveness_index,
    days_in_month,
    dso_countback,
    dso_simple,
)
from incasso.core.kpi.dunning import DunnedItem, ItemPayment, LevelOutcome, paid_after_levels
from incasso.core.kpi.figures import HUNDRED, ZERO, ArBasis, DayConvention, Figure, KpiError, SalesBasis, percent
from incasso.core.kpi.paying import DaysResult, PaidItem, average_days_late, average_days_to_pay
from incasso.core.kpi.promises import (
    PromiseKeptRate,
    PromiseOutcome,
    PromisePayment,
    PromiseStatus,
    PromiseToPay,
    judge_promise,
    promise_kept_rate,
)
from incasso.core.kpi.shares import AgingShares, aging_shares
from incasso.core.kpi.targets import MonthlyTarget, TargetResult, cash_against_target, period_target

__all__ = [
    "HUNDRED", "ZERO", "AgingShares", "ArBasis", "CeiResult", "DayConvention", "DaysResult", "DisputeDates",
    "DisputeDaysResult", "DsoResult", "DunnedItem", "Figure", "ItemPayment", "KpiError", "LevelOutcome",
    "MonthlySales", "MonthlyTarget", "PaidItem", "PromiseKeptRate", "PromiseOutcome", "PromisePayment",
    "PromiseStatus", "PromiseToPay", "SalesBasis", "TargetResult", "aging_shares", "average_days_delinquent",
    "average_days_late", "average_days_to_pay", "best_possible_dso_countback", "best_possible_dso_simple",
    "cash_against_target", "collection_effectiveness_index", "days_in_month", "dispute_cycle_time",
    "dso_countback", "dso_simple", "judge_promise", "open_dispute_age", "paid_after_levels", "percent",
    "period_target", "promise_kept_rate",
]
