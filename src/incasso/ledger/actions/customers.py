"""Actions on customer accounts: pausing and resuming dunning.

A dunning block stops reminders and fees for the whole account (a dispute being sorted out by
phone, a payment announced by the customer's CFO) until its end date; the reason is mandatory so
that the next collector and the auditor know why the account went quiet.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.ledger.errors import LedgerError, LedgerErrorCode
from incasso.ledger.models import Customer

_FLAG_FIELDS = ("dunning_block", "dunning_block_reason", "dunning_block_until")


def _snapshot(customer: Customer) -> dict[str, object]:
    return {
        "dunning_block": customer.dunning_block,
        "dunning_block_reason": customer.dunning_block_reason,
        "dunning_block_until": customer.dunning_block_until.isoformat() if customer.dunning_block_until else None,
    }


@transaction.atomic
def block_dunning(customer_id: int, *, reason: str, until: date | None, today: date, by: Actor) -> Customer:
    """Stop dunning for the account until ``until`` (inclusive; None: until unblocked)."""
    reason = reason.strip()
    if not reason:
        raise LedgerError(LedgerErrorCode.INVALID_DUNNING_BLOCK, "a dunning block needs a reason")
    if until is not None and until < today:
        raise LedgerError(LedgerErrorCode.INVALID_DUNNING_BLOCK,
                          f"the block would end on {until.isoformat()}, before today ({today.isoformat()})")
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    before = _snapshot(customer)
    customer.dunning_block, customer.dunning_block_reason, customer.dunning_block_until = True, reason, until
    customer.save(update_fields=[*_FLAG_FIELDS, "updated_at"])
    record(EventKind.CUSTOMER_UPDATED, actor=by, subject_type="customer", subject_id=customer.pk,
           customer_id=customer.pk, message=f"Dunning blocked: {reason}", before=before, after=_snapshot(customer))
    return customer


@transaction.atomic
def unblock_dunning(customer_id: int, *, by: Actor) -> Customer:
    """Resume dunning for the account."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if not customer.dunning_block:
        return customer
    before = _snapshot(customer)
    customer.dunning_block, customer.dunning_block_reason, customer.dunning_block_until = False, "", None
    customer.save(update_fields=[*_FLAG_FIELDS, "updated_at"])
    record(EventKind.CUSTOMER_UPDATED, actor=by, subject_type="customer", subject_id=customer.pk,
           customer_id=customer.pk, message="Dunning unblocked", before=before, after=_snapshot(customer))
    return customer
