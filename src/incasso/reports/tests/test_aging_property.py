"""Property: on random ledgers the set-based aging query equals the pure reference, as of any date.

The reference side rebuilds each item's open amount as of the date naively, from the item's amount
and its allocations (``core.aging.open_amount_as_of``), then buckets with ``core.aging.age``. The
query side never replays anything: it trusts the stored open amount unless the item was touched
after the date. If ``last_activity_on`` or the correction for later allocations and reversals were
wrong, the two would differ.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incasso.core.aging import AgingItem, AllocationFact, age, open_amount_as_of, parse_buckets
from incasso.core.money import ZERO
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Allocation, Item
from incasso.reports.aging import aging_report
from incasso.reports.tests.random_ledgers import START, build_random_ledger, items_strategy, operations_strategy

pytestmark = pytest.mark.django_db

as_of_strategy = st.lists(st.integers(-10, 260), min_size=1, max_size=4)


def _naive_items(as_of: date, basis: str, group_of) -> list[AgingItem]:  # type: ignore[no-untyped-def]
    facts: dict[int, list[AllocationFact]] = {}
    for allocation in Allocation.objects.all():
        fact = AllocationFact(allocation.amount, allocation.date, allocation.reversed_on)
        for item_id in (allocation.debit_item_id, allocation.credit_item_id):
            if item_id is not None:
                facts.setdefault(item_id, []).append(fact)
    result = []
    for item in Item.objects.select_related("customer", "entity"):
        if item.document_date > as_of:
            continue
        open_amount = open_amount_as_of(item.amount, facts.get(item.pk, []), as_of)
        signed = -open_amount if item.kind in CREDIT_KINDS else open_amount
        reference = item.due_date if basis == "due_date" else item.document_date
        result.append(AgingItem(group_of(item), item.currency, reference, signed))
    return result


GROUPS = {
    "customer": lambda item: f"{item.entity.code}/{item.customer.account} {item.customer.name}",
    "entity": lambda item: f"{item.entity.code} {item.entity.name}",
    "currency": lambda item: item.currency,
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=items_strategy, operations=operations_strategy, as_of_offsets=as_of_strategy,
    by=st.sampled_from(sorted(GROUPS)), basis=st.sampled_from(["due_date", "document_date"]),
)
def test_query_aging_equals_the_reference_on_random_ledgers(items, operations, as_of_offsets, by, basis):
    buckets = parse_buckets("current,1-30,31-60,61-90,>90")
    with transaction.atomic():
        # given a random ledger of two entities, four customers and their items, with random allocations
        customers = build_random_ledger(items, operations)

        # when the ledger is aged as of random dates, then the query equals the reference
        for offset in as_of_offsets:
            as_of = START + timedelta(days=offset)
            ours = aging_report(as_of, by=by, basis=basis, buckets=buckets)
            reference = age(_naive_items(as_of, basis, GROUPS[by]), as_of, buckets, basis)
            assert [(r.group, r.currency, r.amounts, r.item_count) for r in ours.rows] == [
                (r.group, r.currency, r.amounts, r.item_count) for r in reference.rows
            ], f"as of {as_of}"
            # and scoped to the customers (on PostgreSQL the changes part then looks each touched
            # item's allocations up instead of hashing every changed allocation) it is the same
            scoped = aging_report(as_of, by=by, basis=basis, buckets=buckets, customer_ids=[c.pk for c in customers])
            assert scoped.rows == ours.rows, f"scoped, as of {as_of}"

        # and as of a date after all activity the total per currency is the ledger's signed open balance
        today = START + timedelta(days=400)
        totals = {c: row.total for c, row in aging_report(today, by=by, buckets=buckets).totals().items()}
        ledger: dict[str, Decimal] = {}
        for item in Item.objects.all():
            ledger[item.currency] = ledger.get(item.currency, ZERO) + item.signed_open_amount
        assert totals == {c: v for c, v in sorted(ledger.items()) if v != 0 or c in totals}
        transaction.set_rollback(True)
