"""Cash application stories: a matching run, accepting, rejecting, unapplying, splitting by hand,
short payments, small differences, unidentified cash, and two tabs applying one line."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.cashapp.actions import (
    allocate_manually,
    apply_match,
    import_statement_bytes,
    reject_match,
    run_matching,
    unapply,
)
from incasso.cashapp.actions.applying import apply_proposal
from incasso.cashapp.choices import Application, DeductionStatus, LineState, ProposalStatus, ResidualKind
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import BankLine, Deduction, MatchProposal, WriteOff
from incasso.cashapp.tests.samples import ACME_IBAN, acme, acme_invoices, camt053, camt053_entry, our_entity
from incasso.ledger.actions.cash import SUSPENSE_ACCOUNT
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Allocation, Item

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 3)


def _import(*entries: str) -> list[BankLine]:
    report = import_statement_bytes(camt053(*entries, opening="0", closing="0"), "statement.xml", by=SYSTEM)
    return list(BankLine.objects.filter(statement_id=report.statements[0].statement_pk).order_by("sequence"))


def _open(item: Item) -> Decimal:
    item.refresh_from_db()
    return item.open_amount


def _queued(line: BankLine, customer, allocations, *, residual="0", kind=ResidualKind.NONE,  # type: ignore[no-untyped-def]
            confidence="0.80") -> MatchProposal:
    """A proposal as the matching engine would queue it (hand-made, so the story controls the residual)."""
    line.state, line.customer = LineState.PROPOSED, customer
    line.save()
    return MatchProposal.objects.create(
        line=line, customer=customer, confidence=Decimal(confidence), reason="hand-made for the story",
        stage="test", residual=Decimal(residual), residual_kind=kind, as_of=AS_OF,
        allocations=[{"item_id": item.pk, "amount": amount, "discount": discount}
                     for item, amount, discount in allocations],
    )


def test_matching_run_applies_an_exact_rf_reference_and_queues_a_name_only_payment():
    # given Acme with two open invoices, and a statement: Acme's bank pays FA20260001 with its RF
    # reference, and someone called "Acme Batiment" pays 830.40 from an unknown account, no reference
    entity = our_entity()
    customer = acme(entity)
    first, second = acme_invoices(customer)
    exact, fuzzy = _import(
        camt053_entry("1200.00", ref="A1", name="ACME BATIMENT SARL", iban=ACME_IBAN, rf="RF26FA20260001"),
        camt053_entry("830.40", ref="A2", name="Acme Batiment"),
    )
    # when the matching run goes
    report = run_matching(AS_OF, by=SYSTEM)
    # then the exact line is applied automatically and the invoice is paid
    exact.refresh_from_db()
    assert (exact.state, exact.application, exact.customer) == (LineState.APPLIED, Application.AUTO, customer)
    assert exact.payment_item.kind == ItemKind.PAYMENT and exact.payment_item.customer == customer
    assert _open(first) == 0 and _open(exact.payment_item) == 0
    auto = MatchProposal.objects.get(line=exact)
    assert auto.status == ProposalStatus.AUTO and auto.confidence >= Decimal("0.95")
    assert "RF" in auto.reason and auto.stage == "structured_reference"
    # and the name-only payment waits in the queue, with its reason, the invoice still open
    fuzzy.refresh_from_db()
    queued = MatchProposal.objects.get(line=fuzzy)
    assert (fuzzy.state, queued.status) == (LineState.PROPOSED, ProposalStatus.PROPOSED)
    assert queued.confidence < Decimal("0.95") and queued.reason
    assert fuzzy.payment_item is None and _open(second) == Decimal("830.40")
    assert (report.lines, report.auto_applied, report.queued) == (2, 1, 1)
    assert AuditEvent.objects.filter(kind="cash.matching_run").count() == 1
    # and a second run changes nothing
    again = run_matching(AS_OF, by=SYSTEM)
    assert again.lines == 0 and MatchProposal.objects.count() == 2


def test_accepting_a_queued_proposal_applies_it_once_and_a_second_click_changes_nothing():
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1200.00", ref="A1", name="Acme"))
    proposal = _queued(line, customer, [(invoice, "1200.00", "0")])
    # when the specialist clicks Accept twice with the same form key
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="form-1")
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="form-1")
    # then the invoice is paid once, the line applied by a person
    line.refresh_from_db()
    assert (line.state, line.application) == (LineState.APPLIED, Application.ACCEPTED)
    assert _open(invoice) == 0
    assert Allocation.objects.filter(debit_item=invoice, reversed_on__isnull=True).count() == 1
    # and another tab's Accept (another key) is refused, saying it was decided
    with pytest.raises(CashError) as error:
        apply_match(proposal.pk, by=SYSTEM, idempotency_key="form-2")
    assert error.value.code == CashErrorCode.ALREADY_DECIDED


def test_rejecting_needs_a_reason_and_puts_the_line_back_for_manual_work_without_reproposing_it():
    entity = our_entity()
    customer = acme(entity)
    acme_invoices(customer)
    [line] = _import(camt053_entry("830.40", ref="A2", name="Acme Batiment"))
    run_matching(AS_OF, by=SYSTEM)
    proposal = MatchProposal.objects.get(line=line)
    with pytest.raises(CashError) as error:
        reject_match(proposal.pk, by=SYSTEM, reason=" ")
    assert error.value.code == CashErrorCode.REASON_REQUIRED
    reject_match(proposal.pk, by=SYSTEM, reason="paid by the sister company, not Acme")
    line.refresh_from_db()
    proposal.refresh_from_db()
    assert (line.state, proposal.status) == (LineState.UNMATCHED, ProposalStatus.REJECTED)
    assert AuditEvent.objects.filter(kind="cash.match_rejected", subject_id=str(line.pk)).exists()
    # the next run does not propose the same thing again
    report = run_matching(AS_OF, by=SYSTEM)
    assert report.unchanged == 1 and MatchProposal.objects.filter(line=line).count() == 1


def test_unapply_restores_both_sides_and_the_payment_stays_as_unapplied_cash():
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1200.00", ref="A1", iban=ACME_IBAN, rf="RF26FA20260001"))
    run_matching(AS_OF, by=SYSTEM)
    line.refresh_from_db()
    payment = line.payment_item
    assert line.state == LineState.APPLIED
    unapply(line.pk, by=SYSTEM, reason="customer says this paid another entity", on_date=date(2026, 3, 4))
    line.refresh_from_db()
    assert line.state == LineState.UNMATCHED
    assert (_open(invoice), _open(payment)) == (Decimal("1200.00"), Decimal("1200.00"))
    allocation = Allocation.objects.get(debit_item=invoice)
    assert allocation.reversed_on == date(2026, 3, 4) and "another entity" in allocation.reversal_reason
    assert MatchProposal.objects.get(line=line).status == ProposalStatus.REJECTED
    with pytest.raises(CashError) as error:
        unapply(line.pk, by=SYSTEM, reason="again")
    assert error.value.code == CashErrorCode.NOTHING_APPLIED


def test_manual_allocation_splits_a_line_across_items_and_keeps_the_rest_as_unapplied_cash():
    entity = our_entity()
    customer = acme(entity)
    first, second = acme_invoices(customer)
    [line] = _import(camt053_entry("2500.00", ref="A9", name="Acme"))
    with pytest.raises(CashError) as error:
        allocate_manually(line.pk, [(first.pk, Decimal("1200.00")), (second.pk, Decimal("1400.00"))],
                          by=SYSTEM, idempotency_key="m-0")
    assert error.value.code in (CashErrorCode.EXCEEDS_LINE, "exceeds_open_amount")
    allocate_manually(line.pk, [(first.pk, Decimal("1200.00")), (second.pk, Decimal("830.40"))],
                      by=SYSTEM, idempotency_key="m-1")
    allocate_manually(line.pk, [(first.pk, Decimal("1200.00")), (second.pk, Decimal("830.40"))],
                      by=SYSTEM, idempotency_key="m-1")  # the same form posted twice
    line.refresh_from_db()
    assert (line.state, line.application) == (LineState.PARTIALLY_APPLIED, Application.MANUAL)
    assert (_open(first), _open(second), _open(line.payment_item)) == (0, 0, Decimal("469.60"))
    # the rest can never be allocated beyond the line's amount
    third = Item.objects.create(entity=entity, customer=customer, kind=ItemKind.INVOICE, number="FA20260003",
                                document_date=AS_OF, due_date=AS_OF, currency="EUR", amount=Decimal("900"),
                                open_amount=Decimal("900"))
    with pytest.raises(CashError) as error:
        allocate_manually(line.pk, [(third.pk, Decimal("500.00"))], by=SYSTEM, idempotency_key="m-2")
    assert error.value.code == CashErrorCode.EXCEEDS_LINE


def test_a_short_payment_leaves_the_invoice_open_and_records_a_deduction():
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1150.00", ref="A1", name="Acme", text="FA20260001 moins 50 palettes abimees"))
    proposal = _queued(line, customer, [(invoice, "1150.00", "0")], residual="50.00",
                       kind=ResidualKind.SHORT_PAYMENT)
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k")
    assert _open(invoice) == Decimal("50.00")
    deduction = Deduction.objects.get()
    assert (deduction.item, deduction.amount, deduction.status) == (invoice, Decimal("50.00"), DeductionStatus.OPEN)
    line.refresh_from_db()
    assert line.state == LineState.APPLIED  # all the cash is applied; the invoice carries the deduction
    unapply(line.pk, by=SYSTEM, reason="wrong invoice", on_date=date(2026, 3, 5))
    deduction.refresh_from_db()
    assert deduction.status == DeductionStatus.CANCELLED and _open(invoice) == Decimal("1200.00")


def test_a_difference_within_tolerance_is_written_off_through_the_ledger_and_unapply_cancels_it():
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1199.40", ref="A1", name="Acme"))  # 0.60 of bank charges
    proposal = _queued(line, customer, [(invoice, "1199.40", "0")], residual="0.60",
                       kind=ResidualKind.WITHIN_TOLERANCE, confidence="0.97")
    with django_atomic():
        apply_proposal(proposal, BankLine.objects.get(pk=line.pk), by=SYSTEM, status=ProposalStatus.AUTO,
                       idempotency_key=None, on_date=AS_OF)
    write_off = WriteOff.objects.get()
    assert (write_off.amount, write_off.item.kind) == (Decimal("0.60"), ItemKind.CREDIT_NOTE)
    assert _open(invoice) == 0 and _open(write_off.item) == 0
    assert AuditEvent.objects.filter(kind="cash.written_off").count() == 1
    unapply(line.pk, by=SYSTEM, reason="wrong customer", on_date=date(2026, 3, 5))
    write_off.refresh_from_db()
    assert write_off.cancelled and _open(invoice) == Decimal("1200.00") and _open(write_off.item) == 0
    assert Item.objects.filter(customer=customer, kind=ItemKind.ADJUSTMENT, open_amount__gt=0).count() == 0


def test_an_overpayment_within_tolerance_is_written_off_against_the_payment():
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1200.50", ref="A1", name="Acme"))
    proposal = _queued(line, customer, [(invoice, "1200.00", "0")], residual="0.50",
                       kind=ResidualKind.WITHIN_TOLERANCE)
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k")
    line.refresh_from_db()
    assert line.state == LineState.APPLIED and _open(line.payment_item) == 0
    assert WriteOff.objects.get().item.kind == ItemKind.ADJUSTMENT


def test_an_overpayment_stays_on_the_account_as_unapplied_cash():
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1500.00", ref="A1", name="Acme"))
    proposal = _queued(line, customer, [(invoice, "1200.00", "0")], residual="300.00",
                       kind=ResidualKind.OVERPAYMENT)
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k")
    line.refresh_from_db()
    assert line.state == LineState.PARTIALLY_APPLIED and _open(line.payment_item) == Decimal("300.00")


def test_unidentified_cash_waits_on_the_suspense_account_and_moves_when_identified():
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("777.77", ref="U1", name="XYZ HOLDING LTD"))
    report = run_matching(AS_OF, by=SYSTEM)
    line.refresh_from_db()
    assert report.unidentified == 1 and line.state == LineState.UNMATCHED
    suspense_payment = line.payment_item
    assert suspense_payment.customer.account == SUSPENSE_ACCOUNT and suspense_payment.open_amount == Decimal("777.77")
    # a second run does not park it twice
    run_matching(AS_OF, by=SYSTEM)
    assert Item.objects.filter(kind=ItemKind.PAYMENT, amount=Decimal("777.77")).count() == 1
    # when identified as Acme's, it moves off suspense and pays part of the invoice
    allocate_manually(line.pk, [(invoice.pk, Decimal("777.77"))], by=SYSTEM, idempotency_key="id-1")
    line.refresh_from_db()
    assert line.payment_item.customer == customer and _open(suspense_payment) == 0
    assert _open(invoice) == Decimal("422.23")


def test_a_debit_line_is_not_applied():
    our_entity()
    [line] = _import(camt053_entry("35.00", ref="F1", sign="DBIT"))
    with pytest.raises(CashError) as error:
        allocate_manually(line.pk, [(1, Decimal("1"))], by=SYSTEM, idempotency_key="d")
    assert error.value.code in (CashErrorCode.NOT_A_CREDIT, CashErrorCode.NOT_FOUND)


def django_atomic():  # type: ignore[no-untyped-def]
    from django.db import transaction

    return transaction.atomic()


def _at_once(*calls) -> list[str]:  # type: ignore[no-untyped-def]
    """Run the calls in threads released together; each outcome is "ok" or the error code."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except CashError as error:
            outcomes.append(str(error.code))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_four_tabs_accepting_one_proposal_apply_it_once_on_postgres(on_postgres):
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1200.00", ref="A1", name="Acme"))
    proposal = _queued(line, customer, [(invoice, "1200.00", "0")])
    outcomes = _at_once(*(lambda key=f"tab-{n}": apply_match(proposal.pk, by=SYSTEM, idempotency_key=key)
                          for n in range(4)))
    assert sorted(outcomes) == ["already_decided"] * 3 + ["ok"]
    assert Allocation.objects.filter(debit_item=invoice, reversed_on__isnull=True).count() == 1
    assert _open(invoice) == 0


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_accept_applies_once_on_postgres(on_postgres):
    entity = our_entity()
    customer = acme(entity)
    invoice, _ = acme_invoices(customer)
    [line] = _import(camt053_entry("1200.00", ref="A1", name="Acme"))
    proposal = _queued(line, customer, [(invoice, "1200.00", "0")])
    outcomes = _at_once(*(lambda: apply_match(proposal.pk, by=SYSTEM, idempotency_key="same-form")
                          for _ in range(3)))
    assert outcomes == ["ok"] * 3
    assert Allocation.objects.filter(debit_item=invoice, reversed_on__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_manual_splits_never_allocate_a_line_beyond_its_amount_on_postgres(on_postgres):
    # given a 1,200.00 line and four people each allocating 830.40 of it to a different invoice
    entity = our_entity()
    customer = acme(entity)
    invoices = [Item.objects.create(entity=entity, customer=customer, kind=ItemKind.INVOICE, number=f"FA-{n}",
                                    document_date=AS_OF, due_date=AS_OF, currency="EUR",
                                    amount=Decimal("830.40"), open_amount=Decimal("830.40")) for n in range(4)]
    [line] = _import(camt053_entry("1200.00", ref="A1", name="Acme"))
    outcomes = _at_once(*(lambda item=item: allocate_manually(line.pk, [(item.pk, Decimal("830.40"))], by=SYSTEM,
                                                             idempotency_key=f"split-{item.pk}")
                          for item in invoices))
    # then exactly one fits; the others are refused and the line keeps 369.60 unapplied
    assert sorted(outcomes) == ["exceeds_line"] * 3 + ["ok"]
    line.refresh_from_db()
    assert _open(line.payment_item) == Decimal("369.60")
    assert Item.objects.filter(kind=ItemKind.PAYMENT).count() == 1
