"""Dunning effectiveness: how much of what each dunning level dunned was paid within N days of the
letter (letters per level are a plain count, done where the letters are)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from incasso.core.kpi.figures import ZERO, Figure, KpiError, percent


@dataclass(frozen=True, slots=True)
class ItemPayment:
    """Cash applied to a dunned item: the allocation's date and amount."""

    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DunnedItem:
    """An item that reached ``level`` with a letter dated ``dunned_on``, for ``amount`` (its open
    amount in the letter), and the cash applied to it from that day on."""

    level: int
    dunned_on: date
    amount: Decimal
    payments: tuple[ItemPayment, ...] = ()


@dataclass(frozen=True, slots=True)
class LevelOutcome:
    """What happened after the letters of one level.

    ``judged`` items are those whose window (letter date + ``window_days``) has passed; ``cleared``
    of them were paid in full within it. ``cleared_rate`` is by count, ``collected_rate`` by amount:
    cash applied within the window (capped at each item's dunned amount) / amount dunned.
    """

    level: int
    items: int
    judged: int
    pending: int
    cleared: int
    amount_dunned: Decimal  # of the judged items
    amount_cleared: Decimal  # dunned amount of the items cleared within the window
    amount_collected: Decimal  # cash within the window, capped per item
    cleared_rate: Figure
    cleared_rate_by_amount: Figure
    collected_rate: Figure


def paid_after_levels(items: Iterable[DunnedItem], *, window_days: int, as_of: date) -> list[LevelOutcome]:
    """Per level (ascending), the share of the dunned items paid within
    ``window_days`` after their letter, judged at the end of ``as_of``.

    An item is judged once its window has passed (letter date + window < ``as_of`` + 1, i.e. the
    last day of the window is on or before ``as_of``); before that it is pending. It counts as
    cleared when the cash applied to it from the letter date to the window's last day reaches its
    dunned amount.
    """
    if window_days < 0:
        raise KpiError(f"window_days must not be negative, not {window_days}")
    by_level: dict[int, list[DunnedItem]] = {}
    for index, item in enumerate(items):
        if item.level < 1:
            raise KpiError(f"items[{index}]: dunning levels start at 1, not {item.level}")
        if item.amount <= 0:
            raise KpiError(f"items[{index}]: a dunned amount must be positive, not {item.amount}")
        by_level.setdefault(item.level, []).append(item)
    outcomes = []
    reason = "no dunned item has reached the end of its window"
    for level in sorted(by_level):
        dunned = by_level[level]
        judged = cleared = 0
        amount = amount_cleared = collected = ZERO
        for item in dunned:
            deadline = item.dunned_on + timedelta(days=window_days)
            if deadline > as_of:
                continue
            judged += 1
            amount += item.amount
            arrived = sum((p.amount for p in item.payments if item.dunned_on <= p.on <= deadline), ZERO)
            collected += min(arrived, item.amount)
            if arrived >= item.amount:
                cleared += 1
                amount_cleared += item.amount
        outcomes.append(LevelOutcome(
            level=level, items=len(dunned), judged=judged,
            pending=len(dunned) - judged, cleared=cleared, amount_dunned=amount, amount_cleared=amount_cleared,
            amount_collected=collected,
            cleared_rate=percent(Decimal(cleared), Decimal(judged), reason),
            cleared_rate_by_amount=percent(amount_cleared, amount, reason),
            collected_rate=percent(collected, amount, reason),
        ))
    return outcomes
