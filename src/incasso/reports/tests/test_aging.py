"""Aging as of a date: worked stories, groupings, entity-local today around midnight and DST,
reporting currencies, drill-down and the daily snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.core.aging import AgingError, parse_buckets
from incasso.ledger.actions import allocate, reverse_allocation
from incasso.ledger.choices import ItemKind
from incasso.reports.actions import take_aging_snapshot
from incasso.reports.aging import aging_items, aging_report
from incasso.reports.models import AgingSnapshot, ExchangeRate, rates_on
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = pytest.mark.django_db

D = Decimal


def amounts(report, group=None):  # type: ignore[no-untyped-def]
    rows = [row for row in report.rows if group is None or row.group == group]
    assert len(rows) == 1, rows
    return [str(a) for a in rows[0].amounts]


def test_a_backdated_aging_does_not_subtract_later_payments():
    # given an invoice of 1,000.00 due 31 March, paid 400.00 on 15 April and 600.00 on 20 May
    customer = a_customer(an_entity(code="FR01", name="France"), account="C1", name="Dupont")
    invoice = an_item(customer, "INV-1", amount="1000.00", document_date=date(2026, 3, 1),
                      due_date=date(2026, 3, 31))
    payment = an_item(customer, "PAY-1", kind=ItemKind.PAYMENT, amount="400.00", document_date=date(2026, 4, 15))
    credit = an_item(customer, "CN-1", kind=ItemKind.CREDIT_NOTE, amount="600.00", document_date=date(2026, 5, 20))
    allocate(invoice.pk, payment.pk, D("400"), date(2026, 4, 15), by=SYSTEM)
    allocate(invoice.pk, credit.pk, D("600"), date(2026, 5, 20), by=SYSTEM)
    # when aged as of 10 April (before any payment), 30 April and 31 May
    april_10 = aging_report(date(2026, 4, 10))
    april_30 = aging_report(date(2026, 4, 30))
    may_31 = aging_report(date(2026, 5, 31))
    # then 10 April sees the whole invoice 10 days overdue, 30 April the rest 30 days overdue
    assert amounts(april_10, "FR01/C1 Dupont") == ["0.00", "1000.00", "0.00", "0.00", "0.00", "0.00", "0.00"]
    assert amounts(april_30, "FR01/C1 Dupont") == ["0.00", "600.00", "0.00", "0.00", "0.00", "0.00", "0.00"]
    assert april_30.rows[0].item_count == 1
    # and on 31 May everything is cleared
    assert may_31.rows == []


def test_a_reversal_after_the_date_does_not_reopen_the_past_and_one_before_it_does():
    customer = a_customer(account="C1")
    invoice = an_item(customer, amount="500.00", document_date=date(2026, 1, 1), due_date=date(2026, 1, 10))
    payment = an_item(customer, kind=ItemKind.PAYMENT, amount="500.00", document_date=date(2026, 2, 1))
    allocation = allocate(invoice.pk, payment.pk, D("500"), date(2026, 2, 1), by=SYSTEM)
    reverse_allocation(allocation.pk, date(2026, 3, 1), by=SYSTEM, reason="bounced")
    # as of 15 February the invoice was paid; as of 15 March the bounced payment left both open
    assert aging_report(date(2026, 2, 15)).rows == []
    march = aging_report(date(2026, 3, 15), by="currency")
    assert amounts(march) == ["0.00", "0.00", "-500.00", "500.00", "0.00", "0.00", "0.00"]
    assert march.rows[0].total == 0 and march.rows[0].item_count == 2


def test_items_not_yet_issued_on_the_date_are_left_out():
    customer = a_customer()
    an_item(customer, amount="100.00", document_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
    assert aging_report(date(2026, 5, 31)).rows == []
    assert aging_report(date(2026, 6, 1)).rows[0].amounts[0] == D("100.00")


def test_groupings_labels_and_document_date_basis():
    from django.contrib.auth.models import User

    anna = User.objects.create(username="anna")
    fr = an_entity(code="FR01", name="Incasso France")
    ro = an_entity(code="RO01", name="Incasso Romania", currency="RON", timezone="Europe/Bucharest")
    dupont = a_customer(fr, account="C1", name="Dupont", collector=anna)
    popescu = a_customer(ro, account="C9", name="Popescu")
    an_item(dupont, amount="100.00", document_date=date(2026, 1, 1), due_date=date(2026, 3, 1))
    an_item(popescu, amount="250.00", document_date=date(2026, 1, 1), due_date=date(2026, 3, 1))
    as_of = date(2026, 3, 10)
    assert [r.group for r in aging_report(as_of).rows] == ["FR01/C1 Dupont", "RO01/C9 Popescu"]
    assert [r.group for r in aging_report(as_of, by="entity").rows] == ["FR01 Incasso France", "RO01 Incasso Romania"]
    assert [r.group for r in aging_report(as_of, by="collector").rows] == ["(unassigned)", "anna"]
    assert [(r.group, r.currency) for r in aging_report(as_of, by="currency").rows] == [("EUR", "EUR"), ("RON", "RON")]
    assert [r.group for r in aging_report(as_of, collector_id=anna.pk).rows] == ["FR01/C1 Dupont"]
    assert [r.group for r in aging_report(as_of, entity_ids=[ro.pk]).rows] == ["RO01/C9 Popescu"]
    # by due date 9 days overdue; by document date 68 days old
    assert aging_report(as_of, by="currency").rows[0].amounts[1] == D("100.00")
    assert aging_report(as_of, by="currency", basis="document_date").rows[0].amounts[3] == D("100.00")


def test_a_backdated_aging_adds_the_changes_up_per_grouping_and_scope():
    # The open-now and changes parts are added up in the database (a FULL JOIN on PostgreSQL, a LEFT
    # JOIN plus the changed-only groups on SQLite): a customer paid in full after the date has
    # nothing open now and must still appear as of the date, in every grouping and scope.
    from django.contrib.auth.models import User

    anna = User.objects.create(username="anna")
    fr = an_entity(code="FR01", name="Incasso France")
    ro = an_entity(code="RO01", name="Incasso Romania", currency="RON", timezone="Europe/Bucharest")
    paid_later = a_customer(fr, account="C1", name="Dupont", collector=anna)
    partly = a_customer(fr, account="C2", name="Martin", collector=anna)
    other = a_customer(ro, account="C9", name="Popescu")
    invoice = an_item(paid_later, amount="300.00", document_date=date(2026, 1, 1), due_date=date(2026, 2, 1))
    payment = an_item(paid_later, kind=ItemKind.PAYMENT, amount="300.00", document_date=date(2026, 4, 1))
    allocate(invoice.pk, payment.pk, D("300"), date(2026, 4, 1), by=SYSTEM)
    open_invoice = an_item(partly, amount="80.00", document_date=date(2026, 1, 5), due_date=date(2026, 2, 5))
    credit = an_item(partly, kind=ItemKind.CREDIT_NOTE, amount="30.00", document_date=date(2026, 1, 20))
    allocate(open_invoice.pk, credit.pk, D("30"), date(2026, 3, 20), by=SYSTEM)
    an_item(other, amount="50.00", document_date=date(2026, 1, 1), due_date=date(2026, 3, 1))
    as_of = date(2026, 3, 10)  # before both allocations: C1's 300.00 and C2's 80.00 and -30.00 are open
    by_customer = aging_report(as_of)
    assert [(r.group, r.total, r.item_count) for r in by_customer.rows] == [
        ("FR01/C1 Dupont", D("300.00"), 1), ("FR01/C2 Martin", D("50.00"), 2), ("RO01/C9 Popescu", D("50.00"), 1),
    ]
    # both 31-60 days past due: the invoice (due 5 February) and the credit note (due 20 January)
    assert amounts(by_customer, "FR01/C2 Martin") == ["0.00", "0.00", "50.00", "0.00", "0.00", "0.00", "0.00"]
    assert [(r.group, r.total, r.item_count) for r in aging_report(as_of, by="entity").rows] == [
        ("FR01 Incasso France", D("350.00"), 3), ("RO01 Incasso Romania", D("50.00"), 1),
    ]
    assert [(r.group, r.total) for r in aging_report(as_of, by="collector").rows] == [
        ("(unassigned)", D("50.00")), ("anna", D("350.00")),
    ]
    assert [(r.group, r.total) for r in aging_report(as_of, collector_id=anna.pk).rows] == [
        ("FR01/C1 Dupont", D("300.00")), ("FR01/C2 Martin", D("50.00")),
    ]
    assert [r.group for r in aging_report(as_of, customer_ids=[paid_later.pk]).rows] == ["FR01/C1 Dupont"]
    assert [r.group for r in aging_report(as_of, entity_ids=[ro.pk]).rows] == ["RO01/C9 Popescu"]
    # the drill-down rebuilds the same items as of the date (touched since: from their allocations)
    assert [(i.item_id, i.signed_open_amount) for i in aging_items(as_of, customer_id=paid_later.pk)] == [
        (invoice.pk, D("300.00")),
    ]
    assert sorted((i.item_id, i.signed_open_amount) for i in aging_items(as_of, customer_id=partly.pk)) == [
        (open_invoice.pk, D("80.00")), (credit.pk, D("-30.00")),
    ]
    # and today only what is still open: C2's 50.00 and C9's 50.00
    assert [(r.group, r.total) for r in aging_report(date(2026, 5, 1)).rows] == [
        ("FR01/C2 Martin", D("50.00")), ("RO01/C9 Popescu", D("50.00")),
    ]


def test_custom_buckets_and_bad_parameters():
    customer = a_customer()
    an_item(customer, amount="80.00", due_date=date(2026, 1, 1))
    report = aging_report(date(2026, 1, 15), buckets=parse_buckets("current,1-14,>14"))
    assert amounts(report) == ["0.00", "80.00", "0.00"]
    with pytest.raises(AgingError, match="group by 'region'"):
        aging_report(date(2026, 1, 15), by="region")
    with pytest.raises(AgingError, match="basis"):
        aging_report(date(2026, 1, 15), basis="posting_date")


@pytest.mark.parametrize(
    ("now", "bucharest_days", "london_days"),
    [
        # 29 March 2026, spring forward: Bucharest is UTC+3 from 01:00 UTC, London UTC+1.
        (datetime(2026, 3, 29, 20, 59, tzinfo=UTC), 0, 0),  # 23:59 in Bucharest, 21:59 in London
        (datetime(2026, 3, 29, 21, 0, tzinfo=UTC), 1, 0),  # 00:00 on the 30th in Bucharest
        (datetime(2026, 3, 29, 22, 30, tzinfo=UTC), 1, 0),  # 01:30 on the 30th, 23:30 on the 29th
        (datetime(2026, 3, 29, 23, 0, tzinfo=UTC), 1, 1),  # midnight in London too
    ],
)
def test_overdue_starts_the_day_after_the_due_date_in_the_entitys_timezone(now, bucharest_days, london_days):
    bucharest = an_entity(code="RO01", name="Romania", currency="RON", timezone="Europe/Bucharest")
    london = an_entity(code="GB01", name="UK", currency="GBP", timezone="Europe/London")
    an_item(a_customer(bucharest, account="R1", name="R"), amount="10.00", document_date=date(2026, 3, 1),
            due_date=date(2026, 3, 29))
    an_item(a_customer(london, account="L1", name="L"), amount="20.00", document_date=date(2026, 3, 1),
            due_date=date(2026, 3, 29))
    report = aging_report(None, now=now)
    overdue = {row.group: row.amounts[1] != 0 for row in report.rows}
    assert overdue == {"RO01/R1 R": bucharest_days == 1, "GB01/L1 L": london_days == 1}
    assert report.as_of_by_entity == {
        "GB01": date(2026, 3, 29 + london_days), "RO01": date(2026, 3, 29 + bucharest_days),
    }
    assert report.as_of == max(report.as_of_by_entity.values())
    # the drill-down ages each item as of its own entity's date too
    days = {item.entity_code: item.days for item in aging_items(None, now=now)}
    assert days == {"RO01": bucharest_days, "GB01": london_days}


@pytest.mark.parametrize(
    ("now", "bucharest", "london"),
    [
        # 25 October 2026, fall back at 01:00 UTC: Bucharest UTC+3 → UTC+2, London UTC+1 → UTC+0.
        (datetime(2026, 10, 24, 21, 30, tzinfo=UTC), date(2026, 10, 25), date(2026, 10, 24)),
        (datetime(2026, 10, 25, 21, 59, tzinfo=UTC), date(2026, 10, 25), date(2026, 10, 25)),  # 23:59 / 21:59
        (datetime(2026, 10, 25, 22, 0, tzinfo=UTC), date(2026, 10, 26), date(2026, 10, 25)),  # 00:00 / 22:00
        (datetime(2026, 10, 25, 23, 59, tzinfo=UTC), date(2026, 10, 26), date(2026, 10, 25)),  # London 23:59
        (datetime(2026, 10, 26, 0, 0, tzinfo=UTC), date(2026, 10, 26), date(2026, 10, 26)),
    ],
)
def test_entity_today_across_the_october_clock_change(now, bucharest, london):
    an_entity(code="RO01", timezone="Europe/Bucharest")
    an_entity(code="GB01", timezone="Europe/London")
    an_item(a_customer(), amount="1.00", due_date=date(2026, 10, 25))
    report = aging_report(None, now=now)
    assert report.as_of_by_entity["RO01"] == bucharest
    assert report.as_of_by_entity["GB01"] == london


def test_drill_down_opens_the_items_of_a_bucket():
    customer = a_customer(an_entity(code="FR01"), account="C1", name="Dupont")
    old = an_item(customer, "INV-OLD", amount="300.00", document_date=date(2025, 10, 1), due_date=date(2025, 11, 1))
    recent = an_item(customer, "INV-NEW", amount="200.00", document_date=date(2026, 1, 1), due_date=date(2026, 1, 20))
    payment = an_item(customer, "PAY-1", kind=ItemKind.PAYMENT, amount="50.00", document_date=date(2026, 1, 25))
    allocate(old.pk, payment.pk, D("50"), date(2026, 2, 5), by=SYSTEM)
    as_of = date(2026, 2, 1)
    # as of 1 February the payment had not yet been applied to the old invoice
    everything = aging_items(as_of, customer_id=customer.pk)
    assert [(i.number, str(i.open_amount), str(i.signed_open_amount), i.bucket_label) for i in everything] == [
        ("INV-OLD", "300.00", "300.00", "91-180"), ("INV-NEW", "200.00", "200.00", "1-30"),
        ("PAY-1", "50.00", "-50.00", "1-30"),
    ]
    one_to_thirty = aging_items(as_of, customer_id=customer.pk, bucket_index=1)
    assert [i.item_id for i in one_to_thirty] == [recent.pk, payment.pk]
    assert one_to_thirty[0].customer == "FR01/C1 Dupont" and one_to_thirty[0].days == 12
    assert sum(i.signed_open_amount for i in one_to_thirty) == aging_report(as_of).rows[0].amounts[1]
    assert aging_items(as_of, bucket_index=0) == []
    with pytest.raises(AgingError):
        aging_items(as_of, bucket_index=7)


def test_reporting_currency_with_stored_rates_and_a_missing_rate_named():
    fr = an_entity(code="FR01", name="France")
    ro = an_entity(code="RO01", name="Romania", currency="RON")
    an_item(a_customer(fr, account="C1", name="A"), amount="100.00", due_date=date(2026, 1, 1))
    an_item(a_customer(ro, account="C2", name="B"), amount="333.33", due_date=date(2026, 1, 1))
    ExchangeRate.objects.create(rate_date=date(2026, 1, 2), currency="RON", reporting_currency="EUR", rate=D("0.2"))
    ExchangeRate.objects.create(rate_date=date(2026, 1, 5), currency="RON", reporting_currency="EUR", rate=D("0.201"))
    ExchangeRate.objects.create(rate_date=date(2026, 2, 1), currency="RON", reporting_currency="EUR", rate=D("0.3"))
    assert rates_on(date(2026, 1, 10), "EUR") == {"EUR": D("1"), "RON": D("0.201")}
    report = aging_report(date(2026, 1, 10), by="entity", reporting_currency="EUR")
    assert [(r.group, r.currency, r.total) for r in report.rows] == [
        ("FR01 France", "EUR", D("100.00")), ("RO01 Romania", "EUR", D("67.00")),  # 333.33 × 0.201 = 66.999
    ]
    with pytest.raises(AgingError, match="no exchange rate to EUR for RON"):
        aging_report(date(2026, 1, 1), reporting_currency="EUR")
    given = aging_report(date(2026, 1, 10), by="currency", reporting_currency="EUR", rates={"RON": D("0.25")})
    assert [(r.group, r.total) for r in given.rows] == [("EUR", D("100.00")), ("RON", D("83.33"))]
    assert given.totals()["EUR"].total == D("183.33")


def test_daily_snapshot_stores_totals_per_entity_currency_and_bucket_and_is_audited():
    fr = an_entity(code="FR01", timezone="Europe/Paris")
    an_item(a_customer(fr), amount="100.00", due_date=date(2026, 5, 1))
    an_item(a_customer(fr), amount="40.00", due_date=date(2026, 5, 20))
    an_item(a_customer(fr), kind=ItemKind.PAYMENT, amount="15.00", due_date=date(2026, 5, 20))
    snapshot = take_aging_snapshot(by=SYSTEM, now=datetime(2026, 5, 20, 23, 30, tzinfo=UTC))  # 21 May in Paris
    assert snapshot.as_of == date(2026, 5, 21)
    assert snapshot.as_of_by_entity == {"FR01": "2026-05-21"}
    assert snapshot.bucket_spec == "current,1-30,31-60,61-90,91-180,181-360,>360"
    lines = [(line.entity_id, line.currency, line.bucket_label, line.amount) for line in snapshot.lines.all()]
    assert lines == [(fr.pk, "EUR", "1-30", D("125.00"))]
    event = AuditEvent.objects.get(kind="report.aging_snapshot")
    assert event.subject_id == str(snapshot.pk) and event.after["totals"] == {"EUR": "125.00"}
    assert AgingSnapshot.objects.count() == 1
