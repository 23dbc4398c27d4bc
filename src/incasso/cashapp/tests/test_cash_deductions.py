"""Deductions to disputes: a short payment opens a dispute case for the deducted amount, and
unapplying the payment withdraws it again (the whole case, or its share of a larger case)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM, Actor
from incasso.audit.models import AuditEvent
from incasso.cashapp.actions import apply_match, dispute_deduction, unapply
from incasso.cashapp.choices import DeductionStatus, LineState, ProposalStatus, ResidualKind
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import BankLine, Deduction, MatchProposal
from incasso.cashapp.tests.samples import acme, acme_invoices, camt053_entry, our_entity
from incasso.cashapp.tests.test_cash_actions import _import, _open, _queued
from incasso.cashapp.tests.test_cash_views import a_user
from incasso.disputes.actions import assign_case, open_dispute, resolve_case, start_investigation
from incasso.disputes.choices import CaseSource, CaseStatus, Resolution
from incasso.disputes.queries import disputed_amounts

pytestmark = pytest.mark.django_db


def _short_paid():  # type: ignore[no-untyped-def]
    """Acme pays 1150.00 on the 1200.00 invoice FA20260001: 50.00 deducted for damaged pallets."""
    customer = acme(our_entity())
    invoice, second = acme_invoices(customer)
    [line] = _import(camt053_entry("1150.00", ref="A1", name="Acme", text="FA20260001 moins 50 palettes abimees"))
    proposal = _queued(line, customer, [(invoice, "1150.00", "0")], residual="50.00",
                       kind=ResidualKind.SHORT_PAYMENT)
    return customer, invoice, second, line, proposal


def test_accepting_with_a_reason_code_opens_the_deduction_as_a_dispute_and_unapply_withdraws_it():
    customer, invoice, _second, line, proposal = _short_paid()
    carla = a_user("carla", Role.CASH_APPLICATION)
    # when the specialist accepts the short payment and says why the customer deducted
    apply_match(proposal.pk, by=Actor.of(carla), idempotency_key="k1", dispute_reason="damaged")
    # then a dispute case holds the deducted 50.00 of the invoice, from cash application
    deduction = Deduction.objects.get()
    case = deduction.case
    assert (deduction.status, deduction.reason_code) == (DeductionStatus.DISPUTED, "damaged")
    assert (case.customer, case.disputed_amount, case.source, case.reason.code, case.status) == (
        customer, Decimal("50.00"), CaseSource.CASH_APPLICATION, "damaged", CaseStatus.NEW)
    assert [(dl.item_id, dl.blocked_amount) for dl in case.lines.all()] == [(invoice.pk, Decimal("50.00"))]
    assert disputed_amounts([invoice.pk]) == {invoice.pk: Decimal("50.00")}
    assert AuditEvent.objects.filter(kind=EventKind.DEDUCTION_DISPUTED, subject_id=str(invoice.pk)).exists()
    # when the payment is unapplied (it was the wrong invoice)
    unapply(line.pk, by=Actor.of(carla), reason="wrong invoice", on_date=date(2026, 3, 5))
    # then the case is withdrawn: closed, nothing disputed or blocked, and the invoice fully open
    case.refresh_from_db()
    deduction.refresh_from_db()
    assert deduction.status == DeductionStatus.CANCELLED and deduction.case == case
    assert (case.status, case.resolution, case.disputed_amount) == (CaseStatus.CLOSED, Resolution.WITHDRAWN,
                                                                    Decimal("0.00"))
    assert disputed_amounts([invoice.pk]) == {} and _open(invoice) == Decimal("1200.00")
    event = AuditEvent.objects.get(kind=EventKind.DISPUTE_WITHDRAWN)
    assert "payment unapplied" in event.message and "wrong invoice" in event.message


def test_a_deduction_disputed_later_into_a_larger_case_is_only_taken_out_of_it():
    customer, invoice, second, line, proposal = _short_paid()
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k1")
    deduction = Deduction.objects.get()
    assert deduction.status == DeductionStatus.OPEN and deduction.case is None
    dispute_deduction(deduction.pk, "damaged", by=SYSTEM)
    deduction.refresh_from_db()
    # the collector adds the customer's claim on the second invoice to another case; and the
    # deduction's case is being investigated when the payment is unapplied
    other = open_dispute(customer.pk, [(second.pk, "100.00")], "pricing", by=SYSTEM)
    case = deduction.case
    assign_case(case.pk, by=SYSTEM)
    start_investigation(case.pk, by=SYSTEM)
    unapply(line.pk, by=SYSTEM, reason="belongs to another customer", on_date=date(2026, 3, 5))
    case.refresh_from_db()
    other.refresh_from_db()
    assert (case.status, case.resolution) == (CaseStatus.CLOSED, Resolution.WITHDRAWN)
    assert (other.status, other.disputed_amount) == (CaseStatus.NEW, Decimal("100.00"))


def test_a_case_already_resolved_stays_as_decided_and_gets_a_note():
    _customer, invoice, _second, line, proposal = _short_paid()
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k1", dispute_reason="damaged")
    case = Deduction.objects.get().case
    assign_case(case.pk, by=SYSTEM)
    start_investigation(case.pk, by=SYSTEM)
    resolve_case(case.pk, Resolution.ACCEPTED, by=SYSTEM, root_cause_code=_a_root_cause())
    unapply(line.pk, by=SYSTEM, reason="wrong invoice", on_date=date(2026, 3, 5))
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.resolution == Resolution.ACCEPTED
    assert AuditEvent.objects.filter(kind=EventKind.DISPUTE_NOTE, subject_id=str(case.pk),
                                     message__contains="was unapplied").exists()
    assert Deduction.objects.get().status == DeductionStatus.CANCELLED


def _a_root_cause() -> str:
    from incasso.disputes.models import RootCauseCode

    return RootCauseCode.objects.filter(active=True).values_list("code", flat=True).first()


def test_a_deduction_is_disputed_once_and_a_controller_cannot_open_it():
    _customer, _invoice, _second, _line, proposal = _short_paid()
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k1")
    deduction = Deduction.objects.get()
    with pytest.raises(CashError) as refused:
        dispute_deduction(deduction.pk, "damaged", by=Actor.of(a_user("clara", Role.CONTROLLER)))
    assert refused.value.code == CashErrorCode.NOT_ALLOWED
    dispute_deduction(deduction.pk, "damaged", by=SYSTEM)
    with pytest.raises(CashError) as twice:
        dispute_deduction(deduction.pk, "damaged", by=SYSTEM)
    assert twice.value.code == CashErrorCode.NOT_SHORT


def test_the_deductions_screen_opens_a_dispute_with_a_reason_code(client):
    _customer, invoice, _second, line, proposal = _short_paid()
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k1")
    deduction = Deduction.objects.get()
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    page = client.get(reverse("cashapp:deductions")).content.decode()
    assert "FA20260001" in page and "50.00" in page and "damaged" in page
    response = client.post(reverse("cashapp:dispute_deduction", args=[deduction.pk]), {"reason_code": "damaged"})
    assert response.status_code == 302
    deduction.refresh_from_db()
    assert deduction.status == DeductionStatus.DISPUTED
    page = client.get(reverse("cashapp:deductions") + "?status=disputed").content.decode()
    assert deduction.case.number in page
    assert MatchProposal.objects.get().status == ProposalStatus.ACCEPTED
    assert BankLine.objects.get().state == LineState.APPLIED


def test_accepting_a_short_payment_in_the_queue_with_a_reason_opens_the_dispute(client):
    _customer, invoice, _second, _line, proposal = _short_paid()
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    page = client.get(reverse("cashapp:queue")).content.decode()
    assert f'id="dispute-{proposal.pk}"' in page and 'value="damaged"' in page
    response = client.post(reverse("cashapp:accept", args=[proposal.pk]), {"key": "k9", "dispute_reason": "damaged"})
    assert response.status_code == 302
    deduction = Deduction.objects.get()
    assert (deduction.item, deduction.status, deduction.case.disputed_amount) == (
        invoice, DeductionStatus.DISPUTED, Decimal("50.00"))


def test_withdrawn_is_not_a_resolution_a_resolver_can_choose():
    from incasso.disputes.errors import DisputeError
    from incasso.disputes.forms import ResolveForm

    customer = acme(our_entity())
    invoice, _second = acme_invoices(customer)
    case = open_dispute(customer.pk, [(invoice.pk, "10.00")], "pricing", by=SYSTEM)
    assign_case(case.pk, by=SYSTEM)
    start_investigation(case.pk, by=SYSTEM)
    with pytest.raises(DisputeError):
        resolve_case(case.pk, Resolution.WITHDRAWN, by=SYSTEM, root_cause_code=_a_root_cause())
    assert Resolution.WITHDRAWN not in dict(ResolveForm.base_fields["resolution"].choices)
