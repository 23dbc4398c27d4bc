"""Dispute case stories: open, route, investigate, resolve, settle, confirm, reopen, write off."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.audit.models import AuditEvent
from incasso.disputes.actions import (
    add_note,
    assign_case,
    clear_settlement,
    close_case,
    decide_write_off,
    match_imported_credit_notes,
    open_dispute,
    propose_write_off,
    reopen_case,
    resolve_case,
    start_investigation,
    wait_for_customer,
)
from incasso.disputes.choices import CaseStatus, Resolution, SettlementKind, SettlementStatus
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.queries import disputed_amounts, open_case_counts
from incasso.disputes.tests.stories import a_cast
from incasso.ledger.choices import ItemKind
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 16)


@pytest.fixture
def cast():  # type: ignore[no-untyped-def]
    return a_cast()


def test_opening_a_partial_dispute_blocks_only_the_disputed_part(cast):  # type: ignore[no-untyped-def]
    # Given Acme disputes 300.00 of the 1,000.00 invoice on the price
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        description="Price list 2026 not applied", opened_on=MONDAY)

    # Then the case is new, routed to sales, owned by Anna, due in 10 French business days
    assert case.status == CaseStatus.NEW
    assert case.department.code == "sales"
    assert case.owner == cast.anna
    assert case.original_amount == case.disputed_amount == Decimal("300.00")
    assert case.deadline == date(2026, 3, 30)
    # And dunning must leave 300.00 of the invoice alone; the other 700.00 stays collectable
    assert disputed_amounts(item_ids=[cast.invoice.pk, cast.second.pk]) == {cast.invoice.pk: Decimal("300.00")}
    assert open_case_counts([cast.acme.pk]) == {cast.acme.pk: 1}
    opened = AuditEvent.objects.get(kind="dispute.opened")
    assert opened.customer_id == cast.acme.pk and opened.after["items"] == {"INV-1": "300.00"}


def test_a_deadline_skips_weekends_and_public_holidays():  # type: ignore[no-untyped-def]
    cast = a_cast()
    # Opened on Thursday 30 April 2026: 1 May (Friday) is a French holiday, so 5 business days
    # are 4, 5, 6, 7 May and - 8 May being Victory Day - Monday 11 May.
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "50.00")], "duplicate_billing",
                        by=cast.as_(cast.anna), opened_on=date(2026, 4, 30))
    assert case.deadline == date(2026, 5, 11)


def test_the_disputed_amount_cannot_exceed_what_is_not_already_disputed(cast):  # type: ignore[no-untyped-def]
    open_dispute(cast.acme.pk, [(cast.invoice.pk, "800.00")], "pricing", by=cast.as_(cast.anna), opened_on=MONDAY)

    with pytest.raises(DisputeError) as error:
        open_dispute(cast.acme.pk, [(cast.invoice.pk, "200.01")], "quantity", by=cast.as_(cast.anna),
                     opened_on=MONDAY)

    assert error.value.code == DisputeErrorCode.EXCEEDS_UNDISPUTED
    assert "200.00" in error.value.message


@pytest.mark.parametrize(("line", "code"), [
    (lambda c: (an_item(c.acme, "PAY-9", kind=ItemKind.PAYMENT, amount="10.00").pk, "5.00"),
     DisputeErrorCode.CREDIT_ITEM),
    (lambda c: (an_item(None, "INV-X", amount="10.00").pk, "5.00"), DisputeErrorCode.WRONG_CUSTOMER),
    (lambda c: (c.invoice.pk, "0.00"), DisputeErrorCode.AMOUNT_NOT_POSITIVE),
])
def test_lines_that_cannot_be_disputed_are_refused(cast, line, code):  # type: ignore[no-untyped-def]
    with pytest.raises(DisputeError) as error:
        open_dispute(cast.acme.pk, [line(cast)], "pricing", by=cast.as_(cast.anna), opened_on=MONDAY)
    assert error.value.code == code


def test_a_controller_and_a_stranger_collector_cannot_open_a_dispute(cast):  # type: ignore[no-untyped-def]
    for user in (cast.clara, cast.bogdan):
        with pytest.raises(DisputeError) as error:
            open_dispute(cast.acme.pk, [(cast.invoice.pk, "10.00")], "pricing", by=cast.as_(user), opened_on=MONDAY)
        assert error.value.code == DisputeErrorCode.NOT_ALLOWED


def test_accepted_dispute_requests_a_credit_note_that_clears_the_invoice(cast):  # type: ignore[no-untyped-def]
    # Given a pricing dispute routed to Rita in sales, who investigates
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    start_investigation(case.pk, by=cast.as_(cast.rita))
    add_note(case.pk, "Price list 2026 was loaded late in SAP", by=cast.as_(cast.rita))

    # When she accepts it with root cause "pricing master data"
    case = resolve_case(case.pk, Resolution.ACCEPTED, by=cast.as_(cast.rita), root_cause_code="pricing_master_data",
                        on_date=date(2026, 3, 20))

    # Then a credit note of 300.00 is requested and the 300.00 stays blocked until it arrives
    settlement = case.settlements.get()
    assert (settlement.kind, settlement.amount, settlement.status) == (
        SettlementKind.CREDIT_NOTE, Decimal("300.00"), SettlementStatus.REQUESTED)
    assert case.cycle_days == 4
    assert disputed_amounts(item_ids=[cast.invoice.pk]) == {cast.invoice.pk: Decimal("300.00")}

    # When billing posts the credit note quoting the request number and the ERP import brings it in
    credit_note = an_item(cast.acme, "CN-77", kind=ItemKind.CREDIT_NOTE, amount="300.00",
                          reference=settlement.number)
    assert match_imported_credit_notes(by=cast.as_(cast.rita), on_date=date(2026, 3, 23)) == 1

    # Then it is allocated to the invoice, which owes 700.00 with nothing disputed any more
    cast.invoice.refresh_from_db()
    credit_note.refresh_from_db()
    assert cast.invoice.open_amount == Decimal("700.00") and credit_note.open_amount == 0
    assert disputed_amounts(item_ids=[cast.invoice.pk]) == {}
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.CLEARED and settlement.credit_item == credit_note

    # And Anna confirms it with the customer
    case = close_case(case.pk, by=cast.as_(cast.anna), on_date=date(2026, 3, 23))
    assert case.status == CaseStatus.CLOSED
    kinds = list(AuditEvent.objects.filter(subject_type="dispute", subject_id=str(case.pk))
                 .order_by("id").values_list("kind", flat=True))
    assert kinds == ["dispute.opened", "dispute.assigned", "dispute.status", "dispute.note", "dispute.resolved",
                     "dispute.settled", "dispute.closed"]


def test_rejected_dispute_releases_the_block_and_tells_the_collector(cast, mailoutbox):  # type: ignore[no-untyped-def]
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00"), (cast.second.pk, "400.00")], "not_delivered",
                        by=cast.as_(cast.anna), opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.theo), department_code="sales")
    start_investigation(case.pk, by=cast.as_(cast.rita))
    wait_for_customer(case.pk, by=cast.as_(cast.rita), note="asked for the signed delivery note")
    start_investigation(case.pk, by=cast.as_(cast.rita), note="POD found: signed by their warehouse")

    with pytest.MonkeyPatch.context():
        from django.test.utils import CaptureQueriesContext  # noqa: F401 - keep the transaction explicit
        case = resolve_case(case.pk, Resolution.REJECTED, by=cast.as_(cast.rita), root_cause_code="customer_process",
                            on_date=date(2026, 3, 25))

    assert case.resolution == Resolution.REJECTED and case.accepted_amount == 0
    assert disputed_amounts(customer_ids=[cast.acme.pk]) == {}
    assert not case.settlements.exists()
    assert case.resolver == cast.rita  # she took it up when she started investigating


def test_partial_acceptance_credits_part_and_releases_the_rest(cast):  # type: ignore[no-untyped-def]
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00"), (cast.second.pk, "100.00")], "quantity",
                        by=cast.as_(cast.anna), opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), department_code="billing", resolver=cast.ben)

    case = resolve_case(case.pk, Resolution.PARTIALLY_ACCEPTED, by=cast.as_(cast.ben), accepted_amount="350.00",
                        root_cause_code="shipping", on_date=date(2026, 3, 18))

    # 300.00 accepted on INV-1 (its full disputed part), 50.00 on INV-2; 50.00 of INV-2 released
    assert case.accepted_amount == Decimal("350.00")
    assert disputed_amounts(item_ids=[cast.invoice.pk, cast.second.pk]) == {
        cast.invoice.pk: Decimal("300.00"), cast.second.pk: Decimal("50.00")}
    assert case.settlements.get().amount == Decimal("350.00")


def test_a_partial_acceptance_needs_an_amount_below_the_disputed_one(cast):  # type: ignore[no-untyped-def]
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    for amount in (None, "300.00", "0"):
        with pytest.raises(DisputeError) as error:
            resolve_case(case.pk, Resolution.PARTIALLY_ACCEPTED, by=cast.as_(cast.rita), accepted_amount=amount,
                         root_cause_code="pricing_master_data", on_date=MONDAY)
        assert error.value.code == DisputeErrorCode.MISSING_RESOLUTION_DATA


def test_only_the_departments_resolvers_resolve_and_a_controller_changes_nothing(cast):  # type: ignore[no-untyped-def]
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna))
    for outsider in (cast.ben, cast.anna, cast.clara):  # billing resolver, the collector, the controller
        with pytest.raises(DisputeError) as error:
            resolve_case(case.pk, Resolution.REJECTED, by=cast.as_(outsider), root_cause_code="no_error",
                         on_date=MONDAY)
        assert error.value.code == DisputeErrorCode.NOT_ALLOWED
    with pytest.raises(DisputeError):
        add_note(case.pk, "looks fine to me", by=cast.as_(cast.clara))
    # The resolver cannot confirm with the customer: that is the collector's step
    resolve_case(case.pk, Resolution.REJECTED, by=cast.as_(cast.rita), root_cause_code="no_error", on_date=MONDAY)
    with pytest.raises(DisputeError) as error:
        close_case(case.pk, by=cast.as_(cast.rita))
    assert error.value.code == DisputeErrorCode.NOT_ALLOWED


def test_the_workflow_refuses_steps_out_of_order(cast):  # type: ignore[no-untyped-def]
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    with pytest.raises(DisputeError) as error:
        resolve_case(case.pk, Resolution.REJECTED, by=cast.as_(cast.theo), root_cause_code="no_error")
    assert error.value.code == DisputeErrorCode.INVALID_TRANSITION
    with pytest.raises(DisputeError) as error:
        close_case(case.pk, by=cast.as_(cast.anna))
    assert error.value.code == DisputeErrorCode.INVALID_TRANSITION


def test_reopening_needs_a_reason_and_blocks_again(cast):  # type: ignore[no-untyped-def]
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    resolve_case(case.pk, Resolution.ACCEPTED, by=cast.as_(cast.rita), root_cause_code="pricing_master_data",
                 on_date=MONDAY)
    with pytest.raises(DisputeError) as error:
        reopen_case(case.pk, by=cast.as_(cast.anna), reason="  ")
    assert error.value.code == DisputeErrorCode.REASON_REQUIRED

    case = reopen_case(case.pk, by=cast.as_(cast.anna), reason="customer disputes the credit amount",
                       on_date=date(2026, 3, 19))

    assert case.status == CaseStatus.ASSIGNED and case.resolution == "" and case.reopen_count == 1
    assert case.settlements.get().status == SettlementStatus.CANCELLED
    assert case.deadline == date(2026, 4, 2)
    assert disputed_amounts(item_ids=[cast.invoice.pk]) == {cast.invoice.pk: Decimal("300.00")}


def test_a_small_residual_is_written_off_with_someone_elses_approval(cast, settings):  # type: ignore[no-untyped-def]
    settings.INCASSO_DISPUTE_WRITE_OFF_LIMIT = "25.00"
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "18.40")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    proposal = propose_write_off(case.pk, by=cast.as_(cast.rita), on_date=MONDAY)

    with pytest.raises(DisputeError) as error:
        decide_write_off(proposal.pk, approve=True, by=cast.as_(cast.anna))
    assert error.value.code == DisputeErrorCode.NOT_ALLOWED

    decide_write_off(proposal.pk, approve=True, by=cast.as_(cast.risk), on_date=date(2026, 3, 17))

    case.refresh_from_db()
    assert (case.status, case.resolution) == (CaseStatus.RESOLVED, Resolution.WRITTEN_OFF)
    settlement = case.settlements.get()
    assert (settlement.kind, settlement.amount) == (SettlementKind.WRITE_OFF, Decimal("18.40"))


def test_a_write_off_above_the_limit_is_refused(cast, settings):  # type: ignore[no-untyped-def]
    settings.INCASSO_DISPUTE_WRITE_OFF_LIMIT = "25.00"
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "25.01")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    with pytest.raises(DisputeError) as error:
        propose_write_off(case.pk, by=cast.as_(cast.rita))
    assert error.value.code == DisputeErrorCode.ABOVE_WRITE_OFF_THRESHOLD


def test_a_credit_note_for_less_than_requested_is_not_cleared(cast):  # type: ignore[no-untyped-def]
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    resolve_case(case.pk, Resolution.ACCEPTED, by=cast.as_(cast.rita), root_cause_code="pricing_master_data",
                 on_date=MONDAY)
    settlement = case.settlements.get()
    short = an_item(cast.acme, "CN-1", kind=ItemKind.CREDIT_NOTE, amount="250.00", reference=settlement.number)

    assert match_imported_credit_notes(by=cast.as_(cast.rita)) == 0
    with pytest.raises(DisputeError) as error:
        clear_settlement(settlement.pk, short.pk, by=cast.as_(cast.rita))
    assert error.value.code == DisputeErrorCode.CREDIT_NOTE_MISMATCH


def test_a_payment_on_the_item_lowers_what_is_blocked(cast):  # type: ignore[no-untyped-def]
    from incasso.audit.events import SYSTEM
    from incasso.ledger.actions.allocations import allocate

    open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna), opened_on=MONDAY)
    payment = an_item(cast.acme, "PAY-1", kind=ItemKind.PAYMENT, amount="800.00")
    allocate(cast.invoice.pk, payment.pk, Decimal("800.00"), MONDAY, by=SYSTEM)

    assert disputed_amounts(item_ids=[cast.invoice.pk]) == {cast.invoice.pk: Decimal("200.00")}
