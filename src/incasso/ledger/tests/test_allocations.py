"""Allocations: the one mechanism that clears items. Stories, then the concurrency proof."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.ledger.actions import allocate, reverse_allocation
from incasso.ledger.choices import ItemKind
from incasso.ledger.errors import LedgerError, LedgerErrorCode
from incasso.ledger.models import Allocation, Item
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db


def test_partial_payment_then_credit_note_clear_an_invoice():
    # given an invoice of 1,000.00 and a payment of 400.00 and a credit note of 600.00
    customer = a_customer()
    invoice = an_item(customer, "INV-1", amount="1000.00")
    payment = an_item(customer, "PAY-1", kind=ItemKind.PAYMENT, amount="400.00")
    credit_note = an_item(customer, "CN-1", kind=ItemKind.CREDIT_NOTE, amount="600.00")
    # when both are applied
    allocate(invoice.pk, payment.pk, Decimal("400"), date(2026, 2, 1), by=SYSTEM)
    allocate(invoice.pk, credit_note.pk, Decimal("600"), date(2026, 2, 3), by=SYSTEM)
    # then the invoice and both credits are closed, with the last activity date kept
    invoice.refresh_from_db()
    assert invoice.open_amount == 0
    assert invoice.last_activity_on == date(2026, 2, 3)
    assert Item.objects.filter(open_amount=0).count() == 3
    assert AuditEvent.objects.filter(kind="allocation.created", customer_id=customer.pk).count() == 2


def test_allocation_never_exceeds_either_side():
    customer = a_customer()
    invoice = an_item(customer, amount="100.00")
    payment = an_item(customer, kind=ItemKind.PAYMENT, amount="150.00")
    with pytest.raises(LedgerError) as error:
        allocate(invoice.pk, payment.pk, Decimal("100.01"), date(2026, 2, 1), by=SYSTEM)
    assert error.value.code == LedgerErrorCode.EXCEEDS_OPEN_AMOUNT
    assert not Allocation.objects.exists()


def test_sides_currency_and_customer_are_checked():
    customer = a_customer()
    invoice = an_item(customer, amount="100.00")
    other_invoice = an_item(customer, amount="100.00")
    usd_payment = an_item(customer, kind=ItemKind.PAYMENT, amount="100.00", currency="USD")
    strangers_payment = an_item(a_customer(), kind=ItemKind.PAYMENT, amount="100.00")
    cases = [
        (invoice, other_invoice, LedgerErrorCode.WRONG_SIDE),
        (invoice, usd_payment, LedgerErrorCode.CURRENCY_MISMATCH),
        (invoice, strangers_payment, LedgerErrorCode.DIFFERENT_CUSTOMER),
    ]
    for debit, credit, code in cases:
        with pytest.raises(LedgerError) as error:
            allocate(debit.pk, credit.pk, Decimal("10"), date(2026, 2, 1), by=SYSTEM)
        assert error.value.code == code


def test_idempotency_key_returns_the_first_allocation():
    customer = a_customer()
    invoice = an_item(customer, amount="100.00")
    payment = an_item(customer, kind=ItemKind.PAYMENT, amount="100.00")
    first = allocate(invoice.pk, payment.pk, Decimal("60"), date(2026, 2, 1), by=SYSTEM, idempotency_key="k1")
    again = allocate(invoice.pk, payment.pk, Decimal("60"), date(2026, 2, 1), by=SYSTEM, idempotency_key="k1")
    assert again.pk == first.pk
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("40.00")
    with pytest.raises(LedgerError) as error:
        allocate(invoice.pk, payment.pk, Decimal("10"), date(2026, 2, 1), by=SYSTEM, idempotency_key="k1")
    assert error.value.code == LedgerErrorCode.IDEMPOTENCY_CONFLICT


def test_reversal_restores_both_sides_and_keeps_the_row():
    customer = a_customer()
    invoice = an_item(customer, amount="100.00")
    payment = an_item(customer, kind=ItemKind.PAYMENT, amount="100.00")
    allocation = allocate(invoice.pk, payment.pk, Decimal("100"), date(2026, 2, 1), by=SYSTEM)
    reverse_allocation(allocation.pk, date(2026, 2, 5), by=SYSTEM, reason="wrong customer")
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.open_amount, payment.open_amount) == (Decimal("100.00"), Decimal("100.00"))
    assert invoice.last_activity_on == date(2026, 2, 5)
    with pytest.raises(LedgerError) as error:
        reverse_allocation(allocation.pk, date(2026, 2, 6), by=SYSTEM, reason="again")
    assert error.value.code == LedgerErrorCode.ALREADY_REVERSED


@pytest.mark.django_db(transaction=True)
def test_parallel_allocations_on_postgres_never_overallocate(on_postgres):
    # given an invoice of 100 and ten payments of 30, and ten threads each applying one payment
    customer = a_customer()
    invoice = an_item(customer, amount="100.00")
    payments = [an_item(customer, kind=ItemKind.PAYMENT, amount="30.00") for _ in range(10)]
    barrier = threading.Barrier(len(payments))
    outcomes: list[str] = []

    def apply(payment_id: int) -> None:
        try:
            barrier.wait()
            allocate(invoice.pk, payment_id, Decimal("30"), date(2026, 2, 1), by=SYSTEM)
            outcomes.append("applied")
        except LedgerError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(p.pk,)) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly three fit; the others are refused, and the invoice keeps 10.00 open
    assert outcomes.count("applied") == 3
    assert outcomes.count(LedgerErrorCode.EXCEEDS_OPEN_AMOUNT) == 7
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("10.00")


@pytest.mark.django_db(transaction=True)
def test_double_click_with_one_key_allocates_once_on_postgres(on_postgres):
    customer = a_customer()
    invoice = an_item(customer, amount="100.00")
    payment = an_item(customer, kind=ItemKind.PAYMENT, amount="100.00")
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def click() -> None:
        try:
            barrier.wait()
            ids.append(allocate(invoice.pk, payment.pk, Decimal("50"), date(2026, 2, 1),
                                by=SYSTEM, idempotency_key="tab-click-1").pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(ids) == 4
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("50.00")
