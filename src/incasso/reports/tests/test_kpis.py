"""KPIs from the database against the worked March ledger (kpi_story), figure by figure."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from incasso.core.kpi import KpiError
from incasso.reports.kpis import KpiParams, kpi_table, kpi_trend
from incasso.reports.kpis.render import as_json
from incasso.reports.models import ExchangeRate
from incasso.reports.tests.kpi_story import a_march_ledger, april_happens
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = dict(start=date(2026, 3, 1), end=date(2026, 3, 31))


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("report", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_march_inputs_are_the_ledger_as_of_the_period_dates():
    a_march_ledger()

    (row,) = kpi_table(KpiParams(**MARCH)).rows

    assert (row.group, row.currency) == ("FR01 Incasso France SAS", "EUR")
    assert row.inputs.credit_sales == D("2500.00")  # 600 + 2,000 − 100
    assert row.inputs.beginning_ar == D("1500.00")
    assert row.inputs.ending_ar == D("3500.00")
    assert row.inputs.ending_current == D("2000.00")
    assert (row.inputs.cash_received, row.inputs.cash_applied) == (D("500.00"), D("500.00"))
    assert row.inputs.monthly_sales[(2026, 1)] == D("500.00")
    assert row.inputs.monthly_sales[(2026, 2)] == D("1000.00")


def test_dso_bpdso_add_and_cei_by_hand():
    a_march_ledger()

    (row,) = kpi_table(KpiParams(**MARCH)).rows

    # simple: 3,500 / 2,500 × 31 = 43.40; best possible 2,000 / 2,500 × 31 = 24.80; ADD 18.60
    assert (row.dso_simple.days.value, row.bpdso_simple.days.value, row.add_simple.value) == (
        D("43.40"), D("24.80"), D("18.60"))
    # countback, calendar: March's 2,500 leaves 1,000 → 31 days; February's 1,000 → 28 days: 59.00
    assert row.dso_countback.days.value == D("59.00")
    assert row.bpdso_countback.days.value == D("24.80")  # 2,000 / 2,500 × 31
    assert row.add_countback.value == D("34.20")
    # CEI = (1,500 + 2,500 − 3,500) / (1,500 + 2,500 − 2,000) = 500 / 2,000
    assert row.cei.index.value == D("25.00")
    assert row.cei_monthly_average.index.value == D("25.00")  # one month: the same
    assert row.shares.current.value == D("57.14")  # 2,000 / 3,500
    assert row.shares.over.value == D("0.00")


def test_thirty_day_months_and_gross_ar_are_parameters():
    a_march_ledger()

    (row,) = kpi_table(KpiParams(**MARCH, day_convention="30", ar_basis="gross")).rows

    # gross AR = the open debits alone: 3,500 + the open credit note 100 = 3,600
    assert row.receivable == D("3600.00")
    # 30-day countback: 3,600 − 2,500 = 1,100 → 30; 1,100 − 1,000 = 100 → 30; 100 / 500 × 30 = 6
    assert row.dso_countback.days.value == D("66.00")
    assert row.dso_simple.days.value == D("44.64")  # 3,600 / 2,500 × 31


def test_days_to_pay_late_disputes_and_promises():
    a_march_ledger()

    (row,) = kpi_table(KpiParams(**MARCH)).rows

    # INV-B: issued 5 Jan, paid 10 Mar = 64 days; due 4 Feb → 34 days late
    assert (row.days_to_pay.count, row.days_to_pay.simple.value, row.days_to_pay.weighted.value) == (
        1, D("64.00"), D("64.00"))
    assert row.days_late.simple.value == D("34.00")
    assert (row.dispute_cycle.count, row.dispute_cycle.mean.value) == (1, D("10.00"))
    assert (row.open_dispute_age.count, row.open_dispute_age.mean.value) == (1, D("11.00"))
    # kept 500 of judged 500 + 600: 1 of 2 by count, 500 / 1,100 by amount
    assert (row.promises.judged, row.promises.kept, row.promises.broken) == (2, 1, 1)
    assert row.promises.kept_rate.value == D("50.00")
    assert row.promises.kept_rate_by_amount.value == D("45.45")


def test_a_report_for_a_past_month_gives_the_same_numbers_after_later_postings():
    story = a_march_ledger()
    before = json.dumps(as_json(kpi_table(KpiParams(**MARCH, ar_basis="gross"))), sort_keys=True)

    april_happens(story)
    after = json.dumps(as_json(kpi_table(KpiParams(**MARCH, ar_basis="gross"))), sort_keys=True)

    assert after == before
    april = kpi_table(KpiParams(start=date(2026, 4, 1), end=date(2026, 4, 30))).rows[0]
    assert april.inputs.beginning_ar == D("3500.00")  # March's ending AR is April's beginning
    assert april.inputs.cash_received == D("1000.00")


def test_zero_sales_negative_ar_and_a_month_without_activity():
    paris = an_entity("FR01")
    credit_only = a_customer(paris, "C-9", name="Overpaid SARL")
    an_item(credit_only, "PAY-9", kind="payment", amount="250.00", document_date=date(2026, 1, 15))

    (row,) = kpi_table(KpiParams(start=date(2026, 2, 1), end=date(2026, 2, 28))).rows

    assert row.inputs.credit_sales == D("0.00")
    assert row.receivable == D("-250.00")
    assert row.dso_simple.days.value == D("0.00") and row.dso_simple.credit_balance
    # nothing collected: (−250 + 0 − (−250)) / (−250 + 0 − 0) = 0
    assert row.cei.index.value == 0 and row.cei.collectible == D("-250.00")
    assert row.shares.current.value is None  # a credit balance has no shares
    assert row.days_to_pay.simple.reason == "no paid items"
    empty = kpi_table(KpiParams(start=date(2025, 6, 1), end=date(2025, 6, 30)))
    assert empty.rows == []


def test_grouping_by_segment_collector_customer_and_conversion_to_a_reporting_currency():
    a_march_ledger(disputes=False)
    bucharest = an_entity("RO01", name="Incasso Romania", currency="RON", timezone="Europe/Bucharest")
    popescu = a_customer(bucharest, "R-1", name="Popescu SRL", segment="retail")
    an_item(popescu, "RINV-1", amount="5000.00", document_date=date(2026, 3, 2), due_date=date(2026, 4, 1))
    ExchangeRate.objects.create(rate_date=date(2026, 3, 31), currency="RON", reporting_currency="EUR",
                                rate=D("0.2"))

    by_segment = kpi_table(KpiParams(**MARCH, by="segment"))
    in_eur = kpi_table(KpiParams(**MARCH, by="segment", reporting_currency="EUR"))
    by_customer = kpi_table(KpiParams(**MARCH, by="customer"))
    by_collector = kpi_table(KpiParams(**MARCH, by="collector"))

    assert [(r.group, r.currency, r.receivable) for r in by_segment.rows] == [
        ("retail", "EUR", D("3500.00")), ("retail", "RON", D("5000.00"))]
    (merged,) = in_eur.rows
    assert (merged.currency, merged.receivable, merged.inputs.credit_sales) == ("EUR", D("4500.00"), D("3500.00"))
    assert merged.dso_simple.days.value == D("39.86")  # 4,500 / 3,500 × 31
    assert [r.group for r in by_customer.rows] == ["FR01/C-1 Dupont SA", "RO01/R-1 Popescu SRL"]
    assert {r.group for r in by_collector.rows} == {"(unassigned)"}


def test_monthly_trend_has_one_table_per_month():
    a_march_ledger(disputes=False)

    tables = kpi_trend(KpiParams(start=date(2026, 1, 1), end=date(2026, 3, 31)))

    assert [(t.params.start, t.params.end) for t in tables] == [
        (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31))]
    assert [t.rows[0].inputs.ending_ar for t in tables] == [D("500.00"), D("1500.00"), D("3500.00")]
    # the months share agings and one sales query; each gives what its own report gives
    alone = [kpi_table(t.params) for t in tables]
    assert [as_json(t) for t in tables] == [as_json(t) for t in alone]
    clipped = kpi_trend(KpiParams(start=date(2026, 2, 10), end=date(2026, 3, 15)))
    assert [as_json(t) for t in clipped] == [as_json(kpi_table(t.params)) for t in clipped]


def test_trend_months_loaded_together_judge_paid_invoices_and_cash_at_each_month_end():
    """Paid invoices and cash of all the trend's months come from one grouped pass; each month
    still judges them at its own end: a payment in two parts over two months, and a payment
    reversed the next month and paid again the month after."""
    from incasso.ledger.actions.allocations import allocate, reverse_allocation
    from incasso.reports.tests.kpi_story import BY

    paris = an_entity("FR01")
    dupont = a_customer(paris, "C-1")
    split = an_item(dupont, "INV-1", amount="300.00", document_date=date(2026, 1, 5), due_date=date(2026, 2, 4))
    bounced = an_item(dupont, "INV-2", amount="200.00", document_date=date(2026, 1, 10), due_date=date(2026, 2, 9))
    jan = an_item(dupont, "PAY-1", kind="payment", amount="300.00", document_date=date(2026, 1, 20))
    feb = an_item(dupont, "PAY-2", kind="payment", amount="100.00", document_date=date(2026, 2, 14))
    mar = an_item(dupont, "PAY-3", kind="payment", amount="200.00", document_date=date(2026, 3, 3))
    allocate(split.pk, jan.pk, D("100.00"), date(2026, 1, 20), by=BY)
    first = allocate(bounced.pk, jan.pk, D("200.00"), date(2026, 1, 20), by=BY)
    allocate(split.pk, feb.pk, D("100.00"), date(2026, 2, 14), by=BY)
    reverse_allocation(first.pk, date(2026, 2, 16), by=BY, reason="returned")
    allocate(split.pk, jan.pk, D("100.00"), date(2026, 2, 20), by=BY)
    allocate(bounced.pk, mar.pk, D("200.00"), date(2026, 3, 3), by=BY)

    tables = kpi_trend(KpiParams(start=date(2026, 1, 1), end=date(2026, 3, 31)))

    paid = [[(p.invoice_date, p.payment_date, p.amount) for p in t.rows[0].inputs.paid] for t in tables]
    assert paid == [
        [(date(2026, 1, 10), date(2026, 1, 20), D("200.00"))],  # INV-2 paid in January (reversed later)
        [(date(2026, 1, 5), date(2026, 2, 20), D("300.00"))],  # INV-1: 100 in Jan, 100 + 100 in Feb
        [(date(2026, 1, 10), date(2026, 3, 3), D("200.00"))],  # INV-2 paid again
    ]
    cash = [(t.rows[0].inputs.cash_received, t.rows[0].inputs.cash_applied) for t in tables]
    # January's 200 to INV-2 was reversed in February, so at January's end it still counted
    assert cash == [(D("300.00"), D("300.00")), (D("100.00"), D("200.00")), (D("200.00"), D("200.00"))]
    assert [as_json(t) for t in tables] == [as_json(kpi_table(t.params)) for t in tables]
    clipped = kpi_trend(KpiParams(start=date(2026, 1, 15), end=date(2026, 2, 18)))
    assert [as_json(t) for t in clipped] == [as_json(kpi_table(t.params)) for t in clipped]


def test_bad_parameters_are_named():
    with pytest.raises(KpiError, match="ends .* before it starts"):
        KpiParams(start=date(2026, 3, 31), end=date(2026, 3, 1))
    with pytest.raises(KpiError, match="group by 'region'"):
        KpiParams(**MARCH, by="region")


def test_command_writes_json_csv_and_a_workbook_with_a_trend_chart(tmp_path):
    a_march_ledger()

    data = json.loads(run("kpis", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "entity"))
    rows = list(csv.DictReader(io.StringIO(run("kpis", "--from", "2026-03-01", "--to", "2026-03-31",
                                               "--format", "csv"))))
    target = tmp_path / "kpis.xlsx"
    run("kpis", "--from", "2026-01-01", "--to", "2026-03-31", "--monthly", "--format", "xlsx", "-o", str(target))

    assert data["params"]["by"] == "entity" and data["rows"][0]["dso_simple"] == "43.40"
    assert data["rows"][0]["cei"] == "25.00"
    assert rows[0]["dso_countback"] == "59.00" and rows[0]["ending_ar"] == "3500.00"
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["KPIs", "Trend", "Unapplied"]  # CN-1 is unapplied at each month's end
    assert workbook["KPIs"].max_row == 4  # header + three months
    assert [c.value for c in workbook["Trend"]["A"]][1:] == ["2026-01", "2026-02", "2026-03"]
    assert len(workbook["Trend"]._charts) == 1


def test_command_errors_name_the_option():
    with pytest.raises(CommandError, match="--from '2026-13-01' is not a date"):
        run("kpis", "--from", "2026-13-01", "--to", "2026-03-31")
    with pytest.raises(CommandError, match="--format xlsx"):
        run("kpis", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "xlsx")
