"""Clearing a resolved case's credit note (or write-off) once the ERP has posted it.

Billing posts the credit note in the ERP quoting the request number (``CNR-000042``) as its
reference; the ERP import brings it into the ledger as an open credit item. Clearing allocates it
against the disputed items up to what each line still blocks, and releases that block.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.disputes.actions.common import locked_case, require, timeline, today_of
from incasso.disputes.choices import SettlementStatus
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.models import DisputeLine, Settlement
from incasso.ledger.actions.allocations import allocate
from incasso.ledger.choices import CREDIT_KINDS, AllocationSource
from incasso.ledger.models import Item


@transaction.atomic
def clear_settlement(settlement_id: int, credit_item_id: int, *, by: Actor,
                     on_date: date | None = None) -> Settlement:
    """Allocate the posted credit item against the case's items and release what it settles."""
    settlement = Settlement.objects.select_for_update().filter(pk=settlement_id).first()
    if settlement is None:
        raise DisputeError(DisputeErrorCode.NOT_FOUND, f"settlement {settlement_id} does not exist")
    case = locked_case(settlement.case_id)
    require(by, "disputes.resolve_case", case, f"clear the credit note of {case.number}")
    if settlement.status != SettlementStatus.REQUESTED:
        raise DisputeError(DisputeErrorCode.INVALID_TRANSITION,
                           f"{settlement.number} is {settlement.get_status_display().lower()}, "
                           "not waiting for a document")
    credit = Item.objects.filter(pk=credit_item_id).first()
    if credit is None:
        raise DisputeError(DisputeErrorCode.NOT_FOUND, f"item {credit_item_id} does not exist")
    if credit.kind not in CREDIT_KINDS or credit.customer_id != case.customer_id or credit.currency != case.currency:
        raise DisputeError(DisputeErrorCode.CREDIT_NOTE_MISMATCH,
                           f"{credit} is not an open credit of {case.customer} in {case.currency}")
    if credit.open_amount < settlement.amount:
        raise DisputeError(DisputeErrorCode.CREDIT_NOTE_MISMATCH,
                           f"{credit} has {credit.open_amount} open; {settlement.number} needs {settlement.amount}")
    on_date = on_date or today_of(case.entity)
    remaining = settlement.amount
    applied: dict[str, str] = {}
    lines = list(case.lines.select_related("item").filter(blocked_amount__gt=0).order_by("item_id"))
    for line in lines:
        take = min(line.blocked_amount, line.item.open_amount, remaining)
        if take <= 0:
            continue
        allocate(line.item_id, credit.pk, take, on_date, by=by, source=AllocationSource.MANUAL,
                 idempotency_key=f"dispute-settlement-{settlement.pk}-line-{line.pk}", note=settlement.number)
        line.blocked_amount -= take
        remaining -= take
        applied[line.item.number] = str(take)
    DisputeLine.objects.bulk_update(lines, ["blocked_amount"])
    settlement.status, settlement.credit_item, settlement.cleared_on = SettlementStatus.CLEARED, credit, on_date
    settlement.save()
    timeline(case, EventKind.DISPUTE_SETTLED, by=by,
             message=f"{settlement.number} cleared with {credit.number}: "
                     + ", ".join(f"{number} {amount}" for number, amount in applied.items()),
             after={"settlement": settlement.pk, "credit_item": credit.pk, "applied": applied,
                    "unapplied": str(remaining)})
    return settlement


def match_imported_credit_notes(*, by: Actor, on_date: date | None = None) -> int:
    """Clear every requested settlement whose number an imported open credit item quotes as reference.

    Runs in the daily cycle after the ERP import; returns how many settlements were cleared.
    """
    waiting = {s.number: s for s in Settlement.objects.filter(status=SettlementStatus.REQUESTED).select_related("case")}
    if not waiting:
        return 0
    candidates = (Item.objects.filter(kind__in=list(CREDIT_KINDS), reference__in=list(waiting))
                  .exclude(open_amount=0).order_by("pk"))
    cleared = 0
    for credit in candidates:
        settlement = waiting.pop(credit.reference, None)
        if settlement is None or credit.customer_id != settlement.case.customer_id:
            continue
        if credit.open_amount < settlement.amount or credit.currency != settlement.currency:
            continue  # a partial or wrong credit note is for a human to look at, not to clear blindly
        clear_settlement(settlement.pk, credit.pk, by=by, on_date=on_date)
        cleared += 1
    return cleared


def settled_amount(settlements: list[Settlement]) -> Decimal:
    return sum((s.amount for s in settlements if s.status == SettlementStatus.CLEARED), Decimal(0))
