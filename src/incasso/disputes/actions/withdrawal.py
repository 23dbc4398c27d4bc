"""Withdrawing a dispute, or part of it, because the claim it was opened for fell away.

Cash application opens a case for a payer's deduction; when that payment is unapplied (it was
applied to the wrong invoice or customer) the deduction no longer exists, and the case must not
keep blocking the invoice. ``withdraw_dispute`` takes the given amounts off the case's lines:
what remains disputed stays in the case; a case left with nothing disputed is closed with the
resolution *withdrawn* (no settlement, nothing to collect beyond the open invoice). Only an open
case can be withdrawn: a case already resolved or closed was decided on its own merits, and the
caller records a note instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.disputes.actions.common import locked_case, require, resum, timeline, today_of, transition_check
from incasso.disputes.actions.deadlines import reset_on_resolution
from incasso.disputes.choices import CaseStatus, Resolution
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.models import DisputeCase


@transaction.atomic
def withdraw_dispute(case_id: int, *, by: Actor, reason: str, amounts: Mapping[int, Decimal] | None = None,
                     on_date: date | None = None) -> DisputeCase:
    """Take ``amounts`` (item id -> amount; None: everything) off an open case, with ``reason``."""
    reason = reason.strip()
    if not reason:
        raise DisputeError(DisputeErrorCode.REASON_REQUIRED, "say why the dispute is withdrawn")
    case = locked_case(case_id)
    require(by, "disputes.open_case", case.customer, f"withdraw {case.number}")
    transition_check(case, "withdraw", "be withdrawn")
    lines = list(case.lines.select_related("item").order_by("item_id"))
    by_item = {line.item_id: line for line in lines}
    taking = {line.item_id: line.disputed_amount for line in lines} if amounts is None else dict(amounts)
    for item_id, amount in taking.items():
        line = by_item.get(item_id)
        if line is None:
            raise DisputeError(DisputeErrorCode.NOT_FOUND, f"item {item_id} is not disputed in {case.number}")
        if amount <= 0 or amount > line.disputed_amount:
            raise DisputeError(DisputeErrorCode.AMOUNT_NOT_POSITIVE,
                               f"{amount} {case.currency} cannot be withdrawn from the {line.disputed_amount} "
                               f"disputed on {line.item.number}")
    before = {"status": case.status, "disputed": str(case.disputed_amount)}
    for item_id, amount in taking.items():
        line = by_item[item_id]
        line.disputed_amount -= amount
        line.blocked_amount = min(line.blocked_amount, line.disputed_amount)
        line.accepted_amount = min(line.accepted_amount, line.disputed_amount)
        line.save(update_fields=["disputed_amount", "blocked_amount", "accepted_amount"])
    resum(case)
    withdrawn = sum(taking.values(), Decimal(0))
    on_date = on_date or today_of(case.entity)
    if case.disputed_amount == 0:
        reset_on_resolution(case, by=by, on_date=on_date)  # closed: nobody's late case any more
        case.withdraw()
        case.resolution, case.resolution_note = Resolution.WITHDRAWN, reason
        case.resolved_on = case.closed_on = max(on_date, case.opened_on)
        case.resolved_by = by.user
        case.cycle_days = (case.resolved_on - case.opened_on).days
        case.save()
        timeline(case, EventKind.DISPUTE_WITHDRAWN, by=by,
                 message=f"withdrawn ({withdrawn} {case.currency}): {reason}",
                 before=before, after={"status": CaseStatus.CLOSED, "resolution": Resolution.WITHDRAWN,
                                       "withdrawn": str(withdrawn)})
    else:
        case.save()
        timeline(case, EventKind.DISPUTE_AMOUNT_CHANGED, by=by,
                 message=f"{withdrawn} {case.currency} withdrawn, {case.disputed_amount} still disputed: {reason}",
                 before=before, after={"disputed": str(case.disputed_amount), "withdrawn": str(withdrawn)})
    return case
