"""The staged item import (file loaded into a staging table, checked set-based) against the per-row
import: on good and bad files, first imports and re-imports, dry runs and mappings, both must leave
the same database state (items, allocations, audit, in the same id order) and report the same counts
and the same error lines. Each scenario runs twice in a rolled-back transaction, once per path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from incasso.audit.events import SYSTEM
from incasso.core.erp_rows import Mapping
from incasso.ledger.actions import allocate, import_erp_file
from incasso.ledger.models import Allocation, Item
from incasso.ledger.tests.test_import_bulk import what_was_written
from incasso.testing.builders import a_customer, an_entity

pytestmark = pytest.mark.django_db

HEADER = "entity,account,kind,number,document_date,due_date,currency,amount,open_amount"
FULL_HEADER = HEADER + ",reference,posting_date,amount_entity,external_id,text,cleared_date"


@pytest.fixture
def customers():  # type: ignore[no-untyped-def]
    france, germany = an_entity(code="FR01"), an_entity(code="DE01", country="DE")
    return a_customer(france, account="C001"), a_customer(france, account="C002"), a_customer(germany, account="C001")


def write(tmp_path, name: str, lines: list[str], header: str = HEADER, encoding: str = "utf-8",
          newline: str = "\n"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes((newline.join([header, *lines]) + newline).encode(encoding))
    return path


def state() -> dict[str, object]:
    """What was written, plus the order of the ids (items and allocations are numbered alike)."""
    written = what_was_written()
    written["item_order"] = list(Item.objects.order_by("id").values_list("entity__code", "kind", "number"))
    written["allocation_order"] = [
        (a.debit_item.number if a.debit_item else "", a.credit_item.number if a.credit_item else "", a.amount,
         a.reversed_on) for a in Allocation.objects.select_related("debit_item", "credit_item").order_by("id")]
    return written


def summary(report) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    return (report.rows, report.created, report.updated, report.unchanged, report.allocations_created,
            report.allocations_reversed, report.errors, report.planned, report.ok)


def both_paths(scenario) -> tuple[list, list]:  # type: ignore[no-untyped-def,type-arg]
    """Run ``scenario(staged)`` on each path in a rolled-back transaction; assert the same outcome;
    return the reports of each path."""
    outcomes, reports = {}, {}
    for staged in (False, True):
        with transaction.atomic():
            reports[staged] = scenario(staged)
            outcomes[staged] = ([summary(r) for r in reports[staged]], state())
            transaction.set_rollback(True)
    assert outcomes[True][0] == outcomes[False][0]
    assert outcomes[True][1] == outcomes[False][1]
    return reports[False], reports[True]


GOOD = [
    "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
    "FR01,C001,invoice,INV-2,2026-01-06,2026-02-05,EUR,500,200.5",        # plain amounts, padded
    "DE01,C001,payment,PAY-1,2026-01-20,2026-01-20,EUR,300.00,",          # open amount defaults to amount
    "FR01,C002,credit_note,CN-1,05.01.2026,05.01.2026,EUR,80.10,30.00",    # DD.MM.YYYY, a cleared credit
    "FR01,C002,Invoice,INV-3,06/01/2026,05/02/2026,EUR,0.50,0.00",         # a kind in capitals, fully cleared
    "DE01,C001,debit_note,DN-1,2026-01-07,2026-02-06,USD,12.00,12.00",
    "FR01,C001,invoice,INV-4,2026-01-08,2026-02-07,KWD,1.234,1.000",       # three decimals: per-row check
    "FR01,C001,fee, FEE-1 ,2026-01-09,2026-02-08,EUR, 15.00 ,15.00",       # spaces around values
    "FR01,C001,invoice,INV-5,2026-01-10,2026-02-09,JPY,1500,1000",         # no decimals: per-row check
    "FR01,C001,invoice,\u00a0INV-6,2026-01-10,2026-02-09,EUR,10.00,10.00",  # a no-break space, stripped
]


def test_a_good_file_writes_the_same_on_both_paths(tmp_path, customers):
    path = write(tmp_path, "items.csv", GOOD)
    row, staged = both_paths(lambda s: [import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 1),
                                                        staged=s)])
    assert staged[0].path == "staged" and staged[0].ok and staged[0].created == len(GOOD)
    assert row[0].path == "per row"


BAD = [
    "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
    "FR01,C001,invoice,INV-2,2026-01-05,2026-02-04,XYZ,10.00,10.00",       # unknown currency
    "FR01,C001,invoice,INV-3,2026-13-05,2026-02-30,EUR,10.00,10.00",       # bad dates (two errors)
    "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,10.00,10.00",       # duplicate number
    "FR01,C009,invoice,INV-4,2026-01-05,2026-02-04,EUR,10.00,10.00",       # unknown customer
    "XX99,C001,invoice,INV-5,2026-01-05,2026-02-04,EUR,10.00,10.00",       # unknown entity
    "FR01,C001,invoice,INV-6,2026-01-05,2026-02-04,EUR,-10.00,-10.00",     # negative amount
    "FR01,C001,invoice,INV-7,2026-01-05,2026-02-04,EUR,10.00,10.01",       # open amount above amount
    "FR01,C001,invoice,INV-8,2026-01-05,2026-02-04,EUR,0.00,0.00",         # zero
    "FR01,C001,invoice,,2026-01-05,2026-02-04,EUR,10.00,10.00",            # empty number
    "FR01,C001,invoice," + "N" * 41 + ",2026-01-05,2026-02-04,EUR,10.00,10.00",  # too long
    "FR01,C001,bill,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",          # unknown kind
    "FR01,C001,invoice,INV-10,2026-01-05,2026-02-04,EUR,12.345,12.345",    # too many decimals
    "FR01,C001,invoice,INV-11,2026-01-05,2026-02-04,EUR,1O.00,10.00",      # a letter O
    "FR01,C001,invoice,INV-12,2026-01-05,2026-02-04,EUR,007.00,7.00",      # leading zeros (valid)
    "FR01,C001,bill,INV-1,2026-01-05,2026-02-04,EUR,abc,10.00",            # bad row, key of its own
    "FR01,C001,invoice,INV-3,2026-01-05,2026-02-04,EUR,10.00,10.00",       # duplicate of a bad row
    "DE01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,10.00,10.00",       # same number, other entity: fine
]


def test_a_bad_file_reports_the_same_lines_on_both_paths(tmp_path, customers):
    path = write(tmp_path, "items.csv", BAD)
    row, staged = both_paths(lambda s: [import_erp_file("items", path, by=SYSTEM, staged=s)])
    assert staged[0].path == "staged"
    errors = staged[0].errors
    assert "items.csv:3: column currency: unknown currency 'XYZ'" in errors
    assert any(e.startswith("items.csv:5: column number: duplicate number INV-1 (invoice, FR01)") for e in errors)
    assert "items.csv:6: column account: unknown customer 'C009' in entity FR01" in errors
    assert "items.csv:7: column entity: unknown entity 'XX99'" in errors
    assert [int(e.split(":")[1]) for e in errors] == sorted(int(e.split(":")[1]) for e in errors)
    assert Item.objects.count() == 0


def test_a_row_with_too_few_fields(tmp_path, customers):
    path = write(tmp_path, "items.csv", [GOOD[0], "FR01,C001,invoice,INV-2,2026-01-05", GOOD[1]])
    row, staged = both_paths(lambda s: [import_erp_file("items", path, by=SYSTEM, staged=s)])
    assert staged[0].errors == ["items.csv:3: column (row): row has 5 fields, the header has 9"]
    # SQLite cannot bind a short row: that file is read row by row, and the report says so
    expected = "staged" if connection.vendor == "postgresql" else "per row"
    assert staged[0].path.startswith(expected)


def test_european_excel_file_semicolons_decimal_commas_quotes_windows_1252(tmp_path, customers):
    lines = ['FR01;C001;invoice;F-1;05.01.2026;04.02.2026;EUR;1234,56;234,5;"PO; Crème";;;;Frères;',
             "FR01;C001;invoice;F-2;05.01.2026;04.02.2026;EUR;10;10;;06.01.2026;9,99;X-2;;",
             "FR01;C002;payment;P-1;10.01.2026;10.01.2026;EUR;1000,00;0;;;;;;15.01.2026",
             "FR01;C002;invoice;F-3;10.01.2026;10.01.2026;EUR;1,234;1,234;;;;;;",   # ambiguous: refused
             ]
    path = write(tmp_path, "items.csv", lines, header=FULL_HEADER.replace(",", ";"), encoding="cp1252",
                 newline="\r\n")
    row, staged = both_paths(lambda s: [import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 1),
                                                        staged=s)])
    assert staged[0].path == "staged" and not staged[0].ok
    good = write(tmp_path, "good.csv", lines[:3], header=FULL_HEADER.replace(",", ";"), encoding="cp1252",
                 newline="\r\n")
    row, staged = both_paths(lambda s: [import_erp_file("items", good, by=SYSTEM, as_of=date(2026, 2, 1),
                                                        staged=s)])
    assert staged[0].ok and staged[0].created == 3 and staged[0].allocations_created == 2
    assert Item.objects.count() == 0  # rolled back


def reimports_with_changes(tmp_path, *, reopen: bool = False, **path: bool) -> list:  # type: ignore[no-untyped-def,type-arg]
    """An extract, Incasso's own allocation of 300, an updated extract imported twice, (``reopen``) a
    third that reopens an item and is stale on the allocated one, then the first as a dry run; each
    import on the path ``path`` selects (``staged=...`` or ``columnar=...``). The reports, in order."""
    first = write(tmp_path, "first.csv", [
        "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
        "FR01,C001,invoice,INV-2,2026-01-06,2026-02-05,EUR,500.00,200.00",
        "FR01,C001,payment,PAY-1,2026-01-20,2026-01-20,EUR,300.00,300.00",
        "FR01,C002,invoice,INV-3,2026-01-07,2026-02-06,EUR,100.00,100.00",
        "FR01,C002,invoice,INV-4,2026-01-08,2026-02-07,EUR,100.00,60.00",
    ])
    second = write(tmp_path, "second.csv", [
        "DE01,C001,invoice,D-1,2026-01-05,2026-02-04,EUR,70.00,20.00",         # a new entity's item
        "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,700.00",    # ERP booked Incasso's 300
        "FR01,C001,invoice,INV-2,2026-01-06,2026-02-05,EUR,500.00,200.00",     # unchanged
        "FR01,C001,payment,PAY-1,2026-01-20,2026-01-20,EUR,300.00,0.00",       # ditto, the payment
        "FR01,C002,invoice,INV-3,2026-01-07,2026-03-06,EUR,120.00,120.00",     # due date and amount changed
        "FR01,C001,invoice,INV-4,2026-01-08,2026-02-07,EUR,100.00,60.00",      # moved to another customer
        "FR01,C001,invoice,INV-9,2026-01-09,2026-02-08,EUR,90.00,45.00",       # new among existing ones
        "DE01,C001,credit_note,D-2,2026-01-05,2026-02-04,EUR,30.00,30.00",
    ])
    third = write(tmp_path, "third.csv", [                                      # the ERP reopens INV-2
        "FR01,C001,invoice,INV-2,2026-01-06,2026-02-05,EUR,500.00,500.00",
        "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",   # stale: Incasso's 300 stays
    ])
    reports = [import_erp_file("items", first, by=SYSTEM, as_of=date(2026, 2, 1), **path)]
    items = {i.number: i for i in Item.objects.all()}
    allocate(items["INV-1"].pk, items["PAY-1"].pk, Decimal("300.00"), date(2026, 2, 2), by=SYSTEM)
    reports.append(import_erp_file("items", second, by=SYSTEM, as_of=date(2026, 2, 5), **path))
    reports.append(import_erp_file("items", second, by=SYSTEM, as_of=date(2026, 2, 6), **path))
    if reopen:
        reports.append(import_erp_file("items", third, by=SYSTEM, as_of=date(2026, 2, 7), **path))
    reports.append(import_erp_file("items", first, by=SYSTEM, as_of=date(2026, 2, 8), dry_run=True, **path))
    return reports


def reimport_below_incasso(tmp_path, second_lines: list[str], **path: bool) -> list:  # type: ignore[no-untyped-def,type-arg]
    """An invoice and a payment, Incasso allocating 900 between them, then ``second_lines`` (the invoice
    at 100.00, and whatever else) on the path ``path`` selects. The reports, in order."""
    first = write(tmp_path, "first.csv", ["FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
                                          "FR01,C001,payment,PAY-1,2026-01-20,2026-01-20,EUR,900.00,900.00"])
    second = write(tmp_path, "second.csv", second_lines)
    reports = [import_erp_file("items", first, by=SYSTEM, as_of=date(2026, 2, 1), **path)]
    items = {i.number: i for i in Item.objects.all()}
    allocate(items["INV-1"].pk, items["PAY-1"].pk, Decimal("900.00"), date(2026, 2, 2), by=SYSTEM)
    reports.append(import_erp_file("items", second, by=SYSTEM, as_of=date(2026, 2, 5), **path))
    return reports


def test_reimports_with_changes_and_incasso_allocations(tmp_path, customers):
    row, staged = both_paths(lambda s: reimports_with_changes(tmp_path, staged=s))
    assert [r.path for r in staged] == ["staged"] * 4
    assert staged[1].updated >= 2 and staged[2].updated == 0 and staged[2].unchanged == 8


def test_a_reimport_below_what_incasso_allocated_is_refused_alike(tmp_path, customers):
    second = ["FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,100.00,100.00",
              "FR01,C009,invoice,INV-2,2026-01-05,2026-02-04,EUR,100.00,100.00"]
    _row, staged = both_paths(lambda s: reimport_below_incasso(tmp_path, second, staged=s))
    assert len(staged[1].errors) == 2 and "below the 900.00 Incasso already allocated" in staged[1].errors[0]


def test_a_dry_run_plans_the_same(tmp_path, customers):
    lines = [f"FR01,C001,invoice,INV-{n},2026-01-05,2026-02-04,EUR,{n + 1}.00,{n + 1}.00" for n in range(30)]
    path = write(tmp_path, "items.csv", lines)
    _row, staged = both_paths(lambda s: [import_erp_file("items", path, by=SYSTEM, dry_run=True, staged=s)])
    assert staged[0].created == 30 and len(staged[0].planned) == 20 and Item.objects.count() == 0


def test_a_mapped_layout_sap_style(tmp_path, customers):
    mapping = Mapping.from_dict({
        "columns": {"Company": "entity", "Customer": "account", "DocType": "kind", "DocNo": "number",
                    "DocDate": "document_date", "NetDue": "due_date", "Curr": "currency", "Amount": "amount"},
        "ignore": ["Clerk"], "kinds": {"RV": "invoice", "DZ": "payment", "DG": "credit_note"},
        "sign": "negative_is_credit", "date_format": "%d.%m.%Y", "decimal_comma": True,
    })
    header = "Company;Customer;DocType;DocNo;DocDate;NetDue;Curr;Amount;Clerk"
    lines = ["FR01;C001;RV;1800001;05.01.2026;04.02.2026;EUR;1.234,50;ab",
             "FR01;C001;DZ;1400001;06.01.2026;06.01.2026;EUR;-500,00;ab",     # a negative credit: per-row check
             "FR01;C002;DG;1600001;07.01.2026;07.01.2026;EUR;-20,00;ab",
             "FR01;C002;RV;1800002;2026-01-08;07.02.2026;EUR;10,00;ab"]         # ISO date refused by the format
    path = write(tmp_path, "fbl5n.csv", lines, header=header)
    _row, staged = both_paths(lambda s: [import_erp_file("items", path, by=SYSTEM, mapping=mapping, staged=s)])
    assert staged[0].path == "staged" and len(staged[0].errors) == 1
    good = write(tmp_path, "good.csv", lines[:3], header=header)
    _row, staged = both_paths(lambda s: [import_erp_file("items", good, by=SYSTEM, mapping=mapping, staged=s)])
    assert staged[0].ok and staged[0].created == 3


def test_a_bulk_load_through_the_staged_path(tmp_path, customers):
    lines = [f"{entity},C001,{'payment' if n % 7 == 6 else 'invoice'},N-{n},2026-01-05,2026-02-04,EUR,"
             f"{100 + n}.00,{40 if n % 3 == 0 else 100 + n}.00" for entity in ("FR01", "DE01") for n in range(30)]
    path = write(tmp_path, "items.csv", lines)
    _row, staged = both_paths(lambda s: [import_erp_file("items", path, by=SYSTEM, bulk_min_items=20, staged=s)])
    assert staged[0].bulk_load and staged[0].created == 60


def test_xlsx_and_json_are_read_row_by_row(tmp_path, customers):
    path = tmp_path / "items.json"
    path.write_text('[{"entity": "FR01", "account": "C001", "kind": "invoice", "number": "J-1", '
                    '"document_date": "2026-01-05", "due_date": "2026-02-04", "currency": "EUR", "amount": "10.00"}]')
    report = import_erp_file("items", path, by=SYSTEM, staged=True)
    assert report.ok and report.path == "per row (JSON files are read row by row)"
