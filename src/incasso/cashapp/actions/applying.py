"""Applying bank lines to items: accepting or rejecting a proposal, allocating by hand, unapplying.

Every allocation goes through ``incasso.ledger.actions.allocate`` / ``reverse_allocation``, so the
ledger's allocation table stays the single source of truth for what is open.

Concurrency: each verb locks the bank line row first (``SELECT ... FOR UPDATE``), then re-reads the
proposal and the payment item under that lock, so two browser tabs or a double click cannot apply
one line twice; the ledger's own item locks and the payment item's open amount make sure a line is
never allocated beyond its amount. A repeated request with the same idempotency key returns the
first result instead of failing.

Residuals, by the proposal's ``residual_kind``:

* ``short_payment``: the invoice stays open for the difference, and a ``Deduction`` records it with
  the reason; ``dispute_deduction`` (or accepting with a dispute reason code) opens a dispute case
  for it, and unapplying withdraws the amount from that case (``actions.deductions``);
* ``overpayment`` / ``unidentified``: the payment item stays open (unapplied cash, a credit balance);
* ``within_tolerance``: the difference is written off by a small ledger item (a ``credit_note``
  allocated to the invoice when the customer paid less, a debit ``adjustment`` the payment is
  allocated to when more) and a ``cash.written_off`` audit event; a cash discount taken is written
  off the same way. Unapplying reverses these allocations and cancels the items against opposite
  ones, so nothing is deleted and every step stays in the trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.cashapp.actions.deductions import dispute_deduction, release_deductions
from incasso.cashapp.choices import (
    Application,
    DeductionStatus,
    LineState,
    ProposalStatus,
    ResidualKind,
    WriteOffReason,
)
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import BankLine, Deduction, MatchProposal, RemittanceAdvice, WriteOff
from incasso.core.calendar import local_date
from incasso.core.money import ZERO, quantize
from incasso.disputes.errors import DisputeError
from incasso.ledger.actions import allocate, reverse_allocation
from incasso.ledger.actions.cash import create_difference_item, create_payment_item
from incasso.ledger.choices import CREDIT_KINDS, AllocationSource, ItemKind
from incasso.ledger.models import Allocation, Customer, Item


def _locked_line(line_id: int) -> BankLine:
    line = BankLine.objects.select_for_update(of=("self",)).filter(pk=line_id).select_related("entity").first()
    if line is None:
        raise CashError(CashErrorCode.NOT_FOUND, f"bank line {line_id} does not exist")
    return line


def _booking_date(line: BankLine, fallback: date) -> date:
    return line.booking_date or line.value_date or fallback


def _today(line: BankLine) -> date:
    """The entity's calendar date now: the one clock reading of a user's request."""
    return local_date(timezone.now(), line.entity.timezone if line.entity else "UTC")


def _next_number(entity_id: int, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... when a line was applied, unapplied and applied again."""
    # The usual case first, by the unique (entity, kind, number) index; the prefix scan only on a re-apply.
    if not Item.objects.filter(entity_id=entity_id, kind__in=ItemKind.values, number=base).exists():
        return base
    taken = set(Item.objects.filter(entity_id=entity_id, number__startswith=base).values_list("number", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _payment_item_for(line: BankLine, customer: Customer, on_date: date, *, by: Actor) -> Item:
    """The line's payment item on ``customer``: created on first use, or moved from the account it
    was parked on (suspense, or a customer it was unapplied from) while nothing of it is allocated."""
    current = Item.objects.select_for_update().get(pk=line.payment_item_id) if line.payment_item_id else None
    if current is not None and (current.customer_id == customer.pk or
                                (customer.group_id and current.customer.group_id == customer.group_id)):
        return current
    if current is not None:
        if current.open_amount != current.amount:
            raise CashError(CashErrorCode.MIXED_CUSTOMERS,
                            f"line {line.line_ref} is already applied in part on {current.customer}; "
                            "unapply it before moving it to another customer")
        transfer = create_difference_item(
            current.customer_id, credit=False, number=_next_number(current.entity_id, f"TRF-{line.pk}"),
            amount=current.open_amount,
            currency=current.currency, on_date=on_date, by=by,
            text=f"bank line {line.line_ref} moved to {customer.account}",
        )
        allocate(transfer.pk, current.pk, current.open_amount, on_date, by=by, source=AllocationSource.CASH_APPLICATION,
                 note=f"moved to {customer.account}")
    payment = create_payment_item(
        customer.pk, number=_next_number(customer.entity_id, f"CASH-{line.pk}"),
        amount=line.amount, currency=line.currency, on_date=on_date, by=by,
        reference=line.structured_reference or line.end_to_end_id,
        text=f"{line.counterparty_name} {line.remittance_text}".strip(),
    )
    line.payment_item = payment
    line.customer = customer
    return Item.objects.select_for_update().get(pk=payment.pk)


def _settle_state(line: BankLine, payment: Item | None, application: str) -> None:
    if payment is None:
        line.state = LineState.UNMATCHED
    else:
        payment.refresh_from_db(fields=["open_amount"])
        if payment.open_amount == 0:
            line.state = LineState.APPLIED
        elif payment.open_amount < payment.amount:
            line.state = LineState.PARTIALLY_APPLIED
        else:
            line.state = LineState.UNMATCHED
    line.application = application if line.state != LineState.UNMATCHED else ""
    line.save(update_fields=["state", "application", "customer", "payment_item"])


def _write_off(line: BankLine, *, debit: Item, credit: Item | None, amount: Decimal, reason: WriteOffReason,
               on_date: date, by: Actor) -> WriteOff:
    """Close ``amount`` of a small difference: on the invoice (``credit`` None) or on the payment."""
    if credit is None:  # the customer paid a little less: a credit closes the invoice
        item = create_difference_item(debit.customer_id, credit=True,
                                      number=_next_number(debit.entity_id, f"WO-{line.pk}"),
                                      amount=amount, currency=debit.currency, on_date=on_date, by=by,
                                      text=f"{reason.label}: {debit.number}, bank line {line.line_ref}")
        allocation = allocate(debit.pk, item.pk, amount, on_date, by=by, source=AllocationSource.CASH_APPLICATION,
                              note=str(reason.label))
    else:  # the customer paid a little more: a debit takes up the rest of the payment
        item = create_difference_item(credit.customer_id, credit=False,
                                      number=_next_number(credit.entity_id, f"WO-{line.pk}"),
                                      amount=amount, currency=credit.currency, on_date=on_date, by=by,
                                      text=f"{reason.label}: bank line {line.line_ref}")
        allocation = allocate(item.pk, credit.pk, amount, on_date, by=by, source=AllocationSource.CASH_APPLICATION,
                              note=str(reason.label))
    write_off = WriteOff.objects.create(line=line, item=item, allocation=allocation, amount=amount, reason=reason)
    record(EventKind.DIFFERENCE_WRITTEN_OFF, actor=by, subject_type="bank_line", subject_id=line.pk,
           customer_id=item.customer_id,
           message=f"{amount} {item.currency} written off ({reason.label}) on bank line {line.line_ref}",
           after={"item": item.number, "amount": str(amount), "reason": str(reason)})
    return write_off


def _allocate_all(line: BankLine, payment: Item, parts: Sequence[tuple[int, Decimal, Decimal]], on_date: date, *,
                  by: Actor, source: AllocationSource, key: str | None) -> list[Item]:
    total = sum((amount for _, amount, _ in parts), ZERO)
    if total > payment.open_amount:
        raise CashError(CashErrorCode.EXCEEDS_LINE,
                        f"{total} {line.currency} is more than the {payment.open_amount} left on bank line "
                        f"{line.line_ref}")
    debits = []
    for n, (item_id, amount, _discount) in enumerate(parts):
        if amount > 0:
            allocate(item_id, payment.pk, amount, on_date, by=by, source=source,
                     idempotency_key=f"{key}:{n}" if key else None, note=f"bank line {line.line_ref}")
        debits.append(Item.objects.get(pk=item_id))
    return debits


def _parts_of(proposal: MatchProposal) -> list[tuple[int, Decimal, Decimal]]:
    return [(int(a["item_id"]), Decimal(a["amount"]), Decimal(a.get("discount") or "0"))
            for a in proposal.allocations]


def apply_proposal(proposal: MatchProposal, line: BankLine, *, by: Actor, status: ProposalStatus,
                   idempotency_key: str | None, on_date: date) -> MatchProposal:
    """Apply a proposal whose line is locked by the caller (``apply_match`` and the matching run)."""
    customer = Customer.objects.get(pk=proposal.customer_id)
    payment = _payment_item_for(line, customer, on_date, by=by)
    parts = _parts_of(proposal)
    debits = _allocate_all(line, payment, parts, on_date, by=by, source=AllocationSource.CASH_APPLICATION,
                           key=idempotency_key or f"proposal-{proposal.pk}")
    for (_item_id, _amount, discount), debit in zip(parts, debits, strict=True):
        discount = min(discount, debit.open_amount)
        if discount > 0:
            _write_off(line, debit=debit, credit=None, amount=discount, reason=WriteOffReason.CASH_DISCOUNT,
                       on_date=on_date, by=by)
    residual = quantize(proposal.residual, line.currency)
    still_open = sorted((d for d in (Item.objects.get(pk=d.pk) for d in debits) if d.open_amount > 0),
                        key=lambda d: -d.open_amount)
    payment.refresh_from_db(fields=["open_amount"])
    if proposal.residual_kind == ResidualKind.WITHIN_TOLERANCE and residual > 0:
        if payment.open_amount > 0:
            _write_off(line, debit=payment, credit=payment, amount=min(residual, payment.open_amount),
                       reason=WriteOffReason.TOLERANCE, on_date=on_date, by=by)
        elif still_open:
            _write_off(line, debit=still_open[0], credit=None, amount=min(residual, still_open[0].open_amount),
                       reason=WriteOffReason.TOLERANCE, on_date=on_date, by=by)
    elif proposal.residual_kind == ResidualKind.SHORT_PAYMENT and residual > 0 and still_open:
        _record_deduction(line, proposal, still_open[0], min(residual, still_open[0].open_amount), by=by)
    proposal.status = status
    proposal.idempotency_key = idempotency_key
    proposal.decided_by = by.user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "idempotency_key", "decided_by", "decided_at"])
    _settle_state(line, payment, Application.AUTO if status == ProposalStatus.AUTO else Application.ACCEPTED)
    record(EventKind.MATCH_APPLIED, actor=by, subject_type="bank_line", subject_id=line.pk, customer_id=customer.pk,
           message=f"{line.amount} {line.currency} of bank line {line.line_ref} applied to "
                   f"{', '.join(d.number for d in debits) or 'the account'} ({proposal.get_status_display()}, "
                   f"confidence {proposal.confidence}): {proposal.reason}",
           after={"proposal": proposal.pk, "state": line.state, "residual_kind": proposal.residual_kind})
    return proposal


def _record_deduction(line: BankLine, proposal: MatchProposal | None, item: Item, amount: Decimal, *,
                      by: Actor) -> Deduction:
    reason = (proposal.reason if proposal else "") or "short payment"
    stated = _advice_deduction_reason(line, item)
    if stated:
        reason = f"{stated} (stated in the remittance advice); {reason}"
    deduction = Deduction.objects.create(line=line, proposal=proposal, item=item, customer_id=item.customer_id,
                                         amount=amount, currency=item.currency, reason=reason[:200],
                                         created_by=by.user)
    record(EventKind.DEDUCTION_RECORDED, actor=by, subject_type="item", subject_id=item.pk,
           customer_id=item.customer_id,
           message=f"{item.number} paid short by {amount} {item.currency} (bank line {line.line_ref}): {reason}",
           after={"deduction": deduction.pk, "amount": str(amount)})
    return deduction


def _advice_deduction_reason(line: BankLine, item: Item) -> str:
    """The payer's own words for a deduction on ``item``, from the line's remittance advice."""
    documents = RemittanceAdvice.objects.filter(line=line).values_list("documents", flat=True).first() or []
    for number, _paid, deduction, *reason in documents:
        if str(number).strip().upper() == item.number.upper() and deduction and reason and reason[0]:
            return f"{reason[0]} ({deduction} {item.currency})"
    return ""


@transaction.atomic
def apply_match(proposal_id: int, *, by: Actor, idempotency_key: str, on_date: date | None = None,
                dispute_reason: str = "") -> MatchProposal:
    """A person accepts a queued proposal: the line is applied as proposed, once.

    With ``dispute_reason`` (a dispute reason code), a short payment's deduction is opened as a
    dispute case at once (``dispute_deduction``)."""
    line_id = MatchProposal.objects.filter(pk=proposal_id).values_list("line_id", flat=True).first()
    if line_id is None:
        raise CashError(CashErrorCode.NOT_FOUND, f"match proposal {proposal_id} does not exist")
    line = _locked_line(line_id)
    proposal = MatchProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != ProposalStatus.PROPOSED:
        if proposal.idempotency_key and proposal.idempotency_key == idempotency_key:
            return proposal  # the same click again
        raise CashError(CashErrorCode.ALREADY_DECIDED,
                        f"proposal {proposal_id} was already {proposal.get_status_display().lower()}"
                        + (f" by {proposal.decided_by.get_username()}" if proposal.decided_by else ""))
    if MatchProposal.objects.filter(idempotency_key=idempotency_key).exists():
        raise CashError(CashErrorCode.IDEMPOTENCY_CONFLICT, "this request key was already used for another proposal")
    if proposal.customer_id is None:
        raise CashError(CashErrorCode.NOTHING_TO_ALLOCATE,
                        "this proposal names no customer; allocate the line by hand instead")
    applied = apply_proposal(proposal, line, by=by, status=ProposalStatus.ACCEPTED, idempotency_key=idempotency_key,
                             on_date=on_date or _booking_date(line, _today(line)))
    if dispute_reason:
        for deduction_id in Deduction.objects.filter(line=line, proposal=proposal, status=DeductionStatus.OPEN) \
                .order_by("pk").values_list("pk", flat=True):
            dispute_deduction(deduction_id, dispute_reason, by=by)
    return applied


@transaction.atomic
def reject_match(proposal_id: int, *, by: Actor, reason: str) -> MatchProposal:
    """A person turns a proposal down; the line goes back to unmatched and is not proposed the same way again."""
    reason = reason.strip()
    if not reason:
        raise CashError(CashErrorCode.REASON_REQUIRED, "say why the proposal is wrong (it teaches the next person)")
    line_id = MatchProposal.objects.filter(pk=proposal_id).values_list("line_id", flat=True).first()
    if line_id is None:
        raise CashError(CashErrorCode.NOT_FOUND, f"match proposal {proposal_id} does not exist")
    line = _locked_line(line_id)
    proposal = MatchProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != ProposalStatus.PROPOSED:
        raise CashError(CashErrorCode.ALREADY_DECIDED,
                        f"proposal {proposal_id} was already {proposal.get_status_display().lower()}")
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_reason = by.user, timezone.now(), reason[:200]
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    if line.state == LineState.PROPOSED:
        line.state = LineState.UNMATCHED
        line.save(update_fields=["state"])
    record(EventKind.MATCH_REJECTED, actor=by, subject_type="bank_line", subject_id=line.pk,
           customer_id=proposal.customer_id,
           message=f"Proposal for bank line {line.line_ref} rejected: {reason}",
           before={"status": ProposalStatus.PROPOSED}, after={"status": ProposalStatus.REJECTED, "reason": reason})
    return proposal


@transaction.atomic
def allocate_manually(line_id: int, allocations: Iterable[tuple[int, Decimal]], *, by: Actor,
                      idempotency_key: str, on_date: date | None = None) -> BankLine:
    """A person splits the line across items by hand; what is left of the line stays unapplied cash."""
    parts = [(int(item_id), Decimal(amount), ZERO) for item_id, amount in allocations if Decimal(amount) != 0]
    if not parts:
        raise CashError(CashErrorCode.NOTHING_TO_ALLOCATE, "give at least one item and a positive amount")
    if any(amount < 0 for _, amount, _ in parts):
        raise CashError(CashErrorCode.NOTHING_TO_ALLOCATE, "amounts to allocate must be positive")
    line = _locked_line(line_id)
    if Allocation.objects.filter(idempotency_key=f"{idempotency_key}:0").exists():
        return line  # the same submission again
    if not line.is_credit:
        raise CashError(CashErrorCode.NOT_A_CREDIT, f"bank line {line.line_ref} is a debit")
    if line.entity_id is None:
        raise CashError(CashErrorCode.NO_ENTITY, f"bank line {line.line_ref} belongs to no legal entity")
    if line.state == LineState.APPLIED:
        raise CashError(CashErrorCode.LINE_NOT_OPEN, f"bank line {line.line_ref} is already fully applied")
    items = {i.pk: i for i in Item.objects.filter(pk__in=[p[0] for p in parts]).select_related("customer")}
    if len(items) != len({p[0] for p in parts}):
        raise CashError(CashErrorCode.NOT_FOUND, "one of the items does not exist")
    wrong_side = [i.number for i in items.values() if i.kind in CREDIT_KINDS]
    if wrong_side:
        raise CashError(CashErrorCode.NOTHING_TO_ALLOCATE, f"{', '.join(wrong_side)} are credits, not items owed")
    customers = {i.customer for i in items.values()}
    groups = {c.group_id for c in customers}
    if len(customers) > 1 and (None in groups or len(groups) > 1):
        raise CashError(CashErrorCode.MIXED_CUSTOMERS, "the items belong to customers outside one group")
    customer = items[parts[0][0]].customer
    when = on_date or _booking_date(line, _today(line))
    payment = _payment_item_for(line, customer, when, by=by)
    _allocate_all(line, payment, parts, when, by=by, source=AllocationSource.MANUAL, key=idempotency_key)
    MatchProposal.objects.filter(line=line, status=ProposalStatus.PROPOSED).update(
        status=ProposalStatus.SUPERSEDED, decided_by=by.user, decided_at=timezone.now(),
        decision_reason="allocated by hand")
    _settle_state(line, payment, Application.MANUAL)
    total = sum((p[1] for p in parts), ZERO)
    record(EventKind.MATCH_APPLIED, actor=by, subject_type="bank_line", subject_id=line.pk, customer_id=customer.pk,
           message=f"{total} {line.currency} of bank line {line.line_ref} allocated by hand to "
                   f"{', '.join(items[p[0]].number for p in parts)}",
           after={"state": line.state, "allocated": str(total)})
    return line


@transaction.atomic
def unapply(line_id: int, *, by: Actor, reason: str, on_date: date | None = None) -> BankLine:
    """Take a line's application back: allocations reversed (both sides restored), write-offs
    cancelled, deductions cancelled; the payment stays on the customer as unapplied cash."""
    reason = reason.strip()
    if not reason:
        raise CashError(CashErrorCode.REASON_REQUIRED, "say why the line is unapplied")
    line = _locked_line(line_id)
    if line.payment_item_id is None:
        raise CashError(CashErrorCode.NOTHING_APPLIED, f"bank line {line.line_ref} was never applied")
    payment = line.payment_item
    live = list(Allocation.objects.filter(reversed_on__isnull=True)
                .filter(Q(credit_item_id=line.payment_item_id) |
                        Q(pk__in=WriteOff.objects.filter(line=line, cancelled=False).values("allocation_id")))
                .order_by("pk"))
    if not live:
        raise CashError(CashErrorCode.NOTHING_APPLIED, f"nothing of bank line {line.line_ref} is applied")
    when = on_date or _today(line)
    for allocation in live:
        reverse_allocation(allocation.pk, max(when, allocation.date), by=by, reason=f"unapplied: {reason}"[:200])
    for write_off in WriteOff.objects.filter(line=line, cancelled=False).select_related("item"):
        item = write_off.item
        opposite = create_difference_item(item.customer_id, credit=item.kind not in CREDIT_KINDS,
                                          number=_next_number(item.entity_id, f"REV-{item.number}"),
                                          amount=item.amount, currency=item.currency,
                                          on_date=when, by=by, text=f"cancels {item.number}: {reason}")
        debit, credit = (opposite, item) if item.kind in CREDIT_KINDS else (item, opposite)
        allocate(debit.pk, credit.pk, item.amount, max(when, write_off.allocation.date), by=by,
                 source=AllocationSource.CASH_APPLICATION, note=f"write-off cancelled: {reason}"[:200])
        write_off.cancelled = True
        write_off.save(update_fields=["cancelled"])
    try:
        release_deductions(line, by=by, reason=reason)
    except DisputeError as error:
        raise CashError(CashErrorCode.NOT_ALLOWED, f"the deduction's dispute cannot be withdrawn: {error.message}") \
            from None
    MatchProposal.objects.filter(line=line, status__in=[ProposalStatus.AUTO, ProposalStatus.ACCEPTED]).update(
        status=ProposalStatus.REJECTED, decision_reason=f"unapplied: {reason}"[:200])
    _settle_state(line, payment, "")
    reversed_total = Allocation.objects.filter(pk__in=[a.pk for a in live]).aggregate(total=Sum("amount"))["total"]
    record(EventKind.CASH_UNAPPLIED, actor=by, subject_type="bank_line", subject_id=line.pk,
           customer_id=payment.customer_id,
           message=f"Bank line {line.line_ref} unapplied ({reversed_total} {line.currency} reversed): {reason}",
           after={"state": line.state, "reversed": len(live)})
    return line
