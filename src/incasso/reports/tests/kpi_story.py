"""The worked ledger behind the KPI, control and pack tests: one French entity, March 2026.

    Jan  INV-B   500.00  issued 5 Jan, due 4 Feb; paid 10 Mar (64 days to pay, 34 days late)
    Feb  INV-A 1,000.00  issued 10 Feb, due 12 Mar; paid 5 Apr (after the period)
    Mar  INV-D   600.00  issued 1 Mar, due 15 Mar; open at the end (16 days late)
    Mar  INV-C 2,000.00  issued 5 Mar, due 4 Apr; current at the end
    Mar  CN-1    100.00  credit note of 20 Mar, not applied (a credit balance)
    Mar  PAY-1   500.00  received 10 Mar, applied to INV-B the same day

As of 31 March: AR (net) 1,000 + 600 + 2,000 − 100 = 3,500, of which current 2,000; as of 28
February: 1,000 + 500 = 1,500. Credit sales (net of credit notes) Jan 500, Feb 1,000, Mar 2,500.
Promises: 500 on INV-B by 8 Mar (kept: the cash came on 10 Mar, within 3 days' tolerance) and 600
on INV-D by 20 Mar (broken). A dispute on INV-D opened 2 Mar, resolved 12 Mar (10 days); another on
INV-A opened 20 Mar, still open on 31 Mar (age 11 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from incasso.audit.events import Actor
from incasso.collections.models import Promise, PromiseItem
from incasso.ledger.actions.allocations import allocate
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Customer, Item, LegalEntity
from incasso.testing.builders import a_customer, an_entity, an_item

BY = Actor(None, "test")


@dataclass
class March:
    paris: LegalEntity
    dupont: Customer
    invoice_a: Item
    invoice_b: Item
    invoice_c: Item
    invoice_d: Item
    credit_note: Item
    payment: Item


def a_march_ledger(*, disputes: bool = True) -> March:
    paris = an_entity("FR01", name="Incasso France SAS")
    dupont = a_customer(paris, "C-1", name="Dupont SA", segment="retail")
    b = an_item(dupont, "INV-B", amount="500.00", document_date=date(2026, 1, 5), due_date=date(2026, 2, 4))
    a = an_item(dupont, "INV-A", amount="1000.00", document_date=date(2026, 2, 10), due_date=date(2026, 3, 12))
    d = an_item(dupont, "INV-D", amount="600.00", document_date=date(2026, 3, 1), due_date=date(2026, 3, 15))
    c = an_item(dupont, "INV-C", amount="2000.00", document_date=date(2026, 3, 5), due_date=date(2026, 4, 4))
    credit = an_item(dupont, "CN-1", kind=ItemKind.CREDIT_NOTE, amount="100.00", document_date=date(2026, 3, 20))
    payment = an_item(dupont, "PAY-1", kind=ItemKind.PAYMENT, amount="500.00", document_date=date(2026, 3, 10))
    kept = Promise.objects.create(customer=dupont, amount=Decimal("500.00"), currency="EUR",
                                  promised_date=date(2026, 3, 8), taken_on=date(2026, 3, 2))
    PromiseItem.objects.create(promise=kept, item=b)
    broken = Promise.objects.create(customer=dupont, amount=Decimal("600.00"), currency="EUR",
                                    promised_date=date(2026, 3, 20), taken_on=date(2026, 3, 3))
    PromiseItem.objects.create(promise=broken, item=d)
    allocate(b.pk, payment.pk, Decimal("500.00"), date(2026, 3, 10), by=BY)
    if disputes:
        from incasso.disputes.actions.cases import open_dispute
        from incasso.disputes.models import DisputeCase

        resolved = open_dispute(dupont.pk, [(d.pk, "600.00")], "pricing", by=BY, opened_on=date(2026, 3, 2))
        # The resolution itself (credit note, rejection) is the disputes app's story; only its date matters here.
        DisputeCase.objects.filter(pk=resolved.pk).update(resolved_on=date(2026, 3, 12))
        open_dispute(dupont.pk, [(a.pk, "200.00")], "quantity", by=BY, opened_on=date(2026, 3, 20))
    return March(paris, dupont, a, b, c, d, credit, payment)


def april_happens(story: March) -> None:
    """What is posted after the period: INV-A paid on 5 April, INV-E issued, CN-1 applied to INV-D."""
    payment = an_item(story.dupont, "PAY-2", kind=ItemKind.PAYMENT, amount="1000.00", document_date=date(2026, 4, 5))
    allocate(story.invoice_a.pk, payment.pk, Decimal("1000.00"), date(2026, 4, 5), by=BY)
    allocate(story.invoice_d.pk, story.credit_note.pk, Decimal("100.00"), date(2026, 4, 6), by=BY)
    an_item(story.dupont, "INV-E", amount="750.00", document_date=date(2026, 4, 2), due_date=date(2026, 5, 2))
