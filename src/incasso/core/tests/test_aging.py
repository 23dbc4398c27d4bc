"""The pure aging rules: buckets, the as-of open amount, bucketing and conversion."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from incasso.core.aging import (
    DEFAULT_BUCKET_SPEC,
    DEFAULT_BUCKETS,
    AgingError,
    AgingItem,
    AllocationFact,
    age,
    bucket_cutoffs,
    bucket_index,
    bucket_spec,
    missing_rates,
    open_amount_as_of,
    parse_buckets,
    to_reporting_currency,
)
from incasso.core.money import MoneyError

D = Decimal


def test_default_buckets_round_trip_through_their_spec():
    assert bucket_spec(DEFAULT_BUCKETS) == DEFAULT_BUCKET_SPEC
    assert parse_buckets(bucket_spec(DEFAULT_BUCKETS)) == DEFAULT_BUCKETS
    assert [bucket_index(days, DEFAULT_BUCKETS) for days in (-5, 0, 1, 30, 31, 90, 91, 360, 361)] == [
        0, 0, 1, 1, 2, 3, 4, 5, 6,
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("1-30,current,>30", "'current' can only be the first"),
        ("current,1-30,40-60,>60", "without gap"),
        ("current,1-30", "open-ended"),
        ("current,>30,31-60", "must come last"),
        ("current,30-1,>30", "end is before the start"),
        ("current,soon,>30", "expected 'current'"),
    ],
)
def test_bad_bucket_specifications_say_what_is_wrong(spec, message):
    with pytest.raises(AgingError, match=message):
        parse_buckets(spec)


def test_cutoffs_are_the_earliest_reference_date_of_each_bucket():
    as_of = date(2026, 3, 31)
    cutoffs = bucket_cutoffs(as_of, DEFAULT_BUCKETS)
    assert cutoffs[:2] == [date(2026, 3, 31), date(2026, 3, 1)]
    # an item's bucket by date comparison equals its bucket by days, for every reference date
    for offset in range(-10, 400):
        reference = as_of - timedelta(days=offset)
        by_dates = next((i for i, c in enumerate(cutoffs) if reference >= c), len(cutoffs))
        assert by_dates == bucket_index(offset, DEFAULT_BUCKETS)


def test_open_amount_as_of_counts_allocations_made_by_then_and_not_yet_reversed():
    allocations = [
        AllocationFact(D("100"), date(2026, 1, 10)),
        AllocationFact(D("50"), date(2026, 1, 20), reversed_on=date(2026, 2, 1)),
        AllocationFact(D("30"), date(2026, 1, 5), reversed_on=date(2026, 1, 5)),
    ]
    assert open_amount_as_of(D("500"), allocations, date(2026, 1, 9)) == D("500")
    assert open_amount_as_of(D("500"), allocations, date(2026, 1, 10)) == D("400")
    assert open_amount_as_of(D("500"), allocations, date(2026, 1, 31)) == D("350")
    assert open_amount_as_of(D("500"), allocations, date(2026, 2, 1)) == D("400")


def test_age_buckets_signed_amounts_and_skips_cleared_items():
    as_of = date(2026, 4, 30)
    items = [
        AgingItem("C1", "EUR", date(2026, 5, 15), D("100.00")),  # not yet due
        AgingItem("C1", "EUR", date(2026, 4, 15), D("250.00")),  # 15 days
        AgingItem("C1", "EUR", date(2026, 4, 20), D("-40.00")),  # unapplied payment
        AgingItem("C1", "EUR", date(2025, 1, 1), D("0")),  # cleared
        AgingItem("C2", "RON", date(2025, 1, 1), D("7.10")),  # > 360 days
    ]
    report = age(items, as_of)
    assert [(r.group, r.currency, r.item_count, r.total, r.overdue) for r in report.rows] == [
        ("C1", "EUR", 3, D("310.00"), D("210.00")), ("C2", "RON", 1, D("7.10"), D("7.10")),
    ]
    assert report.rows[0].amounts[:2] == [D("100.00"), D("210.00")]
    assert report.totals()["RON"].amounts[-1] == D("7.10")


def test_conversion_rounds_once_per_row_and_names_a_missing_rate():
    report = age([AgingItem("C1", "RON", date(2026, 1, 1), D("333.33")),
                  AgingItem("C1", "EUR", date(2026, 1, 1), D("10.00"))], date(2026, 1, 1))
    converted = to_reporting_currency(report, "EUR", {"RON": D("0.201")})
    assert [(r.group, r.currency, r.total) for r in converted.rows] == [("C1", "EUR", D("77.00"))]
    assert missing_rates(["RON", "EUR", "GBP"], "EUR", {"RON": D("0.2")}) == ["GBP"]
    with pytest.raises(MoneyError, match="RON"):
        to_reporting_currency(report, "EUR", {})
