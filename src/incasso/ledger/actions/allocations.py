"""Allocating credit items to debit items, and reversing allocations.

Concurrency: both items are locked with ``SELECT ... FOR UPDATE`` in primary-key order (so two
allocations touching the same pair cannot deadlock), the open amounts are re-read under the lock,
and the check constraint ``0 <= open_amount <= amount`` backs it up. On SQLite the IMMEDIATE
transaction mode serialises writers. An idempotency key makes a repeated request (double click,
retry, second tab) return the first allocation instead of allocating twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.core.money import quantize
from incasso.ledger.choices import CREDIT_KINDS, AllocationSource
from incasso.ledger.errors import LedgerError, LedgerErrorCode
from incasso.ledger.models import Allocation, Item


def _locked_items(*ids: int) -> dict[int, Item]:
    items = {
        item.pk: item
        for item in Item.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    }
    missing = set(ids) - set(items)
    if missing:
        raise LedgerError(LedgerErrorCode.NOT_FOUND, f"item(s) {sorted(missing)} do not exist")
    return items


def _touch(item: Item, on_date: date) -> None:
    if item.last_activity_on is None or on_date > item.last_activity_on:
        item.last_activity_on = on_date


def _same_request(existing: Allocation, debit_id: int, credit_id: int, amount: Decimal) -> bool:
    return (existing.debit_item_id, existing.credit_item_id, existing.amount) == (debit_id, credit_id, amount)


def allocate(
    debit_item_id: int,
    credit_item_id: int,
    amount: Decimal,
    on_date: date,
    *,
    by: Actor,
    source: AllocationSource = AllocationSource.MANUAL,
    idempotency_key: str | None = None,
    note: str = "",
) -> Allocation:
    """Apply ``amount`` of the credit item to the debit item on ``on_date``.

    Both items must be open for at least ``amount``, in the same currency, on the same customer
    account or on accounts of the same customer group. Returns the allocation (the earlier one when
    the idempotency key was already used for the same request).
    """
    if idempotency_key:
        existing = Allocation.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, debit_item_id, credit_item_id, amount)
    try:
        return _allocate(debit_item_id, credit_item_id, amount, on_date, by=by, source=source,
                         idempotency_key=idempotency_key, note=note)
    except IntegrityError:
        # A concurrent request with the same idempotency key committed first.
        if idempotency_key:
            existing = Allocation.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replayed(existing, debit_item_id, credit_item_id, amount)
        raise


def _replayed(existing: Allocation, debit_id: int, credit_id: int, amount: Decimal) -> Allocation:
    if not _same_request(existing, debit_id, credit_id, amount):
        raise LedgerError(
            LedgerErrorCode.IDEMPOTENCY_CONFLICT,
            "this idempotency key was already used for a different allocation",
        )
    return existing


@transaction.atomic
def _allocate(debit_item_id: int, credit_item_id: int, amount: Decimal, on_date: date, *,
              by: Actor, source: AllocationSource, idempotency_key: str | None,
              note: str) -> Allocation:
    items = _locked_items(debit_item_id, credit_item_id)
    debit, credit = items[debit_item_id], items[credit_item_id]
    if debit.kind in CREDIT_KINDS or credit.kind not in CREDIT_KINDS:
        raise LedgerError(
            LedgerErrorCode.WRONG_SIDE,
            f"{debit} must be a debit item and {credit} a credit item",
        )
    if debit.currency != credit.currency:
        raise LedgerError(
            LedgerErrorCode.CURRENCY_MISMATCH,
            f"{debit} is in {debit.currency}, {credit} in {credit.currency}",
        )
    if debit.customer_id != credit.customer_id:
        groups = set(
            Item.objects.filter(pk__in=[debit.pk, credit.pk]).values_list("customer__group_id", flat=True)
        )
        if None in groups or len(groups) != 1:
            raise LedgerError(
                LedgerErrorCode.DIFFERENT_CUSTOMER,
                f"{debit} and {credit} belong to different customers that are not in one group",
            )
    amount = quantize(amount, debit.currency)
    if amount <= 0:
        raise LedgerError(LedgerErrorCode.AMOUNT_NOT_POSITIVE, "the allocation amount must be positive")
    for item in (debit, credit):
        if amount > item.open_amount:
            raise LedgerError(
                LedgerErrorCode.EXCEEDS_OPEN_AMOUNT,
                f"{amount} {item.currency} exceeds the open amount {item.open_amount} of {item}",
            )
    before = {"debit_open": str(debit.open_amount), "credit_open": str(credit.open_amount)}
    for item in (debit, credit):
        item.open_amount -= amount
        _touch(item, on_date)
        item.save(update_fields=["open_amount", "last_activity_on"])
    allocation = Allocation.objects.create(
        debit_item=debit, credit_item=credit, amount=amount, currency=debit.currency, date=on_date,
        source=source, note=note, idempotency_key=idempotency_key or None, created_by=by.user,
    )
    record(
        EventKind.ALLOCATION_CREATED, actor=by, subject_type="allocation", subject_id=allocation.pk,
        customer_id=debit.customer_id,
        message=f"{amount} {debit.currency} of {credit} applied to {debit} on {on_date}",
        before=before,
        after={"debit_open": str(debit.open_amount), "credit_open": str(credit.open_amount),
               "source": str(source)},
    )
    return allocation


@transaction.atomic
def reverse_allocation(allocation_id: int, on_date: date, *, by: Actor, reason: str) -> Allocation:
    """Reverse an allocation on ``on_date``: both items get the amount back; the row stays."""
    allocation = Allocation.objects.select_for_update().filter(pk=allocation_id).first()
    if allocation is None:
        raise LedgerError(LedgerErrorCode.NOT_FOUND, f"allocation {allocation_id} does not exist")
    if allocation.reversed_on is not None:
        raise LedgerError(
            LedgerErrorCode.ALREADY_REVERSED,
            f"allocation {allocation_id} was already reversed on {allocation.reversed_on}",
        )
    if on_date < allocation.date:
        raise LedgerError(
            LedgerErrorCode.DATE_BEFORE_ALLOCATION,
            f"cannot reverse on {on_date}, before the allocation date {allocation.date}",
        )
    ids = [i for i in (allocation.debit_item_id, allocation.credit_item_id) if i is not None]
    items = _locked_items(*ids)
    customer_id = None
    for item in items.values():
        item.open_amount += allocation.amount
        _touch(item, on_date)
        item.save(update_fields=["open_amount", "last_activity_on"])
        customer_id = item.customer_id
    allocation.reversed_on = on_date
    allocation.reversed_by = by.user
    allocation.reversal_reason = reason
    allocation.save(update_fields=["reversed_on", "reversed_by", "reversal_reason"])
    record(
        EventKind.ALLOCATION_REVERSED, actor=by, subject_type="allocation", subject_id=allocation.pk,
        customer_id=customer_id,
        message=f"{allocation.amount} {allocation.currency} reversed on {on_date}: {reason}",
        before={"reversed_on": None}, after={"reversed_on": on_date.isoformat(), "reason": reason},
    )
    return allocation
