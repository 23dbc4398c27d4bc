"""Ledger items that cash application creates: payments from bank lines, the suspense account for
unidentified receipts, and the small items that write off or cancel a difference.

Each function owns its transaction and writes an ``item.created`` event. None of them sets an open
amount other than the full amount: what is applied is always an allocation
(``incasso.ledger.actions.allocations``), so the allocation table stays the single source of truth.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Customer, Item, LegalEntity

SUSPENSE_ACCOUNT = "UNIDENTIFIED"


def suspense_customer(entity_id: int, *, by: Actor) -> Customer:
    """The entity's "unidentified receipts" account, created on first use.

    Cash whose payer is not known yet is posted here, so it shows as an open credit (unapplied
    cash) in every balance and aging instead of being invisible until someone identifies it.
    """
    existing = Customer.objects.filter(entity_id=entity_id, account=SUSPENSE_ACCOUNT).first()
    if existing is not None:
        return existing
    entity = LegalEntity.objects.get(pk=entity_id)
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                entity=entity, account=SUSPENSE_ACCOUNT, name="Unidentified receipts", country=entity.country,
                language=entity.language, currency=entity.currency, payment_terms_days=0,
                dunning_block=True, dunning_block_reason="suspense account for unidentified receipts",
            )
    except IntegrityError:  # created by a concurrent run a moment ago
        return Customer.objects.get(entity_id=entity_id, account=SUSPENSE_ACCOUNT)
    record(EventKind.CUSTOMER_CREATED, actor=by, subject_type="customer", subject_id=customer.pk,
           customer_id=customer.pk, message=f"Suspense account {SUSPENSE_ACCOUNT} created for {entity.code}")
    return customer


def _create_item(customer: Customer, kind: ItemKind, number: str, amount: Decimal, currency: str,
                 on_date: date, *, by: Actor, reference: str = "", text: str = "") -> Item:
    if amount <= 0:
        raise ValueError(f"{kind} {number}: amount {amount} must be positive")
    item = Item.objects.create(
        entity_id=customer.entity_id, customer=customer, kind=kind, number=number[:40],
        document_date=on_date, posting_date=on_date, due_date=on_date, currency=currency, amount=amount,
        open_amount=amount, reference=reference[:80], text=text[:200], last_activity_on=on_date,
    )
    record(EventKind.ITEM_CREATED, actor=by, subject_type="item", subject_id=item.pk, customer_id=customer.pk,
           message=f"{item.get_kind_display()} {item.number} of {amount} {currency} created: {text}".strip(": "),
           after={"kind": str(kind), "amount": str(amount), "currency": currency, "open_amount": str(amount)})
    return item


@transaction.atomic
def create_payment_item(customer_id: int, *, number: str, amount: Decimal, currency: str, on_date: date,
                        by: Actor, reference: str = "", text: str = "") -> Item:
    """A payment received (credit, open for its whole amount until it is allocated)."""
    customer = Customer.objects.get(pk=customer_id)
    return _create_item(customer, ItemKind.PAYMENT, number, amount, currency, on_date, by=by,
                        reference=reference, text=text)


@transaction.atomic
def create_difference_item(customer_id: int, *, credit: bool, number: str, amount: Decimal, currency: str,
                           on_date: date, by: Actor, text: str) -> Item:
    """An item that closes a small difference: a ``credit_note`` (credit) when the customer paid a
    little less than owed, an ``adjustment`` (debit) when a little more. The caller allocates it."""
    customer = Customer.objects.get(pk=customer_id)
    kind = ItemKind.CREDIT_NOTE if credit else ItemKind.ADJUSTMENT
    return _create_item(customer, kind, number, amount, currency, on_date, by=by, text=text)
