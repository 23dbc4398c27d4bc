"""Cash application matching, stage by stage, on small hand-made ledgers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.core.bank.references import rf_check_digits
from incasso.core.matching import (
    BankLineRef,
    CustomerRef,
    MatchingIndex,
    MatchSettings,
    OpenItemRef,
    ProposedAllocation,
    match_line,
)
from incasso.core.matching.combinations import find_combination

AS_OF = date(2026, 11, 20)
SETTINGS = MatchSettings()
D = Decimal

DURAND = CustomerRef(1, "FR01", None, "100001", "Transports Durand SARL", ("FR7630004008280000000000123",), "EUR")
MOREAU = CustomerRef(2, "FR01", None, "100002", "Matériaux Moreau Lyon SAS", ("FR7630003012340000000000456",), "EUR")
NORDWIND_FR = CustomerRef(3, "FR01", "G-NORDWIND", "100003", "Nordwind France SAS", ("FR7610278060760000000000789",),
                          "EUR")
NORDWIND_DE = CustomerRef(4, "DE01", "G-NORDWIND", "100004", "Nordwind Deutschland GmbH", ("DE89370400440532013000",),
                          "EUR")


def item(item_id: int, customer: CustomerRef, number: str, amount: str, document: date = date(2026, 10, 1),
         due: date = date(2026, 10, 31), reference: str = "") -> OpenItemRef:
    return OpenItemRef(item_id, customer.customer_id, customer.entity_id, customer.group_id, "invoice", number,
                       reference, "EUR", D(amount), document, due, 30)


ITEMS = [
    item(11, DURAND, "FA00000123", "1200.00", date(2026, 9, 1), date(2026, 10, 1)),
    item(12, DURAND, "FA00000124", "350.50", date(2026, 9, 15), date(2026, 10, 15)),
    item(13, DURAND, "FA00000125", "99.90", date(2026, 11, 15), date(2026, 12, 15), reference="BC-445566"),
    item(14, DURAND, "FA00047110", "640.00"),
    item(21, MOREAU, "FA00000200", "780.00"),
    item(22, MOREAU, "FA00000201", "780.00", date(2026, 10, 2), date(2026, 11, 1)),
    item(31, NORDWIND_FR, "FA00000300", "5000.00"),
    item(41, NORDWIND_DE, "RE00000077", "2500.00"),
]
INDEX = MatchingIndex.build([DURAND, MOREAU, NORDWIND_FR, NORDWIND_DE], ITEMS)


def line(amount: str, text: str = "", *, iban: str = "", name: str = "", structured: str = "",
         documents: tuple = (), entity: str = "FR01", value_date: date = AS_OF) -> BankLineRef:
    return BankLineRef("L1", entity, D(amount), "EUR", value_date, value_date, name, iban, structured, text, documents)


def test_rf_reference_and_equal_amount_is_applied_with_the_highest_confidence():
    rf = f"RF{rf_check_digits('FA00000123')}FA00000123"
    proposal = match_line(line("1200.00", structured=rf, iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert proposal.allocations == (ProposedAllocation(11, D("1200.00")),)
    assert proposal.confidence == D("0.99") and proposal.is_auto(SETTINGS)
    assert proposal.stage == "structured_reference" and proposal.residual_kind == "none"
    assert f"RF reference {rf[:4]} FA00 0001 23 matched FA00000123 exactly; amount equal" in proposal.reason


def test_invoice_number_in_text_identifies_the_customer_even_from_an_unknown_account():
    proposal = match_line(line("350.50", "Paiement facture FA00000124", iban="FR7699999000000000000000000",
                               name="Someone Else SA"), INDEX, SETTINGS, AS_OF)
    assert proposal.customer_id == DURAND.customer_id
    assert proposal.allocations == (ProposedAllocation(12, D("350.50")),)
    assert proposal.is_auto(SETTINGS)
    assert "payer IBAN unknown" in proposal.reason


@pytest.mark.parametrize("text", ["Facture 124", "FA124", "fa-0124", "Rechnung Nr. 00124", "Factura n° 124"])
def test_missing_prefix_or_leading_zeros_are_read_within_the_payers_items(text):
    proposal = match_line(line("350.50", text, iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert [a.item_id for a in proposal.allocations] == [12]
    assert proposal.is_auto(SETTINGS)


@pytest.mark.parametrize("text", ["FA00041710", "FA0004710", "FA00047510", "47101"])
def test_mistyped_numbers_match_only_when_the_amount_confirms(text):
    confirmed = match_line(line("640.00", f"Paiement {text}", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert [a.item_id for a in confirmed.allocations] == [14]
    assert confirmed.stage == "fuzzy_number" and "mistyped" in confirmed.reason
    unconfirmed = match_line(line("111.11", f"Paiement {text}", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert not unconfirmed.is_auto(SETTINGS)


def test_several_invoices_in_one_line_are_paid_together():
    proposal = match_line(line("1550.50", "Payment inv FA00000123 + FA00000124", iban=DURAND.ibans[0]),
                          INDEX, SETTINGS, AS_OF)
    assert {a.item_id for a in proposal.allocations} == {11, 12}
    assert "amount equals the 2 items" in proposal.reason and proposal.is_auto(SETTINGS)


def test_partial_payment_of_a_referenced_invoice_leaves_a_short_payment():
    proposal = match_line(line("500.00", "FA00000123", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert proposal.allocations == (ProposedAllocation(11, D("500.00")),)
    assert proposal.residual_kind == "short_payment" and proposal.residual == D("700.00")
    # the allocation is as certain as the reference; the open rest is for a person to chase
    assert proposal.is_auto(SETTINGS) and "short by 700.00 EUR" in proposal.reason


def test_overpayment_leaves_the_rest_on_account():
    proposal = match_line(line("1250.00", "FA00000123", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert proposal.allocations == (ProposedAllocation(11, D("1200.00")),)
    assert proposal.residual_kind == "overpayment" and proposal.residual == D("50.00")


def test_bank_charges_within_tolerance_are_written_off():
    proposal = match_line(line("1199.20", "FA00000123", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert proposal.allocations == (ProposedAllocation(11, D("1199.20")),)
    assert proposal.residual_kind == "within_tolerance" and proposal.residual == D("0.80")
    assert proposal.is_auto(SETTINGS)


def test_tolerance_is_the_lower_of_the_absolute_and_the_percent_limit():
    # 0.5 % of 99.90 is 0.50: a 0.80 difference on a small invoice is a short payment, not a write-off
    proposal = match_line(line("99.10", "FA00000125", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert proposal.residual_kind == "short_payment"


def test_cash_discount_is_accepted_within_its_days_only():
    within = match_line(line("97.90", "FA00000125", iban=DURAND.ibans[0], value_date=date(2026, 11, 24)),
                        INDEX, SETTINGS, AS_OF)
    assert within.allocations == (ProposedAllocation(13, D("97.90"), D("2.00")),)
    assert within.residual_kind == "none" and "cash discount" in within.reason
    late = match_line(line("97.90", "FA00000125", iban=DURAND.ibans[0], value_date=date(2026, 12, 1)),
                      INDEX, SETTINGS, AS_OF)
    assert late.residual_kind == "short_payment"


def test_customer_reference_purchase_order_names_the_item():
    proposal = match_line(line("99.90", "Order BC-445566", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert [a.item_id for a in proposal.allocations] == [13]


def test_amount_only_with_known_payer_is_proposed_but_not_auto_applied():
    proposal = match_line(line("350.50", "Virement", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert [a.item_id for a in proposal.allocations] == [12]
    assert proposal.stage == "amount_single" and proposal.confidence == D("0.85")


def test_two_items_of_the_same_amount_are_not_guessed():
    proposal = match_line(line("780.00", "", iban=MOREAU.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert proposal.allocations == ()
    assert proposal.customer_id == MOREAU.customer_id


def test_payer_found_by_name_despite_legal_form_accents_and_word_order():
    proposal = match_line(line("350.50", "facture 124", name="DURAND TRANSPORTS S.A.R.L."), INDEX, SETTINGS, AS_OF)
    assert proposal.customer_id == DURAND.customer_id
    assert [a.item_id for a in proposal.allocations] == [12]
    assert "payer name 'DURAND TRANSPORTS S.A.R.L.' matched" in proposal.reason
    assert proposal.confidence < D("0.96")  # identified by name only


def test_combination_of_open_items_without_reference():
    proposal = match_line(line("1299.90", "Sammelzahlung", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert {a.item_id for a in proposal.allocations} == {11, 13}
    assert proposal.stage == "amount_combination" and "2 open items" in proposal.reason


def test_oldest_items_in_a_row():
    proposal = match_line(line("1550.50", "", iban=DURAND.ibans[0]), INDEX, SETTINGS, AS_OF)
    assert proposal.stage == "amount_oldest" and {a.item_id for a in proposal.allocations} == {11, 12}


def test_one_payment_for_items_of_two_entities_of_one_group():
    proposal = match_line(line("7500.00", "FA00000300 RE00000077", iban=NORDWIND_FR.ibans[0]), INDEX, SETTINGS,
                          AS_OF)
    assert {a.item_id for a in proposal.allocations} == {31, 41}
    assert proposal.is_auto(SETTINGS)


def test_remittance_advice_documents_with_amounts():
    documents = (("FA00000123", D("1200.00"), None), ("FA00000124", D("300.50"), D("50.00")))
    proposal = match_line(line("1500.50", "", iban=DURAND.ibans[0], documents=documents), INDEX, SETTINGS, AS_OF)
    assert set(proposal.allocations) == {ProposedAllocation(11, D("1200.00")), ProposedAllocation(12, D("300.50"))}
    assert proposal.residual_kind == "short_payment" and proposal.residual == D("50.00")


def test_unknown_payer_without_reference_is_unidentified():
    proposal = match_line(line("42.00", "thank you", iban="GB29NWBK60161331926819", name="Nobody Ltd"), INDEX,
                          SETTINGS, AS_OF)
    assert proposal.customer_id is None and proposal.residual_kind == "unidentified"
    assert proposal.residual == D("42.00") and "payer not identified" in proposal.reason


def test_subset_sum_is_bounded_by_items_and_steps():
    amounts = [1000 + 7 * i for i in range(40)]
    # the only solution uses items beyond the first 20: not searched
    assert find_combination(amounts, amounts[30] + amounts[35], max_items=20, max_steps=10_000) is None
    # a tiny step budget gives up rather than running long
    spread = [104729 * (i + 1) % 999983 for i in range(20)]
    assert find_combination(spread, sum(spread[5:15]), max_items=20, max_steps=50) is None
    # two sets of two with the same total are reported as ambiguous
    assert find_combination([100, 250, 300, 50], 350, max_items=20, max_steps=1000).ambiguous
