"""Cash against target and payment after each dunning level, on examples worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.core.kpi import (
    DunnedItem,
    ItemPayment,
    KpiError,
    MonthlyTarget,
    cash_against_target,
    paid_after_levels,
    period_target,
)
from incasso.core.money import D

TARGETS = [MonthlyTarget(2026, 3, D("31000.00")), MonthlyTarget(2026, 4, D("30000.00"))]


def test_a_whole_month_is_judged_against_its_target():
    result = cash_against_target(D("27900.00"), TARGETS, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert result.target == D("31000.00")
    assert result.attainment.value == D("90.00")  # 27,900 / 31,000
    assert result.gap == D("3100.00")
    assert result.months_with_target == 1


def test_a_period_across_two_months_takes_the_covered_days_of_each():
    # 16-31 March: 16/31 of 31,000 = 16,000; 1-15 April: 15/30 of 30,000 = 15,000.
    target, months = period_target(TARGETS, date(2026, 3, 16), date(2026, 4, 15))
    assert (target, months) == (D("31000"), 2)
    result = cash_against_target(D("34100.00"), TARGETS, start=date(2026, 3, 16), end=date(2026, 4, 15))
    assert result.attainment.value == D("110.00")
    assert result.gap == D("-3100.00")  # ahead of target


def test_no_target_is_not_a_target_of_zero():
    none = cash_against_target(D("500.00"), TARGETS, start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert none.target is None and none.gap is None
    assert none.attainment.exact is None and none.attainment.reason == "no target set for the period"
    zero = cash_against_target(D("500.00"), [MonthlyTarget(2026, 5, D("0"))], start=date(2026, 5, 1),
                               end=date(2026, 5, 31))
    assert zero.target == 0 and zero.gap == D("-500.00")
    assert zero.attainment.reason == "the target is zero"


def test_wrong_targets_are_errors():
    with pytest.raises(KpiError, match=r"targets\[1\]: two targets for 2026-03"):
        period_target([TARGETS[0], TARGETS[0]], date(2026, 3, 1), date(2026, 3, 31))
    with pytest.raises(KpiError, match="cannot be negative"):
        period_target([MonthlyTarget(2026, 3, D("-1"))], date(2026, 3, 1), date(2026, 3, 31))
    with pytest.raises(KpiError, match="ends"):
        period_target(TARGETS, date(2026, 3, 31), date(2026, 3, 1))


def _item(level: int, on: date, amount: str, *payments: tuple[date, str]) -> DunnedItem:
    return DunnedItem(level, on, D(amount), tuple(ItemPayment(day, D(cash)) for day, cash in payments))


def test_paid_after_each_level_within_the_window():
    items = [
        # level 1, window 14 days, judged at the end of 31 March
        _item(1, date(2026, 3, 1), "1000.00", (date(2026, 3, 5), "400.00"), (date(2026, 3, 14), "600.00")),  # cleared
        _item(1, date(2026, 3, 1), "500.00", (date(2026, 3, 20), "500.00")),  # paid after its window (15 Mar)
        _item(1, date(2026, 3, 10), "2000.00", (date(2026, 3, 12), "800.00")),  # partly paid
        _item(1, date(2026, 3, 25), "300.00"),  # window ends 8 April: pending
        # level 2
        _item(2, date(2026, 3, 2), "750.00", (date(2026, 3, 3), "1000.00")),  # overpaid: capped at 750
        _item(2, date(2026, 3, 5), "200.00", (date(2026, 3, 4), "200.00")),  # cash before the letter: not counted
    ]
    first, second = paid_after_levels(items, window_days=14, as_of=date(2026, 3, 31))
    assert (first.level, first.items, first.judged, first.pending, first.cleared) == (1, 4, 3, 1, 1)
    assert (first.amount_dunned, first.amount_cleared, first.amount_collected) == (
        D("3500.00"), D("1000.00"), D("1800.00"))
    assert first.cleared_rate.value == D("33.33")
    assert first.cleared_rate_by_amount.value == D("28.57")  # 1,000 / 3,500
    assert first.collected_rate.value == D("51.43")  # (1,000 + 800) / 3,500
    assert (second.level, second.judged, second.cleared) == (2, 2, 1)
    assert second.amount_collected == D("750.00")
    assert second.cleared_rate.value == D("50.00")
    assert second.collected_rate.value == D("78.95")  # 750 / 950


def test_the_window_is_judged_on_its_last_day_and_edge_cases():
    # Letter on 17 March, 14 days: the window's last day is 31 March, so as of 31 March it is judged.
    (outcome,) = paid_after_levels([_item(3, date(2026, 3, 17), "100.00", (date(2026, 3, 31), "100.00"))],
                                   window_days=14, as_of=date(2026, 3, 31))
    assert (outcome.judged, outcome.cleared, outcome.cleared_rate.value) == (1, 1, Decimal("100.00"))
    (pending,) = paid_after_levels([_item(3, date(2026, 3, 17), "100.00")], window_days=14, as_of=date(2026, 3, 30))
    assert pending.judged == 0 and pending.cleared_rate.exact is None
    assert paid_after_levels([], window_days=14, as_of=date(2026, 3, 31)) == []
    with pytest.raises(KpiError, match=r"items\[0\]: dunning levels start at 1"):
        paid_after_levels([_item(0, date(2026, 3, 1), "1.00")], window_days=14, as_of=date(2026, 3, 31))
    with pytest.raises(KpiError, match="window_days"):
        paid_after_levels([], window_days=-1, as_of=date(2026, 3, 31))
