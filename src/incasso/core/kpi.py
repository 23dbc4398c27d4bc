"""Receivables KPIs: DSO (simple, countback), best possible DSO, ADD, CEI, days to pay, dispute cycle
time, promise-to-pay kept rate and aging shares.

The formulas are the handbook's ("KPI definitions", docs/kpis.md has worked examples). Everything
is Decimal; every parameter that changes a figure (day convention, sales basis, tolerance, as-of
date) is explicit. A figure that has no meaning for its inputs (no sales, no resolved disputes) is
returned as ``Figure(exact=None, reason=...)`` rather than raised, because a report shows "n/a" for
one customer and carries on; inputs that are wrong (months out of order, a dispute resolved before
it was opened) raise :class:`KpiError`.

Figures keep the exact quotient in ``exact``; ``value`` is that rounded half-up to two decimals,
which is what reports display. Sums of rounded figures are never used in another formula.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from incasso.core.aging import Bucket

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")

DayConvention = Literal["30", "calendar"]
ArBasis = Literal["gross", "net"]
SalesBasis = Literal["period", "monthly_average"]


class KpiError(ValueError):
    """Inputs that no KPI formula can use (out-of-order months, negative days, unknown option)."""


@dataclass(frozen=True, slots=True)
class Figure:
    """A KPI number: ``exact`` unrounded, ``value`` rounded half-up to 2 decimals; None with a reason."""

    exact: Decimal | None
    reason: str | None = None

    @property
    def value(self) -> Decimal | None:
        if self.exact is None:
            return None
        return self.exact.quantize(_CENT, rounding=ROUND_HALF_UP)

    @classmethod
    def undefined(cls, reason: str) -> Figure:
        return cls(None, reason)


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise KpiError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}, not {value!r}")


# --- DSO ---------------------------------------------------------------------------------------


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


# --- Days to pay and days late --------------------------------------------------------------


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


# --- Disputes --------------------------------------------------------------------------------


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


# --- Promises to pay -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromisePayment:
    """Cash received against a promise: value date and amount."""

    received_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PromiseToPay:
    promised_date: date
    promised_amount: Decimal
    payments: tuple[PromisePayment, ...] = ()


PromiseStatus = Literal["not_yet_due", "kept", "partially_kept", "broken"]


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    promise: PromiseToPay
    status: PromiseStatus
    deadline: date  # promised date + tolerance days: the last day the cash may arrive
    arrived: Decimal  # cash received up to and including the deadline


@dataclass(frozen=True, slots=True)
class PromiseKeptRate:
    """How many judged promises were kept, by count and by promised amount.

    ``kept_rate`` = kept / judged × 100; ``kept_rate_by_amount`` = promised amount of kept promises /
    promised amount of judged promises × 100; ``partially_kept_rate`` the same count ratio for partly
    kept ones; ``collected_rate`` = cash arrived by the deadlines (capped at each promise) / promised
    amount of judged promises × 100.
    """

    as_of: date
    judged: int
    kept: int
    partially_kept: int
    broken: int
    not_yet_due: int
    kept_rate: Figure
    kept_rate_by_amount: Figure
    partially_kept_rate: Figure
    collected_rate: Figure
    outcomes: tuple[PromiseOutcome, ...]


def judge_promise(promise: PromiseToPay, *, as_of: date, tolerance_days: int,
                  amount_tolerance: Decimal = ZERO) -> PromiseOutcome:
    """Judge one promise as of the end of ``as_of``.

    The deadline is promised date + ``tolerance_days``; a promise is judged only once the deadline
    has passed (``as_of`` > deadline), because cash may still arrive on the deadline itself. Kept
    when the cash by the deadline reaches the promised amount less ``amount_tolerance``; partially
    kept when some but not enough arrived; broken when none did.
    """
    if tolerance_days < 0:
        raise KpiError(f"tolerance_days must not be negative, not {tolerance_days}")
    if promise.promised_amount <= 0:
        raise KpiError(f"a promise must be for a positive amount, not {promise.promised_amount}")
    deadline = promise.promised_date + timedelta(days=tolerance_days)
    arrived = sum((p.amount for p in promise.payments if p.received_on <= deadline), ZERO)
    if as_of <= deadline:
        status: PromiseStatus = "not_yet_due"
    elif arrived >= promise.promised_amount - amount_tolerance:
        status = "kept"
    elif arrived > 0:
        status = "partially_kept"
    else:
        status = "broken"
    return PromiseOutcome(promise, status, deadline, arrived)


def _percent(part: Decimal, whole: Decimal, reason: str) -> Figure:
    return Figure(part / whole * HUNDRED) if whole else Figure.undefined(reason)


def promise_kept_rate(promises: Iterable[PromiseToPay], *, as_of: date, tolerance_days: int,
                      amount_tolerance: Decimal = ZERO) -> PromiseKeptRate:
    """PTP kept rate over the promises whose deadline has passed as of ``as_of``."""
    outcomes = tuple(
        judge_promise(p, as_of=as_of, tolerance_days=tolerance_days, amount_tolerance=amount_tolerance)
        for p in promises
    )
    judged = [o for o in outcomes if o.status != "not_yet_due"]
    kept = [o for o in judged if o.status == "kept"]
    partial = [o for o in judged if o.status == "partially_kept"]
    promised_total = sum((o.promise.promised_amount for o in judged), ZERO)
    kept_total = sum((o.promise.promised_amount for o in kept), ZERO)
    collected = sum((min(o.arrived, o.promise.promised_amount) for o in judged), ZERO)
    reason = "no promise has reached its deadline"
    return PromiseKeptRate(
        as_of=as_of,
        judged=len(judged),
        kept=len(kept),
        partially_kept=len(partial),
        broken=len(judged) - len(kept) - len(partial),
        not_yet_due=len(outcomes) - len(judged),
        kept_rate=_percent(Decimal(len(kept)), Decimal(len(judged)), reason),
        kept_rate_by_amount=_percent(kept_total, promised_total, reason),
        partially_kept_rate=_percent(Decimal(len(partial)), Decimal(len(judged)), reason),
        collected_rate=_percent(collected, promised_total, reason),
        outcomes=outcomes,
    )


# --- Aging shares ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgingShares:
    """Share of an aging total that is current, and that is more than ``over_days`` past due."""

    total: Decimal
    current: Figure
    over: Figure
    over_days: int


def aging_shares(buckets: Sequence[Bucket], amounts: Sequence[Decimal], *, over_days: int = 90) -> AgingShares:
    """% current and % over ``over_days`` days of one aging row (buckets as ``incasso.core.aging``).

    "Current" is the bucket ending at 0 days; "over N" the buckets starting after N days. A bucket
    that straddles N (such as 61-120 for N = 90) cannot be split and is an error. A total of zero or
    less (a customer in credit) has no meaningful shares.
    """
    if len(buckets) != len(amounts):
        raise KpiError(f"{len(buckets)} buckets but {len(amounts)} amounts")
    current = ZERO
    over = ZERO
    for bucket, amount in zip(buckets, amounts, strict=True):
        if bucket.high is not None and bucket.high <= 0:
            current += amount
        elif bucket.low is not None and bucket.low > over_days:
            over += amount
        elif bucket.high is None or bucket.high > over_days:
            raise KpiError(f"bucket {bucket.label!r} straddles {over_days} days; choose buckets that end there")
    total = sum(amounts, ZERO)
    if total <= 0:
        reason = "the aging total is zero" if total == 0 else "the aging total is a credit balance"
        return AgingShares(total, Figure.undefined(reason), Figure.undefined(reason), over_days)
    return AgingShares(total, Figure(current / total * HUNDRED), Figure(over / total * HUNDRED), over_days)
