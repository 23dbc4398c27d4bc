"""The Arrow first import (``ledger.actions.import_arrow``, PostgreSQL) against the block-wise
column path and the per-row path: the same database state (items, allocations, audit, id order)
and the same report, or, for a file it cannot vouch for, the other paths taking it whole. On SQLite
the Arrow path never applies and the three runs are the block-wise and per-row paths."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction

from incasso.audit.events import SYSTEM
from incasso.ledger.actions import import_erp_file
from incasso.ledger.models import Allocation, Item
from incasso.ledger.tests.test_import_staged import FULL_HEADER, HEADER, customers, state, summary, write

pytestmark = pytest.mark.django_db
__all__ = ["customers"]

ON_POSTGRES = connection.vendor == "postgresql"
PATHS = {"per row": {"columnar": False}, "blocks": {"arrow": False}, "arrow": {}}

FULL = [  # every optional column but amount_entity, kinds and dates to map, part-cleared rows
    "FR01,C001,invoice,F-1,2026-01-05,2026-02-04,EUR,1234.50,1000.00,Réf é,2026-01-06,X1,Texte,",
    "FR01,C002,payment,P-1,2026-01-06,2026-01-06,EUR,500.00,0.00,,,,,2026-01-20",
    "DE01,C001,Invoice,D-1,07.01.2026,06.02.2026,EUR,12.50,12.50,a\\b,,,Müller & Söhne,",   # a backslash
    "DE01,C001,credit_note,D-2,08/01/2026,08/01/2026,USD,80.10,30.00,,2026-01-08,,,",
    "FR01,C001,fee,F-2,2026-01-09,2026-02-08,EUR,0.05,0.01,PO 7,,E-9,,2026-01-31",
    "FR01,C002,invoice,9,2026-01-10,2026-02-09,EUR,99999999.99,0.00,,,,,",
]


def all_paths(scenario) -> dict[str, list]:  # type: ignore[no-untyped-def,type-arg]
    """Run ``scenario(options)`` once per path in a rolled-back transaction; assert the same
    outcome everywhere; return the reports by path."""
    outcomes, reports = {}, {}
    for name, options in PATHS.items():
        with transaction.atomic():
            reports[name] = scenario(options)
            outcomes[name] = ([summary(r) + (r.bulk_load,) for r in reports[name]], state())
            transaction.set_rollback(True)
    assert outcomes["arrow"] == outcomes["blocks"]
    assert outcomes["arrow"] == outcomes["per row"]
    assert not any(r.arrow for r in reports["blocks"] + reports["per row"])
    return reports


def test_a_first_import_with_every_optional_column(tmp_path, customers):
    path = write(tmp_path, "items.csv", FULL, header=FULL_HEADER.replace(",amount_entity", ""))
    reports = all_paths(lambda o: [import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 1), **o)])
    (arrow,) = reports["arrow"]
    assert arrow.arrow == ON_POSTGRES and arrow.path == "columns"
    assert arrow.created == 6 and arrow.allocations_created == 5 and len(arrow.planned) == 6


def test_a_large_first_import_takes_the_bulk_load_and_reimports_unchanged(tmp_path, customers):
    lines = [f"{entity},C00{1 + n % 2 if entity == 'FR01' else 1},{'payment' if n % 7 == 6 else 'invoice'},"
             f"N-{n},2026-01-{1 + n % 28:02d},2026-02-{1 + n % 28:02d},EUR,{100 + n}.{n % 100:02d},"
             f"{40 if n % 3 == 0 else 100 + n}.{n % 100:02d}" for entity in ("FR01", "DE01") for n in range(40)]
    path = write(tmp_path, "items.csv", lines)

    def scenario(options: dict) -> list:  # type: ignore[type-arg]
        return [import_erp_file("items", path, by=SYSTEM, bulk_min_items=20, **options),
                import_erp_file("items", path, by=SYSTEM, bulk_min_items=20, **options)]

    reports = all_paths(scenario)
    first, again = reports["arrow"]
    assert first.arrow == ON_POSTGRES and first.bulk_load and first.created == 80 and len(first.planned) == 20
    assert not again.arrow and again.unchanged == 80  # a re-import: entities with items take the blocks


@pytest.mark.parametrize("line", [
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,500,200.50",       # a plain amount, padded
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,500.00,",          # open amount defaults to amount
    "FR01,C001,invoice, INV-9 ,2026-01-05,2026-02-04,EUR,500.00,500.00",  # spaces around a value
    "FR01,C001,invoice,\u00a0INV-9,2026-01-05,2026-02-04,EUR,5.00,5.00",  # a no-break space
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,KWD,1.234,1.000",      # three decimals
    "FR01,C009,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",      # unknown customer
    "XX99,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",      # unknown entity
    "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,10.00,10.00",      # a duplicate
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.01",      # open above amount
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,0.00,0.00",        # zero
    "FR01,C001,invoice,INV-9,2026-02-30,2026-02-04,EUR,10.00,10.00",      # no such date
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00",            # a field short
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00,x",    # a field too many
    "FR01,C001,bill,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",         # unknown kind
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,XYZ,10.00,10.00",      # unknown currency
    "FR01,C001,invoice," + "N" * 41 + ",2026-01-05,2026-02-04,EUR,10.00,10.00",  # too long
    "",                                                                   # an empty line in the middle
])
def test_a_row_the_arrow_check_is_not_sure_of_sends_the_file_to_the_other_paths(tmp_path, customers, line):
    lines = [f"FR01,C001,invoice,INV-{n},2026-01-05,2026-02-04,EUR,{n + 1}.00,{n + 1}.00" for n in range(1, 6)]
    lines[3:3] = [line]
    path = write(tmp_path, "items.csv", lines)
    reports = all_paths(lambda o: [import_erp_file("items", path, by=SYSTEM, **o)])
    (arrow,) = reports["arrow"]
    assert not arrow.arrow
    if not arrow.ok:
        assert Item.objects.count() == 0 and Allocation.objects.count() == 0


def test_dry_runs_and_semicolons(tmp_path, customers):
    lines = ["FR01;C001;invoice;INV-1;2026-01-05;2026-02-04;EUR;10.00;4.00",
             "DE01;C001;invoice;INV-1;2026-01-05;2026-02-04;EUR;10.00;10.00"]
    path = write(tmp_path, "items.csv", lines, header=HEADER.replace(",", ";"))
    reports = all_paths(lambda o: [import_erp_file("items", path, by=SYSTEM, dry_run=True, **o),
                                   import_erp_file("items", path, by=SYSTEM, **o)])
    dry, real = reports["arrow"]
    assert not dry.arrow and dry.created == 2
    assert real.arrow == ON_POSTGRES and real.created == 2 and real.allocations_created == 1
