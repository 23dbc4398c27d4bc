"""Deductions to disputes: a payer's short payment becomes a dispute case, and unapplying the
payment takes the claim back out of the case.

``dispute_deduction`` opens a case through the disputes app's own verb (``open_dispute``, source
*cash application*) for the deducted amount of the invoice, with the reason code the specialist
chose; the case blocks that part of the invoice from dunning while it is investigated. When the
payment is unapplied, ``release_deductions`` (called by ``unapply`` in the same transaction)
cancels the line's deductions and withdraws their amounts from the open cases
(``withdraw_dispute``): a case that held only the deduction is closed as *withdrawn*, a case with
more lines is reduced. A case that was already resolved or closed is left as decided and gets a
note saying the payment was unapplied.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.cashapp.choices import DeductionStatus
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import BankLine, Deduction
from incasso.disputes.actions import add_note, open_dispute, withdraw_dispute
from incasso.disputes.choices import OPEN_STATUSES, CaseSource
from incasso.disputes.errors import DisputeError
from incasso.disputes.models import DisputeCase


@transaction.atomic
def dispute_deduction(deduction_id: int, reason_code: str, *, by: Actor, description: str = "") -> Deduction:
    """Open a dispute case for an open deduction: the deducted amount of its invoice is disputed."""
    deduction = (Deduction.objects.select_for_update(of=("self",)).select_related("item", "line")
                 .filter(pk=deduction_id).first())
    if deduction is None:
        raise CashError(CashErrorCode.NOT_FOUND, f"deduction {deduction_id} does not exist")
    if deduction.status != DeductionStatus.OPEN:
        raise CashError(CashErrorCode.NOT_SHORT,
                        f"the deduction on {deduction.item.number} is {deduction.get_status_display().lower()}")
    text = description.strip() or (f"Deducted {deduction.amount} {deduction.currency} from {deduction.item.number} "
                                   f"(bank line {deduction.line.line_ref}): {deduction.reason}")
    try:
        case = open_dispute(deduction.customer_id, [(deduction.item_id, deduction.amount)], reason_code, by=by,
                            description=text, source=CaseSource.CASH_APPLICATION,
                            external_reference=f"DED-{deduction.pk}")
    except DisputeError as error:
        raise CashError(CashErrorCode.NOT_ALLOWED if error.code == "not_allowed" else CashErrorCode.NOT_SHORT,
                        error.message) from None
    deduction.case, deduction.reason_code, deduction.status = case, reason_code, DeductionStatus.DISPUTED
    deduction.save(update_fields=["case", "reason_code", "status"])
    record(EventKind.DEDUCTION_DISPUTED, actor=by, subject_type="item", subject_id=deduction.item_id,
           customer_id=deduction.customer_id,
           message=f"Deduction of {deduction.amount} {deduction.currency} on {deduction.item.number} opened as "
                   f"dispute {case.number} ({reason_code})",
           after={"deduction": deduction.pk, "case": case.pk, "reason_code": reason_code})
    return deduction


def release_deductions(line: BankLine, *, by: Actor, reason: str) -> list[DisputeCase]:
    """Cancel the line's live deductions and withdraw the disputed ones from their cases (caller's
    transaction, line locked). Returns the cases touched."""
    deductions = list(Deduction.objects.select_for_update().filter(
        line=line, status__in=[DeductionStatus.OPEN, DeductionStatus.DISPUTED]).order_by("pk"))
    per_case: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for deduction in deductions:
        if deduction.status == DeductionStatus.DISPUTED and deduction.case_id is not None:
            per_case[deduction.case_id][deduction.item_id] += deduction.amount
    touched = []
    why = f"payment unapplied (bank line {line.line_ref}): {reason}"
    for case_id in sorted(per_case):
        case = DisputeCase.objects.get(pk=case_id)
        if case.status in OPEN_STATUSES:
            lines = dict(case.lines.values_list("item_id", "disputed_amount"))
            amounts = {item: min(amount, lines.get(item, Decimal(0))) for item, amount in per_case[case_id].items()}
            amounts = {item: amount for item, amount in amounts.items() if amount > 0}
            if amounts:
                touched.append(withdraw_dispute(case_id, by=by, reason=why, amounts=amounts))
                continue
        touched.append(add_note(case_id, f"The short payment this case came from was unapplied: {why}. "
                                         "The case stays as decided.", by=by))
    Deduction.objects.filter(pk__in=[d.pk for d in deductions]).update(status=DeductionStatus.CANCELLED)
    return touched
