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

from incasso.audit.events import SYSTEM
from incasso.core.aging import AgingItem, AllocationFact, age, open_amount_as_of, parse_buckets
from incasso.core.money import ZERO
from incasso.ledger.actions import allocate, reverse_allocation
from incasso.ledger.choices import CREDIT_KINDS, ItemKind
from incasso.ledger.models import Allocation, Item
from incasso.reports.aging import aging_report
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = pytest.mark.django_db

START = date(2025, 11, 1)
KINDS = [ItemKind.INVOICE, ItemKind.FEE, ItemKind.CREDIT_NOTE, ItemKind.PAYMENT]

items_strategy = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 0, 1, 2, 3]),  # customer
        st.sampled_from(KINDS),
        st.integers(1, 500_000),  # amount in cents
        st.integers(0, 150),  # document date offset
        st.integers(0, 90),  # payment terms
    ),
    min_size=4, max_size=14,
)
operations_strategy = st.lists(
    st.tuples(
        st.integers(0, 13), st.integers(0, 13),  # debit and credit picks
        st.sampled_from([Decimal("1"), Decimal("0.5"), Decimal("0.37"), Decimal("0.01")]),
        st.integers(0, 200),  # allocation date offset
        st.one_of(st.none(), st.integers(0, 60)),  # reversed this many days later, or never
    ),
    min_size=3, max_size=14,
)
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
        # given a random ledger of two entities, four customers and their items
        paris, bucharest = an_entity(currency="EUR"), an_entity(currency="RON", timezone="Europe/Bucharest")
        customers = [a_customer(paris), a_customer(paris), a_customer(bucharest), a_customer(paris, currency="GBP")]
        created = []
        for customer_index, kind, cents, document_offset, terms in items:
            document_date = START + timedelta(days=document_offset)
            created.append(an_item(
                customers[customer_index], kind=kind, amount=Decimal(cents).scaleb(-2),
                document_date=document_date, due_date=document_date + timedelta(days=terms),
            ))
        # and random allocations between the items of a customer, some reversed later
        for debit_pick, credit_pick, fraction, on_offset, reversed_after in operations:
            debits = [i for i in created if i.kind not in CREDIT_KINDS]
            if not debits:
                break
            debit = Item.objects.get(pk=debits[debit_pick % len(debits)].pk)
            credits = [i for i in created if i.kind in CREDIT_KINDS and i.customer_id == debit.customer_id]
            if not credits:
                continue
            credit = Item.objects.get(pk=credits[credit_pick % len(credits)].pk)
            amount = (min(debit.open_amount, credit.open_amount) * fraction).quantize(Decimal("0.01"))
            if amount <= 0:
                continue
            on_date = START + timedelta(days=on_offset)
            allocation = allocate(debit.pk, credit.pk, amount, on_date, by=SYSTEM)
            if reversed_after is not None:
                reverse_allocation(allocation.pk, on_date + timedelta(days=reversed_after), by=SYSTEM, reason="test")

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
