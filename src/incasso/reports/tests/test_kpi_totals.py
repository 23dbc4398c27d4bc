"""Property: the multi-date aging totals (``reports.kpis.totals``, one pass for every date) equal the
aging of ``reports.aging`` run once per date, to the cent, on random ledgers: per entity against the
by-customer aging summed per entity, and per grouping against the aging of that grouping (same rows,
same amounts). Run on SQLite and on PostgreSQL (``INCASSO_DATABASE_URL``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incasso.audit.events import SYSTEM
from incasso.core.aging import parse_buckets
from incasso.core.kpi.aging_totals import BucketTotals, bucket_of, date_index, spread
from incasso.ledger.actions import allocate, reverse_allocation
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Customer, Item
from incasso.reports.aging import AgingScope, aged_groups, aging_report
from incasso.reports.kpis import KpiParams, kpi_table, kpi_trend, loaders
from incasso.reports.kpis.totals import aging_totals
from incasso.reports.tests.random_ledgers import START, build_random_ledger, items_strategy, operations_strategy
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = pytest.mark.django_db

BUCKETS = parse_buckets("current,1-30,31-60,61-90,>90")

dates_strategy = st.lists(st.integers(-10, 260), min_size=1, max_size=13)


def _aging_amounts(day: date, by: str, entity_ids=None) -> dict:  # type: ignore[no-untyped-def]
    scope = AgingScope(entity_ids=tuple(entity_ids) if entity_ids is not None else None)
    return {(key, row.currency): row.amounts for key, row in aged_groups(day, by, "due_date", BUCKETS, scope, {})}


def _by_customer_summed_per_entity(day: date) -> dict:  # type: ignore[no-untyped-def]
    entity_of = dict(Customer.objects.values_list("pk", "entity_id"))
    summed: dict = {}
    for (customer_id, currency), amounts in _aging_amounts(day, "customer").items():
        target = summed.setdefault((entity_of[customer_id], currency), [Decimal("0.00")] * len(BUCKETS))
        summed[(entity_of[customer_id], currency)] = [a + b for a, b in zip(target, amounts, strict=True)]
    return summed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=items_strategy, operations=operations_strategy, offsets=dates_strategy,
       by=st.sampled_from(["entity", "customer", "currency"]))
def test_multi_date_totals_equal_the_aging_of_each_date(items, operations, offsets, by):
    with transaction.atomic():
        build_random_ledger(items, operations)
        dates = [START + timedelta(days=offset) for offset in offsets]

        totals = aging_totals(dates, by=by, buckets=BUCKETS)

        assert sorted(totals) == sorted(set(dates))
        for day in set(dates):
            ours = {key: row.amounts for key, row in totals[day].items()}
            assert ours == _aging_amounts(day, by), f"{by} as of {day}"
            if by == "entity":  # the by-customer aging, summed per entity, to the cent
                assert ours == _by_customer_summed_per_entity(day), f"by customer, summed, as of {day}"
        transaction.set_rollback(True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=items_strategy, operations=operations_strategy, offsets=dates_strategy)
def test_multi_date_totals_of_one_entity_and_with_erp_open_amounts(items, operations, offsets):
    """Scoped to one entity, and with a stored open amount that its clearings do not explain (an ERP
    open item): the totals trust the stored amount exactly as the aging does."""
    with transaction.atomic():
        build_random_ledger(items, operations)
        first = Item.objects.order_by("pk").first()
        stored = first.amount if first.open_amount != first.amount else first.amount - Decimal("0.01")
        Item.objects.filter(pk=first.pk).update(open_amount=stored)
        entity_id = first.entity_id
        dates = [START + timedelta(days=offset) for offset in offsets]

        totals = aging_totals(dates, by="entity", buckets=BUCKETS, entity_ids=[entity_id])

        for day in set(dates):
            assert {k: r.amounts for k, r in totals[day].items()} == _aging_amounts(day, "entity", [entity_id])
        transaction.set_rollback(True)


def test_offsetting_open_items_keep_their_row_of_zeros():
    """An invoice and a credit note of the same amount and due date, both open: the aging has a row of
    zeros for the entity (two open items); the totals cannot tell it from no item and ask the aging."""
    entity = an_entity(currency="EUR")
    customer = a_customer(entity)
    an_item(customer, kind=ItemKind.INVOICE, amount=Decimal("100.00"), document_date=date(2026, 1, 5),
            due_date=date(2026, 2, 4))
    an_item(customer, kind=ItemKind.CREDIT_NOTE, amount=Decimal("100.00"), document_date=date(2026, 1, 6),
            due_date=date(2026, 2, 4))

    totals = aging_totals([date(2026, 1, 5), date(2026, 1, 31), date(2025, 12, 31)], buckets=BUCKETS)

    assert totals[date(2025, 12, 31)] == {}
    assert {k: r.amounts for k, r in totals[date(2026, 1, 5)].items()} == {
        (entity.pk, "EUR"): [Decimal("100.00")] + [Decimal("0.00")] * 4}
    assert {k: r.amounts for k, r in totals[date(2026, 1, 31)].items()} == {(entity.pk, "EUR"): [Decimal("0.00")] * 5}
    assert _aging_amounts(date(2026, 1, 31), "entity") == {(entity.pk, "EUR"): [Decimal("0.00")] * 5}


def test_kpis_and_trend_equal_those_from_one_aging_per_date(monkeypatch):
    """The KPI table and the trend give the same figures with the multi-date totals as with one aging
    per date (the path the other groupings still take)."""
    entity = an_entity(currency="EUR")
    customer = a_customer(entity)
    invoice = an_item(customer, kind=ItemKind.INVOICE, amount=Decimal("1200.00"), document_date=date(2026, 1, 10),
                      due_date=date(2026, 2, 9))
    an_item(customer, kind=ItemKind.INVOICE, amount=Decimal("310.55"), document_date=date(2026, 2, 20),
            due_date=date(2026, 3, 22))
    payment = an_item(customer, kind=ItemKind.PAYMENT, amount=Decimal("700.00"), document_date=date(2026, 2, 15),
                      due_date=date(2026, 2, 15))
    allocation = allocate(invoice.pk, payment.pk, Decimal("500.00"), date(2026, 2, 15), by=SYSTEM)
    reverse_allocation(allocation.pk, date(2026, 3, 3), by=SYSTEM, reason="test")
    allocate(invoice.pk, payment.pk, Decimal("650.00"), date(2026, 3, 4), by=SYSTEM)
    params = KpiParams(start=date(2026, 1, 1), end=date(2026, 3, 31), by="entity")

    fast_table = kpi_table(KpiParams(start=date(2026, 3, 1), end=date(2026, 3, 31)))
    fast_trend = kpi_trend(params, extras=False)
    monkeypatch.setattr(loaders, "agings_by_group",
                        lambda p, dates: {day: loaders.aging_by_group(p, day) for day in dates})
    slow_table = kpi_table(KpiParams(start=date(2026, 3, 1), end=date(2026, 3, 31)))
    slow_trend = kpi_trend(params, extras=False)

    def figures(table):  # type: ignore[no-untyped-def]
        return [(r.group, r.currency, r.inputs.beginning_ar, r.inputs.ending_ar, r.inputs.ending_buckets,
                 r.dso_simple, r.dso_countback, r.cei, r.shares) for r in table.rows]

    assert figures(fast_table) == figures(slow_table)
    assert [figures(t) for t in fast_trend] == [figures(t) for t in slow_trend]
    assert fast_table.rows[0].inputs.ending_ar == Decimal("810.55")  # 1,200 − 650 + 310.55 − 50 unapplied


def test_spread_by_hand():
    dates = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert [date_index(d, dates) for d in (date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 1),
                                           date(2026, 4, 1))] == [0, 0, 1, 3]
    cutoffs = [date(2026, 3, 31), date(2026, 3, 1)]  # current, 1-30, >30
    assert [bucket_of(d, cutoffs) for d in (date(2026, 4, 2), date(2026, 3, 31), date(2026, 3, 30),
                                            date(2026, 3, 1), date(2026, 2, 28))] == [0, 0, 1, 1, 2]
    buckets = parse_buckets("current,1-30,>30")
    # an invoice due 15 Feb open now (all three dates), an allocation of 40 made on 10 March (adds back
    # on the dates before it), a reversed one of 5 made 20 Jan, reversed 5 Feb (counts on 31 Jan only)
    totals = spread([("A", date(2026, 2, 15), 0, 3, 6000), ("A", date(2026, 2, 15), 0, 2, 4000),
                     ("A", date(2026, 2, 15), 0, 1, -500)], dates, buckets)
    assert totals.rows(0) == {"A": BucketTotals([Decimal("95.00"), Decimal("0.00"), Decimal("0.00")])}
    assert totals.rows(1) == {"A": BucketTotals([Decimal("0.00"), Decimal("100.00"), Decimal("0.00")])}
    assert totals.rows(2) == {"A": BucketTotals([Decimal("0.00"), Decimal("0.00"), Decimal("60.00")])}
    assert not totals.undecided(0)


def test_aging_report_grand_total_matches_the_totals_on_the_entity_grouping():
    entity = an_entity(currency="EUR")
    customer = a_customer(entity)
    an_item(customer, kind=ItemKind.INVOICE, amount=Decimal("10.01"), document_date=date(2026, 1, 5),
            due_date=date(2026, 1, 5))
    day = date(2026, 6, 30)
    report = aging_report(day, by="customer", buckets=BUCKETS)
    totals = aging_totals([day], buckets=BUCKETS)
    assert {c: r.total for c, r in report.totals().items()} == {k[1]: r.total for k, r in totals[day].items()}
