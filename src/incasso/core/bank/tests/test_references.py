"""Structured payment references: the payer's pointer to the invoice, checked by check digits."""

from __future__ import annotations

import pytest

from incasso.core.bank.model import ReferenceKind
from incasso.core.bank.references import (
    classify,
    find_references,
    is_valid_belgian,
    is_valid_qr_reference,
    is_valid_rf,
    qr_check_digit,
    remittance,
    rf_check_digits,
)


def test_iso_11649_creditor_reference_is_checked_mod_97() -> None:
    # the standard's own example
    assert is_valid_rf("RF18 5390 0754 7034")
    assert is_valid_rf("RF18539007547034")
    assert not is_valid_rf("RF19539007547034")
    assert rf_check_digits("539007547034") == "18"


def test_belgian_structured_communication_is_checked_mod_97() -> None:
    # 0909337554 mod 97 = 93
    assert is_valid_belgian("+++090/9337/55493+++")
    assert is_valid_belgian("090933755493")
    assert not is_valid_belgian("090933755494")
    # a remainder of 0 is written 97
    assert is_valid_belgian("000000009797")


def test_swiss_qr_reference_is_checked_mod_10_recursive() -> None:
    # the SIX sample's ISR reference (dvbern camt.054 ZA1 ESR)
    assert is_valid_qr_reference("210000000003139471430009017")
    assert not is_valid_qr_reference("210000000003139471430009018")
    assert qr_check_digit("21000000000313947143000901") == 7


@pytest.mark.parametrize(
    ("written", "normalised", "kind", "valid"),
    [
        ("rf18 5390 0754 7034", "RF18539007547034", ReferenceKind.RF, True),
        ("+++090/9337/55493+++", "090933755493", ReferenceKind.BE, True),
        ("+++000/0035/05158+++", "000003505158", ReferenceKind.BE, False),
        ("210000000003139471430009017", "210000000003139471430009017", ReferenceKind.QRR, True),
        ("INV-2024-001", "INV-2024-001", ReferenceKind.OTHER, None),
    ],
)
def test_a_structured_reference_is_named_and_checked(written, normalised, kind, valid) -> None:  # type: ignore[no-untyped-def]
    assert classify(written) == (normalised, kind, valid)


def test_references_are_found_in_free_text_only_when_their_check_digits_hold() -> None:
    text = "Payment inv 4711 ref RF18 5390 0754 7034 and +++090/9337/55493+++ not RF19539007547034"

    found = find_references(text)

    assert ("RF18539007547034", ReferenceKind.RF, True) in found
    assert ("090933755493", ReferenceKind.BE, True) in found
    assert all(ref != "RF19539007547034" for ref, _, _ in found)


def test_remittance_prefers_the_structured_field_and_keeps_the_text() -> None:
    info = remittance("RF18539007547034", "  invoice   4711  ")

    assert info.structured_reference == "RF18539007547034"
    assert info.reference_kind is ReferenceKind.RF
    assert info.reference_valid is True
    assert info.unstructured == "invoice 4711"
