"""Property: a KPI table's invoices paid and cash applied of one month (``loaders.paid_items`` and
``loaders.cash``, which on PostgreSQL take the scope's items touched since the month's start from
``item_activity_idx`` instead of looking up every allocation's item) equal the same inputs loaded
for several periods at once (``paid_items_by_period`` / ``cash_by_period``, which join every
allocation of the periods to its item) and a reference computed here from the rows, to the cent,
per grouping and scope, on random ledgers with partial payments and reversals. Run on SQLite and on
PostgreSQL (``INCASSO_DATABASE_URL``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incasso.core.kpi import PaidItem
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Allocation, Item
from incasso.reports.kpis import KpiParams, loaders
from incasso.reports.kpis.compute import _reading
from incasso.reports.tests.random_ledgers import build_random_ledger, items_strategy, operations_strategy

pytestmark = pytest.mark.django_db

MONTHS = [(2025, 11), (2025, 12), (2026, 1), (2026, 2), (2026, 3), (2026, 4), (2026, 5)]
ELSEWHERE = (date(2030, 1, 1), date(2030, 1, 31))  # a second period: the several-periods path


def _key(item: Item, by: str) -> object:
    return {"entity": item.entity_id, "customer": item.customer_id, "currency": item.currency,
            "collector": item.customer.collector_id, "segment": item.customer.segment}[by]


def _reference(params: KpiParams) -> tuple[dict, dict]:
    """(invoices paid, cash applied) of the period from the rows, as the KPI definitions say."""
    start, end = params.start, params.end
    counting = [a for a in Allocation.objects.all()
                if a.date <= end and (a.reversed_on is None or a.reversed_on > end)]
    items = {i.pk: i for i in Item.objects.select_related("customer")}
    in_scope = {pk for pk, i in items.items() if params.entity_ids is None or i.entity_id in params.entity_ids}
    paid: dict = defaultdict(list)
    for pk in in_scope:
        item = items[pk]
        if item.kind != ItemKind.INVOICE:
            continue
        mine = [a for a in counting if a.debit_item_id == pk]
        if mine and sum(a.amount for a in mine) == item.amount and start <= max(a.date for a in mine):
            paid[(_key(item, params.by), item.currency)].append(
                PaidItem(item.document_date, item.due_date, max(a.date for a in mine), item.amount))
    applied: dict = defaultdict(lambda: Decimal("0.00"))
    for a in counting:
        item = items.get(a.credit_item_id) if a.credit_item_id else None
        if a.date >= start and item is not None and item.pk in in_scope and item.kind == ItemKind.PAYMENT:
            applied[(_key(item, params.by), item.currency)] += a.amount
    return paid, applied


def _sorted(paid: dict) -> dict:
    return {key: sorted(items, key=repr) for key, items in paid.items() if items}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=items_strategy, operations=operations_strategy,
       by=st.sampled_from(["entity", "customer", "currency", "collector", "segment"]), scoped=st.booleans())
def test_one_months_paid_invoices_and_cash_applied_equal_the_several_periods_path_and_the_rows(
        items, operations, by, scoped):
    with transaction.atomic():
        build_random_ledger(items, operations)
        entity_ids = (Item.objects.order_by("pk").first().entity_id,) if scoped else None
        for year, month in MONTHS:
            start, end = loaders.month_bounds(year, month)
            params = KpiParams(start=start, end=end, by=by, entity_ids=entity_ids)
            with _reading():
                paid = loaders.paid_items(params)
                cash = loaders.cash(params)
                paid_several = loaders.paid_items_by_period(params, [(start, end), ELSEWHERE])[(start, end)]
                cash_several = loaders.cash_by_period(params, [(start, end), ELSEWHERE])[(start, end)]
            paid_rows, applied_rows = _reference(params)

            assert _sorted(paid) == _sorted(paid_several) == _sorted(paid_rows), f"paid {by} {start}"
            assert cash == cash_several, f"cash {by} {start}"
            assert {k: v[1] for k, v in cash.items() if v[1]} == {k: v for k, v in applied_rows.items() if v}, \
                f"applied {by} {start}"
        transaction.set_rollback(True)
