"""The bulk-load path of large item imports: indexes and foreign keys dropped for the load and
rebuilt in the same transaction. It must write exactly what the per-row path writes, roll back
completely (schema included) when a row is rejected, and leave the schema as the migrations made it.

The threshold is lowered to a few rows through ``bulk_min_items`` so the path runs on small files."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.ledger.actions import import_erp_file
from incasso.ledger.actions.import_items import bulk_load_possible
from incasso.ledger.importers.sql import BulkLoad, bulk_session, check_foreign_keys
from incasso.ledger.models import Allocation, ImportBatch, Item
from incasso.testing.builders import a_customer, an_entity

pytestmark = pytest.mark.django_db

HEADER = "entity,account,kind,number,document_date,due_date,currency,amount,open_amount\n"
LOW = 20  # bulk_min_items in these tests


@pytest.fixture
def customers():  # type: ignore[no-untyped-def]
    france, germany = an_entity(code="FR01"), an_entity(code="DE01")
    return a_customer(france, account="C001"), a_customer(germany, account="C001")


def extract(tmp_path, lines: list[str], name: str = "items.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines))
    return path


def new_lines(entity: str, count: int, prefix: str = "INV") -> list[str]:
    """Invoices, every third part-cleared by the ERP, and a few payments."""
    lines = []
    for n in range(count):
        kind = "payment" if n % 7 == 6 else "invoice"
        open_amount = "40.00" if n % 3 == 0 else f"{100 + n}.00"
        lines.append(f"{entity},C001,{kind},{prefix}-{n},2026-01-{1 + n % 28:02d},2026-02-{1 + n % 28:02d},"
                     f"EUR,{100 + n}.00,{open_amount}")
    return lines


def schema() -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Indexes and constraints of ledger_item and ledger_allocation as the database reports them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes "
                           "WHERE tablename IN ('ledger_item', 'ledger_allocation') ORDER BY 1, 2")
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), convalidated, "
                "condeferrable, condeferred FROM pg_constraint WHERE conrelid IN "
                "('ledger_item'::regclass, 'ledger_allocation'::regclass) OR confrelid = 'ledger_item'::regclass "
                "ORDER BY 1, 2")
            return {"indexes": indexes, "constraints": cursor.fetchall()}
        cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                       "WHERE tbl_name IN ('ledger_item', 'ledger_allocation') ORDER BY name")
        objects = cursor.fetchall()
        cursor.execute("PRAGMA foreign_keys")
        return {"objects": objects, "foreign_keys": cursor.fetchall()}


def what_was_written() -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Items, allocations and audit events, keyed by business keys (ids and record times differ)."""
    items = sorted(Item.objects.values_list(
        "entity__code", "customer__account", "kind", "number", "document_date", "posting_date", "due_date",
        "currency", "amount", "open_amount", "amount_entity", "reference", "external_id", "text",
        "last_activity_on"))
    allocations = sorted(
        (a.debit_item.number if a.debit_item else "", a.credit_item.number if a.credit_item else "",
         a.amount, a.currency, a.date, a.source, a.note, a.reversed_on, a.reversal_reason)
        for a in Allocation.objects.select_related("debit_item", "credit_item"))
    events = sorted((e.kind, e.subject_type, e.message, str(e.before), str(e.after))
                    for e in AuditEvent.objects.exclude(kind="import.completed"))
    completed = sorted({k: v for k, v in e.after.items() if k != "sha256"}.__repr__()
                       for e in AuditEvent.objects.filter(kind="import.completed"))
    return {"items": items, "allocations": allocations, "events": events, "completed": completed}


def two_imports(tmp_path, bulk_min_items: int):  # type: ignore[no-untyped-def]
    """A first small extract for FR01, then one that updates two of its items, adds 30 more to FR01
    (new among existing ones) and 30 to DE01 (an entity without items: written while reading)."""
    first = extract(tmp_path, new_lines("FR01", 3, "OLD"), name="first.csv")
    reports = [import_erp_file("items", first, by=SYSTEM, as_of=date(2026, 2, 1), bulk_min_items=bulk_min_items)]
    changed = ["FR01,C001,invoice,OLD-0,2026-01-01,2026-02-01,EUR,100.00,10.00",
               "FR01,C001,invoice,OLD-1,2026-01-02,2026-02-02,EUR,150.00,150.00",
               "FR01,C001,invoice,OLD-2,2026-01-03,2026-02-03,EUR,102.00,102.00"]
    second = extract(tmp_path, changed + new_lines("FR01", 30) + new_lines("DE01", 30), name="second.csv")
    reports.append(import_erp_file("items", second, by=SYSTEM, as_of=date(2026, 2, 2),
                                   bulk_min_items=bulk_min_items))
    return reports


def test_a_bulk_import_writes_what_the_per_row_path_writes(tmp_path, customers):
    # given the two extracts imported the ordinary way (then rolled back: audit events cannot be deleted)
    with transaction.atomic():
        ordinary = two_imports(tmp_path, bulk_min_items=1_000_000)
        written_per_row = what_was_written()
        transaction.set_rollback(True)
    assert [r.bulk_load for r in ordinary] == [False, False]
    assert Item.objects.count() == 0 and ImportBatch.objects.count() == 0
    # when the same extracts are imported with the bulk threshold at 20 new items
    bulk = two_imports(tmp_path, bulk_min_items=LOW)
    # then the second one took the bulk path, and the items, allocations and audit are the same
    assert [r.bulk_load for r in bulk] == [False, True]
    assert [(r.created, r.updated, r.unchanged, r.allocations_created, r.allocations_reversed) for r in bulk] == \
        [(r.created, r.updated, r.unchanged, r.allocations_created, r.allocations_reversed) for r in ordinary]
    assert bulk[1].created == 60 and bulk[1].updated == 2
    assert what_was_written() == written_per_row


def test_a_bulk_import_with_a_bad_row_rolls_back_and_keeps_the_schema(tmp_path, customers, monkeypatch):
    # given items already there, and the schema as the migrations made it
    begun = []
    original_begin = BulkLoad.begin
    monkeypatch.setattr(BulkLoad, "begin", lambda self: (begun.append(True), original_begin(self))[1])
    import_erp_file("items", extract(tmp_path, new_lines("FR01", 3, "OLD"), name="first.csv"), by=SYSTEM)
    before_schema, before_rows = schema(), what_was_written()
    # when a large file (the bulk path starts after 20 new items) has a bad row near its end
    lines = new_lines("DE01", 40) + ["DE01,C001,invoice,BAD-1,2026-01-05,2026-02-04,EUR,100.00,100.01"]
    # (the per-row path: it drops them while reading; the staged path checks the whole file first)
    report = import_erp_file("items", extract(tmp_path, lines), by=SYSTEM, bulk_min_items=LOW, staged=False)
    # then the file is refused naming the row, nothing of it was kept, and the indexes and keys are back
    assert report.errors == ["items.csv:42: column open_amount: open amount 100.01 is above the amount 100.00"]
    assert begun == [True]  # the indexes and keys had been dropped when the bad row came
    assert (report.created, report.bulk_load) == (0, False)
    assert what_was_written() == before_rows
    assert schema() == before_schema


@pytest.mark.django_db(transaction=True)
def test_after_a_bulk_import_the_schema_is_identical(tmp_path, customers):
    # given the schema as the migrations made it (committed transactions: SQLite's foreign keys are
    # switched off for the import and must be on again afterwards)
    before = schema()
    # when a large file is imported through the bulk path and committed
    report = import_erp_file("items", extract(tmp_path, new_lines("FR01", 30) + new_lines("DE01", 30)),
                             by=SYSTEM, as_of=date(2026, 2, 1), bulk_min_items=LOW)
    # then every index and constraint has its name and definition again, validated
    assert report.errors == [] and report.bulk_load and report.created == 60
    assert schema() == before
    assert Item.objects.count() == 60
    # and the rebuilt unique constraint still guards (entity, kind, number)
    item = Item.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(entity=item.entity, customer=item.customer, kind=item.kind, number=item.number,
                            document_date=item.document_date, due_date=item.due_date, currency="EUR",
                            amount=item.amount, open_amount=item.amount)


@pytest.mark.django_db(transaction=True)
def test_a_broken_reference_fails_the_check_of_a_relaxed_sqlite_import(customers):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its foreign keys on; the bulk path validates them set-based")
    # given a SQLite import session with per-row foreign key checks off
    with bulk_session(relax_foreign_keys=True), pytest.raises(IntegrityError, match="ledger_item row"), \
            transaction.atomic():
        # when an item refers to a customer that does not exist
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_item (entity_id, customer_id, kind, number, document_date, due_date, currency, "
                "amount, open_amount, reference, external_id, text, created_at) VALUES "
                "(%s, 999999, 'invoice', 'X-1', '2026-01-01', '2026-02-01', 'EUR', 10, 10, '', '', '', "
                "'2026-01-01 00:00:00')", [customers[0].entity_id])
        # then the check before commit refuses it
        check_foreign_keys("ledger_item", "ledger_allocation")
    assert Item.objects.count() == 0


@pytest.mark.parametrize(("file_rows", "stored", "expected"), [
    (1_000_000, 0, True),            # first load of a large extract
    (1_000_000, 1_000_000, True),    # a full extract again (bulk only if 50,000 of its rows are new)
    (60_000, 1_000_000, False),      # a daily delta into a large table keeps the per-row path
    (49_999, 0, False),              # too small to be worth the rebuild
])
def test_when_the_bulk_path_may_be_taken(file_rows, stored, expected):
    assert bulk_load_possible(file_rows, stored) is expected
