"""Worked examples for the receivables KPIs; the arithmetic is in each test's comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.core.aging import DEFAULT_BUCKETS, parse_buckets
from incasso.core.kpi import (
    DisputeDates,
    KpiError,
    MonthlySales,
    PaidItem,
    PromisePayment,
    PromiseToPay,
    aging_shares,
    average_days_delinquent,
    average_days_late,
    average_days_to_pay,
    best_possible_dso_countback,
    best_possible_dso_simple,
    collection_effectiveness_index,
    dispute_cycle_time,
    dso_countback,
    dso_simple,
    open_dispute_age,
    promise_kept_rate,
)
from incasso.core.money import D


def months(year: int, first_month: int, *sales: str) -> list[MonthlySales]:
    """Consecutive months from year-first_month, oldest first."""
    result = []
    y, m = year, first_month
    for amount in sales:
        result.append(MonthlySales(y, m, D(amount)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return result


# --- DSO simple ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("receivable", "sales", "days", "expected"),
    [
        # handbook: 150,000 / 1,800,000 × 365 = 30.4166… → 30.42
        ("150000", "1800000", 365, "30.42"),
        # a quarter: 90,000 / 270,000 × 90 = 30.00
        ("90000", "270000", 90, "30.00"),
        # a 30-day month: 45,500 / 60,000 × 30 = 22.75
        ("45500", "60000", 30, "22.75"),
        # a 31-day month: 10,000 / 30,000 × 31 = 10.333… → 10.33
        ("10000", "30000", 31, "10.33"),
    ],
)
def test_simple_dso_worked_examples(receivable, sales, days, expected):
    result = dso_simple(D(receivable), D(sales), days)
    assert result.days.value == D(expected)
    assert not result.credit_balance


def test_simple_dso_keeps_the_unrounded_value():
    # 150,000 / 1,800,000 × 365 = 365/12 = 30.41666…
    result = dso_simple(D("150000"), D("1800000"), 365)
    assert result.days.exact == D(365) / D(12)


def test_simple_dso_without_sales_is_undefined_not_infinite():
    result = dso_simple(D("5000"), D("0"), 30)
    assert result.days.value is None
    assert result.days.reason == "no credit sales in the period"


def test_simple_dso_of_a_credit_balance_is_zero_days_and_flagged():
    # given a customer whose credits exceed its debits: AR −2,000
    result = dso_simple(D("-2000"), D("10000"), 30)
    assert result.days.value == D("0.00")
    assert result.credit_balance


def test_simple_dso_of_nothing_owed_is_zero_without_a_flag():
    result = dso_simple(D("0"), D("0"), 30)
    assert result.days.value == D("0.00")
    assert not result.credit_balance


def test_simple_dso_refuses_an_empty_period():
    with pytest.raises(KpiError, match="days_in_period"):
        dso_simple(D("1"), D("1"), 0)


# --- DSO countback ------------------------------------------------------------------------------


def test_countback_handbook_example_thirty_day_months():
    # AR 212,000; sales Jan 70,000 / Feb 80,000 / Mar 100,000.
    # Mar: 212,000 − 100,000 = 112,000 left, 30 days; Feb: 112,000 − 80,000 = 32,000 left, 60 days;
    # Jan: 32,000 / 70,000 × 30 = 13.714…; total 73.714… → 73.71
    result = dso_countback(D("212000"), months(2025, 1, "70000", "80000", "100000"), day_convention="30")
    assert result.days.value == D("73.71")
    assert result.days.exact == 60 + D(32000) / D(70000) * 30
    assert not result.exhausted
    assert result.months_counted == 3


def test_countback_calendar_days_of_2025():
    # the same sales in Jan (31) / Feb (28) / Mar (31) 2025:
    # 31 + 28 + 32,000 / 70,000 × 31 = 59 + 14.1714… = 73.1714… → 73.17
    result = dso_countback(D("212000"), months(2025, 1, "70000", "80000", "100000"), day_convention="calendar")
    assert result.days.value == D("73.17")


def test_countback_calendar_days_of_a_leap_year():
    # 2024 February has 29 days: 31 + 29 + 14.1714… = 74.1714… → 74.17
    result = dso_countback(D("212000"), months(2024, 1, "70000", "80000", "100000"), day_convention="calendar")
    assert result.days.value == D("74.17")


def test_countback_inside_the_latest_month():
    # AR 50,000 against the last month's 100,000: 50,000 / 100,000 × 30 = 15.00
    result = dso_countback(D("50000"), months(2025, 1, "70000", "80000", "100000"), day_convention="30")
    assert result.days.value == D("15.00")
    assert result.months_counted == 1


def test_countback_ending_exactly_at_a_month_boundary():
    # AR 180,000 = Mar 100,000 + Feb 80,000: 30 + 30 = 60.00, Jan not touched
    result = dso_countback(D("180000"), months(2025, 1, "70000", "80000", "100000"), day_convention="30")
    assert result.days.value == D("60.00")
    assert result.months_counted == 2
    assert not result.exhausted


def test_countback_when_ar_exceeds_all_sales_counts_every_month_and_says_so():
    # AR 300,000 > 70,000 + 80,000 + 100,000 = 250,000: all three months, 90 days, at least
    result = dso_countback(D("300000"), months(2025, 1, "70000", "80000", "100000"), day_convention="30")
    assert result.days.value == D("90.00")
    assert result.exhausted


def test_countback_month_without_activity_counts_in_full():
    # Jan 60,000 / Feb 0 / Mar 40,000 2025, AR 70,000, calendar days:
    # Mar: 70,000 − 40,000 = 30,000 left, 31 days; Feb has no sales, 28 days (59);
    # Jan: 30,000 / 60,000 × 31 = 15.5; total 74.50
    result = dso_countback(D("70000"), months(2025, 1, "60000", "0", "40000"), day_convention="calendar")
    assert result.days.value == D("74.50")
    assert result.months_without_sales == ((2025, 2),)


def test_countback_all_months_without_sales():
    # AR 1,000 and no sales in Nov 2024 (30) / Dec 2024 (31): 61 days, exhausted
    result = dso_countback(D("1000"), months(2024, 11, "0", "0"), day_convention="calendar")
    assert result.days.value == D("61.00")
    assert result.exhausted


def test_countback_of_a_credit_balance_is_zero_days_and_flagged():
    result = dso_countback(D("-500"), months(2025, 1, "1000"), day_convention="30")
    assert result.days.value == D("0.00")
    assert result.credit_balance


def test_countback_crosses_the_year():
    # Nov 2024 30,000 / Dec 2024 20,000 / Jan 2025 10,000, AR 25,000, calendar:
    # Jan: 15,000 left, 31 days; Dec: 15,000 / 20,000 × 31 = 23.25; total 54.25
    result = dso_countback(D("25000"), months(2024, 11, "30000", "20000", "10000"), day_convention="calendar")
    assert result.days.value == D("54.25")


def test_countback_refuses_months_out_of_order():
    with pytest.raises(KpiError, match=r"months\[1\]: expected 2025-02"):
        dso_countback(D("1"), [MonthlySales(2025, 1, D(1)), MonthlySales(2025, 3, D(1))], day_convention="30")


def test_countback_refuses_an_unknown_day_convention():
    with pytest.raises(KpiError, match="day_convention"):
        dso_countback(D("1"), months(2025, 1, "1"), day_convention="actual")  # type: ignore[arg-type]


def test_countback_records_the_ar_basis_the_caller_chose():
    result = dso_countback(D("1"), months(2025, 1, "10"), day_convention="30", ar_basis="net")
    assert result.ar_basis == "net"


# --- Best possible DSO and ADD -------------------------------------------------------------------


def test_add_countback_from_the_handbook_months():
    # DSO (AR 212,000) = 73.714…; current AR 90,000 < Mar 100,000: 90,000 / 100,000 × 30 = 27.00
    # ADD = 73.714… − 27 = 46.714… → 46.71
    sales = months(2025, 1, "70000", "80000", "100000")
    dso = dso_countback(D("212000"), sales, day_convention="30")
    best = best_possible_dso_countback(D("90000"), sales, day_convention="30")
    assert best.days.value == D("27.00")
    assert average_days_delinquent(dso, best).value == D("46.71")


def test_add_simple_is_computed_before_rounding():
    # DSO = 150,000 / 1,800,000 × 365 = 30.4166…; BPDSO = 120,000 / 1,800,000 × 365 = 24.3333…
    # ADD = 30,000 / 1,800,000 × 365 = 6.0833… → 6.08 (subtracting the rounded 30.42 − 24.33 gives 6.09)
    dso = dso_simple(D("150000"), D("1800000"), 365)
    best = best_possible_dso_simple(D("120000"), D("1800000"), 365)
    assert best.days.value == D("24.33")
    assert average_days_delinquent(dso, best).value == D("6.08")


def test_add_countback_calendar():
    # Jan 90,000 / Feb 60,000 / Mar 120,000 2025; total AR 150,000, current 100,000.
    # DSO: Mar 30,000 left, 31 days; Feb 30,000 / 60,000 × 28 = 14 → 45.00
    # BPDSO: 100,000 / 120,000 × 31 = 25.8333…; ADD = 19.1666… → 19.17
    sales = months(2025, 1, "90000", "60000", "120000")
    dso = dso_countback(D("150000"), sales, day_convention="calendar")
    best = best_possible_dso_countback(D("100000"), sales, day_convention="calendar")
    assert dso.days.value == D("45.00")
    assert best.days.value == D("25.83")
    assert average_days_delinquent(dso, best).value == D("19.17")


def test_add_is_undefined_when_dso_is():
    dso = dso_simple(D("100"), D("0"), 30)
    best = best_possible_dso_simple(D("50"), D("0"), 30)
    assert average_days_delinquent(dso, best).value is None


def test_add_refuses_mixed_methods():
    dso = dso_simple(D("100"), D("100"), 30)
    best = best_possible_dso_countback(D("50"), months(2025, 1, "100"), day_convention="30")
    with pytest.raises(KpiError):
        average_days_delinquent(dso, best)


# --- CEI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("beginning", "sales", "ending_total", "ending_current", "basis", "months_in_period", "expected"),
    [
        # handbook: (100,000 + 1,000,000 − 120,000) / (100,000 + 1,000,000 − 100,000) = 980/1000 → 98.00
        ("100000", "1000000", "120000", "100000", "period", 1, "98.00"),
        # monthly average over 12 months: sales 83,333.33…;
        # (100,000 + 83,333.33 − 120,000) / 83,333.33 = 1 − 20,000/83,333.33 = 0.76 → 76.00
        ("100000", "1000000", "120000", "100000", "monthly_average", 12, "76.00"),
        # a quarter: (200,000 + 600,000 − 250,000) / (200,000 + 600,000 − 150,000) = 550/650 → 84.62
        ("200000", "600000", "250000", "150000", "period", 3, "84.62"),
        # the same quarter on monthly-average sales 200,000: (200 + 200 − 250) / (200 + 200 − 150) = 60.00
        ("200000", "600000", "250000", "150000", "monthly_average", 3, "60.00"),
        # nothing overdue at the end: (50,000 + 100,000 − 40,000) / (50,000 + 100,000 − 40,000) = 100.00
        ("50000", "100000", "40000", "40000", "period", 1, "100.00"),
    ],
)
def test_cei_worked_examples(beginning, sales, ending_total, ending_current, basis, months_in_period, expected):
    result = collection_effectiveness_index(
        D(beginning), D(sales), D(ending_total), D(ending_current),
        sales_basis=basis, months_in_period=months_in_period,
    )
    assert result.index.value == D(expected)


def test_cei_parts_are_kept():
    result = collection_effectiveness_index(D("100000"), D("1000000"), D("120000"), D("100000"))
    assert (result.collected, result.collectible) == (D("980000"), D("1000000"))


def test_cei_with_nothing_collectible_is_undefined_with_a_reason():
    result = collection_effectiveness_index(D("0"), D("0"), D("0"), D("0"))
    assert result.index.value is None
    assert "nothing was collectible" in result.index.reason


# --- Days to pay and days late ------------------------------------------------------------------


def paid(invoice: str, due: str, payment: str, amount: str) -> PaidItem:
    return PaidItem(date.fromisoformat(invoice), date.fromisoformat(due), date.fromisoformat(payment), D(amount))


def test_days_to_pay_handbook_example():
    # 100 paid in 10 days, 1,000 in 20: simple (10 + 20) / 2 = 15;
    # weighted (100 × 10 + 1,000 × 20) / 1,100 = 21,000 / 1,100 = 19.0909… → 19.09
    result = average_days_to_pay([
        paid("2025-01-01", "2025-01-31", "2025-01-11", "100"),
        paid("2025-01-01", "2025-01-31", "2025-01-21", "1000"),
    ])
    assert (result.simple.value, result.weighted.value) == (D("15.00"), D("19.09"))
    assert result.count == 2


def test_days_to_pay_three_invoices_rounds_half_up():
    # 500 in 30 days, 1,500 in 45, 2,000 in 60: simple 135 / 3 = 45.00;
    # weighted (15,000 + 67,500 + 120,000) / 4,000 = 50.625 → 50.63
    result = average_days_to_pay([
        paid("2025-03-01", "2025-03-31", "2025-03-31", "500"),
        paid("2025-03-01", "2025-03-31", "2025-04-15", "1500"),
        paid("2025-03-01", "2025-03-31", "2025-04-30", "2000"),
    ])
    assert (result.simple.value, result.weighted.value) == (D("45.00"), D("50.63"))
    assert result.weighted.exact == D("50.625")


def test_days_to_pay_equal_amounts_weigh_alike():
    # paid the same day (0) and after 31 days, 1,000 each: both means 15.50
    result = average_days_to_pay([
        paid("2025-01-01", "2025-01-31", "2025-01-01", "1000"),
        paid("2025-01-01", "2025-01-31", "2025-02-01", "1000"),
    ])
    assert (result.simple.value, result.weighted.value) == (D("15.50"), D("15.50"))


def test_days_to_pay_of_nothing_is_undefined():
    result = average_days_to_pay([])
    assert result.simple.value is None and result.weighted.value is None


def test_days_late_clipped_and_not():
    # 1,000 paid 10 days early (−10), 3,000 paid 20 days late (+20)
    # clipped: simple (0 + 20) / 2 = 10; weighted (0 + 60,000) / 4,000 = 15
    # not clipped: simple (−10 + 20) / 2 = 5; weighted (−10,000 + 60,000) / 4,000 = 12.50
    items = [
        paid("2025-01-01", "2025-01-31", "2025-01-21", "1000"),
        paid("2025-01-29", "2025-02-28", "2025-03-20", "3000"),
    ]
    clipped = average_days_late(items, clip_early_at_zero=True)
    signed = average_days_late(items, clip_early_at_zero=False)
    assert (clipped.simple.value, clipped.weighted.value) == (D("10.00"), D("15.00"))
    assert (signed.simple.value, signed.weighted.value) == (D("5.00"), D("12.50"))


def test_days_late_on_the_due_date_is_zero():
    # 5, 0 and 40 days late on 200, 300 and 500: simple 45 / 3 = 15; weighted (1,000 + 0 + 20,000) / 1,000 = 21
    result = average_days_late([
        paid("2025-05-01", "2025-05-31", "2025-06-05", "200"),
        paid("2025-05-01", "2025-05-31", "2025-05-31", "300"),
        paid("2025-05-01", "2025-05-31", "2025-07-10", "500"),
    ], clip_early_at_zero=True)
    assert (result.simple.value, result.weighted.value) == (D("15.00"), D("21.00"))


# --- Disputes ----------------------------------------------------------------------------------


def dispute(opened: str, resolved: str | None = None) -> DisputeDates:
    return DisputeDates(date.fromisoformat(opened), date.fromisoformat(resolved) if resolved else None)


MARCH_DISPUTES = [
    dispute("2025-03-01", "2025-03-11"),  # 10 days
    dispute("2025-02-20", "2025-03-22"),  # 8 days left in February + 22 = 30 days
    dispute("2025-03-05", "2025-03-07"),  # 2 days
    dispute("2025-01-10", "2025-02-28"),  # resolved in February: not in March's figure
    dispute("2025-03-15"),  # still open
    dispute("2025-03-20", "2025-04-05"),  # resolved after March: open on 31 March
    dispute("2025-04-02"),  # opened after 31 March
]


def test_dispute_cycle_time_over_disputes_resolved_in_the_period():
    # resolved in March: 10, 30, 2 days → mean 42 / 3 = 14.00, median 10, longest 30
    result = dispute_cycle_time(MARCH_DISPUTES, period_start=date(2025, 3, 1), period_end=date(2025, 3, 31))
    assert result.count == 3
    assert (result.mean.value, result.median.value, result.longest) == (D("14.00"), D("10.00"), 30)


def test_dispute_cycle_time_even_count_median_and_inclusive_period_end():
    # add one opened 1 March, resolved 31 March (30 days, on the period's last day: included):
    # 2, 10, 30, 30 → mean 72 / 4 = 18.00, median (10 + 30) / 2 = 20.00
    disputes = [*MARCH_DISPUTES, dispute("2025-03-01", "2025-03-31")]
    result = dispute_cycle_time(disputes, period_start=date(2025, 3, 1), period_end=date(2025, 3, 31))
    assert (result.count, result.mean.value, result.median.value) == (4, D("18.00"), D("20.00"))


def test_dispute_resolved_the_day_it_was_opened_takes_zero_days():
    # 0 and 4 days → mean 2.00
    result = dispute_cycle_time(
        [dispute("2025-06-02", "2025-06-02"), dispute("2025-06-01", "2025-06-05")],
        period_start=date(2025, 6, 1), period_end=date(2025, 6, 30),
    )
    assert (result.mean.value, result.median.value) == (D("2.00"), D("2.00"))


def test_dispute_cycle_time_with_nothing_resolved_is_undefined():
    result = dispute_cycle_time(MARCH_DISPUTES, period_start=date(2025, 5, 1), period_end=date(2025, 5, 31))
    assert result.count == 0 and result.mean.value is None


def test_open_dispute_age_as_of_a_date():
    # open at the end of 31 March: opened 15 March (16 days) and 20 March (11 days, resolved in April)
    # → mean (16 + 11) / 2 = 13.50, median 13.50, oldest 16
    result = open_dispute_age(MARCH_DISPUTES, as_of=date(2025, 3, 31))
    assert (result.count, result.mean.value, result.median.value, result.longest) == (2, D("13.50"), D("13.50"), 16)


def test_a_dispute_resolved_before_it_was_opened_is_refused():
    with pytest.raises(KpiError, match=r"disputes\[0\]"):
        open_dispute_age([dispute("2025-03-10", "2025-03-01")], as_of=date(2025, 3, 31))


# --- Promises to pay ---------------------------------------------------------------------------


def promise(promised: str, amount: str, *payments: tuple[str, str]) -> PromiseToPay:
    return PromiseToPay(
        date.fromisoformat(promised), D(amount),
        tuple(PromisePayment(date.fromisoformat(day), D(paid_amount)) for day, paid_amount in payments),
    )


def test_promise_kept_rate_with_tolerance_days():
    # as of 15 June, 2 days' tolerance:
    # 1,000 promised 1 June, paid 3 June (= the deadline): kept
    # 2,000 promised 5 June, 500 on 5 June and 1,000 on 10 June (after the 7 June deadline): partially kept
    # 3,000 promised 10 June, nothing by 12 June: broken
    # 4,000 promised 13 June: the deadline is 15 June, not passed yet; 5,000 promised 20 June: not due
    # kept 1 / 3 = 33.33 %; by amount 1,000 / 6,000 = 16.67 %; partial 1 / 3 = 33.33 %;
    # collected (1,000 + 500 + 0) / 6,000 = 25.00 %
    result = promise_kept_rate([
        promise("2025-06-01", "1000", ("2025-06-03", "1000")),
        promise("2025-06-05", "2000", ("2025-06-05", "500"), ("2025-06-10", "1000")),
        promise("2025-06-10", "3000"),
        promise("2025-06-13", "4000"),
        promise("2025-06-20", "5000"),
    ], as_of=date(2025, 6, 15), tolerance_days=2)
    assert (result.judged, result.kept, result.partially_kept, result.broken, result.not_yet_due) == (3, 1, 1, 1, 2)
    assert result.kept_rate.value == D("33.33")
    assert result.kept_rate_by_amount.value == D("16.67")
    assert result.partially_kept_rate.value == D("33.33")
    assert result.collected_rate.value == D("25.00")


def test_promise_kept_rate_by_count_and_by_amount_differ():
    # kept 500 and 2,500, broken 1,000 and 1,000: by count 2 / 4 = 50.00 %, by amount 3,000 / 5,000 = 60.00 %
    result = promise_kept_rate([
        promise("2025-01-10", "500", ("2025-01-10", "500")),
        promise("2025-01-10", "2500", ("2025-01-09", "2500")),
        promise("2025-01-10", "1000"),
        promise("2025-01-10", "1000"),
    ], as_of=date(2025, 2, 1), tolerance_days=0)
    assert (result.kept_rate.value, result.kept_rate_by_amount.value) == (D("50.00"), D("60.00"))


def test_promise_amount_tolerance_and_overpayment():
    # 999.50 against 1,000: kept with a 1.00 tolerance, only partially kept without.
    # An overpayment of 1,200 against 1,000 counts 1,000 in the collected rate:
    # (999.50 + 1,000) / 2,000 = 99.975 → 99.98
    promises = [promise("2025-01-10", "1000", ("2025-01-10", "999.50")),
                promise("2025-01-10", "1000", ("2025-01-10", "1200"))]
    tolerant = promise_kept_rate(promises, as_of=date(2025, 1, 31), tolerance_days=0, amount_tolerance=D("1.00"))
    strict = promise_kept_rate(promises, as_of=date(2025, 1, 31), tolerance_days=0)
    assert (tolerant.kept, strict.kept, strict.partially_kept) == (2, 1, 1)
    assert tolerant.collected_rate.value == D("99.98")


def test_promises_not_yet_due_are_excluded():
    result = promise_kept_rate([promise("2025-06-20", "100")], as_of=date(2025, 6, 15), tolerance_days=3)
    assert (result.judged, result.not_yet_due) == (0, 1)
    assert result.kept_rate.value is None
    assert result.kept_rate.reason == "no promise has reached its deadline"


# --- Aging shares ------------------------------------------------------------------------------


def amounts(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


def test_percent_current_and_over_90():
    # current 600, 1-30 200, 31-60 100, 61-90 50, 91-180 30, 181-360 15, >360 5 → total 1,000
    # current 600 / 1,000 = 60.00 %; over 90 (30 + 15 + 5) / 1,000 = 5.00 %
    result = aging_shares(DEFAULT_BUCKETS, amounts("600", "200", "100", "50", "30", "15", "5"))
    assert (result.current.value, result.over.value) == (D("60.00"), D("5.00"))
    assert result.total == D("1000")


def test_percent_over_60_with_the_same_buckets():
    # over 60: (50 + 30 + 15 + 5) / 1,000 = 10.00 %
    result = aging_shares(DEFAULT_BUCKETS, amounts("600", "200", "100", "50", "30", "15", "5"), over_days=60)
    assert result.over.value == D("10.00")


def test_percent_shares_in_thirds():
    # 100 current, 100 in 1-30, 100 in 91-180 → 33.33 % each
    result = aging_shares(DEFAULT_BUCKETS, amounts("100", "100", "0", "0", "100", "0", "0"))
    assert (result.current.value, result.over.value) == (D("33.33"), D("33.33"))


def test_a_bucket_straddling_90_days_is_refused():
    with pytest.raises(KpiError, match="61-120"):
        aging_shares(parse_buckets("current,1-60,61-120,>120"), amounts("1", "1", "1", "1"))


def test_shares_of_a_credit_balance_are_undefined():
    result = aging_shares(DEFAULT_BUCKETS, amounts("-100", "0", "0", "0", "0", "0", "50"))
    assert result.current.value is None
    assert result.current.reason == "the aging total is a credit balance"
