"""Payment plans: instalment schedules and how they are judged from the cash that arrived.

A payment plan spreads what a customer owes on some items (the *covered total*) over an optional
down payment and ``count`` instalments due weekly, fortnightly, monthly or quarterly from a first
date. The amounts are split once at the currency's minor unit: every instalment gets the same
amount rounded *down*, and the remainder (less than ``count`` minor units) goes on the last one, so
the schedule always sums to the covered total to the cent and no instalment is ever zero or
negative.

Judging works like promises to pay, cumulatively: instalment *k* is **kept** when the cash
allocated to the covered items since the plan was proposed (each item counting at most its covered
amount) reaches the scheduled amounts of instalments 1..k by its due date plus the tolerance days.
Cash paid ahead keeps later instalments early. An instalment whose deadline passed without that is
**missed**, and one missed instalment breaks the plan; when every instalment is kept the plan is
completed.

Monthly and quarterly dates keep the first date's day of the month and fall back to the last day of
shorter months (31 January, 28 February, 31 March...), as banks' standing orders do.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from incasso.core.money import ZERO, MoneyError, minor_unit

Frequency = Literal["weekly", "fortnightly", "monthly", "quarterly"]
FREQUENCIES: tuple[Frequency, ...] = ("weekly", "fortnightly", "monthly", "quarterly")
_DAYS = {"weekly": 7, "fortnightly": 14}
_MONTHS = {"monthly": 1, "quarterly": 3}

InstalmentState = Literal["kept", "missed", "pending"]
PlanState = Literal["active", "completed", "broken"]


class PlanError(ValueError):
    """Terms that cannot make a schedule (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class ScheduledInstalment:
    """One line of the schedule: ``number`` 0 is the down payment, 1..N the instalments."""

    number: int
    due_date: date
    amount: Decimal

    @property
    def is_down_payment(self) -> bool:
        return self.number == 0


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole months, keeping its day or the month's last day when shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def instalment_dates(first: date, count: int, frequency: Frequency) -> tuple[date, ...]:
    """The due dates of ``count`` instalments from ``first`` at ``frequency``."""
    if count < 1:
        raise PlanError(f"a plan has at least one instalment, not {count}")
    if frequency in _DAYS:
        step = timedelta(days=_DAYS[frequency])
        return tuple(first + step * k for k in range(count))
    if frequency in _MONTHS:
        return tuple(add_months(first, _MONTHS[frequency] * k) for k in range(count))
    raise PlanError(f"unknown frequency {frequency!r}; expected one of {', '.join(FREQUENCIES)}")


def split_amount(total: Decimal, count: int, currency: str) -> tuple[Decimal, ...]:
    """``total`` in ``count`` parts at the currency's minor unit: equal parts rounded down, the
    remainder on the last part. The parts sum to ``total`` exactly."""
    if count < 1:
        raise PlanError(f"an amount is split into at least one part, not {count}")
    try:
        unit = minor_unit(currency)
    except MoneyError as error:
        raise PlanError(str(error)) from None
    if total != total.quantize(unit):
        raise PlanError(f"{total} has more decimals than {currency} allows ({unit})")
    if total < unit * count:
        raise PlanError(f"{total} {currency} cannot make {count} instalments of at least {unit}")
    regular = (total / count).quantize(unit, rounding=ROUND_DOWN)
    last = total - regular * (count - 1)
    return (regular,) * (count - 1) + (last,)


def plan_schedule(total: Decimal, currency: str, *, count: int, frequency: Frequency, first_due_date: date,
                  down_payment: Decimal = ZERO, down_payment_due: date | None = None
                  ) -> tuple[ScheduledInstalment, ...]:
    """The full schedule: the down payment (if any) as number 0, then the instalments 1..``count``.

    The down payment is taken off the total first and must fall due on or before the first
    instalment; the rest is split with :func:`split_amount`.
    """
    if down_payment < 0:
        raise PlanError(f"a down payment cannot be negative ({down_payment})")
    lines: list[ScheduledInstalment] = []
    if down_payment > 0:
        if down_payment_due is None:
            raise PlanError("a down payment needs its due date")
        if down_payment_due > first_due_date:
            raise PlanError(f"the down payment ({down_payment_due}) falls due after the first instalment "
                            f"({first_due_date})")
        try:
            unit = minor_unit(currency)
        except MoneyError as error:
            raise PlanError(str(error)) from None
        if down_payment != down_payment.quantize(unit):
            raise PlanError(f"{down_payment} has more decimals than {currency} allows ({unit})")
        if down_payment >= total:
            raise PlanError(f"the down payment ({down_payment}) must leave something for the instalments "
                            f"(total {total})")
        lines.append(ScheduledInstalment(0, down_payment_due, down_payment))
    amounts = split_amount(total - down_payment, count, currency)
    dates = instalment_dates(first_due_date, count, frequency)
    lines.extend(ScheduledInstalment(k + 1, on, amount) for k, (on, amount) in enumerate(zip(dates, amounts,
                                                                                            strict=True)))
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class PlanCash:
    """Cash allocated to a covered item: when and how much."""

    item_id: int
    allocated_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InstalmentOutcome:
    instalment: ScheduledInstalment
    cumulative_due: Decimal  # scheduled amounts of this and every earlier instalment
    deadline: date  # due date + tolerance days
    paid: Decimal  # counted cash by the deadline (or by as_of while the deadline is ahead)
    state: InstalmentState


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    state: PlanState
    instalments: tuple[InstalmentOutcome, ...]
    paid: Decimal  # counted cash by as_of
    first_missed: InstalmentOutcome | None


def counted_cash(covered: Mapping[int, Decimal], cash: Iterable[PlanCash], *, since: date, until: date) -> Decimal:
    """Cash allocated to the covered items from ``since`` to ``until`` (inclusive), each item
    counting at most its covered amount: paying more on one invoice does not pay another's share."""
    per_item: dict[int, Decimal] = {}
    for c in cash:
        if c.item_id in covered and since <= c.allocated_on <= until:
            per_item[c.item_id] = per_item.get(c.item_id, ZERO) + c.amount
    return sum((min(amount, covered[item_id]) for item_id, amount in per_item.items()), ZERO)


def judge_plan(schedule: Sequence[ScheduledInstalment], covered: Mapping[int, Decimal], cash: Iterable[PlanCash],
               *, since: date, as_of: date, tolerance_days: int) -> PlanOutcome:
    """Judge every instalment of a plan as of the end of ``as_of`` (see the module docstring).

    ``covered`` maps each covered item to its covered amount; ``cash`` holds the allocations on
    those items (others are ignored); only cash allocated from ``since`` (the day the plan was
    proposed) counts.
    """
    if tolerance_days < 0:
        raise PlanError(f"tolerance days cannot be negative ({tolerance_days})")
    cash = tuple(cash)
    outcomes: list[InstalmentOutcome] = []
    cumulative = ZERO
    for line in sorted(schedule, key=lambda i: (i.due_date, i.number)):
        cumulative += line.amount
        deadline = line.due_date + timedelta(days=tolerance_days)
        paid = counted_cash(covered, cash, since=since, until=min(deadline, as_of))
        if paid >= cumulative:
            state: InstalmentState = "kept"
        elif as_of > deadline:
            state = "missed"
        else:
            state = "pending"
        outcomes.append(InstalmentOutcome(line, cumulative, deadline, paid, state))
    first_missed = next((o for o in outcomes if o.state == "missed"), None)
    if first_missed is not None:
        plan_state: PlanState = "broken"
    elif outcomes and all(o.state == "kept" for o in outcomes):
        plan_state = "completed"
    else:
        plan_state = "active"
    return PlanOutcome(plan_state, tuple(outcomes), counted_cash(covered, cash, since=since, until=as_of),
                       first_missed)
