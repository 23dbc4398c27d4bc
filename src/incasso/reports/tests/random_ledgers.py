"""Random ledgers for the aging and KPI property tests: two entities (Paris in EUR, Bucharest in RON),
four customers (one of them in GBP), random items and random allocations between a customer's items,
some of them reversed later. Hypothesis draws the rows; ``build_random_ledger`` writes them through the
ledger's own actions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from incasso.audit.events import SYSTEM
from incasso.ledger.actions import allocate, reverse_allocation
from incasso.ledger.choices import CREDIT_KINDS, ItemKind
from incasso.ledger.models import Item
from incasso.testing.builders import a_customer, an_entity, an_item

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


def build_random_ledger(items, operations) -> list:  # type: ignore[no-untyped-def]
    """Two entities, four customers and their ``items``; then ``operations``: allocations between the
    items of one customer, some reversed later. Returns the four customers."""
    paris, bucharest = an_entity(currency="EUR"), an_entity(currency="RON", timezone="Europe/Bucharest")
    customers = [a_customer(paris), a_customer(paris), a_customer(bucharest), a_customer(paris, currency="GBP")]
    created = []
    for customer_index, kind, cents, document_offset, terms in items:
        document_date = START + timedelta(days=document_offset)
        created.append(an_item(
            customers[customer_index], kind=kind, amount=Decimal(cents).scaleb(-2),
            document_date=document_date, due_date=document_date + timedelta(days=terms),
        ))
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
    return customers
