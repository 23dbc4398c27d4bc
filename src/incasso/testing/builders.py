"""Small builders with good defaults, so that a test states only what matters to its story.

    entity = an_entity(code="FR01", country="FR", currency="EUR", timezone="Europe/Paris")
    customer = a_customer(entity, account="C001")
    invoice = an_item(customer, number="INV-1", amount="1000.00", due_date=date(2026, 3, 31))
    payment = an_item(customer, kind=ItemKind.PAYMENT, number="PAY-1", amount="400.00")
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from incasso.core.money import D
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Customer, Item, LegalEntity

_counter = itertools.count(1)


def an_entity(code: str | None = None, **fields) -> LegalEntity:  # type: ignore[no-untyped-def]
    n = next(_counter)
    defaults = dict(
        code=code or f"E{n:03d}", name=f"Entity {n} SA", country="FR", currency="EUR",
        timezone="Europe/Paris", language="fr",
    )
    defaults.update(fields)
    return LegalEntity.objects.create(**defaults)


def a_customer(entity: LegalEntity | None = None, account: str | None = None, **fields) -> Customer:  # type: ignore[no-untyped-def]
    entity = entity or an_entity()
    n = next(_counter)
    defaults = dict(
        entity=entity, account=account or f"C{n:05d}", name=f"Customer {n} SARL",
        country=entity.country, language=entity.language, currency=entity.currency,
        payment_terms_days=30,
    )
    defaults.update(fields)
    return Customer.objects.create(**defaults)


def an_item(customer: Customer | None = None, number: str | None = None, *,  # type: ignore[no-untyped-def]
            kind: str = ItemKind.INVOICE, amount: str | Decimal = "100.00",
            open_amount: str | Decimal | None = None, document_date: date = date(2026, 1, 1),
            due_date: date | None = None, currency: str | None = None, **fields) -> Item:
    customer = customer or a_customer()
    n = next(_counter)
    amount = D(amount)
    return Item.objects.create(
        entity_id=customer.entity_id, customer=customer, kind=kind,
        number=number or f"{kind[:3].upper()}-{n:06d}", document_date=document_date,
        due_date=due_date or document_date, currency=currency or customer.currency, amount=amount,
        open_amount=amount if open_amount is None else D(open_amount), **fields,
    )
