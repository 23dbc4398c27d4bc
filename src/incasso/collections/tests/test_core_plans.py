"""Payment plan schedules and their judging, in the pure core (no database)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incasso.core.collections.plans import (
    FREQUENCIES,
    PlanCash,
    PlanError,
    ScheduledInstalment,
    add_months,
    instalment_dates,
    judge_plan,
    plan_schedule,
    split_amount,
)
from incasso.core.money import MINOR_UNITS, minor_unit

D = Decimal


def test_the_remainder_of_a_split_goes_on_the_last_instalment():
    assert split_amount(D("1000.00"), 3, "EUR") == (D("333.33"), D("333.33"), D("333.34"))
    assert split_amount(D("2.00"), 3, "EUR") == (D("0.66"), D("0.66"), D("0.68"))
    assert split_amount(D("1000"), 3, "JPY") == (D("333"), D("333"), D("334"))
    assert split_amount(D("10.000"), 3, "KWD") == (D("3.333"), D("3.333"), D("3.334"))
    assert split_amount(D("0.17"), 10, "EUR") == (D("0.01"),) * 9 + (D("0.08"),)  # half-up would go negative


@pytest.mark.parametrize(("total", "count", "currency", "why"), [
    (D("100.001"), 2, "EUR", "more decimals than EUR allows"),
    (D("0.02"), 3, "EUR", "cannot make 3 instalments"),
    (D("100"), 0, "EUR", "at least one part"),
    (D("100"), 2, "XXX", "unknown currency"),
])
def test_a_split_that_cannot_be_made_says_why(total, count, currency, why):
    with pytest.raises(PlanError, match=why):
        split_amount(total, count, currency)


@given(
    currency=st.sampled_from(sorted(MINOR_UNITS)),
    minor_units=st.integers(min_value=1, max_value=10**12),
    count=st.integers(min_value=1, max_value=120),
)
def test_a_split_sums_to_the_total_in_whole_minor_units(currency, minor_units, count):
    unit = minor_unit(currency)
    total = unit * minor_units
    if minor_units < count:
        with pytest.raises(PlanError):
            split_amount(total, count, currency)
        return

    parts = split_amount(total, count, currency)

    assert len(parts) == count
    assert sum(parts) == total
    assert all(p > 0 and p == p.quantize(unit) for p in parts)
    assert len(set(parts[:-1])) <= 1  # every instalment but the last is the same
    assert 0 <= parts[-1] - parts[0] < unit * count  # the last carries less than one unit per instalment


def test_monthly_dates_keep_the_day_or_fall_back_to_the_month_end():
    assert instalment_dates(date(2026, 1, 31), 4, "monthly") == (
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30))
    assert instalment_dates(date(2025, 11, 30), 3, "quarterly") == (
        date(2025, 11, 30), date(2026, 2, 28), date(2026, 5, 30))
    assert instalment_dates(date(2026, 3, 2), 3, "weekly") == (date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16))
    assert instalment_dates(date(2026, 3, 2), 2, "fortnightly") == (date(2026, 3, 2), date(2026, 3, 16))
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)  # leap year
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


@given(first=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
       count=st.integers(min_value=1, max_value=60), frequency=st.sampled_from(FREQUENCIES))
def test_instalment_dates_rise_strictly(first, count, frequency):
    dates = instalment_dates(first, count, frequency)
    assert dates[0] == first and len(dates) == count
    assert all(a < b for a, b in zip(dates, dates[1:], strict=False))


def test_a_schedule_takes_the_down_payment_first_and_sums_to_the_covered_total():
    schedule = plan_schedule(D("1000.00"), "EUR", count=3, frequency="monthly", first_due_date=date(2026, 4, 30),
                             down_payment=D("100.00"), down_payment_due=date(2026, 4, 1))

    assert [(i.number, i.due_date, i.amount) for i in schedule] == [
        (0, date(2026, 4, 1), D("100.00")),
        (1, date(2026, 4, 30), D("300.00")),
        (2, date(2026, 5, 30), D("300.00")),
        (3, date(2026, 6, 30), D("300.00")),
    ]
    assert sum(i.amount for i in schedule) == D("1000.00")


@pytest.mark.parametrize(("down", "due", "why"), [
    (D("100"), None, "needs its due date"),
    (D("100"), date(2026, 5, 1), "after the first instalment"),
    (D("1000"), date(2026, 4, 1), "must leave something"),
    (D("-1"), date(2026, 4, 1), "cannot be negative"),
    (D("10.005"), date(2026, 4, 1), "more decimals"),
])
def test_a_bad_down_payment_is_refused(down, due, why):
    with pytest.raises(PlanError, match=why):
        plan_schedule(D("1000.00"), "EUR", count=2, frequency="monthly", first_due_date=date(2026, 4, 30),
                      down_payment=down, down_payment_due=due)


@given(minor_units=st.integers(min_value=2, max_value=10**9), count=st.integers(min_value=1, max_value=36),
       down_share=st.integers(min_value=0, max_value=99), frequency=st.sampled_from(FREQUENCIES))
def test_every_schedule_sums_to_the_total_to_the_cent(minor_units, count, down_share, frequency):
    total = D(minor_units) / 100
    down = (total * down_share / 100).quantize(D("0.01"), rounding="ROUND_DOWN")
    if total - down < D("0.01") * count:
        return
    schedule = plan_schedule(total, "EUR", count=count, frequency=frequency, first_due_date=date(2026, 1, 31),
                             down_payment=down, down_payment_due=date(2026, 1, 15))
    assert sum(i.amount for i in schedule) == total
    assert all(i.amount > 0 and i.amount == i.amount.quantize(D("0.01")) for i in schedule)
    assert [i.number for i in schedule] == list(range(0 if down > 0 else 1, count + 1))


# Judging: 900.00 over three monthly instalments on two invoices (600 + 300), tolerance 3 days.
START = date(2026, 3, 16)
SCHEDULE = (ScheduledInstalment(1, date(2026, 4, 15), D("300.00")),
            ScheduledInstalment(2, date(2026, 5, 15), D("300.00")),
            ScheduledInstalment(3, date(2026, 6, 15), D("300.00")))
COVERED = {1: D("600.00"), 2: D("300.00")}


def judged(cash, as_of):  # type: ignore[no-untyped-def]
    return judge_plan(SCHEDULE, COVERED, cash, since=START, as_of=as_of, tolerance_days=3)


def test_an_instalment_paid_within_the_tolerance_is_kept_and_the_next_is_pending():
    outcome = judged([PlanCash(1, date(2026, 4, 18), D("300.00"))], as_of=date(2026, 4, 20))

    assert outcome.state == "active"
    assert [o.state for o in outcome.instalments] == ["kept", "pending", "pending"]
    assert outcome.instalments[0].deadline == date(2026, 4, 18)


def test_an_instalment_paid_after_the_tolerance_is_missed_and_breaks_the_plan():
    late = [PlanCash(1, date(2026, 4, 19), D("300.00"))]

    assert judged(late, as_of=date(2026, 4, 18)).state == "active"  # the deadline day itself still counts
    outcome = judged(late, as_of=date(2026, 4, 19))

    assert outcome.state == "broken"
    assert outcome.first_missed is not None and outcome.first_missed.instalment.number == 1
    assert outcome.first_missed.paid == D("0")


def test_instalments_are_judged_cumulatively_and_paying_ahead_keeps_later_ones():
    cash = [PlanCash(1, date(2026, 4, 10), D("200.00")), PlanCash(2, date(2026, 4, 14), D("300.00"))]

    outcome = judged(cash, as_of=date(2026, 5, 1))

    assert [o.state for o in outcome.instalments] == ["kept", "pending", "pending"]
    assert [o.cumulative_due for o in outcome.instalments] == [D("300.00"), D("600.00"), D("900.00")]
    assert outcome.paid == D("500.00")
    short = judged(cash, as_of=date(2026, 5, 19))  # 500 < 600 by 18 May
    assert short.state == "broken" and short.first_missed.instalment.number == 2


def test_a_plan_whose_every_instalment_is_paid_is_completed_even_before_the_last_date():
    cash = [PlanCash(1, date(2026, 4, 1), D("600.00")), PlanCash(2, date(2026, 4, 2), D("300.00"))]
    assert judged(cash, as_of=date(2026, 4, 5)).state == "completed"


def test_only_cash_on_covered_items_since_the_proposal_counts_and_each_item_at_most_its_share():
    cash = [
        PlanCash(1, START - timedelta(days=1), D("300.00")),  # before the plan
        PlanCash(3, date(2026, 4, 10), D("300.00")),  # another invoice
        PlanCash(2, date(2026, 4, 10), D("250.00")),
        PlanCash(2, date(2026, 4, 11), D("100.00")),  # 350 on an item covered for 300
    ]
    outcome = judged(cash, as_of=date(2026, 4, 30))
    assert outcome.paid == D("300.00")
    assert [o.state for o in outcome.instalments] == ["kept", "pending", "pending"]


def test_cash_after_the_as_of_date_does_not_count():
    cash = [PlanCash(1, date(2026, 4, 25), D("900.00"))]
    assert judged(cash, as_of=date(2026, 4, 17)).state == "active"
    assert judged(cash, as_of=date(2026, 4, 17)).paid == D("0")
