"""Rejected extracts: every bad row is named as FILE:LINE: column COLUMN: reason, and nothing of
the file is written."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.ledger.actions import import_erp_file
from incasso.ledger.models import Allocation, Contact, Customer, ImportBatch, Item, LegalEntity
from incasso.testing.builders import a_customer, an_entity

pytestmark = pytest.mark.django_db

ITEMS = "entity,account,kind,number,document_date,due_date,currency,amount,open_amount\n"
GOOD_ITEM = "FR01,C001,invoice,OK-1,2026-01-05,2026-02-04,EUR,100.00,100.00\n"


@pytest.fixture
def customer():  # type: ignore[no-untyped-def]
    return a_customer(an_entity(code="FR01"), account="C001")


def run(tmp_path, kind: str, text: str, name: str = "x.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text)
    return import_erp_file(kind, path, by=SYSTEM)


def assert_nothing_written() -> None:
    assert Item.objects.count() == 0
    assert Allocation.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(("line", "expected"), [
    ("FR01,C001,invoice,E-1,2026-01-05,2026-02-04,XYZ,100.00,100.00", "column currency: unknown currency 'XYZ'"),
    ("FR01,C001,invoice,E-1,2026-13-05,2026-02-04,EUR,100.00,100.00",
     "column document_date: bad date '2026-13-05' (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)"),
    ("FR01,C001,invoice,OK-1,2026-01-05,2026-02-04,EUR,100.00,100.00",
     "column number: duplicate number OK-1 (invoice, FR01) inside the file (first on line 2)"),
    ("XX99,C001,invoice,E-1,2026-01-05,2026-02-04,EUR,100.00,100.00", "column entity: unknown entity 'XX99'"),
    ("FR01,C999,invoice,E-1,2026-01-05,2026-02-04,EUR,100.00,100.00",
     "column account: unknown customer 'C999' in entity FR01"),
    ("FR01,C001,invoice,E-1,2026-01-05,2026-02-04,EUR,-100.00,", "column amount: negative amount -100.00"),
    ("FR01,C001,invoice,E-1,2026-01-05,2026-02-04,EUR,100.00,100.01",
     "column open_amount: open amount 100.01 is above the amount 100.00"),
    ("FR01,C001,bill,E-1,2026-01-05,2026-02-04,EUR,100.00,100.00", "column kind: unknown kind 'bill'"),
    ("FR01,C001,invoice,E-1,2026-01-05,2026-02-04,EUR,12x,", "column amount: bad amount '12x'"),
    ("FR01,C001,invoice,E-1,2026-01-05,2026-02-04,EUR,10.005,", "column amount: amount '10.005' has more decimals"),
    ("FR01,C001,invoice,E-1,2026-01-05", "column (row): row has 5 fields, the header has 9"),
])
def test_each_bad_item_row_is_named_and_nothing_is_written(tmp_path, customer, line, expected):
    # given a good row on line 2 and a bad one on line 3
    report = run(tmp_path, "items", ITEMS + GOOD_ITEM + line + "\n")
    # then the file is refused with the bad row named, and the good row was not written either
    assert len(report.errors) == 1, report.errors
    assert report.errors[0].startswith(f"x.csv:3: {expected}")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert_nothing_written()


def test_every_rejected_row_is_reported_not_only_the_first(tmp_path, customer):
    report = run(tmp_path, "items", ITEMS + GOOD_ITEM
                 + "FR01,C001,invoice,E-1,2026-01-05,2026-02-04,XYZ,100.00,\n"
                 + "FR01,C001,invoice,E-2,05/01/2026,31.02.2026,EUR,100.00,\n")
    assert report.errors == [
        "x.csv:3: column currency: unknown currency 'XYZ'",
        "x.csv:4: column due_date: bad date '31.02.2026' (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)",
    ]
    assert_nothing_written()


def test_missing_and_unknown_columns_are_named(tmp_path, customer):
    report = run(tmp_path, "items", "entity,account,kind,number,document_date,currency,amount,colour\n"
                 "FR01,C001,invoice,1,2026-01-01,EUR,1.00,red\n")
    assert report.errors == [
        "x.csv:1: column colour: unknown column for items (map it with --mapping, or remove it)",
        "x.csv:1: column due_date: missing required column",
    ]
    assert_nothing_written()


def test_bad_entity_rows(tmp_path):
    report = run(tmp_path, "entities", "code,name,country,currency,timezone\n"
                 "FR01,Alpha SA,FR,EUR,Europe/Paris\n"
                 "DE01,Beta GmbH,DE,EUR,Europe/Berlim\n"
                 "XX01,Gamma,France,EUR,UTC\n")
    assert report.errors == [
        "x.csv:3: column timezone: unknown timezone 'Europe/Berlim'",
        "x.csv:4: column country: bad country 'France' (ISO 3166 two-letter code)",
    ]
    assert LegalEntity.objects.count() == 0


def test_bad_customer_rows(tmp_path, customer):
    report = run(tmp_path, "customers", "entity,account,name,vat_id,ibans,collector\n"
                 "FR01,C100,Good SARL,FR 61 954 506 077,FR1420041010050500013M02606,\n"
                 "FR01,C101,Bad VAT SARL,FR 61 954 506 078,,\n"
                 "FR01,C102,Bad IBAN SARL,,\"FR1420041010050500013M02606;DE89370400440532013001\",\n"
                 "FR01,C103,Nobody's SARL,,,jdoe\n"
                 "ZZ01,C104,Lost SARL,,,\n")
    assert report.errors == [
        "x.csv:3: column vat_id: invalid VAT id 'FR 61 954 506 078'",
        "x.csv:4: column ibans: invalid IBAN 'DE89370400440532013001'",
        "x.csv:5: column collector: unknown user 'jdoe'",
        "x.csv:6: column entity: unknown entity 'ZZ01'",
    ]
    assert list(Customer.objects.values_list("account", flat=True)) == ["C001"]
    assert AuditEvent.objects.count() == 0


def test_bad_contact_rows(tmp_path, customer):
    report = run(tmp_path, "contacts", "entity,account,purpose,name,email\n"
                 "FR01,C001,reminders,Ana,ana@example.fr\n"
                 "FR01,C001,letters,Bo,bo@example.fr\n"
                 "FR01,C001,reminders,Ana again,ana@example.fr\n"
                 "FR01,C404,general,Cy,cy@example\n")
    assert report.errors == [
        "x.csv:3: column purpose: unknown purpose 'letters' (one of escalation, general, invoices, reminders, "
        "statements)",
        "x.csv:4: column email: duplicate contact ana@example.fr for reminders inside the file (first on line 2)",
        "x.csv:5: column email: bad email address 'cy@example'",
    ]
    assert Contact.objects.count() == 0


def test_command_exits_with_status_1_and_prints_the_errors(tmp_path, customer, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(ITEMS + "FR01,C001,invoice,E-1,2026-01-05,2026-02-04,XYZ,100.00,\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("import", "items", str(path))
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "bad.csv:2: column currency: unknown currency 'XYZ'" in err
    assert "nothing was imported" in err
    assert_nothing_written()
