"""Promises to pay, judged from the cash that reached the promised items.

The cash that counts for a promise is what was allocated to its items from the day it was taken up
to the deadline (promised date + tolerance days); ``incasso.core.kpi.judge_promise`` does the
judging. The *promise level* of a new promise is the number of earlier promises on any of the same
items that were broken or only partly kept: a third promise on the same invoice is worth less than
a first one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from incasso.core.kpi import PromiseOutcome, PromisePayment, PromiseToPay, judge_promise


@dataclass(frozen=True, slots=True)
class ItemCash:
    """An allocation of cash to one promised item: its date and amount."""

    item_id: int
    allocated_on: date
    amount: Decimal


def judge(*, promised_date: date, promised_amount: Decimal, taken_on: date, item_ids: Iterable[int],
          cash: Iterable[ItemCash], as_of: date, tolerance_days: int) -> PromiseOutcome:
    """Judge a promise from the allocations on its items made since it was taken."""
    items = set(item_ids)
    payments = tuple(
        PromisePayment(c.allocated_on, c.amount) for c in cash
        if c.item_id in items and c.allocated_on >= taken_on
    )
    return judge_promise(PromiseToPay(promised_date, promised_amount, payments), as_of=as_of,
                         tolerance_days=tolerance_days)


def promise_level(item_ids: Iterable[int], earlier: Iterable[tuple[frozenset[int], str]]) -> int:
    """1 + the number of earlier broken or partly kept promises sharing an item with this one."""
    items = set(item_ids)
    return 1 + sum(1 for covered, status in earlier if status in {"broken", "partially_kept"} and covered & items)
