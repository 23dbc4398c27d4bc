"""Resolving a case, confirming it with the customer (close), reopening it, writing residuals off.

Effects on what dunning may chase (``DisputeLine.blocked_amount``):
- accepted / partially accepted: the accepted part stays blocked until the requested credit note
  arrives from the ERP and clears the item; the rest of the disputed amount is released;
- rejected: everything is released and the owner is told to collect;
- written off (approved): the written-off amount stays blocked until the ERP posts the write-off.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.core.disputes import deadline_for
from incasso.core.money import D, quantize
from incasso.disputes.actions.common import locked_case, require, resum, timeline, today_of, transition_check
from incasso.disputes.actions.deadlines import reset_on_resolution
from incasso.disputes.choices import (
    OPEN_STATUSES,
    CaseStatus,
    EscalationLevel,
    Resolution,
    SettlementKind,
    SettlementStatus,
    WriteOffStatus,
)
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.models import DisputeCase, DisputeLine, RootCauseCode, Settlement, WriteOffProposal
from incasso.disputes.notifications import email_event, recipients_of, send_after_commit
from incasso.disputes.policy import write_off_limit


def _distribute(lines: list[DisputeLine], accepted: Decimal) -> None:
    """Accept ``accepted`` over the lines in item order, each up to its disputed amount."""
    remaining = accepted
    for line in lines:
        take = min(line.disputed_amount, remaining)
        line.accepted_amount = take
        remaining -= take


def _settle(case: DisputeCase, kind: SettlementKind, amount: Decimal, on_date: date) -> Settlement | None:
    if amount <= 0:
        return None
    return Settlement.objects.create(case=case, kind=kind, amount=amount, currency=case.currency,
                                     requested_on=on_date)


@transaction.atomic
def resolve_case(case_id: int, resolution: str, *, by: Actor, root_cause_code: str, note: str = "",
                 accepted_amount: Decimal | str | None = None, on_date: date | None = None) -> DisputeCase:
    """The resolver decides: accepted (credit note for all), partially accepted (``accepted_amount``),
    rejected (invoice valid). Write-offs go through ``propose_write_off`` and its approval."""
    case = locked_case(case_id)
    require(by, "disputes.resolve_case", case, f"resolve {case.number}")
    transition_check(case, "resolve", "be resolved")
    if resolution == Resolution.WRITTEN_OFF:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA,
                           "a write-off is proposed and approved, not resolved directly")
    if resolution == Resolution.WITHDRAWN:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA,
                           "a case is withdrawn when the claim falls away (withdraw_dispute), not resolved so")
    if resolution not in Resolution.values:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA, f"unknown resolution {resolution!r}")
    root_cause = RootCauseCode.objects.filter(code=root_cause_code, active=True).first()
    if root_cause is None:
        raise DisputeError(DisputeErrorCode.UNKNOWN_ROOT_CAUSE, f"unknown or inactive root cause {root_cause_code!r}")
    on_date = on_date or today_of(case.entity)
    if on_date < case.opened_on:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA,
                           f"{case.number} was opened on {case.opened_on}; it cannot be resolved on {on_date}")
    lines = list(case.lines.select_related("item").order_by("item_id"))
    disputed = sum((line.disputed_amount for line in lines), Decimal(0))
    if resolution == Resolution.ACCEPTED:
        accepted = disputed
    elif resolution == Resolution.REJECTED:
        accepted = Decimal(0)
    else:
        if accepted_amount in (None, ""):
            raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA,
                               "a partial acceptance needs the accepted amount")
        accepted = quantize(D(accepted_amount), case.currency)
        if not Decimal(0) < accepted < disputed:
            raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA,
                               f"the accepted amount must be above 0 and below the disputed {disputed} {case.currency}")
    _distribute(lines, accepted)
    for line in lines:
        line.blocked_amount = line.accepted_amount
    DisputeLine.objects.bulk_update(lines, ["accepted_amount", "blocked_amount"])
    before = {"status": case.status}
    case.resolve()
    case.resolution, case.resolution_note, case.root_cause = resolution, note.strip(), root_cause
    case.resolved_on, case.resolved_by = on_date, by.user
    case.cycle_days = (on_date - case.opened_on).days
    resum(case)
    reset_on_resolution(case, by=by, on_date=on_date)
    case.save()
    settlement = _settle(case, SettlementKind.CREDIT_NOTE, accepted, on_date)
    timeline(case, EventKind.DISPUTE_RESOLVED, by=by,
             message=f"{Resolution(resolution).label}; root cause {root_cause.code}"
                     + (f"; credit note {settlement.number} requested for {accepted} {case.currency}"
                        if settlement else "")
                     + (f": {note.strip()}" if note.strip() else ""),
             before=before, after={"status": case.status, "resolution": resolution, "root_cause": root_cause.code,
                                   "accepted": str(accepted), "released": str(disputed - accepted)})
    if disputed - accepted > 0 and case.owner is not None:
        subject = f"{case.number} {case.customer.name}: collect {disputed - accepted} {case.currency}"
        to = recipients_of([case.owner])
        if to:
            email_event(case, to=to, subject=subject, by=by).save()
            send_after_commit(to, subject,
                              f"The dispute {case.number} was resolved ({Resolution(resolution).label}). "
                              f"{disputed - accepted} {case.currency} is no longer disputed: please collect it.")
    return case


@transaction.atomic
def close_case(case_id: int, *, by: Actor, note: str = "", on_date: date | None = None) -> DisputeCase:
    """The collector has confirmed the resolution with the customer."""
    case = locked_case(case_id)
    require(by, "disputes.confirm_case", case, f"close {case.number}")
    transition_check(case, "close", "be closed")
    case.close()
    case.closed_on = on_date or today_of(case.entity)
    case.save()
    timeline(case, EventKind.DISPUTE_CLOSED, by=by,
             message="confirmed with the customer" + (f": {note}" if note else ""),
             before={"status": CaseStatus.RESOLVED}, after={"status": case.status})
    return case


@transaction.atomic
def reopen_case(case_id: int, *, by: Actor, reason: str, on_date: date | None = None) -> DisputeCase:
    """Reopen a resolved or closed case (the customer came back with new facts): needs a reason.

    Requested settlements not yet cleared are cancelled, the disputed amount is blocked again and a
    fresh deadline runs from today. ``opened_on`` stays: the cycle time counts from the first opening.
    """
    reason = reason.strip()
    if not reason:
        raise DisputeError(DisputeErrorCode.REASON_REQUIRED, "reopening a dispute needs a reason")
    case = locked_case(case_id)
    require(by, "disputes.reopen_case", case, f"reopen {case.number}")
    transition_check(case, "reopen", "be reopened")
    on_date = on_date or today_of(case.entity)
    before = {"status": case.status, "resolution": case.resolution}
    case.settlements.filter(status=SettlementStatus.REQUESTED).update(status=SettlementStatus.CANCELLED)
    lines = list(case.lines.all())
    for line in lines:
        line.accepted_amount = Decimal(0)
        line.blocked_amount = line.disputed_amount
    DisputeLine.objects.bulk_update(lines, ["accepted_amount", "blocked_amount"])
    case.reopen()
    case.resolution, case.resolution_note = "", ""
    case.resolved_on = case.resolved_by = case.cycle_days = case.closed_on = None
    case.escalation_level, case.escalated_on, case.reminded_on = EscalationLevel.NONE, None, None
    case.deescalated_on = None
    case.deadline = deadline_for(on_date, case.reason.target_business_days, case.entity.country)
    case.reopen_count += 1
    resum(case)
    case.save()
    timeline(case, EventKind.DISPUTE_REOPENED, by=by, message=f"reopened: {reason}", before=before,
             after={"status": case.status, "reason": reason, "deadline": case.deadline.isoformat()})
    return case


def _write_off_amount(case: DisputeCase) -> Decimal:
    if case.status in OPEN_STATUSES:
        return case.disputed_amount
    if case.status == CaseStatus.RESOLVED and case.resolution in (Resolution.PARTIALLY_ACCEPTED, Resolution.REJECTED):
        return case.disputed_amount - case.accepted_amount
    raise DisputeError(DisputeErrorCode.INVALID_TRANSITION,
                       f"{case.number} is {case.get_status_display().lower()}: nothing on it can be written off")


@transaction.atomic
def propose_write_off(case_id: int, *, by: Actor, note: str = "", on_date: date | None = None) -> WriteOffProposal:
    """Propose writing off the case's small residual: the whole disputed amount of an open case, or
    the part not accepted of a partially accepted or rejected one, if it is within the limit."""
    case = locked_case(case_id)
    require(by, "disputes.resolve_case", case, f"propose a write-off on {case.number}")
    amount = _write_off_amount(case)
    limit = write_off_limit()
    if amount <= 0:
        raise DisputeError(DisputeErrorCode.AMOUNT_NOT_POSITIVE, f"{case.number} has no residual to write off")
    if amount > limit:
        raise DisputeError(DisputeErrorCode.ABOVE_WRITE_OFF_THRESHOLD,
                           f"{amount} {case.currency} is above the write-off limit of {limit}")
    if case.write_off_proposals.filter(status=WriteOffStatus.PROPOSED).exists():
        raise DisputeError(DisputeErrorCode.INVALID_TRANSITION, f"{case.number} already has a write-off waiting")
    proposal = WriteOffProposal.objects.create(case=case, amount=amount, note=note.strip(), proposed_by=by.user,
                                               proposed_on=on_date or today_of(case.entity))
    timeline(case, EventKind.DISPUTE_WRITE_OFF, by=by, message=f"write-off of {amount} {case.currency} proposed",
             after={"proposal": proposal.pk, "amount": str(amount)})
    return proposal


@transaction.atomic
def decide_write_off(proposal_id: int, *, approve: bool, by: Actor, on_date: date | None = None) -> WriteOffProposal:
    """Approve or reject a write-off proposal; the approver may not be the proposer."""
    proposal = WriteOffProposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None or proposal.status != WriteOffStatus.PROPOSED:
        raise DisputeError(DisputeErrorCode.NOT_FOUND, f"no write-off proposal {proposal_id} waits for a decision")
    case = locked_case(proposal.case_id)
    require(by, "disputes.approve_write_off", case, f"approve write-offs on {case.number}")
    if by.user is not None and by.user.pk == proposal.proposed_by_id:
        raise DisputeError(DisputeErrorCode.SAME_APPROVER, "a write-off is approved by someone other than its proposer")
    on_date = on_date or today_of(case.entity)
    proposal.status = WriteOffStatus.APPROVED if approve else WriteOffStatus.REJECTED
    proposal.decided_by, proposal.decided_on = by.user, on_date
    proposal.save()
    if approve:
        amount = _write_off_amount(case)  # re-read under the lock: a payment may have lowered it
        amount = min(amount, proposal.amount)
        lines = list(case.lines.order_by("item_id"))
        was_open = case.status in OPEN_STATUSES
        remaining = amount
        for line in lines:
            take = min(line.disputed_amount - line.accepted_amount, remaining)
            line.accepted_amount += take
            # An open case already blocks its whole disputed amount; a resolved one blocks only what
            # its credit note still has to settle, so the written-off part is added to that.
            line.blocked_amount = line.accepted_amount if was_open else line.blocked_amount + take
            remaining -= take
        DisputeLine.objects.bulk_update(lines, ["accepted_amount", "blocked_amount"])
        if case.status in OPEN_STATUSES:
            case.resolve()
            case.resolution, case.resolved_on, case.resolved_by = Resolution.WRITTEN_OFF, on_date, by.user
            case.cycle_days = (on_date - case.opened_on).days
            reset_on_resolution(case, by=by, on_date=on_date)
        resum(case)
        case.save()
        settlement = _settle(case, SettlementKind.WRITE_OFF, amount, on_date)
        timeline(case, EventKind.DISPUTE_WRITE_OFF, by=by,
                 message=f"write-off of {amount} {case.currency} approved; {settlement.number if settlement else ''}",
                 after={"proposal": proposal.pk, "amount": str(amount), "status": case.status})
    else:
        timeline(case, EventKind.DISPUTE_WRITE_OFF, by=by, message="write-off rejected",
                 after={"proposal": proposal.pk})
    return proposal
