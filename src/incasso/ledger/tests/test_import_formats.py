"""ERP extracts as Excel and ERPs really write them: semicolons, decimal commas, Windows-1252,
XLSX, JSON, and a SAP FBL5N layout through a mapping."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.core.erp_rows import Mapping
from incasso.ledger.actions import import_erp_file
from incasso.ledger.models import Allocation, Contact, Customer, CustomerIban, ImportBatch, Item, LegalEntity
from incasso.testing.builders import a_customer, an_entity

pytestmark = pytest.mark.django_db


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_european_excel_csv_semicolons_decimal_commas_windows_1252(tmp_path):
    # given an entity and customer extract as French Excel saves "CSV (séparateur: point-virgule)"
    entities = write(tmp_path, "entities.csv",
                     "code;name;country;currency;timezone;language\r\n"
                     "FR01;Société Générale d'Équipement SA;FR;EUR;Europe/Paris;fr\r\n", "cp1252")
    customers = write(tmp_path, "customers.csv",
                      "entity;account;name;country;language;currency;payment_terms_days;credit_limit;segment;"
                      "collector;vat_id;ibans;email;phone\r\n"
                      "FR01;C001;Boulangerie Crème & Frères;FR;fr;EUR;45;12.500,00;retail;;FR 61 954 506 077;"
                      "\"FR1420041010050500013M02606;DE89370400440532013000\";compta@creme.fr;+33 1 23 45 67 89\r\n",
                      "cp1252")
    items = write(tmp_path, "items.csv",
                  "entity;account;kind;number;document_date;due_date;currency;amount;open_amount;reference\r\n"
                  "FR01;C001;invoice;F-2026-001;15.01.2026;14.02.2026;EUR;1.234,56;1.000,00;Commande n°42 été\r\n"
                  "FR01;C001;credit_note;AV-2026-001;20/01/2026;20/01/2026;EUR;100,50;100,50;\r\n", "cp1252")
    # when they are imported in order
    reports = [import_erp_file(kind, path, by=SYSTEM, as_of=date(2026, 2, 1))
               for kind, path in (("entities", entities), ("customers", customers), ("items", items))]
    # then every file went in, with accents, amounts and dates read the European way
    assert [r.errors for r in reports] == [[], [], []]
    assert "cp1252" in reports[2].detail and "';'" in reports[2].detail
    assert LegalEntity.objects.get(code="FR01").name == "Société Générale d'Équipement SA"
    customer = Customer.objects.get(account="C001")
    assert customer.name == "Boulangerie Crème & Frères"
    assert customer.credit_limit == Decimal("12500.00")
    assert customer.payment_terms_days == 45
    assert customer.vat_id == "FR61954506077"
    assert set(CustomerIban.objects.filter(customer=customer).values_list("iban", flat=True)) == {
        "FR1420041010050500013M02606", "DE89370400440532013000"}
    invoice = Item.objects.get(number="F-2026-001")
    assert (invoice.amount, invoice.open_amount) == (Decimal("1234.56"), Decimal("1000.00"))
    assert (invoice.document_date, invoice.due_date) == (date(2026, 1, 15), date(2026, 2, 14))
    assert invoice.reference == "Commande n°42 été"
    # and the part the ERP already cleared is an ERP allocation with only the invoice's side
    erp = Allocation.objects.get(debit_item=invoice)
    assert (erp.amount, erp.source, erp.credit_item_id, erp.date) == (Decimal("234.56"), "erp", None, date(2026, 2, 1))
    assert invoice.last_activity_on == date(2026, 2, 1)
    assert Item.objects.get(number="AV-2026-001").open_amount == Decimal("100.50")
    assert ImportBatch.objects.filter(kind="items", rows=2, created=2).count() == 1
    assert AuditEvent.objects.filter(kind="customer.created", customer_id=customer.pk).count() == 1


def test_utf8_with_byte_order_mark_and_comma_delimiter(tmp_path):
    entity = an_entity(code="DE01", country="DE", timezone="Europe/Berlin")
    a_customer(entity, account="K-100")
    items = write(tmp_path, "items.csv",
                  "\ufeffentity,account,kind,number,document_date,due_date,currency,amount\n"
                  "DE01,K-100,invoice,R-1,2026-03-01,2026-03-31,EUR,\"1,999.00\"\n")
    report = import_erp_file("items", items, by=SYSTEM, as_of=date(2026, 3, 2))
    assert report.errors == []
    item = Item.objects.get(number="R-1")
    assert item.open_amount == item.amount == Decimal("1999.00")
    assert not Allocation.objects.exists()


def test_xlsx_round_trip(tmp_path):
    # given a workbook written the way a controller fills one in Excel (real dates and numbers)
    entity = an_entity(code="IT01", country="IT")
    a_customer(entity, account="CLI-7")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["number", "entity", "account", "kind", "document_date", "due_date", "currency", "amount",
                  "open_amount"])
    sheet.append(["FT-1", "IT01", "CLI-7", "invoice", date(2026, 4, 1), date(2026, 5, 1), "EUR", 1500.25, 500.25])
    sheet.append(["NC-1", "IT01", "CLI-7", "credit_note", date(2026, 4, 2), date(2026, 4, 2), "EUR", 80, 80])
    path = tmp_path / "partite.xlsx"
    workbook.save(path)
    # when imported (format detected from the content)
    report = import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 4, 10))
    # then the values came through exactly
    assert report.errors == [] and report.detail == "xlsx"
    invoice = Item.objects.get(number="FT-1")
    assert (invoice.amount, invoice.open_amount, invoice.due_date) == (
        Decimal("1500.25"), Decimal("500.25"), date(2026, 5, 1))
    assert Allocation.objects.get(debit_item=invoice).amount == Decimal("1000.00")
    assert Item.objects.get(number="NC-1").amount == Decimal("80.00")
    # and importing the same workbook again changes nothing
    again = import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 4, 11))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_json_list_of_objects(tmp_path):
    path = tmp_path / "extract.json"
    path.write_text(json.dumps([
        {"code": "ES01", "name": "Ibérica SL", "country": "ES", "currency": "EUR", "timezone": "Europe/Madrid"},
    ]))
    contacts_entity = import_erp_file("entities", path, by=SYSTEM)
    assert contacts_entity.errors == []
    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps([
        {"entity": "ES01", "account": "43000001", "name": "Distribuciones Núñez", "ibans": ["DE89370400440532013000"],
         "credit_limit": 2500.5},
    ]))
    contacts = tmp_path / "contacts.json"
    contacts.write_text(json.dumps([
        {"entity": "ES01", "account": "43000001", "purpose": "reminders", "name": "Ana", "email": "ana@nunez.es",
         "language": "es"},
    ]))
    assert import_erp_file("customers", customers, by=SYSTEM).errors == []
    assert import_erp_file("contacts", contacts, by=SYSTEM).errors == []
    customer = Customer.objects.get(account="43000001")
    assert customer.currency == "EUR" and customer.language == "en"  # defaults from the entity
    assert customer.credit_limit == Decimal("2500.50")
    assert customer.ibans.get().iban == "DE89370400440532013000"
    contact = Contact.objects.get(customer=customer)
    assert (contact.purpose, contact.email, contact.language) == ("reminders", "ana@nunez.es", "es")
    again = import_erp_file("contacts", contacts, by=SYSTEM)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


FBL5N = (
    "Company Code;Account;Document Type;Document Number;Document Date;Net due date;Amount in doc. curr.;"
    "Document currency;Reference;Assignment\n"
    "DE01;100200;RV;1800000001;02.03.2026;01.04.2026;1.190,00;EUR;PO-4711;ZA-1\n"
    "DE01;100200;DR;1800000002;05.03.2026;04.04.2026;59,50;EUR;;\n"
    "DE01;100200;DG;1600000001;06.03.2026;06.03.2026;-119,00;EUR;RMA-9;\n"
    "DE01;100200;DZ;1400000001;10.03.2026;10.03.2026;-500,00;EUR;;ZA-1\n"
)
FBL5N_MAPPING = {
    "columns": {"Company Code": "entity", "Account": "account", "Document Type": "kind",
                "Document Number": "number", "Document Date": "document_date", "Net due date": "due_date",
                "Amount in doc. curr.": "amount", "Document currency": "currency", "Reference": "reference",
                "Assignment": "external_id"},
    "kinds": {"RV": "invoice", "DR": "invoice", "DG": "credit_note", "DZ": "payment"},
    "sign": "negative_is_credit",
    "date_format": "%d.%m.%Y",
    "decimal_comma": True,
}


def test_sap_fbl5n_export_through_a_mapping(tmp_path):
    # given SAP's open-item list (FBL5N) for one company code, and the mapping from docs/formats.md
    entity = an_entity(code="DE01", country="DE")
    customer = a_customer(entity, account="100200")
    path = write(tmp_path, "fbl5n.csv", FBL5N, "cp1252")
    # when imported with the mapping
    report = import_erp_file("items", path, by=SYSTEM, mapping=Mapping.from_dict(FBL5N_MAPPING),
                             as_of=date(2026, 3, 15))
    # then document types became kinds, negative amounts became credit items, dates and decimals read
    assert report.errors == []
    by_number = {item.number: item for item in Item.objects.filter(customer=customer)}
    assert {n: (i.kind, i.amount) for n, i in by_number.items()} == {
        "1800000001": ("invoice", Decimal("1190.00")),
        "1800000002": ("invoice", Decimal("59.50")),
        "1600000001": ("credit_note", Decimal("119.00")),
        "1400000001": ("payment", Decimal("500.00")),
    }
    assert by_number["1800000001"].due_date == date(2026, 4, 1)
    assert by_number["1800000001"].external_id == "ZA-1"
    assert by_number["1400000001"].open_amount == Decimal("500.00")


def test_fbl5n_mapping_refuses_a_negative_amount_on_a_debit_document_type(tmp_path):
    an_entity(code="DE01", country="DE")
    path = write(tmp_path, "fbl5n.csv", FBL5N.splitlines()[0] + "\nDE01;100200;RV;1800000009;02.03.2026;"
                 "01.04.2026;-10,00;EUR;;\n")
    report = import_erp_file("items", path, by=SYSTEM, mapping=Mapping.from_dict(FBL5N_MAPPING))
    assert report.errors == ["fbl5n.csv:2: column amount: negative amount -10,00 on a debit kind (RV)"]


@pytest.mark.parametrize("text", [
    "entity;account;amount\r\nFR01;C1; 10,50 \r\n\r\n;\r\nFR01;C2;7\r\n",  # CRLF, a blank and an empty row
    "entity,account,amount\nFR01,C1,1.5\n\nFR01,C2,\n",  # LF, trailing empty field
    'entity,account,amount\r\nFR01,"C,1",1\r\nFR01,C2,2\r\n',  # quoted: the csv module reads it
    "entity;account\rFR01;C1\r",  # bare carriage returns: the csv module reads it
])
def test_unquoted_csv_is_split_into_the_same_records_and_lines_as_the_csv_module(tmp_path, text):
    import csv
    import io

    from incasso.ledger.importers import read_table

    # given a CSV file, when it is read, then its header, records and line numbers are the csv module's
    table = read_table(write(tmp_path, "x.csv", text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in text.split("\n")[0] else ",")
    expected_header = next(reader)
    expected = [(reader.line_num, values) for values in reader if values and (len(values) > 1 or values[0].strip())]
    assert (table.header, list(table.rows)) == (expected_header, expected)
