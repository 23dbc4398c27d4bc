"""Importing bank statements: stored once, duplicates named, genuine twins kept, balances checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.cashapp.actions import import_statement_bytes, import_statement_file
from incasso.cashapp.choices import LineState
from incasso.cashapp.models import BankAccountStatement, BankFile, BankLine
from incasso.cashapp.tests.samples import MT940, OUR_IBAN, camt053, camt053_entry, our_entity
from incasso.core.bank import ParseError
from incasso.testing.corpus import corpus_dir

pytestmark = pytest.mark.django_db

MARCH_2 = camt053(
    camt053_entry("1200.00", ref="ACSV-0001", name="ACME BATIMENT SARL", rf="RF26FA20260001"),
    camt053_entry("830.40", ref="ACSV-0002", name="Acme Batiment", text="Facture FA2026-0002 merci"),
    camt053_entry("35.00", ref="ACSV-0003", sign="DBIT", text="Frais"),
    opening="1000.00", closing="2995.40",
)


def test_camt053_becomes_a_statement_with_its_lines_on_the_entity_of_the_bank_account():
    # given the entity whose bank account the statement is for
    entity = our_entity()
    # when the file is imported
    report = import_statement_bytes(MARCH_2, "2026-03-02.xml", by=SYSTEM)
    # then one statement with three lines, the balance check passed, credits unmatched and the debit ignored
    assert (report.lines_added, report.duplicates, report.warnings) == (3, 0, [])
    statement = BankAccountStatement.objects.get()
    assert (statement.entity, statement.account, statement.format) == (entity, OUR_IBAN, "camt.053")
    assert (statement.opening_balance, statement.closing_balance, statement.balance_ok) == (
        Decimal("1000.00"), Decimal("2995.40"), True)
    assert statement.fingerprint == report.sha256
    lines = list(statement.lines.order_by("sequence"))
    assert [(line.amount, line.sign, line.state) for line in lines] == [
        (Decimal("1200.00"), "CRDT", LineState.UNMATCHED),
        (Decimal("830.40"), "CRDT", LineState.UNMATCHED),
        (Decimal("35.00"), "DBIT", LineState.IGNORED),
    ]
    first = lines[0]
    assert (first.bank_reference, first.structured_reference, first.reference_kind) == (
        "ACSV-0001", "RF26FA20260001", "RF")
    assert (first.booking_date, first.entity) == (date(2026, 3, 2), entity)
    assert lines[1].remittance_text == "Facture FA2026-0002 merci"
    assert AuditEvent.objects.filter(kind="cash.statement_imported", subject_id=str(report.file_pk)).exists()


def test_the_same_file_again_adds_nothing_and_says_so():
    our_entity()
    import_statement_bytes(MARCH_2, "2026-03-02.xml", by=SYSTEM)
    again = import_statement_bytes(MARCH_2, "copy of 2026-03-02.xml", by=SYSTEM)
    assert again.already_imported.startswith("on ")
    assert "as 2026-03-02.xml" in again.already_imported
    assert "already imported" in again.summary()
    assert (BankFile.objects.count(), BankLine.objects.count()) == (1, 3)


def test_a_statement_resent_in_another_file_adds_nothing_and_lists_every_skipped_line():
    our_entity()
    import_statement_bytes(MARCH_2, "2026-03-02.xml", by=SYSTEM)
    # the bank re-sends the statement with a new message id: different bytes, same bookings
    resent = MARCH_2.replace(b"<MsgId>MSG-1</MsgId>", b"<MsgId>MSG-RESENT</MsgId>")
    report = import_statement_bytes(resent, "resent.xml", by=SYSTEM)
    assert not report.already_imported
    assert (report.lines_added, report.duplicates) == (0, 3)
    assert len(report.statements[0].duplicate_lines) == 3
    assert "1200.00 EUR 2026-03-02 ACSV-0001" in report.statements[0].duplicate_lines[0]
    assert "3 duplicate(s) skipped" in report.summary()
    assert (BankAccountStatement.objects.count(), BankLine.objects.count()) == (1, 3)


def test_mt940_keeps_two_genuine_identical_payments_and_a_reimport_adds_neither(tmp_path):
    our_entity()
    path = tmp_path / "march-3.sta"
    path.write_bytes(MT940)
    report = import_statement_file(path, by=SYSTEM)
    # the two 250.00 payments from DUPONT SA have no bank reference and the same content: both are kept
    assert (report.lines_added, report.duplicates) == (3, 0)
    twins = BankLine.objects.filter(amount=Decimal("250.00")).order_by("occurrence")
    assert [line.occurrence for line in twins] == [1, 2]
    assert twins[0].dedupe_key == twins[1].dedupe_key and twins[0].dedupe_key.startswith("hash:")
    fee = BankLine.objects.get(sign="DBIT")
    assert fee.dedupe_key.startswith("ref:") and fee.bank_reference == "FEE77"
    # the same statement in a file with a different header adds nothing
    report = import_statement_bytes(MT940.replace(b"AGRIFRPPXXX0000000000", b"AGRIFRPPXXX0000000001"),
                                    "march-3-again.sta", by=SYSTEM)
    assert (report.lines_added, report.duplicates) == (0, 3)
    assert BankLine.objects.count() == 3


def test_a_third_identical_payment_in_a_later_statement_is_kept():
    # a statement that holds the twins plus a third identical payment adds exactly the third one
    our_entity()
    import_statement_bytes(MT940, "march-3.sta", by=SYSTEM)
    third = MT940.replace(
        b":61:2603030303D12,50", b":61:2603030303C250,00NTRFNONREF\n:86:/NAME/DUPONT SA/REMI/USTD//LOYER MARS/\n"
                                  b":61:2603030303D12,50").replace(b"EUR1487,50", b"EUR1737,50")
    report = import_statement_bytes(third, "march-3-corrected.sta", by=SYSTEM)
    assert (report.lines_added, report.duplicates) == (1, 3)
    assert sorted(BankLine.objects.filter(amount=Decimal("250.00")).values_list("occurrence", flat=True)) == [1, 2, 3]


def test_a_balance_that_does_not_reconcile_is_stored_as_a_warning():
    our_entity()
    report = import_statement_bytes(MARCH_2.replace(b"2995.40", b"2999.99"), "off.xml", by=SYSTEM)
    statement = BankAccountStatement.objects.get()
    assert statement.balance_ok is False
    assert "do not reconcile" in statement.warning_text
    assert report.statements[0].balance_ok is False and report.warnings


def test_an_unknown_account_is_stored_without_entity_and_said():
    report = import_statement_bytes(MARCH_2, "2026-03-02.xml", by=SYSTEM)
    assert report.lines_added == 3 and report.statements[0].entity == ""
    assert any("not a bank account of any legal entity" in w for w in report.warnings)
    assert not BankLine.objects.filter(entity__isnull=False).exists()


def test_pending_entries_are_not_bookings_and_are_reported():
    our_entity()
    data = camt053(camt053_entry("10.00", ref="P1", status="PDNG"), camt053_entry("20.00", ref="B1"),
                   opening="0", closing="20.00")
    report = import_statement_bytes(data, "with-pending.xml", by=SYSTEM)
    assert (report.lines_added, report.statements[0].not_booked) == (1, 1)
    assert any("not booked" in w for w in report.warnings)


def test_dry_run_reports_and_writes_nothing():
    our_entity()
    report = import_statement_bytes(MARCH_2, "2026-03-02.xml", by=SYSTEM, dry_run=True)
    assert report.dry_run and report.lines_added == 3 and "would add 3 line(s)" in report.summary()
    assert not BankFile.objects.exists() and not BankLine.objects.exists()


def test_an_unreadable_file_names_file_and_position_and_writes_nothing():
    with pytest.raises(ParseError) as raised:
        import_statement_bytes(MARCH_2.replace(b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>", b"<CdtDbtInd>X</CdtDbtInd><Sts>"),
                               "broken.xml", by=SYSTEM)
    assert str(raised.value).startswith("broken.xml: ")
    assert not BankFile.objects.exists()


@pytest.mark.parametrize("relative", [
    "genkgo-camt/camt053.v2.five.decimals.xml",
    "pennylane-cfonb/example.txt",
    "wimverstuyf-php-coda-parser/sample1.cod",
])
def test_corpus_files_import_and_reimport_adds_nothing(relative):
    path = corpus_dir() / relative
    if not path.exists():
        pytest.skip(f"{relative} is not in this corpus")
    first = import_statement_file(path, by=SYSTEM)
    assert first.lines_added == BankLine.objects.count() > 0
    again = import_statement_bytes(path.read_bytes() + b"\n", f"{path.name} (re-sent)", by=SYSTEM)
    assert again.lines_added == 0 and again.duplicates == first.lines_added
