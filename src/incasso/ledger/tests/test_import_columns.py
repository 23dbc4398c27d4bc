"""The column-wise item import (``ledger.actions.import_columns``) against the per-row import it
goes before: first imports, re-imports unchanged, updated extracts with ERP clearing changes and
Incasso's own allocations, dry runs, mappings, optional columns, blocks and the bulk load. Both
must leave the same database state (items, allocations, audit, in the same id order) and report
the same; a file the column-wise check cannot vouch for goes to the per-row path whole, and its
rejected rows are reported exactly as the per-row path reports them. Each scenario runs twice in a
rolled-back transaction, once per path."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from incasso.audit.events import SYSTEM
from incasso.core.erp_rows import Mapping
from incasso.ledger.actions import import_erp_file
from incasso.ledger.actions import imports as imports_module
from incasso.ledger.models import Item
from incasso.ledger.tests.test_import_staged import (
    BAD,
    FULL_HEADER,
    GOOD,
    customers,
    reimport_below_incasso,
    reimports_with_changes,
    state,
    summary,
    write,
)

pytestmark = pytest.mark.django_db
__all__ = ["customers"]  # the fixture, shared with the staged path's tests

CLEAN = [
    "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
    "FR01,C001,invoice,INV-2,2026-01-06,2026-02-05,EUR,500,200.5",         # plain amounts, padded
    "DE01,C001,payment,PAY-1,2026-01-20,2026-01-20,EUR,300.00,",           # open amount defaults to amount
    "FR01,C002,credit_note,CN-1,05.01.2026,05.01.2026,EUR,80.10,30.00",    # DD.MM.YYYY, a cleared credit
    "FR01,C002,Invoice,INV-3,06/01/2026,05/02/2026,EUR,0.50,0.00",         # a kind in capitals, fully cleared
    "DE01,C001,debit_note,DN-1,2026-01-07,2026-02-06,USD,12.00,12.00",
    "FR01,C001,fee, FEE-1 ,2026-01-09,2026-02-08,EUR, 15.00 ,15.00",       # spaces around values
    "FR01,C001,invoice,\u00a0INV-6,2026-01-10,2026-02-09,EUR,10.00,10.00",  # a no-break space, stripped
]


def both_paths(scenario) -> tuple[list, list]:  # type: ignore[no-untyped-def,type-arg]
    """Run ``scenario(columnar)`` on each path in a rolled-back transaction; assert the same outcome;
    return the reports of the per-row path and of the column-wise path."""
    outcomes, reports = {}, {}
    for columnar in (False, True):
        with transaction.atomic():
            reports[columnar] = scenario(columnar)
            outcomes[columnar] = ([summary(r) + (r.bulk_load,) for r in reports[columnar]], state())
            transaction.set_rollback(True)
    assert outcomes[True][0] == outcomes[False][0]
    assert outcomes[True][1] == outcomes[False][1]
    assert all(r.path == "per row" for r in reports[False])
    return reports[False], reports[True]


def test_a_clean_file_is_imported_column_wise_with_the_same_result(tmp_path, customers):
    path = write(tmp_path, "items.csv", CLEAN)
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 1),
                                                          columnar=c)])
    assert columns[0].path == "columns" and columns[0].ok and columns[0].created == len(CLEAN)
    assert columns[0].allocations_created == 3


def test_a_file_with_rows_for_the_full_check_goes_row_by_row_whole(tmp_path, customers):
    path = write(tmp_path, "items.csv", GOOD)  # three-decimal KWD and JPY without decimals
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 1),
                                                          columnar=c)])
    assert columns[0].not_columnar and columns[0].created == len(GOOD)


def test_a_bad_file_reports_the_same_lines(tmp_path, customers):
    path = write(tmp_path, "items.csv", BAD)
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, columnar=c)])
    assert columns[0].not_columnar and len(columns[0].errors) > 10
    assert "items.csv:6: column account: unknown customer 'C009' in entity FR01" in columns[0].errors


@pytest.mark.parametrize("bad_line", [
    "FR01,C009,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",   # unknown customer, fields fine
    "XX99,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",   # unknown entity
    "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,10.00,10.00",   # a duplicate in a later block
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00",         # a field short
    "",                                                                # an empty line in the middle
])
def test_one_bad_row_in_a_later_block(tmp_path, customers, monkeypatch, bad_line):
    monkeypatch.setattr(imports_module, "_COLUMN_BLOCK", 3)
    lines = [f"FR01,C001,invoice,INV-{n},2026-01-05,2026-02-04,EUR,{n + 1}.00,{n + 1}.00" for n in range(1, 8)]
    lines[5:5] = [bad_line]
    path = write(tmp_path, "items.csv", lines)
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, bulk_min_items=4, columnar=c)])
    assert columns[0].not_columnar
    assert columns[0].ok == (bad_line == "") and Item.objects.count() == 0


def test_reimports_with_changes_and_incasso_allocations(tmp_path, customers, monkeypatch):
    monkeypatch.setattr(imports_module, "_COLUMN_BLOCK", 3)  # new and existing entities' rows in one block
    _row, columns = both_paths(lambda c: reimports_with_changes(tmp_path, reopen=True, columnar=c))
    assert [r.path for r in columns] == ["columns"] * 5
    assert columns[1].updated >= 2 and columns[2].updated == 0 and columns[2].unchanged == 8
    assert columns[3].updated == 1 and columns[3].allocations_reversed == 1


def test_a_reimport_below_what_incasso_allocated_is_refused_alike(tmp_path, customers):
    second = ["FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,100.00,100.00"]
    _row, columns = both_paths(lambda c: reimport_below_incasso(tmp_path, second, columnar=c))
    assert columns[1].path == "columns" and "below the 900.00 Incasso already allocated" in columns[1].errors[0]


def test_a_dry_run_plans_the_same(tmp_path, customers):
    lines = [f"FR01,C001,invoice,INV-{n},2026-01-05,2026-02-04,EUR,{n + 1}.00,{n + 1}.00" for n in range(30)]
    path = write(tmp_path, "items.csv", lines)
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, dry_run=True, columnar=c)])
    assert columns[0].path == "columns" and columns[0].created == 30 and len(columns[0].planned) == 20


def test_optional_columns_semicolons_decimal_commas_windows_1252(tmp_path, customers):
    header = FULL_HEADER.replace(",", ";")
    lines = [
        "FR01;C001;invoice;F-1;05.01.2026;04.02.2026;EUR;1.234,50;1.000,00;Réf é;2026-01-06;1.234,50;X1;Texte;",
        "FR01;C002;payment;P-1;06.01.2026;06.01.2026;EUR;500;0;;;;;;2026-01-20",
        "DE01;C001;invoice;D-1;2026-01-07;2026-02-06;EUR;12,5;12,5;a\\b\tc;;;;;",   # a backslash and a tab
    ]
    path = write(tmp_path, "items.csv", lines, header=header, encoding="cp1252", newline="\r\n")
    comma = Mapping(decimal_comma=True)
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 1),
                                                          mapping=comma, columnar=c)])
    assert columns[0].path == "columns" and columns[0].created == 3 and columns[0].allocations_created == 2
    # Without the mapping the decimal commas are inferred row by row: the per-row path takes the file.
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 1),
                                                          columnar=c)])
    assert columns[0].not_columnar and columns[0].created == 3


def test_a_mapped_layout_with_defaults(tmp_path, customers):
    mapping = Mapping.from_dict({
        "columns": {"Company": "entity", "Customer": "account", "DocType": "kind", "DocNo": "number",
                    "DocDate": "document_date", "NetDue": "due_date", "Amount": "amount"},
        "ignore": ["Clerk"], "defaults": {"currency": "EUR", "reference": "ERP"},
        "kinds": {"RV": "invoice", "DG": "credit_note"}, "date_format": "%d.%m.%Y", "decimal_comma": True,
    })
    header = "Company;Customer;DocType;DocNo;DocDate;NetDue;Amount;Clerk"
    lines = ["FR01;C001;RV;1800001;05.01.2026;04.02.2026;1.234,50;ab",
             "FR01;C002;DG;1600001;07.01.2026;07.01.2026;20,00;ab"]
    path = write(tmp_path, "fbl5n.csv", lines, header=header)
    _row, columns = both_paths(lambda c: [import_erp_file("items", path, by=SYSTEM, mapping=mapping, columnar=c)])
    assert columns[0].path == "columns" and columns[0].created == 2


def test_a_bulk_load_over_several_blocks(tmp_path, customers, monkeypatch):
    monkeypatch.setattr(imports_module, "_COLUMN_BLOCK", 7)
    lines = [f"{entity},C001,{'payment' if n % 7 == 6 else 'invoice'},N-{n},2026-01-05,2026-02-04,EUR,"
             f"{100 + n}.00,{40 if n % 3 == 0 else 100 + n}.00" for entity in ("FR01", "DE01") for n in range(30)]
    path = write(tmp_path, "items.csv", lines)

    def scenario(columnar: bool) -> list:  # type: ignore[type-arg]
        return [import_erp_file("items", path, by=SYSTEM, bulk_min_items=20, columnar=columnar),
                import_erp_file("items", path, by=SYSTEM, bulk_min_items=20, columnar=columnar)]

    _row, columns = both_paths(scenario)
    assert columns[0].path == "columns" and columns[0].bulk_load and columns[0].created == 60
    assert columns[1].unchanged == 60


def test_xlsx_json_and_quoted_csv_go_row_by_row(tmp_path, customers):
    path = write(tmp_path, "items.csv", ['"FR01",C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,10.00,10.00'])
    report = import_erp_file("items", path, by=SYSTEM)
    assert report.path == "per row" and report.ok
