"""Promise-to-pay outcomes and the kept rate, by count and by amount."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from incasso.core.kpi.figures import ZERO, Figure, KpiError, percent


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
        kept_rate=percent(Decimal(len(kept)), Decimal(len(judged)), reason),
        kept_rate_by_amount=percent(kept_total, promised_total, reason),
        partially_kept_rate=percent(Decimal(len(partial)), Decimal(len(judged)), reason),
        collected_rate=percent(collected, promised_total, reason),
        outcomes=outcomes,
    )

