"""Re-importing item extracts: idempotency, ERP clearings as allocations, no double counting with
what Incasso applied itself, dry runs, and the re-import property."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.ledger.actions import allocate, import_erp_file
from incasso.ledger.choices import AllocationSource
from incasso.ledger.models import Allocation, Customer, ImportBatch, Item
from incasso.testing.builders import a_customer, an_entity

pytestmark = pytest.mark.django_db

HEADER = "entity,account,kind,number,document_date,due_date,currency,amount,open_amount\n"


def extract(tmp_path, *lines: str, name: str = "items.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def customer():  # type: ignore[no-untyped-def]
    return a_customer(an_entity(code="FR01"), account="C001")


def live_allocations(item: Item) -> list[tuple[str, Decimal]]:
    return sorted(
        (a.source, a.amount)
        for a in Allocation.objects.filter(reversed_on__isnull=True).filter(debit_item=item)
        | Allocation.objects.filter(reversed_on__isnull=True).filter(credit_item=item)
    )


def test_importing_the_same_file_twice_changes_nothing(tmp_path, customer):
    # given an extract with an untouched invoice, a part-cleared one and a payment
    path = extract(tmp_path,
                   "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
                   "FR01,C001,invoice,INV-2,2026-01-06,2026-02-05,EUR,500.00,200.00",
                   "FR01,C001,payment,PAY-1,2026-01-20,2026-01-20,EUR,300.00,300.00")
    first = import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 10))
    assert (first.created, first.updated, first.unchanged, first.allocations_created) == (3, 0, 0, 1)
    allocations_before = list(Allocation.objects.values_list("id", "amount", "reversed_on"))
    events_before = AuditEvent.objects.exclude(kind="import.completed").count()
    # when the same file is imported again, a day later
    second = import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 2, 11))
    # then the counts say so and nothing moved
    assert second.errors == []
    assert (second.rows, second.created, second.updated, second.unchanged) == (3, 0, 0, 3)
    assert (second.allocations_created, second.allocations_reversed) == (0, 0)
    assert list(Allocation.objects.values_list("id", "amount", "reversed_on")) == allocations_before
    assert AuditEvent.objects.exclude(kind="import.completed").count() == events_before
    assert ImportBatch.objects.filter(kind="items").count() == 2  # both files are on record


def test_updated_extract_with_a_lower_open_amount_adds_an_erp_allocation(tmp_path, customer):
    # given an invoice of 1,000.00 of which the ERP had cleared 100.00
    import_erp_file("items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,900.00"),
                    by=SYSTEM, as_of=date(2026, 2, 1))
    first_erp = Allocation.objects.get()
    # when tomorrow's extract shows it open for 250.00
    report = import_erp_file(
        "items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,250.00",
                         name="items-2.csv"),
        by=SYSTEM, as_of=date(2026, 2, 2))
    # then the earlier ERP allocation is reversed (kept), a new one of 750.00 replaces it
    assert (report.updated, report.allocations_created, report.allocations_reversed) == (1, 1, 1)
    invoice = Item.objects.get(number="INV-1")
    assert invoice.open_amount == Decimal("250.00")
    assert invoice.last_activity_on == date(2026, 2, 2)
    first_erp.refresh_from_db()
    assert first_erp.reversed_on == date(2026, 2, 2)
    assert live_allocations(invoice) == [("erp", Decimal("750.00"))]
    assert Allocation.objects.count() == 2
    # and the change is audited with before and after
    event = AuditEvent.objects.get(kind="item.updated", subject_id=str(invoice.pk))
    assert event.before["open_amount"] == "900.00" and event.after["open_amount"] == "250.00"
    assert event.customer_id == customer.pk


def test_what_incasso_allocated_is_not_counted_twice_when_the_erp_books_it(tmp_path, customer):
    # given an invoice of 1,000.00 imported fully open, and a payment of 400.00 Incasso applied to it
    import_erp_file("items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
                                     "FR01,C001,payment,PAY-1,2026-01-25,2026-01-25,EUR,400.00,400.00"),
                    by=SYSTEM, as_of=date(2026, 1, 26))
    invoice, payment = Item.objects.get(number="INV-1"), Item.objects.get(number="PAY-1")
    allocate(invoice.pk, payment.pk, Decimal("400.00"), date(2026, 1, 27), by=SYSTEM,
             source=AllocationSource.CASH_APPLICATION)
    # when the ERP extract shows the invoice with 600.00 open and the payment cleared
    report = import_erp_file(
        "items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,600.00",
                         "FR01,C001,payment,PAY-1,2026-01-25,2026-01-25,EUR,400.00,0.00", name="items-2.csv"),
        by=SYSTEM, as_of=date(2026, 1, 28))
    # then no ERP allocation is added: the ERP's clearing is the one Incasso already made
    assert report.errors == []
    assert (report.updated, report.unchanged, report.allocations_created) == (0, 2, 0)
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.open_amount, payment.open_amount) == (Decimal("600.00"), Decimal("0.00"))
    assert live_allocations(invoice) == [("cashapp", Decimal("400.00"))]
    # and when the ERP later clears 300.00 more, only that difference becomes an ERP allocation
    later = import_erp_file(
        "items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,300.00",
                         name="items-3.csv"),
        by=SYSTEM, as_of=date(2026, 2, 3))
    assert (later.updated, later.allocations_created) == (1, 1)
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("300.00")
    assert live_allocations(invoice) == [("cashapp", Decimal("400.00")), ("erp", Decimal("300.00"))]


def test_an_erp_extract_behind_incasso_keeps_incassos_allocation(tmp_path, customer):
    # given Incasso applied 400.00 that the ERP has not booked yet (the extract still says 1,000.00 open)
    path = extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
                   "FR01,C001,payment,PAY-1,2026-01-25,2026-01-25,EUR,400.00,400.00")
    import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 1, 26))
    invoice, payment = Item.objects.get(number="INV-1"), Item.objects.get(number="PAY-1")
    allocate(invoice.pk, payment.pk, Decimal("400.00"), date(2026, 1, 27), by=SYSTEM)
    # when the same extract comes again
    report = import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 1, 28))
    # then Incasso's view stands
    assert (report.updated, report.unchanged) == (0, 2)
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("600.00")


def test_changed_amount_is_updated_with_before_and_after(tmp_path, customer):
    import_erp_file("items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,"),
                    by=SYSTEM, as_of=date(2026, 1, 6))
    report = import_erp_file(
        "items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-14,EUR,1200.00,", name="b.csv"),
        by=SYSTEM, as_of=date(2026, 1, 7))
    assert report.updated == 1
    invoice = Item.objects.get(number="INV-1")
    assert (invoice.amount, invoice.open_amount, invoice.due_date) == (
        Decimal("1200.00"), Decimal("1200.00"), date(2026, 2, 14))
    event = AuditEvent.objects.get(kind="item.updated")
    assert event.before == {"due_date": "2026-02-04", "amount": "1000.00", "open_amount": "1000.00"}
    assert event.after == {"due_date": "2026-02-14", "amount": "1200.00", "open_amount": "1200.00"}


def test_amount_below_what_incasso_allocated_is_rejected(tmp_path, customer):
    import_erp_file("items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
                                     "FR01,C001,payment,PAY-1,2026-01-25,2026-01-25,EUR,800.00,800.00"),
                    by=SYSTEM, as_of=date(2026, 1, 26))
    invoice, payment = Item.objects.get(number="INV-1"), Item.objects.get(number="PAY-1")
    allocate(invoice.pk, payment.pk, Decimal("800.00"), date(2026, 1, 27), by=SYSTEM)
    report = import_erp_file(
        "items", extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,700.00,700.00", name="b.csv"),
        by=SYSTEM, as_of=date(2026, 1, 28))
    assert report.errors == [
        "b.csv:2: column amount: amount 700.00 is below the 800.00 Incasso already allocated to invoice INV-1"]
    invoice.refresh_from_db()
    assert (invoice.amount, invoice.open_amount) == (Decimal("1000.00"), Decimal("200.00"))


def test_dry_run_writes_nothing(tmp_path, customer, capsys):
    path = extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,400.00")
    call_command("import", "items", str(path), "--dry-run", "--as-of", "2026-02-01")
    out = capsys.readouterr().out
    assert "would create item FR01 invoice INV-1" in out
    assert "would be created 1, would be updated 0" in out
    assert not Item.objects.exists() and not Allocation.objects.exists()
    assert not ImportBatch.objects.exists() and not AuditEvent.objects.exists()


def test_command_prints_the_summary(tmp_path, customer, capsys):
    path = extract(tmp_path, "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,400.00")
    call_command("import", "items", str(path), "--as-of", "2026-02-01")
    out = capsys.readouterr().out
    assert "items.csv: 1 rows, created 1, updated 0, unchanged 0; ERP allocations created 1, reversed 0" in out
    assert "rows/s" in out


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@st.composite
def item_lines(draw):  # type: ignore[no-untyped-def]
    count = draw(st.integers(min_value=1, max_value=12))
    lines = []
    for n in range(count):
        amount = draw(amounts)
        open_amount = draw(st.decimals(min_value=Decimal("0"), max_value=amount, places=2))
        kind = draw(st.sampled_from(["invoice", "credit_note", "payment", "fee", "debit_note"]))
        document_date = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
        due = document_date + timedelta(days=draw(st.integers(0, 60)))
        lines.append(f"FR01,C001,{kind},N-{n},{document_date},{due},EUR,{amount},{open_amount}")
    return lines


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=item_lines())
def test_reimporting_any_items_file_changes_nothing(tmp_path, lines):
    # every example runs inside the one test transaction: start each from an empty ledger
    Allocation.objects.all().delete()
    Item.objects.all().delete()
    if not Customer.objects.filter(account="C001", entity__code="FR01").exists():
        a_customer(an_entity(code="FR01"), account="C001")
    path = extract(tmp_path, *lines)
    first = import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 12, 1))
    assert first.errors == [] and first.created == len(lines)
    snapshot = list(Item.objects.order_by("id").values_list("id", "amount", "open_amount", "last_activity_on"))
    allocations = list(Allocation.objects.order_by("id").values_list("id", "amount", "reversed_on"))
    again = import_erp_file("items", path, by=SYSTEM, as_of=date(2026, 12, 2))
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(lines))
    assert list(Item.objects.order_by("id").values_list("id", "amount", "open_amount", "last_activity_on")) == snapshot
    assert list(Allocation.objects.order_by("id").values_list("id", "amount", "reversed_on")) == allocations
    # and the ledger says what the ERP says
    expected = {line.split(",")[3]: Decimal(line.split(",")[8]) for line in lines}
    assert dict(Item.objects.values_list("number", "open_amount")) == expected



def test_a_stale_extract_does_not_reopen_what_incasso_cleared_today(tmp_path):
    # given an invoice of 1,000.00 the ERP has cleared 300.00 of, imported on 20 Nov
    from datetime import date
    from decimal import Decimal

    from incasso.audit.events import SYSTEM
    from incasso.ledger.actions import allocate, import_erp_file
    from incasso.ledger.choices import ItemKind
    from incasso.ledger.models import Item
    from incasso.testing.builders import a_customer, an_entity, an_item

    entity = an_entity("FR01")
    customer = a_customer(entity, account="C1")
    extract = tmp_path / "items.csv"
    header = "entity,account,kind,number,document_date,due_date,currency,amount,open_amount\n"
    extract.write_text(header + "FR01,C1,invoice,INV-1,2026-10-01,2026-10-31,EUR,1000.00,700.00\n")
    import_erp_file("items", extract, by=SYSTEM, as_of=date(2026, 11, 20))
    invoice = Item.objects.get(number="INV-1")
    # when cash application applies 700.00 the same day and the same extract is imported again
    payment = an_item(customer, "PAY-1", kind=ItemKind.PAYMENT, amount="700.00")
    allocate(invoice.pk, payment.pk, Decimal("700"), date(2026, 11, 20), by=SYSTEM)
    report = import_erp_file("items", extract, by=SYSTEM, as_of=date(2026, 11, 20))
    # then nothing changes: the extract cannot know today's cash application
    invoice.refresh_from_db()
    assert invoice.open_amount == 0 and report.updated == 0
    # and the next day's extract, with the 700.00 booked in the ERP, does not count it twice
    extract.write_text(header + "FR01,C1,invoice,INV-1,2026-10-01,2026-10-31,EUR,1000.00,0.00\n")
    import_erp_file("items", extract, by=SYSTEM, as_of=date(2026, 11, 21))
    invoice.refresh_from_db()
    assert invoice.open_amount == 0
    assert sum(a.amount for a in invoice.debit_allocations.filter(reversed_on=None)) == Decimal("1000.00")
